"""Fairness metrics (Gini, Jain, max/min) and the FairnessReport attached to plans."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl


def gini_mad(x):
    """Gini as mean absolute difference over twice the mean, O(k^2)."""
    k = len(x)
    total = sum(x)
    if k == 0 or total <= 0:
        return 0.0
    return sum(abs(a - b) for a in x for b in x) / (2.0 * k * total)


amounts = st.lists(st.floats(0.0, 1e3, allow_subnormal=False), min_size=1, max_size=12)


# --------------------------------------------------------------------------- gini


@pytest.mark.parametrize("k", [1, 2, 5])
def test_all_equal_is_perfectly_fair(k):
    x = [3.0] * k
    assert fl.gini(x) == pytest.approx(0.0, abs=1e-12)
    assert fl.jain(x) == pytest.approx(1.0)
    assert fl.max_min_ratio(x) == 1.0


@pytest.mark.parametrize("k", [2, 3, 4, 10])
def test_one_takes_all(k):
    x = [0.0] * (k - 1) + [7.0]
    assert fl.gini(x) == pytest.approx((k - 1) / k)
    assert fl.jain(x) == pytest.approx(1.0 / k)
    assert fl.max_min_ratio(x) == math.inf


def test_known_values():
    assert fl.gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert fl.gini([1, 2, 3, 4]) == pytest.approx(0.25)  # MAD 1.25 / (2 * 2.5)
    assert fl.gini([1, 3]) == pytest.approx(0.25)
    assert fl.jain([1, 3]) == pytest.approx(16 / 20)
    assert fl.jain([1, 2, 3, 4]) == pytest.approx(100 / 120)
    assert fl.max_min_ratio([2, 4]) == 2.0
    assert fl.max_min_ratio([5, 1, 2.5]) == 5.0


def test_degenerate_inputs():
    for x in ([], [0.0, 0.0, 0.0]):
        assert fl.gini(x) == 0.0
        assert fl.jain(x) == 1.0
        assert fl.max_min_ratio(x) == 1.0


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (np.array([[1.0, 1.0], [1.0, 5.0]]), "a flat list of amounts, got shape (2, 2)"),
        (None, "a list of amounts, got None"),
        ("abc", "a list of amounts, got 'abc'"),
        ([1, True], "numbers; amount 1 is True"),
        ([1, "a"], "numbers; amount 1 is 'a'"),
        ([1.0, float("nan")], "finite, non-negative amounts; amount 1 is nan"),
        ([float("inf"), 1.0], "finite, non-negative amounts; amount 0 is inf"),
    ],
)
def test_bad_amounts_are_named(x, message):
    for f in (fl.gini, fl.jain, fl.max_min_ratio):
        with pytest.raises(fl.InputError, match=re.escape(f"{f.__name__} needs {message}")):
            f(x)


def test_metrics_return_python_floats():
    for f in (fl.gini, fl.jain, fl.max_min_ratio):
        assert type(f(np.array([1, 2, 3]))) is float


def test_gini_negative_amount_raises():
    with pytest.raises(
        ValueError, match=r"gini needs finite, non-negative amounts; amount 0 is -1"
    ):
        fl.gini([-1.0, 5.0])


@pytest.mark.parametrize("x", [[-1.0, 0.0], [-5.0, 1.0, 1.0]])
def test_gini_negative_amounts_with_non_positive_sum_raise(x):
    with pytest.raises(ValueError, match="non-negative"):
        fl.gini(x)


@settings(deadline=None, max_examples=100)
@given(amounts)
def test_gini_matches_mean_absolute_difference(x):
    assert fl.gini(x) == pytest.approx(gini_mad(x), abs=1e-9)


@settings(deadline=None, max_examples=60)
@given(amounts, st.floats(0.01, 100.0), st.randoms(use_true_random=False))
def test_metrics_are_scale_and_permutation_invariant(x, factor, rnd):
    shuffled = list(x)
    rnd.shuffle(shuffled)
    scaled = [v * factor for v in x]
    for f in (fl.gini, fl.jain):
        assert f(shuffled) == pytest.approx(f(x), abs=1e-9)
        if sum(x) > 1e-6:
            assert f(scaled) == pytest.approx(f(x), abs=1e-9)


@settings(deadline=None, max_examples=60)
@given(amounts)
def test_metric_ranges(x):
    k = len(x)
    assert 0.0 <= fl.gini(x) <= (k - 1) / k + 1e-12
    assert 1.0 / k - 1e-12 <= fl.jain(x) <= 1.0 + 1e-12
    assert fl.max_min_ratio(x) >= 1.0
    positive = [v for v in x if v > 0]
    if positive and len(positive) == k:
        assert fl.max_min_ratio(x) == pytest.approx(max(x) / min(x))
    if sum(v * v for v in x) > 1e-12:
        expected = sum(x) ** 2 / (k * sum(v * v for v in x))
        assert fl.jain(x) == pytest.approx(expected, rel=1e-9)


# --------------------------------------------------------------------------- report


def team_plan(policy=None, n=10):
    leads = [{"id": f"l{i}", "score": round(0.07 * (i + 1), 2)} for i in range(n)]
    managers = [
        {"id": "anna", "level": "senior", "max_active_leads": 6},
        {"id": "ben", "level": "middle", "max_active_leads": 3},
        {"id": "cleo", "level": "junior", "max_active_leads": 3},
        {"id": "dan", "level": "trainee", "max_active_leads": 5, "available": False},
    ]
    return fl.assign(leads, managers, policy=policy)


@pytest.mark.parametrize(
    "policy",
    [
        None,
        {"target_share": "equal"},
        {"balance_tolerance": None},
        {"balance_tolerance": 0.0, "target_share": "equal"},
        {"allow_unassigned": True, "balance_tolerance": None, "hot_min_level": "senior"},
    ],
)
def test_report_fields_are_consistent(policy):
    plan = team_plan(policy)
    r = plan.fairness
    assert isinstance(r, fl.FairnessReport)
    assert r.manager_ids == ("anna", "ben", "cleo", "dan")
    counts = [list(plan.assignments.values()).count(m) for m in r.manager_ids]
    assert r.loads.tolist() == counts
    placed = sum(counts)
    assert placed > 0
    assert r.shares.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(r.shares, np.array(counts) / placed)
    assert r.target_shares.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(r.share_deviation, r.shares - r.target_shares)
    np.testing.assert_allclose(r.targets, r.target_shares * placed)
    assert r.value_shares.sum() == pytest.approx(1.0)
    assert r.max_abs_deviation == pytest.approx(np.abs(r.shares - r.target_shares).max())
    # dan is away: no target, no leads
    assert r.target_shares[3] == 0.0
    assert r.loads[3] == 0.0


def test_report_value_shares_match_the_chosen_pairs():
    plan = team_plan({"balance_tolerance": None})
    per_manager = dict.fromkeys(plan.fairness.manager_ids, 0.0)
    for rec in plan.to_records():
        per_manager[rec["manager_id"]] += rec["expected_value"]
    expected = np.array(list(per_manager.values())) / plan.expected_value
    np.testing.assert_allclose(plan.fairness.value_shares, expected)


def test_report_metrics_are_of_load_over_target():
    plan = team_plan({"balance_tolerance": None})
    r = plan.fairness
    counted = r.targets > 0
    ratio = (r.loads[counted] / r.targets[counted]).tolist()
    assert r.gini == pytest.approx(gini_mad(ratio))
    assert r.jain == pytest.approx(sum(ratio) ** 2 / (len(ratio) * sum(v * v for v in ratio)))
    expected_ratio = math.inf if min(ratio) == 0 else max(ratio) / min(ratio)
    assert r.max_min_ratio == pytest.approx(expected_ratio)


def test_capacity_shares_met_exactly_is_perfectly_fair():
    # free capacity 6:3:3 and 12 leads -> targets 6, 3, 3; zero tolerance pins them
    plan = team_plan({"balance_tolerance": 0.0}, n=12)
    r = plan.fairness
    assert r.loads.tolist() == [6.0, 3.0, 3.0, 0.0]
    np.testing.assert_allclose(r.target_shares, [0.5, 0.25, 0.25, 0.0])
    np.testing.assert_allclose(r.share_deviation, 0.0, atol=1e-12)
    assert r.gini == pytest.approx(0.0, abs=1e-12)
    assert r.jain == pytest.approx(1.0)
    assert r.max_min_ratio == pytest.approx(1.0)


def test_report_str_has_one_line_per_manager_and_the_summary():
    plan = team_plan()
    r = plan.fairness
    lines = str(r).splitlines()
    assert lines[-1] == r.summary()
    for j, mid in enumerate(r.manager_ids):
        rows = [line for line in lines if line.split()[:1] == [mid]]
        assert len(rows) == 1, mid
        assert f"{r.loads[j]:.0f}" in rows[0].split()
    assert len(lines) == len(r.manager_ids) + 2  # header, managers, summary
    assert "Gini" in r.summary()
    assert f"{r.gini:.3f}" in r.summary()
    assert f"{r.jain:.3f}" in r.summary()


def test_report_to_records_one_per_manager():
    r = team_plan().fairness
    records = r.to_records()
    assert [rec["manager_id"] for rec in records] == list(r.manager_ids)
    assert sum(rec["load"] for rec in records) == 10
    assert sum(rec["share"] for rec in records) == pytest.approx(1.0)
    for rec in records:
        assert rec["share_deviation"] == pytest.approx(rec["share"] - rec["target_share"])


def test_report_when_nothing_is_placed():
    leads = [{"id": "a", "score": 0.2}]
    managers = [{"id": "m", "max_active_leads": 0}]
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True})
    r = plan.fairness
    assert plan.unassigned == ["a"]
    assert r.loads.tolist() == [0.0]
    assert r.shares.tolist() == [0.0]
    assert r.value_shares.tolist() == [0.0]
    assert r.gini == 0.0
    assert r.jain == 1.0
    assert "m" in str(r)
