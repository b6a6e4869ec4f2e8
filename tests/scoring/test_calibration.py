"""Calibrators and calibration metrics (fairlead.scoring._calibration)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.metrics import log_loss as sk_log_loss

from fairlead.scoring._calibration import (
    Calibrator,
    IsotonicCalibrator,
    NotFittedError,
    PlattCalibrator,
    brier_score,
    calibration_table,
    expected_calibration_error,
    fit_isotonic,
    log_loss,
    roc_auc,
)


def miscalibrated(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores in [0, 10] whose true conversion rate is (score / 10) ** 3: ranks well, says
    nothing right about the probability."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0, 10, n)
    y = (rng.random(n) < (scores / 10) ** 3).astype(int)
    return scores, y


# --- isotonic ---------------------------------------------------------------------------------


def test_isotonic_is_monotone_in_unit_interval_and_beats_raw_scaled_score() -> None:
    scores, y = miscalibrated(6000, seed=1)
    test_scores, test_y = miscalibrated(6000, seed=2)
    cal = IsotonicCalibrator().fit(scores, y)

    grid = np.linspace(-5, 15, 2001)
    p_grid = cal.predict(grid)
    assert np.all(np.diff(p_grid) >= 0)
    assert p_grid.min() >= 0.0
    assert p_grid.max() <= 1.0

    raw = (test_scores - scores.min()) / (scores.max() - scores.min())  # min-max scaling
    raw = np.clip(raw, 0, 1)
    calibrated = cal.predict(test_scores)
    brier_raw = brier_score(test_y, raw)
    brier_cal = brier_score(test_y, calibrated)
    # True rates cube the scaled score, so raw overstates most leads badly.
    assert brier_cal < brier_raw - 0.03
    assert expected_calibration_error(test_y, calibrated) < 0.03
    assert expected_calibration_error(test_y, raw) > 0.15


def test_isotonic_pools_ties() -> None:
    # Score 1 -> 1/2; scores {2, 2, 3} violate monotonicity (1, 1, 0) and pool to 2/3 (PAVA).
    x, p = fit_isotonic([1, 1, 2, 2, 3], [0, 1, 1, 1, 0])
    assert x.tolist() == [1.0, 2.0, 3.0]
    assert p == pytest.approx([0.5, 2 / 3, 2 / 3])


def test_isotonic_weighted_pooling_is_monotone() -> None:
    # Weight 3 on the converter at score 1 lifts it to 3/4 > 2/3: everything pools to
    # (3 + 2) / (4 + 3) = 5/7.
    x, p = fit_isotonic([1, 1, 2, 2, 3], [0, 1, 1, 1, 0], sample_weight=[1, 3, 1, 1, 1])
    assert np.all(np.diff(p) >= 0)
    assert p == pytest.approx(np.full(p.size, 5 / 7))
    assert x.tolist() == [1.0, 3.0]  # only the ends of the constant run are kept


def test_isotonic_interpolates_between_and_clips_outside() -> None:
    cal = IsotonicCalibrator().fit([0, 10, 20], [0, 0, 1])
    assert cal.predict([-100, 0, 5, 10, 15, 20, 1e9]).tolist() == [0, 0, 0, 0, 0.5, 1, 1]


def test_isotonic_single_score_predicts_base_rate() -> None:
    cal = IsotonicCalibrator().fit([3, 3, 3, 3], [0, 1, 1, 1])
    assert cal.predict([0, 3, 100]).tolist() == [0.75, 0.75, 0.75]


@given(
    st.lists(
        st.tuples(
            st.integers(0, 12),  # few distinct scores: many ties
            st.booleans(),
            st.floats(0.1, 5.0),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_isotonic_matches_sklearn(rows: list[tuple[int, bool, float]]) -> None:
    scores = np.array([r[0] for r in rows], dtype=float)
    y = np.array([r[1] for r in rows], dtype=float)
    w = np.array([r[2] for r in rows])
    ours = IsotonicCalibrator().fit(scores, y, sample_weight=w)
    theirs = IsotonicRegression(out_of_bounds="clip").fit(scores, y, sample_weight=w)
    grid = np.linspace(-1, 13, 57)
    np.testing.assert_allclose(ours.predict(grid), theirs.predict(grid), atol=1e-9)


# --- Platt ------------------------------------------------------------------------------------


def test_platt_recovers_known_slope_and_intercept() -> None:
    rng = np.random.default_rng(7)
    n = 40_000
    scores = rng.normal(50, 20, n)  # points-like scale; the fit standardizes internally
    a, b = 0.08, -4.0
    y = (rng.random(n) < expit(a * scores + b)).astype(int)
    cal = PlattCalibrator().fit(scores, y)
    # Standard errors at this n are about 0.0015 (a) and 0.08 (b); Platt's target
    # smoothing shifts them by O(1/n), far less.
    assert cal.a_ == pytest.approx(a, abs=0.006)
    assert cal.b_ == pytest.approx(b, abs=0.3)
    p = cal.predict([0.0, 50.0, 100.0])
    assert p == pytest.approx(expit(a * np.array([0.0, 50.0, 100.0]) + b), abs=0.02)


def test_platt_stays_finite_on_separable_data() -> None:
    cal = PlattCalibrator().fit([1, 2, 3, 4, 5, 6], [0, 0, 0, 1, 1, 1])
    assert np.isfinite(cal.a_)
    assert cal.a_ > 0
    p = cal.predict([1, 6])
    assert 0 < p[0] < 0.5 < p[1] < 1  # smoothed targets: 1/5 and 4/5, never 0 or 1


def test_platt_weights_equal_repeated_samples() -> None:
    scores = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([0, 1, 0, 1, 1])
    weighted = PlattCalibrator().fit(scores, y, sample_weight=[2, 1, 3, 1, 2])
    repeated = PlattCalibrator().fit(
        np.repeat(scores, [2, 1, 3, 1, 2]), np.repeat(y, [2, 1, 3, 1, 2])
    )
    assert weighted.a_ == pytest.approx(repeated.a_, rel=1e-6)
    assert weighted.b_ == pytest.approx(repeated.b_, rel=1e-6, abs=1e-9)


def test_platt_constant_scores_fit_smoothed_rate() -> None:
    cal = PlattCalibrator().fit([5, 5, 5, 5], [1, 0, 0, 0])
    assert cal.a_ == 0.0
    # Targets: (1+1)/(1+2) for the converter, 1/(3+2) for the others.
    rate = (2 / 3 + 3 * (1 / 5)) / 4
    assert cal.predict([0, 5])[0] == pytest.approx(rate)


def test_platt_needs_both_classes() -> None:
    with pytest.raises(ValueError, match=r"needs both outcomes in y.*got only 0 in 3 samples"):
        PlattCalibrator().fit([1, 2, 3], [0, 0, 0])
    with pytest.raises(ValueError, match="got only 1"):
        PlattCalibrator().fit([1, 2, 3], [1, 0, 1], sample_weight=[1, 0, 1])


# --- validation shared by both calibrators ----------------------------------------------------


@pytest.mark.parametrize("cls", [IsotonicCalibrator, PlattCalibrator])
def test_calibrator_validation(cls: type) -> None:
    with pytest.raises(ValueError, match=r"y must hold outcomes 0 or 1, got 2 at index 1"):
        cls().fit([1, 2, 3], [0, 2, 1])
    with pytest.raises(ValueError, match="scores and y must have the same length, got 3 and 2"):
        cls().fit([1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match="scores must be finite, got nan at index 2"):
        cls().fit([1, 2, np.nan], [0, 1, 1])
    with pytest.raises(ValueError, match="scores must be finite, got inf at index 0"):
        cls().fit([np.inf, 2, 3], [0, 1, 1])
    with pytest.raises(ValueError, match="scores must hold numbers, got 'a'"):
        cls().fit(np.array([1, "a", 3], dtype=object), [0, 1, 1])
    with pytest.raises(ValueError, match=r"scores must be 1-d .* got shape \(2, 2\)"):
        cls().fit([[1, 2], [3, 4]], [0, 1])
    with pytest.raises(ValueError, match="are empty"):
        cls().fit([], [])
    with pytest.raises(
        ValueError, match="sample_weight must be finite and >= 0, got -1 at index 0"
    ):
        cls().fit([1, 2], [0, 1], sample_weight=[-1, 1])
    with pytest.raises(ValueError, match="sample_weight has 1 values for 2 samples"):
        cls().fit([1, 2], [0, 1], sample_weight=[1])
    with pytest.raises(NotFittedError, match=f"this {cls.__name__} is not fitted yet"):
        cls().predict([1.0])
    fitted = cls().fit([1, 2, 3, 4], [False, True, False, True])  # booleans are outcomes too
    assert isinstance(fitted, Calibrator)
    with pytest.raises(ValueError, match="scores must be finite, got nan at index 1"):
        fitted.predict([1.0, np.nan])


# --- metrics ----------------------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 6), st.floats(0.01, 10.0)),
        min_size=2,
        max_size=80,
    ).filter(lambda rows: len({r[0] for r in rows}) == 2)
)
def test_roc_auc_equals_sklearn_with_ties_and_weights(rows: list[tuple[bool, int, float]]) -> None:
    y = np.array([r[0] for r in rows], dtype=int)
    p = np.array([r[1] for r in rows], dtype=float) / 6  # few values: many ties
    w = np.array([r[2] for r in rows])
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert roc_auc(y, p, sample_weight=w) == pytest.approx(
        roc_auc_score(y, p, sample_weight=w), abs=1e-9
    )


@given(
    st.lists(st.tuples(st.booleans(), st.floats(-1e6, 1e6)), min_size=2, max_size=50).filter(
        lambda rows: len({r[0] for r in rows}) == 2
    )
)
def test_roc_auc_equals_sklearn_on_any_scores(rows: list[tuple[bool, float]]) -> None:
    y = np.array([r[0] for r in rows], dtype=int)
    s = np.array([r[1] for r in rows])
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_roc_auc_known_values_and_errors() -> None:
    assert roc_auc([0, 1], [0.2, 0.8]) == 1.0
    assert roc_auc([0, 1], [0.8, 0.2]) == 0.0
    assert roc_auc([0, 1, 0, 1], [0.5] * 4) == 0.5
    with pytest.raises(ValueError, match=r"needs both outcomes in y.*got only 1"):
        roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="p must be finite, got nan at index 1"):
        roc_auc([0, 1], [0.1, np.nan])


@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 1.0), st.floats(0.1, 3.0)), min_size=1))
def test_brier_and_log_loss_equal_sklearn(rows: list[tuple[bool, float, float]]) -> None:
    y = np.array([r[0] for r in rows], dtype=int)
    p = np.array([r[1] for r in rows])
    w = np.array([r[2] for r in rows])
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p, pos_label=1), abs=1e-12)
    assert brier_score(y, p, sample_weight=w) == pytest.approx(
        brier_score_loss(y, p, sample_weight=w, pos_label=1), abs=1e-12
    )
    expected = sk_log_loss(y, p, sample_weight=w, labels=[0, 1])
    assert log_loss(y, p, sample_weight=w) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_metric_validation() -> None:
    with pytest.raises(
        ValueError, match=r"p must hold probabilities in \[0, 1\], got 1.5 at index 1"
    ):
        brier_score([0, 1], [0.5, 1.5])
    with pytest.raises(ValueError, match=r"p must hold probabilities in \[0, 1\], got nan"):
        log_loss([0, 1], [0.5, np.nan])
    with pytest.raises(ValueError, match="y and p must have the same length, got 2 and 3"):
        expected_calibration_error([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y must hold outcomes 0 or 1, got -1 at index 0"):
        brier_score([-1, 1], [0.5, 0.5])
    with pytest.raises(ValueError, match="n_bins must be an int >= 1, got 0"):
        calibration_table([0, 1], [0.1, 0.2], n_bins=0)
    with pytest.raises(ValueError, match="strategy must be 'uniform' or 'quantile', got 'equal'"):
        calibration_table([0, 1], [0.1, 0.2], strategy="equal")  # type: ignore[arg-type]


def test_ece_of_a_perfectly_calibrated_simulation_is_small() -> None:
    rng = np.random.default_rng(3)
    n = 50_000
    p = rng.uniform(0, 1, n)
    y = (rng.random(n) < p).astype(int)
    # Pure sampling noise: about 0.4 * sqrt(10 / n) = 0.006 for 10 bins.
    assert expected_calibration_error(y, p) < 0.015
    assert expected_calibration_error(y, p, strategy="quantile") < 0.015
    # The same outcomes against a distorted forecast are far off.
    assert expected_calibration_error(y, p**2) > 0.1


def test_ece_exact_value() -> None:
    # Bin [0.9, 1]: predicted 0.9, observed 0.25 -> 0.65; bin [0.1, 0.2): 0.1 vs 0 -> 0.1.
    y = [0, 0, 0, 1, 0, 0]
    p = [0.9, 0.9, 0.9, 0.9, 0.1, 0.1]
    assert expected_calibration_error(y, p) == pytest.approx(4 / 6 * 0.65 + 2 / 6 * 0.1)


def test_calibration_table_uniform_and_quantile_bins() -> None:
    rng = np.random.default_rng(4)
    p = rng.beta(2, 5, 1000)  # skewed: uniform bins at the top stay empty
    y = (rng.random(1000) < p).astype(int)

    uniform = calibration_table(y, p, n_bins=10)
    assert uniform.count.sum() == 1000
    assert len(uniform) < 10  # empty bins dropped
    assert np.all(
        (uniform.mean_predicted >= uniform.lower) & (uniform.mean_predicted <= uniform.upper)
    )
    np.testing.assert_allclose(uniform.upper - uniform.lower, 0.1, atol=1e-12)
    np.testing.assert_allclose(uniform.lower * 10, np.round(uniform.lower * 10), atol=1e-9)

    quantile = calibration_table(y, p, n_bins=5, strategy="quantile")
    assert quantile.count.tolist() == [200] * 5
    assert quantile.lower[0] == p.min()
    assert quantile.upper[-1] == p.max()

    for table in (uniform, quantile):
        for k in range(len(table)):
            inside = (p >= table.lower[k]) & (
                (p < table.upper[k]) if k < len(table) - 1 else (p <= table.upper[k])
            )
            assert table.count[k] == inside.sum()
            assert table.mean_predicted[k] == pytest.approx(p[inside].mean())
            assert table.observed_rate[k] == pytest.approx(y[inside].mean())
        np.testing.assert_allclose(table.gap, table.observed_rate - table.mean_predicted)


def test_calibration_table_edge_cases_and_output() -> None:
    same = calibration_table([0, 1, 1], [0.4, 0.4, 0.4], strategy="quantile")
    assert same.count.tolist() == [3]
    assert same.observed_rate.tolist() == [pytest.approx(2 / 3)]
    ends = calibration_table([0, 1], [0.0, 1.0], n_bins=4)
    assert ends.count.tolist() == [1, 1]
    assert ends.upper.tolist() == [0.25, 1.0]
    records = ends.to_records()
    assert records[1] == {
        "lower": 0.75,
        "upper": 1.0,
        "count": 1,
        "mean_predicted": 1.0,
        "observed_rate": 1.0,
    }
    frame = ends.to_frame()
    assert list(frame.columns) == ["lower", "upper", "count", "mean_predicted", "observed_rate"]
    assert frame["count"].tolist() == [1, 1]
