"""assign() with scoring: a fitted ConversionModel as the value, performance shares, touches."""

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.special import expit

import fairlead as fl
from fairlead.scoring import ConversionModel, manager_performance

MANAGER_IDS = ["m0", "m1", "m2", "m3", "m4"]
LIFTS = dict(zip(MANAGER_IDS, [0.9, 0.3, 0.0, -0.3, -0.6], strict=True))
CHANNELS = ["web", "phone", "referral"]


def simulate_history(rng, n=6000):
    age = rng.uniform(0.0, 60.0, n)
    channel = rng.choice(CHANNELS, n)
    who = rng.choice(MANAGER_IDS, n)
    lift = np.array([LIFTS[m] for m in who.tolist()])
    z = -0.03 * (age - 30.0) + np.where(channel == "referral", 0.8, 0.0) - 1.0 + lift
    y = (rng.random(n) < expit(z)).astype(int)
    return {"age_days": age, "channel": channel}, y, who


@pytest.fixture(scope="module")
def cm():
    X, y, who = simulate_history(np.random.default_rng(0))
    return ConversionModel().fit(X, y, managers=who)


@pytest.fixture(scope="module")
def lead_table():
    rng = np.random.default_rng(1)
    n = 20
    return pd.DataFrame(
        {
            "id": [f"l{i:02d}" for i in range(n)],
            "score": rng.uniform(0.05, 0.55, n).round(3),
            "age_days": rng.uniform(0.0, 60.0, n).round(1),
            "channel": rng.choice(CHANNELS, n),
        }
    )


def managers(max_active=6, **extra):
    return [{"id": m, "max_active_leads": max_active, **extra} for m in MANAGER_IDS]


def feature_columns(table):
    return {"age_days": table["age_days"].to_numpy(), "channel": table["channel"].to_numpy()}


def chosen_pairs(plan):
    ids = [mg.id for mg in plan.managers]
    return [(i, ids.index(plan.assignments[lead.id])) for i, lead in enumerate(plan.leads)]


# --------------------------------------------------------------------------- input forms


def test_dicts_leads_and_dataframe_give_the_same_plan(cm, lead_table):
    records = lead_table.to_dict(orient="records")
    as_dicts = [
        {"id": r["id"], "score": r["score"], "age_days": r["age_days"], "channel": r["channel"]}
        for r in records
    ]
    as_nested = [
        {
            "id": r["id"],
            "score": r["score"],
            "features": {"age_days": r["age_days"], "channel": r["channel"]},
        }
        for r in records
    ]
    as_leads = [
        fl.Lead(
            id=r["id"],
            score=r["score"],
            features={"age_days": r["age_days"], "channel": r["channel"]},
        )
        for r in records
    ]
    plans = [
        fl.assign(leads, managers(), model=cm)
        for leads in (as_dicts, as_nested, as_leads, lead_table)
    ]
    first = plans[0]
    assert first.status is fl.SolveStatus.OPTIMAL
    assert all(v is not None for v in first.assignments.values())
    for other in plans[1:]:
        assert other.assignments == first.assignments
        np.testing.assert_array_equal(other.problem.value, first.problem.value)
        assert other.expected_value == first.expected_value
    # the feature columns went into Lead.features and nowhere else
    lead = first.leads[3]
    assert lead.features == {"age_days": records[3]["age_days"], "channel": records[3]["channel"]}
    assert lead.score == records[3]["score"]


def test_values_are_the_models_probabilities(cm, lead_table):
    plan = fl.assign(lead_table, managers(), model=cm)
    P = cm.predict_proba(feature_columns(lead_table), managers=MANAGER_IDS)
    np.testing.assert_allclose(plan.problem.value, P, rtol=0, atol=1e-12)
    expected = sum(P[i, j] for i, j in chosen_pairs(plan))
    assert plan.expected_value == pytest.approx(expected, rel=1e-9)
    # and the solver found the best plan within the band: no better one from swapping two leads
    pairs = dict(chosen_pairs(plan))
    for a in range(len(pairs)):
        for b in range(a + 1, len(pairs)):
            ja, jb = pairs[a], pairs[b]
            assert P[a, ja] + P[b, jb] >= P[a, jb] + P[b, ja] - 1e-9


def test_manager_order_in_the_batch_does_not_matter(cm, lead_table):
    forward = fl.assign(lead_table, managers(), model=cm)
    backward = fl.assign(lead_table, managers()[::-1], model=cm)
    assert backward.assignments == forward.assignments
    np.testing.assert_allclose(backward.problem.value, forward.problem.value[:, ::-1], atol=0)


def test_the_better_manager_gets_the_leads_when_capacity_allows(cm, lead_table):
    # no balance band and room for everyone: each lead goes to its best manager, m0
    plan = fl.assign(
        lead_table, managers(max_active=50), model=cm, policy={"balance_tolerance": None}
    )
    P = cm.predict_proba(feature_columns(lead_table), managers=MANAGER_IDS)
    assert (P.argmax(axis=1) == 0).all()
    assert set(plan.assignments.values()) == {"m0"}
    assert plan.expected_value == pytest.approx(P[:, 0].sum(), rel=1e-9)


def test_explanation_quotes_the_model_value(cm, lead_table):
    plan = fl.assign(lead_table, managers(), model=cm)
    P = cm.predict_proba(feature_columns(lead_table), managers=MANAGER_IDS)
    i, j = chosen_pairs(plan)[5]
    explanation = plan.explain(plan.leads[i].id)
    assert explanation.manager_id == MANAGER_IDS[j]
    assert explanation.value == pytest.approx(P[i, j], abs=1e-12)


# --------------------------------------------------------------------------- missing features


def test_dict_lead_lacking_a_feature_names_lead_and_feature(cm, lead_table):
    records = lead_table.to_dict(orient="records")
    del records[4]["channel"]
    with pytest.raises(ValueError, match=r"lead 'l04' lacks feature 'channel'"):
        fl.assign(records, managers(), model=cm)


def test_lead_instance_lacking_a_feature_names_lead_and_feature(cm):
    leads = [
        fl.Lead(id="a", score=0.3, features={"age_days": 3.0, "channel": "web"}),
        fl.Lead(id="b", score=0.3, features={"channel": "web"}),
    ]
    with pytest.raises(ValueError, match=r"lead 'b' lacks feature 'age_days'"):
        fl.assign(leads, managers(), model=cm)


def test_dataframe_with_an_empty_feature_cell_names_lead_and_feature(cm, lead_table):
    table = lead_table.copy()
    table.loc[7, "age_days"] = np.nan
    with pytest.raises(ValueError, match=r"lead 'l07' lacks feature 'age_days'"):
        fl.assign(table, managers(), model=cm)


def test_unfitted_model_raises():
    with pytest.raises(ValueError, match=r"not fitted yet"):
        fl.assign([{"id": "a", "score": 0.2}], managers(), model=ConversionModel())


def test_model_manager_unknown_to_the_history(cm, lead_table):
    team = [*managers(), {"id": "rookie", "max_active_leads": 6}]
    with pytest.raises(ValueError, match=r"unknown manager id\(s\) \['rookie'\]"):
        fl.assign(lead_table, team, model=cm)


def test_model_features_named_like_lead_fields():
    rng = np.random.default_rng(2)
    n = 2000
    X = {"score": rng.uniform(0, 1, n), "product": rng.choice(["loan", "card"], n)}
    y = (rng.random(n) < X["score"]).astype(int)
    model = ConversionModel().fit(X, y, managers=rng.choice(["m1", "m2"], n))
    leads = [{"id": f"l{i}", "score": 0.5, "product": "loan"} for i in range(4)]
    team = [
        {"id": "m1", "max_active_leads": 10, "skills": "loan"},
        {"id": "m2", "max_active_leads": 10, "skills": "card"},
    ]
    plan = fl.assign(leads, team, model=model, policy={"balance_tolerance": None})
    assert set(plan.assignments.values()) == {"m1"}  # only m1 sells loans
    assert all(lead.product == "loan" for lead in plan.leads)


# --------------------------------------------------------------------------- segments


@pytest.fixture(scope="module")
def cm_segments():
    X, y, who = simulate_history(np.random.default_rng(3))
    segments = np.random.default_rng(4).choice(["hot", "warm", "cold", "vip"], y.size)
    return ConversionModel().fit(X, y, managers=who, segments=segments)


def test_segments_come_from_lead_segment_or_tier(cm_segments):
    features = [
        {"age_days": 10.0, "channel": "web"},
        {"age_days": 20.0, "channel": "phone"},
        {"age_days": 30.0, "channel": "referral"},
        {"age_days": 40.0, "channel": "web"},
        {"age_days": 50.0, "channel": "phone"},
    ]
    leads = [
        fl.Lead(id="seg", score=0.1, segment="vip", features=features[0]),
        fl.Lead(id="tier", score=0.1, tier="hot", features=features[1]),
        fl.Lead(id="cold", score=0.1, features=features[2]),
        fl.Lead(id="warm", score=0.45, features=features[3]),
        fl.Lead(id="both", score=0.9, tier="hot", segment="cold", features=features[4]),
    ]
    columns = {
        "age_days": [f["age_days"] for f in features],
        "channel": [f["channel"] for f in features],
    }
    policy = {"balance_tolerance": None}
    plan = fl.assign(leads, managers(), model=cm_segments, policy=policy)
    expected = cm_segments.predict_proba(
        columns, managers=MANAGER_IDS, segments=["vip", "hot", "cold", "warm", "cold"]
    )
    np.testing.assert_allclose(plan.problem.value, expected, rtol=0, atol=1e-12)
    # the tier thresholds of the policy decide the segment of a lead without tier or segment
    strict = fl.assign(
        leads,
        managers(),
        model=cm_segments,
        policy={**policy, "warm_threshold": 0.2, "hot_threshold": 0.4},
    )
    expected = cm_segments.predict_proba(
        columns, managers=MANAGER_IDS, segments=["vip", "hot", "cold", "hot", "cold"]
    )
    np.testing.assert_allclose(strict.problem.value, expected, rtol=0, atol=1e-12)


def test_segment_unknown_to_the_model_is_named(cm_segments):
    leads = [
        fl.Lead(id="a", score=0.1, features={"age_days": 1.0, "channel": "web"}),
        fl.Lead(
            id="b", score=0.1, segment="platinum", features={"age_days": 1.0, "channel": "web"}
        ),
    ]
    with pytest.raises(ValueError, match=r"unknown segment\(s\) \['platinum'\]"):
        fl.assign(leads, managers(), model=cm_segments)


def test_model_with_derived_segments_ignores_lead_segments(cm, lead_table):
    plain = fl.assign(lead_table, managers(), model=cm)
    labelled = fl.assign(lead_table.assign(segment="anything"), managers(), model=cm)
    np.testing.assert_array_equal(labelled.problem.value, plain.problem.value)


# --------------------------------------------------------------------------- performance shares


def score_leads(n):
    return [{"id": f"l{i:03d}", "score": 0.2} for i in range(n)]


def test_better_performers_get_larger_targets():
    team = [
        {"id": "star", "max_active_leads": 100, "performance": 2.0},
        {"id": "avg", "max_active_leads": 100, "performance": 1.0},
        {"id": "unrated", "max_active_leads": 100},
        {"id": "weak", "max_active_leads": 100, "performance": 0.1},
    ]
    policy = fl.Policy(target_share="performance", performance_floor=0.5)
    plan = fl.assign(score_leads(45), team, policy=policy)
    # weights free * max(performance, floor) = 100 * [2, 1, 1 (no rating), 0.5]
    np.testing.assert_allclose(plan.capacity.target, [20.0, 10.0, 10.0, 5.0], rtol=1e-12)
    np.testing.assert_allclose(plan.capacity.target_share, [4 / 9, 2 / 9, 2 / 9, 1 / 9])
    np.testing.assert_allclose(plan.fairness.targets, plan.capacity.target, rtol=1e-12)
    # loads follow the targets within the ±20 % band
    loads = plan.solution.loads
    assert loads.sum() == 45
    np.testing.assert_array_equal(plan.capacity.min_load, [16.0, 8.0, 8.0, 4.0])
    np.testing.assert_array_equal(plan.capacity.max_load, [24.0, 12.0, 12.0, 6.0])
    assert np.all((plan.capacity.min_load <= loads) & (loads <= plan.capacity.max_load))
    # without the floor the weak performer's target collapses towards 0.1 / 4.1 of the batch
    loose = fl.assign(
        score_leads(45), team, policy=fl.Policy(target_share="performance", performance_floor=0.0)
    )
    assert loose.capacity.target[3] == pytest.approx(45 * 0.1 / 4.1)
    assert loose.capacity.target[3] < plan.capacity.target[3]
    # the default capacity share ignores performance
    flat = fl.assign(score_leads(45), team)
    np.testing.assert_allclose(flat.capacity.target, [11.25] * 4)


def test_performance_targets_are_capped_by_free_capacity():
    team = [
        {"id": "star", "max_active_leads": 10, "performance": 3.0},
        {"id": "avg", "max_active_leads": 40, "performance": 1.0},
        {"id": "weak", "max_active_leads": 40, "performance": 0.5},
    ]
    policy = fl.Policy(target_share="performance")
    plan = fl.assign(score_leads(40), team, policy=policy)
    # star's proportional share (3 * 10 / 90 of 40 = 13.3) is above their 10 free slots
    target = plan.capacity.target
    assert target[0] == pytest.approx(10.0)
    # the rest is split 40 : 20 between the others
    assert target[1] == pytest.approx(20.0)
    assert target[2] == pytest.approx(10.0)
    assert np.all(plan.solution.loads <= plan.capacity.free)


@settings(max_examples=40, deadline=None)
@given(
    performance=st.lists(
        st.one_of(st.none(), st.floats(0.0, 5.0, allow_nan=False)), min_size=2, max_size=6
    ),
    floor=st.floats(0.0, 2.0, allow_nan=False),
    free=st.integers(30, 60),
)
def test_performance_target_formula(performance, floor, free):
    team = [
        {"id": f"m{j}", "max_active_leads": free, "performance": p}
        for j, p in enumerate(performance)
    ]
    n = 20  # below every manager's free capacity: nobody is capped
    policy = fl.Policy(target_share="performance", performance_floor=floor, allow_unassigned=True)
    plan = fl.assign(score_leads(n), team, policy=policy)
    # the default performance_cap (2.0) bounds the best as the floor bounds the weakest
    weight = np.clip([1.0 if p is None else p for p in performance], floor, policy.performance_cap)
    target = plan.capacity.target
    assume(weight.sum() > 0)  # every performance 0 with floor 0: nobody has a share
    np.testing.assert_allclose(target, n * weight / weight.sum(), rtol=1e-9, atol=1e-9)
    # better performers never get smaller targets; the floor bounds the smallest one
    order = np.argsort(weight)
    assert np.all(np.diff(target[order]) >= -1e-9)
    assert target.min() >= n * floor / weight.sum() - 1e-9
    if not plan.unassigned:
        np.testing.assert_allclose(plan.fairness.targets, target, rtol=1e-9, atol=1e-9)


def test_performance_from_history_feeds_the_targets():
    history = {
        "manager_id": ["ann"] * 60 + ["bob"] * 60 + ["cyd"] * 60,
        "converted": [1] * 30 + [0] * 30 + [1] * 15 + [0] * 45 + [1] * 6 + [0] * 54,
    }
    index = manager_performance(history).as_mapping()
    assert index["ann"] > index["bob"] > index["cyd"]
    team = [
        {"id": m, "max_active_leads": 50, "performance": index[m]} for m in ("ann", "bob", "cyd")
    ]
    plan = fl.assign(score_leads(30), team, policy=fl.Policy(target_share="performance"))
    target = plan.capacity.target
    assert target[0] > target[1] > target[2]
    assert target[2] >= 30 * 0.5 / sum(max(v, 0.5) for v in index.values()) - 1e-9
    loads = plan.solution.loads
    assert loads[0] > loads[1] > loads[2]


# --------------------------------------------------------------------------- planned touches


@pytest.mark.parametrize(
    ("touches", "touch_load", "free"),
    [
        (0, 0.25, 10),
        (3, 0.25, 10),  # 0.75 -> 0
        (4, 0.25, 9),  # exactly 1
        (7, 0.25, 9),  # 1.75 -> 1
        (10, 0.1, 9),  # 1.0 in decimal, whatever the binary rounding
        (10, 0.3, 7),  # 3.0 in decimal
        (40, 0.25, 0),
        (80, 0.25, 0),  # never below 0
        (50, 0.0, 10),
    ],
)
def test_planned_touches_take_floor_of_touches_times_load(touches, touch_load, free):
    team = [
        {"id": "busy", "max_active_leads": 10, "planned_touches": touches},
        {"id": "idle", "max_active_leads": 10},
    ]
    policy = {"touch_load": touch_load, "balance_tolerance": None}
    plan = fl.assign(score_leads(3), team, policy=policy)
    np.testing.assert_array_equal(plan.capacity.free, [float(free), 10.0])


def test_touches_and_portfolio_share_one_floor():
    team = [
        {"id": "a", "max_active_leads": 10, "portfolio_size": 3, "planned_touches": 2},
        {"id": "b", "max_active_leads": 10, "active_leads": 4, "planned_touches": 9},
        {"id": "c", "max_active_leads": 10, "planned_touches": 9, "available": False},
    ]
    policy = {"portfolio_load": 0.5, "touch_load": 0.25, "balance_tolerance": None}
    plan = fl.assign(score_leads(3), team, policy=policy)
    # a: floor(3 * 0.5 + 2 * 0.25) = 2; b: 10 - 4 - floor(2.25) = 4; c: unavailable
    np.testing.assert_array_equal(plan.capacity.free, [8.0, 4.0, 0.0])


def test_touches_bound_the_loads():
    team = [
        {"id": "busy", "max_active_leads": 10, "planned_touches": 24},  # 10 - 6 = 4 free
        {"id": "idle", "max_active_leads": 10},
    ]
    plan = fl.assign(score_leads(14), team, policy={"balance_tolerance": None})
    np.testing.assert_array_equal(plan.capacity.free, [4.0, 10.0])
    np.testing.assert_array_equal(plan.solution.loads, [4.0, 10.0])
    with pytest.raises(fl.InfeasibleError):
        fl.assign(score_leads(15), team, policy={"balance_tolerance": None})


@pytest.mark.filterwarnings("ignore::fairlead.records.InputWarning")  # active above the maximum
@settings(max_examples=40, deadline=None)
@given(
    maximum=st.integers(0, 40),
    active=st.integers(0, 40),
    touches=st.integers(0, 200),
    touch_load=st.sampled_from(["0", "0.1", "0.2", "0.25", "0.3", "0.5", "0.75", "1", "1.5"]),
)
def test_free_capacity_with_touches(maximum, active, touches, touch_load):
    team = [
        {
            "id": "m",
            "max_active_leads": maximum,
            "active_leads": active,
            "planned_touches": touches,
        }
    ]
    policy = {"touch_load": float(touch_load), "balance_tolerance": None, "allow_unassigned": True}
    plan = fl.assign(score_leads(1), team, policy=policy)
    busy = math.floor(touches * Fraction(touch_load))  # the decimal load, exactly
    assert plan.capacity.free[0] == max(0, maximum - active - busy)
    assert plan.solution.loads[0] <= plan.capacity.free[0]
