"""Rich policies at the domain level: workloads, soft rules, value band, max-min."""

from datetime import UTC, datetime

import numpy as np
import pytest

import fairlead as fl

pytestmark = pytest.mark.skipif(
    "cp_sat" not in fl.list_methods(), reason="the cp_sat method is not available"
)


def loads_of(plan: fl.Plan) -> dict[str, float]:
    out = dict.fromkeys((mg.id for mg in plan.managers), 0.0)
    w = plan.problem.weight_matrix()
    for i, j in enumerate(plan.solution.manager_of.tolist()):
        if j >= 0:
            out[plan.managers[j].id] += float(w[i, j])
    return out


def test_effort_counts_against_capacity():
    leads = [
        {"id": "b2b-1", "score": 0.5, "effort": 3.0},
        {"id": "b2b-2", "score": 0.5, "effort": 3.0},
        {"id": "call", "score": 0.2},
    ]
    managers = [
        {"id": "a", "max_active_leads": 4},
        {"id": "b", "max_active_leads": 4},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    assert plan.assignments["b2b-1"] != plan.assignments["b2b-2"]
    assert max(loads_of(plan).values()) <= 4
    assert plan.solution.method == "cp_sat"
    assert plan.solution.note.startswith("auto chose cp_sat")


def test_effort_by_level_lets_a_senior_take_more_complex_leads():
    leads = [{"id": f"b{i}", "score": 0.2, "effort": 2.0} for i in range(4)]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 3},
        {"id": "jun", "level": "junior", "max_active_leads": 2},
    ]
    with pytest.raises(fl.InfeasibleError):
        fl.assign(leads, managers, policy={"balance_tolerance": None})
    policy = {"balance_tolerance": None, "effort_by_level": {"senior": 0.5}}
    plan = fl.assign(leads, managers, policy=policy)
    placed = list(plan.assignments.values())
    assert placed.count("sen") == 3  # 3 x (2 x 0.5) = 3
    assert placed.count("jun") == 1  # 1 x 2 = 2
    assert loads_of(plan) == {"sen": 3.0, "jun": 2.0}


@pytest.mark.parametrize(
    ("effort", "low", "high"),
    [(1.0, [2.5, 2.0], [4.0, 4.0]), (2.0, [5.0, 5.0], [8.0, 8.0])],
)
def test_effort_by_level_keeps_the_balance_band_feasible(effort, low, high):
    leads = [{"id": f"l{i}", "score": 0.1 + 0.01 * i, "effort": effort} for i in range(10)]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 20},
        {"id": "mid", "level": "middle", "max_active_leads": 20},
    ]
    policy = {"balance_tolerance": 0.2, "effort_by_level": {"senior": 0.5}}
    plan = fl.assign(leads, managers, policy=policy)
    placed = list(plan.assignments.values())
    assert None not in placed
    # the senior has room for twice the effort, so twice the share: 20/3 and 10/3 leads
    np.testing.assert_allclose(plan.capacity.target_share, [2 / 3, 1 / 3])
    counts = {mg: placed.count(mg) for mg in ("sen", "mid")}
    # the band (whole units of lead effort, rounded outward) and the target are in
    # each manager's own workload, as the loads are
    loads = loads_of(plan)
    assert loads == {"sen": 0.5 * effort * counts["sen"], "mid": effort * counts["mid"]}
    assert plan.capacity.min_load.tolist() == low
    assert plan.capacity.max_load.tolist() == high
    assert all(lo <= loads[mg] <= hi for mg, lo, hi in zip(("sen", "mid"), low, high, strict=True))


def test_router_and_batch_share_by_the_same_effort_room():
    # a junior at factor 2 has room for half the lead effort of a senior at factor 1
    managers = [
        {"id": "jun", "level": "junior", "max_active_leads": 20},
        {"id": "sen", "level": "senior", "max_active_leads": 20},
    ]
    policy = {"balance_tolerance": 0.2, "effort_by_level": {"junior": 2.0}}
    leads = [{"id": f"l{i}", "score": 0.3} for i in range(9)]
    plan = fl.assign(leads, managers, policy=policy)
    np.testing.assert_allclose(plan.capacity.target_share, [1 / 3, 2 / 3])
    router = fl.Router(managers, policy=policy, share_half_life=None)
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    for lead in leads:
        router.route(lead, now)
    targets = {s.manager_id: s.target for s in router.status(now)}
    assert targets == pytest.approx({"jun": 3.0, "sen": 6.0})  # 1/3 and 2/3 of 9


def test_soft_hot_rule_pays_instead_of_failing():
    leads = [{"id": "hot", "score": 0.9}, {"id": "hot2", "score": 0.8}]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 1},
        {"id": "jun", "level": "junior", "max_active_leads": 1},
    ]
    with pytest.raises(fl.InfeasibleError, match=r"(can|may) only go to"):
        fl.assign(leads, managers, policy={"balance_tolerance": None})
    policy = {"balance_tolerance": None, "hot_rule": "soft", "hot_penalty": 0.05}
    plan = fl.assign(leads, managers, policy=policy)
    assert sorted(plan.assignments.values()) == ["jun", "sen"]
    assert plan.solution.penalty == pytest.approx(0.05)
    assert plan.solution.score == pytest.approx(plan.expected_value - 0.05)
    # values: senior 1.0 on both (capped); junior 0.675 on 'hot', 0.6 on 'hot2'
    assert plan.assignments == {"hot": "jun", "hot2": "sen"}
    assert plan.expected_value == pytest.approx(1.675)


def test_soft_balance_band_is_left_at_a_price():
    leads = [{"id": f"h{i}", "score": 0.9} for i in range(4)] + [
        {"id": f"c{i}", "score": 0.1} for i in range(4)
    ]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 8},
        {"id": "jun", "level": "junior", "max_active_leads": 8},
    ]
    hard = fl.assign(leads, managers, policy={"target_share": "equal", "balance_tolerance": 0})
    soft = fl.assign(
        leads,
        managers,
        policy={
            "target_share": "equal",
            "balance_tolerance": 0,
            "balance": "soft",
            "balance_penalty": 0.01,
            "hot_rule": "soft",
            "hot_penalty": 0.5,
        },
    )
    assert soft.solution.status.has_solution
    assert soft.solution.score >= hard.solution.score - 1e-9
    excess = sum(
        max(0.0, lo - load) + max(0.0, load - hi)
        for lo, hi, load in zip(
            soft.problem.min_load, soft.problem.max_load, soft.solution.loads, strict=True
        )
    )
    assert soft.solution.penalty == pytest.approx(0.01 * excess + 0.5 * _hot_below(soft))


def _hot_below(plan: fl.Plan) -> int:
    return sum(
        tier is fl.Tier.HOT and plan.managers[int(j)].level.rank < fl.Level.MIDDLE.rank
        for tier, j in zip(plan.tiers, plan.solution.manager_of, strict=True)
    )


def test_value_band_shares_the_fat_leads():
    rng = np.random.default_rng(0)
    leads = [{"id": f"l{i}", "score": float(s)} for i, s in enumerate(rng.beta(2, 5, 60))]
    managers = [
        {"id": f"m{j}", "level": lv, "max_active_leads": 20}
        for j, lv in enumerate(["senior", "middle", "middle", "junior"])
    ]
    policy = {"balance_tolerance": 0.2, "hot_min_level": None, "value_tolerance": 0.15}
    plan = fl.assign(leads, managers, policy=policy)
    totals = plan.fairness.value_shares * plan.expected_value
    assert plan.problem.min_value is not None
    assert plan.problem.max_value is not None
    assert np.all(totals >= plan.problem.min_value - 1e-9)
    assert np.all(totals <= plan.problem.max_value + 1e-9)
    unbanded = fl.assign(leads, managers, policy={**policy, "value_tolerance": None})
    # a band on value costs at most a little value, and spreads it more evenly
    assert plan.expected_value <= unbanded.expected_value + 1e-9
    spread = np.ptp(plan.fairness.value_shares - plan.fairness.target_shares)
    spread_free = np.ptp(unbanded.fairness.value_shares - unbanded.fairness.target_shares)
    assert spread <= spread_free + 1e-9


def test_maxmin_lifts_the_least_served_manager():
    leads = [{"id": f"l{i}", "score": 0.3 + 0.01 * i} for i in range(12)]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 12},
        {"id": "mid", "level": "middle", "max_active_leads": 12},
        {"id": "jun", "level": "junior", "max_active_leads": 12},
    ]
    base = {"balance_tolerance": None, "target_share": "equal", "hot_min_level": None}
    value_plan = fl.assign(leads, managers, policy=base)
    fair_plan = fl.assign(leads, managers, policy={**base, "objective": "maxmin"})

    def smallest_ratio(plan: fl.Plan) -> float:
        target = plan.problem.target_load
        return float(min(plan.solution.loads[target > 0] / target[target > 0]))

    assert smallest_ratio(fair_plan) >= smallest_ratio(value_plan)
    assert smallest_ratio(fair_plan) == pytest.approx(1.0)
    assert fair_plan.solution.method == "cp_sat"


def test_maxmin_needs_a_method_that_supports_it():
    leads = [{"id": "a", "score": 0.5}]
    managers = [{"id": "m", "max_active_leads": 1}]
    with pytest.raises(ValueError, match="cannot pursue the objective 'maxmin'"):
        fl.assign(leads, managers, policy={"objective": "maxmin"}, method="min_cost_flow")


def test_bad_policy_combinations_are_refused():
    with pytest.raises(ValueError, match="does not combine with balance='soft'"):
        fl.Policy(objective="maxmin", balance="soft")
    with pytest.raises(ValueError, match=r"effort_by_level\['senior'\] must be finite and > 0"):
        fl.Policy(effort_by_level={"senior": 0})
    with pytest.raises(ValueError, match="value_tolerance"):
        fl.Policy(value_tolerance=-0.1)
    with pytest.raises(ValueError, match="effort"):
        fl.Lead(id="x", score=0.5, effort=0)


def test_explain_speaks_of_workload_and_soft_rule_prices():
    leads = [
        {"id": "hot", "score": 0.9},
        {"id": "hot2", "score": 0.8},
        {"id": "big", "score": 0.3, "effort": 2.0},
    ]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 1},
        {"id": "jun", "level": "junior", "max_active_leads": 5},
    ]
    policy = {"balance_tolerance": None, "hot_rule": "soft", "hot_penalty": 0.05}
    plan = fl.assign(leads, managers, policy=policy)
    # 'big' weighs 2 and the senior has room for 1: full, in workload terms
    why_big = plan.explain("big")
    assert why_big.manager_id == "jun"
    assert why_big.runner_up is not None
    assert why_big.runner_up.reason == "full"
    assert "this lead needs 2" in why_big.runner_up.detail
    # a hot lead on the junior pays the soft rule's price, said in the explanation
    hot_on_senior = next(i for i in ("hot", "hot2") if plan.assignments[i] == "sen")
    why = plan.explain(hot_on_senior)
    assert why.runner_up is not None
    assert "soft rule costs 0.050" in why.runner_up.detail


def test_working_hours_read_day_names_by_the_label_rule():
    full_width_sat = "".join(chr(ord(c) + 0xFEE0) for c in "SAT")
    hours = fl.WorkingHours(week={"Mon-FRI": "09:00-18:00", f" {full_width_sat} ": "OFF"})
    assert hours.weekly_mask().sum() == 5 * 9 * 60
    with pytest.raises(fl.InputError, match=r"^working hours: unknown day 'someday'"):
        fl.WorkingHours(week={"Someday": "09:00-18:00"})
