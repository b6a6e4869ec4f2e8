"""Empirical-Bayes shrinkage of small-sample rates and means towards their group.

A manager with 3 leads in a segment and 2 conversions does not have a 67 % rate:
the posterior mean under a beta prior fitted to all managers pulls the estimate
towards the group's rate, the more the fewer leads the manager has.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize_scalar
from scipy.stats import betabinom

FloatArray = npt.NDArray[np.float64]

# Prior strength (pseudo-observations) is searched on a log scale in this range:
# 1e-2 means "trust each manager's own rate", 1e6 means "all managers are alike".
_LOG_STRENGTH_BOUNDS = (np.log(1e-2), np.log(1e6))
_EPS = 1e-9


def fit_prior_strength(
    successes: npt.ArrayLike, trials: npt.ArrayLike, prior_mean: npt.ArrayLike
) -> float:
    """Beta-binomial prior strength ``kappa`` maximizing the marginal likelihood.

    Each unit ``k`` has ``successes[k]`` out of ``trials[k]`` and a prior
    ``Beta(kappa * mean[k], kappa * (1 - mean[k]))``. A large ``kappa`` says the
    units barely differ beyond binomial noise; a small one that they differ a lot.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> trials = np.full(200, 50)
    >>> alike = rng.binomial(trials, 0.2)           # every unit has rate 0.2
    >>> fit_prior_strength(alike, trials, 0.2) > 100
    True
    >>> varied = rng.binomial(trials, rng.beta(2, 8, size=200))   # kappa = 10
    >>> 3 < fit_prior_strength(varied, trials, 0.2) < 30
    True
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    mean = np.clip(
        np.broadcast_to(np.asarray(prior_mean, dtype=np.float64), k.shape), _EPS, 1 - _EPS
    )
    used = n > 0
    if not used.any():
        return float(np.exp(_LOG_STRENGTH_BOUNDS[1]))
    k, n, mean = k[used], n[used], mean[used]

    def negative_log_likelihood(log_kappa: float) -> float:
        kappa = np.exp(log_kappa)
        return -float(np.sum(betabinom.logpmf(k, n, kappa * mean, kappa * (1 - mean))))

    result = minimize_scalar(negative_log_likelihood, bounds=_LOG_STRENGTH_BOUNDS, method="bounded")
    return float(np.exp(result.x))


def shrink_rates(
    successes: npt.ArrayLike,
    trials: npt.ArrayLike,
    prior_mean: npt.ArrayLike,
    strength: float,
) -> FloatArray:
    """Posterior mean rate ``(successes + strength * mean) / (trials + strength)``.

    Examples
    --------
    >>> shrink_rates([2, 200], [3, 300], 0.2, 20.0).round(3).tolist()
    [0.261, 0.638]
    """
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    mean = np.asarray(prior_mean, dtype=np.float64)
    rates: FloatArray = (k + strength * mean) / (n + strength)
    return rates


def shrink_means(
    sums: npt.ArrayLike, counts: npt.ArrayLike, squares: npt.ArrayLike
) -> tuple[FloatArray, float]:
    """Normal-normal empirical Bayes for group means (e.g. average deal size per manager).

    ``sums``, ``counts`` and ``squares`` are per unit: the sum of observations, how
    many, and the sum of their squares. Returns the shrunk means and the prior
    strength ``k = within-unit variance / between-unit variance`` (pseudo-observations
    at the pooled mean), estimated by the method of moments.

    Examples
    --------
    Five managers with 30-50 deals around 1000 and one with a single deal of 3000:

    >>> sums = [40034.0, 37195.0, 47121.0, 28860.0, 44871.0, 3000.0]
    >>> counts = [40, 35, 50, 30, 45, 1]
    >>> squares = [43180382.7, 41196017.1, 48894642.1, 28978685.8, 49455303.6, 9e6]
    >>> means, k = shrink_means(sums, counts, squares)
    >>> means.round().tolist(), round(k, 1)
    ([1001.0, 1058.0, 946.0, 966.0, 997.0, 1482.0], 3.1)
    """
    s = np.asarray(sums, dtype=np.float64)
    n = np.asarray(counts, dtype=np.float64)
    q = np.asarray(squares, dtype=np.float64)
    total = n.sum()
    if total <= 0:
        return np.zeros_like(s), 0.0
    pooled = s.sum() / total
    has = n > 0
    unit_mean = np.where(has, s / np.where(has, n, 1.0), pooled)
    within_ss = np.sum(np.where(has, q - n * unit_mean**2, 0.0))
    within_df = max(total - has.sum(), 1.0)
    within_var = max(within_ss / within_df, 0.0)
    between = np.sum(n * (unit_mean - pooled) ** 2)
    # E[between] = (units - 1) * within_var + (total - sum n^2 / total) * tau^2
    units = int(has.sum())
    effective = total - np.sum(n**2) / total
    tau2 = max((between - (units - 1) * within_var) / effective, 0.0) if effective > 0 else 0.0
    k = within_var / tau2 if tau2 > 0 else float("inf")
    if np.isinf(k):
        return np.full_like(s, pooled), k
    # A unit without observations gets the pooled mean whatever k is.
    shrunk: FloatArray = np.where(
        n + k > 0, (s + k * pooled) / np.where(n + k > 0, n + k, 1.0), pooled
    )
    return shrunk, float(k)
