"""The catch-up read: leads changed in the CRM that no webhook told of.

A webhook can be missed: Bitrix24 sends each event once and never again, so what it
sent while the service was down (or unreachable) is gone; a webhook may not be set
up at all. Every ``catch_up`` seconds (a connector setting) one process reads the
leads the CRM changed since the last read (:meth:`Connector.history`) and puts an
event in the inbox for each one fairlead has news of: a new lead to route, or a known
one whose owner, stage or outcome changed. The inbox then acts on them as on a
webhook's (and a lead already waiting there is not queued twice).

A turn reads one page of the history (one request, :attr:`Connector.page_size`
leads) and the next turn goes on from there: new leads and owner writes take their
turns between the pages, so a long outage's backlog does not hold them up. A page is
read at once only while half of the CRM's burst is free, and otherwise one page
every ``catch_up`` seconds: the read spends what new leads and writes leave of the
limit, and on an account busy up to its limit it falls behind and catches up when
the traffic drops, rather than slowing the owners down.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from fairlead.connectors import ConnectionClosedError, CrmError, CrmLead, InboundEvent
from fairlead.service._crm_flow import CLOCK_SLACK, has_news, is_ours
from fairlead.service._crm_store import (
    CrmConnection,
    claim_poll,
    keep_events,
    save_poll,
)
from fairlead.service._logging import LOGGER
from fairlead.service._service import Service
from fairlead.service._tables import crm_inbox, crm_leads

#: Seconds read again before the newest change the last read saw (both the CRM's
#: times): a lead saved in the CRM while the last read ran may carry an earlier time.
OVERLAP = 10.0

#: Leads checked against fairlead's books in one query.
_CHUNK = 250


def catch_up(service: Service, connection: CrmConnection) -> int:
    """Read the connection's changed leads if a read is due; how many events it queued."""
    connector = service.connector(connection)
    if connector.catch_up <= 0:
        return 0
    tenant_id, crm = connection.tenant_id, connection.crm
    bucket = connector.bucket
    busy = bucket is not None and bucket.room() < bucket.burst / 2
    with service.db.write() as conn:
        turn = claim_poll(conn, tenant_id, crm, connector.catch_up, busy=busy)
    if turn is None:
        return 0
    if turn.polled_until is None:
        since = connection.created_at - CLOCK_SLACK  # leads before connecting are the CRM's
    else:
        # Going on from a read cut at its budget: only the last second again.
        since = turn.polled_until - (1.0 if turn.more else OVERLAP)
    until, read, queued, more = turn.polled_until, 0, 0, False
    chunk: list[CrmLead] = []
    try:
        for lead in connector.history(datetime.fromtimestamp(since, UTC)):
            read += 1
            chunk.append(lead)
            if lead.modified_at is not None:
                until = max(until or 0.0, lead.modified_at.timestamp())
            if len(chunk) == _CHUNK:
                queued += _queue(service, connection, chunk)
                chunk = []
            # A page, and past where the last read stopped (leads that share the last
            # second would otherwise fill the page again and again).
            if read >= connector.page_size and (until or 0.0) > (turn.polled_until or 0.0):
                more = True
                break
    except ConnectionClosedError:
        raise  # stopping: the next process reads from where the last read ended
    except CrmError as exc:
        LOGGER.warning(f"{crm}: reading the changed leads stopped: {exc}",
                       extra={"team": tenant_id})  # fmt: skip
    queued += _queue(service, connection, chunk)
    with service.db.write() as conn:
        save_poll(conn, tenant_id, crm, until, more)
    if queued:
        LOGGER.info(
            f"{crm}: the catch-up read found {queued} lead(s) with news, taken now",
            extra={"team": tenant_id},
        )
    return queued


def _queue(service: Service, connection: CrmConnection, leads: list[CrmLead]) -> int:
    """Queue an event for each lead fairlead has news of; how many were queued."""
    if not leads:
        return 0
    tenant_id, crm = connection.tenant_id, connection.crm
    ids = [lead.crm_id for lead in leads]
    with service.db.read() as conn:
        known = {
            row.crm_lead_id: row
            for row in conn.execute(
                select(crm_leads).where(
                    crm_leads.c.tenant_id == tenant_id,
                    crm_leads.c.crm == crm,
                    crm_leads.c.crm_lead_id.in_(ids),
                )
            )
        }
        # A lead waiting in the inbox is taken from there; one that failed waits for a
        # person (the dashboard's retry), not for every read to fail it again.
        held = set(
            conn.execute(
                select(crm_inbox.c.crm_lead_id).where(
                    crm_inbox.c.tenant_id == tenant_id,
                    crm_inbox.c.crm == crm,
                    crm_inbox.c.crm_lead_id.in_(ids),
                    crm_inbox.c.status.in_(("new", "failed")),
                )
            ).scalars()
        )
    events = []
    for lead in leads:
        row = known.get(lead.crm_id)
        if row is not None:
            wanted = has_news(row, lead)
        else:
            wanted = is_ours(connection, lead) and lead.crm_id not in held
        if wanted:
            at = lead.modified_at
            stamp = "" if at is None else f"{at.timestamp():.0f}"
            key = f"catch-up:{lead.crm_id}:{stamp}"
            events.append(InboundEvent(kind="updated", crm_lead_id=lead.crm_id, key=key, at=at))
    if not events:
        return 0
    with service.db.write() as conn:
        return keep_events(conn, tenant_id, crm, events)
