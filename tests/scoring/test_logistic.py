"""LogisticModel / fit_logistic: the default base conversion model, checked against sklearn."""

import inspect

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from fairlead.scoring import LogisticModel
from fairlead.scoring._features import FeatureEncoder, as_columns
from fairlead.scoring._logistic import fit_logistic

# The reference: scikit-learn minimizes C * sum(log loss) + ||coef||^2 / 2 with an unpenalized
# intercept, i.e. sum(log loss) + l2 / 2 * ||coef||^2 for C = 1 / l2. It is solved to a far
# tighter tolerance than the 1e-4 we ask of fairlead, so any gap is fairlead's.
TOL = 1e-4


def sklearn_fit(design, y, l2, sample_weight=None):
    ref = LogisticRegression(C=1.0 / l2, tol=1e-12, max_iter=100_000)
    ref.fit(design, y, sample_weight=sample_weight)
    return ref.coef_[0], float(ref.intercept_[0])


def numeric_data(seed=0, n=1500):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1.0, 10.0, 0.1] + [0.0, 50.0, -3.0]
    z = 0.9 * X[:, 0] - 0.05 * (X[:, 1] - 50.0) + 4.0 * (X[:, 2] + 3.0) - 0.7
    y = (rng.random(n) < expit(z)).astype(np.float64)
    return X, y


def mixed_data(seed=1, n=2000):
    rng = np.random.default_rng(seed)
    X = {
        "age_days": rng.normal(30.0, 12.0, n),
        "visits": rng.poisson(4.0, n).astype(np.float64),
        "channel": rng.choice(["web", "phone", "referral"], n),
    }
    z = (
        0.04 * (X["age_days"] - 30.0)
        - 0.2 * (X["visits"] - 4.0)
        + np.where(X["channel"] == "referral", 1.0, 0.0)
        - 0.5
    )
    y = (rng.random(n) < expit(z)).astype(np.float64)
    return X, y


# --------------------------------------------------------------------------- fit_logistic


@pytest.mark.parametrize("l2", [0.1, 1.0, 10.0, 100.0])
def test_fit_logistic_matches_sklearn_on_a_standardized_design(l2):
    X, y = numeric_data()
    design = StandardScaler().fit_transform(X)
    coef, intercept = fit_logistic(design, y, l2=l2)
    ref_coef, ref_intercept = sklearn_fit(design, y, l2)
    np.testing.assert_allclose(coef, ref_coef, atol=TOL)
    assert intercept == pytest.approx(ref_intercept, abs=TOL)


def test_fit_logistic_with_sample_weight_matches_sklearn():
    X, y = numeric_data(seed=3)
    design = StandardScaler().fit_transform(X)
    weight = np.random.default_rng(4).uniform(0.2, 3.0, y.size)
    coef, intercept = fit_logistic(design, y, l2=1.0, sample_weight=weight)
    ref_coef, ref_intercept = sklearn_fit(design, y, 1.0, sample_weight=weight)
    np.testing.assert_allclose(coef, ref_coef, atol=TOL)
    assert intercept == pytest.approx(ref_intercept, abs=TOL)


def test_fit_logistic_integer_weights_equal_repeated_rows():
    X, y = numeric_data(seed=5, n=300)
    design = StandardScaler().fit_transform(X)
    weight = np.random.default_rng(6).integers(1, 4, y.size)
    coef_w, b_w = fit_logistic(design, y, l2=1.0, sample_weight=weight.astype(np.float64))
    coef_r, b_r = fit_logistic(np.repeat(design, weight, axis=0), np.repeat(y, weight), l2=1.0)
    np.testing.assert_allclose(coef_w, coef_r, atol=TOL)
    assert b_w == pytest.approx(b_r, abs=TOL)


def test_fit_logistic_stronger_penalty_shrinks_coefficients():
    X, y = numeric_data(seed=7)
    design = StandardScaler().fit_transform(X)
    norms = [np.linalg.norm(fit_logistic(design, y, l2=l2)[0]) for l2 in (0.01, 10.0, 1000.0)]
    assert norms[0] > norms[1] > norms[2] > 0


# --------------------------------------------------------------------------- LogisticModel


def test_init_is_keyword_only_and_stores_l2():
    params = inspect.signature(LogisticModel).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params.values())
    assert LogisticModel(l2=0.3).l2 == 0.3
    with pytest.raises(TypeError):
        LogisticModel(0.3)


def test_fit_returns_self_and_learned_attributes_end_with_underscore():
    X, y = mixed_data()
    model = LogisticModel(l2=2.0)
    before = set(vars(model))
    assert model.fit(X, y) is model
    learned = set(vars(model)) - before
    assert {"encoder_", "coef_", "intercept_", "classes_"} <= learned
    assert all(name.endswith("_") for name in learned)
    assert model.l2 == 2.0
    assert model.classes_.tolist() == [0, 1]


def test_numeric_columns_are_standardized_like_standard_scaler():
    X, y = mixed_data()
    model = LogisticModel().fit(X, y)
    design = model.encoder_.transform(X)
    numeric = np.column_stack([X["age_days"], X["visits"]])
    np.testing.assert_allclose(design[:, :2], StandardScaler().fit_transform(numeric), atol=1e-12)


def test_categorical_columns_are_one_hot_encoded():
    X, y = mixed_data()
    model = LogisticModel().fit(X, y)
    enc = model.encoder_
    assert enc.output_names == [
        "age_days",
        "visits",
        "channel=phone",
        "channel=referral",
        "channel=web",
    ]
    assert enc.categories == {"channel": ["phone", "referral", "web"]}
    block = enc.transform(X)[:, 2:]
    assert set(np.unique(block).tolist()) == {0.0, 1.0}
    np.testing.assert_array_equal(block.sum(axis=1), np.ones(len(X["channel"])))
    for k, cat in enumerate(["phone", "referral", "web"]):
        np.testing.assert_array_equal(block[:, k] == 1.0, X["channel"] == cat)
    assert model.coef_.shape == (5,)
    # referral converts best in the simulation
    assert model.coef_[3] > max(model.coef_[2], model.coef_[4])


@pytest.mark.parametrize(("l2", "weighted"), [(1.0, False), (0.1, False), (1.0, True)])
def test_coefficients_with_categorical_columns_match_sklearn(l2, weighted):
    X, y = mixed_data()
    weight = np.random.default_rng(2).uniform(0.2, 3.0, y.size) if weighted else None
    model = LogisticModel(l2=l2).fit(X, y, sample_weight=weight)
    design = model.encoder_.transform(X)
    ref_coef, ref_intercept = sklearn_fit(design, y, l2, sample_weight=weight)
    np.testing.assert_allclose(model.coef_, ref_coef, atol=TOL)
    assert model.intercept_ == pytest.approx(ref_intercept, abs=TOL)


@pytest.mark.parametrize(("l2", "weighted"), [(1.0, False), (0.1, False), (1.0, True)])
def test_probabilities_with_categorical_columns_match_sklearn(l2, weighted):
    X, y = mixed_data()
    weight = np.random.default_rng(2).uniform(0.2, 3.0, y.size) if weighted else None
    model = LogisticModel(l2=l2).fit(X, y, sample_weight=weight)
    design = model.encoder_.transform(X)
    ref = LogisticRegression(C=1.0 / l2, tol=1e-12, max_iter=100_000)
    ref.fit(design, y, sample_weight=weight)
    np.testing.assert_allclose(model.predict_proba(X), ref.predict_proba(design), atol=TOL)


def test_predict_proba_shape_and_columns():
    X, y = mixed_data()
    model = LogisticModel().fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (y.size, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], expit(model.decision_function(X)), rtol=1e-12)
    assert ((proba > 0) & (proba < 1)).all()


def test_unseen_category_encodes_to_zeros():
    X, y = mixed_data()
    model = LogisticModel().fit(X, y)
    new = {"age_days": [30.0, 42.0], "visits": [4.0, 1.0], "channel": ["fax", "web"]}
    design = model.encoder_.transform(new)
    np.testing.assert_array_equal(design[0, 2:], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(design[1, 2:], [0.0, 0.0, 1.0])
    # the unseen category contributes nothing: only the numeric part and the intercept
    enc = model.encoder_
    z0 = (
        model.coef_[0] * (30.0 - enc.means["age_days"]) / enc.scales["age_days"]
        + model.coef_[1] * (4.0 - enc.means["visits"]) / enc.scales["visits"]
        + model.intercept_
    )
    assert model.decision_function(new)[0] == pytest.approx(z0, abs=1e-12)


def test_input_forms_agree():
    X, y = mixed_data(n=400)
    frame = pd.DataFrame(X)
    records = frame.to_dict(orient="records")
    by_map = LogisticModel().fit(X, y)
    by_frame = LogisticModel().fit(frame, y)
    by_records = LogisticModel().fit(records, y)
    for other in (by_frame, by_records):
        np.testing.assert_allclose(other.coef_, by_map.coef_, atol=1e-10)
        assert other.intercept_ == pytest.approx(by_map.intercept_, abs=1e-10)
        np.testing.assert_allclose(other.predict_proba(frame), by_map.predict_proba(records))


def test_plain_array_columns_are_named_x0_x1():
    X, y = numeric_data(n=300)
    model = LogisticModel().fit(X, y)
    assert model.encoder_.names == ["x0", "x1", "x2"]
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"])
    np.testing.assert_allclose(model.predict_proba(frame), model.predict_proba(X))


def test_constant_numeric_column_does_not_divide_by_zero():
    X, y = numeric_data(n=300)
    X = np.column_stack([X, np.full(len(y), 7.0)])
    model = LogisticModel().fit(X, y)
    assert model.encoder_.scales["x3"] == 1.0
    assert np.isfinite(model.coef_).all()
    assert model.coef_[3] == pytest.approx(0.0, abs=1e-8)


# --------------------------------------------------------------------------- errors


def test_missing_feature_column_at_predict_names_it():
    X, y = mixed_data(n=300)
    model = LogisticModel().fit(X, y)
    partial = {"age_days": [1.0], "channel": ["web"]}
    with pytest.raises(ValueError, match=r"lacks feature column\(s\) \['visits'\]"):
        model.predict_proba(partial)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_value_at_fit_names_column_and_row(bad):
    X, y = mixed_data(n=50)
    X["visits"] = X["visits"].copy()
    X["visits"][17] = bad
    with pytest.raises(ValueError, match=r"feature 'visits' must be finite.* in row 17"):
        LogisticModel().fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_value_at_predict_names_column_and_row(bad):
    X, y = mixed_data(n=300)
    model = LogisticModel().fit(X, y)
    new = {"age_days": [1.0, 2.0, bad], "visits": [1.0, 2.0, 3.0], "channel": ["web"] * 3}
    with pytest.raises(ValueError, match=r"feature 'age_days' must be a finite .* in row 2"):
        model.predict_proba(new)


def test_missing_value_in_records_at_predict_names_column_and_row():
    X, y = mixed_data(n=300)
    model = LogisticModel().fit(X, y)
    records = [
        {"age_days": 1.0, "visits": 2.0, "channel": "web"},
        {"age_days": None, "visits": 2.0, "channel": "web"},
    ]
    with pytest.raises(ValueError, match=r"feature 'age_days' .*None in row 1"):
        model.predict_proba(records)


def test_text_in_numeric_column_at_predict_names_the_offending_row():
    X, y = mixed_data(n=300)
    model = LogisticModel().fit(X, y)
    new = {
        "age_days": np.array([1.0, 2.0, "soon"], dtype=object),
        "visits": [1.0, 2.0, 3.0],
        "channel": ["web"] * 3,
    }
    with pytest.raises(ValueError, match=r"feature 'age_days' .*'soon' in row 2"):
        model.predict_proba(new)


def test_as_columns_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"X must be 2-d"):
        as_columns(np.zeros(3))
    with pytest.raises(ValueError, match=r"one length"):
        as_columns({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(ValueError, match=r"no feature columns"):
        FeatureEncoder().fit({})


def test_outcomes_and_weights_of_the_wrong_shape_name_it():
    X = np.arange(20.0).reshape(10, 2)
    y = np.r_[np.zeros(5), np.ones(5)]
    with pytest.raises(ValueError, match=r"^y must be 1-d, got shape \(10, 1\)$"):
        LogisticModel().fit(X, y[:, None])
    with pytest.raises(ValueError, match=r"^X has 10 rows but y has 5$"):
        LogisticModel().fit(X, y[:5])
    with pytest.raises(
        ValueError, match=r"^sample_weight must have one entry per row \(10\), got shape \(3,\)$"
    ):
        LogisticModel().fit(X, y, sample_weight=np.ones(3))


@pytest.mark.parametrize(
    ("y", "message"),
    [([0, 1, 0, 2], "got 2 in row 3"), ([0, 1, np.nan, 1], "got nan in row 2")],
)
def test_outcomes_other_than_0_and_1_are_refused(y, message):
    import fairlead as fl

    with pytest.raises(fl.InputError, match=rf"^y must hold outcomes 0/1, {message}$"):
        LogisticModel().fit(np.arange(4.0)[:, None], y)
