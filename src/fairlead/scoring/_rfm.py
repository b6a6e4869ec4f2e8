"""RFM scores and segments of a client base: quintiles of recency, frequency, money.

The transaction log comes as a pandas DataFrame or as a mapping of equal-length
arrays, and the result is one row per customer, sorted by customer id (text, by the
package's id rule). The work is
vectorized numpy (one sort of the log, then segment reductions); pandas is imported
only when a DataFrame comes in, and then a DataFrame goes out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import numpy.typing as npt

from fairlead.core import IntArray
from fairlead.records import DateLike, parse_date, show_date
from fairlead.scoring._purchases import check_not_future, read_purchases, run_starts, sort_log
from fairlead.scoring._rfm_segments import N_SCORES, SegmentRule, SegmentTable, segment_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["quintile_scores", "rfm"]

RFM_COLUMNS = ("recency", "frequency", "monetary", "r_score", "f_score", "m_score", "segment")


def quintile_scores(values: npt.ArrayLike) -> IntArray:
    """Scores 1..5 by rank: the lowest fifth of ``values`` gets 1, the highest fifth 5.

    Ties are broken by position (a stable sort), so every score holds ``n / 5``
    items (rounded) whenever ``n >= 5``, however many values are tied. With
    0-based rank ``k`` of ``n`` items the score is ``floor(5 (2k + 1) / (2 n)) + 1``:
    the score of the rank's midpoint, so a single item scores 3.

    Examples
    --------
    >>> quintile_scores([1, 1, 1, 1, 1, 1, 1, 2, 3, 9]).tolist()
    [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    >>> quintile_scores([7.5]).tolist()
    [3]
    """
    array = np.asarray(values)
    n = array.size
    order = np.argsort(array, kind="stable")
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n, dtype=np.int64)
    return (N_SCORES * (2 * rank + 1)) // (2 * n) + 1 if n else rank


@overload
def rfm(
    transactions: pd.DataFrame,
    *,
    customer: str = ...,
    date: str = ...,
    amount: str = ...,
    now: DateLike | None = ...,
    segments: SegmentTable | Sequence[SegmentRule] | None = ...,
) -> pd.DataFrame: ...
@overload
def rfm(
    transactions: Mapping[str, Any],
    *,
    customer: str = ...,
    date: str = ...,
    amount: str = ...,
    now: DateLike | None = ...,
    segments: SegmentTable | Sequence[SegmentRule] | None = ...,
) -> dict[str, npt.NDArray[Any]]: ...
def rfm(
    transactions: pd.DataFrame | Mapping[str, Any],
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    now: DateLike | None = None,
    segments: SegmentTable | Sequence[SegmentRule] | None = None,
) -> pd.DataFrame | dict[str, npt.NDArray[Any]]:
    """Recency, frequency and monetary value of each customer, their scores and segment.

    Parameters
    ----------
    transactions : DataFrame or mapping of str to array_like
        One row per purchase. A DataFrame needs pandas; a mapping of equal-length
        arrays (e.g. a dict of lists or numpy arrays) needs numpy only.
    customer, date, amount : str
        Column names. Customer ids are read by the package's id rule
        (:func:`fairlead.records.read_id`): text is trimmed, integers and whole
        floats are the integer's text, so ``7``, ``" 7 "`` and ``7.0`` are one
        customer ``"7"``; other floats, booleans and blanks are refused. Dates may
        be ``datetime64``, ``date``/``datetime`` objects or strings (ISO
        ``"1998-06-30"`` or compact ``"19980630"``); they count by calendar day.
        Amounts must be finite and ``>= 0``.
    now : date-like, optional
        The day recency is measured from. Default: the day after the last
        transaction in the data (so the most recent customers have recency 1).
    segments : SegmentTable or sequence of SegmentRule, optional
        The segment map. Default: :data:`DEFAULT_SEGMENTS`, the widely used R x F
        grid of ten segments.

    Returns
    -------
    DataFrame or dict of numpy arrays
        One row per customer, sorted by customer id (as text: ``"10"`` before
        ``"9"``); a DataFrame (index: the customer ids, named ``customer``) for a
        DataFrame in, otherwise a dict with the customer column (text) and these:

        - ``recency`` (int): days from the last purchase day to ``now``;
        - ``frequency`` (int): number of distinct purchase days (several rows on one
          day, e.g. the lines of one order, count once);
        - ``monetary`` (float): total amount spent;
        - ``r_score``, ``f_score``, ``m_score`` (int, 1..5, 5 best): quintiles of
          ``-recency``, ``frequency`` and ``monetary`` by rank
          (:func:`quintile_scores`); ties are broken by customer id, so the five
          scores stay equally full even when most customers bought once;
        - ``segment`` (str): from the table, by ``(r_score, f_score[, m_score])``.

    Raises
    ------
    InputError
        On a missing column (the message lists those available), empty input, a
        missing or refused customer id, a missing or unreadable date, a missing,
        infinite or negative amount (naming the customer, the value and the row),
        or a purchase after ``now`` ("future dates").

    Examples
    --------
    >>> tx = {
    ...     "customer_id": ["a", "a", "b", "c", "c", "c", "d", "e"],
    ...     "date": ["2024-01-05", "2024-03-01", "2024-02-10", "2024-01-20",
    ...              "2024-02-20", "2024-03-10", "2024-01-02", "2024-03-09"],
    ...     "amount": [20.0, 35.0, 15.0, 50.0, 40.0, 60.0, 5.0, 25.0],
    ... }
    >>> table = rfm(tx, now="2024-03-11")
    >>> table["customer_id"].tolist()
    ['a', 'b', 'c', 'd', 'e']
    >>> table["recency"].tolist(), table["frequency"].tolist()
    ([10, 30, 1, 69, 2], [2, 1, 3, 1, 1])
    >>> table["r_score"].tolist(), table["f_score"].tolist(), table["m_score"].tolist()
    ([3, 2, 5, 1, 4], [4, 1, 5, 2, 3], [4, 2, 5, 1, 3])
    >>> table["segment"].tolist()
    ['loyal_customers', 'hibernating', 'champions', 'hibernating', 'potential_loyalists']
    >>> rfm(tx, now="2024-03-01")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.InputError: future dates: customer 'c' bought on 2024-03-10, after now (2024-03-01) ...
    """
    table = segment_table(segments)
    log = read_purchases(
        transactions, {"customer": customer, "date": date, "amount": amount}, RFM_COLUMNS
    )
    ids, stamps, spend, who = log.ids, log.stamps, log.spend, log.who
    assert spend is not None  # the amount column was asked for
    days = stamps.astype("datetime64[D]").astype(np.int64)
    if now is None:
        today = int(days.max()) + 1
    else:
        now_stamp = parse_date(now, "now")
        today = int(now_stamp.astype("datetime64[D]").astype(np.int64))
        check_not_future(days, today, stamps, who, "now", show_date(now_stamp))

    unique, order, inverse = sort_log(ids, days, spend)
    cust_s, days_s, spend_s = inverse[order], days[order], spend[order]
    starts = run_starts(cust_s)
    last = np.append(starts[1:], len(cust_s)) - 1
    recency = today - days_s[last]
    frequency = np.bincount(cust_s[run_starts(cust_s, days_s)], minlength=len(unique))
    monetary = np.add.reduceat(spend_s, starts)
    r_score = quintile_scores(-recency)
    f_score = quintile_scores(frequency)
    m_score = quintile_scores(monetary)
    result: dict[str, npt.NDArray[Any]] = {
        "recency": recency.astype(np.int64),
        "frequency": frequency.astype(np.int64),
        "monetary": monetary,
        "r_score": r_score,
        "f_score": f_score,
        "m_score": m_score,
        "segment": table.assign(r_score, f_score, m_score),
    }
    if log.frame:
        import pandas as pd

        return pd.DataFrame(result, index=pd.Index(unique, name=customer))
    return {customer: unique, **result}
