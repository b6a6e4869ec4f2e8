"""A team's CRM connection in the database: settings, the inbox, the outbox, known leads.

Functions of one job each, on a connection inside the caller's transaction. The
settings hold credentials: they are read here and given to the connector, never
returned by the API nor written to a log.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from fairlead.connectors import Connector, InboundEvent
from fairlead.service._database import Database
from fairlead.service._tables import crm_connections, crm_inbox, crm_leads, crm_outbox

#: Tries of an inbox event or an outbox write before it is marked failed.
ATTEMPTS = 8
#: Seconds before the second try, doubling, at most an hour.
FIRST_RETRY = 2.0
#: Most seconds between two tries while the CRM is out or over its limit: an outage is
#: waited out however long it lasts, and the first try after it comes soon.
OUTAGE_RETRY = 600.0
#: Seconds a process holds the events and writes it took, before another may take them
#: (a process that died while holding them loses them to the others then).
LEASE = 60.0


@dataclass(frozen=True)
class CrmConnection:
    """A team's connection to one CRM, as stored."""

    tenant_id: str
    crm: str
    settings: dict[str, Any]
    mapping: dict[str, Any]
    path_secret_sha256: str | None
    updated_at: float
    #: When the team connected the CRM: leads created before are the CRM's own.
    created_at: float = 0.0


def retry_delay(attempts: int, most: float = 3600.0) -> float:
    """Seconds to wait after ``attempts`` failed tries (2, 4, 8, ... up to ``most``)."""
    return float(min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 40), most))


def _retry_values(error: str, attempts: int, outage: bool, now: float) -> dict[str, Any] | None:
    """The row's values for one more failed try; ``None`` when the tries ran out.

    A refusal (a mapping the lead does not fit, a user the CRM rejects) is tried
    :data:`ATTEMPTS` times; an outage or the CRM's limit is waited out, never given up.
    """
    if outage:
        delay = retry_delay(attempts, OUTAGE_RETRY)
    elif attempts >= ATTEMPTS:
        return None
    else:
        delay = retry_delay(attempts)
    return {"error": error, "attempts": attempts, "next_at": now + delay}


def load_connection(conn: Connection, tenant_id: str, crm: str) -> CrmConnection | None:
    """The team's connection to ``crm``, or ``None``."""
    row = conn.execute(
        select(crm_connections).where(
            crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm
        )
    ).first()
    if row is None:
        return None
    return CrmConnection(
        tenant_id=row.tenant_id,
        crm=row.crm,
        settings=json.loads(row.settings),
        mapping=json.loads(row.mapping),
        path_secret_sha256=row.path_secret_sha256,
        updated_at=row.updated_at,
        created_at=row.created_at,
    )


def keep_tokens(db: Database, tenant_id: str, crm: str, connector: Connector) -> None:
    """Store a connector's renewed credentials (its settings), if it renewed them.

    The connection's ``updated_at`` moves on, so that every process builds its
    connector again with them (a refresh token works once: an old copy would fail).
    """
    if not connector.tokens_changed:
        return
    with db.write() as conn:
        conn.execute(
            update(crm_connections)
            .where(crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm)
            .values(settings=json.dumps(connector.settings, sort_keys=True), updated_at=time.time())
        )
    connector.tokens_changed = False


@dataclass(frozen=True)
class PollTurn:
    """A catch-up read this process took: from where, and whether it goes on from there."""

    polled_until: float | None
    more: bool


def claim_poll(
    conn: Connection, tenant_id: str, crm: str, every: float, *, busy: bool = False
) -> PollTurn | None:
    """Take the connection's catch-up read if it is due; ``None`` if not (or another took it).

    The next read is due ``every`` seconds later whatever happens to this one (a
    process that dies while reading is replaced then). A read that goes on from the
    last one's page is due at once, but while the CRM's limit is ``busy`` only once
    every ``every`` seconds: new leads and writes first, and the read still moves on.
    """
    now = time.time()
    mine = and_(crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm)
    row = conn.execute(
        select(crm_connections.c.polled_until, crm_connections.c.poll_due_at,
               crm_connections.c.poll_more).where(mine)
    ).first()  # fmt: skip
    if row is None or (row.poll_due_at is not None and row.poll_due_at > now):
        return None
    if busy and row.poll_more and row.poll_due_at is not None and row.poll_due_at > now - every:
        return None
    due = crm_connections.c.poll_due_at
    taken = conn.execute(
        update(crm_connections)
        .where(mine, due.is_(None) if row.poll_due_at is None else due == row.poll_due_at)
        .values(poll_due_at=now + every)
    )
    if taken.rowcount != 1:
        return None
    return PollTurn(polled_until=row.polled_until, more=bool(row.poll_more))


def save_poll(conn: Connection, tenant_id: str, crm: str, until: float | None, more: bool) -> None:
    """Where the catch-up read stopped; with ``more``, the next one is due at once."""
    values: dict[str, Any] = {"polled_until": until, "poll_more": more}
    if more:
        values["poll_due_at"] = time.time()
    conn.execute(
        update(crm_connections)
        .where(crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm)
        .values(**values)
    )


def connections(conn: Connection) -> list[tuple[str, str]]:
    """Every (team, CRM) connected."""
    rows = conn.execute(select(crm_connections.c.tenant_id, crm_connections.c.crm))
    return [(r.tenant_id, r.crm) for r in rows]


def save_connection(
    conn: Connection,
    tenant_id: str,
    crm: str,
    settings: dict[str, Any],
    mapping: dict[str, Any],
    path_secret_sha256: str | None,
) -> None:
    """Create or replace the team's connection to ``crm``."""
    now = time.time()
    values = {
        "settings": json.dumps(settings, sort_keys=True),
        "mapping": json.dumps(mapping, sort_keys=True),
        "path_secret_sha256": path_secret_sha256,
        "updated_at": now,
    }
    done = conn.execute(
        update(crm_connections)
        .where(crm_connections.c.tenant_id == tenant_id, crm_connections.c.crm == crm)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(crm_connections).values(tenant_id=tenant_id, crm=crm, created_at=now, **values)
        )


#: Kinds of a waiting event that make a new one redundant: acting on any of them reads
#: the lead as it is then (and routes it if fairlead does not know it yet).
_LEAD_STATE = ("added", "updated", "owner_changed", "stage_changed")
_COVERING = dict.fromkeys(_LEAD_STATE, _LEAD_STATE)


def keep_events(conn: Connection, tenant_id: str, crm: str, events: list[InboundEvent]) -> int:
    """Put a webhook's events in the inbox; how many rows were added.

    Acting on an event reads the lead's current state from the CRM, so an event is
    redundant while another one of the same lead waits in the inbox, not yet taken:
    then it is not kept. Otherwise it is, even when the CRM sent the very same
    notification before: a notification may carry only the lead's id and a time in
    seconds (Bitrix24), the same for two changes within a second, and the first may
    have been read before the second change. Acting on a lead once more when nothing
    changed changes nothing.
    """
    now, new = time.time(), 0
    for event in events:
        mine = and_(
            crm_inbox.c.tenant_id == tenant_id,
            crm_inbox.c.crm == crm,
            crm_inbox.c.crm_lead_id == event.crm_lead_id,
        )
        queued = conn.execute(
            select(crm_inbox.c.id).where(
                mine,
                crm_inbox.c.status == "new",
                crm_inbox.c.attempts == 0,
                crm_inbox.c.next_at <= now,
                crm_inbox.c.kind.in_(_COVERING.get(event.kind, (event.kind,))),
            )
        ).first()
        if queued is not None:
            continue
        seen = conn.execute(
            select(crm_inbox.c.id).where(mine, crm_inbox.c.event_key == event.key)
        ).first()
        key = event.key if seen is None else f"{event.key}#{uuid.uuid4().hex[:12]}"
        conn.execute(
            insert(crm_inbox).values(
                tenant_id=tenant_id,
                crm=crm,
                event_key=key,
                kind=event.kind,
                crm_lead_id=event.crm_lead_id,
                at=None if event.at is None else event.at.timestamp(),
                fields=json.dumps(event.fields, sort_keys=True, default=str),
                received_at=now,
                status="new",
                attempts=0,
                next_at=now,
            )
        )
        new += 1
    return new


def due_events(conn: Connection, tenant_id: str, crm: str, limit: int = 50) -> list[Any]:
    """Inbox events to act on now, oldest first."""
    return list(
        conn.execute(
            select(crm_inbox)
            .where(
                crm_inbox.c.tenant_id == tenant_id,
                crm_inbox.c.crm == crm,
                crm_inbox.c.status == "new",
                crm_inbox.c.next_at <= time.time(),
            )
            .order_by(crm_inbox.c.id)
            .limit(limit)
        )
    )


def claim(conn: Connection, table: Any, rows: list[Any]) -> list[Any]:
    """The rows of ``table`` (inbox or outbox) this process takes: no other takes them now."""
    now = time.time()
    taken = []
    for row in rows:
        done = conn.execute(
            update(table)
            .where(table.c.id == row.id, table.c.next_at == row.next_at)
            .values(next_at=now + LEASE)
        )
        if done.rowcount == 1:
            taken.append(row)
    return taken


def release(conn: Connection, table: Any, rows: list[Any]) -> None:
    """Give back rows this process took and did not settle (it stops, or failed midway)."""
    for row in rows:
        conn.execute(
            update(table)
            .where(table.c.id == row.id, table.c.status.in_(("new", "pending")))
            .values(next_at=time.time())
        )


def settle_event(
    conn: Connection, event_id: int, error: str | None, attempts: int, *, outage: bool = False
) -> None:
    """An inbox event done, or failed once more (tried again later, or given up).

    ``outage``: the CRM was out or over its limit (waited out, never given up).
    """
    values: dict[str, Any] | None
    if error is None:
        values = {"status": "done", "error": None}
    else:
        values = _retry_values(error, attempts, outage, time.time())
        if values is None:
            values = {"status": "failed", "error": error, "attempts": attempts}
    conn.execute(update(crm_inbox).where(crm_inbox.c.id == event_id).values(**values))


def known_lead(conn: Connection, tenant_id: str, crm: str, crm_lead_id: str) -> Any:
    """The CRM lead's row in ``crm_leads``, or ``None``."""
    return conn.execute(
        select(crm_leads).where(
            crm_leads.c.tenant_id == tenant_id,
            crm_leads.c.crm == crm,
            crm_leads.c.crm_lead_id == crm_lead_id,
        )
    ).first()


def remember_lead(
    conn: Connection,
    tenant_id: str,
    crm: str,
    crm_lead_id: str,
    *,
    lead_id: str,
    owner_written: str | None,
    owner_seen: str | None,
    stage: str | None,
    outcome: str | None,
) -> None:
    """Create or update what fairlead knows of a CRM lead."""
    values = {
        "lead_id": lead_id,
        "owner_written": owner_written,
        "owner_seen": owner_seen,
        "stage": stage,
        "outcome": outcome,
        "updated_at": time.time(),
    }
    done = conn.execute(
        update(crm_leads)
        .where(
            crm_leads.c.tenant_id == tenant_id,
            crm_leads.c.crm == crm,
            crm_leads.c.crm_lead_id == crm_lead_id,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(crm_leads).values(
                tenant_id=tenant_id, crm=crm, crm_lead_id=crm_lead_id, **values
            )
        )


def queue_owner(conn: Connection, tenant_id: str, crm: str, crm_lead_id: str, owner: str) -> None:
    """Queue the owner's write-back; an older pending write of the same lead is superseded."""
    mine = and_(
        crm_outbox.c.tenant_id == tenant_id,
        crm_outbox.c.crm == crm,
        crm_outbox.c.crm_lead_id == crm_lead_id,
    )
    conn.execute(
        update(crm_outbox)
        .where(mine, crm_outbox.c.status.in_(("pending", "failed")))
        .values(status="superseded")
    )
    now = time.time()
    conn.execute(
        insert(crm_outbox).values(
            tenant_id=tenant_id,
            crm=crm,
            crm_lead_id=crm_lead_id,
            owner=owner,
            created_at=now,
            status="pending",
            attempts=0,
            next_at=now,
        )
    )


def due_writes(conn: Connection, tenant_id: str, crm: str, limit: int) -> list[Any]:
    """Pending owner writes to send now, oldest first."""
    return list(
        conn.execute(
            select(crm_outbox)
            .where(
                crm_outbox.c.tenant_id == tenant_id,
                crm_outbox.c.crm == crm,
                crm_outbox.c.status == "pending",
                crm_outbox.c.next_at <= time.time(),
            )
            .order_by(crm_outbox.c.id)
            .limit(limit)
        )
    )


def settle_write(
    conn: Connection, write_id: int, error: str | None, attempts: int, *, outage: bool = False
) -> None:
    """An owner write sent, or failed once more (tried again later, or given up).

    ``outage``: the CRM was out or over its limit (waited out, never given up).
    """
    now = time.time()
    values: dict[str, Any] | None
    if error is None:
        values = {"status": "sent", "sent_at": now, "error": None, "attempts": attempts}
    else:
        values = _retry_values(error, attempts, outage, now)
        if values is None:
            values = {"status": "failed", "error": error, "attempts": attempts}
    conn.execute(
        update(crm_outbox)
        .where(crm_outbox.c.id == write_id, crm_outbox.c.status == "pending")
        .values(**values)
    )


def _failed_back(conn: Connection, table: Any, tenant_id: str, crm: str, status: str) -> int:
    """The connection's failed rows of ``table`` back to ``status``, due now; how many."""
    done = conn.execute(
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.crm == crm, table.c.status == "failed")
        .values(status=status, attempts=0, next_at=time.time())
    )
    return int(done.rowcount)


def retry_failed(conn: Connection, tenant_id: str, crm: str) -> int:
    """Failed owner writes back to pending, to be sent now; how many."""
    return _failed_back(conn, crm_outbox, tenant_id, crm, "pending")


def retry_failed_events(conn: Connection, tenant_id: str, crm: str) -> int:
    """Failed inbox events back to new, to be acted on now (a mapping fixed); how many."""
    return _failed_back(conn, crm_inbox, tenant_id, crm, "new")


def _counts(
    conn: Connection, table: Any, tenant_id: str, crm: str, statuses: tuple[str, ...]
) -> dict[str, int]:
    rows = conn.execute(
        select(table.c.status, func.count())
        .where(table.c.tenant_id == tenant_id, table.c.crm == crm)
        .group_by(table.c.status)
    )
    counts = dict.fromkeys(statuses, 0)
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def outbox_counts(conn: Connection, tenant_id: str, crm: str) -> dict[str, int]:
    """Owner writes by status."""
    return _counts(conn, crm_outbox, tenant_id, crm, ("pending", "sent", "failed", "superseded"))


def inbox_counts(conn: Connection, tenant_id: str, crm: str) -> dict[str, int]:
    """Webhook events by status: ``new`` (waiting, or tried again later), ``done``, ``failed``."""
    return _counts(conn, crm_inbox, tenant_id, crm, ("new", "done", "failed"))


def _last_failure(conn: Connection, table: Any, tenant_id: str, crm: str) -> str | None:
    """The reason of the connection's newest failed row of ``table``."""
    return conn.execute(
        select(table.c.error)
        .where(table.c.tenant_id == tenant_id, table.c.crm == crm, table.c.status == "failed")
        .order_by(table.c.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def crm_outboxes(db: Database, tenant_id: str) -> list[dict[str, Any]]:
    """Each of the team's CRM connections: outbox and inbox counts and their last failures."""
    out = []
    with db.read() as conn:
        crms = conn.execute(
            select(crm_connections.c.crm)
            .where(crm_connections.c.tenant_id == tenant_id)
            .order_by(crm_connections.c.crm)
        ).all()
        for (crm,) in crms:
            out.append(
                {
                    "crm": crm,
                    "outbox": outbox_counts(conn, tenant_id, crm),
                    "last_error": _last_failure(conn, crm_outbox, tenant_id, crm),
                    "inbox": inbox_counts(conn, tenant_id, crm),
                    "last_event_error": _last_failure(conn, crm_inbox, tenant_id, crm),
                }
            )
    return out


def queue_new_owners(conn: Connection, tenant_id: str, owners: dict[str, str]) -> int:
    """Queue the write-back of leads fairlead gave a manager outside a webhook's turn.

    A waiting lead placed later, or an overdue one reassigned: when it came from a CRM,
    its new owner goes back there like the first. ``owners`` maps lead id -> manager;
    returns how many writes were queued.
    """
    if not owners:
        return 0
    rows = conn.execute(
        select(crm_leads).where(
            crm_leads.c.tenant_id == tenant_id, crm_leads.c.lead_id.in_(list(owners))
        )
    ).all()
    for row in rows:
        owner = owners[row.lead_id]
        queue_owner(conn, tenant_id, row.crm, row.crm_lead_id, owner)
        conn.execute(
            update(crm_leads)
            .where(
                crm_leads.c.tenant_id == tenant_id,
                crm_leads.c.crm == row.crm,
                crm_leads.c.crm_lead_id == row.crm_lead_id,
            )
            .values(owner_written=owner, updated_at=time.time())
        )
    return len(rows)
