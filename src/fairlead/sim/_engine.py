"""The event loop: leads arrive, a strategy assigns them, managers contact and close them."""

from __future__ import annotations

import heapq
import math
from numbers import Real
from typing import NoReturn

import numpy as np

from fairlead.core import FloatArray, IntArray
from fairlead.sim._oracle import oracle_values
from fairlead.sim._result import RunRecord
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import SLOT_MINUTES, World


class StrategyError(RuntimeError):
    """A strategy broke the simulator's rules.

    It returned something other than one integer manager index per waiting lead, chose
    a manager who was not eligible or had no room left, or kept leads waiting until the
    schedule ended although managers could have taken them.
    """


def _read_only(array: np.ndarray) -> np.ndarray:
    """``array`` with writing switched off (the engine keeps its own copy of its state)."""
    array.flags.writeable = False
    return array


def _check_interval(strategy: Strategy, horizon: float) -> float | None:
    """The strategy's ``interval`` as a float, or None; a ValueError naming it otherwise."""
    interval = strategy.interval
    if interval is None:
        return None
    number = isinstance(interval, Real) and not isinstance(interval, bool | np.bool_)
    if not number or not (math.isfinite(interval) and interval > 0):
        raise ValueError(
            f"strategy {strategy.name!r} has interval {interval!r}; interval must be None "
            "(decide at every arrival) or a finite number of minutes > 0"
        )
    if interval >= horizon:
        raise ValueError(
            f"strategy {strategy.name!r} has interval {float(interval):g} minutes; interval "
            f"must be shorter than the {horizon:g} minutes in which leads arrive, or it would "
            "decide at most once"
        )
    return float(interval)


def _worked_until(world: World, minute: float) -> FloatArray:
    """On-shift minutes of each manager from the start up to ``minute``."""
    schedule = world.schedule
    slot = min(int(minute // SLOT_MINUTES), schedule.on_shift.shape[0] - 1)
    partial = (minute - slot * SLOT_MINUTES) * schedule.on_shift[slot]
    return np.asarray(schedule.worked_before[slot] + partial, dtype=np.float64)


def simulate(world: World, strategy: Strategy, values: FloatArray | None = None) -> RunRecord:
    """Run ``strategy`` on ``world`` until every lead has a manager; return what happened.

    Parameters
    ----------
    world : World
        From :func:`make_world` or :func:`bank_world`.
    strategy : Strategy
        Decides at every arrival (``interval=None``) or every ``interval`` minutes.
    values : ndarray (n, m), optional
        The conversion estimates the strategy may use; default the oracle's
        (:func:`estimate_values` with ``knowledge="oracle"``).

    Returns
    -------
    RunRecord
        Per lead: manager, times, chance and outcome; per manager: counts and peak load.

    Examples
    --------
    >>> from fairlead.sim import SimConfig, make_world, RoundRobin
    >>> world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=15), seed=1)
    >>> record = simulate(world, RoundRobin())
    >>> bool((record.manager >= 0).all()), record.manager.size == world.stream.size
    (True, True)
    """
    if not isinstance(strategy, Strategy):
        raise ValueError(
            f"strategy must be a Strategy instance, got {short_repr(strategy)} "
            f"({type(strategy).__name__})"
        )
    team, stream, schedule = world.team, world.stream, world.schedule
    n, m = stream.size, team.size
    horizon = float(world.config.weeks * 7 * 24 * 60)
    interval = _check_interval(strategy, horizon)
    if values is None:
        values = oracle_values(world)
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            f"values must be an array of numbers (leads x managers), got {type(values).__name__}"
        ) from None
    if values.shape != (n, m):
        raise ValueError(f"values must have shape {(n, m)} (leads x managers), got {values.shape}")
    if not np.isfinite(values).all():
        i, j = (int(x) for x in np.argwhere(~np.isfinite(values))[0])
        raise ValueError(f"values must be finite; lead {i}, manager {j} has {float(values[i, j])}")
    strategy.reset(world)
    rng = np.random.default_rng(np.random.SeedSequence([world.seed, 0x5EED]))
    qualified_any = team.qualified[:, stream.product].any(axis=0)
    if not qualified_any.all():
        i = int(np.flatnonzero(~qualified_any)[0])
        raise ValueError(f"lead {i} (product {int(stream.product[i])}) has no qualified manager")

    manager = np.full(n, -1, dtype=np.int64)
    assigned_at = np.full(n, np.nan)
    contact_at = np.full(n, np.nan)
    probability = np.zeros(n)
    load_at_assign = np.zeros(n)
    open_count = np.zeros(m, dtype=np.int64)
    received = np.zeros(m, dtype=np.int64)
    peak = np.zeros(m)
    closing: list[tuple[float, int]] = []
    queue: list[int] = []
    next_arrival = 0
    capacity = team.capacity
    # The strategy sees read-only copies; the engine checks its choices against its own.
    shown_capacity = _read_only(capacity.copy())
    held = np.zeros(n, dtype=bool)  # kept waiting by the strategy while someone had room
    now = -math.inf
    stalled = False

    while next_arrival < n or queue:
        now = _next_epoch(world, interval, now, queue, next_arrival, closing, stalled)
        if now > schedule.end:
            _report_lost(world, strategy, interval, queue or list(range(next_arrival, n)), held)
        while closing and closing[0][0] <= now:
            _, j = heapq.heappop(closing)
            open_count[j] -= 1
        while next_arrival < n and stream.arrival[next_arrival] <= now:
            queue.append(next_arrival)
            next_arrival += 1
        stalled = True
        if not queue:
            continue
        on_shift = schedule.shift_mask(now)
        room = np.where(on_shift, np.maximum(capacity - open_count, 0), 0).astype(np.int64)
        if not room.any():
            continue
        leads = np.asarray(queue, dtype=np.int64)
        eligible = world.eligible(leads) & (room > 0)[None, :]
        context = DecisionContext(
            now=now,
            leads=_read_only(leads.copy()),
            waited=_read_only(now - stream.arrival[leads]),
            tier=_read_only(stream.tier[leads]),
            product=_read_only(stream.product[leads]),
            deal_value=_read_only(stream.deal_value[leads]),
            value=_read_only(values[leads]),
            eligible=_read_only(eligible.copy()),
            room=_read_only(room.copy()),
            open=_read_only(open_count.copy()),
            capacity=shown_capacity,
            received=_read_only(received.copy()),
            available_minutes=_read_only(_worked_until(world, now)),
            rng=rng,
        )
        pick = _check_pick(strategy, leads, eligible, room, strategy.decide(context))
        chosen = np.flatnonzero(pick >= 0)
        if chosen.size < leads.size:
            # Left waiting although a manager it may go to still had room after this decision.
            left = room - np.bincount(pick[chosen], minlength=m)
            held[leads[(pick < 0) & (eligible & (left > 0)[None, :]).any(axis=1)]] = True
        for k in chosen.tolist():
            i, j = int(leads[k]), int(pick[k])
            load = open_count[j] / capacity[j]
            work = world.response_minutes(i, j, load)
            contact = schedule.after_working(j, now, work)
            manager[i] = j
            assigned_at[i] = now
            contact_at[i] = contact
            load_at_assign[i] = load
            open_count[j] += 1
            received[j] += 1
            peak[j] = max(peak[j], open_count[j] / capacity[j])
            heapq.heappush(closing, (now + float(stream.open_minutes[i]), j))
        stalled = chosen.size == 0
        if chosen.size:
            placed = set(leads[chosen].tolist())
            queue = [i for i in queue if i not in placed]

    done = np.flatnonzero(manager >= 0)
    delay_hours = (contact_at[done] - stream.arrival[done]) / 60.0
    probability[done] = world.true_probability(
        done, manager[done], delay_hours, load_at_assign[done]
    )
    won = np.zeros(n, dtype=np.int64)
    won[done] = world.outcome(done, probability[done])
    return RunRecord(
        strategy=strategy.name,
        seed=world.seed,
        manager=manager,
        assigned_at=assigned_at,
        contact_at=contact_at,
        probability=probability,
        won=won,
        load_at_assign=load_at_assign,
        received=received,
        peak_load=peak,
        available_minutes=_worked_until(world, horizon),
        world=world,
    )


def _next_epoch(
    world: World,
    interval: float | None,
    now: float,
    queue: list[int],
    next_arrival: int,
    closing: list[tuple[float, int]],
    stalled: bool,
) -> float:
    """When to decide next: at an arrival, or, with leads waiting, when something changes.

    Online strategies decide at every arrival and, while leads wait, whenever a slot frees
    or a shift starts. Batch strategies decide on the grid of ``interval`` minutes: at the
    first tick after an arrival, then every tick while leads wait, skipping ticks where
    nothing can change (no room anywhere and no slot freed or shift started).
    """
    stream = world.stream
    arrival = float(stream.arrival[next_arrival]) if next_arrival < stream.size else math.inf
    change = math.inf
    if queue:
        change = min(closing[0][0] if closing else math.inf, world.schedule.next_change(now))
    if interval is None:
        return max(now, min(arrival, change)) if queue else arrival
    if not queue:
        target = arrival
    elif stalled:
        target = max(now + interval, min(arrival, change))
    else:
        target = now + interval
    if math.isinf(target):
        return math.inf
    tick = math.ceil(target / interval - 1e-9) * interval
    # The tolerance absorbs round-off in target / interval; never decide before target.
    return tick if tick >= target else tick + interval


def short_repr(value: object) -> str:
    """A repr cut to 60 characters, for error messages."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _out_of_range(name: str, leads: IntArray, row: int, index: int, m: int) -> NoReturn:
    raise StrategyError(
        f"strategy {name!r} chose manager index {index} for lead {int(leads[row])}; "
        f"valid indexes are -1..{m - 1}"
    )


def _is_index(value: object) -> bool:
    """A Python or numpy integer, not a bool."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _check_pick(
    strategy: Strategy, leads: IntArray, eligible: np.ndarray, room: IntArray, raw: object
) -> IntArray:
    """What ``decide`` returned, as int64 indexes, checked against the engine's own state.

    ``leads``, ``eligible`` and ``room`` are the engine's arrays, not the ones the strategy
    saw, so writing into the context changes nothing here.
    """
    k, m = eligible.shape
    name = strategy.name
    if isinstance(raw, np.ndarray):
        array = raw
    elif isinstance(raw, list | tuple):
        array = np.fromiter(raw, dtype=object, count=len(raw))
    else:
        first = f" (first: lead {int(leads[0])})" if k else ""
        raise StrategyError(
            f"strategy {name!r} returned {short_repr(raw)} for {k} waiting leads{first}; "
            "decide must return an integer array: one manager index per lead, -1 to wait"
        )
    if array.shape != (k,):
        raise StrategyError(
            f"strategy {name!r} returned {array.shape} choices for {k} waiting leads"
        )
    if array.dtype.kind == "O":
        wrong = [r for r, v in enumerate(array.tolist()) if not _is_index(v)]
        if wrong:
            row = wrong[0]
            raise StrategyError(
                f"strategy {name!r} chose {short_repr(array[row])} for lead {int(leads[row])}; "
                "manager indexes must be integers (-1 to wait)"
            )
        # Python ints may not fit int64: out-of-range ones are reported before the cast.
        too_far = [r for r, v in enumerate(array.tolist()) if not -1 <= int(v) < m]
        if too_far:
            _out_of_range(name, leads, too_far[0], int(array[too_far[0]]), m)
        array = np.asarray(array.tolist(), dtype=np.int64).reshape(k)
    elif array.dtype.kind not in "iu":
        row = 0
        if array.dtype.kind in "fc":
            fractional = np.flatnonzero(array != np.round(array.real))
            row = int(fractional[0]) if fractional.size else 0
        raise StrategyError(
            f"strategy {name!r} returned {array.dtype} choices ({short_repr(array[row].item())} "
            f"for lead {int(leads[row])}); manager indexes must be integers "
            "(a numpy integer array or Python ints, -1 to wait)"
        )
    bad = (array < -1) | (array >= m)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        _out_of_range(name, leads, row, int(array[row]), m)
    pick = np.asarray(array, dtype=np.int64)
    chosen = np.flatnonzero(pick >= 0)
    allowed = eligible[chosen, pick[chosen]]
    if not allowed.all():
        row = int(chosen[np.flatnonzero(~allowed)[0]])
        raise StrategyError(
            f"strategy {name!r} gave lead {int(leads[row])} to manager "
            f"{int(pick[row])}, who is not eligible now (unqualified, off shift or full)"
        )
    taken = np.bincount(pick[chosen], minlength=m)
    over = np.flatnonzero(taken > room)
    if over.size:
        j = int(over[0])
        raise StrategyError(
            f"strategy {name!r} gave manager {j} {int(taken[j])} leads with room for {int(room[j])}"
        )
    return pick


def _report_lost(
    world: World,
    strategy: Strategy,
    interval: float | None,
    lost: list[int],
    held: np.ndarray,
) -> NoReturn:
    """Raise for leads still without a manager when the schedule ends, saying whose fault.

    Three causes are told apart: the strategy kept leads waiting although a qualified
    manager on shift had room (``held``); a batch strategy's decision times never fell
    within a shift of a qualified manager (its interval skips the shifts); or the team
    itself had nobody qualified on shift with room.
    """
    head = (
        f"{len(lost)} lead(s) found no manager before the schedule ended (first: lead {lost[0]}); "
    )
    every = "" if interval is None else f" (interval {interval:g} min)"
    kept = [i for i in lost if held[i]]
    if kept:
        raise StrategyError(
            head + f"strategy {strategy.name!r}{every} kept {len(kept)} of them waiting "
            f"although a qualified manager on shift had room (first: lead {kept[0]})"
        )
    if interval is not None:
        schedule, stream = world.schedule, world.stream
        i = lost[0]
        qualified = world.team.qualified[:, stream.product[i]]
        arrival = float(stream.arrival[i])
        first = math.ceil(arrival / interval - 1e-9) * interval
        ticks = np.arange(first, schedule.end, interval)
        slots = (ticks // SLOT_MINUTES).astype(np.int64)
        ticks_on = bool(schedule.on_shift[slots][:, qualified].any()) if slots.size else False
        shifts_after = schedule.on_shift[int(arrival // SLOT_MINUTES) :, qualified].any()
        if shifts_after and not ticks_on:
            raise StrategyError(
                head + f"strategy {strategy.name!r} decides every {interval:g} min, and none "
                f"of its decisions after lead {i} arrived fell within a shift of a qualified "
                f"manager (the schedule ends at minute {schedule.end:g}); use a shorter interval"
            )
    raise RuntimeError(head + "the team has no qualified manager on shift with room")
