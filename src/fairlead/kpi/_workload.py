"""Workload: how many open leads each manager held, day by day.

The open leads of a manager at a moment are the spans of ``_holding`` open then
(assigned to them, not yet closed or handed on), on their clock. The log cannot show
the leads a manager already held when it starts. When ``managers`` gives
``active_leads`` (the open leads a manager holds now, as the CRM counts them), those
the log does not show — ``active_leads`` minus the log's open leads now, when
positive — were open before the log began and are still open, so they are added to
every day: a lower bound of the true count. Without it the count is the log's only.

- ``peak_open``: the most open leads at one moment in the period (the team's: the
  most open leads of the whole team at once, on the team's clock).
- ``overload_days``: days of the period (up to today) on which the count went above
  the manager's ``max_active_leads`` at some moment; NaN for a manager without a
  limit (no ``managers``, or not in them). The team's is the sum.

Vectorized: each span gives +1 at its start and -1 at its end; sorted per manager
(ends before starts at the same moment), a cumulative sum is the count after each
change; ``np.maximum.reduceat`` takes the peak of each (manager, day), carried over
days without changes; the periods take the peak and count the days above the limit.
"""

from __future__ import annotations

import numpy as np

from fairlead.kpi._cells import FloatArray, Int64Array
from fairlead.kpi._context import DAY, NEVER, Context
from fairlead.kpi._groups import Measures
from fairlead.kpi._holding import spans


def daily_peaks(
    manager: Int64Array,
    start: Int64Array,
    end: Int64Array,
    base: FloatArray,
    first_day: int,
    n_days: int,
) -> FloatArray:
    """The most open spans at once on each day, ``(len(base), n_days)``.

    ``start`` / ``end`` are local seconds (``end`` :data:`NEVER` for open spans);
    ``base`` is added to every count; day 0 is ``first_day`` (days since the epoch).

    Examples
    --------
    >>> import numpy as np
    >>> never = np.iinfo(np.int64).max
    >>> start = np.array([0, 3600, 86400 + 60])            # day 0 twice, day 1 once
    >>> end = np.array([7200, never, 2 * 86400 + 10])      # one ends on day 0, one on day 2
    >>> daily_peaks(np.zeros(3, int), start, end, np.zeros(1), 0, 4).tolist()
    [[2.0, 2.0, 2.0, 1.0]]
    """
    n_managers = base.size
    width = n_days + 1  # column 0: before the first day
    ended = end != NEVER
    who = np.concatenate([manager, manager[ended]])
    when = np.concatenate([start, end[ended]])
    step = np.concatenate([np.ones(start.size), -np.ones(int(ended.sum()))])
    order = np.lexsort((step, when, who))
    who, when, step = who[order], when[order], step[order]
    day = np.clip(np.floor_divide(when, DAY) - first_day + 1, 0, width - 1)
    # The count after each change: a running sum restarted for each manager.
    running = np.cumsum(step)
    starts_of = np.searchsorted(who, np.arange(n_managers))
    before = np.r_[0.0, running][starts_of]
    level = running - before[who] + base[who]
    cell = who * width + day
    peak = np.full(n_managers * width, -np.inf)
    close = np.full(n_managers * width, np.nan)  # the count at the end of the day
    if cell.size:
        first = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        peak[cell[first]] = np.maximum.reduceat(level, first)
        close[cell[first]] = level[np.r_[first[1:], cell.size] - 1]
    peaks = peak.reshape(n_managers, width)
    closes = close.reshape(n_managers, width)
    # Days without changes keep the count of the last change before them.
    last = np.maximum.accumulate(np.where(np.isnan(closes), -1, np.arange(width)), axis=1)
    carried = np.take_along_axis(closes, np.maximum(last, 0), axis=1)
    carried = np.where(last >= 0, carried, base[:, None])
    opening = carried[:, :-1]  # the count as each day (column 1 on) begins
    out: FloatArray = np.maximum(peaks[:, 1:], opening)
    return out


def _by_period(
    ctx: Context, peaks: FloatArray, today: Int64Array, capacity: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Peak and days over ``capacity`` per (period, row of ``peaks``); future days left out."""
    first_day = int(ctx.start_days[0])
    days = first_day + np.arange(peaks.shape[1])
    future = days[None, :] > today[:, None]
    peaks = np.where(future, -np.inf, peaks)
    bounds = ctx.start_days - first_day
    peak = np.maximum.reduceat(peaks, bounds, axis=1).T
    over = (peaks > np.nan_to_num(capacity, nan=np.inf)[:, None]) & ~future
    days_over = np.add.reduceat(over.astype(np.float64), bounds, axis=1).T
    return np.where(np.isinf(peak), np.nan, peak), days_over


def measure_workload(ctx: Context) -> Measures:
    """``peak_open`` and ``overload_days``."""
    out = Measures()
    n_periods, n_managers = ctx.n_periods, ctx.n_managers
    if n_periods == 0:
        out.add("peak_open", np.zeros((0, n_managers)), np.zeros(0))
        out.add("overload_days", np.zeros((0, n_managers)), np.zeros(0))
        return out
    held = spans(ctx)
    first_day = int(ctx.start_days[0])
    n_days = ctx.end_day - first_day
    open_now = np.bincount(held.manager[held.open_now], minlength=n_managers)
    base = np.nan_to_num(np.maximum(ctx.settings.active - open_now, 0.0), nan=0.0)
    capacity = ctx.settings.capacity
    peaks = daily_peaks(held.manager, held.local_start, held.local_end, base, first_day, n_days)
    today = np.floor_divide(ctx.local_now(), DAY)
    peak, days_over = _by_period(ctx, peaks, today, capacity)
    overload = np.where(np.isnan(capacity)[None, :], np.nan, days_over)

    # The team's open leads at once, on the team's clock.
    clock = ctx.clock
    team_end = np.full(held.end.size, NEVER, dtype=np.int64)
    ended = ~held.open_now
    team_end[ended] = clock.local_team(held.end[ended])
    team_peaks = daily_peaks(
        np.zeros(held.lead.size, dtype=np.int64),
        clock.local_team(held.start),
        team_end,
        np.array([base.sum()]),
        first_day,
        n_days,
    )
    team_today = np.floor_divide(clock.local_team(np.array([ctx.now])), DAY)
    team_peak, _ = _by_period(ctx, team_peaks, team_today, np.full(1, np.nan))
    limited = ~np.isnan(capacity)
    team_overload = (
        overload[:, limited].sum(axis=1) if limited.any() else np.full(n_periods, np.nan)
    )
    out.add("peak_open", peak, team_peak[:, 0])
    out.add("overload_days", overload, team_overload)
    return out
