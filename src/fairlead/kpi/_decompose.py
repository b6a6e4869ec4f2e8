# ruff: noqa: RUF001, RUF002  (Russian text; the multiplication sign of formulas)
"""The sales plan broken down: deals, leads at each funnel stage, leads, per week and manager.

For each plan period, for the team and for each manager, :func:`decompose` turns the
revenue plan into the deals it takes (÷ average deal), the leads that must reach each
funnel stage (÷ the rate of the step above it) and the leads that must come in
(÷ the contact rate), with the rates of the history window before the period
(:mod:`fairlead.kpi._plan_rates`), spreads each figure over the weeks of the period by
working days, and checks the period under way from the bottom up
(:mod:`fairlead.kpi._plan_check`). Every figure is a :class:`Step` that keeps its
inputs and reads in English and Russian.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

import numpy as np

from fairlead.kpi._kpis import Kpis
from fairlead.kpi._plan_calendar import holiday_array, weeks_of
from fairlead.kpi._plan_check import Check, check, lead_values, open_value, period_state
from fairlead.kpi._plan_file import SalesPlan, as_sales_plan
from fairlead.kpi._plan_rates import (
    CONTACTED,
    DEALS,
    LEADS,
    Rates,
    ladder,
    rate_name,
    rates_of,
    rung_noun,
    stage_keys,
)
from fairlead.kpi._plan_split import (
    Team,
    check_split,
    manager_plans,
    read_managers,
    team_of,
    team_step,
)
from fairlead.kpi._plan_window import Window, log_span, measure_window
from fairlead.kpi._steps import Step, count, formats, money, percent, shown_count
from fairlead.records import InputError, Policy, coerce_policy

#: Days of history before a plan period its rates are read from (13 weeks).
HISTORY_DAYS: Final[int] = 91


@dataclass(frozen=True)
class Week:
    """One week's part of a period's plan.

    Attributes
    ----------
    start : date
        The week's Monday (the first week of a month may start in the month before).
    working_days : int
        Working days of the week inside the period.
    share : float
        The part of the period's plan the week carries.
    plan : Step
        The week's revenue plan and how it was reached.
    needed : dict
        Each step of the chain (``deals``, ``reached:<stage>``, ``contacted``,
        ``leads``) for the week.
    """

    start: date
    working_days: int
    share: float
    plan: Step
    needed: dict[str, float]

    @property
    def leads(self) -> float:
        """Leads the week needs."""
        return self.needed[LEADS]

    @property
    def deals(self) -> float:
        """Deals the week needs."""
        return self.needed[DEALS]


@dataclass(frozen=True)
class Chain:
    """One plan period of one manager (or the team) broken down.

    Attributes
    ----------
    period : str
        ``2026-11`` or ``2026-11-23``.
    start, end : date
        First day of the period and the day after its last.
    manager_id : str or None
        None for the team.
    name : str
        The manager's name (their id without one), ``""`` for the team.
    plan : Step
        The revenue plan and where it came from (the plan's row, or the team's plan
        times the manager's share).
    rates : Rates
        The average deal and the rate of each step, with their inputs.
    steps : tuple of Step
        The chain from the plan down: deals, each funnel stage from the last, the
        contacted leads, the leads.
    weeks : tuple of Week
    check : Check or None
        The bottom-up check (None for a period still to come).
    history : tuple of date
        The window the rates come from: first day, day after the last.
    """

    period: str
    start: date
    end: date
    manager_id: str | None
    name: str
    plan: Step
    rates: Rates
    steps: tuple[Step, ...]
    weeks: tuple[Week, ...]
    check: Check | None
    history: tuple[date, date]

    @property
    def revenue(self) -> float:
        """The revenue plan."""
        return self.plan.value

    @property
    def deals(self) -> float:
        """Deals the plan takes."""
        return self.needed(DEALS)

    @property
    def leads(self) -> float:
        """Leads the plan takes."""
        return self.needed(LEADS)

    def needed(self, key: str) -> float:
        """The figure of one step: ``deals``, ``reached:<stage>``, ``contacted``, ``leads``."""
        for step in self.steps:
            if step.name == key:
                return step.value
        raise KeyError(f"the chain has no step {key!r} (steps: {[s.name for s in self.steps]})")

    def text(self, lang: str = "en") -> str:
        """The chain on one line: ``plan 1,200,000 ÷ average deal 40,000 = 30 deals; …``."""
        return "; ".join(step.text(lang) for step in self.steps)


@dataclass(frozen=True)
class Decomposition:
    """A sales plan broken down for every plan period, the team and each manager.

    Attributes
    ----------
    chains : tuple of Chain
        Per plan period: the team's chain, then each manager's.
    split : {"capacity", "performance"}
        How a team-only plan was shared among the managers.
    history_days : int
        Days of history before each period its rates come from.
    notes : tuple of (str, str)
        What the breakdown had to leave out or assume, in English and Russian.
    """

    chains: tuple[Chain, ...]
    split: str
    history_days: int
    notes: tuple[tuple[str, str], ...] = ()

    @property
    def periods(self) -> tuple[str, ...]:
        """The plan periods, in time order."""
        return tuple(dict.fromkeys(c.period for c in self.chains))

    def chain(self, period: str, manager_id: str | None = None) -> Chain:
        """The chain of one period, for a manager or (None) the team."""
        for c in self.chains:
            if c.period == period and c.manager_id == manager_id:
                return c
        who = "the team" if manager_id is None else f"manager {manager_id!r}"
        raise InputError(
            f"the breakdown has no chain for {who} in {period!r}",
            field="manager_id" if manager_id is not None else "period",
            value=manager_id if manager_id is not None else period,
        )

    def managers(self, period: str) -> tuple[Chain, ...]:
        """The managers' chains of one period."""
        return tuple(c for c in self.chains if c.period == period and c.manager_id is not None)

    def note(self, lang: str = "en") -> list[str]:
        """The notes in ``lang``."""
        return [ru if lang == "ru" else en for en, ru in self.notes]

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per (period, manager or team None, week or None for the whole period).

        Keys: ``period``, ``manager_id``, ``week`` (the Monday, or None), ``revenue``
        and each step of the chain (``deals``, ``reached:<stage>``, ``contacted``,
        ``leads``).
        """
        rows: list[dict[str, Any]] = []
        for c in self.chains:
            whole = {s.name: s.value for s in c.steps}
            rows.append({"period": c.period, "manager_id": c.manager_id, "week": None, **whole})
            for w in c.weeks:
                rows.append(
                    {
                        "period": c.period,
                        "manager_id": c.manager_id,
                        "week": w.start,
                        "revenue": w.plan.value,
                        **w.needed,
                    }
                )
        return rows

    def text(self, lang: str = "en") -> str:
        """Every chain on its own line, under its period."""
        lines: list[str] = []
        for period in self.periods:
            lines.append(period)
            for c in self.chains:
                if c.period != period:
                    continue
                who = c.name or ("команда" if lang == "ru" else "team")
                lines.append(f"  {who}: {c.text(lang)}")
        lines += [f"* {n}" for n in self.note(lang)]
        return "\n".join(lines)


# ------------------------------------------------------------------------ the chain


def chain_steps(revenue: float, rates: Rates) -> tuple[Step, ...]:
    """The chain from a revenue plan down to leads, each step with its wording.

    Examples
    --------
    >>> import numpy as np
    >>> from datetime import date
    >>> from fairlead.kpi._plan_rates import ladder, rates_of
    >>> keys = ["leads", "contacted", "reached:proposal", "deals"]
    >>> team = np.array([400.0, 360.0, 120.0, 30.0])
    >>> lad = ladder(keys, team[:, None], team, (np.array([1.2e6]), np.array([30.0]),
    ...              1.2e6, 30.0), ["m"], (date(2026, 8, 3), date(2026, 11, 2)))
    >>> for step in chain_steps(1_200_000, rates_of(lad, None)):
    ...     print(step.en)
    plan 1,200,000 ÷ average deal 40,000 = 30 deals
    30 deals ÷ won from «proposal» 25% = 120 at «proposal»
    120 at «proposal» ÷ contacted → «proposal» 33% = 360 contacted
    360 contacted ÷ contact rate 90% = 400 leads
    """
    avg = rates.avg_deal.value
    deals = revenue / avg if avg > 0 else (0.0 if revenue == 0 else np.nan)
    en_first = (
        f"plan {money(revenue, 'en')} ÷ average deal {money(avg, 'en')} = {count(deals, 'en')} "
        f"{rung_noun(DEALS, shown_count(deals), 'en')}"
    )
    ru_first = (
        f"план {money(revenue, 'ru')} ÷ средний чек {money(avg, 'ru')} = {count(deals, 'ru')} "
        f"{rung_noun(DEALS, shown_count(deals), 'ru')}"
    )
    steps = [
        Step(
            DEALS,
            float(deals),
            "count",
            (("plan", revenue), ("avg_deal", avg)),
            "plan ÷ average deal",
            en_first,
            ru_first,
        )
    ]
    keys = rates.keys
    above = float(deals)
    for k in range(len(keys) - 1, 0, -1):
        key, below = keys[k], keys[k - 1]
        rate = rates.steps[k - 1].value
        value = above / rate if rate > 0 else (0.0 if above == 0 else np.nan)
        parts = {}
        for lang in ("en", "ru"):
            parts[lang] = (
                f"{count(above, lang)} {rung_noun(key, shown_count(above), lang)} ÷ "
                f"{rate_name(key, below, lang)} {percent(rate, lang)} = {count(value, lang)} "
                f"{rung_noun(below, shown_count(value), lang)}"
            )
        steps.append(
            Step(
                below,
                float(value),
                "count",
                ((key, above), (f"rate:{key}", rate)),
                f"{key} ÷ {rate_name(key, below, 'en')}",
                parts["en"],
                parts["ru"],
            )
        )
        above = float(value)
    return tuple(steps)


def week_parts(
    plan: Step, steps: tuple[Step, ...], start: date, end: date, holidays: Any
) -> tuple[Week, ...]:
    """The period's plan and chain spread over its weeks by working days."""
    weeks = weeks_of(start, end, holidays)
    total = int(weeks.days.sum())
    en, ru = formats("en"), formats("ru")
    out: list[Week] = []
    for monday, days, share in zip(
        weeks.dates(), weeks.days.tolist(), weeks.share.tolist(), strict=True
    ):
        value = plan.value * share
        day_word = "рабочего дня" if total % 10 == 1 and total % 100 != 11 else "рабочих дней"
        step = Step(
            "plan",
            value,
            "money",
            (("plan", plan.value), ("working_days", float(days)), ("period_days", float(total))),
            "plan × working days of the week ÷ working days of the period",
            f"plan {money(plan.value, 'en')} × {days} of {total} working days = "
            f"{money(value, 'en')} (week of {en.date(monday, year=False)})",
            f"план {money(plan.value, 'ru')} × {days} из {total} {day_word} = "
            f"{money(value, 'ru')} (неделя с {ru.date(monday, year=False)})",
        )
        needed = {s.name: s.value * share for s in steps}
        out.append(Week(monday, int(days), float(share), step, needed))
    return tuple(out)


# ------------------------------------------------------------------------ decompose


def history_window(kpis: Kpis, start: date, days: int) -> tuple[date, date, bool]:
    """The history before a period starting ``start``: ``days`` back, within the log.

    Returns the window and whether it is the fallback: the whole log up to now, when
    no deal was won in the days before the period (the log's first month).
    """
    first, after_now = log_span(kpis)
    lo = max(start - timedelta(days=days), first)
    hi = min(start, after_now)
    if hi > lo and measure_window(kpis, lo, hi).team_value("won") > 0:
        return lo, hi, False
    return first, after_now, True


def _ladder_of(window: Window, funnel: tuple[str, ...]) -> Any:
    keys = [LEADS, CONTACTED, *stage_keys(funnel), DEALS]
    metric = {LEADS: "leads_received", CONTACTED: "leads_contacted"}
    rows = []
    team = []
    for key in keys:
        if key == DEALS:
            received = np.nan_to_num(window.get("leads_received"))
            rows.append(np.round(np.nan_to_num(window.get("conversion")) * received))
            team.append(
                round(
                    np.nan_to_num(window.team_value("conversion"))
                    * np.nan_to_num(window.team_value("leads_received"))
                )
            )
            continue
        name = metric.get(key, key)
        rows.append(np.nan_to_num(window.get(name)))
        team.append(np.nan_to_num(window.team_value(name)))
    money_won = (
        np.nan_to_num(window.get("revenue")),
        np.nan_to_num(window.get("won")),
        float(np.nan_to_num(window.team_value("revenue"))),
        float(np.nan_to_num(window.team_value("won"))),
    )
    return ladder(
        keys,
        np.array(rows, dtype=np.float64).reshape(len(keys), -1),
        np.array(team, dtype=np.float64),
        money_won,
        window.manager_ids,
        (window.start, window.end),
    )


def decompose(
    plan: Any,
    kpis: Kpis,
    *,
    split: str = "capacity",
    managers: Any = None,
    rating: Any = None,
    policy: Any = None,
    history: int = HISTORY_DAYS,
    holidays: Iterable[Any] | None = None,
) -> Decomposition:
    """The sales plan broken down into deals and leads, per period, manager and week.

    Parameters
    ----------
    plan : SalesPlan or str or Path or list of dict or DataFrame
        The plan (see :func:`read_sales_plan`).
    kpis : Kpis
        From :func:`fairlead.kpi.compute`: the history the rates come from, the open
        deals of the period under way.
    split : {"capacity", "performance"}
        How a period with only a team row is shared among the managers: by lead
        limit, or by lead limit × performance index from the rating (bounded by
        ``Policy.performance_floor`` and ``performance_cap``).
    managers : list of Manager or dict, or DataFrame, optional
        The team: ids, names, ``max_active_leads``. Default: the KPIs' managers who
        received leads in the history window, weighted by their target share.
    rating : Rating, optional
        For ``split="performance"``; default :func:`fairlead.kpi.rating` of the KPIs.
    policy : Policy or dict, optional
        Its performance floor and cap bound the performance split; its rating
        weights make the default rating.
    history : int, default 91
        Days before each plan period its rates are read from (13 weeks), within the
        log. A period with no deal won in the days before it (the log's first
        month) uses the whole log up to now, and says so.
    holidays : list of date, optional
        Days off besides Saturdays and Sundays, for the weeks' shares.

    Returns
    -------
    Decomposition

    Examples
    --------
    >>> from fairlead import kpi
    >>> rows = []
    >>> for i in range(40):
    ...     lead, day = f"l{i}", f"2026-10-{1 + i % 28:02d}"
    ...     rows += [{"type": "created", "at": f"{day}T09:00", "lead_id": lead,
    ...               "deal_value": 40_000},
    ...              {"type": "assigned", "at": f"{day}T09:01", "lead_id": lead,
    ...               "manager_id": "ann"},
    ...              {"type": "contacted", "at": f"{day}T09:05", "lead_id": lead}]
    ...     if i < 20:
    ...         rows.append({"type": "stage", "at": f"{day}T10:00", "lead_id": lead,
    ...                      "stage": "proposal"})
    ...     if i < 5:
    ...         rows.append({"type": "won", "at": f"{day}T12:00", "lead_id": lead})
    >>> kpis = kpi.compute(kpi.EventLog.from_records(rows), "week", now="2026-11-02")
    >>> plan = [{"period": "2026-11", "manager_id": "ann", "revenue": 1_200_000}]
    >>> print(decompose(plan, kpis).chain("2026-11", "ann").text("en"))
    plan 1,200,000 ÷ average deal 40,000 = 30 deals; 30 deals ÷ won from «proposal» 25% = \
120 at «proposal»; 120 at «proposal» ÷ contacted → «proposal» 50% = 240 contacted; \
240 contacted ÷ contact rate 100% = 240 leads
    """
    sales = as_sales_plan(plan)
    how = check_split(split)
    rules = coerce_policy(policy)
    team_records = read_managers(managers)
    if isinstance(history, bool) or not isinstance(history, int) or history < 1:
        raise InputError(
            f"history must be a whole number of days >= 1, got {history!r}",
            field="history",
            value=history,
        )
    days_off = holiday_array(holidays)
    chains: list[Chain] = []
    notes: list[tuple[str, str]] = []
    performance = None
    if how == "performance":
        performance = _performance(kpis, sales, rating, rules, team_records)
    for period in sales.periods:
        start, end = sales.bounds(period)
        lo, hi, fallback = history_window(kpis, start, history)
        window = measure_window(kpis, lo, hi)
        lad = _ladder_of(window, kpis.funnel)
        notes += [n for n in lad.notes if n not in notes]
        if fallback:
            notes.append(
                (
                    f"{period}: no deal was won before the period; its rates come from the "
                    f"whole log ({window.label()}).",
                    f"{period}: до периода не выиграно ни одной сделки; доли взяты по всему "
                    "журналу "
                    f"({window.label('ru')}).",
                )
            )
        if not lad.team[-1] > 0 or not lad.team_won > 0:
            notes.append(
                (
                    f"{period}: no deal was won in the history window, so the plan cannot be "
                    "turned into deals and leads yet.",
                    f"{period}: за период истории не выиграно ни одной сделки, поэтому план "
                    "пока нельзя перевести в сделки и лиды.",
                )
            )
        team = team_of(kpis, team_records, window)
        state = period_state(start, end, kpis.now)
        chains += _period_chains(
            kpis, sales, period, (start, end), lad, team, performance, state, days_off
        )
    return Decomposition(tuple(chains), how, history, tuple(notes))


def _performance(
    kpis: Kpis, sales: SalesPlan, rating: Any, rules: Policy, team: Any
) -> dict[str, float]:
    if rating is None:
        from fairlead.kpi._rating import rating as rate

        rating = rate(kpis, sales, policy=rules, managers=team)
    index: dict[str, float] = rating.performance(policy=rules)
    return index


def _period_chains(
    kpis: Kpis,
    sales: SalesPlan,
    period: str,
    bounds: tuple[date, date],
    lad: Any,
    team: Team,
    performance: dict[str, float] | None,
    state: str,
    days_off: Any,
) -> list[Chain]:
    start, end = bounds
    history = (lad.start, lad.end)
    parts = manager_plans(sales, period, team, performance)
    ids = [m for m, _ in parts]
    names = {m: team.name(m) for m in ids}
    team_rates = rates_of(lad, None)
    manager_rates = [rates_of(lad, m, name=names[m]) for m in ids]
    checks: list[Check | None] = [None] * (len(ids) + 1)
    if state != "future":
        checks = _checks(
            kpis, sales, period, bounds, lad, ids, parts, team_rates, manager_rates, state
        )
    total = sales.team(period)
    out: list[Chain] = []
    team_plan = team_step(total, sales, period)
    for who, name, plan_step, rates, chk in [
        (None, "", team_plan, team_rates, checks[0]),
        *[
            (m, names[m], step, r, checks[j + 1])
            for j, ((m, step), r) in enumerate(zip(parts, manager_rates, strict=True))
        ],
    ]:
        steps = chain_steps(plan_step.value, rates)
        out.append(
            Chain(
                period=period,
                start=start,
                end=end,
                manager_id=who,
                name=name,
                plan=plan_step,
                rates=rates,
                steps=steps,
                weeks=week_parts(plan_step, steps, start, end, days_off),
                check=chk,
                history=history,
            )
        )
    return out


def _checks(
    kpis: Kpis,
    sales: SalesPlan,
    period: str,
    bounds: tuple[date, date],
    lad: Any,
    ids: list[str],
    parts: list[tuple[str, Step]],
    team_rates: Rates,
    manager_rates: list[Rates],
    state: str,
) -> list[Check | None]:
    start, end = bounds
    won_window = measure_window(kpis, start, end)
    revenue = np.nan_to_num(won_window.get("revenue"))
    log_ids = kpis.log.manager_ids
    codes = np.array([log_ids.index(m) if m in log_ids else -1 for m in ids], dtype=np.int64)
    kpi_pos = {m: j for j, m in enumerate(kpis.manager_ids)}
    pipeline, fresh = open_value(kpis, codes, manager_rates)
    values = lead_values(kpis, lad.start, lad.end) if state == "current" else None
    out: list[Check | None] = []
    # the team: every manager of the log, at the team's rates
    all_codes = np.arange(len(log_ids), dtype=np.int64)
    team_pipe, team_fresh = open_value(kpis, all_codes, [team_rates] * len(log_ids))
    out.append(
        check(
            state,
            sales.team(period),
            float(np.nan_to_num(won_window.team_value("revenue"))),
            float(team_pipe.sum()),
            float(team_fresh.sum()),
            values,
        )
    )
    for j, (m, step) in enumerate(parts):
        won = float(revenue[kpi_pos[m]]) if m in kpi_pos else 0.0
        out.append(check(state, step.value, won, float(pipeline[j]), float(fresh[j]), values))
    return out
