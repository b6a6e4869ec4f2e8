"""Fairness metrics of a distribution, and the report attached to every plan."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.core import FloatArray, InputError


def _amounts(x: npt.ArrayLike, metric: str) -> FloatArray:
    """``x`` as a 1-D array of finite amounts >= 0, or an error naming the metric."""
    if x is None or isinstance(x, str | bytes):
        raise InputError(f"{metric} needs a list of amounts, got {x!r}", field=metric, value=x)
    try:
        raw = np.asarray(x) if isinstance(x, np.ndarray) else np.asarray(x, dtype=object)
    except ValueError:  # ragged nesting
        raw = np.asarray(x, dtype=object)
    if raw.ndim != 1:
        raise InputError(
            f"{metric} needs a flat list of amounts, got shape {raw.shape}", field=metric, value=x
        )
    # a list may mix booleans into numbers, which numpy would read as 0 and 1
    if raw.dtype.kind not in "iuf" or not isinstance(x, np.ndarray):
        for i, item in enumerate(raw.tolist()):
            if isinstance(item, bool | np.bool_) or not isinstance(item, numbers.Real):
                raise InputError(
                    f"{metric} needs numbers; amount {i} is {item!r}", field=metric, value=item
                )
    a = np.asarray(raw, dtype=np.float64)
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{metric} needs finite, non-negative amounts; amount {i} is {a[i]:g}",
            field=metric,
            value=a[i],
        )
    return a


def gini(x: npt.ArrayLike) -> float:
    """Gini coefficient of non-negative amounts: 0 = all equal, near 1 = one takes all.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 4]), 3)
    0.75
    """
    a = np.sort(_amounts(x, "gini"))
    if a.size == 0 or a.sum() <= 0:
        return 0.0
    k = a.size
    ranks = np.arange(1, k + 1)
    value = (2.0 * np.sum(ranks * a) / (k * a.sum())) - (k + 1.0) / k
    return max(0.0, float(value))  # round-off can dip just below 0 for equal amounts


def jain(x: npt.ArrayLike) -> float:
    """Jain's fairness index ``(sum x)^2 / (k * sum x^2)``: 1 = all equal, 1/k = one takes all.

    Examples
    --------
    >>> jain([2, 2, 2])
    1.0
    >>> round(jain([0, 0, 3]), 4)
    0.3333
    """
    a = _amounts(x, "jain")
    square = float(np.sum(a * a))
    if a.size == 0 or square == 0:
        return 1.0
    return float(a.sum() ** 2 / (a.size * square))


def max_min_ratio(x: npt.ArrayLike) -> float:
    """Largest over smallest amount; ``inf`` when someone got nothing and another something.

    Examples
    --------
    >>> max_min_ratio([2, 4])
    2.0
    """
    a = _amounts(x, "max_min_ratio")
    if a.size == 0 or a.max() <= 0:
        return 1.0
    if a.min() <= 0:
        return float("inf")
    with np.errstate(over="ignore"):
        return float(a.max() / a.min())


@dataclass(frozen=True)
class FairnessReport:
    """How fairly a plan shares the batch among managers.

    Ratios compare each manager's load with their target, so a manager with half
    the free capacity and half the leads counts as treated equally.

    Attributes
    ----------
    manager_ids : tuple of str
    loads : ndarray
        Leads each manager received in this batch.
    targets : ndarray
        Target count of each manager (their fair share of the placed leads).
    target_shares, shares : ndarray
        Target and actual share of the assigned leads.
    share_deviation : ndarray
        ``shares - target_shares`` (positive: more than their share).
    value_shares : ndarray
        Share of the total expected value each manager received.
    gini, jain, max_min_ratio : float
        Of ``loads / targets`` over managers with a positive target.
    """

    manager_ids: tuple[str, ...]
    loads: FloatArray
    targets: FloatArray
    target_shares: FloatArray
    shares: FloatArray
    share_deviation: FloatArray
    value_shares: FloatArray
    gini: float
    jain: float
    max_min_ratio: float

    @property
    def max_abs_deviation(self) -> float:
        """Largest ``|share - target share|`` over managers."""
        return float(np.max(np.abs(self.share_deviation))) if self.share_deviation.size else 0.0

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per manager: id, load, target, shares, deviation, value share."""
        return [
            {
                "manager_id": mid,
                "load": float(self.loads[j]),
                "target": float(self.targets[j]),
                "target_share": float(self.target_shares[j]),
                "share": float(self.shares[j]),
                "share_deviation": float(self.share_deviation[j]),
                "value_share": float(self.value_shares[j]),
            }
            for j, mid in enumerate(self.manager_ids)
        ]

    def summary(self) -> str:
        """One line: Gini, Jain, max/min and the largest share deviation."""
        return (
            f"Gini {self.gini:.3f} | Jain {self.jain:.3f} | max/min {self.max_min_ratio:.2f} | "
            f"max share deviation {100 * self.max_abs_deviation:.1f} pp"
        )

    def __str__(self) -> str:
        width = max([len("manager"), *(len(m) for m in self.manager_ids)])
        lines = [
            f"{'manager':<{width}}  {'leads':>5}  {'target':>6}  {'share':>6}  "
            f"{'target%':>7}  {'dev pp':>6}  {'value%':>6}"
        ]
        for row in self.to_records():
            lines.append(
                f"{row['manager_id']:<{width}}  {row['load']:>5.0f}  {row['target']:>6.1f}  "
                f"{100 * row['share']:>5.1f}%  {100 * row['target_share']:>6.1f}%  "
                f"{100 * row['share_deviation']:>+6.1f}  {100 * row['value_share']:>5.1f}%"
            )
        lines.append(self.summary())
        return "\n".join(lines)


def fairness_report(
    manager_ids: Sequence[str],
    loads: FloatArray,
    target_shares: FloatArray,
    values: FloatArray,
) -> FairnessReport:
    """Build a :class:`FairnessReport` from loads, target shares and value per manager.

    Targets are the target shares applied to the number of leads actually placed.
    """
    placed = float(loads.sum())
    targets = target_shares * placed
    shares = loads / placed if placed > 0 else np.zeros_like(loads)
    total_value = float(values.sum())
    value_shares = values / total_value if total_value > 0 else np.zeros_like(values)
    counted = targets > 0
    ratio = loads[counted] / targets[counted]
    return FairnessReport(
        manager_ids=tuple(manager_ids),
        loads=loads,
        targets=targets,
        target_shares=target_shares,
        shares=shares,
        share_deviation=shares - target_shares,
        value_shares=value_shares,
        gini=gini(ratio),
        jain=jain(ratio),
        max_min_ratio=max_min_ratio(ratio),
    )
