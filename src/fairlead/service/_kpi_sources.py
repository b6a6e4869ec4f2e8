"""What the KPI API and the dashboard read of a team: setup, KPI log, sales plan, KPIs.

One read transaction gives the team's setup (managers, policy, time zone), its KPI
event log and the newest version of its sales plan. :func:`kpis_of` runs
:func:`fairlead.kpi.compute` on them the one way both ``/v1/kpi`` and the dashboard
use, so a figure on the dashboard is the figure the API answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import fairlead.kpi as kpi
from fairlead.records import InputError
from fairlead.service._errors import ApiError
from fairlead.service._event_log import moment, read_log
from fairlead.service._kpi_plans import PlanVersion, latest_plan
from fairlead.service._service import Service
from fairlead.service._teams import TeamSetup, read_setup

#: Most periods one KPI answer may hold: ten years of days. A wider grid (a ``since``
#: decades back, a stray event from 1900) would cost minutes and memory for nothing.
MAX_PERIODS: Final[int] = 3660
#: Days a period of each kind spans at least / at most (for the bound above).
_DAYS: Final[dict[str, float]] = {"day": 1.0, "week": 7.0, "month": 28.0}
#: Moments the API takes: the clocks of the KPIs (time zones) are exact within these.
EARLIEST: Final[datetime] = datetime(1970, 1, 1, tzinfo=UTC)
LATEST: Final[datetime] = datetime(2200, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sources:
    """A team's setup, KPI log and newest sales plan, read at one moment.

    Attributes
    ----------
    setup : TeamSetup
    log : fairlead.kpi.EventLog
    plan : PlanVersion or None
        None: no plan was ever stored.
    now : datetime
        The moment the figures are taken (aware, UTC).
    """

    setup: TeamSetup
    log: kpi.EventLog
    plan: PlanVersion | None
    now: datetime

    @property
    def names(self) -> dict[str, str]:
        """Manager id -> the name to show (the id when the manager has none)."""
        return {m.id: m.name or m.id for m in self.setup.managers}

    def name(self, manager_id: str) -> str:
        """The name of a manager (on the team or only in the log)."""
        return self.names.get(manager_id, manager_id)


def aware(at: datetime, field: str) -> datetime:
    """``at`` as an aware UTC time (naive: UTC), within the years the API takes."""
    when = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if not EARLIEST <= when < LATEST:
        raise ApiError(
            422,
            f"{field!r} must be a moment from 1970 to 2199, got {at.isoformat()!r}",
            field=field,
            value=at.isoformat(),
        )
    return when.astimezone(UTC)


def moment_of(log: kpi.EventLog, now: datetime | None) -> datetime:
    """The moment of the figures: ``now`` as given, else the later of the clock and the log.

    The log may hold events a few minutes ahead of this server's clock (the events API
    allows for clocks that disagree): by default the figures are taken after them.
    """
    if now is not None:
        return aware(now, "now")
    current = datetime.now(UTC)
    if len(log):
        return max(current, moment(float(log.at[-1])))
    return current


def read_sources(service: Service, tenant_id: str, now: datetime | None = None) -> Sources:
    """The team's setup, log and plan in one read transaction (404: no such team)."""
    with service.db.read() as conn:
        setup = read_setup(conn, tenant_id)
        if setup is None:
            raise ApiError(404, f"no team {tenant_id!r}", field="tenant", value=tenant_id)
        log = read_log(conn, tenant_id)
        plan = latest_plan(conn, tenant_id)
    return Sources(setup, log, plan, moment_of(log, now))


def timezones(setup: TeamSetup) -> dict[str, str]:
    """Each manager's own clock where it is not the team's: their working hours' zone.

    The router counts a manager's shifts on that clock, so the KPIs' "today" of the
    manager is the day of their shift.
    """
    return {
        manager: hours.timezone
        for manager, hours in setup.hours.items()
        if hours.timezone != setup.timezone
    }


def check_span(src: Sources, period: str, since: datetime | None) -> None:
    """Refuse a grid of more than :data:`MAX_PERIODS` periods (a 422 naming ``since``)."""
    first = since if since is not None else (moment(float(src.log.at[0])) if len(src.log) else None)
    if first is None:
        return
    days = (src.now - first) / timedelta(days=1)
    if days / _DAYS[period] + 1 > MAX_PERIODS:
        where = "since" if since is not None else "the team's first event"
        raise ApiError(
            422,
            f"{where} ({first.isoformat()}) is too far back for {period}s: the figures "
            f"would span more than {MAX_PERIODS} periods; ask with a later since=",
            field="since",
            value=None if since is None else since.isoformat(),
        )


def kpis_of(src: Sources, period: str = "week", since: datetime | None = None) -> kpi.Kpis:
    """:func:`fairlead.kpi.compute` on the team's log, as of the sources' moment.

    The team's managers give the target shares and lead limits, its time zone the
    periods (each manager's working-hours zone their own). An :class:`InputError`
    (``since`` after ``now``, ``now`` before the last event) names its argument.
    """
    first = None if since is None else aware(since, "since")
    check_span(src, period, first)
    try:
        return kpi.compute(
            src.log,
            period,
            now=src.now,
            since=first,
            managers=list(src.setup.managers) or None,
            timezone=src.setup.timezone,
            timezones=timezones(src.setup) or None,
        )
    except InputError as exc:
        # the moments as the caller wrote them, not as Python shows a datetime
        value = exc.value.isoformat() if isinstance(exc.value, datetime) else exc.value
        raise ApiError(422, str(exc), field=exc.field, value=value) from None


def alert_rules(setup: TeamSetup) -> kpi.AlertRules:
    """The alert rules of a team: "waiting" uses the team's first-contact deadline.

    So a lead the dashboard lists as late is the lead an alert names. With a deadline
    per tier, the shortest counts; without one, the rules' default (15 minutes).
    """
    sla = setup.settings.sla
    if sla is None:
        return kpi.AlertRules()
    deadlines: Sequence[timedelta] = list(sla.values()) if isinstance(sla, dict) else [sla]
    minutes = min(d.total_seconds() for d in deadlines) / 60.0
    try:
        return kpi.AlertRules(sla_minutes=minutes)
    except InputError:  # a deadline of zero: keep the default rather than refuse to answer
        return kpi.AlertRules()


def plan_of(src: Sources) -> PlanVersion:
    """The team's newest plan, or a 404 saying how to set one."""
    if src.plan is None:
        raise ApiError(
            404,
            "the team has no sales plan yet: PUT /v1/plan with rows of period, manager_id, revenue",
            field="plan",
        )
    return src.plan


def decomposition_of(
    src: Sources, plan: PlanVersion, kpis: kpi.Kpis, split: str = "capacity"
) -> kpi.Decomposition:
    """The team's plan broken down, by its managers' lead limits and its policy."""
    return kpi.decompose(
        plan.plan,
        kpis,
        split=split,
        managers=list(src.setup.managers) or None,
        policy=src.setup.policy,
    )


def alerts_of(src: Sources, kpis: kpi.Kpis) -> list[kpi.Alert]:
    """The alerts of a team's KPIs, by its plan, policy, managers and deadline."""
    return kpi.alerts(
        kpis,
        None if src.plan is None else src.plan.plan,
        rules=alert_rules(src.setup),
        policy=src.setup.policy,
        managers=list(src.setup.managers) or None,
    )
