"""KPIs, the sales plan and the rating of a team, as ``fairlead.kpi`` computes them.

Every answer is for the caller's team only: its KPI event log (what the service logged
while routing, and the events the CRM reported), its managers, policy and time zone,
and the newest version of its sales plan. The figures are those of
:func:`fairlead.kpi.compute` on that log; ``docs/kpi.md`` defines each of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request

import fairlead.kpi as kpi
from fairlead.service._auth import authenticate, service_of
from fairlead.service._kpi_json import (
    alert_dict,
    kpi_body,
    plain_dict,
    plan_body,
    rating_body,
)
from fairlead.service._kpi_plans import plan_rows_of, store_plan
from fairlead.service._kpi_sources import (
    alerts_of,
    decomposition_of,
    kpis_of,
    plan_of,
    read_sources,
)

api = APIRouter(prefix="/v1", tags=["kpi"])

PeriodQuery = Annotated[
    Literal["day", "week", "month"],
    Query(description="The periods of the figures: days, weeks (Monday to Sunday) or months."),
]
SinceQuery = Annotated[
    datetime | None,
    Query(
        description="The first moment the figures cover (naive: UTC); earlier events are "
        "history. Default: the team's first event."
    ),
]
NowQuery = Annotated[
    datetime | None,
    Query(
        description="The moment the figures are taken (naive: UTC); not before the log's "
        "last event. Default: now."
    ),
]
MetricQuery = Annotated[
    list[str] | None,
    Query(description="Only these metrics (repeat the parameter for several)."),
]
ManagerQuery = Annotated[
    list[str] | None,
    Query(description="Only these managers' rows (repeat for several); no team rows then."),
]
LastQuery = Annotated[
    int | None, Query(ge=1, le=10_000, description="Only the latest this many periods.")
]
SplitQuery = Annotated[
    Literal["capacity", "performance"],
    Query(
        description="How a team-only plan is shared among the managers: by lead limit, or "
        "by lead limit times the rating's performance index."
    ),
]
WindowQuery = Annotated[
    int | None,
    Query(ge=1, le=10_000, description="Latest periods the rating covers (default a quarter)."),
]


@api.get("/kpi", summary="The team's KPIs per period and manager")
def get_kpi(
    request: Request,
    period: PeriodQuery = "week",
    since: SinceQuery = None,
    now: NowQuery = None,
    metric: MetricQuery = None,
    manager_id: ManagerQuery = None,
    last: LastQuery = None,
) -> dict[str, Any]:
    """Every metric of ``fairlead.kpi`` per period and manager, and the team's rows.

    ``rows`` hold one object per (period, manager) and one per period for the team
    (``manager_id`` null), each with every metric (null: no data, such as a response
    time with no contact yet). ``metrics`` say what each one means, in English and
    Russian. An empty log gives rows of zeros and nulls.
    """
    caller = authenticate(request, "read")
    src = read_sources(service_of(request), caller.tenant_id, now)
    kpis = kpis_of(src, period, since)
    return kpi_body(kpis, src, since=since, metrics=metric, managers=manager_id, last=last)


@api.get("/plan", summary="The sales plan, what it takes, and plan against fact")
def get_plan(
    request: Request,
    period: PeriodQuery = "week",
    since: SinceQuery = None,
    now: NowQuery = None,
    split: SplitQuery = "capacity",
) -> dict[str, Any]:
    """The newest plan, broken down into deals and leads per period, manager and week.

    ``fact`` compares each plan period with what happened: revenue won (so far) and,
    for the period under way, what the open deals and leads should still bring.
    ``period`` and ``since`` choose the KPIs the rates are read from. 404 when the
    team has no plan yet.
    """
    caller = authenticate(request, "read")
    src = read_sources(service_of(request), caller.tenant_id, now)
    plan = plan_of(src)
    kpis = kpis_of(src, period, since)
    return plan_body(plan, kpis, decomposition_of(src, plan, kpis, split), src)


@api.put("/plan", summary="Set a new version of the sales plan")
def put_plan(
    request: Request,
    rows: Annotated[
        list[dict[str, Any]],
        Body(
            description="Rows of period (2026-11 or a week's Monday, 2026-11-23), "
            "manager_id (null: the team) and revenue (>= 0)."
        ),
    ],
) -> dict[str, Any]:
    """Replace the team's sales plan (a write key); the old versions are kept.

    The rows are checked as ``fairlead.kpi.read_sales_plan`` checks a file: months or
    weeks, not both; each (period, manager) once; manager rows adding up to a team
    row within 0.5 %. A bad row is a 422 naming the row, the field and the value.
    """
    caller = authenticate(request, "write")
    plan = plan_rows_of(rows)
    stored = store_plan(service_of(request), caller.tenant_id, plan)
    return plain_dict(
        {
            "version": stored.version,
            "created_at": stored.created_at,
            "kind": plan.kind,
            "rows": plan.to_records(),
        }
    )


@api.get("/rating", summary="The managers rated against the team")
def get_rating(
    request: Request,
    period: PeriodQuery = "week",
    since: SinceQuery = None,
    now: NowQuery = None,
    window: WindowQuery = None,
) -> dict[str, Any]:
    """Plan, conversion, response time and client rating, each against the team's level.

    The score weighs the parts by the policy's ``rating_weights``; the plan part needs
    a sales plan and is left out (its weight spread) without one.
    """
    caller = authenticate(request, "read")
    src = read_sources(service_of(request), caller.tenant_id, now)
    kpis = kpis_of(src, period, since)
    rated = kpi.rating(
        kpis,
        None if src.plan is None else src.plan.plan,
        policy=src.setup.policy,
        window=window,
        managers=src.setup.managers or None,
    )
    return rating_body(rated, src)


@api.get("/alerts", summary="What needs attention now")
def get_alerts(
    request: Request,
    period: PeriodQuery = "week",
    since: SinceQuery = None,
    now: NowQuery = None,
) -> list[dict[str, Any]]:
    """Leads waiting for a first contact, revenue behind plan, overload, complaints, shares.

    Most urgent first, each with its figures and a sentence in English and Russian.
    A lead is late after the team's first-contact deadline (``sla`` of the settings;
    15 minutes without one).
    """
    caller = authenticate(request, "read")
    src = read_sources(service_of(request), caller.tenant_id, now)
    return [alert_dict(a) for a in alerts_of(src, kpis_of(src, period, since))]
