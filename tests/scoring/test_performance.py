"""manager_performance: conversion, deal size and response time per manager, raw and shrunk."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import betaln, gammaln

from fairlead.scoring import ManagerPerformance, manager_performance

NAN = float("nan")

# --------------------------------------------------------------------------- hand-made history
# ann: 10 leads, 8 won (deals 1000, 1200, 800, 1000 x 4 and one without a value)
# bob: 30 leads, 3 won (deals 500, 700, 600)
# cat:  8 leads, 2 won (deals 2000, 1000)
# new:  2 leads, 2 won (deals 3000, 5000)
# A lost row carries a deal value (an old quote) that must be ignored.
ROWS = (
    [("ann", 1, 1000.0, 0.0), ("ann", 1, 1200.0, 3.0), ("ann", 1, 800.0, 15.0)]
    + [("ann", 1, NAN, NAN)]
    + [("ann", 1, 1000.0, NAN)] * 4
    + [("ann", 0, 99999.0, NAN), ("ann", 0, NAN, NAN)]
    + [("bob", 1, v, 1.0) for v in (500.0, 700.0, 600.0)]
    + [("bob", 0, NAN, 1.0)] * 27
    + [("cat", 1, 2000.0, 7.0), ("cat", 1, 1000.0, 63.0)]
    + [("cat", 0, NAN, NAN)] * 6
    + [("new", 1, 3000.0, NAN), ("new", 1, 5000.0, NAN)]
)
IDS = ("ann", "bob", "cat", "new")
LEADS = np.array([10.0, 30.0, 8.0, 2.0])
WINS = np.array([8.0, 3.0, 2.0, 2.0])
DEALS = {"ann": [1000.0, 1200.0, 800.0] + [1000.0] * 4, "bob": [500.0, 700.0, 600.0]}
DEALS |= {"cat": [2000.0, 1000.0], "new": [3000.0, 5000.0]}
# geometric means of (1 + minutes), minus 1: ann (1*4*16)^(1/3) - 1 = 3, bob 1,
# cat sqrt(8 * 64) - 1, new has no response times
RESPONSE = np.array([3.0, 1.0, math.sqrt(512.0) - 1.0, NAN])


def history_mapping():
    who, won, deal, minutes = zip(*ROWS, strict=True)
    return {
        "manager_id": list(who),
        "converted": list(won),
        "deal_value": list(deal),
        "response_minutes": list(minutes),
    }


def ref_prior_strength(wins, leads, mean):
    """Beta-binomial marginal likelihood maximized on a fine log grid (no scipy.stats)."""
    grid = np.exp(np.linspace(np.log(1e-2), np.log(1e6), 40_001))
    a = grid[:, None] * mean
    b = grid[:, None] * (1 - mean)
    loglik = (
        gammaln(leads + 1)
        - gammaln(wins + 1)
        - gammaln(leads - wins + 1)
        + betaln(wins + a, leads - wins + b)
        - betaln(a, b)
    ).sum(axis=1)
    return float(grid[np.argmax(loglik)])


def ref_shrunk_means(groups):
    """Normal-normal method of moments written out from the definitions."""
    values = [np.asarray(g, dtype=np.float64) for g in groups]
    n = np.array([v.size for v in values], dtype=np.float64)
    total = n.sum()
    pooled = sum(v.sum() for v in values) / total
    means = np.array([v.mean() for v in values])
    within = sum(((v - v.mean()) ** 2).sum() for v in values) / (total - len(values))
    between = float(np.sum(n * (means - pooled) ** 2))
    tau2 = (between - (len(values) - 1) * within) / (total - np.sum(n**2) / total)
    k = within / tau2
    return (n * means + k * pooled) / (n + k)


@pytest.fixture(scope="module")
def perf():
    return manager_performance(
        history_mapping(), deal_value="deal_value", response_minutes="response_minutes"
    )


# --------------------------------------------------------------------------- figures


def test_counts_and_raw_conversion(perf):
    assert isinstance(perf, ManagerPerformance)
    assert perf.manager_ids == IDS
    np.testing.assert_array_equal(perf.leads, LEADS)
    np.testing.assert_array_equal(perf.conversions, WINS)
    np.testing.assert_allclose(perf.conversion, [0.8, 0.1, 0.25, 1.0])


def test_shrunk_conversion_is_the_beta_binomial_posterior_mean(perf):
    team = WINS.sum() / LEADS.sum()
    kappa = ref_prior_strength(WINS, LEADS, team)
    expected = (WINS + kappa * team) / (LEADS + kappa)
    np.testing.assert_allclose(perf.conversion_shrunk, expected, atol=2e-3)
    # every shrunk rate sits between the raw rate and the team rate
    low = np.minimum(perf.conversion, team)
    high = np.maximum(perf.conversion, team)
    assert np.all(
        (low - 1e-12 <= perf.conversion_shrunk) & (perf.conversion_shrunk <= high + 1e-12)
    )


def test_newcomer_with_two_of_two_is_shrunk_well_below_one():
    history = {
        "manager_id": ["ann"] * 40 + ["bob"] * 40 + ["cyd"] * 40 + ["new"] * 2,
        "converted": [1] * 16 + [0] * 24 + [1] * 6 + [0] * 34 + [1] * 11 + [0] * 29 + [1, 1],
    }
    perf = manager_performance(history)
    assert perf.conversion[3] == 1.0
    assert perf.conversion_shrunk[3] < 0.6
    # ... and ranks below the proven 40 % performer
    assert perf.conversion_shrunk[3] < perf.conversion_shrunk[0]
    # while the 40-lead managers move far less, keeping their order
    moved = np.abs(perf.conversion_shrunk - perf.conversion)
    assert moved[3] > 0.4
    assert np.all(moved[:3] < 0.1)
    assert perf.conversion_shrunk[0] > perf.conversion_shrunk[2] > perf.conversion_shrunk[1]


def test_raw_and_shrunk_deal_size(perf):
    np.testing.assert_allclose(perf.avg_deal, [1000.0, 600.0, 1500.0, 4000.0], rtol=1e-12)
    expected = ref_shrunk_means([DEALS[m] for m in IDS])
    np.testing.assert_allclose(perf.avg_deal_shrunk, expected, rtol=1e-9)
    pooled = sum(sum(v) for v in DEALS.values()) / sum(len(v) for v in DEALS.values())
    # the 2-deal managers are pulled towards the pooled mean more than anyone else
    pull = np.abs(perf.avg_deal - perf.avg_deal_shrunk) / np.abs(perf.avg_deal - pooled)
    assert pull[3] == pytest.approx(pull[2])
    assert pull[3] > max(pull[0], pull[1])
    assert perf.avg_deal_shrunk[3] < 4000.0


def test_raw_and_shrunk_response_minutes(perf):
    np.testing.assert_allclose(perf.response_minutes, RESPONSE, rtol=1e-12)
    logs = [
        np.log1p([0.0, 3.0, 15.0]),
        np.log1p([1.0] * 30),
        np.log1p([7.0, 63.0]),
    ]
    expected = np.expm1(ref_shrunk_means(logs))
    np.testing.assert_allclose(perf.response_minutes_shrunk[:3], expected, rtol=1e-9)
    # no response times for the newcomer: the team's (pooled, log-scale) figure
    pooled = np.expm1(np.concatenate(logs).mean())
    assert perf.response_minutes_shrunk[3] == pytest.approx(pooled, rel=1e-9)


def test_index_is_expected_revenue_per_lead_relative_to_the_team(perf):
    value = perf.conversion_shrunk * perf.avg_deal_shrunk
    np.testing.assert_allclose(perf.index, value / np.average(value, weights=LEADS), rtol=1e-12)
    assert np.average(perf.index, weights=perf.leads) == pytest.approx(1.0, abs=1e-12)


def test_index_without_deal_values_uses_conversion_alone():
    perf = manager_performance(history_mapping())
    assert perf.avg_deal is None
    assert perf.avg_deal_shrunk is None
    assert perf.response_minutes is None
    assert perf.response_minutes_shrunk is None
    expected = perf.conversion_shrunk / np.average(perf.conversion_shrunk, weights=LEADS)
    np.testing.assert_allclose(perf.index, expected, rtol=1e-12)
    assert np.average(perf.index, weights=perf.leads) == pytest.approx(1.0, abs=1e-12)


def test_manager_without_wins_gets_the_pooled_deal_size():
    history = {
        "manager_id": ["a"] * 5 + ["b"] * 5 + ["c"] * 5,
        "converted": [1, 1, 1, 0, 0] + [1, 1, 0, 0, 0] + [0] * 5,
        "deal": [100.0, 140.0, 120.0, NAN, NAN, 300.0, 260.0, NAN, NAN, NAN] + [NAN] * 5,
    }
    perf = manager_performance(history, deal_value="deal")
    assert np.isnan(perf.avg_deal[2])
    assert perf.avg_deal_shrunk[2] == pytest.approx((100 + 140 + 120 + 300 + 260) / 5)
    assert np.isfinite(perf.index).all()
    assert perf.index[2] == perf.index.min()


def test_manager_without_wins_and_fixed_prices():
    history = {
        "manager_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
        "converted": [1, 1, 0, 0] * 2 + [0] * 4,
        "deal": [100.0, 100.0, NAN, NAN, 200.0, 200.0, NAN, NAN] + [NAN] * 4,
    }
    perf = manager_performance(history, deal_value="deal")
    assert np.isfinite(perf.avg_deal_shrunk).all()
    assert np.isfinite(perf.index).all()
    assert perf.index[0] < perf.index[1]  # same conversion, smaller deals
    # 0 of 4 against 2 of 4 is weak evidence: empirical Bayes keeps 'c' near the team
    # rate, and without won deals 'c' gets the pooled deal size.
    assert perf.avg_deal_shrunk[2] == pytest.approx(150.0)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 1)),
        min_size=1,
        max_size=80,
    )
)
def test_index_averages_to_one_over_leads(rows):
    history = [{"manager_id": m, "converted": c} for m, c in rows]
    perf = manager_performance(history)
    if perf.conversions.sum() == 0:
        np.testing.assert_array_equal(perf.index, np.ones(len(perf.manager_ids)))
        return
    assert np.average(perf.index, weights=perf.leads) == pytest.approx(1.0, rel=1e-9)
    team = perf.conversions.sum() / perf.leads.sum()
    low = np.minimum(perf.conversion, team) - 1e-9
    high = np.maximum(perf.conversion, team) + 1e-9
    assert np.all((low <= perf.conversion_shrunk) & (perf.conversion_shrunk <= high))


# --------------------------------------------------------------------------- input forms


def test_dataframe_mapping_and_records_agree(perf):
    frame = pd.DataFrame(history_mapping())
    records = frame.to_dict(orient="records")
    # records may simply leave out what is missing
    sparse = [
        {k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
        for r in records
    ]
    options = {"deal_value": "deal_value", "response_minutes": "response_minutes"}
    for data in (frame, records, sparse):
        other = manager_performance(data, **options)
        assert other.manager_ids == perf.manager_ids
        for name in (
            "leads",
            "conversions",
            "conversion",
            "conversion_shrunk",
            "avg_deal",
            "avg_deal_shrunk",
            "response_minutes",
            "response_minutes_shrunk",
            "index",
        ):
            np.testing.assert_allclose(getattr(other, name), getattr(perf, name), rtol=1e-12)


def test_custom_column_names_and_boolean_outcomes():
    history = pd.DataFrame(
        {"owner": ["x", "x", "y", "y", "y"], "won": [True, False, True, True, False]}
    )
    perf = manager_performance(history, manager="owner", outcome="won")
    assert perf.manager_ids == ("x", "y")
    np.testing.assert_array_equal(perf.conversions, [1.0, 2.0])


def test_numeric_manager_ids_become_strings():
    perf = manager_performance({"manager_id": [7, 7, 12], "converted": [1, 0, 1]})
    assert perf.manager_ids == ("12", "7")


def test_records_mapping_and_frame_outputs(perf):
    records = perf.to_records()
    assert [r["manager_id"] for r in records] == list(IDS)
    assert records[1] == {
        "manager_id": "bob",
        "leads": 30,
        "conversions": 3,
        "conversion": pytest.approx(0.1),
        "conversion_shrunk": pytest.approx(perf.conversion_shrunk[1]),
        "index": pytest.approx(perf.index[1]),
        "avg_deal": 600.0,
        "avg_deal_shrunk": pytest.approx(perf.avg_deal_shrunk[1]),
        "response_minutes": pytest.approx(1.0),
        "response_minutes_shrunk": pytest.approx(perf.response_minutes_shrunk[1]),
    }
    assert perf.as_mapping() == {m: pytest.approx(v) for m, v in zip(IDS, perf.index, strict=True)}
    frame = perf.to_frame()
    assert frame.index.tolist() == list(IDS)
    np.testing.assert_allclose(frame["index"].to_numpy(), perf.index)
    plain = manager_performance({"manager_id": ["a", "b"], "converted": [1, 0]}).to_records()
    assert set(plain[0]) == {
        "manager_id",
        "leads",
        "conversions",
        "conversion",
        "conversion_shrunk",
        "index",
    }


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"manager": "owner"}, r"history has no column 'owner'; it has \["),
        ({"outcome": "won"}, r"history has no column 'won'"),
        ({"deal_value": "amount"}, r"history has no column 'amount'"),
        ({"response_minutes": "wait"}, r"history has no column 'wait'"),
    ],
)
def test_missing_column_is_named(options, message):
    with pytest.raises(ValueError, match=message):
        manager_performance(history_mapping(), **options)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (2, r"history column 'converted' must hold 0/1, got .*2.* in row 3"),
        (0.5, r"history column 'converted' must hold 0/1, got .*0\.5.* in row 3"),
        (-1, r"history column 'converted' must hold finite numbers >= 0, got .*-1.* in row 3"),
        (NAN, r"history column 'converted' must hold finite numbers >= 0, got .*nan.* in row 3"),
    ],
)
def test_bad_outcome_names_column_and_row(value, message):
    history = {"manager_id": ["a", "a", "b", "b"], "converted": [1, 0, 1, value]}
    with pytest.raises(ValueError, match=message):
        manager_performance(history)


def test_text_outcome_names_column_row_and_value():
    history = {"manager_id": ["a", "a", "b"], "converted": [1, 0, "yes"]}
    with pytest.raises(ValueError, match=r"'converted'.*'yes'.* in row 2"):
        manager_performance(history)


@pytest.mark.parametrize(
    ("column", "value"),
    [("deal_value", -5.0), ("deal_value", math.inf), ("response_minutes", -1.0)],
)
def test_bad_deal_or_response_names_column_and_row(column, value):
    history = history_mapping()
    history[column][12] = value
    with pytest.raises(
        ValueError,
        match=rf"history column '{column}' must hold finite numbers >= 0, got .*{value}.* "
        r"in row 12",
    ):
        manager_performance(history, deal_value="deal_value", response_minutes="response_minutes")


def test_text_deal_value_names_column_row_and_value():
    history = history_mapping()
    history["deal_value"][12] = "n/a"
    with pytest.raises(ValueError, match=r"'deal_value'.*'n/a'.* in row 12"):
        manager_performance(history, deal_value="deal_value")


def test_empty_history_raises():
    with pytest.raises(ValueError, match=r"history is empty"):
        manager_performance({"manager_id": [], "converted": []})
