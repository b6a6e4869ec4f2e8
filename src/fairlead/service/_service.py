"""One service process: its settings, database, team routers, key cache and metrics."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from fairlead.connectors import Connector
from fairlead.service._config import ServiceConfig
from fairlead.service._crm_limit import shared_connector
from fairlead.service._crm_store import CrmConnection
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
    _solver: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)
    _solver_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    #: Set when a webhook brought events or an owner write waits: the CRM worker wakes.
    crm_wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _connectors: dict[tuple[str, str], tuple[float, Connector]] = field(
        default_factory=dict, init=False, repr=False
    )

    @classmethod
    def start(cls, config: ServiceConfig) -> Service:
        """Connect to the database (nothing is checked yet: see ``_lifecycle``)."""
        db = Database(config.database_url, pool_size=config.pool_size)
        return cls(config=config, db=db, routers=TeamRouters(db))

    def solver(self, *, fresh: bool = False) -> ProcessPoolExecutor:
        """The process that solves price windows (started at the first; ``fresh``: anew).

        A window's solve holds the interpreter lock for a few hundred milliseconds
        (200 managers, 2,000 leads); in a thread of this process it would pause every
        request meanwhile. A process of its own (started once, by ``spawn``, which is
        safe beside threads) solves it while requests go on.
        """
        with self._solver_lock:
            if fresh and self._solver is not None:
                self._solver.shutdown(wait=False, cancel_futures=True)
                self._solver = None
            if self._solver is None:
                context = multiprocessing.get_context("spawn")
                self._solver = ProcessPoolExecutor(max_workers=1, mp_context=context)
            return self._solver

    def connector(self, connection: CrmConnection) -> Connector:
        """The connector of a team's CRM connection (kept until its settings change)."""
        key = (connection.tenant_id, connection.crm)
        with self._solver_lock:
            found = self._connectors.get(key)
            if found is not None and found[0] == connection.updated_at:
                return found[1]
            if found is not None:
                found[1].close()
            # Every process spends the one limit of the CRM account.
            made = shared_connector(self.db, connection)
            self._connectors[key] = (connection.updated_at, made)
            return made

    def close_connectors(self) -> None:
        """Close every CRM connector (a request waiting to try again gives up)."""
        with self._solver_lock:
            for _, made in self._connectors.values():
                made.close()
            self._connectors.clear()

    def close(self) -> None:
        """Stop the solving process and close the database connections."""
        with self._solver_lock:
            if self._solver is not None:
                self._solver.shutdown(wait=True, cancel_futures=True)
                self._solver = None
        self.close_connectors()
        self.db.dispose()
