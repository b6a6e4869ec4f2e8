"""The event loop: leads arrive, a strategy assigns them, managers contact and close them."""

from __future__ import annotations

import heapq
import math

import numpy as np

from fairlead._problem import FloatArray, IntArray
from fairlead.sim._result import RunRecord
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import SLOT_MINUTES, World


class StrategyError(RuntimeError):
    """A strategy chose a manager who was not eligible or had no room left."""


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
    from fairlead.sim._knowledge import estimate_values

    team, stream, schedule = world.team, world.stream, world.schedule
    n, m = stream.size, team.size
    if values is None:
        values = estimate_values(world, knowledge="oracle")
    if values.shape != (n, m):
        raise ValueError(f"values must have shape {(n, m)} (leads x managers), got {values.shape}")
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
    interval = strategy.interval
    now = -math.inf
    stalled = False

    while next_arrival < n or queue:
        now = _next_epoch(world, interval, now, queue, next_arrival, closing, stalled)
        if now > schedule.end:
            lost = queue or list(range(next_arrival, n))
            raise RuntimeError(
                f"{len(lost)} lead(s) found no manager before the schedule ended "
                f"(first: lead {lost[0]}); the team has no qualified manager on shift with room"
            )
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
            leads=leads,
            waited=now - stream.arrival[leads],
            tier=stream.tier[leads],
            product=stream.product[leads],
            deal_value=stream.deal_value[leads],
            value=values[leads],
            eligible=eligible,
            room=room,
            open=open_count.copy(),
            capacity=capacity,
            received=received.copy(),
            available_minutes=_worked_until(world, now),
            rng=rng,
        )
        pick = np.asarray(strategy.decide(context), dtype=np.int64)
        _check_pick(strategy, context, pick)
        chosen = np.flatnonzero(pick >= 0)
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
        available_minutes=_worked_until(world, float(world.config.weeks * 7 * 24 * 60)),
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


def _check_pick(strategy: Strategy, context: DecisionContext, pick: IntArray) -> None:
    k, m = context.eligible.shape
    if pick.shape != (k,):
        raise StrategyError(
            f"strategy {strategy.name!r} returned {pick.shape} choices for {k} waiting leads"
        )
    bad = (pick < -1) | (pick >= m)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise StrategyError(
            f"strategy {strategy.name!r} chose manager index {int(pick[row])} for lead "
            f"{int(context.leads[row])}; valid indexes are -1..{m - 1}"
        )
    chosen = np.flatnonzero(pick >= 0)
    allowed = context.eligible[chosen, pick[chosen]]
    if not allowed.all():
        row = int(chosen[np.flatnonzero(~allowed)[0]])
        raise StrategyError(
            f"strategy {strategy.name!r} gave lead {int(context.leads[row])} to manager "
            f"{int(pick[row])}, who is not eligible now (unqualified, off shift or full)"
        )
    taken = np.bincount(pick[chosen], minlength=m)
    over = np.flatnonzero(taken > context.room)
    if over.size:
        j = int(over[0])
        raise StrategyError(
            f"strategy {strategy.name!r} gave manager {j} {int(taken[j])} leads with room "
            f"for {int(context.room[j])}"
        )
