"""L2-regularized logistic regression with scipy (the default base conversion model)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from fairlead.records import InputError
from fairlead.scoring._features import FeatureEncoder, FloatArray
from fairlead.scoring._params import ParamsMixin, check_number


def fit_logistic(
    X: FloatArray,
    y: FloatArray,
    *,
    l2: float = 1.0,
    sample_weight: FloatArray | None = None,
) -> tuple[FloatArray, float]:
    """Coefficients and intercept minimizing weighted log loss + ``l2 / 2 * ||coef||^2``.

    The loss is summed over rows (as scikit-learn does with ``C = 1 / l2``); the
    intercept is not penalized. Solved with L-BFGS on the exact gradient.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> coef, b = fit_logistic(X, np.array([0.0, 0.0, 1.0, 1.0]), l2=0.1)
    >>> bool(coef[0] > 0)
    True
    """
    n, d = X.shape
    w = np.ones(n) if sample_weight is None else sample_weight

    def loss(theta: FloatArray) -> tuple[float, FloatArray]:
        coef, b = theta[:d], theta[d]
        z = X @ coef + b
        # log(1 + exp(z)) - y z, computed stably
        value = float(np.sum(w * (-log_expit(z) * y - log_expit(-z) * (1 - y))))
        value += 0.5 * l2 * float(coef @ coef)
        r = w * (expit(z) - y)
        grad = np.empty(d + 1)
        grad[:d] = X.T @ r + l2 * coef
        grad[d] = r.sum()
        return value, grad

    start = np.zeros(d + 1)
    rate = float(np.clip(np.average(y, weights=w), 1e-6, 1 - 1e-6))
    start[d] = np.log(rate / (1 - rate))
    # Tight tolerances: the loss is a sum over rows, so the defaults stop early on
    # large designs with one-hot columns.
    result = minimize(
        loss,
        start,
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-10},
    )
    return result.x[:d].copy(), float(result.x[d])


class LogisticModel(ParamsMixin):
    """Logistic regression on encoded features: ``fit(X, y)``, ``predict_proba(X)``.

    Parameters
    ----------
    l2 : float, default 1.0
        Strength of the ridge penalty on standardized features (a finite number
        ``>= 0``, checked by :meth:`fit`).

    Attributes
    ----------
    encoder_ : FeatureEncoder
    coef_ : ndarray
    intercept_ : float
    """

    def __init__(self, *, l2: float = 1.0) -> None:
        self.l2 = l2

    def fit(
        self, X: Any, y: npt.ArrayLike, sample_weight: npt.ArrayLike | None = None
    ) -> LogisticModel:
        """Fit on features ``X`` (array, DataFrame, mapping or records) and outcomes 0/1."""
        check_number("l2", self.l2, low=0.0)
        self.encoder_ = FeatureEncoder().fit(X)
        design = self.encoder_.transform(X)
        n = design.shape[0]
        try:
            target = np.asarray(y, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError("y must hold outcomes 0/1") from None
        if target.ndim != 1:
            raise InputError(f"y must be 1-d, got shape {target.shape}")
        if target.shape[0] != n:
            raise InputError(f"X has {n} rows but y has {target.shape[0]}")
        # Any other number would fit a likelihood that is no probability's.
        bad = ~np.isin(target, (0.0, 1.0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(f"y must hold outcomes 0/1, got {target[row]:g} in row {row}")
        weight = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if weight is not None and weight.shape != (n,):
            raise InputError(
                f"sample_weight must have one entry per row ({n}), got shape {weight.shape}"
            )
        self.coef_, self.intercept_ = fit_logistic(design, target, l2=self.l2, sample_weight=weight)
        self.classes_ = np.array([0, 1])
        return self

    def decision_function(self, X: Any) -> FloatArray:
        """Log-odds of conversion per row."""
        result: FloatArray = self.encoder_.transform(X) @ self.coef_ + self.intercept_
        return result

    def predict_proba(self, X: Any) -> FloatArray:
        """Probabilities of class 0 and 1, shape (n, 2), as scikit-learn returns them."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])
