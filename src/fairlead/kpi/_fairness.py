"""Fair shares: who got how much of the team's leads, against their target.

- ``target_share``: the given ``target_share`` (normalised), else each manager's
  ``max_active_leads`` over the team's when ``managers`` is given, else equal shares;
  the same in every period.
- ``leads_share`` / ``value_share``: the manager's part of the (lead, manager) pairs
  the team received in the period (see ``_cohort``), counted, or weighted by the
  lead's deal value (unknown counts 0).
- ``leads_vs_target``: ``leads_share / target_share`` (NaN for a zero target).
- ``gini_leads``, ``jain_leads``, ``gini_value`` (team only): Gini coefficient and
  Jain's index (the formulas of :func:`fairlead.plan.gini` / :func:`fairlead.plan.jain`)
  of received / target across the managers with a target above 0; NaN in a period
  without leads.
"""

from __future__ import annotations

import numpy as np

from fairlead.core import FloatArray
from fairlead.kpi._cohort import cohort, cohort_periods
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, gini_rows, jain_rows, ratio, table


def measure_fairness(ctx: Context) -> Measures:
    """Shares, ``leads_vs_target`` and the team's Gini / Jain figures."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    pairs = cohort(ctx)
    period = cohort_periods(ctx)
    received = table(period, pairs.manager, shape)
    value = table(period, pairs.manager, shape, pairs.value)
    target = np.broadcast_to(ctx.settings.target, shape)
    team_received, team_value = received.sum(axis=1), value.sum(axis=1)
    out.add("target_share", target, target.sum(axis=1))
    leads_share = ratio(received, team_received[:, None])
    out.add("leads_share", leads_share, ratio(team_received, team_received))
    out.add("value_share", ratio(value, team_value[:, None]), ratio(team_value, team_value))
    with np.errstate(over="ignore"):  # a share too small to divide by: no figure (below)
        vs_target = ratio(leads_share, target)
    out.add(
        "leads_vs_target",
        np.where(np.isfinite(vs_target), vs_target, np.nan),
        ratio(team_received, team_received) / target.sum(axis=1),
    )
    aimed = ctx.settings.target > 0
    per_target = _per_target(received[:, aimed], ctx.settings.target[aimed])
    out.add("gini_leads", None, gini_rows(per_target))
    out.add("jain_leads", None, jain_rows(per_target))
    out.add("gini_value", None, gini_rows(_per_target(value[:, aimed], ctx.settings.target[aimed])))
    return out


def _per_target(amounts: FloatArray, target: FloatArray) -> FloatArray:
    """Each manager's amount per unit of target share, for the spread figures.

    Gini and Jain do not depend on the unit, so the shares are taken relative to the
    largest. A share so small next to the others that the figures' sums are beyond
    any number (capacities of 1 and 10**308) leaves the period without a figure
    (NaN), not an infinite one.
    """
    k = amounts.shape[1]
    if k == 0:
        return amounts
    with np.errstate(over="ignore", invalid="ignore"):
        out: FloatArray = amounts / (target / target.max())
        # Gini weighs by rank (up to k), Jain sums squares: both must stay numbers.
        largest = np.abs(out).max(axis=1)
        fits = np.isfinite(largest * k * (k + 1)) & np.isfinite(largest * largest * k)
    out[~fits] = np.nan
    return out
