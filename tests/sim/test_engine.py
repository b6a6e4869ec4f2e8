"""The event loop: every lead placed within capacity, on shift, reproducibly; misuse caught.

The invariants are checked against a reconstruction from the run record alone: a lead
counts against its manager from ``assigned_at`` until ``assigned_at + open_minutes``.
"""

from __future__ import annotations

import dataclasses
import math
import re
import signal
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.sim import (
    DecisionContext,
    RoundRobin,
    RunRecord,
    SimConfig,
    Strategy,
    StrategyError,
    WeightedRandom,
    World,
    make_world,
    simulate,
)
from fairlead.sim._world import SLOT_MINUTES

SMALL = SimConfig(n_managers=6, weeks=1)
TIGHT = SimConfig(
    n_managers=6, weeks=1, capacity_by_level=(2, 3, 4), portfolio_load=0.0, open_days_median=0.1
)

_RUNS: dict[tuple[str, str], RunRecord] = {}


@pytest.fixture(params=["small", "tight"])
def world(request: pytest.FixtureRequest, small_world: World, tight_world: World) -> World:
    return small_world if request.param == "small" else tight_world


def _run(world: World, make_strategy: Callable[[], Strategy]) -> RunRecord:
    """One run per (world, strategy), shared by the invariant tests."""
    strategy = make_strategy()
    key = (f"{id(world)}", strategy.name)
    if key not in _RUNS:
        _RUNS[key] = simulate(world, strategy)
    return _RUNS[key]


def _held_before(record: RunRecord) -> np.ndarray:
    """Leads the manager of each lead held just before taking it.

    Leads assigned at the same minute are taken in stream order (the queue's order).
    """
    world = record.world
    n = world.stream.size
    close = record.assigned_at + world.stream.open_minutes
    before = np.zeros(n, dtype=np.int64)
    for j in range(world.team.size):
        mine = np.flatnonzero(record.manager == j)
        a, c = record.assigned_at[mine], close[mine]
        earlier = (a[None, :] < a[:, None]) | (
            (a[None, :] == a[:, None]) & (mine[None, :] < mine[:, None])
        )
        before[mine] = (earlier & (c[None, :] > a[:, None])).sum(axis=1)
    return before


def _held_at(record: RunRecord, minute: float) -> np.ndarray:
    """Leads each manager holds at ``minute``, after every assignment made at that minute."""
    world = record.world
    close = record.assigned_at + world.stream.open_minutes
    holding = (record.assigned_at <= minute) & (close > minute)
    return np.bincount(record.manager[holding], minlength=world.team.size)


def _worked(world: World, manager: int, minute: float) -> float:
    schedule = world.schedule
    slot = min(int(minute // SLOT_MINUTES), schedule.on_shift.shape[0] - 1)
    partial = (minute - slot * SLOT_MINUTES) * schedule.on_shift[slot, manager]
    return float(schedule.worked_before[slot, manager] + partial)


# --- every lead placed, on time order -------------------------------------------------


def test_no_lead_is_lost(world: World, make_strategy: Callable[[], Strategy]) -> None:
    record = _run(world, make_strategy)
    stream = world.stream
    n, m = stream.size, world.team.size
    for name in ("manager", "assigned_at", "contact_at", "probability", "won", "load_at_assign"):
        assert getattr(record, name).shape == (n,), name
    assert np.all((record.manager >= 0) & (record.manager < m))
    assert np.all(np.isfinite(record.assigned_at))
    assert np.all(record.assigned_at >= stream.arrival)
    assert np.all(record.contact_at >= record.assigned_at)
    np.testing.assert_array_equal(record.received, np.bincount(record.manager, minlength=m))
    assert record.strategy == make_strategy().name
    assert record.seed == world.seed


def test_batches_decide_on_their_grid(world: World) -> None:
    from fairlead.sim import FairleadBatch

    record = simulate(world, FairleadBatch(interval=5.0))
    np.testing.assert_array_equal(record.assigned_at % 5.0, 0.0)


# --- capacity, shifts, qualification ----------------------------------------------------


def test_capacity_is_never_exceeded(world: World, make_strategy: Callable[[], Strategy]) -> None:
    record = _run(world, make_strategy)
    capacity = world.team.capacity[record.manager]
    before = _held_before(record)
    assert np.all(before + 1 <= capacity)
    # The recorded load is exactly the reconstructed one, and so is each manager's peak.
    np.testing.assert_array_equal(record.load_at_assign, before / capacity)
    peak = np.zeros(world.team.size)
    np.maximum.at(peak, record.manager, (before + 1) / capacity)
    np.testing.assert_allclose(record.peak_load, peak, rtol=0, atol=1e-12)


def test_tight_world_fills_managers(tight_world: World) -> None:
    # The capacity test above is only meaningful if capacity binds somewhere.
    record = simulate(tight_world, RoundRobin())
    assert np.all(record.peak_load == 1.0)
    assert np.mean(record.assigned_at > tight_world.stream.arrival) > 0.2


def test_assignments_go_to_qualified_managers_on_shift(
    world: World, make_strategy: Callable[[], Strategy]
) -> None:
    record = _run(world, make_strategy)
    team, stream, schedule = world.team, world.stream, world.schedule
    assert np.all(team.qualified[record.manager, stream.product])
    on_shift = np.array(
        [schedule.shift_mask(t)[j] for t, j in zip(record.assigned_at, record.manager, strict=True)]
    )
    assert on_shift.all()


def test_no_lead_waits_while_someone_could_take_it(
    world: World, make_strategy: Callable[[], Strategy]
) -> None:
    # At the first decision after a lead arrives, it waits only if every qualified manager
    # on shift is full (all the shipped strategies place whatever fits a fresh lead).
    strategy = make_strategy()
    record = _run(world, make_strategy)
    stream, team = world.stream, world.team
    interval = strategy.interval
    tick = (
        stream.arrival
        if interval is None
        else np.ceil(stream.arrival / interval) * interval  # the first batch after arrival
    )
    waited = np.flatnonzero(record.assigned_at > tick)
    for i in waited.tolist():
        t = float(tick[i])
        could = world.schedule.shift_mask(t) & team.qualified[:, stream.product[i]]
        held = _held_at(record, t)
        assert np.all(held[could] == team.capacity[could]), (i, t)


def test_contact_comes_after_the_response_time_in_working_minutes(
    world: World, make_strategy: Callable[[], Strategy]
) -> None:
    record = _run(world, make_strategy)
    end = world.schedule.end
    for i in range(world.stream.size):
        j, a, c = int(record.manager[i]), record.assigned_at[i], record.contact_at[i]
        work = world.response_minutes(i, j, float(record.load_at_assign[i]))
        if c <= end:
            assert _worked(world, j, c) - _worked(world, j, a) == pytest.approx(work, abs=1e-6)


def test_chances_and_outcomes_follow_the_world(
    world: World, make_strategy: Callable[[], Strategy]
) -> None:
    record = _run(world, make_strategy)
    leads = np.arange(world.stream.size)
    delay = (record.contact_at - world.stream.arrival) / 60.0
    chance = world.true_probability(leads, record.manager, delay, record.load_at_assign)
    np.testing.assert_array_equal(record.probability, chance)
    np.testing.assert_array_equal(record.won, world.outcome(leads, chance))
    assert np.all((record.probability > 0) & (record.probability <= world.config.max_probability))


def test_metrics_are_the_documented_measures(world: World) -> None:
    from fairlead.sim import METRICS

    record = simulate(world, RoundRobin())
    metrics = record.metrics()
    assert list(metrics) == list(METRICS)
    assert metrics["conversions"] == record.won.sum()
    assert metrics["expected_conversions"] == pytest.approx(record.probability.sum())
    assert metrics["revenue"] == pytest.approx((record.won * world.stream.deal_value).sum())
    assert 0.0 <= metrics["count_gini"] < 1.0
    assert metrics["peak_load"] == pytest.approx(record.peak_load.mean())
    assert 0.0 <= metrics["overload_share"] <= 1.0
    assert metrics["median_response_min"] == pytest.approx(
        np.median(record.contact_at - world.stream.arrival)
    )


# --- reproducibility -------------------------------------------------------------------

_FIELDS = ("manager", "assigned_at", "contact_at", "probability", "won", "load_at_assign")


def _same_run(a: RunRecord, b: RunRecord) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in _FIELDS)


def test_same_seed_same_run(make_strategy: Callable[[], Strategy]) -> None:
    a = simulate(make_world(TIGHT, seed=8), make_strategy())
    b = simulate(make_world(TIGHT, seed=8), make_strategy())
    assert _same_run(a, b)
    np.testing.assert_array_equal(a.received, b.received)
    np.testing.assert_array_equal(a.peak_load, b.peak_load)
    assert a.metrics() == b.metrics()


def test_a_strategy_forgets_its_previous_run(make_strategy: Callable[[], Strategy]) -> None:
    strategy = make_strategy()
    other = make_world(TIGHT, seed=9)
    world = make_world(TIGHT, seed=8)
    first = simulate(world, strategy)
    simulate(other, strategy)
    assert _same_run(first, simulate(world, strategy))


def test_other_seed_other_run(make_strategy: Callable[[], Strategy]) -> None:
    a = simulate(make_world(TIGHT, seed=8), make_strategy())
    b = simulate(make_world(TIGHT, seed=10), make_strategy())
    assert a.manager.size != b.manager.size or not np.array_equal(a.probability, b.probability)


def test_weighted_random_draws_from_the_world_seed(tight_world: World) -> None:
    a = simulate(tight_world, WeightedRandom())
    b = simulate(tight_world, WeightedRandom())
    assert _same_run(a, b)
    reseeded = simulate(
        dataclasses.replace(tight_world, seed=tight_world.seed + 1), WeightedRandom()
    )
    assert not np.array_equal(a.manager, reseeded.manager)


# --- strategies that break the rules ----------------------------------------------------


def _first_free(context: DecisionContext) -> np.ndarray:
    pick = np.full(context.leads.size, -1, dtype=np.int64)
    room = context.room.copy()
    for k in range(context.leads.size):
        free = np.flatnonzero(context.eligible[k] & (room > 0))
        if free.size:
            pick[k] = free[0]
            room[free[0]] -= 1
    return pick


class Rogue(Strategy):
    """Plays fair until ``cheat`` finds a way to break a rule, then breaks it."""

    name = "rogue"

    def __init__(self, cheat: Callable[[Rogue, DecisionContext], np.ndarray | None]) -> None:
        self.cheat = cheat
        self.caught: tuple[DecisionContext, np.ndarray] | None = None

    def reset(self, world: World) -> None:
        self.world = world

    def decide(self, context: DecisionContext) -> np.ndarray:
        pick = self.cheat(self, context)
        if pick is None:
            return _first_free(context)
        self.caught = (context, pick)
        return pick


def _give_first_lead(
    mask_of: Callable[[Rogue, DecisionContext, int], np.ndarray],
) -> Callable[[Rogue, DecisionContext], np.ndarray | None]:
    def cheat(self: Rogue, context: DecisionContext) -> np.ndarray | None:
        for k in range(context.leads.size):
            mask = mask_of(self, context, k)
            if mask.any():
                pick = np.full(context.leads.size, -1, dtype=np.int64)
                pick[k] = int(np.argmax(mask))
                return pick
        return None

    return cheat


def _qualified(self: Rogue, context: DecisionContext, k: int) -> np.ndarray:
    return np.asarray(self.world.team.qualified[:, context.product[k]])


_CHEATS = {
    "off shift": lambda s, c, k: _qualified(s, c, k) & (c.room == 0) & (c.open < c.capacity),
    "unqualified": lambda s, c, k: ~_qualified(s, c, k) & (c.room > 0),
    "full": lambda s, c, k: _qualified(s, c, k) & (c.open >= c.capacity),
}


@pytest.mark.parametrize("how", list(_CHEATS))
def test_an_ineligible_choice_is_refused(tight_world: World, how: str) -> None:
    rogue = Rogue(_give_first_lead(_CHEATS[how]))
    with pytest.raises(StrategyError) as info:
        simulate(tight_world, rogue)
    assert rogue.caught is not None
    context, pick = rogue.caught
    k = int(np.flatnonzero(pick >= 0)[0])
    lead, manager = int(context.leads[k]), int(pick[k])
    assert not context.eligible[k, manager]
    message = str(info.value)
    assert "'rogue'" in message
    assert f"lead {lead} " in message
    assert f"manager {manager}," in message
    assert "not eligible" in message


def _overfill(self: Rogue, context: DecisionContext) -> np.ndarray | None:
    for j in range(context.room.size):
        takers = np.flatnonzero(context.eligible[:, j])
        if takers.size > context.room[j]:
            pick = np.full(context.leads.size, -1, dtype=np.int64)
            pick[takers] = j
            return pick
    return None


def test_overfilling_a_manager_is_refused(tight_world: World) -> None:
    rogue = Rogue(_overfill)
    with pytest.raises(StrategyError) as info:
        simulate(tight_world, rogue)
    assert rogue.caught is not None
    context, pick = rogue.caught
    j = int(pick[pick >= 0][0])
    taken = int((pick == j).sum())
    assert taken > context.room[j]
    assert str(info.value) == (
        f"strategy 'rogue' gave manager {j} {taken} leads with room for {int(context.room[j])}"
    )


@pytest.mark.parametrize(
    ("make_pick", "pattern"),
    [
        (lambda c: np.zeros(c.leads.size + 1), r"returned \((\d+),\) choices for (\d+) waiting"),
        (lambda c: np.zeros((c.leads.size, 1)), r"returned \((\d+), 1\) choices for (\d+) waiting"),
        (lambda c: np.full(c.leads.size, c.room.size), r"chose manager index (\d+) for lead (\d+)"),
        (lambda c: np.full(c.leads.size, -2), r"chose manager index (-2) for lead (\d+)"),
    ],
    ids=["too long", "two-dimensional", "index too high", "index below -1"],
)
def test_malformed_choices_are_refused(
    small_world: World, make_pick: Callable[[DecisionContext], np.ndarray], pattern: str
) -> None:
    seen: list[DecisionContext] = []

    class Malformed(Strategy):
        name = "malformed"

        def decide(self, context: DecisionContext) -> np.ndarray:
            seen.append(context)
            return make_pick(context)

    with pytest.raises(StrategyError, match="strategy 'malformed'") as info:
        simulate(small_world, Malformed())
    found = re.search(pattern, str(info.value))
    assert found is not None, str(info.value)
    context = seen[-1]
    if "waiting" in pattern:
        assert int(found.group(2)) == context.leads.size
    else:
        assert int(found.group(2)) == int(context.leads[0])
        assert f"valid indexes are -1..{small_world.team.size - 1}" in str(info.value)


def test_a_custom_strategy_runs(small_world: World) -> None:
    class FirstFree(Strategy):
        name = "first free"

        def decide(self, context: DecisionContext) -> np.ndarray:
            return _first_free(context)

    record = simulate(small_world, FirstFree())
    assert np.all(record.manager >= 0)
    assert repr(FirstFree()) == "FirstFree(name='first free')"


def test_the_decision_context_is_consistent(tight_world: World) -> None:
    contexts: list[DecisionContext] = []

    class Watcher(Strategy):
        name = "watcher"

        def decide(self, context: DecisionContext) -> np.ndarray:
            contexts.append(context)
            return _first_free(context)

    values = np.random.default_rng(0).random((tight_world.stream.size, tight_world.team.size))
    simulate(tight_world, Watcher(), values)
    stream, team = tight_world.stream, tight_world.team
    assert contexts
    for c in contexts:
        k = c.leads.size
        assert k > 0
        assert np.all(np.diff(c.leads) > 0)  # oldest first
        np.testing.assert_allclose(c.waited, c.now - stream.arrival[c.leads])
        assert np.all(c.waited >= 0)
        np.testing.assert_array_equal(c.product, stream.product[c.leads])
        np.testing.assert_array_equal(c.tier, stream.tier[c.leads])
        np.testing.assert_array_equal(c.value, values[c.leads])
        on = tight_world.schedule.shift_mask(c.now)
        np.testing.assert_array_equal(c.room, np.where(on, team.capacity - c.open, 0))
        expected = team.qualified[:, c.product].T & (c.room > 0)[None, :]
        np.testing.assert_array_equal(c.eligible, expected)
        assert c.eligible.shape == (k, team.size)
        assert c.fair_share().sum() == pytest.approx(1.0)


def test_values_of_the_wrong_shape_are_refused(small_world: World) -> None:
    n, m = small_world.stream.size, small_world.team.size
    with pytest.raises(ValueError, match=rf"values must have shape \({n}, {m}\)"):
        simulate(small_world, RoundRobin(), np.zeros((n, m + 1)))


def test_a_lead_nobody_may_sell_is_refused() -> None:
    juniors = make_world(SimConfig(n_managers=3, weeks=1, level_mix=(1.0, 0.0, 0.0)), seed=0)
    with pytest.raises(ValueError, match=r"lead \d+ \(product 2\) has no qualified manager"):
        simulate(juniors, RoundRobin())


class Never(Strategy):
    """Keeps every lead waiting."""

    name = "never"

    def __init__(self, interval: float | None) -> None:
        self.interval = interval

    def decide(self, context: DecisionContext) -> np.ndarray:
        return np.full(context.leads.size, -1, dtype=np.int64)


def test_leads_left_at_the_end_are_reported_online(small_world: World) -> None:
    with pytest.raises(RuntimeError, match=r"lead\(s\) found no manager before the schedule"):
        simulate(small_world, Never(None))


def test_leads_left_at_the_end_are_reported_in_batches(small_world: World) -> None:
    with pytest.raises(RuntimeError, match=r"lead\(s\) found no manager before the schedule"):
        simulate(small_world, Never(5.0))


@pytest.fixture
def time_limit() -> Iterator[Callable[[float], None]]:
    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError("simulate did not return")

    previous = signal.signal(signal.SIGALRM, alarm)

    def arm(seconds: float) -> None:
        signal.setitimer(signal.ITIMER_REAL, seconds)

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_a_lead_just_after_a_tick_is_placed(
    small_world: World, time_limit: Callable[[float], None]
) -> None:
    from fairlead.sim import FairleadBatch

    arrival = small_world.stream.arrival.copy()
    k = int(np.searchsorted(arrival, 600.0))
    arrival[k] = math.nextafter(600.0, math.inf) + 1e-10
    assert arrival[k - 1] < arrival[k] < arrival[k + 1]
    stream = dataclasses.replace(small_world.stream, arrival=arrival)
    world = dataclasses.replace(small_world, stream=stream)
    time_limit(1.5)  # the whole run takes a few hundredths of that
    record = simulate(world, FairleadBatch(interval=1.0))
    assert record.assigned_at[k] >= arrival[k]


# --- what decide returns must be integer indexes ------------------------------------------


def _returning(make_pick: Callable[[DecisionContext], object]) -> tuple[Strategy, list]:
    seen: list[DecisionContext] = []

    class Returning(Strategy):
        name = "returning"

        def decide(self, context: DecisionContext) -> np.ndarray:
            seen.append(context)
            return make_pick(context)  # type: ignore[return-value]

    return Returning(), seen


@pytest.mark.parametrize(
    ("make_pick", "pattern"),
    [
        (lambda c: None, r"returned None for \d+ waiting leads \(first: lead (\d+)\)"),
        (lambda c: {0: 1}, r"returned \{0: 1\} for \d+ waiting leads \(first: lead (\d+)\)"),
        (lambda c: 0, r"returned 0 for \d+ waiting leads \(first: lead (\d+)\)"),
        (lambda c: [None] * c.leads.size, r"chose None for lead (\d+); manager indexes must be"),
        (lambda c: ["a"] * c.leads.size, r"chose 'a' for lead (\d+); manager indexes must be"),
        (lambda c: [True] * c.leads.size, r"chose True for lead (\d+); manager indexes must be"),
        (
            lambda c: np.full(c.leads.size, 10**30, dtype=object),
            r"chose manager index 10{30} for lead (\d+); valid indexes are -1\.\.5",
        ),
        (
            lambda c: [10**30] * c.leads.size,
            r"chose manager index 10{30} for lead (\d+); valid indexes are -1\.\.5",
        ),
        (
            lambda c: _first_free(c) + 0.9,
            r"returned float64 choices \(0\.9 for lead (\d+)\); manager indexes must be integers",
        ),
        (
            lambda c: np.full(c.leads.size, -0.5),
            r"returned float64 choices \(-0\.5 for lead (\d+)\)",
        ),
        (
            lambda c: np.full(c.leads.size, np.nan),
            r"returned float64 choices \(nan for lead (\d+)\)",
        ),
        (
            lambda c: np.zeros(c.leads.size),
            r"returned float64 choices \(0\.0 for lead (\d+)\)",
        ),
        (
            lambda c: np.ones(c.leads.size, dtype=bool),
            r"returned bool choices \(True for lead (\d+)\)",
        ),
        (
            lambda c: np.full(c.leads.size, 2**64 - 1, dtype=np.uint64),
            r"chose manager index 18446744073709551615 for lead (\d+)",
        ),
    ],
    ids=[
        "None",
        "dict",
        "scalar",
        "list of None",
        "list of str",
        "list of bool",
        "object array of a huge int",
        "list of a huge int",
        "fractional floats",
        "negative float",
        "nan",
        "whole floats",
        "bool array",
        "uint64 too large",
    ],
)
def test_choices_that_are_not_integer_indexes_are_refused(
    small_world: World, make_pick: Callable[[DecisionContext], object], pattern: str
) -> None:
    strategy, seen = _returning(make_pick)
    with pytest.raises(StrategyError, match=r"^strategy 'returning' ") as info:
        simulate(small_world, strategy)
    found = re.search(pattern, str(info.value))
    assert found is not None, str(info.value)
    assert int(found.group(1)) == int(seen[-1].leads[0])


@settings(deadline=None, max_examples=40)
@given(
    bad=st.one_of(
        st.none(),
        st.booleans(),
        st.floats(),
        st.text(max_size=3),
        st.integers(min_value=6) | st.integers(max_value=-2),
        st.lists(st.integers(0, 3), max_size=2),
    ),
    where=st.integers(0, 1000),
)
def test_any_element_that_is_not_an_index_is_refused(
    small_world: World, bad: object, where: int
) -> None:
    # One bad entry among valid choices, in a list of Python ints.
    def pick(context: DecisionContext) -> list[object]:
        choices: list[object] = _first_free(context).tolist()
        choices[where % len(choices)] = bad
        return choices

    strategy, seen = _returning(pick)
    with pytest.raises(StrategyError, match=r"^strategy 'returning' chose ") as info:
        simulate(small_world, strategy)
    lead = int(seen[-1].leads[where % seen[-1].leads.size])
    assert f" for lead {lead};" in str(info.value)


@pytest.mark.parametrize(
    "convert",
    [
        lambda p: p.tolist(),
        lambda p: tuple(p.tolist()),
        lambda p: [np.int16(x) for x in p],
        lambda p: p.astype(np.int8),
        lambda p: p.astype(np.int32),
        lambda p: p.astype(object),
    ],
    ids=["list", "tuple", "list of numpy ints", "int8", "int32", "object array of ints"],
)
def test_integer_choices_of_any_kind_give_the_same_run(
    tight_world: World, convert: Callable[[np.ndarray], object]
) -> None:
    plain, _ = _returning(_first_free)
    converted, _ = _returning(lambda c: convert(_first_free(c)))
    assert _same_run(simulate(tight_world, plain), simulate(tight_world, converted))


# --- the context is read-only; the engine checks against its own state ----------------------

_CONTEXT_ARRAYS = (
    "leads",
    "waited",
    "tier",
    "product",
    "deal_value",
    "value",
    "eligible",
    "room",
    "open",
    "capacity",
    "received",
    "available_minutes",
)


def test_the_context_arrays_are_read_only(tight_world: World) -> None:
    capacity = tight_world.team.capacity.copy()

    def scribble(context: DecisionContext) -> np.ndarray:
        for field in _CONTEXT_ARRAYS:
            array = getattr(context, field)
            assert not array.flags.writeable, field
            with pytest.raises(ValueError, match="read-only"):
                array[...] = 0
        return _first_free(context)

    strategy, seen = _returning(scribble)
    simulate(tight_world, strategy)
    assert seen
    np.testing.assert_array_equal(tight_world.team.capacity, capacity)


def _unlock(context: DecisionContext) -> None:
    for field in _CONTEXT_ARRAYS:
        getattr(context, field).flags.writeable = True


def test_writing_into_the_context_cannot_break_capacity(tight_world: World) -> None:
    # Switching writing back on and granting everyone room: the engine still refuses.
    capacity = tight_world.team.capacity.copy()

    def cheat(context: DecisionContext) -> np.ndarray:
        _unlock(context)
        context.eligible[:] = True
        context.room[:] = 10**6
        context.capacity[:] = 1000
        return np.zeros(context.leads.size, dtype=np.int64)

    strategy, _ = _returning(cheat)
    with pytest.raises(StrategyError, match=r"^strategy 'returning' gave "):
        simulate(tight_world, strategy)
    np.testing.assert_array_equal(tight_world.team.capacity, capacity)


def test_writing_into_the_context_changes_nothing_else(tight_world: World) -> None:
    # A strategy that uses the context as scratch space (room decremented as it places,
    # leads overwritten) gets exactly the run of one that copies first.
    def scratch(context: DecisionContext) -> np.ndarray:
        pick = _first_free(context)
        _unlock(context)
        for j in pick[pick >= 0].tolist():
            context.room[j] -= 1
        context.leads[:] = 0
        context.open[:] = 0
        context.received[:] = 0
        return pick

    plain, _ = _returning(_first_free)
    scribbler, _ = _returning(scratch)
    first = simulate(tight_world, plain)
    assert _same_run(first, simulate(tight_world, scribbler))


# --- interval, and whose fault a lead left at the end is -------------------------------------


class Every(Strategy):
    """First free manager, deciding every ``interval`` minutes (whatever that is)."""

    name = "every"

    def __init__(self, interval: object) -> None:
        self.interval = interval  # type: ignore[assignment]

    def decide(self, context: DecisionContext) -> np.ndarray:
        return _first_free(context)


@pytest.mark.parametrize(
    ("interval", "shown"),
    [
        (0, "0"),
        (-5, "-5"),
        (float("inf"), "inf"),
        (float("nan"), "nan"),
        ("5", "'5'"),
        (True, "True"),
        (None, None),
    ],
)
def test_a_bad_interval_is_refused(
    small_world: World, time_limit: Callable[[float], None], interval: object, shown: str | None
) -> None:
    time_limit(5.0)
    if shown is None:
        simulate(small_world, Every(interval))
        return
    with pytest.raises(
        ValueError,
        match=rf"^strategy 'every' has interval {re.escape(shown)}; interval must be None "
        r"\(decide at every arrival\) or a finite number of minutes > 0$",
    ):
        simulate(small_world, Every(interval))


@pytest.mark.parametrize("interval", [10080, 1e9, np.float64(20000.0)])
def test_an_interval_as_long_as_the_arrivals_is_refused(
    small_world: World, time_limit: Callable[[float], None], interval: float
) -> None:
    from fairlead.sim import FairleadBatch

    time_limit(5.0)
    assert small_world.config.weeks == 1
    for strategy in (Every(interval), FairleadBatch(interval=float(interval), name="every")):
        with pytest.raises(
            ValueError,
            match=r"^strategy 'every' has interval [\d.e+]+ minutes; interval must be shorter "
            r"than the 10080 minutes in which leads arrive",
        ):
            simulate(small_world, strategy)


def test_a_strategy_that_holds_leads_is_blamed_online(small_world: World) -> None:
    n = small_world.stream.size
    with pytest.raises(
        StrategyError,
        match=rf"^{n} lead\(s\) found no manager before the schedule ended \(first: lead 0\); "
        rf"strategy 'never' kept {n} of them waiting although a qualified manager on shift "
        r"had room \(first: lead 0\)$",
    ):
        simulate(small_world, Never(None))


def test_a_strategy_that_holds_leads_is_blamed_with_its_interval(small_world: World) -> None:
    with pytest.raises(StrategyError, match=r"strategy 'never' \(interval 5 min\) kept \d+ of"):
        simulate(small_world, Never(5.0))


def test_an_interval_that_skips_every_shift_is_blamed(small_world: World) -> None:
    # Every decision falls at midnight of company time, when nobody works.
    with pytest.raises(
        StrategyError,
        match=r"found no manager before the schedule ended \(first: lead 0\); strategy 'every' "
        r"decides every 1440 min, and none of its decisions after lead 0 arrived fell within "
        r"a shift of a qualified manager",
    ):
        simulate(small_world, Every(1440.0))


def test_a_team_without_anyone_on_shift_is_blamed() -> None:
    away = make_world(SimConfig(n_managers=4, weeks=1, sick_day_rate=1.0), seed=1)
    for strategy in (RoundRobin(), Every(5.0), Never(None)):
        with pytest.raises(RuntimeError, match="the team has no qualified manager") as info:
            simulate(away, strategy)
        assert not isinstance(info.value, StrategyError)


# --- values and strategy arguments ------------------------------------------------------------


def test_values_as_nested_lists_give_the_same_run(tight_world: World) -> None:
    values = np.random.default_rng(1).random((tight_world.stream.size, tight_world.team.size))
    from fairlead.sim import Greedy

    a = simulate(tight_world, Greedy(), values)
    b = simulate(tight_world, Greedy(), values.tolist())  # type: ignore[arg-type]
    assert _same_run(a, b)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_values_that_are_not_finite_are_refused(tight_world: World, bad: float) -> None:
    values = np.zeros((tight_world.stream.size, tight_world.team.size))
    values[3, 2] = bad
    with pytest.raises(ValueError, match=rf"values must be finite; lead 3, manager 2 has {bad}"):
        simulate(tight_world, RoundRobin(), values)


def test_values_that_are_not_numbers_are_refused(small_world: World) -> None:
    with pytest.raises(ValueError, match="values must be an array of numbers"):
        simulate(small_world, RoundRobin(), [["a"]])  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [None, RoundRobin, "round robin"])
def test_something_other_than_a_strategy_is_refused(small_world: World, bad: object) -> None:
    with pytest.raises(ValueError, match="strategy must be a Strategy instance, got "):
        simulate(small_world, bad)  # type: ignore[arg-type]


# --- metrics of degenerate runs -----------------------------------------------------------------


@pytest.mark.filterwarnings("error")
def test_a_run_without_leads_has_zero_metrics() -> None:
    from fairlead.sim import METRICS

    # a rate too low for any lead: an empty stream
    empty = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=1e-9), seed=1)
    assert empty.stream.size == 0
    metrics = simulate(empty, RoundRobin()).metrics()
    assert metrics == dict.fromkeys(METRICS, 0.0)


@pytest.mark.filterwarnings("error")
def test_metrics_when_nobody_worked_while_leads_arrived() -> None:
    away = make_world(SimConfig(n_managers=4, weeks=1, vacation_probability=1.0), seed=1)
    record = simulate(away, RoundRobin())
    assert not record.available_minutes.any()
    metrics = record.metrics()
    assert all(math.isfinite(v) for v in metrics.values())
    # Shares fall back to capacity alone, over the whole team.
    capacity = away.team.capacity
    share = capacity / capacity.sum()
    from fairlead.plan._fairness import gini

    assert metrics["count_gini"] == pytest.approx(gini(record.received / share))
    worth = away.stream.deal_value * away.stream.base
    got = np.bincount(record.manager, weights=worth, minlength=capacity.size) / worth.sum()
    assert metrics["value_share_dev"] == pytest.approx(np.max(np.abs(got / share - 1.0)))
