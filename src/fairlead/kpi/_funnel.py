"""The funnel: stages reached, deals won and lost, conversion raw and fairly estimated.

- ``reached:<stage>``: of the (lead, manager) pairs received in the period (see
  ``_cohort``), those whose furthest stage with that manager is at or beyond the stage
  (a funnel narrows: reaching "proposal" passes "meeting"); ``rate:<stage>`` divides
  by the step before (the first stage by the leads received).
- ``won``, ``lost``: leads closed in the period (the first close counts), for the
  manager who held the lead then (``Leads.closer``), on that manager's clock;
  ``win_rate = won / (won + lost)``.
- ``conversion``: of the pairs received in the period, the share the manager won (as
  of now).
- ``conversion_shrunk``: empirical Bayes. In each period the team's conversion is the
  prior mean and the prior strength ``kappa`` (in leads) is fitted across the managers
  by the beta-binomial marginal likelihood (:func:`fairlead.scoring.fit_prior_strength`);
  a manager's estimate is ``(won + kappa * team) / (received + kappa)``
  (:func:`fairlead.scoring.shrink_rates`). ``conversion_low`` / ``conversion_high``
  are the central ``interval`` of the posterior ``Beta(won + kappa * team,
  received - won + kappa * (1 - team))``, widened if need be to hold the estimate (a
  very skewed posterior can have its mean outside its central interval). The team's
  own figure is its raw conversion with the Jeffreys interval ``Beta(won + 1/2,
  received - won + 1/2)``. A manager without leads in the period has none (NaN).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import beta

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._cohort import cohort, cohort_periods
from fairlead.kpi._context import Context
from fairlead.kpi._groups import Measures, ratio, table
from fairlead.scoring import fit_prior_strength, shrink_rates

#: Prior means are kept this far from 0 and 1 in the beta parameters.
_EPS = 1e-9


def shrunk_conversion(
    won: FloatArray, received: FloatArray, interval: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Shrunk rates of one period's managers and their intervals (NaN without leads).

    Examples
    --------
    Three wins out of three leads against managers with 10 % to 40 % of 50 leads:

    >>> import numpy as np
    >>> won = np.array([3.0, 5.0, 20.0, 12.0, 0.0])
    >>> received = np.array([3.0, 50.0, 50.0, 50.0, 0.0])
    >>> rate, low, high = shrunk_conversion(won, received, 0.9)
    >>> rate.round(2).tolist()       # the 3 of 3 below the 20 of 50; nobody without leads
    [0.46, 0.12, 0.38, 0.24, nan]
    >>> low.round(2).tolist()[0], high.round(2).tolist()[0]
    (0.23, 0.7)
    """
    nan = np.full(won.shape, np.nan)
    total = float(received.sum())
    if total <= 0:
        return nan, nan.copy(), nan.copy()
    mean = float(won.sum()) / total
    # The same managers in any order give the same fit (a flat likelihood would
    # otherwise let the order of a float sum pick the optimum).
    canonical = np.lexsort((won, received))
    kappa = fit_prior_strength(won[canonical], received[canonical], mean)
    has = received > 0
    rate = np.where(has, shrink_rates(won, received, mean, kappa), np.nan)
    prior = min(max(mean, _EPS), 1 - _EPS)
    low, high = _interval(won + kappa * prior, received - won + kappa * (1 - prior), interval)
    low = np.where(has, np.minimum(low, rate), np.nan)
    high = np.where(has, np.maximum(high, rate), np.nan)
    return rate, low, high


def _interval(a: FloatArray, b: FloatArray, interval: float) -> tuple[FloatArray, FloatArray]:
    tail = (1.0 - interval) / 2.0
    a = np.maximum(a, _EPS)
    b = np.maximum(b, _EPS)
    low: FloatArray = np.asarray(beta.ppf(tail, a, b), dtype=np.float64)
    high: FloatArray = np.asarray(beta.ppf(1.0 - tail, a, b), dtype=np.float64)
    return low, high


def _team_interval(
    won: FloatArray, received: FloatArray, interval: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    rate = ratio(won, received)
    low, high = _interval(won + 0.5, received - won + 0.5, interval)
    has = received > 0
    low = np.where(has, np.minimum(low, rate), np.nan)
    high = np.where(has, np.maximum(high, rate), np.nan)
    return rate, low, high


def measure_funnel(ctx: Context) -> Measures:
    """Stages, ``won``, ``lost``, ``win_rate`` and the four conversion figures."""
    out = Measures()
    shape = (ctx.n_periods, ctx.n_managers)
    pairs = cohort(ctx)
    period = cohort_periods(ctx)
    received = table(period, pairs.manager, shape)
    before, before_team = received, received.sum(axis=1)
    for k, stage in enumerate(ctx.settings.funnel):
        reached = table(period, pairs.manager, shape, pairs.stage >= k)
        team = reached.sum(axis=1)
        out.add(f"reached:{stage}", reached, team)
        out.add(f"rate:{stage}", ratio(reached, before), ratio(team, before_team))
        before, before_team = reached, team

    leads = ctx.leads
    closed = leads.outcome >= 0
    close_period = ctx.place(leads.closed_at[closed].astype(np.int64), leads.closer[closed])
    closer = leads.closer[closed]
    won = table(close_period, closer, shape, leads.outcome[closed] == 1)
    lost = table(close_period, closer, shape, leads.outcome[closed] == 0)
    out.add("won", won, won.sum(axis=1))
    out.add("lost", lost, lost.sum(axis=1))
    out.add("win_rate", ratio(won, won + lost), ratio(won.sum(axis=1), (won + lost).sum(axis=1)))

    converted = table(period, pairs.manager, shape, pairs.won)
    out.add(
        "conversion", ratio(converted, received), ratio(converted.sum(axis=1), received.sum(axis=1))
    )
    interval = ctx.settings.interval
    rate, low, high = (np.full(shape, np.nan) for _ in range(3))
    for p in range(ctx.n_periods):
        rate[p], low[p], high[p] = shrunk_conversion(converted[p], received[p], interval)
    team = _team_interval(converted.sum(axis=1), received.sum(axis=1), interval)
    for name, each, whole in zip(
        ("conversion_shrunk", "conversion_low", "conversion_high"),
        (rate, low, high),
        team,
        strict=True,
    ):
        out.add(name, each, whole)
    return out
