"""Plan: assignments, records, frame, summary, unassigned leads, and explain()."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead.plan import PolicyBrokenWarning

LEVELS = ["trainee", "junior", "middle", "senior"]
RECORD_FIELDS = {
    "lead_id",
    "manager_id",
    "manager_name",
    "expected_value",
    "tier",
    "score",
    "product",
}


def ref_value(lead, mgr, policy):
    tier = lead.tier or policy.tier_of(lead.score)
    return min(1.0, lead.score * policy.level_factors[tier][mgr.level])


@pytest.fixture
def plan():
    leads = [
        {"id": "z-9", "score": 0.8, "product": "mortgage"},
        {"id": "a-1", "score": 0.4},
        {"id": "m-5", "score": 0.1, "product": "loans"},
        {"id": "b-2", "score": 0.55},
    ]
    managers = [
        {"id": "anna", "name": "Anna", "skills": "mortgage;loans", "level": "senior",
         "max_active_leads": 2},
        {"id": "ben", "skills": "loans", "level": "trainee", "max_active_leads": 3},
    ]  # fmt: skip
    return fl.assign(leads, managers, policy={"balance_tolerance": None})


# --------------------------------------------------------------------------- Plan


def test_assignments_keys_are_lead_ids_in_input_order(plan):
    assert list(plan.assignments) == ["z-9", "a-1", "m-5", "b-2"]
    assert set(plan.assignments.values()) <= {"anna", "ben"}
    # Anna (senior, 2 places) takes the hot mortgage lead and the best warm lead
    assert plan.assignments == {"z-9": "anna", "a-1": "ben", "m-5": "ben", "b-2": "anna"}
    assert plan.unassigned == []


def test_expected_value_is_the_sum_of_chosen_pairs(plan):
    total = sum(r["expected_value"] for r in plan.to_records())
    assert plan.expected_value == pytest.approx(total)
    assert plan.expected_value == pytest.approx(1.0 + 0.4 * 0.8 + 0.1 + 0.55 * 1.1)


def test_to_records_one_row_per_lead(plan):
    records = plan.to_records()
    assert [r["lead_id"] for r in records] == ["z-9", "a-1", "m-5", "b-2"]
    for r in records:
        assert set(r) == RECORD_FIELDS
    first = records[0]
    assert first == {
        "lead_id": "z-9",
        "manager_id": "anna",
        "manager_name": "Anna",
        "expected_value": 1.0,
        "tier": "hot",
        "score": 0.8,
        "product": "mortgage",
    }
    assert records[1]["manager_name"] is None
    assert records[1]["tier"] == "warm"
    assert records[1]["expected_value"] == pytest.approx(0.32)
    assert records[2]["tier"] == "cold"
    assert records[2]["product"] == "loans"


def test_to_frame_has_the_same_rows(plan):
    frame = plan.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 4
    assert set(frame.columns) == RECORD_FIELDS
    assert frame["lead_id"].tolist() == ["z-9", "a-1", "m-5", "b-2"]
    assert frame["manager_id"].tolist() == list(plan.assignments.values())
    np.testing.assert_allclose(
        frame["expected_value"].to_numpy(dtype=float),
        [r["expected_value"] for r in plan.to_records()],
    )
    assert frame["expected_value"].sum() == pytest.approx(plan.expected_value)


def test_summary_mentions_method_status_counts_value_and_fairness(plan):
    text = plan.summary()
    assert "sifting" in text
    assert "optimal" in text
    assert "4 of 4 leads placed" in text
    assert f"{plan.expected_value:.2f}" in text
    assert plan.fairness.summary() in text
    assert plan.status is fl.SolveStatus.OPTIMAL
    assert plan.method == "sifting"
    assert plan.message == ""


def test_unassigned_leads_in_plan_records_and_summary():
    leads = [{"id": f"l{i}", "score": 0.1 * (i + 1)} for i in range(5)]
    managers = [{"id": "a", "max_active_leads": 2}, {"id": "b", "max_active_leads": 1}]
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True})
    assert plan.unassigned == ["l0", "l1"]
    assert plan.assignments["l0"] is None
    records = plan.to_records()
    assert records[0]["manager_id"] is None
    assert records[0]["manager_name"] is None
    assert records[0]["expected_value"] == 0.0
    assert "3 of 5 leads placed" in plan.summary()
    frame = plan.to_frame()
    assert frame["manager_id"].isna().tolist() == [True, True, False, False, False]


def test_failed_heuristic_plan_reports_the_broken_constraint():
    leads = [{"id": f"l{i}", "score": 0.05 * (i + 1)} for i in range(8)]
    managers = [{"id": mid, "max_active_leads": 10} for mid in "abc"]
    with pytest.warns(PolicyBrokenWarning, match=r"greedy broke a constraint"):
        plan = fl.assign(leads, managers, method="greedy")  # greedy ignores min_load
    assert plan.status is fl.SolveStatus.FAILED
    assert "min_load" in plan.message
    assert plan.message in plan.summary()


# --------------------------------------------------------------------------- explain


SAM = {"id": "sen", "name": "Sam", "skills": "x", "level": "senior", "max_active_leads": 5}


def rules_team():
    """One hot 'x' lead and a manager kept from it by each rule."""
    leads = [{"id": "hot-x", "score": 0.7, "product": "x"}]
    managers = [
        SAM,
        {"id": "noskill", "skills": "y", "level": "senior", "max_active_leads": 5},
        {"id": "away", "skills": "x", "level": "senior", "max_active_leads": 5,
         "available": False},
        {"id": "jun", "skills": "x", "level": "junior", "max_active_leads": 5},
    ]  # fmt: skip
    return leads, managers


def test_explain_names_the_chosen_manager_and_value():
    leads, managers = rules_team()
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    e = plan.explain("hot-x")
    assert isinstance(e, fl.Explanation)
    assert (e.lead_id, e.manager_id, e.tier) == ("hot-x", "sen", fl.Tier.HOT)
    assert e.value == pytest.approx(0.875)  # 0.7 * 1.25


def test_explain_ineligible_reasons_state_the_rule():
    leads, managers = rules_team()
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    alts = {a.manager_id: a for a in plan.explain("hot-x").alternatives}
    assert set(alts) == {"noskill", "away", "jun"}
    assert all(a.reason == "ineligible" for a in alts.values())
    assert "skill 'x'" in alts["noskill"].detail
    assert "unavailable" in alts["away"].detail
    assert "junior" in alts["jun"].detail
    assert "hot" in alts["jun"].detail
    assert "middle" in alts["jun"].detail  # the required level


def test_explain_runner_up_is_the_other_manager_with_highest_value():
    leads, managers = rules_team()
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    e = plan.explain("hot-x")
    values = {mg.id: ref_value(plan.leads[0], mg, plan.policy) for mg in plan.managers}
    others = {k: v for k, v in values.items() if k != "sen"}
    assert e.runner_up is not None
    assert e.runner_up.value == pytest.approx(max(others.values()))
    assert values[e.runner_up.manager_id] == pytest.approx(max(others.values()))
    assert e.runner_up == e.alternatives[0]
    assert [a.value for a in e.alternatives] == sorted((a.value for a in e.alternatives),
                                                       reverse=True)  # fmt: skip


def test_explain_lower_value_and_str_in_words_and_numbers():
    leads = [{"id": "w", "score": 0.5}]
    managers = [SAM, {"id": "tom", "level": "trainee", "max_active_leads": 5}]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    e = plan.explain("w")
    assert e.manager_id == "sen"
    assert e.value == pytest.approx(0.55)
    assert e.runner_up.manager_id == "tom"
    assert e.runner_up.reason == "lower value"
    assert e.runner_up.value == pytest.approx(0.4)
    text = str(e)
    assert "'w'" in text
    assert "'sen'" in text
    assert "Sam" in text
    assert "0.550" in text
    assert "'tom'" in text
    assert "0.400" in text
    assert "lower value" in text


def test_explain_full_at_capacity_limit():
    leads = [{"id": "l1", "score": 0.5}, {"id": "l2", "score": 0.4}]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 1},
        {"id": "tom", "level": "trainee", "max_active_leads": 5},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    assert plan.assignments == {"l1": "sen", "l2": "tom"}
    e = plan.explain("l2")
    assert e.runner_up.manager_id == "sen"
    assert e.runner_up.reason == "full"
    assert e.runner_up.value > e.value
    assert "capacity" in e.runner_up.detail
    assert "'sen'" in str(e)
    assert "full" in str(e)


def test_explain_full_at_balance_band_limit():
    leads = [{"id": "l1", "score": 0.5}, {"id": "l2", "score": 0.4}]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 5},
        {"id": "tom", "level": "trainee", "max_active_leads": 5},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": 0.0})
    assert plan.assignments == {"l1": "sen", "l2": "tom"}
    e = plan.explain("l2")
    assert e.runner_up.manager_id == "sen"
    assert e.runner_up.reason == "full"
    assert "balance band" in e.runner_up.detail


def test_explain_manager_with_no_room_left_is_full():
    leads = [{"id": "w", "score": 0.5}]
    managers = [
        {"id": "sen", "level": "senior", "max_active_leads": 4, "active_leads": 4},
        {"id": "tom", "level": "trainee", "max_active_leads": 5},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    assert plan.explain("w").runner_up.reason == "full"


def test_explain_best_eligible_alternative_when_runner_up_is_ineligible():
    leads = [{"id": "h", "score": 0.7}]
    managers = [
        {"id": "mid", "level": "middle", "max_active_leads": 5},
        {"id": "tom", "level": "trainee", "max_active_leads": 5},
        {"id": "sen", "level": "senior", "max_active_leads": 5, "available": False},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None, "hot_min_level": None})
    e = plan.explain("h")
    assert e.manager_id == "mid"
    assert e.runner_up.manager_id == "sen"
    assert e.runner_up.reason == "ineligible"
    text = str(e)
    assert "'sen'" in text
    assert "unavailable" in text
    assert "'tom'" in text  # the best eligible alternative, in numbers
    assert "0.350" in text


def test_explain_single_manager_has_no_runner_up():
    plan = fl.assign([{"id": "a", "score": 0.2}], [{"id": "m", "max_active_leads": 1}])
    e = plan.explain("a")
    assert e.runner_up is None
    assert e.alternatives == ()
    assert "'m'" in str(e)


def test_explain_unassigned_lead():
    leads = [{"id": "l0", "score": 0.1}, {"id": "l1", "score": 0.5}]
    managers = [{"id": "a", "max_active_leads": 1}]
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True})
    e = plan.explain("l0")
    assert e.manager_id is None
    assert e.value == 0.0
    assert "unassigned" in str(e)
    assert "'a'" in str(e)
    assert e.runner_up.reason == "full"


def test_explain_unknown_lead_raises_key_error(plan):
    with pytest.raises(KeyError, match="no lead with id 'nope'"):
        plan.explain("nope")


def test_explain_accepts_numeric_ids():
    plan = fl.assign([{"id": 42, "score": 0.2}], [{"id": 7, "max_active_leads": 1}])
    assert plan.assignments == {"42": "7"}
    assert plan.explain(42).manager_id == "7"


@st.composite
def explained_plans(draw):
    n = draw(st.integers(1, 8))
    m = draw(st.integers(2, 4))
    leads = [
        {
            "id": f"l{i}",
            "score": draw(st.integers(0, 20)) / 20,
            "product": draw(st.sampled_from([None, "x"])),
        }
        for i in range(n)
    ]
    managers = [
        {
            "id": f"m{j}",
            "skills": draw(st.sampled_from(["", "x"])),
            "level": draw(st.sampled_from(LEVELS)),
            "max_active_leads": draw(st.integers(0, 4)),
            "available": draw(st.sampled_from([True, True, False])),
        }
        for j in range(m)
    ]
    managers[0]["skills"] = "x"
    policy = {
        "balance_tolerance": draw(st.sampled_from([None, 0.0, 0.3])),
        "target_share": draw(st.sampled_from(["capacity", "equal"])),
        "allow_unassigned": True,
    }
    return leads, managers, policy


@settings(deadline=None, max_examples=60)
@given(explained_plans())
def test_explanation_reasons_are_consistent(instance):
    leads, managers, policy = instance
    try:
        plan = fl.assign(leads, managers, policy=policy)
    except fl.InfeasibleError:
        return
    loads = plan.fairness.loads
    high = plan.capacity.max_load
    index = {mg.id: j for j, mg in enumerate(plan.managers)}
    for i, lead in enumerate(plan.leads):
        e = plan.explain(lead.id)
        chosen = plan.assignments[lead.id]
        assert e.manager_id == chosen
        others = [mg.id for mg in plan.managers if mg.id != chosen]
        assert sorted(a.manager_id for a in e.alternatives) == sorted(others)
        assert e.runner_up == e.alternatives[0]
        assert e.runner_up.value == pytest.approx(
            max(float(plan.problem.value[i, index[k]]) for k in others)
        )
        for a in e.alternatives:
            j = index[a.manager_id]
            mg = plan.managers[j]
            tier = plan.tiers[i]
            broken = (
                not mg.available
                or (lead.product is not None and lead.product not in mg.skills)
                or (tier is fl.Tier.HOT and mg.level.rank < fl.Level.MIDDLE.rank)
            )
            room = plan.capacity.free[j] > 0
            if broken:
                assert a.reason == "ineligible", (a, e)
            elif not room:
                assert a.reason in {"ineligible", "full"}, (a, e)
            elif loads[j] >= high[j]:
                assert a.reason == "full", (a, e)
            elif chosen is not None and a.value <= e.value + 1e-12:
                assert a.reason == "lower value", (a, e)
            else:
                assert a.reason == "trade-off", (a, e)
            if a.reason in {"lower value"}:
                assert a.value <= e.value + 1e-12
