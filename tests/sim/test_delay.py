"""The delay curve: shape, the published contrasts it reproduces, and its calibration."""

from __future__ import annotations

import math

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
