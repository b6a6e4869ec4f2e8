"""A dry run of a team's CRM connection: credentials, mapping and what fairlead would do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fairlead.connectors import CrmError, mapping_from
from fairlead.records import InputError
from fairlead.router import Router
from fairlead.service._crm_limit import shared_connector
from fairlead.service._crm_store import keep_tokens, load_connection
from fairlead.service._database import Database
from fairlead.service._teams import read_setup


@dataclass(frozen=True)
class CheckedLead:
    """One recent CRM lead: its owner now, and who fairlead would give it to (or why not)."""

    crm_id: str
    title: str | None
    owner: str | None
    would_give_to: str | None
    reason: str


@dataclass(frozen=True)
class ConnectionCheck:
    """What a dry run found: nothing is written to the CRM or to the team's books."""

    crm: str
    users: int
    managers: list[str]
    not_on_team: list[str]
    leads: list[CheckedLead] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def check_connection(db: Database, tenant_id: str, crm: str, *, last: int = 20) -> ConnectionCheck:
    """A dry run: the CRM's users and last leads read and decided, nothing written.

    The leads are decided oldest first on a copy of the team's managers and policy
    that starts with no open leads, so the answer shows the mapping and the rules at
    work, not the team's day. Credentials the CRM refuses, and a lead the mapping
    cannot read, are in ``problems``.
    """
    with db.read() as conn:
        connection = load_connection(conn, tenant_id, crm)
        setup = read_setup(conn, tenant_id)
    if connection is None or setup is None:
        raise InputError(
            f"team {tenant_id!r} has no {crm} connection: connect it first", field="crm", value=crm
        )
    mapping = mapping_from(connection.mapping)
    connector = shared_connector(db, connection)
    problems: list[str] = []
    try:
        users = connector.users()
        recent = connector.recent_leads(last)
    except CrmError as exc:
        return ConnectionCheck(crm, 0, [], [], problems=[f"the CRM refused: {exc}"])
    finally:
        keep_tokens(db, tenant_id, crm, connector)
        connector.close()
    managers = [m.id for m in mapping.managers_of(users)]
    team = {m.id for m in setup.managers}
    router = Router(setup.managers, setup.policy)
    now = datetime.now(UTC)
    checked = []
    for crm_lead in reversed(recent):  # oldest first, as they came
        try:
            lead = mapping.lead(crm_lead, crm=crm)
            decision = router.route(lead, now)
        except InputError as exc:
            problems.append(str(exc))
            checked.append(
                CheckedLead(crm_lead.crm_id, crm_lead.title, crm_lead.owner, None, str(exc))
            )
            continue
        checked.append(
            CheckedLead(
                crm_lead.crm_id,
                crm_lead.title,
                crm_lead.owner,
                decision.manager_id,
                decision.reason,
            )
        )
    router.close()
    return ConnectionCheck(
        crm=crm,
        users=len(users),
        managers=managers,
        not_on_team=sorted(set(managers) - team),
        leads=list(reversed(checked)),
        problems=problems,
    )
