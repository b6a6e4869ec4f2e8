"""Manager performance from history: conversion, deal size, response time, each shrunk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fairlead.records import InputError, read_ids
from fairlead.scoring._features import FloatArray, as_columns
from fairlead.scoring._shrinkage import fit_prior_strength, shrink_means, shrink_rates


@dataclass(frozen=True)
class ManagerPerformance:
    """Each manager's track record, raw and shrunk towards the team.

    Attributes
    ----------
    manager_ids : tuple of str
    leads, conversions : ndarray
        Leads worked and won.
    conversion, conversion_shrunk : ndarray
        Raw and empirical-Bayes (beta-binomial) conversion rate.
    avg_deal, avg_deal_shrunk : ndarray or None
        Raw and shrunk (normal-normal) mean value of won deals.
    response_minutes, response_minutes_shrunk : ndarray or None
        Raw and shrunk geometric mean of the first-response time (shrunk on the log
        scale, so one very slow reply does not dominate).
    index : ndarray
        Expected revenue per lead (shrunk conversion times shrunk deal size, or shrunk
        conversion alone without deal values) relative to the team's average: 1.0 is
        an average performer. ``Policy(target_share="performance")`` uses it.
    """

    manager_ids: tuple[str, ...]
    leads: FloatArray
    conversions: FloatArray
    conversion: FloatArray
    conversion_shrunk: FloatArray
    avg_deal: FloatArray | None
    avg_deal_shrunk: FloatArray | None
    response_minutes: FloatArray | None
    response_minutes_shrunk: FloatArray | None
    index: FloatArray

    def as_mapping(self) -> dict[str, float]:
        """Manager id → performance index, ready for ``Manager(performance=...)``."""
        return {m: float(v) for m, v in zip(self.manager_ids, self.index, strict=True)}

    def to_records(self) -> list[dict[str, Any]]:
        """One dict per manager with every figure."""
        rows: list[dict[str, Any]] = []
        for j, mid in enumerate(self.manager_ids):
            row: dict[str, Any] = {
                "manager_id": mid,
                "leads": int(self.leads[j]),
                "conversions": int(self.conversions[j]),
                "conversion": float(self.conversion[j]),
                "conversion_shrunk": float(self.conversion_shrunk[j]),
                "index": float(self.index[j]),
            }
            if self.avg_deal is not None and self.avg_deal_shrunk is not None:
                row["avg_deal"] = float(self.avg_deal[j])
                row["avg_deal_shrunk"] = float(self.avg_deal_shrunk[j])
            if self.response_minutes is not None and self.response_minutes_shrunk is not None:
                row["response_minutes"] = float(self.response_minutes[j])
                row["response_minutes_shrunk"] = float(self.response_minutes_shrunk[j])
            rows.append(row)
        return rows

    def to_frame(self) -> Any:
        """The records as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_frame() needs pandas: pip install 'fairlead[pandas]'") from None
        return pd.DataFrame.from_records(self.to_records()).set_index("manager_id")


def _column(columns: dict[str, np.ndarray[Any, Any]], name: str) -> np.ndarray[Any, Any]:
    if name not in columns:
        raise InputError(f"history has no column {name!r}; it has {sorted(columns)}")
    return columns[name]


def _numbers(values: np.ndarray[Any, Any], name: str, *, allow_nan: bool) -> FloatArray:
    try:
        x = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        for row, value in enumerate(values.tolist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise InputError(
                    f"history column {name!r} must hold numbers, got {value!r} in row {row}"
                ) from None
        raise InputError(f"history column {name!r} must hold numbers") from None
    bad = np.isinf(x) | (np.isnan(x) & (not allow_nan)) | (x < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"history column {name!r} must hold finite numbers >= 0, got {values[row]!r} "
            f"in row {row}"
        )
    return x


def manager_performance(
    history: Any,
    *,
    manager: str = "manager_id",
    outcome: str = "converted",
    deal_value: str | None = None,
    response_minutes: str | None = None,
) -> ManagerPerformance:
    """Each manager's conversion, average deal and response time, shrunk towards the team.

    Parameters
    ----------
    history : DataFrame, mapping of columns or list of records
        One row per past lead.
    manager, outcome : str
        Columns with the manager id and the outcome (0/1 or bool). Ids are read by
        the id rule (:func:`fairlead.records.read_id`): ``7``, ``7.0`` and ``" 7 "``
        are the same manager ``"7"``.
    deal_value : str, optional
        Column with the deal value (read on won rows only; missing values allowed).
    response_minutes : str, optional
        Column with the minutes to first response (missing values allowed).

    Examples
    --------
    >>> history = {
    ...     "manager_id": ["ann"] * 40 + ["bob"] * 40 + ["new"] * 2,
    ...     "converted": [1] * 16 + [0] * 24 + [1] * 6 + [0] * 34 + [1, 1],
    ... }
    >>> perf = manager_performance(history)
    >>> perf.conversion.round(2).tolist()      # the newcomer's 2/2 is luck
    [0.4, 0.15, 1.0]
    >>> bool(perf.conversion_shrunk[2] < 0.5)
    True
    """
    names, arrays = as_columns(history, what="history")
    columns = dict(zip(names, arrays, strict=True))
    who = read_ids(_column(columns, manager), "manager id", field=manager)
    raw_outcome = _column(columns, outcome)
    won = _numbers(raw_outcome, outcome, allow_nan=False)
    if not np.isin(won, (0.0, 1.0)).all():
        row = int(np.flatnonzero(~np.isin(won, (0.0, 1.0)))[0])
        raise InputError(
            f"history column {outcome!r} must hold 0/1, got {raw_outcome[row]!r} in row {row}"
        )
    if who.size == 0:
        raise InputError("history is empty")
    ids, idx = np.unique(who, return_inverse=True)
    m = ids.size
    leads = np.bincount(idx, minlength=m).astype(np.float64)
    wins = np.bincount(idx, weights=won, minlength=m).astype(np.float64)
    team_rate = float(wins.sum() / leads.sum())
    strength = fit_prior_strength(wins, leads, team_rate)
    conversion = wins / leads
    conversion_shrunk = shrink_rates(wins, leads, team_rate, strength)

    avg_deal = avg_deal_shrunk = None
    value_per_lead = conversion_shrunk.copy()
    if deal_value is not None:
        deal = _numbers(_column(columns, deal_value), deal_value, allow_nan=True)
        use = (won == 1.0) & ~np.isnan(deal)
        n_deals = np.bincount(idx[use], minlength=m).astype(np.float64)
        sums = np.bincount(idx[use], weights=deal[use], minlength=m)
        squares = np.bincount(idx[use], weights=deal[use] ** 2, minlength=m)
        avg_deal = np.where(n_deals > 0, sums / np.maximum(n_deals, 1.0), np.nan)
        avg_deal_shrunk, _ = shrink_means(sums, n_deals, squares)
        value_per_lead = conversion_shrunk * avg_deal_shrunk

    minutes = minutes_shrunk = None
    if response_minutes is not None:
        wait = _numbers(_column(columns, response_minutes), response_minutes, allow_nan=True)
        use = ~np.isnan(wait)
        logs = np.log1p(wait[use])
        n_obs = np.bincount(idx[use], minlength=m).astype(np.float64)
        sums = np.bincount(idx[use], weights=logs, minlength=m)
        squares = np.bincount(idx[use], weights=logs**2, minlength=m)
        minutes = np.where(n_obs > 0, np.expm1(sums / np.maximum(n_obs, 1.0)), np.nan)
        shrunk_logs, _ = shrink_means(sums, n_obs, squares)
        minutes_shrunk = np.expm1(shrunk_logs)

    team_value = float(np.average(value_per_lead, weights=leads))
    index = value_per_lead / team_value if team_value > 0 else np.ones(m)
    return ManagerPerformance(
        manager_ids=tuple(ids.tolist()),
        leads=leads,
        conversions=wins,
        conversion=conversion,
        conversion_shrunk=conversion_shrunk,
        avg_deal=avg_deal,
        avg_deal_shrunk=avg_deal_shrunk,
        response_minutes=minutes,
        response_minutes_shrunk=minutes_shrunk,
        index=index,
    )
