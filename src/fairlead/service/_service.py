"""One service process: its settings, database, team routers, key cache and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field

from fairlead.service._config import ServiceConfig
from fairlead.service._database import Database
from fairlead.service._keys import KeyCache
from fairlead.service._metrics import Metrics
from fairlead.service._routers import TeamRouters


@dataclass
class Service:
    """What every request of a process shares."""

    config: ServiceConfig
    db: Database
    routers: TeamRouters
    keys: KeyCache = field(default_factory=KeyCache)
    metrics: Metrics = field(default_factory=Metrics)

    @classmethod
    def start(cls, config: ServiceConfig) -> Service:
        """Connect to the database (nothing is checked yet: see ``_lifecycle``)."""
        db = Database(config.database_url, pool_size=config.pool_size)
        return cls(config=config, db=db, routers=TeamRouters(db))
