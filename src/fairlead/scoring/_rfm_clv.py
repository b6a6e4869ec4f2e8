"""The per-customer summary BG/NBD-style CLV models take, computed as ``lifetimes`` does.

Frequency, recency, age ``T`` and mean repeat spend of each customer, from the same
transaction log as :func:`~fairlead.scoring._rfm.rfm` (a DataFrame or a mapping of
arrays), equal to ``lifetimes``' own summary (see :func:`clv_summary` for the last digits).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

from fairlead.core import FloatArray, IntArray
from fairlead.records import DateArray, DateLike, InputError, parse_date, show_date
from fairlead.scoring._purchases import check_not_future, read_purchases, run_starts, sort_log

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["clv_summary"]

CLV_COLUMNS = ("frequency", "recency", "T", "monetary_value")
_FREQS = ("D", "W", "h")


def _kahan_group_sums(values: FloatArray, starts: IntArray, n_groups: int) -> FloatArray:
    """Compensated (Kahan) sum of each contiguous group, in order, for all groups at once.

    Group ``g`` is ``values[starts[g]:starts[g + 1]]``. The same arithmetic as pandas'
    grouped mean (``y = v - c; t = s + y; c = (t - s) - y; s = t``), so results agree
    bit for bit. The loop runs over positions within a group (as many times as the
    largest group is long), each step vectorized over the groups that long.
    """
    total = np.zeros(n_groups)
    if n_groups == 0:
        return total
    sizes = np.diff(np.append(starts, len(values)))
    by_size = np.argsort(-sizes, kind="stable")
    first = starts[by_size]
    longest = int(sizes[by_size[0]])
    active = np.searchsorted(-sizes[by_size], -np.arange(longest), side="left")
    acc = np.zeros(n_groups)
    comp = np.zeros(n_groups)
    for k in range(longest):
        m = int(active[k])
        s = acc[:m]
        y = values[first[:m] + k] - comp[:m]
        t = s + y
        c = (t - s) - y
        c[np.isnan(c)] = 0.0  # an infinite sum: keep it infinite, as pandas does
        comp[:m] = c
        acc[:m] = t
    total[by_size] = acc
    return total


def _periods(stamps: DateArray, freq: str) -> IntArray:
    """Period number of each time stamp: days, Monday-based weeks, or hours."""
    if freq == "h":
        return stamps.astype("datetime64[h]").astype(np.int64)
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if freq == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; weeks start on Monday
    return days


@overload
def clv_summary(
    transactions: pd.DataFrame,
    *,
    customer: str = ...,
    date: str = ...,
    amount: str | None = ...,
    observation_end: DateLike | None = ...,
    freq: str = ...,
) -> pd.DataFrame: ...
@overload
def clv_summary(
    transactions: Mapping[str, Any],
    *,
    customer: str = ...,
    date: str = ...,
    amount: str | None = ...,
    observation_end: DateLike | None = ...,
    freq: str = ...,
) -> dict[str, npt.NDArray[Any]]: ...
def clv_summary(
    transactions: pd.DataFrame | Mapping[str, Any],
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str | None = "amount",
    observation_end: DateLike | None = None,
    freq: str = "D",
) -> pd.DataFrame | dict[str, npt.NDArray[Any]]:
    """Per-customer summary for BG/NBD-style models, as ``lifetimes`` computes it.

    The result equals ``lifetimes.utils.summary_data_from_transaction_data(df,
    customer, date, monetary_value_col=amount, observation_period_end=...,
    freq=freq)`` exactly, float for float, without needing lifetimes or pandas.
    The last-digit agreement of ``monetary_value`` assumes pandas >= 3.1 (the
    summation order lifetimes then gets from pandas); with an older pandas the two
    can differ in the last bits.

    Customer ids are read by the package's id rule, as :func:`rfm` reads them, and
    come out as text: where lifetimes keeps integer ids as integers (and sorts them
    by value), the summary holds ``"7"`` (sorted as text), and it counts ``" 7 "``,
    ``7`` and ``7.0`` as one customer where lifetimes counts three.

    Parameters
    ----------
    transactions : DataFrame or mapping of str to array_like
        One row per purchase (as for :func:`rfm`).
    customer, date : str
        Column names.
    amount : str or None, default "amount"
        Column of purchase amounts (finite, ``>= 0``); ``None`` leaves out
        ``monetary_value``.
    observation_end : date-like, optional
        End of the observation period. Default: the period of the last purchase.
        A purchase after it is an error ("future dates"); filter the log first to
        split calibration and holdout periods.
    freq : {"D", "W", "h"}, default "D"
        The period: days, weeks (Monday to Sunday, as pandas' ``"W"``) or hours.
        Purchases count by period.

    Returns
    -------
    DataFrame or dict of numpy arrays
        One row per customer, sorted by customer id as text (index for a DataFrame
        in, else a ``customer`` entry), all float:

        - ``frequency``: repeat purchase periods (distinct periods minus one);
        - ``recency``: periods from the first to the last purchase;
        - ``T``: periods from the first purchase to ``observation_end``;
        - ``monetary_value``: mean amount of the repeat periods (amounts summed per
          period, the first period left out); 0 when ``frequency`` is 0.

    Raises
    ------
    InputError
        As :func:`rfm`, and for an unknown ``freq``.

    Notes
    -----
    Sums per period are numpy's ``add.reduceat`` over the log sorted by customer,
    time and amount, and the mean over repeat periods is Kahan-compensated: the
    arithmetic pandas (>= 3.1) uses inside lifetimes, hence the exact agreement.

    Examples
    --------
    >>> tx = {
    ...     "customer_id": ["a", "a", "a", "a", "b"],
    ...     "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-02-01", "2024-01-20"],
    ...     "amount": [10.0, 5.0, 20.0, 30.0, 8.0],
    ... }
    >>> s = clv_summary(tx, observation_end="2024-03-01")
    >>> s["frequency"].tolist(), s["recency"].tolist(), s["T"].tolist()
    ([2.0, 0.0], [31.0, 0.0], [60.0, 41.0])
    >>> s["monetary_value"].tolist()
    [25.0, 0.0]
    """
    if freq not in _FREQS:
        raise InputError(f"freq must be one of {', '.join(map(repr, _FREQS))}, got {freq!r}")
    wanted = {"customer": customer, "date": date}
    if amount is not None:
        wanted["amount"] = amount
    log = read_purchases(transactions, wanted, CLV_COLUMNS)
    ids, stamps, spend, who = log.ids, log.stamps, log.spend, log.who
    period = _periods(stamps, freq)
    if observation_end is None:
        end = int(period.max())
    else:
        end_stamp = parse_date(observation_end, "observation_end")
        end = int(_periods(np.array([end_stamp]), freq)[0])
        check_not_future(period, end, stamps, who, "observation_end", show_date(end_stamp))

    time = stamps.astype("datetime64[us]").astype(np.int64)
    keys = (time, spend) if spend is not None else (time,)
    unique, order, inverse = sort_log(ids, *keys)
    cust_s, period_s = inverse[order], period[order]
    pstarts = run_starts(cust_s, period_s)  # one entry per (customer, period)
    p_cust, p_period = cust_s[pstarts], period_s[pstarts]
    first_of = run_starts(p_cust)  # index into the periods: each customer's first
    n_periods = np.diff(np.append(first_of, len(p_cust)))
    first = p_period[first_of]
    last = p_period[first_of + n_periods - 1]
    result: dict[str, npt.NDArray[Any]] = {
        "frequency": (n_periods - 1).astype(np.float64),
        "recency": (last - first).astype(np.float64),
        "T": (end - first).astype(np.float64),
    }
    if spend is not None:
        per_period = np.add.reduceat(spend[order], pstarts)
        repeat = np.ones(len(p_cust), dtype=np.bool_)
        repeat[first_of] = False
        repeats = n_periods - 1
        has = repeats > 0
        group_starts = (first_of + 1 - np.arange(1, len(first_of) + 1))[has]
        sums = _kahan_group_sums(per_period[repeat], group_starts, int(has.sum()))
        value = np.zeros(len(unique))
        value[has] = sums / repeats[has]
        result["monetary_value"] = value
    if log.frame:
        import pandas as pd

        return pd.DataFrame(result, index=pd.Index(unique, name=customer))
    return {customer: unique, **result}
