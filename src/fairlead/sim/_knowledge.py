"""What a strategy may know of each lead's chance with each manager."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fairlead.core import FloatArray
from fairlead.sim._config import MAX_LEADS, MAX_MANAGER_WEEKS, MAX_WEEKS, expected_leads
from fairlead.sim._engine import simulate
from fairlead.sim._oracle import oracle_values
from fairlead.sim._strategies import RoundRobin
from fairlead.sim._world import MINUTES_PER_WEEK, World, make_schedule, make_stream


def history_world(world: World, *, weeks: int) -> World:
    """The same team over an earlier period with other leads: the history to learn from.

    A world that brings its own past leads (:attr:`World.history`) uses them, spread over
    ``weeks``; otherwise the leads are drawn like the stream's.
    """
    from dataclasses import replace

    schedule_rng, stream_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence([world.seed, 0x4157]).spawn(2)
    )
    config = world.config.model_copy(update={"weeks": weeks})
    if world.history is not None:
        stream = world.history
        weeks = max(
            weeks, int(np.ceil(stream.arrival[-1] / MINUTES_PER_WEEK)) if stream.size else 1
        )
        config = world.config.model_copy(update={"weeks": weeks})
    else:
        stream = make_stream(config, weeks, stream_rng)
    if world.team.size * weeks > MAX_MANAGER_WEEKS:  # the schedule's memory
        raise ValueError(
            f"the history spans {weeks} weeks for {world.team.size} managers: "
            f"{world.team.size * weeks:,} manager-weeks, more than the "
            f"{MAX_MANAGER_WEEKS:,} a run may span"
        )
    return replace(
        world,
        config=config,
        schedule=make_schedule(config, world.team, weeks, schedule_rng),
        stream=stream,
        history=None,
    )


def _check_history_weeks(history_weeks: object) -> int:
    """``history_weeks`` as an int within the bounds of ``SimConfig.weeks``, or a ValueError."""
    if (
        isinstance(history_weeks, bool)
        or not isinstance(history_weeks, int | np.integer)
        or not 1 <= history_weeks <= MAX_WEEKS
    ):
        raise ValueError(
            f"history_weeks must be an integer in 1..{MAX_WEEKS}, got {history_weeks!r}"
        )
    return int(history_weeks)


def _check_history_volume(world: World, weeks: int) -> None:
    """Raise when a drawn history of ``weeks`` expects more leads than a run may hold."""
    if world.history is None and expected_leads(world.config, weeks) > MAX_LEADS:
        raise ValueError(
            f"history_weeks={weeks} at leads_per_weekday={world.config.leads_per_weekday:g} "
            f"expects {expected_leads(world.config, weeks):,.0f} leads of history, more than "
            f"the {MAX_LEADS:,} a run may hold"
        )


def learned_values(world: World, *, history_weeks: int = 26) -> FloatArray:
    """Chances a :class:`~fairlead.scoring.ConversionModel` learns from a round-robin history.

    The team worked ``history_weeks`` of other leads under round robin; the model learns a
    base rate from the leads' features and each manager's effect per tier (shrunk by
    empirical Bayes), then predicts the current stream. Ineligible pairs get 0.

    Raises
    ------
    ValueError
        If ``history_weeks`` is not an integer in 1..520 (or expects more leads than a run
        may hold), or if the history holds no lead, or only wins or only losses: a model
        cannot learn from outcomes of one class; or if the team cannot work the
        history's leads (some would find no manager before its schedule ends).
    """
    # Only here: the scoring package (and scipy.stats) loads when values are learned.
    from fairlead.scoring import ConversionModel

    history_weeks = _check_history_weeks(history_weeks)
    _check_history_volume(world, history_weeks)
    past = history_world(world, weeks=history_weeks)
    if past.stream.size == 0:
        raise ValueError(
            f"the history is empty: history_weeks={history_weeks} at leads_per_weekday="
            f"{world.config.leads_per_weekday:g} gave no lead; raise history_weeks"
        )
    try:
        record = simulate(past, RoundRobin(), values=np.zeros((past.stream.size, past.team.size)))
    except RuntimeError as exc:  # the team cannot work the history's leads
        raise ValueError(
            f"the round-robin history for learned values (history_weeks={history_weeks}, "
            f"{past.stream.size} leads) could not be simulated: {exc}; use fewer leads per "
            "weekday, more managers, or knowledge='oracle'"
        ) from None
    wins = int(record.won.sum())
    if wins in (0, record.won.size):
        raise ValueError(
            f"the history of history_weeks={history_weeks} holds {record.won.size} lead(s) and "
            f"{wins} win(s): a model cannot learn from outcomes of one class; raise "
            "history_weeks"
        )
    ids = np.asarray(world.team.ids, dtype=object)
    model = ConversionModel()
    model.fit(
        past.stream.features,
        record.won,
        managers=ids[record.manager],
        segments=_segments(past),
    )
    value = model.predict_proba(
        world.stream.features, managers=list(world.team.ids), segments=_segments(world)
    )
    return np.where(world.eligible(np.arange(world.stream.size)), value, 0.0)


def _segments(world: World) -> npt.NDArray[np.str_]:
    """The segment of each lead a manager's effect is learned on: product and tier."""
    features = world.stream.features
    if "segment" in features:
        return np.asarray(features["segment"], dtype=str)
    return np.char.add(
        np.char.add(np.asarray(features["product"], dtype=str), "/"),
        np.asarray(features["tier"], dtype=str),
    )


def estimate_values(
    world: World, *, knowledge: str = "learned", history_weeks: int = 26
) -> FloatArray:
    """The (n, m) conversion estimates strategies use: ``"learned"`` or ``"oracle"``.

    Examples
    --------
    >>> from fairlead.sim import SimConfig, make_world
    >>> world = make_world(SimConfig(n_managers=3, weeks=1, leads_per_weekday=10), seed=0)
    >>> estimate_values(world, knowledge="oracle").shape == (world.stream.size, 3)
    True
    """
    _check_history_weeks(history_weeks)
    if knowledge == "oracle":
        return oracle_values(world)
    if knowledge == "learned":
        return learned_values(world, history_weeks=history_weeks)
    raise ValueError(f"knowledge must be 'learned' or 'oracle', got {knowledge!r}")
