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
- ``touches_planned`` / ``touches_done``: rows of the period by their manager;
  ``touch_completion``: done / planned (above 1 when earlier plans are caught up).

Vectorized: a client's purchases less than ``churn_days`` apart form a spell; a spell
from its first purchase ``a`` to its last ``b`` makes the client active exactly on
``(a, b + churn_days]``, so only the period boundaries inside a spell are looked at.
"""

from __future__ import annotations

import numpy as np

import fairlead.kpi._schema as schema
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


def measure_retention(ctx: Context) -> Measures:
    """Clients, kept, churned, retention, and the touches."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    client, boundary, manager = _active_at_boundaries(ctx)
    key = client * (ctx.n_periods + 1) + boundary
    at_start = boundary < ctx.n_periods
    kept = at_start & np.isin(key + 1, key)
    period = np.where(at_start, boundary, -1)
    base = table(period, manager, shape)
    stayed = table(period, manager, shape, kept)
    out.add("clients", base, base.sum(axis=1))
    out.add("clients_kept", stayed, stayed.sum(axis=1))
    out.add("clients_churned", base - stayed, (base - stayed).sum(axis=1))
    out.add("retention", ratio(stayed, base), ratio(stayed.sum(axis=1), base.sum(axis=1)))

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
