"""The team: managers (working hours, absences, pauses), live status, policy, settings."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import Connection, select

from fairlead.policy import Absence
from fairlead.records import InputError, InputWarning, Manager, Policy
from fairlead.service._api_leads import At, now_or
from fairlead.service._auth import authenticate, service_of
from fairlead.service._errors import ApiError, from_input_error
from fairlead.service._logging import LOGGER
from fairlead.service._models import (
    AbsenceIn,
    ManagerIn,
    ManagerOut,
    PauseIn,
    PolicyOut,
    status_dict,
)
from fairlead.service._routers import TeamRouter, check_setup
from fairlead.service._tables import managers as managers_table
from fairlead.service._tables import tenants
from fairlead.service._teams import (
    TeamSettings,
    add_absence,
    policy_versions,
    put_manager,
    remove_manager,
    set_policy,
)

api = APIRouter(prefix="/v1", tags=["team"])


@contextmanager
def _changing(request: Request, tenant_id: str) -> Iterator[Connection]:
    """A change of the team's setup: under its row lock, checked, then every router rebuilt.

    A change that would leave the team with a setup no router can run (an absence
    that ends before it starts, a setting out of its domain) is refused with the
    router's own message, and nothing is stored.
    """
    service = service_of(request)
    with service.db.write() as conn:
        if service.db.lock_team(conn, tenant_id) is None:
            raise ApiError(404, f"no team {tenant_id!r}", field="tenant", value=tenant_id)
        yield conn
        check_setup(conn, tenant_id)
    service.routers.forget(tenant_id)


def _manager_out(team: TeamRouter | None, manager: Manager, status: Any) -> ManagerOut:
    hours = None if team is None else team.setup.hours.get(manager.id)
    return ManagerOut(
        manager=manager.model_dump(mode="json"),
        hours=hours,
        status=None if status is None else status_dict(status),
    )


@api.get("/managers", response_model=list[ManagerOut], summary="The team, with live figures")
def list_managers(request: Request, at: At = None) -> list[ManagerOut]:
    """Every manager: record, working hours, open leads against capacity, fair share."""
    caller = authenticate(request, "read")
    when = now_or(at)

    def work(team: TeamRouter, conn: Connection) -> list[ManagerOut]:
        status = {s.manager_id: s for s in team.router.status(when)}
        return [_manager_out(team, m, status.get(m.id)) for m in team.setup.managers]

    return service_of(request).routers.read(caller.tenant_id, work)


@api.get("/managers/{manager_id}", response_model=ManagerOut, summary="One manager")
def get_manager(manager_id: str, request: Request, at: At = None) -> ManagerOut:
    """A manager's record, working hours and live figures."""
    for out in list_managers(request, at):
        if out.manager["id"] == manager_id:
            return out
    raise ApiError(
        404, f"no manager {manager_id!r} on the team", field="manager_id", ident=manager_id
    )


@api.put("/managers/{manager_id}", response_model=ManagerOut, summary="Add or update a manager")
def put_manager_route(manager_id: str, body: ManagerIn, request: Request) -> ManagerOut:
    """Add a manager to the team, or change one (skills, level, capacity, hours).

    A manager's open leads from outside fairlead go in ``active_leads`` when they join;
    afterwards fairlead keeps the count itself.
    """
    caller = authenticate(request, "write")
    if body.id is not None and body.id != manager_id:
        raise ApiError(
            422,
            f"the body's id {body.id!r} is not the path's {manager_id!r}",
            field="id",
            ident=manager_id,
            value=body.id,
        )
    fields = body.model_dump(exclude={"id", "hours"})
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", InputWarning)
            manager = Manager(id=manager_id, **fields)
    except InputError as exc:
        raise from_input_error(exc, manager_id) from None
    said = [str(w.message) for w in caught if issubclass(w.category, InputWarning)]
    for text in said:
        LOGGER.warning(text, extra={"team": caller.tenant_id})
    with _changing(request, caller.tenant_id) as conn:
        put_manager(conn, caller.tenant_id, manager, body.hours)
    return ManagerOut(
        manager=manager.model_dump(mode="json"), hours=body.hours, status=None, warnings=said
    )


@api.delete("/managers/{manager_id}", status_code=204, summary="Take a manager off the team")
def delete_manager(manager_id: str, request: Request) -> None:
    """The manager gets no more leads; their decisions and KPIs stay."""
    caller = authenticate(request, "write")
    with _changing(request, caller.tenant_id) as conn:
        if not remove_manager(conn, caller.tenant_id, manager_id):
            raise ApiError(
                404, f"no manager {manager_id!r} on the team", field="manager_id", ident=manager_id
            )


def _known(request: Request, tenant_id: str, manager_id: str) -> None:
    with service_of(request).db.read() as conn:
        found = conn.execute(
            select(managers_table.c.manager_id).where(
                managers_table.c.tenant_id == tenant_id,
                managers_table.c.manager_id == manager_id,
            )
        ).first()
    if found is None:
        raise ApiError(
            404, f"no manager {manager_id!r} on the team", field="manager_id", ident=manager_id
        )


@api.post("/managers/{manager_id}/pause", status_code=204, summary="Stop routing to a manager")
def pause(manager_id: str, request: Request, body: PauseIn | None = None, at: At = None) -> None:
    """No new leads until resumed; the missed share is made up as the team's catch-up says."""
    caller = authenticate(request, "write")
    _known(request, caller.tenant_id, manager_id)
    reason = "paused" if body is None else body.reason
    when = now_or(at)
    service_of(request).routers.write(
        caller.tenant_id, lambda team, conn: team.router.pause(manager_id, when, reason)
    )


@api.post("/managers/{manager_id}/resume", status_code=204, summary="Route to a manager again")
def resume(manager_id: str, request: Request, at: At = None) -> None:
    """Leads flow again; catch-up applies from now."""
    caller = authenticate(request, "write")
    _known(request, caller.tenant_id, manager_id)
    when = now_or(at)
    service_of(request).routers.write(
        caller.tenant_id, lambda team, conn: team.router.resume(manager_id, when)
    )


@api.post(
    "/managers/{manager_id}/absences", status_code=201, summary="Add a vacation or sick leave"
)
def absence(manager_id: str, body: AbsenceIn, request: Request) -> dict[str, Any]:
    """Dates are whole days in the manager's time zone, both included."""
    caller = authenticate(request, "write")
    if body.manager_id is not None and body.manager_id != manager_id:
        raise ApiError(
            422,
            f"the body's manager_id {body.manager_id!r} is not the path's {manager_id!r}",
            field="manager_id",
            value=body.manager_id,
        )
    _known(request, caller.tenant_id, manager_id)
    try:
        record = Absence(manager_id=manager_id, start=body.start, end=body.end, reason=body.reason)
    except InputError as exc:  # the one rule across fields: the end before the start
        field = exc.field if exc.field not in (None, "record") else "end"
        raise ApiError(422, str(exc), field=field, ident=manager_id, value=exc.value) from None
    with _changing(request, caller.tenant_id) as conn:
        add_absence(conn, caller.tenant_id, record)
    return record.model_dump(mode="json")


@api.get("/policy", response_model=PolicyOut, summary="The team's policy")
def get_policy(request: Request) -> PolicyOut:
    """The policy in force and its version."""
    caller = authenticate(request, "read")
    with service_of(request).db.read() as conn:
        versions = policy_versions(conn, caller.tenant_id)
    if not versions:  # the team was deleted (its key may be cached for a few seconds)
        raise ApiError(404, f"no team {caller.tenant_id!r}", field="tenant")
    latest = versions[0]
    return PolicyOut(version=latest["version"], policy=Policy(**latest["policy"]))


@api.get("/policy/versions", summary="Every version of the team's policy")
def get_policy_versions(request: Request) -> list[dict[str, Any]]:
    """Newest first, with when and by which key each was set."""
    caller = authenticate(request, "read")
    with service_of(request).db.read() as conn:
        versions = policy_versions(conn, caller.tenant_id)
    if not versions:  # the team was deleted (its key may be cached for a few seconds)
        raise ApiError(404, f"no team {caller.tenant_id!r}", field="tenant")
    return versions


@api.put("/policy", response_model=PolicyOut, summary="Set a new version of the policy")
def put_policy(policy: Policy, request: Request) -> PolicyOut:
    """The new policy holds for every decision from now on (an admin key)."""
    caller = authenticate(request, "admin")
    with _changing(request, caller.tenant_id) as conn:
        version = set_policy(conn, caller.tenant_id, policy, f"key {caller.key_id}")
    return PolicyOut(version=version, policy=policy)


@api.get("/settings", response_model=TeamSettings, summary="The team's routing settings")
def get_settings(request: Request) -> TeamSettings:
    """SLA, catch-up after absences, fading of fair counts, longest hold."""
    caller = authenticate(request, "read")
    with service_of(request).db.read() as conn:
        text = conn.execute(
            select(tenants.c.settings).where(tenants.c.id == caller.tenant_id)
        ).scalar_one_or_none()
    if text is None:
        raise ApiError(404, f"no team {caller.tenant_id!r}", field="tenant")
    return TeamSettings.model_validate_json(text)


@api.put("/settings", response_model=TeamSettings, summary="Change the team's routing settings")
def put_settings(settings: TeamSettings, request: Request) -> TeamSettings:
    """New settings hold from now on (an admin key)."""
    caller = authenticate(request, "admin")
    with _changing(request, caller.tenant_id) as conn:
        conn.execute(
            tenants.update()
            .where(tenants.c.id == caller.tenant_id)
            .values(settings=settings.model_dump_json(), revision=tenants.c.revision + 1)
        )
    return settings


@api.get("/status", summary="Each manager's load and fair-share accounts")
def status(request: Request, at: At = None) -> list[dict[str, Any]]:
    """Open leads against capacity, availability, fair count against fair share."""
    caller = authenticate(request, "read")
    when = now_or(at)
    found = service_of(request).routers.read(
        caller.tenant_id, lambda team, conn: team.router.status(when)
    )
    return [{"manager_id": s.manager_id, **status_dict(s)} for s in found]
