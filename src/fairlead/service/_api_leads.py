"""Routing: one lead, a batch, the waiting queue, the SLA, prices."""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection
from starlette.datastructures import Headers, QueryParams
from starlette.types import Receive, Scope

from fairlead.plan import InfeasibleError, PolicyBrokenWarning, assign
from fairlead.records import InputError, Lead, Manager, Policy
from fairlead.router import Decision
from fairlead.service._auth import authenticate, authenticate_async, service_of
from fairlead.service._crm_store import queue_new_owners
from fairlead.service._errors import ApiError, from_input_error
from fairlead.service._event_log import record
from fairlead.service._idempotency import check_key, fingerprint, once
from fairlead.service._models import BatchIn, BatchOut, DecisionOut, OverdueOut
from fairlead.service._moments import checked, parse
from fairlead.service._reprice import reprice_team
from fairlead.service._routers import TeamRouter
from fairlead.service._service import Service
from fairlead.solvers import get_solver

api = APIRouter(prefix="/v1", tags=["routing"])

At = Annotated[
    str | None,
    Query(
        description="The moment of the request, ISO 8601 (default now); naive times are UTC.",
        examples=["2026-11-02T09:30:00+03:00"],
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A replay with the same key returns the first answer; "
        "another request under the same key is 409.",
    ),
]


def now_or(at: str | datetime | None) -> datetime:
    """``at`` (ISO 8601 text or a datetime) as an aware, checked time; ``None``: now."""
    if isinstance(at, datetime):
        return checked(at, "at")
    return parse(at, "at")


def lead_rows(lead: Lead, decision: Decision) -> list[dict[str, Any]]:
    """The KPI log's rows for a routed lead: ``created`` and ``assigned``."""
    at = decision.at.timestamp()
    created_at = lead.created_at.timestamp() if lead.created_at is not None else at
    rows: list[dict[str, Any]] = [
        {
            "event_id": f"{lead.id}:created",
            "type": "created",
            "at": min(created_at, at),
            "lead_id": lead.id,
            "source": lead.source,
            "product": lead.product,
            "segment": lead.segment,
            "tier": None if lead.tier is None else str(lead.tier),
            "score": lead.score,
            "deal_value": lead.deal_value,
        }
    ]
    if decision.manager_id is not None:
        rows.append(assigned_row(decision))
    return rows


def assigned_row(decision: Decision) -> dict[str, Any]:
    """The KPI log's ``assigned`` row of a decision that gave a lead to a manager."""
    at = decision.at.timestamp()
    return {
        "event_id": f"{decision.lead_id}:assigned:{decision.kind}:{at:.6f}",
        "type": "assigned",
        "at": at,
        "lead_id": decision.lead_id,
        "manager_id": decision.manager_id,
        "method": "fairlead",
        "assigned_by": f"fairlead ({decision.kind})",
    }


@api.post(
    "/leads",
    response_model=DecisionOut,
    summary="Route one lead",
    responses={409: {"description": "Idempotency-Key used for another request"}},
)
async def route_lead(
    lead: Lead, request: Request, at: At = None, idempotency_key: IdempotencyKey = None
) -> Any:
    """Give the lead to the best manager the team's policy allows, now.

    The same lead id again returns its first decision (``replayed: true``). A lead
    nobody can take now waits (``status: waiting``) and is placed as soon as someone
    can (``POST /v1/leads/waiting/route``, and every minute).
    """
    caller = await authenticate_async(request, "write")
    service = service_of(request)
    key = None if idempotency_key is None else check_key(idempotency_key)
    when = now_or(at)
    if lead.created_at is not None:
        checked(lead.created_at, "created_at", ident=lead.id)
    print_ = (
        "" if key is None else fingerprint("POST", "/v1/leads", lead.model_dump_json().encode())
    )

    def work(team: TeamRouter, conn: Connection) -> tuple[int, Any, bool]:
        def produce() -> tuple[int, Any]:
            try:
                decision = team.router.route(lead, when)
            except InputError as exc:
                raise from_input_error(exc, lead.id) from None
            if not decision.replayed:
                # A lead that waited was logged as created then: kept once (by event id).
                record(conn, caller.tenant_id, lead_rows(lead, decision), team.store.writes)
            return 200, DecisionOut.of(decision).model_dump(mode="json")

        return once(conn, caller.tenant_id, key, print_, produce, team.store.writes)

    routers = service.routers
    # Without a key the work reads nothing but the lead's decision: it may assume none.
    new = key is None
    status, body, replayed = await routers.write_async(
        caller.tenant_id, work, lead_id=lead.id, new=new
    )
    outcome = "replayed" if replayed or body.get("replayed") else body["status"]
    service.metrics.decisions.labels(outcome).inc()
    return JSONResponse(body, status_code=status)


_LEADS_ROUTE = next(r for r in api.routes if getattr(r, "name", "") == "route_lead")


async def route_lead_directly(scope: Scope, receive: Receive, body: bytes) -> Response | None:
    """``POST /v1/leads`` for a well-formed lead, without the framework's routing.

    Routing one lead is the request a CRM sends most; the framework's route matching,
    parameter resolution and thread hop cost about as much as the decision. A JSON
    object that is a valid lead, with no query but ``at``, goes straight to
    :func:`route_lead`; the answer is the same. Anything else (no body, bad JSON, an
    invalid lead, another query, an error of any kind, nothing written by then) returns
    ``None``, and the request takes the framework's path, whose answer and error
    messages are the reference.
    """
    query = QueryParams(scope["query_string"]).multi_items()
    if query and (len(query) > 1 or query[0][0] != "at"):
        return None
    headers = Headers(scope=scope)
    if headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        return None
    try:
        found = json.loads(body)
        if not isinstance(found, dict):
            return None
        lead = Lead.model_validate(found, from_attributes=True)
        scope["route"] = _LEADS_ROUTE
        return await route_lead(  # type: ignore[no-any-return]
            lead,
            Request(scope, receive),
            at=query[0][1] if query else None,
            idempotency_key=headers.get("idempotency-key"),
        )
    except Exception:  # the framework's path answers it, with its own messages
        scope.pop("route", None)
        return None


@api.get("/leads/waiting", response_model=list[str], summary="Leads waiting for a manager")
def waiting(request: Request) -> list[str]:
    """Ids of the leads nobody could take yet, oldest first."""
    caller = authenticate(request, "read")
    service = service_of(request)
    ids = service.routers.read(caller.tenant_id, lambda team, conn: team.router.waiting())
    service.metrics.waiting.labels(caller.tenant_id).set(len(ids))
    return ids


@api.post(
    "/leads/waiting/route", response_model=list[DecisionOut], summary="Place the waiting leads"
)
def route_waiting(request: Request, at: At = None) -> list[DecisionOut]:
    """Place the waiting leads as one batch within the fair band; returns those placed."""
    caller = authenticate(request, "write")
    placed = place_waiting(service_of(request), caller.tenant_id, now_or(at))
    return [DecisionOut.of(d) for d in placed]


def place_waiting(service: Service, tenant_id: str, when: datetime) -> list[Decision]:
    """Route a team's waiting leads and log their assignments."""

    def work(team: TeamRouter, conn: Connection) -> list[Decision]:
        placed = team.router.route_waiting(when)
        given = [d for d in placed if d.manager_id is not None]
        record(conn, tenant_id, [assigned_row(d) for d in given], team.store.writes)
        if queue_new_owners(conn, tenant_id, {d.lead_id: str(d.manager_id) for d in given}):
            service.crm_wake.set()
        return placed

    return service.routers.write(tenant_id, work)


@api.get("/leads/{lead_id}", response_model=DecisionOut, summary="A lead's current decision")
def lead_decision(lead_id: str, request: Request) -> DecisionOut:
    """Who holds the lead now (after reassignments), and why."""
    caller = authenticate(request, "read")
    service = service_of(request)
    decision = service.routers.read(
        caller.tenant_id, lambda team, conn: team.router.decision(lead_id)
    )
    if decision is None:
        raise ApiError(404, f"no lead {lead_id!r} was routed", field="lead_id", ident=lead_id)
    return DecisionOut.of(decision)


@api.post("/assign", response_model=BatchOut, summary="Assign a batch of leads as one plan")
def assign_batch(batch: BatchIn, request: Request, at: At = None) -> BatchOut:
    """The optimal fair plan for a list of leads, under the team's policy and loads.

    Managers' current open leads (from the live router) count against their limits,
    and managers away or paused at ``at`` are left out. The plan is an answer, not a
    decision: route the leads one by one (``POST /v1/leads``) to give them out.
    """
    caller = authenticate(request, "read")
    service = service_of(request)
    when = now_or(at)

    def work(team: TeamRouter, conn: Connection) -> tuple[list[Manager], Policy, int]:
        status = {s.manager_id: s for s in team.router.status(when)}
        managers = [
            m.model_copy(
                update={
                    "active_leads": round(status[m.id].open),
                    "available": status[m.id].available,
                }
            )
            for m in team.setup.managers
        ]
        return managers, team.setup.policy, team.setup.policy_version

    if batch.method != "auto":
        try:
            get_solver(batch.method)
        except InputError as exc:  # the solvers' own words: the known names listed
            raise ApiError(422, str(exc), field="method", value=batch.method) from None
    managers, policy, version = service.routers.read(caller.tenant_id, work)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PolicyBrokenWarning)
            plan = assign(batch.leads, managers, policy=policy, method=batch.method)
    except InfeasibleError as exc:  # the policy rule that cannot hold, in words
        raise ApiError(409, str(exc), field="policy") from None
    except InputError as exc:
        raise from_input_error(exc) from None
    broken = [w for w in caught if issubclass(w.category, PolicyBrokenWarning)]
    if broken:  # a heuristic method's plan that breaks a rule is no answer
        raise ApiError(409, str(broken[0].message), field="method", value=batch.method)
    records = plan.to_records()
    return BatchOut(
        assignments=records,
        expected_value=plan.expected_value,
        unassigned=[r["lead_id"] for r in records if r.get("manager_id") is None],
        policy_version=version,
    )


@api.get("/sla/overdue", response_model=list[OverdueOut], summary="Leads overdue for contact")
def overdue(request: Request, at: At = None) -> list[OverdueOut]:
    """Leads not contacted within the team's SLA, most overdue first."""
    caller = authenticate(request, "read")
    service = service_of(request)
    when = now_or(at)
    late = service.routers.read(caller.tenant_id, lambda team, conn: team.router.overdue(when))
    return [OverdueOut.of(x) for x in late]


@api.post("/sla/reassign", response_model=list[DecisionOut], summary="Reassign the overdue leads")
def reassign(request: Request, at: At = None) -> list[DecisionOut]:
    """Move each overdue lead to the next best available manager, saying why."""
    caller = authenticate(request, "write")
    service = service_of(request)
    when = now_or(at)

    def work(team: TeamRouter, conn: Connection) -> list[Decision]:
        moved = team.router.reassign_overdue(when)
        given = [d for d in moved if d.kind == "reassigned"]
        record(conn, caller.tenant_id, [assigned_row(d) for d in given], team.store.writes)
        owners = {d.lead_id: str(d.manager_id) for d in given}
        if queue_new_owners(conn, caller.tenant_id, owners):
            service.crm_wake.set()
        return moved

    return [DecisionOut.of(d) for d in service.routers.write(caller.tenant_id, work)]


@api.post("/reprice", response_model=dict[str, float], summary="Refresh the managers' prices")
def reprice(request: Request, at: At = None) -> dict[str, float]:
    """New prices from a batch solve of the team's recent leads (done hourly anyway)."""
    caller = authenticate(request, "write")
    return reprice_team(service_of(request), caller.tenant_id, now_or(at))
