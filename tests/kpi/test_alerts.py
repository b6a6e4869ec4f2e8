# ruff: noqa: RUF001  (Russian text)
"""Alerts: each fires past its threshold and stays quiet at it, in English and Russian."""

from __future__ import annotations

from typing import Any

import pytest

import fairlead as fl
from fairlead import kpi
from fairlead.kpi._alerts import AlertRules, alerts

OLGA = [{"id": "m-1", "name": "Ольга Ким", "max_active_leads": 20}]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def assigned(lead: str, at: str, manager: str = "m-1") -> dict[str, Any]:
    return {"type": "assigned", "at": at, "lead_id": lead, "manager_id": manager}


def run(rows: list[dict[str, Any]], now: str, **kw: Any) -> list[Any]:
    managers = kw.pop("kpi_managers", None)
    kpis = kpi.compute(
        kpi.EventLog.from_records(rows), kw.pop("period", "week"), now=now, managers=managers
    )
    return alerts(kpis, **kw)


def of_kind(found: list[Any], kind: str) -> list[Any]:
    return [a for a in found if a.kind == kind]


# --------------------------------------------------------------------------- rules


def test_rules_have_documented_defaults():
    rules = AlertRules()
    assert (rules.sla_minutes, rules.below_plan, rules.min_elapsed) == (15.0, 0.2, 0.5)
    assert (rules.overload_days, rules.complaint_rise, rules.min_complaints) == (1, 1.5, 3)
    assert (rules.complaint_history, rules.min_leads) == (4, 10)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sla_minutes": 0}, r"alert rules 'sla_minutes': Input should be greater than 0, got 0"),
        ({"below_plan": 1.5}, r"'below_plan': Input should be less than 1, got 1.5"),
        ({"min_elapsed": float("nan")}, r"'min_elapsed': Input should be a finite number, got nan"),
        ({"overload_days": True}, r"'overload_days': must be a number, not a boolean"),
        ({"min_complaints": 1.5}, r"'min_complaints': .*integer.*got 1.5"),
        ({"complaint_rise": 0.5}, r"'complaint_rise': .*greater than or equal to 1, got 0.5"),
        ({"sla": 15}, r"alert rules 'sla': Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_named(fields, message):
    with pytest.raises(fl.InputError, match=message):
        AlertRules(**fields)
    log = kpi.EventLog.from_records([assigned("l", "2026-11-23T09:00")])
    with pytest.raises(fl.InputError, match=message):
        alerts(kpi.compute(log), rules=fields)


# --------------------------------------------------------------------------- waiting


def test_leads_waiting_past_the_sla_are_named():
    rows = [assigned(f"l{i}", "2026-11-23T09:00") for i in range(7)]
    rows.append(assigned("l-early", "2026-11-23T08:00"))
    rows += [assigned("l-done", "2026-11-23T08:00"), assigned("l-lost", "2026-11-23T08:00")]
    rows.append({"type": "contacted", "at": "2026-11-23T08:10", "lead_id": "l-done"})
    rows.append({"type": "lost", "at": "2026-11-23T08:30", "lead_id": "l-lost"})
    # exactly 15 minutes: not late yet (the 08:00 lead is)
    at_sla = of_kind(run(rows, "2026-11-23T09:15:00", managers=OLGA), "waiting")
    assert [a.lead_ids for a in at_sla] == [("l-early",)]
    late = of_kind(run(rows, "2026-11-23T09:15:01", managers=OLGA), "waiting")
    (alert,) = late
    assert alert.lead_ids == ("l-early", "l0", "l1", "l2", "l3", "l4", "l5", "l6")
    assert (alert.manager_id, alert.name, alert.severity) == ("m-1", "Ольга Ким", "high")
    assert alert.figures["leads"] == 8
    assert alert.figures["longest_minutes"] == pytest.approx(75 + 1 / 60)
    assert plain(alert.message("ru")) == (
        "Ольга Ким: 8 лидов ждут первого контакта дольше 15 мин (дольше всех — 75 мин): "
        "l-early, l0, l1, l2, l3 и ещё 3"
    )
    assert plain(alert.message("en")) == (
        "Ольга Ким: 8 leads waiting for a first contact longer than 15 min (longest 75 min): "
        "l-early, l0, l1, l2, l3 and 3 more"
    )


def test_a_wait_is_urgent_from_four_times_the_sla():
    rows = [assigned("l", "2026-11-23T09:00")]
    (medium,) = run(rows, "2026-11-23T09:59:59")
    (high,) = run(rows, "2026-11-23T10:00:00")
    assert (medium.severity, high.severity) == ("medium", "high")
    assert (
        plain(high.message("ru"))
        == "m-1: 1 лид ждёт первого контакта дольше 15 мин (уже 60 мин): l"
    )
    assert plain(high.message("en")) == (
        "m-1: 1 lead waiting for a first contact longer than 15 min (60 min so far): l"
    )
    # a longer SLA: not late at all
    assert run(rows, "2026-11-23T10:00:00", rules={"sla_minutes": 61}) == []


def test_the_wait_runs_from_the_last_assignment():
    rows = [assigned("l", "2026-11-23T09:00", "m-1"), assigned("l", "2026-11-23T09:50", "m-2")]
    (alert,) = run(rows, "2026-11-23T10:10")
    assert (alert.manager_id, alert.figures["longest_minutes"]) == ("m-2", 20.0)


def test_leads_with_no_manager():
    rows = [
        {"type": "created", "at": "2026-11-23T09:00", "lead_id": "l1"},
        {"type": "created", "at": "2026-11-23T09:30", "lead_id": "l2"},
        {"type": "created", "at": "2026-11-23T09:40", "lead_id": "l3"},
        assigned("l4", "2026-11-23T09:00"),
        {"type": "contacted", "at": "2026-11-23T09:01", "lead_id": "l4"},
    ]
    (alert,) = run(rows, "2026-11-23T09:55")
    assert (alert.kind, alert.manager_id, alert.lead_ids) == ("unassigned", None, ("l1", "l2"))
    assert (
        plain(alert.message("ru"))
        == "2 лида без менеджера дольше 15 мин (дольше всех — 55 мин): l1, l2"
    )
    assert alert.message("en") == (
        "2 leads have had no manager for longer than 15\u00a0min (longest 55\u00a0min): l1, l2"
    )


# --------------------------------------------------------------------------- plan


def week_with_revenue(amount: float) -> list[dict[str, Any]]:
    return [
        assigned("w", "2026-11-23T08:00"),
        {"type": "contacted", "at": "2026-11-23T08:05", "lead_id": "w"},
        {"type": "won", "at": "2026-11-23T09:00", "lead_id": "w", "amount": amount},
    ]


@pytest.mark.parametrize(
    ("won", "now", "fires"),
    [
        (0.0, "2026-11-25T11:59", False),  # the week is not half through: not judged yet
        (0.0, "2026-11-25T12:00", True),  # half through: 0 of 50,000 due
        (40_100.0, "2026-11-25T12:00", False),  # 80.2 % of what is due
        (39_900.0, "2026-11-25T12:00", True),  # 79.8 %
    ],
)
def test_below_the_plan_pro_rated_to_today(won, now, fires):
    plan = [{"period": "2026-11-23", "manager_id": "m-1", "revenue": 100_000}]
    found = of_kind(run(week_with_revenue(won), now, plan=plan, managers=OLGA), "below_plan")
    assert bool(found) is fires
    if fires:
        assert {a.manager_id for a in found} == {"m-1", None}  # the manager and the team


def test_below_plan_messages_and_severity():
    plan = [{"period": "2026-11-23", "manager_id": "m-1", "revenue": 100_000}]
    team, mine = of_kind(
        run(week_with_revenue(30_000.0), "2026-11-26T12:00", plan=plan, managers=OLGA),
        "below_plan",
    )
    assert (mine.manager_id, team.manager_id) == ("m-1", None)
    assert mine.figures["due"] == pytest.approx(70_000)
    assert mine.severity == "high"  # 43 %
    assert plain(mine.message("ru")) == (
        "Ольга Ким: выполнено 43 % плана на сегодня (30 000 из 70 000, которые нужны к этому "
        "дню; неделя прошла на 70 %)"
    )
    assert team.message("en") == (
        "Team: 43% of the plan to date (30,000 won of 70,000 due by today; the week is 70% through)"
    )
    # a team-only plan is split over the team (here Olga alone): 71 % is below 80 %, not 60 %
    team_plan = [{"period": "2026-11-23", "revenue": 100_000}]
    found = of_kind(
        run(week_with_revenue(50_000.0), "2026-11-26T12:00", plan=team_plan, managers=OLGA),
        "below_plan",
    )
    assert [(a.manager_id, a.severity) for a in found] == [(None, "medium"), ("m-1", "medium")]


# --------------------------------------------------------------------------- overload


def test_a_manager_over_the_limit():
    rows = [assigned(f"l{i}", "2026-11-23T09:00") for i in range(3)]
    rows += [{"type": "contacted", "at": "2026-11-23T09:05", "lead_id": f"l{i}"} for i in range(3)]
    limit = [{"id": "m-1", "name": "Ольга Ким", "max_active_leads": 2}]
    found = of_kind(run(rows, "2026-11-27T12:00", kpi_managers=limit, managers=limit), "overload")
    (alert,) = found
    assert alert.figures["days"] == 5
    assert alert.severity == "high"
    assert plain(alert.message("ru")) == (
        "Ольга Ким: лимит лидов превышен 5 дней за эту неделю (до 3 открытых лидов одновременно)"
    )
    assert alert.message("en") == (
        "Ольга Ким: over the lead limit on 5 days this week (up to 3 open leads at once)"
    )
    roomy = [{"id": "m-1", "max_active_leads": 3}]
    assert of_kind(run(rows, "2026-11-27T12:00", kpi_managers=roomy), "overload") == []
    # the KPIs know no limits: nothing to say
    assert of_kind(run(rows, "2026-11-27T12:00"), "overload") == []


# --------------------------------------------------------------------------- complaints


def complaint_weeks(earlier: int, now_count: int, now_leads: int = 10) -> list[dict[str, Any]]:
    """Four weeks of 10 leads with ``earlier`` complaints in all, then this week's."""
    rows: list[dict[str, Any]] = []
    mondays = ["2026-10-26", "2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    for w, monday in enumerate(mondays):
        leads = now_leads if w == 4 else 10
        complaints = now_count if w == 4 else (earlier // 4 + (1 if w < earlier % 4 else 0))
        for i in range(leads):
            lead = f"w{w}-{i}"
            rows.append(assigned(lead, f"{monday}T09:00"))
            rows.append({"type": "contacted", "at": f"{monday}T09:05", "lead_id": lead})
            if i < complaints:
                rows.append(
                    {
                        "type": "feedback",
                        "at": f"{monday}T10:00",
                        "lead_id": lead,
                        "complaint": True,
                    }
                )
    return rows


@pytest.mark.parametrize(
    ("earlier", "now_count", "now_leads", "fires"),
    [
        (1, 3, 10, True),  # 30 per 100 against 2.5
        (1, 2, 10, False),  # two complaints are no trend
        (0, 3, 10, True),  # none before: any rate is a rise
        (8, 3, 10, True),  # 30 against 20: exactly 1.5 times
        (8, 3, 11, False),  # 27.3 against 20: less
    ],
)
def test_complaints_rising(earlier, now_count, now_leads, fires):
    found = of_kind(
        run(complaint_weeks(earlier, now_count, now_leads), "2026-11-27T12:00", managers=OLGA),
        "complaints",
    )
    assert bool(found) is fires
    if fires:
        assert {a.manager_id for a in found} == {"m-1", None}


def test_complaint_messages():
    team, mine = of_kind(
        run(complaint_weeks(1, 3), "2026-11-27T12:00", managers=OLGA), "complaints"
    )
    assert (team.manager_id, mine.manager_id) == (None, "m-1")  # the team first
    assert plain(mine.message("ru")) == (
        "Ольга Ким: 3 жалобы за эту неделю — 30,0 на 100 лидов, против 2,5 за 4 недели до этого"
    )
    assert mine.message("en") == (
        "Ольга Ким: 3 complaints this week — 30.0 per 100 leads, against 2.5 in the 4 weeks before"
    )
    fresh = of_kind(run(complaint_weeks(0, 3), "2026-11-27T12:00"), "complaints")[0]
    assert plain(fresh.message("ru")) == (
        "Команда: 3 жалобы за эту неделю — 30,0 на 100 лидов, а за 4 недели до этого жалоб не было"
    )
    # on Monday morning the week is not judged yet: last week is
    monday = of_kind(run(complaint_weeks(0, 3), "2026-11-23T12:00"), "complaints")
    assert monday == []


# --------------------------------------------------------------------------- shares


def shares(a: int, b: int) -> list[dict[str, Any]]:
    rows = []
    for manager, n in (("a", a), ("b", b)):
        for i in range(n):
            lead = f"{manager}{i}"
            rows.append(assigned(lead, "2026-11-23T09:00", manager))
            rows.append({"type": "contacted", "at": "2026-11-23T09:05", "lead_id": lead})
    return rows


@pytest.mark.parametrize(
    ("a", "b", "flagged"),
    [
        (12, 8, set()),  # band 8-12 around 10 each
        (13, 7, {"a", "b"}),
        (7, 2, set()),  # 9 leads: too few to judge
    ],
)
def test_shares_outside_the_balance_band(a, b, flagged):
    found = of_kind(run(shares(a, b), "2026-11-27T12:00"), "share")
    assert {x.manager_id for x in found} == flagged


def test_share_messages_and_the_policy_band():
    found = of_kind(run(shares(16, 4), "2026-11-27T12:00"), "share")
    above, below = sorted(found, key=lambda x: x.manager_id)
    assert above.severity == "high"  # 16 is past 10 x (1 + 2 x 0.2)
    assert above.message("en") == (
        "a: 16 leads this week, above the fair band of 8–12 (target 10, 50% of the team's 20)"
    )
    assert plain(below.message("ru")) == (
        "b: 4 лида за эту неделю — меньше справедливого коридора 8–12 (цель 10, 50 % от 20 "
        "лидов команды)"
    )
    wide = run(shares(13, 7), "2026-11-27T12:00", policy={"balance_tolerance": 0.4})
    assert of_kind(wide, "share") == []
    assert (
        of_kind(run(shares(13, 7), "2026-11-27T12:00", policy={"balance_tolerance": None}), "share")
        == []
    )
    # a manager on leave is not said to get too few leads
    away = [
        {"id": "a", "max_active_leads": 5},
        {"id": "b", "max_active_leads": 5, "available": False},
    ]
    assert [
        x.manager_id
        for x in of_kind(run(shares(16, 4), "2026-11-27T12:00", managers=away), "share")
    ] == ["a"]


def test_alerts_come_most_urgent_first():
    rows = [*shares(16, 4), assigned("late", "2026-11-27T08:00", "b")]
    found = run(rows, "2026-11-27T12:00")
    assert [(x.severity, x.kind) for x in found] == [
        ("high", "waiting"),
        ("high", "share"),
        ("high", "share"),
    ]
