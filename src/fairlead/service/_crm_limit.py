"""One CRM request limit for every process of a deployment, kept in the database.

A CRM counts the requests of an account, not of a process: two service processes
each keeping the whole limit would together send twice what it allows. The leaky
bucket's level of a connection lives in its row (``limit_level``, ``limit_at``), and
each request's place is taken in a short transaction that locks the row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's one write lock), on the wall clock
the processes share.
"""

from __future__ import annotations

import time

from sqlalchemy import select, update

from fairlead.connectors import Connector, Step, connector_class
from fairlead.service._crm_store import CrmConnection
from fairlead.service._database import Database
from fairlead.service._tables import crm_connections


class DatabaseLevel:
    """The shared level of a connection's bucket (a :class:`~fairlead.connectors.SharedLevel`)."""

    def __init__(self, db: Database, tenant_id: str, crm: str) -> None:
        self.db, self.tenant_id, self.crm = db, tenant_id, crm

    def change(self, step: Step) -> float:
        """Apply ``step`` to the stored level in one transaction; its result."""
        mine = (crm_connections.c.tenant_id == self.tenant_id, crm_connections.c.crm == self.crm)
        with self.db.write() as conn:
            row = conn.execute(
                select(crm_connections.c.limit_level, crm_connections.c.limit_at)
                .where(*mine)
                .with_for_update()
            ).first()
            now = time.time()
            level = 0.0 if row is None or row.limit_level is None else float(row.limit_level)
            at = now if row is None or row.limit_at is None else float(row.limit_at)
            level, at, result = step(level, at, now)
            if row is not None:
                conn.execute(update(crm_connections).where(*mine).values(
                    limit_level=level, limit_at=at))  # fmt: skip
        return result


def shared_connector(db: Database, connection: CrmConnection) -> Connector:
    """The connection's connector, spending the limit every process of ``db`` shares.

    The service's worker, ``fairlead connect --check`` and ``fairlead import`` all build
    their connectors here, so together they stay within the CRM account's limit.
    """
    made = connector_class(connection.crm)(connection.settings)
    if made.bucket is not None:
        made.bucket.share(DatabaseLevel(db, connection.tenant_id, connection.crm))
    return made
