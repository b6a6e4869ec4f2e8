"""A team's CRM history pulled into its KPI event log: paged, from where the last stopped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from fairlead.connectors import history_rows
from fairlead.records import InputError
from fairlead.service._crm_limit import shared_connector
from fairlead.service._crm_store import keep_tokens, load_connection
from fairlead.service._database import Database
from fairlead.service._event_log import record
from fairlead.service._tables import crm_connections, crm_leads


@dataclass(frozen=True)
class ImportSummary:
    """What an import read and recorded."""

    leads: int
    events: int
    won: int
    lost: int
    since: datetime | None
    until: datetime | None


def import_history(
    db: Database, tenant_id: str, crm: str, *, since: datetime | None = None
) -> ImportSummary:
    """Read the team's CRM leads changed since the last import (or ``since``) into its log.

    Each lead gives ``created``, ``assigned`` (its owner in the CRM) and, when closed,
    ``won`` (with its amount) or ``lost``. Leads fairlead routed itself have their
    ``created`` and ``assigned`` already: only their outcome is added. Event ids come
    from the CRM and the lead, so an import repeated records nothing twice.
    """
    with db.read() as conn:
        connection = load_connection(conn, tenant_id, crm)
        if connection is None:
            raise InputError(
                f"team {tenant_id!r} has no {crm} connection: connect it first "
                f"(PUT /v1/connectors/{crm} with an admin key)",
                field="crm",
                value=crm,
            )
        routed = {
            str(r[0])
            for r in conn.execute(
                select(crm_leads.c.crm_lead_id).where(
                    crm_leads.c.tenant_id == tenant_id, crm_leads.c.crm == crm
                )
            )
        }
        stored = conn.execute(
            select(crm_connections.c.imported_until).where(
                crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm
            )
        ).scalar_one_or_none()
    start = since or (None if stored is None else datetime.fromtimestamp(stored, UTC))
    connector = shared_connector(db, connection)
    try:
        leads = list(connector.history(start))
    finally:
        keep_tokens(db, tenant_id, crm, connector)
        connector.close()
    rows = [
        row
        for row in history_rows(leads, crm)
        if row["lead_id"] not in routed or row["type"] in ("won", "lost")
    ]
    changed = [lead.modified_at for lead in leads if lead.modified_at is not None]
    until = max(changed) if changed else None
    with db.write() as conn:
        record(conn, tenant_id, rows)
        if until is not None:
            conn.execute(
                update(crm_connections)
                .where(crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm)
                .values(imported_until=until.timestamp())
            )
    return ImportSummary(
        leads=len(leads),
        events=len(rows),
        won=sum(r["type"] == "won" for r in rows),
        lost=sum(r["type"] == "lost" for r in rows),
        since=start,
        until=until,
    )
