"""scikit-learn parameters (get_params / set_params / clone) and their checks at fit time."""

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from fairlead.scoring import (
    DEFAULT_RULES,
    ConversionModel,
    IsotonicCalibrator,
    LogisticModel,
    RuleScorer,
)


def exact(message: str) -> str:
    return f"^{re.escape(message)}$"


def history(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = (rng.random(n) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)
    who = rng.choice(["ann", "bob", "cy"], size=n)
    return X, y, who


CONVERSION_DEFAULTS = {
    "base_model": None,
    "l2": 1.0,
    "n_segments": 3,
    "prior_strength": None,
    "strength_by_segment": False,
    "unknown_managers": "error",
}


# --------------------------------------------------------------------------- get / set


def test_conversion_model_get_params_lists_the_init_signature():
    assert ConversionModel().get_params() == CONVERSION_DEFAULTS
    assert ConversionModel(l2=0.3).get_params(deep=False) == {**CONVERSION_DEFAULTS, "l2": 0.3}


def test_logistic_model_and_rule_scorer_get_params():
    assert LogisticModel(l2=2.0).get_params() == {"l2": 2.0}
    calibrator = IsotonicCalibrator()
    params = RuleScorer(calibration=calibrator).get_params()
    assert params == {"calibration": calibrator, "config": DEFAULT_RULES}


def test_set_params_sets_and_returns_self():
    model = ConversionModel()
    assert model.set_params(l2=0.3, n_segments=5) is model
    assert (model.l2, model.n_segments) == (0.3, 5)
    scorer = RuleScorer()
    assert scorer.set_params(calibration="platt").calibration == "platt"
    assert LogisticModel().set_params().get_params() == {"l2": 1.0}


def test_set_params_rejects_an_unknown_name():
    with pytest.raises(ValueError, match=r"invalid parameter 'l3' for ConversionModel; its para"):
        ConversionModel().set_params(l3=1.0)


def test_nested_params_of_a_base_model():
    model = ConversionModel(base_model=LogisticRegression(C=2.0))
    params = model.get_params(deep=True)
    assert params["base_model__C"] == 2.0
    assert "base_model__C" not in model.get_params(deep=False)
    model.set_params(base_model__C=0.5)
    assert model.base_model.C == 0.5
    fairlead_base = ConversionModel(base_model=LogisticModel(l2=3.0))
    assert fairlead_base.get_params()["base_model__l2"] == 3.0


# ------------------------------------------------------------------------------- clone


def test_sklearn_clone_of_a_conversion_model():
    model = ConversionModel(l2=0.3, n_segments=4)
    copy = clone(model)
    assert type(copy) is ConversionModel
    assert copy is not model
    assert copy.get_params() == model.get_params()
    X, y, who = history()
    fitted = copy.fit(X, y, managers=who)
    assert not hasattr(model, "effect_")  # the original stays unfitted
    again = clone(fitted)
    assert not hasattr(again, "effect_")  # clone drops learned state
    np.testing.assert_allclose(
        again.fit(X, y, managers=who).predict_proba(X[:5], managers=["ann", "bob"]),
        fitted.predict_proba(X[:5], managers=["ann", "bob"]),
    )


def test_sklearn_clone_with_a_nested_sklearn_base_model():
    model = ConversionModel(base_model=LogisticRegression(C=0.7), l2=0.0)
    copy = clone(model)
    assert copy.base_model is not model.base_model
    assert copy.base_model.C == 0.7


def test_sklearn_clone_of_logistic_model_and_rule_scorer():
    assert clone(LogisticModel(l2=0.1)).l2 == 0.1
    scorer = clone(RuleScorer(calibration="platt"))
    assert scorer.calibration == "platt"
    assert scorer.config == DEFAULT_RULES
    assert repr(scorer) == "RuleScorer(config=DEFAULT_RULES, calibration='platt')"


# ---------------------------------------------------------------------- checks at fit


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), True, "1.0", None])
def test_l2_must_be_a_finite_number_at_least_zero(bad):
    X, y, who = history(n=60)
    message = exact(f"l2 must be a finite number >= 0, got {bad!r}")
    with pytest.raises(ValueError, match=message):
        ConversionModel(l2=bad).fit(X, y, managers=who)
    with pytest.raises(ValueError, match=message):
        LogisticModel(l2=bad).fit(X, y)


def test_l2_zero_and_numpy_numbers_are_fine():
    X, y, who = history(n=200)
    LogisticModel(l2=0).fit(X, y)
    ConversionModel(l2=np.float64(0.5)).fit(X, y, managers=who)


def test_bad_value_set_by_set_params_is_caught_at_fit():
    X, y, who = history(n=60)
    model = ConversionModel().set_params(l2="strong")
    with pytest.raises(ValueError, match=exact("l2 must be a finite number >= 0, got 'strong'")):
        model.fit(X, y, managers=who)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_segments": True}, "n_segments must be an int >= 1, got True"),
        ({"strength_by_segment": "yes"}, "strength_by_segment must be True or False, got 'yes'"),
        (
            {"prior_strength": float("inf")},
            "prior_strength must be > 0, got inf (a finite number, or None to fit it)",
        ),
        (
            {"prior_strength": "10"},
            "prior_strength must be > 0, got '10' (a finite number, or None to fit it)",
        ),
        (
            {"base_model": "logistic"},
            "base_model must be None or an estimator with fit(X, y) and predict_proba(X), "
            "got 'logistic'",
        ),
    ],
)
def test_other_conversion_params_checked_at_fit(params, message):
    X, y, who = history(n=60)
    with pytest.raises(ValueError, match=exact(message)):
        ConversionModel(**params).fit(X, y, managers=who)


@pytest.mark.parametrize("missing", [None, float("nan")])
def test_managers_must_not_hold_missing_ids(missing):
    X, y, who = history(n=60)
    managers = who.astype(object)
    managers[3] = missing
    with pytest.raises(ValueError, match=exact(f"managers: row 3 is {missing!r}")):
        ConversionModel().fit(X, y, managers=managers)
    with pytest.raises(ValueError, match=exact("managers: row 3 is None")):
        ConversionModel().fit(X, y, managers=[*who[:3].tolist(), None, *who[4:].tolist()])


def test_segments_must_not_hold_missing_labels():
    X, y, who = history(n=60)
    segments = ["hot", "cold"] * 30
    segments[5] = None
    with pytest.raises(ValueError, match=exact("segments: row 5 is None")):
        ConversionModel().fit(X, y, managers=who, segments=segments)


def test_predict_managers_must_not_hold_missing_ids():
    X, y, who = history()
    model = ConversionModel(unknown_managers="prior").fit(X, y, managers=who)
    with pytest.raises(ValueError, match=exact("managers: entry 1 is None")):
        model.predict_proba(X[:2], managers=["ann", None])
