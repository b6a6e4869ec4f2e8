"""How the delay before first contact scales a lead's chance to convert.

The curve is a mixture of a fast and a slow exponential decay,
``m(d) = a * exp(-d / tau_fast) + (1 - a) * exp(-d / tau_slow)`` with ``d`` in hours:
a share ``a`` of leads is "in the moment" and cools within minutes, the rest cool over
a day. Its default parameters are fitted to the two contrasts of the lead-response
audit by Oldroyd, McElheran and Elkington (Harvard Business Review, March 2011):
firms that tried to contact a lead within an hour were about 7 times as likely to
qualify it as firms that tried an hour later, and more than 60 times as likely as
firms that waited 24 hours or longer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fairlead.core import FloatArray

#: The published contrasts the default curve reproduces, as (first bucket, second
#: bucket, ratio): mean multiplier over the first bucket of delays (hours, uniform)
#: divided by the mean over the second.
HBR_2011_CONTRASTS: tuple[tuple[tuple[float, float], tuple[float, float], float], ...] = (
    ((0.0, 1.0), (1.0, 2.0), 7.0),
    ((0.0, 1.0), (24.0, 48.0), 60.0),
)


@dataclass(frozen=True)
class DelayEffect:
    """Multiplier on the conversion chance as a function of hours to first contact.

    Parameters
    ----------
    fast_share : float
        Share ``a`` of the lead's chance that cools fast.
    fast_hours : float
        Time constant of the fast part, in hours.
    slow_hours : float
        Time constant of the slow part, in hours.

    Examples
    --------
    >>> effect = DelayEffect()
    >>> [round(float(x), 3) for x in effect.multiplier([0.0, 0.25, 1.0, 24.0])]
    [1.0, 0.391, 0.053, 0.009]
    >>> DelayEffect(fast_share=0.0, slow_hours=1e9).multiplier([5.0]).round(6).tolist()
    [1.0]
    """

    fast_share: float = 0.962
    fast_hours: float = 0.25
    slow_hours: float = 16.3

    def __post_init__(self) -> None:
        if not 0.0 <= self.fast_share <= 1.0:
            raise ValueError(f"fast_share must be in [0, 1], got {self.fast_share!r}")
        for name in ("fast_hours", "slow_hours"):
            hours = getattr(self, name)
            if not (math.isfinite(hours) and hours > 0):
                raise ValueError(f"{name} must be a positive number of hours, got {hours!r}")

    def multiplier(self, hours: npt.ArrayLike) -> FloatArray:
        """Multiplier for each delay in hours: 1 at zero, falling towards 0 (monotone)."""
        d = np.asarray(hours, dtype=np.float64)
        if np.any(d < 0):
            raise ValueError(f"delays must be >= 0 hours, got {float(d.min()):g}")
        a = self.fast_share
        return np.asarray(
            a * np.exp(-d / self.fast_hours) + (1.0 - a) * np.exp(-d / self.slow_hours),
            dtype=np.float64,
        )

    def bucket_ratio(self, first: tuple[float, float], second: tuple[float, float]) -> float:
        """Mean multiplier over ``first`` (hours, uniform) over the mean over ``second``.

        Each bucket is ``(lo, hi)`` hours with ``0 <= lo < hi``, both finite.

        Examples
        --------
        >>> round(DelayEffect().bucket_ratio((0, 1), (1, 2)), 2)
        7.0
        """
        lo1, hi1 = _bucket(first, "first bucket")
        lo2, hi2 = _bucket(second, "second bucket")
        log_ratio = self._log_bucket_mean(lo1, hi1) - self._log_bucket_mean(lo2, hi2)
        return math.exp(log_ratio) if log_ratio < 709.0 else math.inf

    def _log_bucket_mean(self, lo: float, hi: float) -> float:
        """Log of the mean multiplier over delays uniform in [lo, hi), safe from underflow.

        Each part is ``share * tau * e^(-lo/tau) * (1 - e^(-(hi-lo)/tau))``, summed in logs.
        """
        a = self.fast_share
        terms = [
            math.log(share) + math.log(tau) - lo / tau + math.log(-math.expm1(-(hi - lo) / tau))
            for share, tau in ((a, self.fast_hours), (1.0 - a, self.slow_hours))
            if share > 0.0
        ]
        top = max(terms)
        return top + math.log(sum(math.exp(t - top) for t in terms)) - math.log(hi - lo)


def _bucket(bucket: object, what: str) -> tuple[float, float]:
    """``bucket`` as finite ``(lo, hi)`` hours with ``0 <= lo < hi``, or a ValueError."""
    try:
        lo, hi = (float(x) for x in bucket)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be (lo, hi) hours, got {bucket!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0.0 <= lo < hi):
        raise ValueError(f"{what} must be (lo, hi) hours with 0 <= lo < hi, finite, got {bucket!r}")
    return lo, hi


Contrast = tuple[tuple[float, float], tuple[float, float], float]


def _check_contrasts(contrasts: object) -> list[Contrast]:
    """Each contrast as ``((lo, hi), (lo, hi), ratio)``; a ValueError names the bad one."""
    try:
        items = list(contrasts)  # type: ignore[call-overload]
    except TypeError:
        raise ValueError(
            f"contrasts must be a sequence of 2 contrasts, got {contrasts!r}"
        ) from None
    if len(items) != 2:
        raise ValueError(f"calibrate_delay needs exactly 2 contrasts, got {len(items)}")
    checked: list[Contrast] = []
    for index, contrast in enumerate(items):
        shape = f"contrast {index} must be ((lo, hi), (lo, hi), ratio)"
        try:
            first, second, ratio = contrast
            ratio = float(ratio)
        except (TypeError, ValueError):
            raise ValueError(f"{shape}, got {contrast!r}") from None
        buckets = (
            _bucket(first, f"contrast {index}: first bucket"),
            _bucket(second, f"contrast {index}: second bucket"),
        )
        # The curve only falls, so a mean over earlier delays exceeds one over later delays:
        # a contrast can only be reproduced with a ratio above 1.
        if not (math.isfinite(ratio) and ratio > 1.0):
            raise ValueError(
                f"contrast {index}: ratio must be a finite number > 1 (the multiplier only "
                f"falls with delay), got {ratio!r}"
            )
        checked.append((buckets[0], buckets[1], ratio))
    return checked


#: Search box of the calibration: fast share in [1e-9, 1 - 1e-9] (as a logit) and slow
#: time constant in [1e-3, 1e7] hours (as a log).
_FIT_BOUNDS = ([-20.7, math.log(1e-3)], [20.7, math.log(1e7)])


def calibrate_delay(
    contrasts: tuple[Contrast, ...] = HBR_2011_CONTRASTS,
    *,
    fast_hours: float = 0.25,
    rtol: float = 0.01,
) -> DelayEffect:
    """Fit ``fast_share`` and ``slow_hours`` so the curve reproduces two published contrasts.

    ``fast_hours`` is fixed (two contrasts pin two parameters). The default contrasts are
    the HBR 2011 figures; pass others to calibrate on another study. A contrast is
    ``((lo, hi), (lo, hi), ratio)``: hours of two buckets (``0 <= lo < hi``, finite) and
    the mean multiplier over the first divided by that over the second (finite, > 1).

    Parameters
    ----------
    contrasts : two contrasts
    fast_hours : float
        Time constant of the fast part, in hours (finite, > 0).
    rtol : float
        Largest relative miss of the fitted curve on any contrast's ratio (finite, > 0).

    Raises
    ------
    ValueError
        If a contrast is malformed or out of range (the message names its index), or if
        the best fit misses a contrast's ratio by more than ``rtol`` (the contrasts
        contradict each other, or the curve with this ``fast_hours`` cannot reach them).

    Examples
    --------
    >>> effect = calibrate_delay()
    >>> round(effect.fast_share, 3), round(effect.slow_hours, 1)
    (0.962, 16.3)
    >>> try:
    ...     calibrate_delay((((0, 1), (1, 2), 7.0), ((0, 1), (24, 48), 6.0)))
    ... except ValueError as error:
    ...     print(str(error)[:60])
    the best fit misses contrast 0 (ratio 7 of (0.0, 1.0) over (
    """
    from scipy.optimize import least_squares

    checked = _check_contrasts(contrasts)
    DelayEffect(fast_hours=fast_hours)  # validates fast_hours, naming it
    if isinstance(rtol, bool) or not (isinstance(rtol, int | float) and 0.0 < rtol < math.inf):
        raise ValueError(f"rtol must be a finite number > 0, got {rtol!r}")

    def effect_of(p: FloatArray) -> DelayEffect:
        share = float(1.0 / (1.0 + np.exp(-p[0])))
        return DelayEffect(fast_share=share, fast_hours=fast_hours, slow_hours=float(np.exp(p[1])))

    def residuals(p: FloatArray) -> list[float]:
        effect = effect_of(p)
        return [
            effect._log_bucket_mean(*first) - effect._log_bucket_mean(*second) - math.log(ratio)
            for first, second, ratio in checked
        ]

    fit = least_squares(residuals, x0=np.array([2.0, math.log(10.0)]), bounds=_FIT_BOUNDS)
    effect = effect_of(fit.x)
    misses = []
    for index, (first, second, ratio) in enumerate(checked):
        got = effect.bucket_ratio(first, second)
        if abs(got / ratio - 1.0) > rtol:
            misses.append(
                f"contrast {index} (ratio {ratio:g} of {first} over {second} hours) "
                f"by {abs(got / ratio - 1.0):.1%}: it gives {got:.4g}"
            )
    if misses:
        raise ValueError(
            f"the best fit misses {'; '.join(misses)}. That is more than rtol={rtol:g}: the "
            f"contrasts contradict each other, or need another fast_hours (now {fast_hours:g})"
        )
    return effect
