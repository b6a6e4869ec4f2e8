"""A CRM connection at work: webhook events acted on, owners written back.

Two steps, each safe to repeat and to interrupt:

1. **Events** (:func:`handle_events`): the inbox's due events of a connection are
   read, their leads fetched from the CRM in one request, and each acted on in a
   transaction of the team: a new lead is mapped and routed, and its owner queued in
   the outbox *in the same transaction* as the decision, so a crash leaves either
   both or neither. A lead fairlead knows is followed: the CRM's echo of fairlead's
   own write changes nothing; a lead closed in the CRM frees its manager's slot and
   goes to the KPI log as won or lost; an owner set by a person is recorded.
2. **Write-back** (:func:`send_owners`): due outbox rows go to the CRM in batches of
   the connector's size; a refused or failed write is tried again with backoff, and
   marked failed (shown on the dashboard, retried by hand) when the tries run out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from fairlead.connectors import (
    ConnectionClosedError,
    Connector,
    CrmError,
    CrmLead,
    CrmMapping,
    mapping_from,
)
from fairlead.records import InputError, Lead
from fairlead.service._api_leads import lead_rows
from fairlead.service._crm_store import (
    ATTEMPTS,
    CrmConnection,
    claim,
    due_events,
    due_writes,
    known_lead,
    queue_owner,
    release,
    remember_lead,
    settle_event,
    settle_write,
)
from fairlead.service._errors import ApiError
from fairlead.service._event_log import record
from fairlead.service._logging import LOGGER
from fairlead.service._routers import TeamRouter
from fairlead.service._service import Service
from fairlead.service._tables import crm_inbox, crm_outbox

#: Seconds of a lead's creation before the connection's that still count as after it:
#: the CRM's clock and this one's differ.
CLOCK_SLACK = 60.0


def handle_events(service: Service, connection: CrmConnection) -> int:
    """Act on the connection's due inbox events; how many were settled."""
    tenant_id, crm = connection.tenant_id, connection.crm
    with service.db.write() as conn:
        due = claim(conn, crm_inbox, due_events(conn, tenant_id, crm))
    if not due:
        return 0
    try:
        return _handle(service, connection, due)
    except BaseException:
        # Not settled: given back at once, not held for the lease (a restart takes them).
        with service.db.write() as conn:
            release(conn, crm_inbox, due)
        raise


def _handle(service: Service, connection: CrmConnection, due: list[Any]) -> int:
    connector = service.connector(connection)
    # Deleted ones too: a deletion is taken only when the CRM no longer has the lead (an
    # address that holds the only secret must not be enough to free a manager's slot).
    wanted = [e.crm_lead_id for e in due]
    try:
        leads = connector.fetch_leads(wanted)
    except ConnectionClosedError:
        raise  # this process is stopping: the events are given back
    except CrmError as exc:  # the CRM is out or over its limit: every event waits
        with service.db.write() as conn:
            for event in due:
                settle_event(conn, event.id, str(exc), event.attempts + 1, outage=exc.retryable)
        LOGGER.warning(f"{connection.crm}: {len(due)} lead(s) cannot be read now, tried again "
                       f"later: {exc}", extra={"team": connection.tenant_id})  # fmt: skip
        return 0
    mapping = mapping_from(connection.mapping)
    errors = _act(service, connection, mapping, due, leads)
    with service.db.write() as conn:
        for event in due:
            error = errors.get(event.id)
            # A lead the mapping cannot read (or the rules cannot route): trying again
            # gives the same answer, so the event fails at once, with the reason.
            settle_event(conn, event.id, error, ATTEMPTS if error else event.attempts + 1)
    return len(due)


def _act(
    service: Service,
    connection: CrmConnection,
    mapping: CrmMapping,
    due: list[Any],
    leads: dict[str, CrmLead | None],
) -> dict[int, str]:
    """Act on a turn's events: new leads routed together, known ones followed; the errors."""
    tenant_id, crm = connection.tenant_id, connection.crm
    errors: dict[int, str] = {}
    fresh: dict[str, tuple[int, CrmLead, Lead]] = {}
    for event in due:
        crm_lead = leads.get(event.crm_lead_id)
        if crm_lead is None:
            _deleted(service, connection, event.crm_lead_id)  # gone from the CRM
            continue
        if crm_lead.crm_id in fresh:
            continue  # another event of the same lead
        try:
            with service.db.read() as conn:
                known = known_lead(conn, tenant_id, crm, crm_lead.crm_id)
            if known is not None:
                _follow_known(service, connection, known, crm_lead)
            elif is_ours(connection, crm_lead):
                fresh[crm_lead.crm_id] = (event.id, crm_lead, mapping.lead(crm_lead, crm=crm))
        except (InputError, ApiError) as exc:
            errors[event.id] = str(exc)
    if fresh:
        errors.update(_route(service, connection, list(fresh.values())))
    for error in errors.values():
        LOGGER.warning(f"{crm} lead could not be taken: {error}", extra={"team": tenant_id})
    return errors


def _deleted(service: Service, connection: CrmConnection, crm_lead_id: str) -> None:
    """A lead deleted in the CRM: its manager's slot frees up (no sale, no loss)."""
    tenant_id, crm = connection.tenant_id, connection.crm
    with service.db.read() as conn:
        known = known_lead(conn, tenant_id, crm, crm_lead_id)
    if known is None or known.outcome is not None:
        return
    lead_id = str(known.lead_id)

    def work(team: TeamRouter, conn: Connection) -> None:
        decision = team.router.decision(lead_id)
        if decision is not None and decision.manager_id is not None:
            team.router.release(lead_id, "closed", datetime.now(UTC))
        remember_lead(
            conn, tenant_id, crm, crm_lead_id,
            lead_id=lead_id, owner_written=known.owner_written, owner_seen=known.owner_seen,
            stage=known.stage, outcome="closed",
        )  # fmt: skip

    service.routers.write(tenant_id, work)


def is_ours(connection: CrmConnection, crm_lead: CrmLead) -> bool:
    """Whether a lead fairlead does not know is its to route: an open one made since connecting.

    An older lead, edited now, is the CRM's own: its owner stays.
    """
    if crm_lead.outcome is not None:
        return False
    created = crm_lead.created_at
    # A minute's slack: the CRM's clock and this one's differ.
    return created is None or created.timestamp() >= connection.created_at - CLOCK_SLACK


def has_news(known: Any, crm_lead: CrmLead) -> bool:
    """Whether the CRM's lead says more than fairlead knows of it (``known``, its row).

    An owner fairlead wrote, or one seen before, is not news: that is how the CRM's
    echo of fairlead's own write changes nothing.
    """
    owner = crm_lead.owner
    by_person = owner is not None and owner not in (known.owner_written, known.owner_seen)
    closes = crm_lead.outcome is not None and known.outcome is None
    return by_person or closes or crm_lead.stage != known.stage


def _route(
    service: Service, connection: CrmConnection, fresh: list[tuple[int, CrmLead, Lead]]
) -> dict[int, str]:
    """Route new leads in one transaction of the team; each one's owner queued with it.

    One transaction for the turn's new leads (a backlog of a thousand leads comes in
    batches of the CRM's page): a lead the rules cannot route is refused alone.
    """
    tenant_id, crm = connection.tenant_id, connection.crm
    when = datetime.now(UTC)

    def work(team: TeamRouter, conn: Connection) -> dict[int, str]:
        refused: dict[int, str] = {}
        for event_id, crm_lead, lead in fresh:
            try:
                decision = team.router.route(lead, when)
            except InputError as exc:
                refused[event_id] = f"{crm} lead {crm_lead.crm_id!r}: {exc}"
                continue
            if not decision.replayed:
                record(conn, tenant_id, lead_rows(lead, decision), team.store.writes)
            owner = decision.manager_id
            remember_lead(
                conn, tenant_id, crm, crm_lead.crm_id,
                lead_id=lead.id, owner_written=owner, owner_seen=crm_lead.owner,
                stage=crm_lead.stage, outcome=None,
            )  # fmt: skip
            if owner is not None and owner != crm_lead.owner:
                queue_owner(conn, tenant_id, crm, crm_lead.crm_id, owner)
            LOGGER.info(
                f"{crm} lead {crm_lead.crm_id!r}: "
                + (f"given to {owner!r}" if owner is not None else "waits: nobody can take it now"),
                extra={"team": tenant_id},
            )
        return refused

    return service.routers.write(tenant_id, work)


def _follow_known(
    service: Service, connection: CrmConnection, known: Any, crm_lead: CrmLead
) -> None:
    tenant_id, crm = connection.tenant_id, connection.crm
    lead_id = str(known.lead_id)
    if not has_news(known, crm_lead):
        return  # the CRM's echo of fairlead's own write, or a change seen before
    owner = crm_lead.owner
    by_person = owner is not None and owner not in (known.owner_written, known.owner_seen)
    closes = crm_lead.outcome is not None and known.outcome is None
    when = crm_lead.modified_at or datetime.now(UTC)

    def work(team: TeamRouter, conn: Connection) -> None:
        if by_person and known.outcome is None:
            _moved_by_person(team, conn, tenant_id, crm, lead_id, str(owner), when)
            LOGGER.info(f"{crm} lead {crm_lead.crm_id!r}: given to {owner!r} by a person in the "
                        "CRM; fairlead's books follow", extra={"team": tenant_id})  # fmt: skip
        if crm_lead.stage is not None and crm_lead.stage != known.stage and not closes:
            # A stage on the way (the funnel's KPIs count them).
            at = when.timestamp()
            stage_row = {
                "event_id": f"{crm}:{crm_lead.crm_id}:stage:{crm_lead.stage}:{at:.0f}",
                "type": "stage",
                "at": at,
                "lead_id": lead_id,
                "stage": crm_lead.stage,
            }
            decision = team.router.decision(lead_id)
            if decision is not None and decision.manager_id is not None:
                stage_row["manager_id"] = decision.manager_id
            record(conn, tenant_id, [stage_row], team.store.writes)
            LOGGER.info(f"{crm} lead {crm_lead.crm_id!r}: stage {crm_lead.stage!r}",
                        extra={"team": tenant_id})  # fmt: skip
        if closes:
            decision = team.router.decision(lead_id)
            if decision is not None and decision.manager_id is not None:
                team.router.release(lead_id, crm_lead.outcome, when)  # type: ignore[arg-type]
                row: dict[str, Any] = {
                    # The id a history import gives it too: recorded once either way.
                    "event_id": f"{crm}:{crm_lead.crm_id}:{crm_lead.outcome}",
                    "type": crm_lead.outcome,
                    "at": when.timestamp(),
                    "lead_id": lead_id,
                    "manager_id": decision.manager_id,
                }
                if crm_lead.outcome == "won" and crm_lead.amount is not None:
                    row["amount"] = crm_lead.amount
                record(conn, tenant_id, [row], team.store.writes)
                LOGGER.info(f"{crm} lead {crm_lead.crm_id!r}: {crm_lead.outcome} in the CRM; "
                            f"{decision.manager_id!r} has a place free",
                            extra={"team": tenant_id})  # fmt: skip
        remember_lead(
            conn, tenant_id, crm, crm_lead.crm_id,
            lead_id=lead_id, owner_written=known.owner_written,
            owner_seen=owner if owner is not None else known.owner_seen,
            stage=crm_lead.stage, outcome=crm_lead.outcome or known.outcome,
        )  # fmt: skip

    service.routers.write(tenant_id, work)


def _moved_by_person(
    team: TeamRouter,
    conn: Connection,
    tenant_id: str,
    crm: str,
    lead_id: str,
    owner: str,
    when: datetime,
) -> None:
    """A person gave the lead to ``owner`` in the CRM: the books and the KPI log follow."""
    try:
        decision = team.router.transfer(lead_id, owner, when, by=f"a person in {crm}")
    except InputError as exc:
        # Someone outside the team (or a lead still waiting): fairlead's books keep it
        # where they had it; the log says who holds it now.
        LOGGER.info(f"{crm} lead {lead_id!r} given to {owner!r} in the CRM: {exc}",
                    extra={"team": tenant_id})  # fmt: skip
        return
    if decision.replayed:
        return
    at = decision.at.timestamp()
    row = {
        "event_id": f"{crm}:{lead_id}:assigned:{at:.6f}",
        "type": "assigned",
        "at": at,
        "lead_id": lead_id,
        "manager_id": owner,
        "method": crm,
        "assigned_by": f"a person in {crm}",
    }
    record(conn, tenant_id, [row], team.store.writes)


def send_owners(service: Service, connection: CrmConnection) -> int:
    """Write the connection's due owners back to the CRM; how many were sent."""
    tenant_id, crm = connection.tenant_id, connection.crm
    connector: Connector = service.connector(connection)
    sent = 0
    while True:
        with service.db.write() as conn:
            due = claim(conn, crm_outbox, due_writes(conn, tenant_id, crm, connector.write_batch))
        if not due:
            return sent
        owners = {str(w.crm_lead_id): str(w.owner) for w in due}
        try:
            refused = connector.write_owners(owners)
        except ConnectionClosedError:  # this process is stopping: another takes them
            with service.db.write() as conn:
                release(conn, crm_outbox, due)
            return sent
        except CrmError as exc:
            with service.db.write() as conn:
                for write in due:
                    settle_write(conn, write.id, str(exc), write.attempts + 1, outage=exc.retryable)
            LOGGER.warning(f"{crm}: {len(due)} owner(s) not written now, tried again later: "
                           f"{exc}", extra={"team": tenant_id})  # fmt: skip
            return sent
        with service.db.write() as conn:
            for write in due:
                error = refused.get(str(write.crm_lead_id))
                settle_write(conn, write.id, error, write.attempts + 1)
                sent += error is None
        refusals = sum(1 for error in refused.values() if error)
        LOGGER.info(
            f"{crm}: {len(due) - refusals} owner(s) written back"
            + (f", {refusals} refused" if refusals else ""),
            extra={"team": tenant_id},
        )
        if len(due) < connector.write_batch:
            return sent
