"""Free capacity, water-filling of target shares, and the balance band on solved plans."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead.policy._capacity import free_capacity, plan_capacity, water_fill
from fairlead.records import InputWarning

EPS = 1e-7


def manager(mid, cap, **kw):
    return fl.Manager(id=mid, max_active_leads=cap, **kw)


def leads(n, score=0.1):
    return [fl.Lead(id=f"l{i}", score=score) for i in range(n)]


def reference_free(managers, portfolio_load):
    """Free capacity straight from its definition, one manager at a time."""
    out = []
    for mg in managers:
        room = (
            mg.max_active_leads - mg.active_leads - math.floor(mg.portfolio_size * portfolio_load)
        )
        out.append(float(max(room, 0)) if mg.available else 0.0)
    return out


def reference_fill(weights, caps, total):
    """Water-filling by breakpoints: ``min(cap_j, lam * w_j)`` summing to the reachable total.

    Independent of the library's iterative version: sorts managers by ``cap / weight`` and
    finds the level ``lam`` in closed form.
    """
    weights = [float(w) for w in weights]
    caps = [float(c) for c in caps]
    open_ = [j for j in range(len(caps)) if weights[j] > 0 and caps[j] > 0]
    out = [0.0] * len(caps)
    goal = min(float(total), sum(caps[j] for j in open_))
    if goal <= 0:
        return out
    order = sorted(open_, key=lambda j: caps[j] / weights[j])
    capped_sum = 0.0
    for k, j in enumerate(order):
        rest = order[k:]
        lam = (goal - capped_sum) / sum(weights[r] for r in rest)
        if lam * weights[j] < caps[j]:
            for r in rest:
                out[r] = lam * weights[r]
            return out
        out[j] = caps[j]
        capped_sum += caps[j]
    return out


def reference_targets(managers, policy, n_leads):
    free = reference_free(managers, policy.portfolio_load)
    equal = [1.0 if f > 0 else 0.0 for f in free]
    weights = free if policy.target_share == "capacity" else equal
    return free, reference_fill(weights, free, min(n_leads, sum(free)))


# --------------------------------------------------------------------------- free capacity


def test_free_capacity_subtracts_active_leads_and_portfolio_load():
    with pytest.warns(InputWarning, match=r"manager 'd': active_leads \(9\) exceeds"):
        overloaded = manager("d", 5, active_leads=9)  # over the limit: 0, not negative
    managers = [
        manager("a", 10, active_leads=3, portfolio_size=7),  # 10 - 3 - floor(3.5) = 4
        manager("b", 10),  # 10
        manager("c", 5, active_leads=5),  # 0: at its limit
        overloaded,
        manager("e", 20, available=False),  # unavailable: 0
        manager("f", 6, portfolio_size=20),  # 6 - floor(10) < 0 -> 0
    ]
    free = free_capacity(managers, fl.Policy(portfolio_load=0.5))
    assert free.tolist() == [4.0, 10.0, 0.0, 0.0, 0.0, 0.0]


def test_free_capacity_ignores_portfolio_without_portfolio_load():
    managers = [manager("a", 10, active_leads=2, portfolio_size=100)]
    assert free_capacity(managers, fl.Policy()).tolist() == [8.0]


def test_free_capacity_rounds_portfolio_load_down():
    managers = [manager("a", 10, portfolio_size=3)]
    # 3 clients * 0.9 = 2.7 leads of load -> floor -> 2
    assert free_capacity(managers, fl.Policy(portfolio_load=0.9)).tolist() == [8.0]


# Managers over their limit are drawn on purpose: each is a (filtered) InputWarning.
@pytest.mark.filterwarnings("ignore::fairlead.records.InputWarning")
@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 40), st.integers(0, 50), st.booleans()),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0, 1.7]),
)
def test_free_capacity_matches_definition(rows, portfolio_load):
    managers = [
        manager(f"m{j}", cap, active_leads=act, portfolio_size=port, available=avail)
        for j, (cap, act, port, avail) in enumerate(rows)
    ]
    free = free_capacity(managers, fl.Policy(portfolio_load=portfolio_load))
    assert free.tolist() == reference_free(managers, portfolio_load)
    assert (free >= 0).all()


def test_capacity_plan_of_a_solved_plan_reports_free_capacity():
    managers = [manager("a", 4, active_leads=1), manager("b", 3, available=False)]
    plan = fl.assign(leads(2), managers)
    assert plan.capacity.free.tolist() == [3.0, 0.0]
    assert plan.assignments == {"l0": "a", "l1": "a"}


# --------------------------------------------------------------------------- water_fill


def test_water_fill_docstring_example():
    out = water_fill(np.ones(3), np.array([2.0, 10.0, 10.0]), 12.0)
    assert out.tolist() == [2.0, 5.0, 5.0]


def test_water_fill_proportional_without_caps():
    out = water_fill(np.array([1.0, 3.0]), np.array([100.0, 100.0]), 8.0)
    np.testing.assert_allclose(out, [2.0, 6.0])


def test_water_fill_cascading_caps():
    # equal weights, 12 to share: a capped at 1, then b at 2, the rest to c and d
    out = water_fill(np.ones(4), np.array([1.0, 2.0, 10.0, 10.0]), 12.0)
    np.testing.assert_allclose(out, [1.0, 2.0, 4.5, 4.5])


def test_water_fill_total_above_all_caps_fills_every_cap():
    out = water_fill(np.array([1.0, 2.0]), np.array([3.0, 4.0]), 100.0)
    np.testing.assert_allclose(out, [3.0, 4.0])


def test_water_fill_zero_weight_or_cap_gets_nothing():
    out = water_fill(np.array([0.0, 1.0, 1.0]), np.array([5.0, 0.0, 5.0]), 4.0)
    np.testing.assert_allclose(out, [0.0, 0.0, 4.0])


def test_water_fill_zero_total():
    out = water_fill(np.ones(3), np.full(3, 5.0), 0.0)
    assert out.tolist() == [0.0, 0.0, 0.0]


weights_and_caps = st.integers(1, 7).flatmap(
    lambda m: st.tuples(
        st.lists(st.floats(0.05, 20.0), min_size=m, max_size=m),
        st.lists(st.floats(0.0, 30.0), min_size=m, max_size=m),
        st.floats(0.0, 150.0),
    )
)


@settings(deadline=None, max_examples=100)
@given(weights_and_caps)
def test_water_fill_properties(data):
    w_list, c_list, total = data
    w, caps = np.array(w_list), np.array(c_list)
    out = water_fill(w, caps, total)
    tol = 1e-7 * max(1.0, total)
    # sums to what can be placed
    assert out.sum() == pytest.approx(min(total, caps.sum()), abs=tol)
    # nobody above cap, nobody negative
    assert (out <= caps + tol).all()
    assert (out >= -tol).all()
    # proportional among the uncapped
    uncapped = out < caps - tol
    if uncapped.sum() >= 2:
        level = out[uncapped] / w[uncapped]
        np.testing.assert_allclose(level, level[0], rtol=1e-6, atol=1e-9)
    # a capped manager would have wanted at least its cap at the common level
    if uncapped.any():
        level = float((out[uncapped] / w[uncapped]).max())
        capped = ~uncapped & (caps > 0)
        assert (caps[capped] / w[capped] <= level * (1 + 1e-6) + tol / w[capped]).all()
    # and agrees with the closed-form reference
    np.testing.assert_allclose(out, reference_fill(w_list, c_list, total), atol=tol)


@settings(deadline=None, max_examples=60)
@given(weights_and_caps, st.floats(0.1, 10.0))
def test_water_fill_is_scale_invariant_in_weights(data, factor):
    w_list, c_list, total = data
    w, caps = np.array(w_list), np.array(c_list)
    np.testing.assert_allclose(
        water_fill(w * factor, caps, total), water_fill(w, caps, total), atol=1e-7 * (1 + total)
    )


# --------------------------------------------------------------------------- target shares


def test_target_share_capacity_is_proportional_to_free_capacity():
    managers = [manager("a", 2), manager("b", 6)]
    cap = plan_capacity(managers, fl.Policy(target_share="capacity"), 4)
    np.testing.assert_allclose(cap.target, [1.0, 3.0])
    np.testing.assert_allclose(cap.target_share, [0.25, 0.75])


def test_target_share_equal_splits_evenly():
    managers = [manager("a", 2), manager("b", 6)]
    cap = plan_capacity(managers, fl.Policy(target_share="equal"), 4)
    np.testing.assert_allclose(cap.target, [2.0, 2.0])
    np.testing.assert_allclose(cap.target_share, [0.5, 0.5])


def test_target_share_equal_is_capped_by_free_capacity():
    managers = [manager("a", 1), manager("b", 10), manager("c", 10)]
    cap = plan_capacity(managers, fl.Policy(target_share="equal"), 9)
    np.testing.assert_allclose(cap.target, [1.0, 4.0, 4.0])


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e300])
def test_target_share_performance_depends_on_relative_performance_only(scale):
    # huge indices (or a huge floor) must not overflow into NaN targets
    managers = [manager("a", 4, performance=2.0 * scale), manager("b", 4, performance=scale)]
    policy = fl.Policy(target_share="performance", performance_floor=0.0, performance_cap=None)
    cap = plan_capacity(managers, policy, 3)
    np.testing.assert_allclose(cap.target, [2.0, 1.0])
    floor = fl.Policy(target_share="performance", performance_floor=1e308, performance_cap=None)
    np.testing.assert_allclose(plan_capacity(managers, floor, 4).target, [2.0, 2.0])


def test_performance_cap_bounds_the_star_as_the_floor_bounds_the_weakest():
    managers = [
        manager("star", 100, performance=5.0),
        manager("avg", 100, performance=1.0),
        manager("weak", 100, performance=0.1),
    ]
    # weights 100 * [min(5, 2), 1, max(0.1, 0.5)] = [200, 100, 50] of 35 leads
    capped = plan_capacity(managers, fl.Policy(target_share="performance"), 35)
    np.testing.assert_allclose(capped.target, [20.0, 10.0, 5.0])
    # a cap at the floor: everybody alike
    flat = fl.Policy(target_share="performance", performance_floor=1.0, performance_cap=1.0)
    np.testing.assert_allclose(plan_capacity(managers, flat, 30).target, [10.0, 10.0, 10.0])
    # no cap: the star weighs its full 5
    free = fl.Policy(target_share="performance", performance_cap=None)
    np.testing.assert_allclose(plan_capacity(managers, free, 65).target, [50.0, 10.0, 5.0])
    # the cap changes nothing for the other target shares
    for share in ("capacity", "equal"):
        policy = fl.Policy(target_share=share, performance_cap=1.0)
        np.testing.assert_allclose(plan_capacity(managers, policy, 30).target, [10.0] * 3)


@settings(max_examples=60, deadline=None)
@given(
    performance=st.lists(
        st.one_of(st.none(), st.floats(0.0, 1e6, allow_nan=False)), min_size=2, max_size=6
    ),
    floor=st.floats(0.0, 3.0, allow_nan=False),
    width=st.floats(0.0, 3.0, allow_nan=False),
)
def test_performance_weights_stay_within_floor_and_cap(performance, floor, width):
    managers = [manager(f"m{j}", 50, performance=p) for j, p in enumerate(performance)]
    policy = fl.Policy(
        target_share="performance", performance_floor=floor, performance_cap=floor + width
    )
    target = plan_capacity(managers, policy, 20).target
    index = np.clip([1.0 if p is None else p for p in performance], floor, floor + width)
    if index.sum() > 0:
        np.testing.assert_allclose(target, 20 * index / index.sum(), rtol=1e-9, atol=1e-9)
        # the largest target is at most cap / floor times the smallest
        assert target.max() * floor <= target.min() * (floor + width) * (1 + 1e-9) + 1e-12


def test_a_cap_below_the_floor_is_refused_naming_both():
    with pytest.raises(
        fl.InputError, match=r"performance_cap \(0\.3\).*performance_floor \(0\.5\)"
    ):
        fl.Policy(performance_cap=0.3)
    with pytest.raises(fl.InputError, match=r"performance_cap \(2\).*performance_floor \(3\)"):
        fl.Policy(performance_floor=3.0)
    assert fl.Policy(performance_floor=3.0, performance_cap=None).performance_cap is None
    assert fl.Policy(performance_floor=3.0, performance_cap=3.0).performance_cap == 3.0


@pytest.mark.parametrize("share", ["capacity", "equal"])
def test_unavailable_or_full_manager_has_zero_target(share):
    managers = [
        manager("a", 5),
        manager("b", 5, available=False),
        manager("c", 5, active_leads=5),
        manager("d", 5),
    ]
    cap = plan_capacity(managers, fl.Policy(target_share=share), 4)
    np.testing.assert_allclose(cap.target, [2.0, 0.0, 0.0, 2.0])
    assert cap.min_load[[1, 2]].tolist() == [0.0, 0.0]
    assert cap.max_load[[1, 2]].tolist() == [0.0, 0.0]


def test_targets_when_batch_exceeds_capacity_fill_every_manager():
    managers = [manager("a", 2), manager("b", 3)]
    cap = plan_capacity(managers, fl.Policy(target_share="equal"), 10)
    np.testing.assert_allclose(cap.target, [2.0, 3.0])
    assert cap.target_share.sum() == pytest.approx(1.0)


def test_no_room_anywhere_gives_zero_shares():
    managers = [manager("a", 0), manager("b", 3, available=False)]
    cap = plan_capacity(managers, fl.Policy(), 3)
    assert cap.target_share.tolist() == [0.0, 0.0]
    assert cap.max_load.tolist() == [0.0, 0.0]


def test_band_numbers_for_a_known_case():
    # capacity shares 10:20:30 of 12 leads -> targets 2, 4, 6; tolerance 0.25
    managers = [manager("a", 10), manager("b", 20), manager("c", 30)]
    cap = plan_capacity(managers, fl.Policy(balance_tolerance=0.25), 12)
    np.testing.assert_allclose(cap.target, [2.0, 4.0, 6.0])
    assert cap.min_load.tolist() == [1.0, 3.0, 4.0]  # floor(1.5), floor(3), floor(4.5)
    assert cap.max_load.tolist() == [3.0, 5.0, 8.0]  # ceil(2.5), ceil(5), ceil(7.5)


def test_band_max_load_never_above_free_capacity():
    managers = [manager("a", 2), manager("b", 100)]
    cap = plan_capacity(managers, fl.Policy(target_share="equal", balance_tolerance=0.5), 4)
    np.testing.assert_allclose(cap.target, [2.0, 2.0])
    assert cap.max_load.tolist() == [2.0, 3.0]


def test_no_tolerance_drops_the_band():
    managers = [manager("a", 2), manager("b", 100)]
    cap = plan_capacity(managers, fl.Policy(balance_tolerance=None), 4)
    assert cap.min_load.tolist() == [0.0, 0.0]
    assert cap.max_load.tolist() == [2.0, 100.0]


def test_zero_tolerance_pins_integer_targets():
    managers = [manager("a", 5), manager("b", 5), manager("c", 5)]
    plan = fl.assign(leads(6), managers, policy={"balance_tolerance": 0.0})
    assert plan.fairness.loads.tolist() == [2.0, 2.0, 2.0]


# --------------------------------------------------------------------------- band on plans

manager_rows = st.lists(
    st.tuples(
        st.integers(0, 8),  # max_active_leads
        st.integers(0, 3),  # active_leads
        st.booleans(),  # available
        st.sampled_from(list(fl.Level)),
    ),
    min_size=1,
    max_size=5,
)


@pytest.mark.filterwarnings("ignore::fairlead.records.InputWarning")
@settings(deadline=None, max_examples=60)
@given(
    manager_rows,
    st.integers(1, 14),
    st.sampled_from(["capacity", "equal"]),
    st.sampled_from([0.0, 0.1, 0.2, 0.35, 0.5, 1.0]),
    st.lists(st.integers(0, 100), min_size=14, max_size=14),
)
def test_solved_plan_keeps_every_manager_in_the_band(rows, n, share, tol, percents):
    managers = [
        manager(f"m{j}", cap, active_leads=act, available=avail, level=level)
        for j, (cap, act, avail, level) in enumerate(rows)
    ]
    batch = [fl.Lead(id=f"l{i}", score=percents[i] / 100) for i in range(n)]
    policy = fl.Policy(
        target_share=share, balance_tolerance=tol, hot_min_level=None, allow_unassigned=True
    )
    free, target = reference_targets(managers, policy, n)
    plan = fl.assign(batch, managers, policy=policy)
    loads = plan.fairness.loads
    cap = plan.capacity

    np.testing.assert_allclose(cap.free, free)
    np.testing.assert_allclose(cap.target, target, atol=1e-9)
    assert (cap.min_load <= loads + EPS).all()
    assert (loads <= cap.max_load + EPS).all()
    assert (loads <= np.array(free) + EPS).all()
    for j, t in enumerate(target):
        assert loads[j] >= math.floor(t * (1 - tol) + EPS), (j, t, loads)
        assert loads[j] <= math.ceil(t * (1 + tol) - EPS), (j, t, loads)
    # as many leads as there is room for
    assert loads.sum() == min(n, sum(free))
    assert len(plan.unassigned) == n - min(n, sum(free))
