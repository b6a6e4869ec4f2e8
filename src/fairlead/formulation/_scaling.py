"""How float numbers become the integers OR-Tools works on: one scaling scheme.

A family of numbers (the workloads of a problem, its values, its value-bound
coefficients, its targets) is multiplied by one *scale* and rounded:

1. *Round* when one exists: the smallest ``2**a * 5**b <= 10**6`` that makes every
   number an integer (up to float noise), provided the largest magnitude stays
   below ``2**40`` and every sum of ``terms`` numbers below ``2**60``. Integer data
   and decimals with up to six digits are then exact.
2. Else the largest magnitude maps to a *resolution*, bounded by the term budget
   (``terms`` numbers still sum below ``2**60``): a power of two by default, whose
   products are exact in floats, so that rounding down or up is conservative.

The flow methods (``min_cost_flow``, ``sifting``) use step 2 alone, with the exact
ratio rather than a power of two, and a resolution of
``min(2**53, 2**61 // (nodes + 3))``: OR-Tools multiplies each cost by about the
number of nodes, and they round each cost once to the nearest integer
(:func:`round_scaled`), so the finest ratio is the smallest error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fairlead.core import FloatArray, IntArray

# Round scales 2**a * 5**b <= 1e6, ascending: every decimal with up to six digits
# and every binary fraction down to 2**-19 becomes an integer under one of them.
ROUND_SCALES: tuple[int, ...] = tuple(
    sorted({2**a * 5**b for a in range(20) for b in range(9) if 2**a * 5**b <= 10**6})
)
SNAP = 1e-11  # a scaled number within this (relative) of an integer is that integer
EXACT_LIMIT = 2.0**40  # a round scale may map the largest magnitude up to this
TOTAL_LIMIT = 2.0**60  # any sum of scaled numbers stays below this (int64 with room)
# Resolutions for inexact families: values (an objective) keep 2**30 of their largest
# magnitude; constraint coefficients (workloads, value-bound coefficients) as many as
# int64 sums allow, so that conservative rounding costs less than the 1e-9 slack of
# fairlead.core's check (k leads lose at most k units of 2**-40 of the largest).
VALUE_RESOLUTION = 2.0**30
COEFFICIENT_RESOLUTION = 2.0**40
# OR-Tools' min-cost flow scales every cost by about the number of nodes and rejects
# (BAD_COST_RANGE) a largest |cost| above roughly 2**62 / (nodes + 3), as measured
# with ortools 9.15; 2**61 leaves a factor of two of headroom.
_FLOW_BUDGET = 2**61
_FLOW_MAX = 2**53  # integers above this are no longer exact in a float64


@dataclass(frozen=True)
class Scale:
    """Integers per unit of one family of numbers, and whether scaling it is exact.

    Attributes
    ----------
    factor : float
        The multiplier.
    exact : bool
        Whether every scaled number of the family is an integer.
    """

    factor: float
    exact: bool


def integral(y: FloatArray, *, absolute: bool = False) -> bool:
    """Whether every number is an integer up to ``SNAP`` (and none is a tiny non-zero).

    ``absolute`` compares with ``1e-6`` instead of ``SNAP`` times the magnitude: for
    sums of signed terms, whose rounding errors are not bounded by the sum.

    Examples
    --------
    >>> import numpy as np
    >>> integral(np.array([3.0, 0.1 * 30])), integral(np.array([0.5]))
    (True, False)
    """
    r = np.rint(y)
    slack = 1e-6 if absolute else SNAP * np.maximum(1.0, np.abs(y))
    near = np.abs(y - r) <= slack
    return bool(np.all(near & ((r != 0) | (y == 0))))


def snap_floor(y: FloatArray) -> IntArray:
    """``floor`` that first snaps numbers within ``SNAP`` of an integer onto it.

    Examples
    --------
    >>> import numpy as np
    >>> snap_floor(np.array([2.9999999999999, 2.5])).tolist()
    [3, 2]
    """
    near = np.abs(y - np.rint(y)) <= SNAP * np.maximum(1.0, np.abs(y))
    out: IntArray = np.where(near, np.rint(y), np.floor(y)).astype(np.int64)
    return out


def snap_ceil(y: FloatArray) -> IntArray:
    """``ceil`` that first snaps numbers within ``SNAP`` of an integer onto it."""
    near = np.abs(y - np.rint(y)) <= SNAP * np.maximum(1.0, np.abs(y))
    out: IntArray = np.where(near, np.rint(y), np.ceil(y)).astype(np.int64)
    return out


def round_scaled(values: FloatArray, scale: float, *, neginf: int | None = None) -> IntArray:
    """``values * scale`` rounded to the nearest integers (halves to even).

    Rounding is symmetric, so negated values give negated integers: a flow's arc
    cost ``round(-value * scale)`` is ``-round(value * scale)``. With ``neginf``,
    ``-inf`` (a pair that is not eligible) becomes that integer.

    Examples
    --------
    >>> import numpy as np
    >>> round_scaled(np.array([0.25, -0.25, 0.75]), 2.0).tolist()
    [0, 0, 2]
    >>> round_scaled(np.array([1.0, -np.inf]), 2.0, neginf=-(2**62)).tolist()
    [2, -4611686018427387904]
    """
    scaled = np.rint(values * scale)
    if neginf is not None:
        np.nan_to_num(scaled, copy=False, neginf=float(neginf))
    out: IntArray = scaled.astype(np.int64)
    return out


def magnitude_scale(top: float, resolution: float, *, binary: bool = True) -> float:
    """Factor mapping the largest magnitude ``top`` to (about) ``resolution``.

    ``binary`` gives the largest power of two that maps ``top`` to at most
    ``resolution``; else the ratio itself (clipped to ``2**1000``).

    Examples
    --------
    >>> magnitude_scale(3.0, 2.0**30), magnitude_scale(4.0, 8.0, binary=False)
    (268435456.0, 2.0)
    """
    if not top > 0:
        return 1.0
    if binary:
        exponent = math.floor(math.log2(resolution) - math.log2(top))
        return math.ldexp(1.0, max(-1000, min(1000, exponent)))
    # Magnitudes below ~1e-280 would overflow the division; they lose precision instead.
    return float(min(resolution / max(top, 2.0**-900), 2.0**1000))


def pick_scale(numbers: FloatArray, *, terms: int, resolution: float) -> Scale:
    """The smallest round scale making ``numbers`` integers, else a power of two.

    The power of two maps the largest magnitude to ``resolution``. ``terms`` is the
    largest number of them that one sum adds up; sums stay below ``TOTAL_LIMIT``.
    Non-finite numbers (unbounded sides) are ignored.

    Parameters
    ----------
    numbers : ndarray of float
    terms : int
    resolution : float

    Returns
    -------
    Scale

    Examples
    --------
    >>> import numpy as np
    >>> pick_scale(np.array([0.5, 1.25]), terms=2, resolution=2.0**40)
    Scale(factor=4.0, exact=True)
    >>> pick_scale(np.array([1 / 3]), terms=1, resolution=2.0**30)
    Scale(factor=2147483648.0, exact=False)
    """
    finite = numbers[np.isfinite(numbers)]
    top = float(np.max(np.abs(finite))) if finite.size else 0.0
    if top == 0.0:
        return Scale(1.0, True)
    per_term = TOTAL_LIMIT / max(terms, 1)
    limit = min(EXACT_LIMIT, per_term)
    head = finite[:64]  # rejects most candidates before looking at everything
    for s in ROUND_SCALES:
        if top * s > limit:
            break
        if integral(head * s) and integral(finite * s):
            return Scale(float(s), True)
    factor = magnitude_scale(top, min(resolution, per_term))
    return Scale(factor, integral(finite * factor))


def flow_resolution(n_nodes: int, *, shrink: int = 0) -> int:
    """Integers the largest ``|value|`` of a flow network with ``n_nodes`` nodes maps to.

    ``min(2**53, 2**61 // (n_nodes + 3))``, divided by 16 per step of ``shrink`` (a
    retry after OR-Tools still finds the range too large).

    Examples
    --------
    >>> flow_resolution(10) == 2**53, flow_resolution(10**5) == 2**61 // (10**5 + 3)
    (True, True)
    """
    return int(min(_FLOW_MAX, _FLOW_BUDGET // (n_nodes + 3)) // 16**shrink)


def scale_for(top: float, n_nodes: int, *, shrink: int = 0) -> float:
    """The flow methods' scale for values whose largest ``|value|`` is ``top``.

    The ratio (not a power of two) of :func:`flow_resolution` to ``top``: about
    2.3e13 for 100k leads, so rounding moves each value by at most ``0.5 / scale``.

    Examples
    --------
    >>> scale_for(2.0, 7) == 2.0**52, scale_for(0.0, 7)
    (True, 1.0)
    """
    return magnitude_scale(top, flow_resolution(n_nodes, shrink=shrink), binary=False)


def value_scale(value: FloatArray, n_nodes: int, *, shrink: int = 0) -> float:
    """:func:`scale_for` of the largest ``|value|`` of ``value``."""
    top = float(np.max(np.abs(value))) if value.size else 0.0
    return scale_for(top, n_nodes, shrink=shrink)
