"""Existing clients: who stays, who leaves, and the touches that keep them.

A client is *active* at a moment when it bought (a ``purchase`` row) within the
``churn_days`` before it: some purchase at ``t`` with ``moment - churn_days <= t <
moment``. For each period, on the clock of the client's manager at the period's start
(see ``_clients``; found on the team's clock):

- ``clients``: clients active at the start of the period (the base);
- ``clients_kept``: of the base, those still active at the period's end (now, for the
  current period): they bought again, within the period or in the ``churn_days``
  before its end;
- ``clients_churned``: the rest of the base: their last purchase fell out of the
  window during the period (``clients = kept + churned``);
- ``retention``: ``clients_kept / clients``;
- ``retention_touched`` / ``retention_untouched``: the same ratio within the base
  clients that were *touched* (a ``touch_done`` row with the client by the manager the
  client belongs to at the period's start) in the period's *touch window*, and within
  those that were not. The window runs up to the period's end (now, for the current
  period) from the period's start or from ``churn_days`` before the end, whichever is
  earlier: the same ``churn_days`` in which a purchase keeps the client, so a touch
  that could have brought the purchase that kept a client counts even in a week, and
  every touch of a longer period counts. A comparison of clients, not an experiment:
  the clients a manager chooses to touch may differ from the others;
- ``touches_planned`` / ``touches_done``: rows of the period by their manager;
  ``touch_completion``: done / planned (above 1 when earlier plans are caught up).

Vectorized: a client's purchases less than ``churn_days`` apart form a spell; a spell
from its first purchase ``a`` to its last ``b`` makes the client active exactly on
``(a, b + churn_days]``, so only the period boundaries inside a spell are looked at.
"""

from __future__ import annotations

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import BoolArray, FloatArray, Int64Array
from fairlead.kpi._clients import client_managers
from fairlead.kpi._context import DAY, Context
from fairlead.kpi._groups import Measures, ratio, table


def _active_at_boundaries(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(client, boundary, manager) of each client active at a boundary of the grid.

    Boundary ``j < n_periods`` is the start of period ``j``; boundary ``n_periods`` is
    now (a purchase at now counts).
    """
    log, n_periods = ctx.log, ctx.n_periods
    churn = round(ctx.settings.churn_days * DAY)
    rows = ctx.rows_of(schema.PURCHASE)
    rows = rows[log.client[rows] >= 0]
    empty = np.zeros(0, dtype=np.int64)
    if rows.size == 0 or n_periods == 0:
        return empty, empty, empty
    rows = rows[np.lexsort((log.at[rows], log.client[rows]))]
    client, at = log.client[rows], log.at[rows]
    new = np.r_[True, (client[1:] != client[:-1]) | (np.diff(at) > churn)]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], rows.size] - 1
    spell_client, spell_start, spell_end = client[first], at[first], at[last]

    clock = ctx.clock
    starts_local = ctx.start_days * DAY
    # (a period may start after now on the team's clock if a manager's clock is ahead)
    boundary_utc = np.maximum.accumulate(np.r_[clock.utc_team(starts_local), ctx.now])
    pad = 2 * DAY  # the managers' clocks differ from the team's by less than this
    lo = np.searchsorted(boundary_utc, spell_start - pad, side="right")
    hi = np.searchsorted(boundary_utc, spell_end + churn + pad, side="right")
    size = np.maximum(hi - lo, 0)
    spell = np.repeat(np.arange(first.size), size)
    offset = np.arange(spell.size) - np.repeat(np.cumsum(size) - size, size)
    j = lo[spell] + offset
    cl = spell_client[spell]
    manager = client_managers(ctx).at(cl, boundary_utc[j])
    has = manager >= 0
    spell, j, cl, manager = spell[has], j[has], cl[has], manager[has]
    begin = clock.local(spell_start[spell], manager)
    end = clock.local(spell_end[spell], manager) + churn
    now_local = ctx.local_now()
    moment = np.where(j < n_periods, starts_local[np.minimum(j, n_periods - 1)], 0)
    moment = np.where(j < n_periods, moment, now_local[manager] + 1)
    active = (begin < moment) & (moment <= end) & (moment <= now_local[manager] + 1)
    _, first_of = np.unique(cl[active] * (n_periods + 1) + j[active], return_index=True)
    return cl[active][first_of], j[active][first_of], manager[active][first_of]


def _touched(
    ctx: Context, client: Int64Array, period: Int64Array, manager: Int64Array
) -> BoolArray:
    """Whether each base client (of ``period``, belonging to ``manager``) was touched.

    Touched: a ``touch_done`` row with the client by that manager in the period's touch
    window (see the module's docstring), on the manager's clock.
    """
    log, clock = ctx.log, ctx.clock
    rows = ctx.rows_of(schema.TOUCH_DONE)
    rows = rows[(log.client[rows] >= 0) & (log.manager[rows] >= 0)]
    if rows.size == 0 or client.size == 0:
        return np.zeros(client.size, dtype=bool)
    churn = round(ctx.settings.churn_days * DAY)
    starts = ctx.start_days * DAY
    ends = ctx.periods.ends.astype(np.int64) * DAY
    hi = np.minimum(ends[period], ctx.local_now()[manager] + 1)
    lo = np.minimum(starts[period], hi - churn)
    who = log.manager[rows]
    when = clock.local(log.at[rows], who)
    # One sorted key (pair, rank of the moment) keeps the numbers small.
    moments = np.unique(np.concatenate([when, lo, hi]))
    width = moments.size + 1
    keys = np.sort(
        (log.client[rows] * ctx.n_managers + who) * width + np.searchsorted(moments, when)
    )
    pair = (client * ctx.n_managers + manager) * width
    first = np.searchsorted(keys, pair + np.searchsorted(moments, lo), side="left")
    after = np.searchsorted(keys, pair + np.searchsorted(moments, hi), side="left")
    return np.asarray(after > first)


def _base(ctx: Context) -> tuple[Int64Array, Int64Array, BoolArray, BoolArray]:
    """Period, manager, kept and touched of each base client (every period of the grid)."""
    client, boundary, manager = _active_at_boundaries(ctx)
    key = client * (ctx.n_periods + 1) + boundary
    at_start = boundary < ctx.n_periods
    kept = np.isin(key + 1, key)[at_start]
    client, period, manager = client[at_start], boundary[at_start], manager[at_start]
    return period, manager, kept, _touched(ctx, client, period, manager)


def touch_groups(ctx: Context) -> tuple[FloatArray, FloatArray]:
    """Base clients touched and not touched, per (period, manager) of ``ctx``'s grid.

    The denominators of ``retention_touched`` and ``retention_untouched``.

    Examples
    --------
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "purchase", "at": "2026-08-03", "client_id": "c1", "manager_id": "m",
    ...      "amount": 10},
    ...     {"type": "purchase", "at": "2026-08-03", "client_id": "c2", "manager_id": "m",
    ...      "amount": 10},
    ...     {"type": "touch_done", "at": "2026-09-10", "client_id": "c1", "manager_id": "m"},
    ... ])
    >>> kpis = kpi.compute(log, "month", since="2026-09-01", now="2026-09-30")
    >>> [t.tolist() for t in touch_groups(kpis.context)]
    [[[1.0]], [[1.0]]]
    """
    shape = (ctx.n_periods, ctx.n_managers)
    period, manager, _, touched = _base(ctx)
    return table(period, manager, shape, touched), table(period, manager, shape, ~touched)


def measure_retention(ctx: Context) -> Measures:
    """Clients, kept, churned, retention (all, touched, untouched), and the touches."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    period, manager, kept, touched = _base(ctx)
    base = table(period, manager, shape)
    stayed = table(period, manager, shape, kept)
    out.add("clients", base, base.sum(axis=1))
    out.add("clients_kept", stayed, stayed.sum(axis=1))
    out.add("clients_churned", base - stayed, (base - stayed).sum(axis=1))
    out.add("retention", ratio(stayed, base), ratio(stayed.sum(axis=1), base.sum(axis=1)))
    for name, group in (("retention_touched", touched), ("retention_untouched", ~touched)):
        size = table(period, manager, shape, group)
        held = table(period, manager, shape, group & kept)
        out.add(name, ratio(held, size), ratio(held.sum(axis=1), size.sum(axis=1)))

    log = ctx.log
    counts = []
    for code, name in (
        (schema.TOUCH_PLANNED, "touches_planned"),
        (schema.TOUCH_DONE, "touches_done"),
    ):
        rows = ctx.rows_of(code)
        touches = table(ctx.place(log.at[rows], log.manager[rows]), log.manager[rows], shape)
        out.add(name, touches, touches.sum(axis=1))
        counts.append(touches)
    planned, done = counts
    out.add("touch_completion", ratio(done, planned), ratio(done.sum(axis=1), planned.sum(axis=1)))
    return out
