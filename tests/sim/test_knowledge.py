"""What strategies may know: the oracle's chances and a model learned from history."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fairlead.sim import (
    FairleadBatch,
    SimConfig,
    World,
    estimate_values,
    learned_values,
    make_world,
    oracle_values,
    simulate,
)
from fairlead.sim._knowledge import history_world


def _check_values(world: World, values: np.ndarray) -> None:
    n, m = world.stream.size, world.team.size
    assert values.shape == (n, m)
    assert values.dtype == np.float64
    assert np.all(np.isfinite(values))
    assert np.all((values >= 0.0) & (values <= 1.0))
    eligible = world.eligible(np.arange(n))
    assert not eligible.all()  # the senior-only product leaves juniors out
    np.testing.assert_array_equal(values[~eligible], 0.0)
    assert np.all(values[eligible] > 0.0)


def test_oracle_values(small_world: World) -> None:
    world = small_world
    values = estimate_values(world, knowledge="oracle")
    _check_values(world, values)
    assert values.max() <= world.config.max_probability
    np.testing.assert_array_equal(values, oracle_values(world))
    np.testing.assert_array_equal(values, estimate_values(world, knowledge="oracle"))


def test_oracle_is_the_hidden_chance_times_each_managers_speed(small_world: World) -> None:
    # value / (base * lift) is one factor per manager: the mean delay multiplier of their
    # response times, which is below 1 and lower for slower managers.
    world = small_world
    stream, team = world.stream, world.team
    values = oracle_values(world)
    truth = stream.base[:, None] * team.lift[:, stream.cell].T
    eligible = world.eligible(np.arange(stream.size))
    uncapped = eligible & (values < world.config.max_probability)
    speed = np.full(team.size, np.nan)
    for j in range(team.size):
        ratio = values[uncapped[:, j], j] / truth[uncapped[:, j], j]
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)
        speed[j] = ratio[0]
    assert np.all((speed > 0) & (speed < 1))
    order = np.argsort(team.response_median)
    assert np.all(np.diff(speed[order]) < 0)


def test_learned_values(small_world: World) -> None:
    world = small_world
    values = estimate_values(world, knowledge="learned", history_weeks=2)
    _check_values(world, values)
    np.testing.assert_array_equal(values, learned_values(world, history_weeks=2))
    # A strategy runs on them.
    record = simulate(world, FairleadBatch(), values)
    assert np.all(record.manager >= 0)


def test_history_is_the_same_team_over_other_leads(small_world: World) -> None:
    world = small_world
    past = history_world(world, weeks=3)
    assert past.team is world.team
    assert past.config.weeks == 3
    assert past.schedule.on_shift.shape[1] == world.team.size
    assert past.stream.size > world.stream.size
    assert not np.array_equal(past.stream.score[:10], world.stream.score[:10])
    again = history_world(world, weeks=3)
    np.testing.assert_array_equal(past.stream.arrival, again.stream.arrival)


def test_unknown_knowledge_is_refused(small_world: World) -> None:
    with pytest.raises(ValueError, match=r"knowledge must be 'learned' or 'oracle', got 'psychic'"):
        estimate_values(small_world, knowledge="psychic")


@pytest.mark.parametrize("knowledge", ["learned", "oracle"])
@pytest.mark.parametrize("weeks", [0, -1, math.nan, 1.5, 100_000, 521, True, "26", None])
def test_a_bad_history_length_is_refused(small_world: World, knowledge: str, weeks: object) -> None:
    with pytest.raises(ValueError, match=r"^history_weeks must be an integer in 1\.\.520, got "):
        estimate_values(small_world, knowledge=knowledge, history_weeks=weeks)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^history_weeks must be an integer"):
        learned_values(small_world, history_weeks=weeks)  # type: ignore[arg-type]


def test_a_numpy_history_length_is_an_int(small_world: World) -> None:
    values = estimate_values(small_world, history_weeks=np.int64(2))  # type: ignore[arg-type]
    np.testing.assert_array_equal(values, learned_values(small_world, history_weeks=2))


def test_an_empty_history_is_refused() -> None:
    world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=1e-9), seed=1)
    with pytest.raises(
        ValueError,
        match=r"^the history is empty: history_weeks=26 at leads_per_weekday=1e-09 gave no lead",
    ):
        estimate_values(world)
    assert estimate_values(world, knowledge="oracle").shape == (0, 4)


def test_a_history_of_one_outcome_is_refused() -> None:
    world = make_world(
        SimConfig(n_managers=4, weeks=1, leads_per_weekday=10, base_rate=1e-9), seed=1
    )
    with pytest.raises(
        ValueError,
        match=r"^the history of history_weeks=2 holds \d+ lead\(s\) and 0 win\(s\): a model "
        r"cannot learn from outcomes of one class",
    ):
        estimate_values(world, history_weeks=2)


def test_a_history_of_too_many_manager_weeks_is_refused() -> None:
    world = make_world(SimConfig(n_managers=2000, weeks=1, leads_per_weekday=10), seed=1)
    with pytest.raises(
        ValueError,
        match=r"^the history spans 26 weeks for 2000 managers: 52,000 manager-weeks, more "
        r"than the 50,000 a run may span$",
    ):
        estimate_values(world)


def test_a_history_the_team_cannot_work_says_so() -> None:
    # six managers cannot take 26 weeks of 45 leads a day under round robin
    world = make_world(SimConfig(n_managers=6, weeks=1), seed=3)
    with pytest.raises(
        ValueError,
        match=r"^the round-robin history for learned values \(history_weeks=26, \d+ leads\) "
        r"could not be simulated: \d+ lead\(s\) found no manager .*knowledge='oracle'$",
    ):
        estimate_values(world)


def test_a_history_too_large_to_simulate_is_refused() -> None:
    world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=2000), seed=1)
    with pytest.raises(
        ValueError,
        match=r"^history_weeks=100 at leads_per_weekday=2000 expects 1,120,000 leads of history, "
        r"more than the 1,000,000 a run may hold",
    ):
        estimate_values(world, history_weeks=100)
    # The oracle needs no history, whatever its length.
    assert estimate_values(world, knowledge="oracle", history_weeks=100).shape[1] == 4
