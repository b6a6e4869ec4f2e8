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

from fairlead._problem import FloatArray

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

        Examples
        --------
        >>> round(DelayEffect().bucket_ratio((0, 1), (1, 2)), 2)
        7.0
        """
        return self._bucket_mean(*first) / self._bucket_mean(*second)

    def _bucket_mean(self, lo: float, hi: float) -> float:
        a = self.fast_share
        total = 0.0
        for share, tau in ((a, self.fast_hours), (1.0 - a, self.slow_hours)):
            total += share * tau * (math.exp(-lo / tau) - math.exp(-hi / tau))
        return total / (hi - lo)


def calibrate_delay(
    contrasts: tuple[tuple[tuple[float, float], tuple[float, float], float], ...] = (
        HBR_2011_CONTRASTS
    ),
    *,
    fast_hours: float = 0.25,
) -> DelayEffect:
    """Fit ``fast_share`` and ``slow_hours`` so the curve reproduces two published contrasts.

    ``fast_hours`` is fixed (two contrasts pin two parameters). The default contrasts are
    the HBR 2011 figures; pass others to calibrate on another study.

    Examples
    --------
    >>> effect = calibrate_delay()
    >>> round(effect.fast_share, 3), round(effect.slow_hours, 1)
    (0.962, 16.3)
    """
    from scipy.optimize import least_squares

    if len(contrasts) != 2:
        raise ValueError(f"calibrate_delay needs exactly 2 contrasts, got {len(contrasts)}")

    def effect_of(p: FloatArray) -> DelayEffect:
        share = float(1.0 / (1.0 + np.exp(-p[0])))
        return DelayEffect(fast_share=share, fast_hours=fast_hours, slow_hours=float(np.exp(p[1])))

    def residuals(p: FloatArray) -> list[float]:
        effect = effect_of(p)
        return [
            math.log(effect.bucket_ratio(first, second)) - math.log(ratio)
            for first, second, ratio in contrasts
        ]

    fit = least_squares(residuals, x0=np.array([2.0, math.log(10.0)]))
    return effect_of(fit.x)
