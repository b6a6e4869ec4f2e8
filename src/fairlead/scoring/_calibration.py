"""Probability calibration: isotonic and Platt calibrators, and the metrics that judge them.

A score that ranks leads well (high AUC) is not yet a probability: a lead with 60
points is not 60 % likely to buy. A calibrator learns the monotone map from score
to observed conversion rate on history, so that "0.3" means "3 in 10 such leads
converted". Any model can use these calibrators: they take 1-d scores and 0/1
outcomes and know nothing about where the scores came from.

The metrics (:func:`brier_score`, :func:`log_loss`, :func:`roc_auc`,
:func:`expected_calibration_error`, :func:`calibration_table`) are plain functions
of outcomes ``y`` and probabilities ``p``; the first three match scikit-learn's
``brier_score_loss``, ``log_loss`` and ``roc_auc_score``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol, Self, runtime_checkable

import numpy as np
import numpy.typing as npt
from scipy.optimize import isotonic_regression, minimize
from scipy.special import expit, log_expit

from fairlead.records import InputError

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "CalibrationTable",
    "Calibrator",
    "IsotonicCalibrator",
    "NotFittedError",
    "PlattCalibrator",
    "brier_score",
    "calibration_table",
    "expected_calibration_error",
    "fit_isotonic",
    "fit_platt",
    "log_loss",
    "roc_auc",
]


class NotFittedError(RuntimeError):
    """An estimator was asked for a prediction before :meth:`fit` was called."""


@runtime_checkable
class Calibrator(Protocol):
    """What a calibrator offers: ``fit(scores, y, sample_weight)`` then ``predict(scores)``."""

    def fit(
        self, scores: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> Any:
        """Learn the map from scores to probabilities; returns the calibrator."""
        ...

    def predict(self, scores: npt.ArrayLike) -> FloatArray:
        """Probabilities for ``scores``, shape (n,)."""
        ...


# --- validation -------------------------------------------------------------------------------


def _vector(name: str, data: Any) -> FloatArray:
    """A 1-d float array of numbers (not booleans), or a ValueError naming ``name``."""
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a 1-d array of numbers: {exc}") from None
    if array.ndim != 1:
        raise InputError(f"{name} must be 1-d (one value per sample), got shape {array.shape}")
    if array.dtype.kind == "b":
        raise InputError(f"{name} must hold numbers, got booleans")
    if array.dtype.kind not in "iuf":
        for item in array.flat:
            if isinstance(item, bool | np.bool_) or not isinstance(
                item, int | float | np.integer | np.floating
            ):
                raise InputError(f"{name} must hold numbers, got {item!r}")
    return np.asarray(array, dtype=np.float64)


def _first(mask: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _check_finite(name: str, array: FloatArray) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        i = _first(bad)
        raise InputError(f"{name} must be finite, got {array[i]:g} at index {i}")


def _labels(y: Any) -> FloatArray:
    array = np.asarray(y)
    if array.dtype == np.bool_:
        array = array.astype(np.float64)
    target = _vector("y", array)
    bad = (target != 0.0) & (target != 1.0)
    if bad.any():
        i = _first(bad)
        raise InputError(f"y must hold outcomes 0 or 1, got {target[i]:g} at index {i}")
    return target


def _weights(sample_weight: Any, n: int) -> FloatArray:
    if sample_weight is None:
        return np.ones(n)
    w = _vector("sample_weight", sample_weight)
    if w.shape != (n,):
        raise InputError(f"sample_weight has {w.size} values for {n} samples")
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        i = _first(bad)
        raise InputError(f"sample_weight must be finite and >= 0, got {w[i]:g} at index {i}")
    if n and not w.sum() > 0:
        raise InputError("sample_weight sums to 0; at least one sample needs a positive weight")
    return w


def _same_length(first: str, a: FloatArray, second: str, b: FloatArray) -> None:
    if a.shape != b.shape:
        raise InputError(
            f"{first} and {second} must have the same length, got {a.size} and {b.size}"
        )
    if a.size == 0:
        raise InputError(f"{first} and {second} are empty; at least one sample is needed")


def _outcomes_and_probabilities(y: Any, p: Any) -> tuple[FloatArray, FloatArray]:
    target, prob = _labels(y), _vector("p", p)
    _same_length("y", target, "p", prob)
    bad = ~((prob >= 0.0) & (prob <= 1.0))  # also catches nan
    if bad.any():
        i = _first(bad)
        raise InputError(f"p must hold probabilities in [0, 1], got {prob[i]:g} at index {i}")
    return target, prob


def _scores_and_labels(scores: Any, y: Any) -> tuple[FloatArray, FloatArray]:
    s, target = _vector("scores", scores), _labels(y)
    _same_length("scores", s, "y", target)
    _check_finite("scores", s)
    return s, target


# --- metrics ----------------------------------------------------------------------------------


def brier_score(y: npt.ArrayLike, p: npt.ArrayLike, *, sample_weight: Any = None) -> float:
    """Mean squared error of probabilities ``p`` against outcomes ``y`` (lower is better).

    Equals scikit-learn's ``brier_score_loss``. A constant guess of the base rate
    ``r`` scores ``r * (1 - r)``.

    Examples
    --------
    >>> round(brier_score([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]), 4)
    0.0375
    """
    target, prob = _outcomes_and_probabilities(y, p)
    w = _weights(sample_weight, target.size)
    return float(np.average((prob - target) ** 2, weights=w))


def log_loss(y: npt.ArrayLike, p: npt.ArrayLike, *, sample_weight: Any = None) -> float:
    """Mean negative log-likelihood of outcomes ``y`` under probabilities ``p`` (lower is better).

    ``p`` is clipped to ``[eps, 1 - eps]`` with ``eps`` the float64 machine epsilon,
    as scikit-learn's ``log_loss`` does, so a confident miss costs about 36, not
    infinity.

    Examples
    --------
    >>> round(log_loss([0, 1], [0.2, 0.6]), 4)
    0.367
    """
    target, prob = _outcomes_and_probabilities(y, p)
    w = _weights(sample_weight, target.size)
    eps = float(np.finfo(np.float64).eps)
    prob = np.clip(prob, eps, 1.0 - eps)
    loss = -(target * np.log(prob) + (1.0 - target) * np.log1p(-prob))
    return float(np.average(loss, weights=w))


def roc_auc(y: npt.ArrayLike, p: npt.ArrayLike, *, sample_weight: Any = None) -> float:
    """Area under the ROC curve: chance that a converter outranks a non-converter.

    Rank-based (the Mann-Whitney statistic): over all (converter, non-converter)
    pairs, a pair counts 1 when the converter has the higher score and 1/2 when
    the scores tie, which is the midrank (ties averaged) formula. With weights,
    each pair counts the product of its weights. Equals scikit-learn's
    ``roc_auc_score``. ``p`` may be any finite score, not only a probability.

    Raises
    ------
    ValueError
        If ``y`` holds only one class: the AUC is undefined.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])  # a tie counts one half
    0.875
    """
    target, score = _labels(y), _vector("p", p)
    _same_length("y", target, "p", score)
    _check_finite("p", score)
    w = _weights(sample_weight, target.size)
    pos_total = float(np.sum(w * target))
    neg_total = float(np.sum(w * (1.0 - target)))
    if pos_total <= 0 or neg_total <= 0:
        only = "1" if neg_total <= 0 else "0"
        raise InputError(
            f"roc_auc needs both outcomes in y (with positive weight), got only {only}"
        )
    # Group equal scores; a positive beats every negative in lower groups and ties half
    # of the negatives in its own group.
    unique, group = np.unique(score, return_inverse=True)
    pos = np.bincount(group, weights=w * target, minlength=unique.size)
    neg = np.bincount(group, weights=w * (1.0 - target), minlength=unique.size)
    neg_below = np.cumsum(neg) - neg
    wins = float(np.sum(pos * (neg_below + 0.5 * neg)))
    return wins / (pos_total * neg_total)


Strategy = Literal["uniform", "quantile"]


@dataclass(frozen=True, eq=False)
class CalibrationTable:
    """Predicted against observed conversion, bin by bin (empty bins are left out).

    Attributes
    ----------
    lower, upper : ndarray
        Edges of each bin. A bin holds ``lower <= p < upper``; the last bin also
        holds ``p == upper``.
    count : ndarray of int
        Samples in the bin.
    mean_predicted : ndarray
        Mean probability ``p`` in the bin.
    observed_rate : ndarray
        Share of ``y == 1`` in the bin.
    """

    lower: FloatArray
    upper: FloatArray
    count: npt.NDArray[np.int64]
    mean_predicted: FloatArray
    observed_rate: FloatArray

    def __len__(self) -> int:
        return int(self.count.size)

    @property
    def gap(self) -> FloatArray:
        """``observed_rate - mean_predicted`` per bin: > 0 means the model under-predicts."""
        return self.observed_rate - self.mean_predicted

    def to_records(self) -> list[dict[str, float | int]]:
        """One dict per bin, with the attribute names as keys."""
        return [
            {
                "lower": float(self.lower[k]),
                "upper": float(self.upper[k]),
                "count": int(self.count[k]),
                "mean_predicted": float(self.mean_predicted[k]),
                "observed_rate": float(self.observed_rate[k]),
            }
            for k in range(len(self))
        ]

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per bin (needs pandas)."""
        import pandas as pd

        return pd.DataFrame.from_records(
            self.to_records(),
            columns=["lower", "upper", "count", "mean_predicted", "observed_rate"],
        )


def calibration_table(
    y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10, *, strategy: Strategy = "uniform"
) -> CalibrationTable:
    """Per bin of predicted probability: count, mean prediction and observed rate.

    Parameters
    ----------
    y : array_like of 0/1
        Observed outcomes.
    p : array_like
        Predicted probabilities in [0, 1].
    n_bins : int, default 10
        Number of bins.
    strategy : {"uniform", "quantile"}, default "uniform"
        ``"uniform"``: bins of equal width on [0, 1] (the usual reliability
        diagram; bins nobody falls in are dropped). ``"quantile"``: edges at the
        quantiles of ``p``, so bins hold about the same number of samples (fewer
        bins when many predictions are equal).

    Examples
    --------
    >>> t = calibration_table([0, 0, 1, 1, 1], [0.1, 0.2, 0.7, 0.8, 0.9], n_bins=2)
    >>> t.count.tolist(), t.mean_predicted.round(2).tolist(), t.observed_rate.tolist()
    ([2, 3], [0.15, 0.8], [0.0, 1.0])
    """
    target, prob = _outcomes_and_probabilities(y, p)
    if isinstance(n_bins, bool) or not isinstance(n_bins, int | np.integer) or n_bins < 1:
        raise InputError(f"n_bins must be an int >= 1, got {n_bins!r}")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    elif strategy == "quantile":
        edges = np.unique(np.quantile(prob, np.linspace(0.0, 1.0, int(n_bins) + 1)))
        if edges.size == 1:  # every prediction equal: one bin
            edges = np.array([edges[0], edges[0]])
    else:
        raise InputError(f"strategy must be 'uniform' or 'quantile', got {strategy!r}")
    k = edges.size - 1
    which = np.clip(np.searchsorted(edges[1:-1], prob, side="right"), 0, k - 1)
    count = np.bincount(which, minlength=k)
    sum_p = np.bincount(which, weights=prob, minlength=k)
    sum_y = np.bincount(which, weights=target, minlength=k)
    used = count > 0
    return CalibrationTable(
        lower=edges[:-1][used],
        upper=edges[1:][used],
        count=count[used].astype(np.int64),
        mean_predicted=sum_p[used] / count[used],
        observed_rate=sum_y[used] / count[used],
    )


def expected_calibration_error(
    y: npt.ArrayLike, p: npt.ArrayLike, n_bins: int = 10, *, strategy: Strategy = "uniform"
) -> float:
    """Expected calibration error: count-weighted mean of ``|observed - predicted|`` per bin.

    ``sum_b (n_b / n) * |observed_rate_b - mean_predicted_b|`` over the bins of
    :func:`calibration_table` (default: 10 equal-width bins, as in Guo et al.
    2017). 0 is perfect; even a perfectly calibrated model shows sampling noise
    of roughly ``0.4 * sqrt(n_bins / n)``.

    Examples
    --------
    >>> expected_calibration_error([0, 0, 1, 1], [0.5, 0.5, 0.5, 0.5])
    0.0
    >>> round(expected_calibration_error([0, 0, 0, 1], [0.9, 0.9, 0.9, 0.9]), 2)
    0.65
    """
    table = calibration_table(y, p, n_bins, strategy=strategy)
    share = table.count / table.count.sum()
    return float(np.sum(share * np.abs(table.gap)))


# --- isotonic ---------------------------------------------------------------------------------


def fit_isotonic(
    scores: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> tuple[FloatArray, FloatArray]:
    """Isotonic (monotone non-decreasing) least-squares fit of ``y`` on ``scores``.

    Samples with equal scores are pooled first (weighted mean outcome, summed
    weight), then the pool-adjacent-violators algorithm
    (:func:`scipy.optimize.isotonic_regression`) fits the pooled rates. Only the
    ends of each constant run are kept: linear interpolation between the returned
    points reproduces the fit.

    Returns
    -------
    thresholds : ndarray
        Increasing scores.
    probabilities : ndarray
        Fitted conversion rate at each threshold, non-decreasing, in [0, 1].

    Examples
    --------
    >>> x, p = fit_isotonic([1, 2, 2, 3, 4], [0, 1, 0, 0, 1])
    >>> x.tolist(), p.round(3).tolist()
    ([1.0, 2.0, 3.0, 4.0], [0.0, 0.333, 0.333, 1.0])
    """
    s, target = _scores_and_labels(scores, y)
    w = _weights(sample_weight, s.size)
    keep = w > 0
    s, target, w = s[keep], target[keep], w[keep]
    unique, group = np.unique(s, return_inverse=True)
    weight = np.bincount(group, weights=w, minlength=unique.size)
    rate = np.bincount(group, weights=w * target, minlength=unique.size) / weight
    fitted = np.clip(isotonic_regression(rate, weights=weight, increasing=True).x, 0.0, 1.0)
    if fitted.size > 2:
        inner = (fitted[1:-1] != fitted[:-2]) | (fitted[1:-1] != fitted[2:])
        mask = np.concatenate(([True], inner, [True]))
        unique, fitted = unique[mask], fitted[mask]
    return unique.astype(np.float64), fitted.astype(np.float64)


class IsotonicCalibrator:
    """Monotone non-decreasing map from score to probability, learned by isotonic regression.

    Makes no assumption on the shape of the map, only that a higher score never
    means a lower conversion rate. Between fitted scores the probability is
    interpolated linearly; below the lowest and above the highest fitted score it
    is clipped to the end values. Needs a few hundred outcomes to be smooth; with
    less data, prefer :class:`PlattCalibrator`.

    Attributes
    ----------
    thresholds_ : ndarray
        Increasing scores where the fitted map changes slope.
    probabilities_ : ndarray
        Probability at each threshold (non-decreasing).
    n_samples_ : int
        Samples seen in :meth:`fit`.

    Examples
    --------
    >>> cal = IsotonicCalibrator().fit([10, 20, 30, 40], [0, 0, 1, 1])
    >>> cal.predict([5, 25, 45]).tolist()
    [0.0, 0.5, 1.0]
    """

    thresholds_: FloatArray
    probabilities_: FloatArray
    n_samples_: int

    def __init__(self) -> None:
        pass

    def __repr__(self) -> str:
        return "IsotonicCalibrator()"

    def fit(
        self, scores: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> Self:
        """Learn the map from ``scores`` (1-d, finite) to outcomes ``y`` (0/1)."""
        thresholds, probabilities = fit_isotonic(scores, y, sample_weight)
        self.thresholds_ = thresholds
        self.probabilities_ = probabilities
        self.n_samples_ = int(np.asarray(scores).shape[0])
        return self

    def predict(self, scores: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities for ``scores``, shape (n,)."""
        if not hasattr(self, "thresholds_"):
            raise NotFittedError("this IsotonicCalibrator is not fitted yet: call fit() first")
        s = _vector("scores", scores)
        _check_finite("scores", s)
        return np.interp(s, self.thresholds_, self.probabilities_)


# --- Platt ------------------------------------------------------------------------------------


def fit_platt(
    scores: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
) -> tuple[float, float]:
    """Maximum-likelihood ``a, b`` of ``p = 1 / (1 + exp(-(a * score + b)))``, Platt style.

    Platt (1999) replaces the 0/1 targets by ``(N+ + 1) / (N+ + 2)`` and
    ``1 / (N- + 2)`` (``N+``, ``N-``: weighted counts of each class), which keeps
    the fit finite on separable data and shrinks small samples towards 1/2.
    Scores are standardized for the optimizer (L-BFGS-B with the exact gradient)
    and ``a, b`` mapped back to the original scale.

    Raises
    ------
    ValueError
        If ``y`` holds only one class.

    Examples
    --------
    >>> a, b = fit_platt([0, 1, 2, 3, 4, 5], [0, 0, 1, 0, 1, 1])
    >>> round(a, 3), round(b, 3)
    (0.536, -1.339)
    """
    s, target = _scores_and_labels(scores, y)
    w = _weights(sample_weight, s.size)
    n_pos = float(np.sum(w * target))
    n_neg = float(np.sum(w * (1.0 - target)))
    if n_pos <= 0 or n_neg <= 0:
        only = "1" if n_neg <= 0 else "0"
        raise InputError(
            f"Platt calibration needs both outcomes in y (with positive weight), got only {only} "
            f"in {s.size} samples"
        )
    t = np.where(target == 1.0, (n_pos + 1.0) / (n_pos + 2.0), 1.0 / (n_neg + 2.0))
    w = w / w.sum()  # mean loss: the optimizer's tolerances do not depend on n
    center = float(np.average(s, weights=w))
    spread = float(np.sqrt(np.average((s - center) ** 2, weights=w)))
    if not spread > 0:
        spread = 1.0  # all scores equal: the slope stays 0, the intercept fits the rate
    z = (s - center) / spread

    def loss(theta: FloatArray) -> tuple[float, FloatArray]:
        u = theta[0] * z + theta[1]
        # -[t log p + (1 - t) log(1 - p)] with p = expit(u), in a stable form.
        value = -float(np.sum(w * (t * log_expit(u) + (1.0 - t) * log_expit(-u))))
        residual = w * (expit(u) - t)
        return value, np.array([np.sum(residual * z), np.sum(residual)])

    prior = float(np.sum(w * t))
    start = np.array([0.0, np.log(prior / (1.0 - prior))])
    result = minimize(
        loss, start, jac=True, method="L-BFGS-B", options={"gtol": 1e-10, "ftol": 1e-15}
    )
    slope, intercept = (float(v) for v in result.x)
    if not (np.isfinite(slope) and np.isfinite(intercept)):  # pragma: no cover - defensive
        raise RuntimeError(f"Platt calibration did not converge: {result.message}")
    return slope / spread, intercept - slope * center / spread


class PlattCalibrator:
    """Logistic map ``p = 1 / (1 + exp(-(a * score + b)))`` from score to probability.

    Two parameters, fitted by maximum likelihood with Platt's target smoothing
    (see :func:`fit_platt`): robust with little data, and right whenever the
    log-odds of conversion grow linearly with the score. Needs outcomes of both
    classes.

    Attributes
    ----------
    a_ : float
        Slope: change in log-odds per score unit.
    b_ : float
        Intercept: log-odds at score 0.
    n_samples_ : int
        Samples seen in :meth:`fit`.

    Examples
    --------
    >>> cal = PlattCalibrator().fit([0, 1, 2, 3, 4, 5], [0, 0, 1, 0, 1, 1])
    >>> cal.predict([0.0, 2.5, 5.0]).round(2).tolist()
    [0.21, 0.5, 0.79]
    """

    a_: float
    b_: float
    n_samples_: int

    def __init__(self) -> None:
        pass

    def __repr__(self) -> str:
        return "PlattCalibrator()"

    def fit(
        self, scores: npt.ArrayLike, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> Self:
        """Fit ``a_`` and ``b_`` on ``scores`` (1-d, finite) and outcomes ``y`` (0/1)."""
        self.a_, self.b_ = fit_platt(scores, y, sample_weight)
        self.n_samples_ = int(np.asarray(scores).shape[0])
        return self

    def predict(self, scores: npt.ArrayLike) -> FloatArray:
        """Calibrated probabilities for ``scores``, shape (n,)."""
        if not hasattr(self, "a_"):
            raise NotFittedError("this PlattCalibrator is not fitted yet: call fit() first")
        s = _vector("scores", scores)
        _check_finite("scores", s)
        return np.asarray(expit(self.a_ * s + self.b_), dtype=np.float64)
