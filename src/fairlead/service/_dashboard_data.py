"""Everything the dashboard shows, read once, as the API's own answers.

The dashboard asks the same functions the API's routes ask, at one moment: today's
and this week's KPIs (``/v1/kpi?period=day`` and ``week``, the latest period), the
managers' live loads (``/v1/status``), the leads late for their first contact
(``/v1/sla/overdue``), plan against fact (``/v1/plan``) and the alerts
(``/v1/alerts``). The page then only formats these dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from fairlead.records import InputError
from fairlead.router import ManagerStatus, Overdue
from fairlead.service._crm_store import crm_outboxes
from fairlead.service._errors import ApiError
from fairlead.service._kpi_json import alert_dict, kpi_body, plan_body
from fairlead.service._kpi_sources import (
    Sources,
    alerts_of,
    decomposition_of,
    kpis_of,
    read_sources,
)
from fairlead.service._models import OverdueOut, status_dict
from fairlead.service._routers import TeamRouter
from fairlead.service._service import Service


@dataclass(frozen=True)
class Snapshot:
    """The dashboard's figures at one moment, each as its API route answers it.

    Attributes
    ----------
    src : Sources
        The team's setup, log and plan; ``src.now`` is the page's moment.
    today, week : dict
        ``/v1/kpi`` with ``period=day`` / ``week`` and ``last=1``.
    status : list of dict or None
        ``/v1/status``; None when the router cannot say (``problem``).
    overdue : list of dict or None
        ``/v1/sla/overdue``.
    plan : dict or None
        ``/v1/plan`` (None: no plan yet).
    alerts : list of dict
        ``/v1/alerts``.
    crm : list of dict
        Per CRM connection: ``crm``, the ``outbox`` counts of ``/v1/connectors/<crm>``
        and ``last_error`` (the latest failed write's reason, or None).
    problem : str
        Why the live figures are missing (a team with no managers yet), or "".
    """

    src: Sources
    today: dict[str, Any]
    week: dict[str, Any]
    status: list[dict[str, Any]] | None
    overdue: list[dict[str, Any]] | None
    plan: dict[str, Any] | None
    alerts: list[dict[str, Any]]
    crm: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""

    @property
    def has_deadline(self) -> bool:
        """Whether the team has a deadline for the first contact (an SLA)."""
        return self.src.setup.settings.sla is not None


def snapshot(service: Service, tenant_id: str, at: datetime | None) -> Snapshot:
    """The dashboard's figures for a team, at ``at`` (default: now)."""
    src = read_sources(service, tenant_id, at)
    day = kpis_of(src, "day")
    week = kpis_of(src, "week")
    plan = None
    if src.plan is not None:
        plan = plan_body(src.plan, week, decomposition_of(src, src.plan, week), src)
    status: list[dict[str, Any]] | None = None
    overdue: list[dict[str, Any]] | None = None
    problem = ""
    when = src.now

    def live(team: TeamRouter, conn: Connection) -> tuple[list[ManagerStatus], list[Overdue]]:
        return team.router.status(when), team.router.overdue(when)

    try:
        loads, late = service.routers.read(tenant_id, live)
    except ApiError as exc:  # a team with no managers yet has no router
        problem = exc.message
    except InputError as exc:  # a setup the router refuses: the KPIs still show
        problem = str(exc)
    else:
        status = [{"manager_id": s.manager_id, **status_dict(s)} for s in loads]
        overdue = [OverdueOut.of(x).model_dump(mode="json") for x in late]
    return Snapshot(
        src=src,
        today=kpi_body(day, src, last=1),
        week=kpi_body(week, src, last=1),
        status=status,
        overdue=overdue,
        plan=plan,
        alerts=[alert_dict(a) for a in alerts_of(src, week)],
        crm=crm_outboxes(service.db, tenant_id),
        problem=problem,
    )
