"""Simulated worlds: seeded reproducibility, the schedule, and the hidden conversion chance."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.sim import Schedule, SimConfig, World, make_world
from fairlead.sim._world import SLOT_MINUTES

SMALL = SimConfig(n_managers=6, weeks=1)
#: For property tests (a fixture would be printed with every failing example).
WORLD = make_world(SMALL, seed=3)


def _arrays(obj: object) -> dict[str, object]:
    """Every field of a Team, Schedule or Stream, features flattened in."""
    out: dict[str, object] = {}
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        if isinstance(value, dict):
            for key, column in value.items():
                out[f"{f.name}.{key}"] = column
        else:
            out[f.name] = value
    return out


def _assert_same(a: object, b: object) -> None:
    left, right = _arrays(a), _arrays(b)
    assert left.keys() == right.keys()
    for key in left:
        x, y = left[key], right[key]
        if isinstance(x, np.ndarray):
            assert isinstance(y, np.ndarray)
            assert x.dtype == y.dtype, key
            np.testing.assert_array_equal(x, y, err_msg=key)
        else:
            assert x == y, key


def test_same_seed_same_world() -> None:
    a, b = make_world(SMALL, seed=11), make_world(SMALL, seed=11)
    _assert_same(a.team, b.team)
    _assert_same(a.schedule, b.schedule)
    _assert_same(a.stream, b.stream)
    assert a.seed == b.seed == 11
    assert a.config == b.config


def test_other_seed_other_world() -> None:
    a, b = make_world(SMALL, seed=11), make_world(SMALL, seed=12)
    assert a.stream.size != b.stream.size or not np.array_equal(a.stream.arrival, b.stream.arrival)
    assert not np.array_equal(a.team.response_median, b.team.response_median)
    assert not np.array_equal(a.team.lift, b.team.lift)
    assert not np.array_equal(a.schedule.absent_days, b.schedule.absent_days)


def test_default_config_is_the_default_world() -> None:
    a, b = make_world(seed=2), make_world(SimConfig(), seed=2)
    _assert_same(a.stream, b.stream)
    assert a.config == SimConfig()


def test_lead_settings_leave_the_team_alone() -> None:
    a = make_world(SMALL, seed=4)
    b = make_world(SMALL.model_copy(update={"leads_per_weekday": 20.0, "night_share": 0.3}), seed=4)
    _assert_same(a.team, b.team)
    _assert_same(a.schedule, b.schedule)
    assert b.stream.size < a.stream.size


def test_stream_is_well_formed(small_world: World) -> None:
    world = small_world
    s, config = world.stream, world.config
    n = s.size
    assert n > 100
    assert np.all(np.diff(s.arrival) >= 0)
    assert s.arrival[0] >= 0
    assert s.arrival[-1] < config.weeks * 7 * 24 * 60
    for name in ("source", "product", "tier", "deal_value", "score", "cell", "base"):
        assert getattr(s, name).shape == (n,), name
    assert set(np.unique(s.product)) <= set(range(len(config.products)))
    assert set(np.unique(s.tier)) == {0, 1, 2}
    np.testing.assert_array_equal(s.cell, s.product * 3 + s.tier)
    assert np.all((s.base > 0) & (s.base <= config.max_probability))
    assert np.all((s.outcome_draw >= 0) & (s.outcome_draw < 1))
    assert np.all(s.open_minutes > 0)
    assert s.real_outcome is None
    # Tiers follow the CRM score: every hot lead scores above every warm one, and so on.
    assert s.score[s.tier == 0].min() > s.score[s.tier == 1].max()
    assert s.score[s.tier == 1].min() > s.score[s.tier == 2].max()


def test_team_is_well_formed(small_world: World) -> None:
    team, config = small_world.team, small_world.config
    m = config.n_managers
    assert team.size == m == len(set(team.ids))
    assert np.all(team.capacity >= 1)
    assert np.all(team.capacity <= np.asarray(config.capacity_by_level)[team.level])
    assert team.qualified.shape == (m, len(config.products))
    for product in range(len(config.products)):
        expected = team.level > 0 if product in config.senior_only_products else np.ones(m, bool)
        np.testing.assert_array_equal(team.qualified[:, product], expected)
    assert team.lift.shape == (m, len(config.products) * 3)
    assert np.all(team.lift > 0)
    low, high = config.response_median_minutes
    assert np.all((team.response_median >= low) & (team.response_median <= high))


def test_schedule_follows_working_hours(small_world: World) -> None:
    world = small_world
    schedule, team, config = world.schedule, world.team, world.config
    grid = schedule.on_shift
    slots, m = grid.shape
    assert schedule.worked_before.shape == (slots + 1, m)
    np.testing.assert_array_equal(
        np.diff(schedule.worked_before, axis=0), grid * float(SLOT_MINUTES)
    )
    minute = np.arange(slots) * SLOT_MINUTES
    for j in range(m):
        local = minute + 60 * int(team.timezone[j])
        hour = (local % (24 * 60)) / 60
        weekday = (local // (24 * 60)) % 7 < 5
        start, end = config.part_time_hours if team.part_time[j] else config.work_hours
        # Nobody works off hours or at weekends (absences only remove more slots).
        assert not np.any(grid[:, j] & ~(weekday & (hour >= start) & (hour < end)))
    for t in (0.0, 7.5, 9 * 60 + 14.99, 3 * 24 * 60 + 10 * 60, schedule.end + 100):
        slot = min(int(t // SLOT_MINUTES), slots - 1)
        np.testing.assert_array_equal(schedule.shift_mask(t), grid[slot])


def _worked(schedule: Schedule, manager: int, minute: float) -> float:
    slot = min(int(minute // SLOT_MINUTES), schedule.on_shift.shape[0] - 1)
    partial = (minute - slot * SLOT_MINUTES) * schedule.on_shift[slot, manager]
    return float(schedule.worked_before[slot, manager] + partial)


@settings(deadline=None, max_examples=150)
@given(
    manager=st.integers(0, 5),
    minute=st.floats(0.0, 7 * 24 * 60),
    work=st.floats(0.01, 1500.0),
)
def test_after_working_adds_working_time(manager: int, minute: float, work: float) -> None:
    schedule = WORLD.schedule
    done = schedule.after_working(manager, minute, work)
    assert done > minute
    assert _worked(schedule, manager, done) - _worked(schedule, manager, minute) == pytest.approx(
        work, abs=1e-6
    )
    # It ends inside a working slot (or exactly at the end of one).
    slot = int(np.ceil(done / SLOT_MINUTES)) - 1
    assert schedule.on_shift[slot, manager]


def test_next_change_is_the_next_shift_start(small_world: World) -> None:
    schedule = small_world.schedule
    grid = schedule.on_shift
    starts = np.flatnonzero((grid[1:] & ~grid[:-1]).any(axis=1)) + 1
    for t in (0.0, 600.0, 601.0, 2 * 24 * 60 + 3.0):
        expected = starts[starts > t // SLOT_MINUTES]
        assert schedule.next_change(t) == expected[0] * SLOT_MINUTES
    assert schedule.next_change(schedule.end) == float("inf")


def test_eligible_is_qualification_by_product(small_world: World) -> None:
    world = small_world
    leads = np.arange(world.stream.size)
    np.testing.assert_array_equal(
        world.eligible(leads), world.team.qualified[:, world.stream.product].T
    )


@settings(deadline=None, max_examples=100)
@given(
    lead=st.integers(0, 150),
    manager=st.integers(0, 5),
    start=st.floats(0.0, 50.0),
    gaps=st.lists(st.floats(0.01, 20.0), min_size=1, max_size=12),
    load=st.floats(0.0, 1.0),
)
def test_longer_delay_lowers_the_true_chance(
    lead: int, manager: int, start: float, gaps: list[float], load: float
) -> None:
    world = WORLD
    delay = start + np.concatenate([[0.0], np.cumsum(gaps)])
    k = delay.size
    p = world.true_probability(np.full(k, lead), np.full(k, manager), delay, np.full(k, load))
    assert np.all(np.diff(p) <= 0)
    # Strictly lower wherever the chance is not held at the cap (or underflows to 0).
    below = (p[:-1] < world.config.max_probability) & (p[:-1] > 0)
    assert np.all(np.diff(p)[below] < 0)
    assert np.all((p >= 0) & (p <= world.config.max_probability))


def test_true_chance_at_immediate_contact(small_world: World) -> None:
    world = small_world
    n, m = world.stream.size, world.team.size
    leads = np.repeat(np.arange(n), m)
    managers = np.tile(np.arange(m), n)
    p = world.true_probability(leads, managers, np.zeros(n * m), np.zeros(n * m))
    expected = world.stream.base[leads] * world.team.lift[managers, world.stream.cell[leads]]
    np.testing.assert_allclose(p, np.minimum(expected, world.config.max_probability))
    # Overload costs quality: at full capacity the chance is overload_quality times lower.
    full = world.true_probability(leads, managers, np.zeros(n * m), np.ones(n * m))
    uncapped = expected < world.config.max_probability * world.config.overload_quality
    np.testing.assert_allclose(full[uncapped], p[uncapped] * world.config.overload_quality)


def test_synthetic_outcome_is_the_draw_below_the_chance(small_world: World) -> None:
    world = small_world
    leads = np.arange(world.stream.size)
    np.testing.assert_array_equal(world.outcome(leads, np.zeros(leads.size)), 0)
    np.testing.assert_array_equal(world.outcome(leads, np.ones(leads.size)), 1)
    chance = np.full(leads.size, 0.3)
    np.testing.assert_array_equal(
        world.outcome(leads, chance), (world.stream.outcome_draw < 0.3).astype(np.int64)
    )


def test_response_is_slower_above_the_comfortable_load(small_world: World) -> None:
    world = small_world
    comfort = world.config.comfort_load
    easy = world.response_minutes(0, 0, 0.0)
    assert world.response_minutes(0, 0, comfort) == pytest.approx(easy)
    assert world.response_minutes(0, 0, 1.0) == pytest.approx(
        easy * (1.0 + world.config.load_slowdown)
    )


#: No absences, one time zone, full-timers: Monday 09:00-18:00 is minute 540-1080.
STEADY = make_world(
    SimConfig(
        n_managers=3,
        weeks=1,
        leads_per_weekday=10,
        vacation_probability=0.0,
        sick_day_rate=0.0,
        part_time_share=0.0,
        timezones=(0,),
        timezone_weights=(1.0,),
    ),
    seed=0,
)


def test_zero_work_from_a_shift_start_is_contact_at_once() -> None:
    # Tuesday 09:00: the boundaries since Monday 18:00 all have the same worked minutes,
    # and a search for the first of them went back to Monday evening.
    schedule = STEADY.schedule
    tuesday_nine = 24 * 60 + 9 * 60.0
    assert schedule.after_working(0, tuesday_nine, 0.0) == tuesday_nine
    assert schedule.after_working(0, tuesday_nine, 1e-300) == tuesday_nine
    # Off shift (Monday 18:00 to Tuesday 09:00), contact waits for the next shift.
    assert schedule.after_working(0, 18 * 60.0, 0.0) == tuesday_nine
    assert schedule.after_working(0, 20 * 60.0, 1e-300) == tuesday_nine
    # Work that ends exactly at the end of a shift ends there, not the next morning.
    assert schedule.after_working(0, 17 * 60.0, 60.0) == 18 * 60.0


def _first_on_shift(schedule: Schedule, manager: int, minute: float) -> float:
    slots = schedule.on_shift.shape[0]
    slot = min(int(minute // SLOT_MINUTES), slots - 1)
    if schedule.on_shift[slot, manager]:
        return minute
    later = np.flatnonzero(schedule.on_shift[slot:, manager])
    return float((slot + later[0]) * SLOT_MINUTES) if later.size else schedule.end


works = st.one_of(
    st.just(0.0),
    st.sampled_from([5e-324, 1e-300, 1e-12, 1e-6]),
    st.floats(0.0, 1e-3),
    st.floats(0.0, 3000.0),
)
# Starts on a slot boundary hit the idle stretches exactly; others fall anywhere.
starts = st.one_of(
    st.integers(0, 7 * 24 * 4).map(lambda slot: float(slot * SLOT_MINUTES)),
    st.floats(0.0, 7 * 24 * 60),
)


@settings(deadline=None, max_examples=300)
@given(steady=st.booleans(), manager=st.integers(0, 2), minute=starts, work=works)
def test_contact_is_never_before_the_start(
    steady: bool, manager: int, minute: float, work: float
) -> None:
    schedule = (STEADY if steady else WORLD).schedule
    done = schedule.after_working(manager, minute, work)
    assert done >= minute
    before = _worked(schedule, manager, minute)
    total = float(schedule.worked_before[-1, manager])
    if before + work == before:  # no work to do, or too little to count
        assert done == _first_on_shift(schedule, manager, minute)
    elif before + work > total:  # past the schedule, work goes on as if always on shift
        assert done == pytest.approx(schedule.end + before + work - total, abs=1e-6)
    else:
        assert _worked(schedule, manager, done) - before == pytest.approx(work, abs=1e-6)


@pytest.mark.parametrize(
    "config",
    [
        # Log-normal response times with sigma 10 draw a few near-zero working minutes.
        SimConfig(n_managers=6, weeks=2, response_sigma=10.0),
        SimConfig(
            n_managers=4, weeks=1, leads_per_weekday=10, response_median_minutes=(1e-300,) * 2
        ),
    ],
)
def test_a_run_with_instant_responses_contacts_after_assignment(config: SimConfig) -> None:
    from fairlead.sim import RoundRobin, simulate

    world = make_world(config, seed=3)
    record = simulate(world, RoundRobin(), values=np.zeros((world.stream.size, world.team.size)))
    assert np.all(record.contact_at >= record.assigned_at)
    assert np.all(record.contact_at >= world.stream.arrival)


@pytest.mark.parametrize("seed", [-1, None, 1.5, True, "3", [1, 2], np.float64(2.0)])
def test_a_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got "):
        make_world(SMALL, seed=seed)  # type: ignore[arg-type]


def test_a_numpy_seed_is_the_int_seed() -> None:
    a, b = make_world(SMALL, seed=np.int64(5)), make_world(SMALL, seed=5)  # type: ignore[arg-type]
    assert type(a.seed) is int
    assert a.seed == 5
    _assert_same(a.stream, b.stream)
    _assert_same(a.team, b.team)


@pytest.mark.parametrize(
    ("hot", "warm", "counts"),
    [
        (0.0, 0.35, lambda n: (0, None)),
        (0.0, 0.0, lambda n: (0, 0)),
        (0.15, 0.0, lambda n: (None, 0)),
        (1.0, 0.0, lambda n: (n, 0)),
    ],
)
def test_a_zero_share_gives_no_lead_of_that_tier(hot: float, warm: float, counts: Any) -> None:
    world = make_world(SMALL.model_copy(update={"hot_share": hot, "warm_share": warm}), seed=3)
    tiers = np.bincount(world.stream.tier, minlength=3)
    for tier, expected in enumerate(counts(world.stream.size)):
        if expected is not None:
            assert tiers[tier] == expected, (tier, tiers)
    if hot > 0:
        assert tiers[0] > 0
    if warm > 0:
        assert tiers[1] > 0


def test_the_default_tiers_are_unchanged() -> None:
    # The quantile cuts still decide when both shares are positive.
    s = make_world(SMALL, seed=3).stream
    hot, warm = np.quantile(s.score, [0.85, 0.5])
    np.testing.assert_array_equal(s.tier == 0, s.score >= hot)
    np.testing.assert_array_equal(s.tier == 2, s.score < warm)


#: Values at the upper bounds of SimConfig: a run stays finite, without numpy warnings.
EXTREMES = st.fixed_dictionaries(
    {},
    optional={
        "load_slowdown": st.sampled_from([0.0, 100.0]),
        "product_skill_sigma": st.sampled_from([0.0, 10.0]),
        "deal_value_sigma": st.sampled_from([0.0, 10.0]),
        "deal_value_median": st.sampled_from([(0.01,) * 3, (1e12,) * 3]),
        "response_sigma": st.sampled_from([0.0, 10.0]),
        "response_median_minutes": st.sampled_from([(1e-300, 1e-300), (10_000.0, 10_000.0)]),
        "portfolio_by_level": st.sampled_from([(0.0,) * 3, (100_000.0,) * 3]),
        "portfolio_load": st.sampled_from([0.0, 100.0]),
        "quality_effect": st.sampled_from([0.0, 50.0]),
        "score_noise": st.sampled_from([0.0, 10.0]),
        "level_lift_hot": st.sampled_from([(1e-300,) * 3, (1000.0,) * 3]),
        "product_lift": st.sampled_from([(1e-300,) * 3, (1000.0,) * 3]),
        "source_shares": st.sampled_from([(1e9, 1e9, 1e9, 1e9, 1e9), (1e-300, 0, 0, 0, 0)]),
        "timezones": st.sampled_from([(-12, 14), (14,), (-12,)]),
        "weekend_factor": st.sampled_from([0.0, 10.0]),
    },
)


@pytest.mark.filterwarnings("error")
@settings(deadline=None, max_examples=40)
@given(extremes=EXTREMES, seed=st.integers(0, 3))
def test_a_config_at_its_bounds_runs_finite(extremes: dict[str, Any], seed: int) -> None:
    from fairlead.sim import RoundRobin, simulate

    if "timezones" in extremes:
        extremes["timezone_weights"] = (1.0,) * len(extremes["timezones"])
    # Leads close within the hour, so even a team with one slot each serves the stream.
    config = SimConfig(
        n_managers=3, weeks=1, leads_per_weekday=5, open_days_median=0.02, **extremes
    )
    world = make_world(config, seed=seed)
    record = simulate(world, RoundRobin(), values=np.zeros((world.stream.size, 3)))
    assert all(np.isfinite(v) for v in record.metrics().values())
    assert np.all((record.probability >= 0) & (record.probability <= 1))
    assert np.all(record.contact_at >= record.assigned_at)
