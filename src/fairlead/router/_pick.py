"""The online choice: best value net of price among the managers the fair band allows."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from fairlead.core import BoolArray, FloatArray


class Band(enum.StrEnum):
    """Which managers the fair band left in the running for a lead."""

    OFF = "off"  # no band: every candidate
    BEHIND = "behind"  # only managers a whole lead below their band
    WITHIN = "within"  # managers not above their band
    RELAXED = "relaxed"  # everyone was above their band: every candidate


@dataclass(frozen=True, slots=True)
class Pick:
    """The chosen manager (-1 for none), the runner-up (-1 for none) and the band used."""

    manager: int
    runner_up: int
    band: Band
    pool: int


def pick(
    net: FloatArray,
    candidates: BoolArray,
    received: FloatArray,
    target: FloatArray,
    tolerance: float | None,
) -> Pick:
    """Choose among ``candidates`` the best ``net`` value (value minus price).

    Ties in value go to the manager furthest below their fair share (``target -
    received``), then to the first listed.

    With a ``tolerance`` the fair band ``[(1 - t) target, (1 + t) target + 1]`` of each
    manager's fair count steers the choice: managers a whole lead below the band come
    first; otherwise managers who would stay within it; if every candidate is above,
    the band is relaxed rather than leaving the lead unrouted.

    Examples
    --------
    >>> import numpy as np
    >>> net = np.array([0.9, 0.5, 0.4])
    >>> ok = np.ones(3, dtype=bool)
    >>> pick(net, ok, np.zeros(3), np.zeros(3), None).manager
    0
    >>> p = pick(net, ok, np.array([10.0, 2.0, 5.0]), np.array([5.0, 5.0, 5.0]), 0.2)
    >>> p.manager, p.band.value
    (1, 'behind')
    """
    if not np.count_nonzero(candidates):
        return Pick(-1, -1, Band.OFF, 0)
    pool, band = candidates, Band.OFF
    if tolerance is not None:
        behind = candidates & (received + 1.0 <= (1.0 - tolerance) * target)
        if np.count_nonzero(behind):
            pool, band = behind, Band.BEHIND
        else:
            within = candidates & (received + 1.0 <= (1.0 + tolerance) * target + 1.0)
            if np.count_nonzero(within):
                pool, band = within, Band.WITHIN
            else:
                pool, band = candidates, Band.RELAXED
    scores = np.where(pool, net, -np.inf)
    best = int(np.argmax(scores))
    tied = scores >= scores[best] - 1e-12 * max(1.0, abs(float(scores[best])))
    if np.count_nonzero(tied) > 1:
        # Equal value: the manager furthest below their fair share.
        best = int(np.argmax(np.where(tied, target - received, -np.inf)))
    second = -1
    size = int(np.count_nonzero(pool))
    if size > 1:
        scores[best] = -np.inf
        second = int(np.argmax(scores))
    return Pick(best, second, band, size)


def band_bounds(
    received: FloatArray, target: FloatArray, tolerance: float
) -> tuple[FloatArray, FloatArray]:
    """Leads each manager needs to reach the fair band, and may take before leaving it.

    The same band as :func:`pick`: at least ``(1 - t) target - received`` (rounded
    down), at most ``(1 + t) target + 1 - received`` (rounded down).

    Examples
    --------
    >>> import numpy as np
    >>> low, high = band_bounds(np.array([2.0, 9.0]), np.array([10.0, 10.0]), 0.2)
    >>> low.tolist(), high.tolist()
    ([6.0, -1.0], [11.0, 4.0])
    """
    low = np.floor((1.0 - tolerance) * target - received + 1e-9)
    high = np.floor((1.0 + tolerance) * target + 1.0 - received + 1e-9)
    return low, high
