"""Money: revenue, average deal, and the open pipeline.

- ``revenue``: the amount of the leads closed won in the period (the ``won`` row's
  amount, else the lead's deal value; unknown counts 0), for the manager who held the
  lead then, on that manager's clock.
- ``avg_deal``: revenue / deals won in the period with a known amount.
- ``pipeline``: the deal value (unknown counts 0) of the open leads each manager held
  at the end of the period, midnight on their clock (see ``_holding``); for the
  current period, now.
- ``weighted_pipeline``: the same with each lead's value times its chance to win: the
  ``win_probability`` of its assignment, else its ``score``, else the team's win rate
  over the whole log.
"""

from __future__ import annotations

import numpy as np

from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, ratio, table
from fairlead.kpi._holding import open_at_period_ends, spans


def measure_money(ctx: Context) -> Measures:
    """``revenue``, ``avg_deal``, ``pipeline``, ``weighted_pipeline``."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    leads = ctx.leads
    won = leads.outcome == 1
    period = ctx.place(leads.closed_at[won].astype(np.int64), leads.closer[won])
    closer = leads.closer[won]
    amount = leads.amount[won]
    known = ~np.isnan(amount)
    revenue = table(period, closer, shape, np.nan_to_num(amount, nan=0.0))
    deals = table(period, closer, shape, known)
    out.add("revenue", revenue, revenue.sum(axis=1))
    out.add("avg_deal", ratio(revenue, deals), ratio(revenue.sum(axis=1), deals.sum(axis=1)))

    held = spans(ctx)
    value = np.nan_to_num(leads.deal_value[held.lead], nan=0.0)
    pipeline = open_at_period_ends(ctx, value)
    weighted = open_at_period_ends(ctx, value * held.weight(ctx))
    out.add("pipeline", pipeline, pipeline.sum(axis=1))
    out.add("weighted_pipeline", weighted, weighted.sum(axis=1))
    return out
