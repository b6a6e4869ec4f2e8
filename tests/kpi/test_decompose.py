# ruff: noqa: RUF001  (Russian text)
"""The sales plan broken down into deals and leads, worked out by hand.

History (October 2026, manager ann): 40 leads, 36 contacted, 20 reach «meeting», 12 reach
«proposal», 3 won at 40,000, the others lost: average deal 40,000, won from «proposal» 3/12 = 25 %,
«meeting» → «proposal» 12/20 = 60 %, contact → «meeting» 20/36, contact rate 36/40 = 90 %.
A plan of 1,200,000 for November is 30 deals, 120 at «proposal», 200 at «meeting», 360
contacted and 400 leads.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fairlead as fl
from fairlead import kpi
from fairlead.kpi._decompose import chain_steps, decompose, week_parts
from fairlead.kpi._plan_calendar import holiday_array, weeks_of
from fairlead.kpi._plan_file import SalesPlan
from fairlead.kpi._plan_rates import ladder, rates_of
from fairlead.kpi._plan_split import Team, manager_plans, split_total
from fairlead.kpi._rating import rank_managers
from fairlead.kpi._steps import Step


def life(
    lead: str,
    manager: str,
    day: str,
    *,
    contacted: bool = True,
    stages: tuple[str, ...] = (),
    won: float | None = None,
    lost: bool = False,
    deal_value: float | None = None,
    source: str | None = None,
    win_probability: float | None = None,
) -> list[dict[str, Any]]:
    """One lead's events on ``day`` (2026-MM-DD): created 09:00, assigned 09:01 ..."""
    created: dict[str, Any] = {"type": "created", "at": f"{day}T09:00", "lead_id": lead}
    if deal_value is not None:
        created["deal_value"] = deal_value
    if source is not None:
        created["source"] = source
    assigned: dict[str, Any] = {
        "type": "assigned",
        "at": f"{day}T09:01",
        "lead_id": lead,
        "manager_id": manager,
    }
    if win_probability is not None:
        assigned["win_probability"] = win_probability
    rows = [created, assigned]
    if contacted:
        rows.append({"type": "contacted", "at": f"{day}T09:05", "lead_id": lead})
    for k, stage in enumerate(stages):
        rows.append({"type": "stage", "at": f"{day}T1{k}:00", "lead_id": lead, "stage": stage})
    if won is not None:
        rows.append({"type": "won", "at": f"{day}T15:00", "lead_id": lead, "amount": won})
    if lost:
        rows.append({"type": "lost", "at": f"{day}T16:00", "lead_id": lead})
    return rows


def october(manager: str = "ann", prefix: str = "h") -> list[dict[str, Any]]:
    """The history of the module's docstring (weekdays of October 2026)."""
    days = [d for d in range(1, 31) if date(2026, 10, d).weekday() < 5]
    rows: list[dict[str, Any]] = []
    for i in range(40):
        stages: tuple[str, ...] = ()
        if i < 20:
            stages = ("meeting",)
        if i < 12:
            stages = ("meeting", "proposal")
        rows += life(
            f"{prefix}{i:02d}",
            manager,
            f"2026-10-{days[i % len(days)]:02d}",
            contacted=i < 36,
            stages=stages,
            won=40_000.0 if i < 3 else None,
            lost=i >= 3,
            source="web" if i < 20 else "fair",
        )
    return rows


@pytest.fixture(scope="module")
def history_kpis() -> Any:
    log = kpi.EventLog.from_records(october())
    return kpi.compute(log, "week", now="2026-11-02T08:00")


# --------------------------------------------------------------------------- the chain


def team_ladder() -> Any:
    keys = ["leads", "contacted", "reached:meeting", "reached:proposal", "deals"]
    team = np.array([400.0, 360.0, 200.0, 120.0, 30.0])
    money = (np.array([1.2e6]), np.array([30.0]), 1.2e6, 30.0)
    return ladder(keys, team[:, None], team, money, ["ann"], (date(2026, 8, 3), date(2026, 11, 1)))


def test_the_chain_from_plan_to_leads_by_hand():
    steps = chain_steps(1_200_000, rates_of(team_ladder(), None))
    assert [s.name for s in steps] == [
        "deals",
        "reached:proposal",
        "reached:meeting",
        "contacted",
        "leads",
    ]
    np.testing.assert_allclose([s.value for s in steps], [30, 120, 200, 360, 400])
    assert [s.en for s in steps] == [
        "plan 1,200,000 ÷ average deal 40,000 = 30 deals",
        "30 deals ÷ won from «proposal» 25% = 120 at «proposal»",
        "120 at «proposal» ÷ «meeting» → «proposal» 60% = 200 at «meeting»",
        "200 at «meeting» ÷ contacted → «meeting» 56% = 360 contacted",
        "360 contacted ÷ contact rate 90% = 400 leads",
    ]
    assert [s.ru.replace("\u00a0", " ") for s in steps] == [
        "план 1 200 000 ÷ средний чек 40 000 = 30 сделок",
        "30 сделок ÷ доля выигранных с этапа «proposal» 25 % = 120 лидов на этапе «proposal»",
        "120 лидов на этапе «proposal» ÷ переход «meeting» → «proposal» 60 % = 200 лидов на "
        "этапе «meeting»",
        "200 лидов на этапе «meeting» ÷ переход от контакта к этапу «meeting» 56 % = 360 лидов "
        "с контактом",
        "360 лидов с контактом ÷ доля лидов с контактом 90 % = 400 лидов",
    ]
    # every step keeps its inputs
    assert steps[0].inputs == (("plan", 1_200_000), ("avg_deal", 40_000.0))
    assert steps[1].input("deals") == 30
    assert steps[1].input("rate:deals") == 0.25
    assert steps[4].formula == "contacted ÷ contact rate"


def test_each_rate_says_where_it_comes_from():
    rates = rates_of(team_ladder(), None)
    assert (
        rates.avg_deal.en == "average deal 40,000: 1,200,000 for 30 deals won, 3 Aug – 31 Oct 2026"
    )
    assert rates.steps[-1].en == (
        "won from «proposal» 25%: 30 deals of 120 at «proposal», 3 Aug – 31 Oct 2026"
    )
    assert rates.steps[-1].inputs == (("deals", 30.0), ("reached:proposal", 120.0))


def test_a_manager_s_rates_are_pulled_towards_the_team_s():
    keys = ["leads", "reached:proposal", "deals"]
    counts = np.array([[40.0, 0.0], [20.0, 0.0], [8.0, 0.0]])
    team = np.array([400.0, 120.0, 30.0])
    money = (np.array([300_000.0, 0.0]), np.array([5.0, 0.0]), 1.2e6, 30.0)
    lad = ladder(keys, counts, team, money, ["ann", "new"], (date(2026, 8, 3), date(2026, 11, 1)))
    ann = rates_of(lad, "ann", name="Anna Ivanova")
    # (8 + 20 x 25 %) / (20 + 20) and (300,000 + 5 x 40,000) / (5 + 5)
    assert ann.rate("deals") == pytest.approx(13 / 40)
    assert ann.avg_deal.value == pytest.approx(50_000)
    assert ann.steps[-1].en == (
        "won from «proposal» 32%: Anna Ivanova — 8 deals of 20 at «proposal» (40%), pulled "
        "towards the team's 25% as if 20 more went at the team's rate"
    )
    assert ann.avg_deal.ru.replace("\u00a0", " ") == (
        "средний чек 50 000: Anna Ivanova — 300 000 за 5 сделок, с учётом командного "
        "40 000 — как будто ещё 5 сделок были по среднему чеку команды"
    )
    assert ann.steps[-1].ru.replace("\u00a0", " ") == (
        "доля выигранных с этапа «proposal» 32 %: Anna Ivanova — 8 сделок из 20 лидов на этапе "
        "«proposal» (40 %), с учётом командных 25 % — как будто ещё 20 лидов шли по доле команды"
    )
    assert ann.steps[-1].inputs == (
        ("deals", 8.0),
        ("reached:proposal", 20.0),
        ("team_rate", 0.25),
        ("prior", 20.0),
    )
    # a manager with no history, or one not in the KPIs, gets the team's rates
    team_rates = rates_of(lad, None)
    for other in ("new", "nobody"):
        mine = rates_of(lad, other)
        assert [s.value for s in mine.steps] == [s.value for s in team_rates.steps]
        assert mine.avg_deal.value == team_rates.avg_deal.value


def test_a_stage_nobody_reached_and_missing_contacts_are_stepped_over():
    keys = ["leads", "contacted", "reached:meeting", "reached:demo", "reached:proposal", "deals"]
    team = np.array([100.0, 10.0, 50.0, 0.0, 20.0, 5.0])
    money = (np.array([5e4]), np.array([5.0]), 5e4, 5.0)
    lad = ladder(keys, team[:, None], team, money, ["m"], (date(2026, 10, 1), date(2026, 11, 1)))
    assert lad.keys == ("leads", "reached:meeting", "reached:proposal", "deals")
    assert [en for en, _ in lad.notes] == [
        "No lead reached «demo» in the history window: the chain goes past it.",
        "Contacts are missing from the log (more leads reached the next step than were "
        "contacted): the chain goes past the contact step.",
    ]


# --------------------------------------------------------------------------- end to end


def test_decompose_a_manager_plan_from_the_kpis(history_kpis):
    plan = [{"period": "2026-11", "manager_id": "ann", "revenue": 1_200_000}]
    found = decompose(plan, history_kpis)
    ann = found.chain("2026-11", "ann")
    team = found.chain("2026-11")
    for chain in (ann, team):
        np.testing.assert_allclose(
            [chain.deals, chain.needed("reached:proposal"), chain.needed("reached:meeting")],
            [30, 120, 200],
        )
        assert chain.needed("contacted") == pytest.approx(360)
        assert chain.leads == pytest.approx(400)
    assert ann.text("en") == (
        "plan 1,200,000 ÷ average deal 40,000 = 30 deals; 30 deals ÷ won from «proposal» 25% = "
        "120 at «proposal»; 120 at «proposal» ÷ «meeting» → «proposal» 60% = 200 at «meeting»; "
        "200 at «meeting» ÷ contacted → «meeting» 56% = 360 contacted; 360 contacted ÷ contact "
        "rate 90% = 400 leads"
    )
    assert ann.plan.en == "plan 1,200,000 (plan row 0)"
    assert team.plan.en == "plan 1,200,000 (the sum of 1 managers' plans)"
    assert ann.history == (date(2026, 10, 1), date(2026, 11, 1))
    assert found.periods == ("2026-11",)
    assert found.managers("2026-11") == (ann,)
    with pytest.raises(fl.InputError, match="no chain for manager 'bob' in '2026-11'"):
        found.chain("2026-11", "bob")


def test_a_month_is_spread_over_its_weeks_by_working_days(history_kpis):
    plan = [{"period": "2026-11", "revenue": 2_100_000}]
    team = decompose(plan, history_kpis).chain("2026-11")
    # November 2026: 21 working days; Sunday the 1st falls in no week
    assert [w.start for w in team.weeks] == [date(2026, 11, d) for d in (2, 9, 16, 23, 30)]
    assert [w.working_days for w in team.weeks] == [5, 5, 5, 5, 1]
    assert [w.plan.value for w in team.weeks] == pytest.approx([500_000] * 4 + [100_000])
    assert [w.leads for w in team.weeks] == pytest.approx([500 / 3 * 1] * 4 + [100 / 3])
    assert team.weeks[0].plan.en == (
        "plan 2,100,000 × 5 of 21 working days = 500,000 (week of 2 Nov)"
    )
    assert team.weeks[4].plan.ru.replace("\u00a0", " ") == (
        "план 2 100 000 × 1 из 21 рабочего дня = 100 000 (неделя с 30 ноября)"
    )
    # a holiday (4 November) moves a day's worth of plan out of the first week
    with_holiday = decompose(plan, history_kpis, holidays=["2026-11-04"]).chain("2026-11")
    assert [w.working_days for w in with_holiday.weeks] == [4, 5, 5, 5, 1]
    assert with_holiday.weeks[0].plan.value == pytest.approx(2_100_000 * 4 / 20)


def test_a_team_plan_is_split_by_lead_limits(history_kpis):
    plan = [{"period": "2026-11", "revenue": 1_200_000}]
    managers = [
        {"id": "ann", "name": "Anna Ivanova", "max_active_leads": 10},
        {"id": "bob", "max_active_leads": 30},
    ]
    found = decompose(plan, history_kpis, managers=managers)
    ann, bob = found.managers("2026-11")
    assert (ann.revenue, bob.revenue) == (300_000, 900_000)
    assert (ann.name, bob.name) == ("Anna Ivanova", "bob")
    assert ann.plan.en == "team plan 1,200,000 × share by lead limit 25% (10 of 40 leads) = 300,000"
    assert bob.plan.ru.replace("\u00a0", " ") == (
        "план команды 1 200 000 × доля по лимиту лидов 75 % (30 из 40 лидов) = 900 000"
    )
    # bob has no history: the team's rates, so his leads are in proportion
    assert bob.leads == pytest.approx(3 * ann.leads)


def test_a_team_plan_split_by_performance(history_kpis):
    plan = [{"period": "2026-11", "revenue": 1_000_000}]
    managers = [
        {"id": "ann", "max_active_leads": 10},
        {"id": "bob", "max_active_leads": 10},
        {"id": "cy", "max_active_leads": 20},
    ]
    rating = rank_managers(
        ["ann", "bob", "cy"],
        {"plan": np.array([1.8, 0.1, np.nan])},
        {"plan": 1.0},
        {"plan": np.array([1.8, 0.1, np.nan])},
    )
    found = decompose(plan, history_kpis, managers=managers, split="performance", rating=rating)
    # weights: limit x index within [0.5, 2]: 10 x 1.8, 10 x 0.5 (floor), 20 x 1.0 (unrated)
    revenues = [c.revenue for c in found.managers("2026-11")]
    assert revenues == pytest.approx([1e6 * 18 / 43, 1e6 * 5 / 43, 1e6 * 20 / 43])
    assert found.split == "performance"
    assert found.managers("2026-11")[0].plan.en == (
        "team plan 1,000,000 × share by lead limit and rating 42% (limit 10 × rating 1.80 = "
        "18.0 of 43.0) = 418,605"
    )
    # the policy's floor and cap bound the indices
    tight = decompose(
        plan,
        history_kpis,
        managers=managers,
        split="performance",
        rating=rating,
        policy={"performance_floor": 1.0, "performance_cap": 1.0},
    )
    assert [c.revenue for c in tight.managers("2026-11")] == pytest.approx([250e3, 250e3, 500e3])


def test_the_period_under_way_is_checked_from_the_bottom_up():
    rows = october()
    # November so far: one deal won, open deals at «proposal» and «meeting», two open leads
    rows += life("n-won", "ann", "2026-11-03", stages=("meeting", "proposal"), won=50_000)
    rows += life("n-prop", "ann", "2026-11-04", stages=("meeting", "proposal"), deal_value=80_000)
    rows += life("n-meet", "ann", "2026-11-05", stages=("meeting",), deal_value=100_000)
    rows += life("n-hot", "ann", "2026-11-06", deal_value=30_000, win_probability=0.1)
    rows += life("n-new", "ann", "2026-11-09", contacted=False)
    kpis = kpi.compute(kpi.EventLog.from_records(rows), "week", now="2026-11-16T12:00")
    found = decompose([{"period": "2026-11", "manager_id": "ann", "revenue": 1_200_000}], kpis)
    check = found.chain("2026-11", "ann").check
    assert check is not None
    assert check.state == "current"
    # 80,000 x 25 % + 100,000 x 60 % x 25 %; 30,000 x 0.1 + 40,000 (average deal) x 7.5 %
    assert check.won == 50_000
    assert check.pipeline == pytest.approx(20_000 + 15_000)
    assert check.fresh == pytest.approx(3_000 + 3_000)
    assert check.expected == pytest.approx(91_000)
    assert check.gap == pytest.approx(1_109_000)
    # a «web» lead brings (3 + 20 x 7.5 %) / (20 + 20) x 40,000 = 4,500; «fair» 1,500
    web, fair = [c for c in check.closers if c.by == "source"]
    assert (web.label, fair.label) == ("web", "fair")
    assert web.value == pytest.approx(4_500)
    assert web.leads == pytest.approx(1_109_000 / 4_500)
    assert fair.value == pytest.approx(1_500)
    assert check.text("en") == (
        "expected 91,000 = won 50,000 + open deals 35,000 + new leads 6,000; plan 1,200,000; "
        "short by 1,109,000: about 246 more leads from «web» (a lead brings 4,500 on average: "
        "conversion 11% × average deal 40,000), or 739 more leads from «fair» (a lead brings "
        "1,500 on average: conversion 3.8% × average deal 40,000)"
    )
    assert (
        check.text("ru")
        .replace("\u00a0", " ")
        .startswith(
            "ожидается 91 000 = выиграно 50 000 + открытые сделки 35 000 + новые лиды 6 000; план "
            "1 200 000; не хватает 1 109 000: это ещё 246 лидов из источника «web»"
        )
    )


def test_past_and_future_periods(history_kpis):
    plan = [
        {"period": "2026-10", "revenue": 100_000},
        {"period": "2026-12", "revenue": 100_000},
    ]
    found = decompose(plan, history_kpis)
    past = found.chain("2026-10").check
    assert past is not None
    assert past.state == "past"
    assert (past.won, past.expected, past.gap) == (120_000, 120_000, -20_000)
    assert past.text("en") == "won 120,000; plan 100,000: on track"
    assert found.chain("2026-12").check is None
    # October is the log's first month: its rates come from the whole log, and it says so
    assert found.chain("2026-10").history == (date(2026, 10, 1), date(2026, 11, 3))
    assert found.note("en") == [
        "2026-10: no deal was won before the period; its rates come from the whole log "
        "(1 Oct – 2 Nov 2026)."
    ]


def test_records_and_text(history_kpis):
    found = decompose(
        [{"period": "2026-11", "manager_id": "ann", "revenue": 1_200_000}], history_kpis
    )
    records = found.to_records()
    whole = [r for r in records if r["week"] is None]
    assert [r["manager_id"] for r in whole] == [None, "ann"]
    assert whole[1]["leads"] == pytest.approx(400)
    weeks = [r for r in records if r["manager_id"] == "ann" and r["week"] is not None]
    assert sum(r["revenue"] for r in weeks) == pytest.approx(1_200_000)
    assert sum(r["leads"] for r in weeks) == pytest.approx(400)
    text = found.text("ru").replace("\u00a0", " ")
    assert text.splitlines()[0] == "2026-11"
    assert text.splitlines()[1].startswith("  команда: план 1 200 000 ÷ средний чек 40 000 = 30")


def test_bad_arguments_are_named(history_kpis):
    plan = [{"period": "2026-11", "revenue": 1}]
    with pytest.raises(
        fl.InputError, match="split must be one of capacity, performance, got 'fair'"
    ):
        decompose(plan, history_kpis, split="fair")
    with pytest.raises(fl.InputError, match="history must be a whole number of days >= 1, got 0"):
        decompose(plan, history_kpis, history=0)
    with pytest.raises(fl.InputError, match="plan row 0, field 'period'"):
        decompose([{"period": "November", "revenue": 1}], history_kpis)


# --------------------------------------------------------------------------- properties


@given(
    weights=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=12),
    total=st.floats(0, 1e12, allow_nan=False),
)
def test_the_split_per_manager_adds_up_to_the_team_plan(weights, total):
    parts = split_total(total, np.array(weights))
    assert parts.sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert (parts >= 0).all()
    plan = SalesPlan.from_records([{"period": "2026-11", "revenue": total}])
    ids = tuple(f"m{j}" for j in range(len(weights)))
    team = Team(ids, {}, np.array(weights), "limits")
    steps = manager_plans(plan, "2026-11", team, None)
    assert sum(s.value for _, s in steps) == pytest.approx(total, rel=1e-9, abs=1e-6)


@given(
    year=st.integers(2000, 2100),
    month=st.integers(1, 12),
    holidays=st.lists(st.integers(1, 28), max_size=25),
    revenue=st.floats(0, 1e10, allow_nan=False),
)
def test_the_weeks_add_up_to_the_month(year, month, holidays, revenue):
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    days_off = holiday_array([date(year, month, d) for d in holidays])
    weeks = weeks_of(start, end, days_off)
    assert weeks.share.sum() == pytest.approx(1.0)
    assert all(d.weekday() == 0 for d in weeks.dates())
    working = int(np.busday_count(start, end, holidays=days_off))
    assert int(weeks.days.sum()) == (working or (end - start).days)
    plan = Step("plan", revenue, "money", (), "", "", "")
    deals = Step("deals", revenue / 1000, "count", (), "", "", "")
    parts = week_parts(plan, (deals,), start, end, days_off)
    assert sum(w.plan.value for w in parts) == pytest.approx(revenue, rel=1e-9, abs=1e-6)
    assert sum(w.deals for w in parts) == pytest.approx(revenue / 1000, rel=1e-9, abs=1e-9)


def test_a_weekly_plan_is_one_week(history_kpis):
    found = decompose(
        [{"period": "2026-11-02", "manager_id": "ann", "revenue": 120_000}], history_kpis
    )
    ann = found.chain("2026-11-02", "ann")
    assert [(w.start, w.working_days, w.share) for w in ann.weeks] == [(date(2026, 11, 2), 5, 1.0)]
    assert ann.deals == pytest.approx(3)
    assert ann.leads == pytest.approx(40)


def test_the_demo_team_s_quarter():
    from fairlead.datasets import demo_path, load_demo

    managers = load_demo().managers
    log = kpi.read_events(demo_path("demo_events.csv"))
    kpis = kpi.compute(log, "week", managers=managers)
    found = decompose(demo_path("demo_sales_plan.csv"), kpis, managers=managers)
    assert found.periods == ("2026-09", "2026-10", "2026-11")
    for period in found.periods:
        team = found.chain(period)
        parts = found.managers(period)
        assert len(parts) == len(managers)
        assert sum(c.revenue for c in parts) == pytest.approx(team.revenue)
        for chain in (team, *parts):
            assert np.isfinite(chain.leads)
            assert sum(w.plan.value for w in chain.weeks) == pytest.approx(chain.revenue)
            assert chain.steps[0].en.startswith(f"plan {chain.revenue:,.0f} ÷ average deal")
    november = found.chain("2026-11").check
    assert november is not None
    assert november.state == "current"
    assert november.expected >= november.won > 0
    assert found.chain("2026-09").check.state == "past"
