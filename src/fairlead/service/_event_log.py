"""The team's KPI event log in the database: written as leads move, read for the KPIs.

Rows have the columns of :mod:`fairlead.kpi` (``docs/kpi.md``). The service writes
``created`` and ``assigned`` as it routes, and the events the CRM reports
(``contacted``, ``stage``, ``won``, ``lost``, ``feedback``, ``purchase``, touches).
Each row is checked by the KPI module's own rules before it is stored, so the log
always reads back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from fairlead.kpi import COLUMNS, EventLog
from fairlead.records import InputError
from fairlead.service._errors import ApiError
from fairlead.service._pipeline import Writes
from fairlead.service._tables import events

#: Columns stored as numbers of seconds, read back as instants.
_TIME = "at"


def moment(ts: float) -> datetime:
    """A stored time as an aware datetime (UTC)."""
    return datetime.fromtimestamp(ts, tz=UTC)


def check_rows(rows: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Refuse rows the KPI log would refuse, with the log's own message (a 422)."""
    # Times as ISO text, so that a refused one reads as sent, not as Python's repr.
    shown = [
        {k: (moment(v).isoformat() if k == _TIME else v) for k, v in row.items()} for row in rows
    ]
    try:
        EventLog.from_records(shown, now=now, source="event")
    except InputError as exc:
        raise ApiError(422, str(exc), field=exc.field, value=exc.value) from None
    except (OverflowError, ValueError, OSError) as exc:  # a time no clock can show
        raise ApiError(422, f"'at' cannot be read as a moment: {exc}", field="at") from None


#: Rows of the log, each kept once by event id, on each database.
#: (Inline: the database's sequence numbers are not sent back.)
_APPEND = {
    "postgresql": postgresql.insert(events)
    .inline()
    .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"]),
    "sqlite": sqlite.insert(events)
    .inline()
    .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"]),
}


def record(
    conn: Connection,
    tenant_id: str,
    rows: Sequence[Mapping[str, Any]],
    sink: Writes | None = None,
) -> None:
    """Append rows (dicts of :data:`fairlead.kpi.COLUMNS`, ``at`` in seconds) to the log.

    A row whose ``event_id`` the team's log holds already is skipped: the service's own
    rows have ids made from the lead (``l-1:created``), so writing one twice keeps one.
    With ``sink`` the rows go with the transaction's other writes, at its end.
    """
    if not rows:
        return
    statement = _APPEND[conn.dialect.name]
    if sink is not None:
        # One statement per row, each naming only the row's cells (the others are
        # empty): a routed lead's rows are sent with the decision, and most of the
        # log's columns are empty in any one row.
        for row in rows:
            cells = {k: v for k, v in row.items() if v is not None}
            sink.execute(statement, cells | {"tenant_id": tenant_id})
        return
    conn.execute(
        statement, [dict.fromkeys(COLUMNS) | dict(row) | {"tenant_id": tenant_id} for row in rows]
    )


def find(conn: Connection, tenant_id: str, event_id: str) -> dict[str, Any] | None:
    """A stored event by id (its columns), or ``None``."""
    row = conn.execute(
        select(*(events.c[name] for name in COLUMNS)).where(
            events.c.tenant_id == tenant_id, events.c.event_id == event_id
        )
    ).first()
    return None if row is None else dict(row._mapping)


def read_log(
    conn: Connection, tenant_id: str, *, now: datetime | None = None, since: float | None = None
) -> EventLog:
    """The team's KPI log (from ``since``, in seconds, if given) as an :class:`EventLog`."""
    query = select(*(events.c[name] for name in COLUMNS)).where(events.c.tenant_id == tenant_id)
    if since is not None:
        query = query.where(events.c.at >= since)
    rows = conn.execute(query.order_by(events.c.at, events.c.seq)).all()
    columns: dict[str, Any] = {}
    for k, name in enumerate(COLUMNS):
        values = np.empty(len(rows), dtype=object)
        values[:] = [r[k] for r in rows]
        if name == _TIME:
            values[:] = [moment(v) for v in values]
        columns[name] = values
    return EventLog.from_columns(columns, now=now, source="the team's event log")
