"""FeatureEncoder: which columns are numeric or text, missing values, column counts."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fairlead.scoring import ConversionModel, LogisticModel
from fairlead.scoring._features import FeatureEncoder, _mean_std


def exact(message: str) -> str:
    return f"^{re.escape(message)}$"


def ages(n: int = 500) -> list[object]:
    return [float(20 + k % 50) for k in range(n)]


# ------------------------------------------------------------------ numbers mixed with text


def test_one_text_value_in_a_numeric_column_is_an_error_naming_row_and_value():
    column = [*ages(499), "4O"]
    with pytest.raises(
        ValueError, match=exact("feature 'age' mixes numbers and text: row 499 has '4O'")
    ):
        FeatureEncoder().fit({"age": np.asarray(column, dtype=object)})


@pytest.mark.parametrize("form", ["mapping", "records", "frame"])
def test_mixed_column_is_an_error_in_every_input_form(form):
    column = [*ages(10), "4O", *ages(5)]
    data: object
    if form == "mapping":
        data = {"age": np.asarray(column, dtype=object), "visits": np.arange(16.0)}
    elif form == "records":
        data = [{"age": a, "visits": float(k)} for k, a in enumerate(column)]
    else:
        data = pd.DataFrame({"age": pd.Series(column, dtype=object), "visits": np.arange(16.0)})
    with pytest.raises(
        ValueError, match=exact("feature 'age' mixes numbers and text: row 10 has '4O'")
    ):
        FeatureEncoder().fit(data)


def test_mixed_column_names_the_odd_one_out():
    column = ["web", "phone", 42, "web", "referral"]
    with pytest.raises(
        ValueError, match=exact("feature 'channel' mixes numbers and text: row 2 has 42")
    ):
        FeatureEncoder().fit({"channel": np.asarray(column, dtype=object)})


def test_numbers_given_as_text_are_numbers():
    # "42" parses as a number: a column of such text is numeric, and mixed with a word it
    # is a mix, not three categories
    enc = FeatureEncoder().fit({"age": np.array(["30", "40", "50"])})
    assert enc.categories == {}
    assert enc.means["age"] == pytest.approx(40.0)
    with pytest.raises(ValueError, match=r"feature 'age' mixes numbers and text: row 1 has 'n/a'"):
        FeatureEncoder().fit({"age": ["30", "n/a", "50"]})


def test_a_column_without_any_number_is_categorical():
    enc = FeatureEncoder().fit({"channel": ["web", "phone", "web"], "x": [1, 2, 3]})
    assert enc.categories == {"channel": ["phone", "web"]}
    assert enc.output_names == ["channel=phone", "channel=web", "x"]


def test_mixed_history_fails_logistic_and_conversion_fit():
    n = 40
    X = {"age": np.asarray([*ages(n - 1), "4O"], dtype=object)}
    y = np.arange(n) % 2
    match = exact("feature 'age' mixes numbers and text: row 39 has '4O'")
    with pytest.raises(ValueError, match=match):
        LogisticModel().fit(X, y)
    with pytest.raises(ValueError, match=match):
        ConversionModel().fit(X, y, managers=["a", "b"] * (n // 2))


# ------------------------------------------------------------------------ missing values


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, ""])
def test_missing_value_in_a_text_column_is_an_error_naming_the_row(missing):
    column = np.asarray(["web", "phone", "web", missing, "web"], dtype=object)
    with pytest.raises(
        ValueError, match=exact(f"feature 'channel' must not be missing, got {missing!r} in row 3")
    ):
        FeatureEncoder().fit({"channel": column})


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA])
def test_missing_value_in_a_numeric_column_is_an_error_naming_the_row(missing):
    column = np.asarray([1.0, 2.0, 3.0, missing, 5.0], dtype=object)
    with pytest.raises(
        ValueError, match=exact(f"feature 'age' must be finite, got {missing!r} in row 3")
    ):
        FeatureEncoder().fit({"age": column})


def test_missing_value_in_records_at_fit_names_column_and_row():
    records = [{"channel": "web"}, {"channel": "phone"}, {"channel": None}]
    with pytest.raises(
        ValueError, match=exact("feature 'channel' must not be missing, got None in row 2")
    ):
        FeatureEncoder().fit(records)


def test_missing_value_in_a_frame_text_column_at_fit():
    frame = pd.DataFrame({"channel": ["web", None, "phone"], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(
        ValueError, match=r"^feature 'channel' must not be missing, got .* in row 1$"
    ):
        FeatureEncoder().fit(frame)


def test_missing_value_in_a_text_column_at_transform_names_the_row():
    enc = FeatureEncoder().fit({"channel": ["web", "phone"]})
    with pytest.raises(
        ValueError, match=exact("feature 'channel' must not be missing, got None in row 1")
    ):
        enc.transform({"channel": np.asarray(["web", None], dtype=object)})


# ------------------------------------------------------------------ positional (2-d array) X


@pytest.mark.parametrize("columns", [2, 5])
def test_array_with_another_column_count_than_in_fit_is_an_error(columns):
    rng = np.random.default_rng(0)
    enc = FeatureEncoder().fit(rng.normal(size=(20, 3)))
    with pytest.raises(
        ValueError, match=exact(f"X has {columns} feature columns, the model was fitted on 3")
    ):
        enc.transform(rng.normal(size=(4, columns)))


def test_array_column_count_checked_by_the_models():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = (rng.random(200) < 0.4).astype(int)
    who = rng.choice(["a", "b"], size=200)
    match = exact("X has 5 feature columns, the model was fitted on 3")
    with pytest.raises(ValueError, match=match):
        LogisticModel().fit(X, y).predict_proba(rng.normal(size=(4, 5)))
    cm = ConversionModel().fit(X, y, managers=who)
    with pytest.raises(ValueError, match=match):
        cm.predict_proba(rng.normal(size=(4, 5)), managers=["a", "b"])
    assert cm.predict_proba(X[:4], managers=["a", "b"]).shape == (4, 2)


def test_named_columns_may_carry_extra_columns():
    enc = FeatureEncoder().fit({"x": [1.0, 2.0, 3.0]})
    design = enc.transform({"x": [2.0], "unused": ["anything"]})
    np.testing.assert_allclose(design, [[0.0]])


# ------------------------------------------------------------------ magnitude of numbers

ordinary = st.floats(min_value=-1e100, max_value=1e100, allow_subnormal=False).filter(
    lambda v: v == 0 or abs(v) > 1e-100
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(ordinary, min_size=1, max_size=40))
def test_mean_and_std_are_numpys_bit_for_bit_on_ordinary_values(values):
    array = np.asarray(values)
    assert _mean_std(array) == (float(array.mean()), float(array.std()))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.floats(min_value=-1e3, max_value=1e3), min_size=1, max_size=40),
    power=st.integers(min_value=-1000, max_value=1000),
)
def test_mean_and_std_scale_exactly_by_powers_of_two(values, power):
    # Exact whatever the magnitude: no overflow from 1e154 on, no underflow below 1e-162.
    array = np.asarray(values)
    unit = 2.0**power
    scaled = array * unit
    assume(np.all(np.isfinite(scaled)))  # the scaled values fit in a float ...
    tiny = np.finfo(float).tiny
    # ... and neither side subnormal: a subnormal value has lost bits a scaling cannot restore
    assume(not np.any(np.abs(scaled[array != 0]) < tiny))
    assume(not np.any(np.abs(array[array != 0]) < tiny))
    mean, std = _mean_std(array)
    assert _mean_std(scaled) == (mean * unit, std * unit)


@pytest.mark.parametrize("scale", [1e160, 1e308, 1e-200])
def test_huge_and_tiny_numeric_columns_standardize_like_ordinary_ones(scale):
    rng = np.random.default_rng(0)
    column = rng.normal(size=200)
    column /= np.abs(column).max()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = FeatureEncoder().fit({"x": column * scale})
        encoded = enc.transform({"x": column * scale})
    reference = FeatureEncoder().fit({"x": column}).transform({"x": column})
    np.testing.assert_allclose(encoded, reference, rtol=1e-12, atol=1e-12)


def test_a_difference_that_overflows_is_computed_by_dividing_first():
    enc = FeatureEncoder().fit({"x": [1e308, 1.5e308, 1.7e308]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoded = enc.transform({"x": [-1.7e308, 1.5e308]})[:, 0]
    expected = (np.array([-1.7, 1.5]) - enc.means["x"] / 1e308) / (enc.scales["x"] / 1e308)
    np.testing.assert_allclose(encoded, expected, rtol=1e-12)


def test_a_value_too_far_to_standardize_is_an_error_naming_column_and_row():
    enc = FeatureEncoder().fit({"x": [0.0, 1e-300, 2e-300]})
    with pytest.raises(
        ValueError,
        match=r"^feature 'x' is too far from the values seen in fit, got 1e\+300 in row 1 ",
    ):
        enc.transform({"x": [0.0, 1e300]})
