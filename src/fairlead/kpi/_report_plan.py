"""The report's plan sections: plan and fact per manager, and what the plan takes.

Both read the :class:`~fairlead.kpi._decompose.Decomposition` of the sales plan: the
revenue won in each plan period and the bottom-up forecast of the period under way
(its :class:`~fairlead.kpi._plan_check.Check`), and the chain that turns the plan into
deals and leads (its :class:`~fairlead.kpi._steps.Step` s, worded in both languages).
Figures carry ``data-metric`` ``plan:<name>`` and the plan period as ``data-period``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from types import ModuleType

import numpy as np

from fairlead.kpi._decompose import Chain, Decomposition
from fairlead.kpi._report_model import (
    Card,
    Cell,
    Column,
    Heading,
    Item,
    Items,
    Plot,
    Section,
    Table,
    Text,
)
from fairlead.kpi._report_page import Page
from fairlead.kpi._report_sections import tone_of
from fairlead.kpi._steps import Step

#: Most earlier plan periods the plan table shows (the latest ones).
EARLIER_SHOWN = 6


@dataclass(frozen=True)
class PlanView:
    """The decomposition as the report reads it.

    Attributes
    ----------
    decomposition : Decomposition
    current : str or None
        The plan period the report dwells on: the one under way, else the latest one
        that has begun, else the first one to come.
    by_period : ndarray or None
        The team's plan for each period of the report (None when the report's periods
        and the plan's do not fit, e.g. days).
    """

    decomposition: Decomposition
    current: str | None
    by_period: np.ndarray | None

    def team(self, period: str) -> Chain:
        """The team's chain of a plan period."""
        return self.decomposition.chain(period, None)

    def chain(self, period: str, manager: str | None) -> Chain | None:
        """A manager's chain of a plan period, or None when the plan has none for them."""
        for c in self.decomposition.chains:
            if c.period == period and c.manager_id == manager:
                return c
        return None

    def started(self) -> list[str]:
        """The plan periods that have begun (past or under way), in order."""
        return [p for p in self.decomposition.periods if self.team(p).check is not None]


def plan_view(page: Page, decomposition: Decomposition) -> PlanView:
    """Which plan period to dwell on, and the team's plan per period of the report."""
    periods = decomposition.periods
    states = {p: _state(decomposition.chain(p, None)) for p in periods}
    started = [p for p in periods if states[p] != "future"]
    current = next((p for p in started if states[p] == "current"), None)
    if current is None:
        current = started[-1] if started else (periods[0] if periods else None)
    return PlanView(decomposition, current, _by_period(page, decomposition))


def _state(chain: Chain) -> str:
    return "future" if chain.check is None else chain.check.state


def _by_period(page: Page, decomposition: Decomposition) -> np.ndarray | None:
    """The team's plan in each report period, from its weeks' parts (or its months)."""
    kind = page.kpis.period
    starts = page.kpis.periods.dates()
    if not starts:
        return None
    teams = [c for c in decomposition.chains if c.manager_id is None]
    plan: dict[date, float] = {}

    def add(day: date, value: float) -> None:
        plan[day] = plan.get(day, 0.0) + value

    for c in teams:
        for week in c.weeks:
            if kind == "week":
                add(week.start, week.plan.value)
                continue
            # a week's part spread over its working days (Monday to Friday) in the period
            first = max(week.start, c.start).toordinal()
            last = min(week.start.toordinal() + 7, c.end.toordinal())
            days = [date.fromordinal(d) for d in range(first, last)]
            working = [d for d in days if d.weekday() < 5] or days
            for day in working:
                add(day if kind == "day" else day.replace(day=1), week.plan.value / len(working))
    return np.array([plan.get(start, 0.0) for start in starts])


# ------------------------------------------------------------------------- headline


def plan_card(page: Page, view: PlanView) -> Card | None:
    """The headline's first card: revenue of the plan period under way against its plan."""
    if view.current is None:
        return None
    chain = view.team(view.current)
    check = chain.check
    if check is None:
        return None
    w, fmt = page.words, page.fmt
    period = view.current
    share = check.won / check.plan if check.plan > 0 else math.nan
    detail = [
        _plan_figure(
            page,
            "attainment",
            share,
            None,
            period,
            text=w("card_of_plan", share=fmt.percent(share), plan=fmt.money(check.plan)),
        ),
    ]
    if check.state == "current":
        detail.append(
            _plan_figure(
                page,
                "forecast",
                check.expected,
                None,
                period,
                text=w("card_forecast", value=fmt.money(check.expected)),
            )
        )
    label = w("card_period_revenue", period=_period_words(page, chain))
    forecast = check.expected / check.plan if check.plan > 0 else math.nan
    tone = tone_of(forecast if check.state == "current" else share)
    return Card(label, _plan_figure(page, "won", check.won, None, period), tuple(detail), tone)


def _period_words(page: Page, chain: Chain) -> str:
    kind = "month" if chain.start.day == 1 and (chain.end - chain.start).days > 7 else "week"
    return page.fmt.period(chain.start, kind)


def _plan_figure(
    page: Page,
    name: str,
    value: float,
    manager: str | None,
    period: str,
    *,
    unit: str | None = None,
    tone: str = "",
    text: str | None = None,
) -> Cell:
    units = {"attainment": "share", "forecast_vs_plan": "share", "needed": "needed"}
    kind = unit or units.get(name, "money")
    shown = (
        text
        if text is not None
        else page.fmt.needed(value)
        if kind == "needed"
        else page.text(value, kind)
    )
    return page.figure(f"plan:{name}", value, manager, period, unit=kind, tone=tone, text=shown)


# ----------------------------------------------------------------- plan and fact


def plan_section(page: Page, plots: ModuleType, view: PlanView | None) -> Section:
    """Plan and fact per manager: the period under way, and the earlier ones."""
    w = page.words
    if view is None or view.current is None:
        return Section("plan", w["plan"], w["plan_none"])
    period = view.current
    team = view.team(period)
    section = Section(
        "plan",
        w["plan"],
        w("plan_intro", periods=_period_words(page, team), now=page.fmt.moment(page.kpis.now)),
    )
    managers = [m for m in page.managers if view.chain(period, m) is not None]
    extra = [
        c.manager_id
        for c in view.decomposition.managers(period)
        if c.manager_id not in page.kpis.manager_ids
    ]
    managers += [m for m in extra if m is not None]
    state = team.check.state if team.check is not None else "future"
    heading = _period_words(page, team)
    if state == "current":
        heading += f" ({w['in_progress']})"
    section.blocks.append(Heading(heading))

    columns = [
        page.column("manager", numeric=False),
        page.column("plan_revenue"),
        page.column("won_so_far"),
        page.column("attainment"),
        page.column("left_to_win"),
    ]
    if state == "current":
        columns += [page.column("forecast"), page.column("forecast_vs_plan")]

    def cells(chain: Chain) -> list[Cell]:
        who = chain.manager_id
        check = chain.check
        if check is None:
            return [_plan_figure(page, "revenue", chain.revenue, who, period)] + [
                Cell("—") for _ in columns[2:]
            ]
        share = check.won / check.plan if check.plan > 0 else math.nan
        out = [
            _plan_figure(page, "revenue", check.plan, who, period),
            _plan_figure(page, "won", check.won, who, period),
            _plan_figure(page, "attainment", share, who, period),
            _plan_figure(page, "left", max(check.plan - check.won, 0.0), who, period),
        ]
        if state == "current":
            ahead = check.expected / check.plan if check.plan > 0 else math.nan
            out += [
                _plan_figure(page, "forecast", check.expected, who, period),
                _plan_figure(page, "forecast_vs_plan", ahead, who, period, tone=tone_of(ahead)),
            ]
        return out

    rows = []
    plan_values, won_values = [], []
    for manager in managers:
        chain = view.chain(period, manager)
        assert chain is not None
        rows.append((page.manager_cell(manager), *cells(chain)))
        plan_values.append(chain.check.plan if chain.check is not None else chain.revenue)
        won_values.append(chain.check.won if chain.check is not None else math.nan)
    section.blocks.append(
        Table(tuple(columns), tuple(rows), (page.team_cell(), *cells(team)), name="plan")
    )
    if team.check is not None:
        section.blocks.append(Text(team.check.text(w.lang)))
    if rows:
        plan_arr, won_arr = np.array(plan_values), np.array(won_values)
        with np.errstate(invalid="ignore", divide="ignore"):
            done = np.where(plan_arr > 0, won_arr / plan_arr, np.nan)
        chosen = page.pick(done)
        svg = plots.plan_fact(
            [page.name(managers[k]) for k in chosen],
            plan_arr[chosen],
            won_arr[chosen],
            words={
                "title": w("plan_plot", period=heading),
                "plan": w["plan_word"],
                "fact": w["fact_word"],
            },
            number=page.fmt.money,
        )
        caption = page.shown_of(chosen.size, len(managers), "plan_which")
        section.blocks.append(Plot(svg, caption))
    earlier = [p for p in view.started() if p != period][-EARLIER_SHOWN:]
    if earlier:
        section.blocks.append(Heading(w["plan_earlier"]))
        section.blocks.append(_earlier_table(page, view, earlier, managers))
    return section


def _earlier_table(page: Page, view: PlanView, periods: list[str], managers: list[str]) -> Table:
    """Won ÷ plan of each earlier plan period, per manager and for the team."""
    w = page.words
    columns = [page.column("manager", numeric=False)]
    for period in periods:
        name = _period_words(page, view.team(period))
        columns.append(
            page.custom_column(
                f"attainment:{period}",
                name,
                w("attainment_in", period=name),
            )
        )
    columns += [page.column("plan_total"), page.column("won_total"), page.column("attainment")]

    def cells(manager: str | None) -> list[Cell]:
        out: list[Cell] = []
        plan_sum = won_sum = 0.0
        for period in periods:
            chain = view.chain(period, manager)
            if chain is None or chain.check is None:
                out.append(Cell("—"))
                continue
            check = chain.check
            plan_sum += check.plan
            won_sum += check.won
            share = check.won / check.plan if check.plan > 0 else math.nan
            out.append(
                _plan_figure(page, "attainment", share, manager, period, tone=tone_of(share))
            )
        share = won_sum / plan_sum if plan_sum > 0 else math.nan
        label = f"{periods[0]}..{periods[-1]}"
        out += [
            _plan_figure(page, "revenue", plan_sum, manager, label),
            _plan_figure(page, "won", won_sum, manager, label),
            _plan_figure(page, "attainment", share, manager, label, tone=tone_of(share)),
        ]
        return out

    rows = tuple((page.manager_cell(m), *cells(m)) for m in managers)
    return Table(tuple(columns), rows, (page.team_cell(), *cells(None)), name="plan_earlier")


# ------------------------------------------------------------------- the chain


def chain_section(page: Page, view: PlanView | None) -> Section:
    """What the plan takes: the team's chain in words, each manager's in a table."""
    w = page.words
    if view is None or view.current is None:
        return Section("chain", w["chain"], w["chain_none"])
    period = view.current
    team = view.team(period)
    section = Section("chain", w["chain"], w("chain_intro", period=_period_words(page, team)))
    section.blocks.append(Heading(w["team"]))
    section.blocks.append(_steps(page, team, "chain"))
    section.blocks.append(Text(w("chain_rates", window=_window(page, team))))
    rates = (team.rates.avg_deal, *reversed(team.rates.steps))
    section.blocks.append(
        Items(
            tuple(Item((_step_cell(page, step, None, period, prefix="rate"),)) for step in rates),
            name="rates",
        )
    )
    chains = [c for c in view.decomposition.managers(period)]
    if chains:
        section.blocks.append(Heading(w["by_manager"]))
        section.blocks.append(_chain_table(page, view, period, chains))
    notes = view.decomposition.note(w.lang)
    if notes:
        section.blocks.append(
            Items(tuple(Item((Cell(n),), tone="warn") for n in notes), name="notes")
        )
    return section


def _window(page: Page, chain: Chain) -> str:
    start, end = chain.history
    return page.fmt.span(start, date.fromordinal(end.toordinal() - 1))


def _step_cell(
    page: Page, step: Step, manager: str | None, period: str, *, prefix: str = "step"
) -> Cell:
    """One step of the chain: its sentence, carrying its value."""
    return page.figure(
        f"{prefix}:{step.name}",
        step.value,
        manager,
        period,
        unit=step.unit,
        text=step.text(page.words.lang),
    )


def _steps(page: Page, chain: Chain, name: str) -> Items:
    parts = [
        Item((_step_cell(page, chain.plan, chain.manager_id, chain.period),)),
        *[Item((_step_cell(page, step, chain.manager_id, chain.period),)) for step in chain.steps],
    ]
    return Items(tuple(parts), name=name)


def _chain_table(page: Page, view: PlanView, period: str, chains: list[Chain]) -> Table:
    """Per manager: the plan, the average deal, and what each step needs."""
    team = view.team(period)
    keys = [s.name for s in team.steps]
    columns = [
        page.column("manager", numeric=False),
        page.column("plan_revenue"),
        page.column("avg_deal_history"),
    ]
    for key in keys:
        columns.append(_needed_column(page, key))
    week = _this_week(page, team)
    if week is not None:
        columns.append(page.column("leads_this_week"))

    def cells(chain: Chain) -> list[Cell]:
        who = chain.manager_id
        out = [
            _plan_figure(page, "revenue", chain.revenue, who, period),
            _plan_figure(page, "avg_deal", chain.rates.avg_deal.value, who, period),
        ]
        for key in keys:
            try:
                value = chain.needed(key)
            except KeyError:
                out.append(Cell("—"))
                continue
            out.append(_plan_figure(page, f"needed:{key}", value, who, period, unit="needed"))
        if week is not None:
            value = next((wk.leads for wk in chain.weeks if wk.start == week), math.nan)
            out.append(
                _plan_figure(page, "leads_this_week", value, who, week.isoformat(), unit="needed")
            )
        return out

    order = {m: k for k, m in enumerate(page.managers)}
    chains = sorted(chains, key=lambda c: order.get(c.manager_id or "", len(order)))
    rows = tuple((page.manager_cell(c.manager_id or ""), *cells(c)) for c in chains)
    return Table(tuple(columns), rows, (page.team_cell(), *cells(team)), name="chain")


def _needed_column(page: Page, key: str) -> Column:
    w = page.words
    if key.startswith("reached:"):
        stage = key.split(":", 1)[1]
        return page.custom_column(
            f"needed:{key}", w("needed_stage", stage=stage), w("needed_stage_meaning", stage=stage)
        )
    return page.column(f"needed_{key}")


def _this_week(page: Page, chain: Chain) -> date | None:
    today = page.kpis.now.date()
    for week in chain.weeks:
        if week.start <= today < date.fromordinal(week.start.toordinal() + 7):
            return week.start
    return None
