"""Sums, shares and percentiles per (period, manager) and per period, without loops.

Every KPI family hands items (events, leads, pairs) with their period and manager to
these helpers and gets ``(n_periods, n_managers)`` tables and the team's
``(n_periods,)`` column back. Items outside the grid (period -1) or without a
manager (-1) are left out of both, so the team's counts are the sums of its managers'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from fairlead.kpi._cells import BoolArray, FloatArray, Int64Array


@dataclass
class Measures:
    """Metric name -> ``(n_periods, n_managers)`` table, and -> the team's column."""

    by_manager: dict[str, FloatArray] = field(default_factory=dict)
    team: dict[str, FloatArray] = field(default_factory=dict)

    def add(self, name: str, by_manager: FloatArray | None, team: FloatArray) -> None:
        """Add one metric (``by_manager`` None: the metric exists for the team only)."""
        if by_manager is not None:
            self.by_manager[name] = np.asarray(by_manager, dtype=np.float64)
        self.team[name] = np.asarray(team, dtype=np.float64)

    def update(self, other: Measures) -> None:
        """Take every metric of ``other``."""
        self.by_manager.update(other.by_manager)
        self.team.update(other.team)


def valid(period: Int64Array, manager: Int64Array) -> BoolArray:
    """Items inside the grid with a manager."""
    return (period >= 0) & (manager >= 0)


def table(
    period: Int64Array,
    manager: Int64Array,
    shape: tuple[int, int],
    weights: npt.ArrayLike | None = None,
) -> FloatArray:
    """Counts (or sums of ``weights``) per (period, manager).

    Examples
    --------
    >>> import numpy as np
    >>> table(np.array([0, 0, 1, -1]), np.array([1, 1, 0, 0]), (2, 2)).tolist()
    [[0.0, 2.0], [1.0, 0.0]]
    """
    n_periods, n_managers = shape
    keep = valid(period, manager)
    flat = period[keep] * n_managers + manager[keep]
    w = None if weights is None else np.broadcast_to(np.asarray(weights, np.float64), keep.shape)
    sums = np.bincount(flat, None if w is None else w[keep], minlength=n_periods * n_managers)
    return sums.astype(np.float64).reshape(n_periods, n_managers)


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike, scale: float = 1.0) -> FloatArray:
    """``scale * numerator / denominator``; NaN where the denominator is 0 (no data).

    Examples
    --------
    >>> ratio([1, 2], [4, 0]).tolist()
    [0.25, nan]
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(scale * num, den, out=out, where=den != 0)
    return out


def percentiles(
    group: Int64Array, values: FloatArray, n_groups: int, qs: Sequence[float]
) -> FloatArray:
    """Percentiles ``qs`` (0-100) of ``values`` in each group, NaN for an empty group.

    Linear interpolation between the closest ranks, as ``numpy.percentile`` and
    ``pandas.Series.quantile`` by default. Items of group -1 are left out.

    Examples
    --------
    >>> import numpy as np
    >>> percentiles(np.array([0, 0, 0, 1]), np.array([3.0, 1.0, 2.0, 5.0]), 3, [50, 90]).tolist()
    [[2.0, 2.8], [5.0, 5.0], [nan, nan]]
    """
    keep = group >= 0
    g, v = group[keep], values[keep]
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    count = np.bincount(g, minlength=n_groups)
    start = np.concatenate(([0], np.cumsum(count)[:-1])) if n_groups else count
    out = np.full((n_groups, len(qs)), np.nan)
    has = count > 0
    for j, q in enumerate(qs):
        position = (count[has] - 1) * np.true_divide(q, 100)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, count[has] - 1)
        frac = position - low
        a, b = v[start[has] + low], v[start[has] + high]
        # numpy's form of the interpolation, so the results agree to the last bit
        out[has, j] = np.where(frac >= 0.5, b - (b - a) * (1 - frac), a + (b - a) * frac)
    return out


def percentile_tables(
    period: Int64Array,
    manager: Int64Array,
    values: FloatArray,
    shape: tuple[int, int],
    qs: Sequence[float],
) -> tuple[FloatArray, FloatArray]:
    """Percentiles per (period, manager), ``(n_periods, n_managers, len(qs))``, and per period."""
    n_periods, n_managers = shape
    keep = valid(period, manager)
    flat = np.where(keep, period * n_managers + manager, -1)
    each = percentiles(flat, values, n_periods * n_managers, qs).reshape(
        n_periods, n_managers, len(qs)
    )
    team = percentiles(np.where(keep, period, -1), values, n_periods, qs)
    return each, team


def gini_rows(amounts: FloatArray) -> FloatArray:
    """Gini coefficient of each row (``fairlead.plan.gini``'s formula); NaN for a zero row.

    Examples
    --------
    >>> import numpy as np
    >>> gini_rows(np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 4.0], [0.0, 0.0, 0.0, 0.0]]))
    array([0.  , 0.75,  nan])
    """
    a = np.sort(amounts, axis=1)
    k = a.shape[1]
    if k == 0:  # no manager: no spread to measure
        return np.full(a.shape[0], np.nan)
    total = a.sum(axis=1)
    ranks = np.arange(1, k + 1)
    out = np.full(a.shape[0], np.nan)
    has = total > 0
    value = 2.0 * (a[has] @ ranks) / (k * total[has]) - (k + 1.0) / k
    out[has] = np.maximum(value, 0.0)
    return out


def jain_rows(amounts: FloatArray) -> FloatArray:
    """Jain's index of each row (``fairlead.plan.jain``'s formula); NaN for a zero row.

    Examples
    --------
    >>> import numpy as np
    >>> jain_rows(np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 3.0]])).round(4).tolist()
    [1.0, 0.3333]
    """
    square = np.sum(amounts * amounts, axis=1)
    out = np.full(amounts.shape[0], np.nan)
    has = square > 0
    out[has] = amounts[has].sum(axis=1) ** 2 / (amounts.shape[1] * square[has])
    return out
