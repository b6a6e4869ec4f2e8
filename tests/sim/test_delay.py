"""The delay curve: shape, the published contrasts it reproduces, and its calibration."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.sim import HBR_2011_CONTRASTS, DelayEffect, calibrate_delay

effects = st.builds(
    DelayEffect,
    fast_share=st.floats(0.0, 1.0),
    fast_hours=st.floats(1e-3, 1e3),
    slow_hours=st.floats(1e-3, 1e4),
)
delays = st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False)


@settings(deadline=None, max_examples=200)
@given(effect=effects, hours=st.lists(delays, min_size=1, max_size=30))
def test_multiplier_is_one_at_zero_and_never_rises(effect: DelayEffect, hours: list[float]) -> None:
    d = np.sort(np.asarray(hours))
    m = effect.multiplier(d)
    assert m.shape == d.shape
    assert float(effect.multiplier(0.0)) == pytest.approx(1.0, abs=1e-15)
    assert np.all(np.diff(m) <= 0.0)
    assert np.all((m >= 0.0) & (m <= 1.0 + 1e-15))


@settings(deadline=None, max_examples=100)
@given(
    effect=st.builds(
        DelayEffect,
        fast_share=st.floats(0.0, 1.0),
        fast_hours=st.floats(0.05, 100.0),
        slow_hours=st.floats(0.05, 1e4),
    ),
    lo=st.floats(0.0, 10.0),
    width=st.floats(0.01, 20.0),
)
def test_bucket_ratio_is_the_ratio_of_curve_averages(
    effect: DelayEffect, lo: float, width: float
) -> None:
    # The closed form against a fine midpoint rule over both buckets.
    def average(a: float, b: float) -> float:
        grid = a + (np.arange(20_000) + 0.5) * ((b - a) / 20_000)
        return float(effect.multiplier(grid).mean())

    hi = lo + width
    numeric = average(lo, hi) / average(0.0, 1.0)
    assert effect.bucket_ratio((lo, hi), (0.0, 1.0)) == pytest.approx(numeric, rel=1e-4)
    assert effect.bucket_ratio((lo, hi), (lo, hi)) == pytest.approx(1.0, rel=1e-12)


def test_default_curve_reproduces_the_hbr_contrasts() -> None:
    effect = DelayEffect()
    assert effect.bucket_ratio((0, 1), (1, 2)) == pytest.approx(7.0, rel=0.02)
    assert effect.bucket_ratio((0, 1), (24, 48)) == pytest.approx(60.0, rel=0.02)
    for first, second, ratio in HBR_2011_CONTRASTS:
        assert effect.bucket_ratio(first, second) == pytest.approx(ratio, rel=0.02)


def test_calibration_recovers_the_defaults() -> None:
    fitted = calibrate_delay()
    default = DelayEffect()
    assert fitted.fast_hours == default.fast_hours
    assert fitted.fast_share == pytest.approx(default.fast_share, abs=1e-3)
    assert fitted.slow_hours == pytest.approx(default.slow_hours, rel=5e-3)
    for first, second, ratio in HBR_2011_CONTRASTS:
        assert fitted.bucket_ratio(first, second) == pytest.approx(ratio, rel=1e-6)


def test_calibration_fits_other_contrasts() -> None:
    target = DelayEffect(fast_share=0.8, fast_hours=0.5, slow_hours=10.0)
    contrasts = tuple(
        (first, second, target.bucket_ratio(first, second))
        for first, second in (((0.0, 1.0), (1.0, 2.0)), ((0.0, 1.0), (24.0, 48.0)))
    )
    fitted = calibrate_delay(contrasts, fast_hours=0.5)
    assert fitted.fast_share == pytest.approx(0.8, rel=1e-4)
    assert fitted.slow_hours == pytest.approx(10.0, rel=1e-4)


def test_calibration_needs_two_contrasts() -> None:
    with pytest.raises(ValueError, match="exactly 2 contrasts, got 1"):
        calibrate_delay(HBR_2011_CONTRASTS[:1])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fast_share": -0.1}, "fast_share"),
        ({"fast_share": 1.5}, "fast_share"),
        ({"fast_share": math.nan}, "fast_share"),
        ({"fast_hours": 0.0}, "fast_hours"),
        ({"fast_hours": -1.0}, "fast_hours"),
        ({"fast_hours": math.inf}, "fast_hours"),
        ({"slow_hours": math.nan}, "slow_hours"),
        ({"slow_hours": 0.0}, "slow_hours"),
    ],
)
def test_invalid_parameters_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        DelayEffect(**kwargs)


def test_negative_delays_are_rejected() -> None:
    with pytest.raises(ValueError, match="delays must be >= 0 hours"):
        DelayEffect().multiplier([1.0, -0.5])


HOUR, LATER, DAY = (0.0, 1.0), (1.0, 2.0), (24.0, 48.0)


@pytest.mark.parametrize(
    ("contrasts", "message"),
    [
        (((HOUR, LATER, 0.5), (HOUR, DAY, 60.0)), r"contrast 0: ratio must be a finite number > 1"),
        (((HOUR, LATER, 7.0), (HOUR, DAY, 0.0)), r"contrast 1: ratio must be a finite number > 1"),
        (((HOUR, LATER, -7.0), (HOUR, DAY, 60.0)), r"contrast 0: ratio .* got -7.0"),
        (((HOUR, LATER, 1.0), (HOUR, DAY, 60.0)), r"contrast 0: ratio .* got 1.0"),
        (((HOUR, LATER, math.nan), (HOUR, DAY, 60.0)), r"contrast 0: ratio .* got nan"),
        (((HOUR, LATER, 7.0), (HOUR, DAY, math.inf)), r"contrast 1: ratio .* got inf"),
        (
            ((HOUR, LATER, 7.0), (HOUR, DAY, "x")),
            r"contrast 1 must be \(\(lo, hi\), \(lo, hi\), ratio\)",
        ),
        (
            (((0.0, 0.0), LATER, 7.0), (HOUR, DAY, 60.0)),
            r"contrast 0: first bucket must be \(lo, hi\) hours with 0 <= lo < hi, finite, "
            r"got \(0.0, 0.0\)",
        ),
        ((((1.0, 0.0), LATER, 7.0), (HOUR, DAY, 60.0)), r"contrast 0: first bucket .* got \(1.0"),
        ((((-5.0, -1.0), LATER, 7.0), (HOUR, DAY, 60.0)), r"contrast 0: first bucket"),
        (((HOUR, LATER, 7.0), (HOUR, (24.0, math.inf), 60.0)), r"contrast 1: second bucket"),
        (((HOUR, LATER, 7.0), (HOUR, (24.0,), 60.0)), r"contrast 1: second bucket must be"),
        (((0, 1, 7), (0, 1, 6)), r"contrast 0: first bucket must be \(lo, hi\) hours, got 0"),
        (((HOUR, LATER),), r"exactly 2 contrasts, got 1"),
        (7, r"contrasts must be a sequence of 2 contrasts, got 7"),
    ],
)
def test_a_bad_contrast_is_named_by_its_index(contrasts: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate_delay(contrasts)


@pytest.mark.parametrize(
    "contrasts",
    [
        # Contradictory: 7x within two hours but only 6x after a day.
        ((HOUR, LATER, 7.0), (HOUR, DAY, 6.0)),
        # A ratio the curve with a 15-minute fast part cannot reach over one hour.
        ((HOUR, LATER, 1e6), (HOUR, DAY, 1e9)),
    ],
)
def test_a_fit_that_misses_a_contrast_is_refused(contrasts: Any) -> None:
    with pytest.raises(
        ValueError, match=r"^the best fit misses contrast \d .* more than rtol=0.01"
    ):
        calibrate_delay(contrasts)


def test_the_miss_names_every_contrast_missed() -> None:
    with pytest.raises(
        ValueError, match=r"contrast 0 \(ratio 7 .* by 12\.6%.*; contrast 1 \(ratio 6"
    ):
        calibrate_delay(((HOUR, LATER, 7.0), (HOUR, DAY, 6.0)))
    # A looser tolerance accepts the compromise.
    effect = calibrate_delay(((HOUR, LATER, 7.0), (HOUR, DAY, 6.0)), rtol=0.2)
    assert effect.bucket_ratio(HOUR, LATER) == pytest.approx(7.0, rel=0.2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fast_hours": 0.0}, "fast_hours must be a positive number of hours, got 0.0"),
        ({"fast_hours": math.nan}, "fast_hours must be a positive number of hours, got nan"),
        ({"rtol": 0.0}, "rtol must be a finite number > 0, got 0.0"),
        ({"rtol": math.inf}, "rtol must be a finite number > 0, got inf"),
        ({"rtol": True}, "rtol must be a finite number > 0, got True"),
    ],
)
def test_bad_calibration_options_are_named(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        calibrate_delay(**kwargs)


@settings(deadline=None, max_examples=40)
@given(
    share=st.floats(0.5, 0.99),
    slow=st.floats(2.0, 200.0),
    fast=st.sampled_from([0.1, 0.25, 0.5]),
)
def test_calibration_recovers_any_reachable_curve(share: float, slow: float, fast: float) -> None:
    target = DelayEffect(fast_share=share, fast_hours=fast, slow_hours=slow)
    contrasts = tuple((a, b, target.bucket_ratio(a, b)) for a, b in ((HOUR, LATER), (HOUR, DAY)))
    fitted = calibrate_delay(contrasts, fast_hours=fast)
    for first, second, ratio in contrasts:
        assert fitted.bucket_ratio(first, second) == pytest.approx(ratio, rel=0.01)


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ((1.0, 1.0), (2.0, 3.0), r"first bucket must be \(lo, hi\) hours with 0 <= lo < hi"),
        ((1.0, 0.0), (2.0, 3.0), r"first bucket .* got \(1.0, 0.0\)"),
        ((0.0, 1.0), (-1.0, 3.0), r"second bucket .* got \(-1.0, 3.0\)"),
        ((0.0, 1.0), (2.0, math.nan), r"second bucket"),
    ],
)
def test_a_bad_bucket_is_refused(first: Any, second: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DelayEffect().bucket_ratio(first, second)


def test_a_bucket_ratio_far_out_does_not_fail() -> None:
    effect = DelayEffect()
    assert effect.bucket_ratio((0, 1), (1e5, 2e5)) == math.inf
    assert effect.bucket_ratio((1e5, 2e5), (0, 1)) == 0.0
    only_slow = DelayEffect(fast_share=0.0, slow_hours=1e6)
    assert only_slow.bucket_ratio((0, 1), (1, 2)) == pytest.approx(1.0, abs=1e-5)
