"""The strategies on hand-made decisions, against independent optima, and on a simulated team."""

from __future__ import annotations

import itertools
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from fairlead.sim import (
    DecisionContext,
    FairleadBatch,
    Greedy,
    LeastLoaded,
    RoundRobin,
    SimConfig,
    WeightedRandom,
    make_world,
    simulate,
)


def _context(
    value: Any,
    eligible: Any = None,
    room: Any = None,
    *,
    now: float = 1000.0,
    leads: Any = None,
    waited: Any = None,
    tier: Any = None,
    open_: Any = None,
    capacity: Any = None,
    received: Any = None,
    minutes: Any = None,
    seed: int = 0,
) -> DecisionContext:
    """A decision by hand; ``eligible`` is cut to managers with room, as the engine does."""
    value = np.asarray(value, dtype=np.float64)
    k, m = value.shape
    room = np.full(m, k, dtype=np.int64) if room is None else np.asarray(room, dtype=np.int64)
    eligible = np.ones((k, m), bool) if eligible is None else np.asarray(eligible, dtype=bool)
    open_ = np.zeros(m, np.int64) if open_ is None else np.asarray(open_, dtype=np.int64)
    capacity = open_ + room if capacity is None else np.asarray(capacity, dtype=np.int64)
    return DecisionContext(
        now=now,
        leads=np.arange(k, dtype=np.int64) if leads is None else np.asarray(leads, np.int64),
        waited=np.zeros(k) if waited is None else np.asarray(waited, dtype=np.float64),
        tier=np.ones(k, np.int64) if tier is None else np.asarray(tier, dtype=np.int64),
        product=np.zeros(k, np.int64),
        deal_value=np.ones(k),
        value=value,
        eligible=eligible & (room > 0)[None, :],
        room=room,
        open=open_,
        capacity=capacity,
        received=np.zeros(m, np.int64) if received is None else np.asarray(received, np.int64),
        available_minutes=np.full(m, 60.0) if minutes is None else np.asarray(minutes, float),
        rng=np.random.default_rng(seed),
    )


def _assert_feasible(context: DecisionContext, pick: np.ndarray) -> None:
    assert pick.shape == context.leads.shape
    chosen = np.flatnonzero(pick >= 0)
    assert np.all(pick >= -1)
    assert np.all(context.eligible[chosen, pick[chosen]])
    taken = np.bincount(pick[chosen], minlength=context.room.size)
    assert np.all(taken <= context.room)


@st.composite
def contexts(draw: st.DrawFn, *, stale: bool = False) -> DecisionContext:
    k = draw(st.integers(1, 5))
    m = draw(st.integers(1, 4))
    value = draw(
        st.lists(
            st.lists(st.floats(0.0, 1.0) | st.just(0.0), min_size=m, max_size=m),
            min_size=k,
            max_size=k,
        )
    )
    eligible = draw(
        st.lists(st.lists(st.booleans(), min_size=m, max_size=m), min_size=k, max_size=k)
    )
    room = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    open_ = draw(st.lists(st.integers(0, 2), min_size=m, max_size=m))
    received = draw(st.lists(st.integers(0, 12), min_size=m, max_size=m))
    minutes = draw(
        st.lists(st.sampled_from([0.0, 15.0, 60.0, 240.0, 555.5]), min_size=m, max_size=m)
    )
    waited = draw(st.lists(st.floats(0.0, 300.0), min_size=k, max_size=k)) if stale else None
    return _context(
        value, eligible, room, open_=open_, received=received, minutes=minutes, waited=waited
    )


def _lexicographic_optimum(context: DecisionContext) -> tuple[int, float]:
    """Most leads placed, then most value: a capacity-expanded linear_sum_assignment."""
    k = context.leads.size
    slots = np.repeat(np.arange(context.room.size), context.room)
    if slots.size == 0:
        return 0, 0.0
    bonus = k + 1.0  # one more lead placed outweighs any difference in value
    weight = np.where(context.eligible[:, slots], context.value[:, slots] + bonus, 0.0)
    rows, cols = linear_sum_assignment(weight, maximize=True)
    used = context.eligible[rows, slots[cols]]
    return int(used.sum()), float(context.value[rows[used], slots[cols[used]]].sum())


def _brute_force(context: DecisionContext) -> tuple[int, float]:
    k, m = context.eligible.shape
    best = (0, 0.0)
    for pick in itertools.product(range(-1, m), repeat=k):
        p = np.asarray(pick)
        chosen = np.flatnonzero(p >= 0)
        if not context.eligible[chosen, p[chosen]].all():
            continue
        if np.any(np.bincount(p[chosen], minlength=m) > context.room):
            continue
        score = (chosen.size, float(context.value[chosen, p[chosen]].sum()))
        if score[0] > best[0] or (score[0] == best[0] and score[1] > best[1]):
            best = score
    return best


def _placed(context: DecisionContext, pick: np.ndarray) -> tuple[int, float]:
    chosen = np.flatnonzero(pick >= 0)
    return chosen.size, float(context.value[chosen, pick[chosen]].sum())


# --- fairlead: exact batches --------------------------------------------------------------


@settings(deadline=None, max_examples=120)
@given(context=contexts())
def test_unconstrained_batch_is_the_exact_optimum(context: DecisionContext) -> None:
    pick = FairleadBatch(tolerance=None).decide(context)
    _assert_feasible(context, pick)
    count, value = _placed(context, pick)
    best_count, best_value = _lexicographic_optimum(context)
    assert count == best_count
    assert value == pytest.approx(best_value, abs=1e-9)
    if (context.room.size + 1) ** context.leads.size <= 2000:
        assert _brute_force(context) == (best_count, pytest.approx(best_value, abs=1e-12))


def test_unconstrained_batch_on_a_known_case() -> None:
    # Lead 1 can only go to manager 0; the best full placement sends lead 0 elsewhere.
    value = [[0.9, 0.5, 0.1], [0.3, 0.0, 0.0], [0.2, 0.8, 0.7]]
    eligible = [[True, True, True], [True, False, False], [True, True, True]]
    context = _context(value, eligible, room=[1, 1, 1])
    pick = FairleadBatch(tolerance=None).decide(context)
    assert pick.tolist() == [1, 0, 2]
    assert _placed(context, pick) == _brute_force(context) == (3, pytest.approx(1.5))


@settings(deadline=None, max_examples=150)
@given(
    context=contexts(stale=True),
    tolerance=st.sampled_from([0.0, 0.1, 0.5, 1.0, 3.0, 4.0]),
    stale_after=st.sampled_from([None, 60.0]),
)
def test_banded_batch_leaves_no_fresh_lead_that_fits(
    context: DecisionContext, tolerance: float, stale_after: float | None
) -> None:
    # The band is widened until no fresh lead is left that a manager with room could take.
    strategy = FairleadBatch(tolerance=tolerance, stale_after=stale_after)
    pick = strategy.decide(context)
    _assert_feasible(context, pick)
    taken = np.bincount(pick[pick >= 0], minlength=context.room.size)
    full = taken >= context.room
    fresh = np.ones(context.leads.size, bool) if stale_after is None else context.waited < 60.0
    for k in np.flatnonzero((pick < 0) & fresh).tolist():
        assert np.all(full[context.eligible[k]]), (k, pick.tolist())


def test_the_band_overrides_value() -> None:
    # Equal fair shares; manager 0 already has 4 leads, manager 1 none; 4 leads all
    # worth more with manager 0.
    value = np.tile([0.9, 0.1], (4, 1))
    context = _context(value, room=[5, 5], received=[4, 0])
    assert FairleadBatch(tolerance=None).decide(context).tolist() == [0, 0, 0, 0]
    # Target 4 each: manager 0 is at the ceiling already.
    assert FairleadBatch(tolerance=0.0).decide(context).tolist() == [1, 1, 1, 1]
    # +-50 %: manager 0 may reach ceil(1.5 * 4) = 6, manager 1 must reach floor(0.5 * 4) = 2.
    pick = FairleadBatch(tolerance=0.5).decide(context)
    assert np.bincount(pick, minlength=2).tolist() == [2, 2]


def test_a_stale_lead_waits_for_the_band_then_goes() -> None:
    # Only manager 0 may take the lead, and manager 0 is far above their fair share.
    def at(now: float, waited: float) -> DecisionContext:
        return _context(
            [[0.5, 0.5]],
            [[True, False]],
            room=[3, 3],
            received=[10, 0],
            now=now,
            leads=[7],
            waited=[waited],
        )

    fresh = FairleadBatch(tolerance=0.0)
    assert fresh.decide(at(1000.0, 0.0)).tolist() == [0]  # a fresh lead is never held
    strategy = FairleadBatch(tolerance=0.0, max_hold=180.0)
    assert strategy.decide(at(1000.0, 90.0)).tolist() == [-1]
    assert strategy.decide(at(1179.0, 269.0)).tolist() == [-1]
    assert strategy.decide(at(1180.0, 270.0)).tolist() == [0]
    strategy.reset(make_world(SimConfig(n_managers=2, weeks=1), seed=0))
    assert strategy.decide(at(1180.0, 270.0)).tolist() == [-1]  # reset: offered anew
    never_hold = FairleadBatch(tolerance=0.0, stale_after=None)
    assert never_hold.decide(at(1000.0, 90.0)).tolist() == [0]


def test_the_band_never_holds_back_a_fresh_lead() -> None:
    value = [[0.9, 0.5], [0.1, 0.0]]
    eligible = [[True, True], [True, False]]
    # Manager 1 is far above their fair share, manager 0 below it.
    context = _context(value, eligible, room=[1, 1], open_=[1, 1], received=[0, 10])
    assert FairleadBatch(tolerance=None).decide(context).tolist() == [1, 0]
    assert (FairleadBatch(tolerance=0.0).decide(context) >= 0).all()


def test_a_very_wide_band_never_holds_back_a_fresh_lead() -> None:
    # Manager 0 has just come on shift (1 minute) after receiving 50 leads; only they may
    # take the lead.
    context = _context(
        [[0.5, 0.5]], [[True, False]], room=[3, 3], received=[50, 0], minutes=[1.0, 1000.0]
    )
    assert FairleadBatch(tolerance=3.0).decide(context).tolist() == [0]
    assert FairleadBatch(tolerance=5.0).decide(context).tolist() == [0]


def test_fair_band_evens_out_counts_on_a_team() -> None:
    world = make_world(SimConfig(weeks=2), seed=0)
    gini = {
        name: simulate(world, strategy).metrics()["count_gini"]
        for name, strategy in {
            "fair": FairleadBatch(tolerance=0.0),
            "round robin": RoundRobin(),
            "unconstrained": FairleadBatch(tolerance=None),
        }.items()
    }
    assert gini["fair"] < gini["round robin"]
    assert gini["fair"] < gini["unconstrained"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"interval": 0.0}, "interval"),
        ({"interval": float("nan")}, "interval"),
        ({"interval": float("inf")}, "interval"),
        ({"tolerance": -0.1}, "tolerance"),
        ({"tolerance": float("inf")}, "tolerance"),
        ({"stale_after": -1.0}, "stale_after"),
        ({"max_hold": float("nan")}, "max_hold"),
        ({"max_hold": -5.0}, "max_hold"),
        ({"interval": "5"}, "interval must be a positive number of minutes or None, got '5'"),
        ({"interval": True}, "interval must be a positive number of minutes or None, got True"),
        ({"tolerance": True}, "tolerance must be >= 0 or None, got True"),
        ({"tolerance": "0.1"}, "tolerance must be >= 0 or None, got '0.1'"),
        ({"stale_after": "1"}, "stale_after must be >= 0 minutes or None, got '1'"),
        ({"max_hold": None}, "max_hold must be >= 0 minutes, got None"),
        ({"method": "nope"}, r"method 'nope' is unknown; FairleadBatch needs an exact method: "),
        ({"method": None}, r"method None is unknown; FairleadBatch needs an exact method: "),
        (
            {"method": "greedy"},
            r"method 'greedy' is a heuristic, which may break the fair band; FairleadBatch "
            r"needs an exact method: 'auto', .*'min_cost_flow'",
        ),
        ({"method": "round_robin"}, r"method 'round_robin' is a heuristic"),
    ],
)
def test_fairlead_rejects_bad_parameters(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        FairleadBatch(**kwargs)


def test_fairlead_names() -> None:
    assert FairleadBatch().name == "fairlead batch 1 min ±10%"
    assert FairleadBatch(interval=5, tolerance=0.0).name == "fairlead batch 5 min ±0%"
    assert FairleadBatch(interval=None).name == "fairlead on arrival ±10%"
    assert FairleadBatch(tolerance=None).name == "fairlead batch 1 min unconstrained"
    assert FairleadBatch(name="mine").name == "mine"
    assert FairleadBatch(interval=None).interval is None
    assert FairleadBatch(interval=2).interval == 2.0


# --- the CRM baselines --------------------------------------------------------------------


def test_round_robin_takes_turns_and_skips_who_cannot_take() -> None:
    strategy = RoundRobin()
    strategy.reset(make_world(SimConfig(n_managers=3, weeks=1), seed=0))
    context = _context(np.zeros((5, 3)), room=[5, 5, 5])
    assert strategy.decide(context).tolist() == [0, 1, 2, 0, 1]
    # The turn carries over to the next decision; manager 0 is off shift now.
    context = _context(np.zeros((3, 3)), room=[0, 5, 5])
    assert strategy.decide(context).tolist() == [2, 1, 2]
    # Manager 1 has one slot left: it takes one lead and is skipped afterwards.
    context = _context(np.zeros((5, 3)), room=[4, 1, 4])
    assert strategy.decide(context).tolist() == [0, 1, 2, 0, 2]


@settings(deadline=None, max_examples=100)
@given(context=contexts())
def test_baselines_place_every_lead_that_fits(context: DecisionContext) -> None:
    for strategy in (RoundRobin(), LeastLoaded(), WeightedRandom(), Greedy()):
        pick = strategy.decide(context)
        _assert_feasible(context, pick)
        taken = np.bincount(pick[pick >= 0], minlength=context.room.size)
        full = taken >= context.room
        for k in np.flatnonzero(pick < 0).tolist():
            assert np.all(full[context.eligible[k]]), (strategy.name, k)


def test_least_loaded_gives_to_whoever_holds_fewest() -> None:
    context = _context(np.zeros((4, 3)), room=[9, 9, 9], open_=[3, 1, 2], received=[0, 5, 0])
    # 1 holds fewest; then 1 and 2 hold 2 each and 2 received fewer; then 1 holds 2 (to
    # 3 and 3); then all hold 3 and the tie goes to 0, who received fewest (first).
    assert LeastLoaded().decide(context).tolist() == [1, 2, 1, 0]


def test_greedy_gives_the_best_manager_to_the_hottest_lead() -> None:
    value = [[0.1, 0.9], [0.2, 0.8], [0.3, 0.7]]
    # Lead 1 is hot, lead 2 warm and waiting longest, lead 0 warm.
    context = _context(value, room=[3, 1], tier=[1, 0, 1], waited=[5.0, 1.0, 9.0])
    assert Greedy().decide(context).tolist() == [0, 1, 0]


def test_weighted_random_draws_in_proportion_to_free_slots() -> None:
    context = _context(np.zeros((1, 3)), room=[1, 3, 0], seed=4)
    strategy = WeightedRandom()
    draws = np.array([strategy.decide(context)[0] for _ in range(4000)])
    share = np.bincount(draws, minlength=3) / draws.size
    assert share[2] == 0.0
    assert share[1] == pytest.approx(0.75, abs=0.03)


def test_exact_methods_are_the_registry_s_exact_ones() -> None:
    import fairlead as fl
    from fairlead.sim._strategies import exact_methods
    from fairlead.solvers import get_solver

    names = exact_methods()
    assert names[0] == "auto"
    assert "min_cost_flow" in names
    assert set(names[1:]) == {m for m in fl.list_methods() if get_solver(m).exact}
    for heuristic in set(fl.list_methods()) - set(names):
        with pytest.raises(ValueError, match=f"method '{heuristic}' is a heuristic"):
            FairleadBatch(method=heuristic)


@pytest.mark.parametrize("method", ["auto", "sifting", "cp_sat"])
def test_every_exact_method_gives_the_optimum(method: str) -> None:
    from fairlead.sim._strategies import exact_methods

    if method not in exact_methods():
        pytest.skip(f"{method} is not available here")
    world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=10), seed=1)
    flow = simulate(world, FairleadBatch()).metrics()
    other = simulate(world, FairleadBatch(method=method)).metrics()
    assert other["expected_conversions"] == pytest.approx(flow["expected_conversions"], rel=0.05)
    assert other["count_gini"] <= 0.1


@pytest.mark.parametrize("interval", [10080.0, 30000.0, 1e9])
def test_an_interval_as_long_as_the_arrivals_is_refused_when_run(interval: float) -> None:
    world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=10), seed=1)
    with pytest.raises(
        ValueError,
        match=re.escape(f"strategy 'fairlead batch {interval:g} min ±10%' has interval ")
        + r"[\d.e+]+ minutes; interval must be shorter than the 10080 minutes in which leads",
    ):
        simulate(world, FairleadBatch(interval=interval))
