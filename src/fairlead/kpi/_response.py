"""How fast leads are handled: time to assign, time to first response, response bands.

- *time to assign*: minutes from the ``created`` row to the lead's first ``assigned``
  row, for the manager of that assignment, in the period of the assignment on their
  clock. Leads without a ``created`` row (created before the log) have none.
- *first response*: minutes from the assignment the first contact answered (the last
  one before it, ``Leads.response_from``) to the first ``contacted`` row, for the
  manager who made it (``Leads.responder``), in the period of that assignment on
  their clock. A contact before any assignment has none (a data-quality finding).
- *bands*: first responses within ``sla_bands[0]`` minutes (edge included), then
  within each next edge, then beyond the last; ``sla_share_fast`` is the first
  band's share of all first responses.

Percentiles interpolate linearly between ranks (``numpy.percentile``'s default); the
team's are recomputed from all its leads, never averaged.
"""

from __future__ import annotations

import numpy as np

from fairlead.kpi._cells import FloatArray, Int64Array
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, percentile_tables, ratio, table
from fairlead.kpi._metrics import band_names

QUANTILES = (50.0, 90.0)


def _times(
    ctx: Context, start: FloatArray, end: FloatArray, manager: Int64Array
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Period, manager and minutes of each lead with both moments, ``end >= start``."""
    has = ~np.isnan(start) & ~np.isnan(end) & (manager >= 0)
    has[has] = end[has] >= start[has]
    begin = start[has].astype(np.int64)
    who = manager[has]
    minutes = (end[has] - start[has]) / 60.0
    return ctx.place(begin, who), who, minutes


def _add_percentiles(
    out: Measures,
    ctx: Context,
    prefix: str,
    period: Int64Array,
    manager: Int64Array,
    minutes: FloatArray,
) -> None:
    shape = (ctx.n_periods, ctx.n_managers)
    each, team = percentile_tables(period, manager, minutes, shape, QUANTILES)
    for j, q in enumerate(QUANTILES):
        out.add(f"{prefix}_p{int(q)}", each[:, :, j], team[:, j])


def measure_response(ctx: Context) -> Measures:
    """``assign_p50/p90``, ``response_p50/p90``, the band counts and ``sla_share_fast``."""
    leads = ctx.leads
    out = Measures()
    period, manager, minutes = _times(ctx, leads.created_at, leads.assigned_at, leads.first_owner)
    _add_percentiles(out, ctx, "assign", period, manager, minutes)
    period, manager, minutes = _times(ctx, leads.response_from, leads.contacted_at, leads.responder)
    _add_percentiles(out, ctx, "response", period, manager, minutes)

    bands = ctx.settings.sla_bands
    band = np.searchsorted(np.asarray(bands, dtype=np.float64), minutes, side="left")
    shape = (ctx.n_periods, ctx.n_managers)
    responses = table(period, manager, shape)
    first = table(period, manager, shape, band == 0)
    for k, name in enumerate(band_names(bands)):
        counts = first if k == 0 else table(period, manager, shape, band == k)
        out.add(name, counts, counts.sum(axis=1))
    out.add(
        "sla_share_fast",
        ratio(first, responses),
        ratio(first.sum(axis=1), responses.sum(axis=1)),
    )
    return out
