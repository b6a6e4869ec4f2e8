"""What needs the head of sales' attention now, each alert in a sentence.

:func:`alerts` looks at the KPIs as of their moment and raises:

- ``waiting``: leads a manager holds that have had no first contact for longer than
  ``sla_minutes`` (the leads named); ``unassigned``: leads with no manager that long;
- ``below_plan``: a manager (or the team) whose revenue so far is below the plan
  pro-rated to today (by working days) by more than ``below_plan``, once the plan
  period is at least ``min_elapsed`` through;
- ``overload``: a manager over their lead limit on at least ``overload_days`` days;
- ``complaints``: complaints per 100 leads rising: at least ``min_complaints`` in the
  period and a rate at least ``complaint_rise`` times that of the
  ``complaint_history`` periods before (any rate, when those had none);
- ``share``: a manager's leads outside the balance band of ``Policy.balance_tolerance``
  around their target share, when the team had at least ``min_leads`` leads.

Overload, complaints and shares are judged on the current period once it is at least
``min_elapsed`` through, before that on the period before it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

import numpy as np
from pydantic import ConfigDict, Field, field_validator

from fairlead.kpi._alert_words import message
from fairlead.kpi._cells import FloatArray
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._leads import Owners
from fairlead.kpi._plan_calendar import elapsed_share, holiday_array
from fairlead.kpi._plan_file import SalesPlan, as_sales_plan
from fairlead.kpi._plan_split import manager_plans, read_managers, team_of
from fairlead.kpi._plan_window import measure_window
from fairlead.records import InputModel, Manager, Policy, coerce_policy

#: Alert kinds in the order they are listed (within one severity).
KINDS: Final[tuple[str, ...]] = (
    "waiting",
    "unassigned",
    "below_plan",
    "overload",
    "complaints",
    "share",
)
#: Severities, most urgent first.
SEVERITIES: Final[tuple[str, ...]] = ("high", "medium")


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"must be a number, not a boolean ({value})")
    return value


class AlertRules(InputModel):
    """When an alert is raised. Every figure is a rule of thumb to tune per team.

    Parameters
    ----------
    sla_minutes : float, default 15
        A lead waiting longer than this for its first contact (or for a manager) is
        late. An alert is ``high`` once the longest wait is four times this.
    below_plan : float, default 0.2
        A manager is behind when their revenue so far is below the plan pro-rated to
        today by more than this share (0.2: under 80 % of it); ``high`` under twice
        that (60 %).
    min_elapsed : float, default 0.5
        The plan period (and the KPIs' period for overload, complaints and shares)
        must be at least this far through, in working time, to be judged.
    overload_days : int, default 1
        Days over the lead limit in the period that raise an alert (``high`` from
        three days on). Needs the managers' limits in the KPIs.
    complaint_rise : float, default 1.5
        Complaints per 100 leads at least this many times the earlier rate.
    min_complaints : int, default 3
        Complaints in the period before a rise counts: one complaint is no trend.
        ``high`` from twice this.
    complaint_history : int, default 4
        Periods before the judged one that give the earlier rate.
    min_leads : int, default 10
        Leads the team must have received in the period before shares are judged.

    Examples
    --------
    >>> AlertRules(sla_minutes=30).sla_minutes
    30.0
    >>> AlertRules(below_plan=1.5)
    Traceback (most recent call last):
    ...
    fairlead.InputError: alert rules 'below_plan': Input should be less than 1, got 1.5
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    input_kind: ClassVar[str] = "alert rules"

    sla_minutes: float = Field(default=15.0, gt=0.0, allow_inf_nan=False)
    below_plan: float = Field(default=0.2, ge=0.0, lt=1.0, allow_inf_nan=False)
    min_elapsed: float = Field(default=0.5, ge=0.0, le=1.0, allow_inf_nan=False)
    overload_days: int = Field(default=1, ge=1)
    complaint_rise: float = Field(default=1.5, ge=1.0, allow_inf_nan=False)
    min_complaints: int = Field(default=3, ge=1)
    complaint_history: int = Field(default=4, ge=1)
    min_leads: int = Field(default=10, ge=1)

    _numbers = field_validator(
        "sla_minutes",
        "below_plan",
        "min_elapsed",
        "overload_days",
        "complaint_rise",
        "min_complaints",
        "complaint_history",
        "min_leads",
        mode="before",
    )(_not_bool)


@dataclass(frozen=True)
class Alert:
    """One thing that needs attention.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    severity : {"high", "medium"}
    manager_id : str or None
        None for the team (and for leads without a manager).
    name : str
        The manager's name (their id without one); ``""`` for the team.
    lead_ids : tuple of str
        The leads concerned, longest waiting first (``waiting``, ``unassigned``).
    figures : dict
        The numbers behind the alert, the main one first (exact; the message rounds
        them). ``current`` is 1 when the period judged is the one under way.
    period : str
        The period judged, ``"2026-11"`` or ``"2026-11-23"`` (``""`` for waiting
        leads: they are as of now).
    unit : str
        The KPIs' period (``day``, ``week``, ``month``), or the plan's, for wording.
    """

    kind: str
    severity: str
    manager_id: str | None
    name: str
    lead_ids: tuple[str, ...] = ()
    figures: Mapping[str, float] = field(default_factory=dict)
    period: str = ""
    unit: str = "week"

    def message(self, lang: str = "en") -> str:
        """The alert in a sentence, in English (``"en"``) or Russian (``"ru"``)."""
        return message(self, lang)


# ------------------------------------------------------------------------ each rule


def _severity(high: bool) -> str:
    return "high" if high else "medium"


def waiting_alerts(
    kpis: Kpis, rules: AlertRules, names: Mapping[str, str], lead_ids: Sequence[str]
) -> list[Alert]:
    """Leads with no first contact (or no manager) for longer than the SLA, as of now."""
    leads = kpis.leads
    log = kpis.log
    now = int(np.datetime64(kpis.now, "s").astype(np.int64))
    codes = np.arange(leads.size, dtype=np.int64)
    # Who holds each lead now is who held it at the log's last event (Owners reads
    # moments within the log's span only).
    last = int(log.at.max()) if len(log) else now
    holder, since = Owners(log).at(codes, np.full(leads.size, min(now, last), dtype=np.int64))
    open_ = np.isnan(leads.contacted_at) & (leads.outcome == -1)
    limit = rules.sla_minutes * 60.0
    out: list[Alert] = []
    assigned = open_ & (holder >= 0)
    wait = np.where(assigned, now - since.astype(np.float64), np.nan)
    late = assigned & (wait > limit)
    for code in np.unique(holder[late]).tolist():
        mine = np.flatnonzero(late & (holder == code))
        mine = mine[np.argsort(-wait[mine], kind="stable")]
        manager = log.manager_ids[code]
        longest = float(wait[mine[0]]) / 60.0
        out.append(
            Alert(
                "waiting",
                _severity(longest >= 4 * rules.sla_minutes),
                manager,
                names.get(manager, manager),
                tuple(lead_ids[k] for k in mine.tolist()),
                {
                    "leads": float(mine.size),
                    "longest_minutes": longest,
                    "sla_minutes": rules.sla_minutes,
                },
            )
        )
    nobody = open_ & (holder < 0) & ~np.isnan(leads.created_at)
    age = np.where(nobody, now - leads.created_at, np.nan)
    stray = np.flatnonzero(nobody & (age > limit))
    if stray.size:
        stray = stray[np.argsort(-age[stray], kind="stable")]
        longest = float(age[stray[0]]) / 60.0
        out.append(
            Alert(
                "unassigned",
                _severity(longest >= 4 * rules.sla_minutes),
                None,
                "",
                tuple(lead_ids[k] for k in stray.tolist()),
                {
                    "leads": float(stray.size),
                    "longest_minutes": longest,
                    "sla_minutes": rules.sla_minutes,
                },
            )
        )
    return out


def below_plan_alerts(
    kpis: Kpis,
    plan: SalesPlan,
    rules: AlertRules,
    managers: Sequence[Manager] | None,
    names: Mapping[str, str],
    holidays: Any,
) -> list[Alert]:
    """Managers (and the team) behind the plan pro-rated to today, past ``min_elapsed``."""
    today = kpis.now.date()
    out: list[Alert] = []
    for period in plan.periods:
        start, end = plan.bounds(period)
        if not start <= today < end:
            continue
        elapsed = elapsed_share(start, end, kpis.now, holidays)
        if elapsed < rules.min_elapsed or elapsed <= 0:
            continue
        window = measure_window(kpis, start, end)
        team = team_of(kpis, managers, window)
        pos = {m: j for j, m in enumerate(window.manager_ids)}
        revenue = np.nan_to_num(window.get("revenue"))
        rows: list[tuple[str | None, float, float]] = [
            (m, step.value, float(revenue[pos[m]]) if m in pos else 0.0)
            for m, step in manager_plans(plan, period, team, None)
        ]
        rows.append((None, plan.team(period), float(np.nan_to_num(window.team_value("revenue")))))
        for manager, planned, won in rows:
            due = planned * elapsed
            if not due > 0:
                continue
            attainment = won / due
            if attainment >= 1.0 - rules.below_plan:
                continue
            out.append(
                Alert(
                    "below_plan",
                    _severity(attainment < 1.0 - 2 * rules.below_plan),
                    manager,
                    "" if manager is None else names.get(manager, manager),
                    (),
                    {
                        "attainment": attainment,
                        "won": won,
                        "due": due,
                        "plan": planned,
                        "elapsed": elapsed,
                        "below_plan": rules.below_plan,
                    },
                    period,
                    plan.kind,
                )
            )
    return out


def judged_period(kpis: Kpis, rules: AlertRules, holidays: Any) -> int:
    """The KPIs' period judged: the current one once ``min_elapsed`` through.

    Before that the period before it (-1: none).
    """
    n = kpis.periods.size
    if n == 0:
        return -1
    start, end = kpis.periods.starts[-1].item(), kpis.periods.ends[-1].item()
    if elapsed_share(start, end, kpis.now, holidays) >= rules.min_elapsed:
        return n - 1
    return n - 2


def overload_alerts(kpis: Kpis, k: int, rules: AlertRules, names: Mapping[str, str]) -> list[Alert]:
    """Managers over their lead limit on at least ``overload_days`` days of period ``k``."""
    days = kpis.by_manager.get("overload_days")
    if days is None or k < 0:
        return []
    peak = kpis.by_manager.get("peak_open")
    out: list[Alert] = []
    row = np.nan_to_num(days[k])
    for j in np.flatnonzero(row >= rules.overload_days).tolist():
        manager = kpis.manager_ids[j]
        out.append(
            Alert(
                "overload",
                _severity(row[j] >= 3),
                manager,
                names.get(manager, manager),
                (),
                {
                    "days": float(row[j]),
                    "peak_open": float(peak[k, j]) if peak is not None else math.nan,
                    "current": float(k == kpis.periods.size - 1),
                },
                kpis.periods.label(k),
                kpis.period,
            )
        )
    return out


def rising(
    recent: FloatArray,
    received: FloatArray,
    earlier: FloatArray,
    earlier_received: FloatArray,
    rules: AlertRules,
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], FloatArray, FloatArray]:
    """Whether complaints rose, and the recent and earlier rates per 100 leads.

    Examples
    --------
    >>> rules = AlertRules()
    >>> up, now, before = rising(np.array([3.0, 2.0, 3.0]), np.array([50.0, 10.0, 50.0]),
    ...                          np.array([2.0, 0.0, 8.0]), np.array([200.0, 40.0, 200.0]),
    ...                          rules)
    >>> up.tolist(), now.tolist(), before.tolist()
    ([True, False, True], [6.0, 20.0, 6.0], [1.0, 0.0, 4.0])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        now = np.where(received > 0, 100.0 * recent / received, np.where(recent > 0, np.inf, 0.0))
        before = np.where(earlier_received > 0, 100.0 * earlier / earlier_received, 0.0)
    enough = recent >= rules.min_complaints
    up = enough & ((before == 0) | (now >= rules.complaint_rise * before))
    return up, now, before


def complaint_alerts(
    kpis: Kpis, k: int, rules: AlertRules, names: Mapping[str, str]
) -> list[Alert]:
    """Complaint rates of period ``k`` rising against the periods before it."""
    if k < 0 or "complaints" not in kpis.team:
        return []
    lo = max(k - rules.complaint_history, 0)
    tables = [
        (
            np.nan_to_num(kpis.by_manager["complaints"]),
            np.nan_to_num(kpis.by_manager["leads_received"]),
            tuple(kpis.manager_ids),
        ),
        (
            np.nan_to_num(kpis.team["complaints"])[:, None],
            np.nan_to_num(kpis.team["leads_received"])[:, None],
            (None,),
        ),
    ]
    out: list[Alert] = []
    for complaints, received, who in tables:
        up, now, before = rising(
            complaints[k],
            received[k],
            complaints[lo:k].sum(axis=0),
            received[lo:k].sum(axis=0),
            rules,
        )
        for j in np.flatnonzero(up).tolist():
            manager = who[j]
            out.append(
                Alert(
                    "complaints",
                    _severity(complaints[k, j] >= 2 * rules.min_complaints),
                    manager,
                    "" if manager is None else names.get(manager, manager),
                    (),
                    {
                        "complaints": float(complaints[k, j]),
                        "rate": float(now[j]),
                        "earlier_rate": float(before[j]),
                        "earlier_periods": float(k - lo),
                        "current": float(k == kpis.periods.size - 1),
                    },
                    kpis.periods.label(k),
                    kpis.period,
                )
            )
    return out


def band(expected: FloatArray, tolerance: float) -> tuple[FloatArray, FloatArray]:
    """The balance band around expected counts, rounded outward as the policy rounds it.

    Examples
    --------
    >>> low, high = band(np.array([22.0, 2.5]), 0.2)
    >>> low.tolist(), high.tolist()
    ([17.0, 2.0], [27.0, 3.0])
    """
    low = np.floor(expected * (1.0 - tolerance) + 1e-9).clip(min=0.0)
    high = np.ceil(expected * (1.0 + tolerance) - 1e-9)
    return low, high


def share_alerts(
    kpis: Kpis,
    k: int,
    rules: AlertRules,
    policy: Policy,
    names: Mapping[str, str],
    away: frozenset[str] = frozenset(),
) -> list[Alert]:
    """Managers whose leads in period ``k`` fell outside the balance band.

    A manager marked unavailable (``away``) is not said to be below it.
    """
    if k < 0 or policy.balance_tolerance is None or "target_share" not in kpis.by_manager:
        return []
    received = np.nan_to_num(kpis.by_manager["leads_received"][k])
    total = float(np.nan_to_num(kpis.team["leads_received"][k]))
    if total < rules.min_leads:
        return []
    target = np.nan_to_num(kpis.by_manager["target_share"][k])
    expected = target * total
    tol = policy.balance_tolerance
    low, high = band(expected, tol)
    outside = ((received < low) | (received > high)) & ((target > 0) | (received > 0))
    far = (received < expected * (1 - 2 * tol)) | (received > expected * (1 + 2 * tol))
    out: list[Alert] = []
    for j in np.flatnonzero(outside).tolist():
        manager = kpis.manager_ids[j]
        if manager in away and received[j] < low[j]:
            continue
        out.append(
            Alert(
                "share",
                _severity(bool(far[j])),
                manager,
                names.get(manager, manager),
                (),
                {
                    "leads": float(received[j]),
                    "expected": float(expected[j]),
                    "low": float(low[j]),
                    "high": float(high[j]),
                    "target_share": float(target[j]),
                    "team_leads": total,
                    "tolerance": tol,
                    "current": float(k == kpis.periods.size - 1),
                },
                kpis.periods.label(k),
                kpis.period,
            )
        )
    return out


# ------------------------------------------------------------------------ alerts


def alerts(
    kpis: Kpis,
    plan: Any = None,
    *,
    rules: AlertRules | Mapping[str, Any] | None = None,
    policy: Any = None,
    managers: Any = None,
    holidays: Iterable[Any] | None = None,
) -> list[Alert]:
    """What needs attention as of the KPIs' moment, most urgent first.

    Parameters
    ----------
    kpis : Kpis
        From :func:`fairlead.kpi.compute` (with ``managers`` there for overload).
    plan : SalesPlan or str or Path or list of dict, optional
        The sales plan, for the ``below_plan`` alerts.
    rules : AlertRules or dict, optional
        The thresholds (see :class:`AlertRules`).
    policy : Policy or dict, optional
        ``balance_tolerance`` gives the band of the ``share`` alerts (None: none).
    managers : list of Manager or dict, or DataFrame, optional
        Names for the messages; lead limits to split a team-only plan; a manager
        marked unavailable is not said to get too few leads.
    holidays : list of date, optional
        Days off besides weekends.

    Returns
    -------
    list of Alert
        High before medium, then by kind (:data:`KINDS`) and name.

    Examples
    --------
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "assigned", "at": "2026-11-23T09:00", "lead_id": f"l{i}",
    ...      "manager_id": "m-1"} for i in range(7)])
    >>> found = alerts(kpi.compute(log, "week", now="2026-11-23T09:40"),
    ...                managers=[{"id": "m-1", "name": "Ольга Ким", "max_active_leads": 20}])
    >>> print(found[0].message("ru").replace("\u00a0", " "))   # no-break spaces shown plain
    Ольга Ким: 7 лидов ждут первого контакта дольше 15 мин (дольше всех — 40 мин): l0, l1, \
l2, l3, l4 и ещё 2
    """
    checked = rules if isinstance(rules, AlertRules) else AlertRules(**dict(rules or {}))
    rule_book = coerce_policy(policy)
    team = read_managers(managers)
    names = {m.id: m.name for m in team or () if m.name}
    days_off = holiday_array(holidays)
    found = waiting_alerts(kpis, checked, names, kpis.log.lead_ids)
    if plan is not None:
        found += below_plan_alerts(kpis, as_sales_plan(plan), checked, team, names, days_off)
    k = judged_period(kpis, checked, days_off)
    found += overload_alerts(kpis, k, checked, names)
    found += complaint_alerts(kpis, k, checked, names)
    away = frozenset(m.id for m in team or () if not m.available)
    found += share_alerts(kpis, k, checked, rule_book, names, away)
    return sorted(
        found,
        key=lambda a: (
            SEVERITIES.index(a.severity),
            KINDS.index(a.kind),
            a.manager_id is not None,
            a.name,
        ),
    )
