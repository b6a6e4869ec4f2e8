"""RFM scores and segments, and the lifetimes-compatible CLV summary."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re
import subprocess
import sys
import textwrap
import warnings
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead import InputError
from fairlead.scoring._rfm import quintile_scores, rfm
from fairlead.scoring._rfm_clv import clv_summary
from fairlead.scoring._rfm_segments import DEFAULT_SEGMENTS, SegmentRule, SegmentTable

DEFAULT_NAMES = {
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose",
    "hibernating",
}


def _lifetimes_summary() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes.utils import (  # type: ignore[import-untyped]
            summary_data_from_transaction_data,
        )

    def run(*args: Any, **kwargs: Any) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary: pd.DataFrame = summary_data_from_transaction_data(*args, **kwargs)
            return summary

    return run


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    path = importlib.metadata.distribution("lifetimes").locate_file(
        "lifetimes/datasets/CDNOW_master.txt"
    )
    return pd.read_csv(str(path), sep=r"\s+", dtype={"customer_id": str, "date": str})


@pytest.fixture(scope="module")
def lifetimes_summary() -> Any:
    return _lifetimes_summary()


# --------------------------------------------------------------------------- lifetimes parity


@pytest.mark.parametrize("observation_end", ["1998-06-30", None])
def test_clv_summary_equals_lifetimes_on_cdnow(
    cdnow: pd.DataFrame, lifetimes_summary: Any, observation_end: str | None
) -> None:
    assert len(cdnow) == 69_659
    ref = lifetimes_summary(
        cdnow,
        "customer_id",
        "date",
        monetary_value_col="dollar_value",
        observation_period_end=observation_end,
    )
    ours = clv_summary(
        cdnow,
        customer="customer_id",
        date="date",
        amount="dollar_value",
        observation_end=observation_end,
    )
    assert len(ours) == 23_570
    assert ours.index.tolist() == ref.index.tolist()
    for column in ("frequency", "recency", "T", "monetary_value"):
        assert np.array_equal(ours[column].to_numpy(), ref[column].to_numpy()), column
    pd.testing.assert_frame_equal(ours, ref, check_exact=True)


@pytest.mark.parametrize("freq", ["W", "h"])
def test_clv_summary_equals_lifetimes_for_weeks_and_hours(
    cdnow: pd.DataFrame, lifetimes_summary: Any, freq: str
) -> None:
    ref = lifetimes_summary(
        cdnow,
        "customer_id",
        "date",
        monetary_value_col="dollar_value",
        observation_period_end="1998-07-02",
        freq=freq,
    )
    ours = clv_summary(cdnow, amount="dollar_value", observation_end="1998-07-02", freq=freq)
    pd.testing.assert_frame_equal(ours, ref, check_exact=True)


def test_clv_summary_without_amount_equals_lifetimes(
    cdnow: pd.DataFrame, lifetimes_summary: Any
) -> None:
    ref = lifetimes_summary(cdnow, "customer_id", "date", observation_period_end="1998-06-30")
    ours = clv_summary(cdnow, amount=None, observation_end="1998-06-30")
    assert list(ours.columns) == ["frequency", "recency", "T"]
    pd.testing.assert_frame_equal(ours, ref, check_exact=True)


def test_clv_summary_mapping_and_shuffled_rows_agree(cdnow: pd.DataFrame) -> None:
    frame = clv_summary(cdnow, amount="dollar_value", observation_end="1998-06-30")
    shuffled = cdnow.sample(frac=1.0, random_state=0)
    mapping = {c: shuffled[c].to_numpy() for c in shuffled.columns}
    out = clv_summary(mapping, amount="dollar_value", observation_end="1998-06-30")
    assert set(out) == {"customer_id", "frequency", "recency", "T", "monetary_value"}
    assert out["customer_id"].tolist() == frame.index.tolist()
    for column in frame.columns:
        assert np.array_equal(out[column], frame[column].to_numpy()), column


_day = st.dates(min_value=dt.date(2023, 1, 1), max_value=dt.date(2023, 3, 31))
_cents = st.integers(min_value=0, max_value=50_000).map(lambda c: c / 100)
_rows = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]), _day, _cents),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40)
@given(rows=_rows, freq=st.sampled_from(["D", "W"]))
def test_clv_summary_equals_lifetimes_on_random_logs(
    rows: list[tuple[str, dt.date, float]], freq: str
) -> None:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = frame["date"].map(lambda d: d.strftime("%Y%m%d"))
    ref = _lifetimes_summary()(
        frame,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end="2023-04-30",
        freq=freq,
    )
    ours = clv_summary(frame, observation_end="2023-04-30", freq=freq)
    pd.testing.assert_frame_equal(ours, ref, check_exact=True)


# --------------------------------------------------------------------------- RFM on CDNOW


def test_rfm_on_cdnow(cdnow: pd.DataFrame) -> None:
    table = rfm(cdnow, amount="dollar_value")
    assert list(table.columns) == [
        "recency",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "segment",
    ]
    assert table.index.name == "customer_id"
    assert len(table) == 23_570
    assert table["recency"].min() == 1  # now defaults to the day after the last purchase
    # Most customers bought on one day only, yet the five f bins stay equally full.
    assert (table["frequency"] == 1).mean() > 0.5
    for score in ("r_score", "f_score", "m_score"):
        assert table[score].value_counts().tolist() == [4714] * 5
    assert set(table["segment"]) <= DEFAULT_NAMES
    one = table.loc["00003"]
    assert (one["recency"], one["frequency"]) == (34, 6)
    assert one["monetary"] == pytest.approx(156.46)


def test_frequency_counts_distinct_days_and_monetary_sums() -> None:
    tx = {
        "customer_id": ["x", "x", "x", "y"],
        "date": ["2024-01-01", "2024-01-01 15:30", "2024-01-03", "2024-01-02"],
        "amount": [1.0, 2.0, 4.0, 8.0],
    }
    table = rfm(tx, now="2024-01-10")
    assert table["frequency"].tolist() == [2, 1]
    assert table["monetary"].tolist() == [7.0, 8.0]
    assert table["recency"].tolist() == [7, 8]


# --------------------------------------------------------------------------- RFM properties


def _reference(
    rows: list[tuple[str, dt.date, float]], now: dt.date
) -> dict[str, tuple[int, int, float]]:
    days: dict[str, set[dt.date]] = defaultdict(set)
    spend: dict[str, float] = defaultdict(float)
    for customer, day, amount in rows:
        days[customer].add(day)
        spend[customer] += amount
    return {c: ((now - max(days[c])).days, len(days[c]), spend[c]) for c in days}


_ids = st.text(alphabet="abcdefghij", min_size=1, max_size=2)
_small_amounts = st.sampled_from([0.0, 5.0, 10.0, 10.0, 25.5, 100.0])
_log = st.lists(st.tuples(_ids, _day, _small_amounts), min_size=1, max_size=80)


@given(rows=_log)
def test_rfm_properties(rows: list[tuple[str, dt.date, float]]) -> None:
    now = dt.date(2023, 4, 1)
    tx: dict[str, list[Any]] = {
        "customer_id": [r[0] for r in rows],
        "date": [r[1] for r in rows],
        "amount": [r[2] for r in rows],
    }
    table = rfm(tx, now=now)
    ids = table["customer_id"].tolist()
    n = len(ids)
    assert ids == sorted(set(ids))

    expected = _reference(rows, now)
    assert set(ids) == set(expected)
    for k, customer in enumerate(ids):
        recency, frequency, monetary = expected[customer]
        assert table["recency"][k] == recency
        assert table["frequency"][k] == frequency
        assert table["monetary"][k] == pytest.approx(monetary)

    for score in ("r_score", "f_score", "m_score"):
        values = table[score]
        assert values.dtype == np.int64
        assert values.min() >= 1
        assert values.max() <= 5
        if n >= 5:
            counts = np.bincount(values, minlength=6)[1:]
            assert (counts > 0).all()
            assert (np.abs(counts - n / 5) < 1).all()

    # Better raw value, never a lower score (recency: lower is better).
    for raw, score, sign in (("recency", "r_score", -1), ("frequency", "f_score", 1)):
        x = sign * table[raw]
        s = table[score]
        better = x[:, None] > x[None, :]
        assert (s[:, None] >= s[None, :])[better].all()
    m = np.round(table["monetary"], 6)
    better = m[:, None] > m[None, :]
    assert (table["m_score"][:, None] >= table["m_score"][None, :])[better].all()

    for k in range(n):
        r, f = int(table["r_score"][k]), int(table["f_score"][k])
        assert table["segment"][k] == DEFAULT_SEGMENTS.segment_of(r, f)

    frame = rfm(pd.DataFrame(tx), now=now)
    assert frame.index.tolist() == ids
    for column in frame.columns:
        assert frame[column].tolist() == table[column].tolist(), column

    reversed_tx = {key: list(reversed(col)) for key, col in tx.items()}
    again = rfm(reversed_tx, now=now)
    for column in ("recency", "frequency", "r_score", "f_score", "m_score", "segment"):
        assert again[column].tolist() == table[column].tolist(), column


@given(values=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=200))
def test_quintile_scores_fill_five_equal_bins(values: list[int]) -> None:
    scores = quintile_scores(values)
    n = len(values)
    counts = np.bincount(scores, minlength=6)[1:]
    assert counts.sum() == n
    if n >= 5:
        assert (np.abs(counts - n / 5) < 1).all()
    order = np.argsort(values, kind="stable")
    assert (np.diff(scores[order]) >= 0).all()


def test_single_customer_scores_in_the_middle() -> None:
    table = rfm({"customer_id": [7], "date": ["2024-01-01"], "amount": [3]})
    assert table["customer_id"].tolist() == ["7"]  # ids are text, by the id rule
    assert (table["r_score"][0], table["f_score"][0], table["m_score"][0]) == (3, 3, 3)
    assert table["segment"].tolist() == ["need_attention"]


# --------------------------------------------------------------------------- date forms


def test_date_forms_agree() -> None:
    iso = ["2024-01-05", "2024-02-01", "2024-02-01", "2024-03-03"]
    forms: list[Any] = [
        iso,
        ["20240105", "20240201", "20240201", "20240303"],
        [dt.date(2024, 1, 5), dt.date(2024, 2, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 3)],
        [dt.datetime(2024, 1, 5, 9), dt.datetime(2024, 2, 1, 23, 59), "2024-02-01", "2024-03-03"],
        np.array(iso, dtype="datetime64[D]"),
        np.array(iso, dtype="datetime64[ns]"),
        pd.to_datetime(pd.Series(iso)),
        pd.to_datetime(pd.Series(iso)).dt.tz_localize("Europe/Berlin"),
        [pd.Timestamp(d) for d in iso],
    ]
    results = []
    for dates in forms:
        tx = {"customer_id": ["a", "b", "a", "c"], "date": dates, "amount": [1, 2, 3, 4]}
        out = rfm(tx, now=dt.date(2024, 3, 10))
        results.append((out["recency"].tolist(), out["frequency"].tolist()))
    assert all(r == results[0] for r in results)
    assert results[0] == ([38, 38, 7], [2, 1, 1])


def test_now_forms_agree() -> None:
    tx = {"customer_id": ["a"], "date": ["2024-01-01"], "amount": [1.0]}
    for now in (
        "2024-01-11",
        "20240111",
        dt.date(2024, 1, 11),
        dt.datetime(2024, 1, 11, 18),
        np.datetime64("2024-01-11"),
        pd.Timestamp("2024-01-11", tz="UTC"),
    ):
        assert rfm(tx, now=now)["recency"].tolist() == [10]


def test_customer_id_may_be_the_frame_index() -> None:
    frame = pd.DataFrame(
        {"date": ["2024-01-01", "2024-01-02"], "amount": [1.0, 2.0]},
        index=pd.Index(["a", "b"], name="customer_id"),
    )
    assert rfm(frame).index.tolist() == ["a", "b"]


def test_core_needs_no_pandas() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pandas"] = None  # any import of pandas now fails
        from fairlead.scoring._rfm import rfm
        from fairlead.scoring._rfm_clv import clv_summary
        tx = {"customer_id": ["a", "b", "a"], "date": ["2024-01-01", "2024-01-02",
              "2024-01-09"], "amount": [1.0, 2.0, 3.0]}
        table = rfm(tx)
        summary = clv_summary(tx)
        assert table["frequency"].tolist() == [2, 1], table
        assert summary["monetary_value"].tolist() == [3.0, 0.0], summary
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# --------------------------------------------------------------------------- segment tables


def test_default_table_covers_every_cell_once() -> None:
    for r in range(1, 6):
        for f in range(1, 6):
            covering = [
                rule.name
                for rule in DEFAULT_SEGMENTS.rules
                if rule.r[0] <= r <= rule.r[1] and rule.f[0] <= f <= rule.f[1]
            ]
            assert len(covering) == 1, (r, f, covering)
    assert set(DEFAULT_SEGMENTS.names) == DEFAULT_NAMES
    assert not DEFAULT_SEGMENTS.uses_m
    grid = {(r, f): DEFAULT_SEGMENTS.segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
    assert grid[5, 5] == grid[5, 4] == "champions"
    assert grid[3, 4] == grid[4, 5] == "loyal_customers"
    assert grid[4, 2] == grid[5, 3] == "potential_loyalists"
    assert grid[5, 1] == "new_customers"
    assert grid[4, 1] == "promising"
    assert grid[3, 3] == "need_attention"
    assert grid[3, 1] == grid[3, 2] == "about_to_sleep"
    assert grid[1, 3] == grid[2, 4] == "at_risk"
    assert grid[1, 5] == grid[2, 5] == "cant_lose"
    assert grid[1, 1] == grid[2, 2] == "hibernating"


def test_custom_table_is_used() -> None:
    table = SegmentTable(
        [
            SegmentRule("big", r=(1, 5), f=(1, 5), m=(4, 5)),
            SegmentRule("small", r=(1, 5), f=(1, 5), m=(1, 3)),
        ]
    )
    assert table.uses_m
    tx = {
        "customer_id": list("abcde"),
        "date": ["2024-01-01"] * 5,
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
    out = rfm(tx, segments=table)
    assert out["segment"].tolist() == ["small", "small", "small", "big", "big"]
    as_list = rfm(tx, segments=list(table.rules))
    assert as_list["segment"].tolist() == out["segment"].tolist()


def test_table_with_a_gap_names_the_cell() -> None:
    rules = [r for r in DEFAULT_SEGMENTS.rules if r.name != "promising"]
    with pytest.raises(ValueError, match=r"leaves cell r=4, f=1 uncovered;"):
        SegmentTable(rules)


def test_table_with_an_overlap_names_the_cell_and_rules() -> None:
    rules = [*DEFAULT_SEGMENTS.rules, SegmentRule("vip", r=(5, 5), f=(5, 5))]
    with pytest.raises(
        ValueError, match=r"covers cell r=5, f=5 twice: by 'champions' and by 'vip'"
    ):
        SegmentTable(rules)


def test_table_using_m_needs_every_m_cell() -> None:
    with pytest.raises(ValueError, match=r"leaves cell r=1, f=1, m=4 uncovered"):
        SegmentTable([SegmentRule("low", r=(1, 5), f=(1, 5), m=(1, 3))])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "", "r": (1, 5), "f": (1, 5)}, "name of a segment rule must be a non-empty"),
        (
            {"name": "x", "r": (1, 6), "f": (1, 5)},
            r"r of segment rule 'x' must satisfy .* \(1, 6\)",
        ),
        ({"name": "x", "r": (3, 2), "f": (1, 5)}, r"must satisfy 1 <= low <= high <= 5"),
        ({"name": "x", "r": (1, 5), "f": 3}, r"f of segment rule 'x' must be a pair"),
        ({"name": "x", "r": (1, 5), "f": (1, 5), "m": (0, 1)}, r"m of segment rule 'x'"),
    ],
)
def test_bad_segment_rules(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SegmentRule(**kwargs)


def test_bad_tables() -> None:
    with pytest.raises(ValueError, match="segment table has no rules"):
        SegmentTable(())
    with pytest.raises(ValueError, match="rule 0 of the segment table must be a SegmentRule"):
        SegmentTable((("x", (1, 5), (1, 5)),))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="segments must be a SegmentTable"):
        rfm({"customer_id": [1], "date": ["2024-01-01"], "amount": [1]}, segments="abc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="this segment table uses m_score: give m"):
        SegmentTable([SegmentRule("all", r=(1, 5), f=(1, 5), m=(1, 5))]).segment_of(1, 1)
    with pytest.raises(ValueError, match=r"r must be a score in 1\.\.5, got 0"):
        DEFAULT_SEGMENTS.segment_of(0, 1)


# --------------------------------------------------------------------------- bad input


def _tx(**changes: Any) -> dict[str, Any]:
    tx: dict[str, Any] = {
        "customer_id": ["a", "b", "c"],
        "date": ["2024-01-01", "2024-01-02", "2024-01-03"],
        "amount": [10.0, 20.0, 30.0],
    }
    tx.update(changes)
    return tx


@pytest.mark.parametrize("function", [rfm, clv_summary])
@pytest.mark.parametrize(
    ("tx", "message"),
    [
        (
            {"customer_id": ["a"], "day": ["2024-01-01"], "amount": [1.0]},
            r"no column 'date' in transactions \(the date column; pass date=\.\.\. to name "
            r"another\); available: 'customer_id', 'day', 'amount'",
        ),
        (_tx(amount=[10.0, -5.0, 1.0]), r"amount of customer 'b' must be >= 0, got -5 \(row 1"),
        (_tx(amount=[10.0, float("nan"), 1.0]), r"amount of customer 'b' is missing \(row 1\)"),
        (_tx(amount=[10.0, None, 1.0]), r"amount of customer 'b' is missing \(row 1\)"),
        (_tx(amount=[10.0, float("inf"), 1.0]), r"amount of customer 'b' must be finite, got inf"),
        (_tx(amount=[10.0, "7", 1.0]), r"amount of customer 'b' must be a number, got '7'"),
        (_tx(amount=["1", "2", "3"]), r"amount must hold numbers, got <U1 \(e.g. '1'\)"),
        (_tx(amount=[True, False, True]), r"amount must hold numbers, got booleans"),
        (
            _tx(date=["2024-01-01", None, "2024-01-03"]),
            r"date of customer 'b' is missing \(row 1\)",
        ),
        (_tx(date=["2024-01-01", "", "2024-01-03"]), r"date of customer 'b' is missing \(row 1\)"),
        (
            _tx(date=np.array(["2024-01-01", "NaT", "2024-01-03"], dtype="datetime64[D]")),
            r"date of customer 'b' is missing \(row 1\)",
        ),
        (
            _tx(date=["2024-01-01", "2024-01-02", "soon"]),
            r"date of customer 'c' is not a date, got 'soon' \(row 2\)",
        ),
        (
            _tx(date=["20240101", "20240231", "20240103"]),
            r"date of customer 'b' is not a date, got '20240231' \(row 1\)",
        ),
        (
            _tx(date=["2024-01-01", "202401", "2024-01-03"]),
            r"date of customer 'b' is not a date, got '202401'",
        ),
        (_tx(date=[20240101, 20240102, 20240103]), r"date must hold dates .* got int64"),
        (
            _tx(customer_id=["a", None, "c"]),
            r"customer_id is missing in row 1",
        ),
        (
            _tx(customer_id=["a", 2.5, "c"]),
            r"customer_id in row 1 must be text or a whole number, got float 2.5",
        ),
        (_tx(customer_id=[1.0, float("nan"), 2.0]), r"customer_id is missing in row 1"),
        (
            {"customer_id": [], "date": [], "amount": []},
            r"transactions are empty; at least one purchase is needed",
        ),
        (
            _tx(amount=[1.0, 2.0]),
            r"columns of transactions must have equal lengths: 'customer_id' has 3, "
            r"'date' has 3, 'amount' has 2",
        ),
        (_tx(amount=5.0), r"column 'amount' must be an array of values, got float"),
        ([("a", "2024-01-01", 1.0)], r"transactions must be a pandas DataFrame or a mapping"),
    ],
)
def test_bad_transactions(function: Any, tx: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        function(tx)


def test_bad_dataframe_columns() -> None:
    frame = pd.DataFrame(_tx())
    with pytest.raises(
        ValueError, match=r"no column 'value' in transactions \(the amount column.*'amount'"
    ):
        rfm(frame, amount="value")
    frame = pd.DataFrame(_tx(amount=[1.0, -2.5, 3.0]))
    with pytest.raises(ValueError, match=r"amount of customer 'b' must be >= 0, got -2.5"):
        rfm(frame)
    frame = pd.DataFrame({"customer_id": ["a"], "date": ["2024-01-01"], "amount": [None]})
    with pytest.raises(ValueError, match=r"amount of customer 'a' is missing"):
        rfm(frame)
    frame = pd.DataFrame(_tx(amount=pd.array([1, None, 3], dtype="Int64")))
    with pytest.raises(ValueError, match=r"amount of customer 'b' is missing \(row 1\)"):
        clv_summary(frame)


def test_future_dates() -> None:
    with pytest.raises(
        ValueError,
        match=r"future dates: customer 'c' bought on 2024-01-03, after now \(2024-01-02\) "
        r"\(row 2; 1 row\(s\) in all\)",
    ):
        rfm(_tx(), now="2024-01-02")
    with pytest.raises(
        ValueError,
        match=r"future dates: customer 'b' bought on 2024-01-02, after observation_end "
        r"\(2024-01-01\) \(row 1; 2 row\(s\) in all\)",
    ):
        clv_summary(_tx(), observation_end="2024-01-01")
    # The same day as now (even later that day) is not in the future.
    assert rfm(_tx(date=["2024-01-01", "2024-01-02", "2024-01-03 18:00"]), now="2024-01-03")[
        "recency"
    ].tolist() == [2, 1, 0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"now": "tomorrow"}, r"now is not a date, got 'tomorrow'"),
        ({"now": 5}, r"now must be a date \(e.g. '1998-06-30', datetime.date\), got 5"),
        ({"customer": "segment"}, r"customer column 'segment' clashes with an output column"),
    ],
)
def test_bad_rfm_options(kwargs: dict[str, Any], message: str) -> None:
    tx = _tx()
    if "customer" in kwargs:
        tx["segment"] = tx.pop("customer_id")
    with pytest.raises(ValueError, match=message):
        rfm(tx, **kwargs)


def test_bad_clv_options() -> None:
    with pytest.raises(ValueError, match=r"freq must be one of 'D', 'W', 'h', got 'M'"):
        clv_summary(_tx(), freq="M")
    with pytest.raises(ValueError, match=r"observation_end is not a date, got '2024-13-01'"):
        clv_summary(_tx(), observation_end="2024-13-01")


# --------------------------------------------------------------------------- column names


@pytest.mark.parametrize("as_frame", [True, False], ids=["DataFrame", "mapping"])
@pytest.mark.parametrize(
    ("function", "role"),
    [
        (rfm, "customer"),
        (rfm, "date"),
        (rfm, "amount"),
        (clv_summary, "customer"),
        (clv_summary, "date"),
    ],
)
@pytest.mark.parametrize("name", [None, ["amount"]], ids=["None", "list"])
def test_a_column_name_that_is_none_or_unhashable_is_an_error_naming_the_argument(
    function: Any, role: str, name: Any, as_frame: bool
) -> None:
    # pandas names an unnamed index None: amount=None used to read the index as amounts.
    tx = pd.DataFrame(_tx()) if as_frame else _tx()
    with pytest.raises(
        ValueError, match=rf"^{role} must be a column name, got {re.escape(repr(name))}$"
    ):
        function(tx, **{role: name})


def test_clv_summary_without_amount_still_leaves_out_monetary_value() -> None:
    summary = clv_summary(pd.DataFrame(_tx()), amount=None)
    assert list(summary.columns) == ["frequency", "recency", "T"]


def test_a_named_index_is_still_read_as_a_column() -> None:
    by_index = rfm(pd.DataFrame(_tx()).set_index("customer_id"), now="2024-01-04")
    by_column = rfm(pd.DataFrame(_tx()), now="2024-01-04")
    pd.testing.assert_frame_equal(by_index, by_column)


def test_segment_names_alike_by_the_label_rule_are_one_segment() -> None:
    table = SegmentTable(
        [
            SegmentRule("Active", r=(3, 5), f=(1, 5)),
            SegmentRule("lapsed", r=(1, 1), f=(1, 5)),
            SegmentRule(" ACTIVE ", r=(2, 2), f=(1, 5)),
        ]
    )
    assert table.names == ("Active", "lapsed")
    assert table.segment_of(2, 3) == table.segment_of(4, 3) == "Active"
    with pytest.raises(ValueError, match="name of a segment rule must be a non-empty"):
        SegmentRule("  ", r=(1, 5), f=(1, 5))


# --------------------------------------------------------------------------- the id rule


def test_customer_ids_follow_the_id_rule_in_rfm_and_clv_summary() -> None:
    # 7, " 7 " and 7.0 are one customer "7", as everywhere else in the package.
    tx = {
        "customer_id": [7, " 7 ", 7.0, "c3"],
        "date": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-03-05"],
        "amount": [10.0, 20.0, 5.0, 7.0],
    }
    table = rfm(tx, now="2024-06-01")
    assert table["customer_id"].tolist() == ["7", "c3"]
    assert table["customer_id"].dtype.kind == "U"
    assert table["frequency"].tolist() == [3, 1]
    assert table["monetary"].tolist() == [35.0, 7.0]
    summary = clv_summary(tx, observation_end="2024-06-01")
    assert summary["customer_id"].tolist() == ["7", "c3"]
    assert summary["frequency"].tolist() == [2.0, 0.0]


def test_text_ids_are_trimmed_and_integer_ids_become_text() -> None:
    spaced = pd.DataFrame(_tx(customer_id=[" a", "a ", "\u00a0b\u3000"]))
    assert rfm(spaced, now="2024-01-04").index.tolist() == ["a", "b"]
    # Integer ids come out as text, sorted as text ("10" before "9").
    numbers = pd.DataFrame(_tx(customer_id=[9, 10, 9]))
    table = rfm(numbers, now="2024-01-04")
    assert table.index.tolist() == ["10", "9"]
    assert table["frequency"].tolist() == [1, 2]
    # A pandas id column with a blank holds floats: whole ones are the integer ids.
    floats = clv_summary({**_tx(), "customer_id": np.array([1.0, 2.0, 1.0])})
    assert floats["customer_id"].tolist() == ["1", "2"]


@pytest.mark.parametrize("function", [rfm, clv_summary])
@pytest.mark.parametrize(
    ("ids", "message"),
    [
        (["a", 2.5, "c"], "customer_id in row 1 must be text or a whole number, got float 2.5"),
        (["a", True, "c"], "customer_id in row 1 must be text or a whole number, got bool True"),
        (["a", "  ", "c"], "customer_id in row 1 must not be empty, got str '  '"),
        (
            ["a", "c\x00d", "c"],
            "customer_id in row 1 must not contain a NUL character, got str 'c\\x00d'",
        ),
        (
            ["a", "x" * 201, "c"],
            f"customer_id in row 1 must be at most 200 characters, got str '{'x' * 201}'",
        ),
        (["a", None, "c"], "customer_id is missing in row 1"),
        ([1.0, float("nan"), 2.0], "customer_id is missing in row 1"),
    ],
)
def test_a_customer_id_the_id_rule_refuses_is_an_input_error(
    function: Any, ids: list[Any], message: str
) -> None:
    with pytest.raises(InputError) as info:
        function(_tx(customer_id=ids))
    assert str(info.value) == message
    assert info.value.row == 1
    assert info.value.field == "customer_id"
