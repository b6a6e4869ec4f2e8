"""The waiting queue placed as one batch: best total value net of price, fair band first."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray, IntArray
from fairlead.solvers import SolveStatus, solve


@dataclass(frozen=True)
class QueuePlacement:
    """Manager of each waiting lead (-1: keeps waiting) and whether the band was relaxed."""

    manager: IntArray
    relaxed: BoolArray


def _solve(net: FloatArray, candidates: BoolArray, low: FloatArray, high: FloatArray) -> IntArray:
    problem = AssignmentProblem(
        value=net,
        capacity=high,
        eligible=candidates,
        min_load=np.minimum(low, high),
        allow_unassigned=True,
    )
    solution = solve(problem, method="sifting")
    if solution.status is SolveStatus.INFEASIBLE and low.any():
        # The managers behind their share cannot take enough of these leads: no floor.
        return _solve(net, candidates, np.zeros_like(low), high)
    if solution.status is not SolveStatus.OPTIMAL:
        raise RuntimeError(f"placing the waiting leads failed: {solution.message}")
    return np.asarray(solution.manager_of, dtype=np.int64)


def place_queue(
    net: FloatArray,
    candidates: BoolArray,
    room: FloatArray,
    band_low: FloatArray | None,
    band_high: FloatArray | None,
) -> QueuePlacement:
    """Place a queue of unit-workload leads at once.

    First as many leads as fit within each manager's fair band (``band_low`` and
    ``band_high`` are counts of leads for this queue; ``None`` for no band) and their
    ``room``, with the best total ``net`` value among those; then the leads left over
    within room alone, marked ``relaxed``.

    Examples
    --------
    >>> import numpy as np
    >>> net = np.array([[0.9, 0.2], [0.8, 0.7], [0.5, 0.1]])
    >>> ok = np.ones((3, 2), dtype=bool)
    >>> placed = place_queue(net, ok, np.array([2.0, 2.0]), None, None)
    >>> placed.manager.tolist()
    [0, 1, 0]
    >>> placed = place_queue(net, ok, np.array([3.0, 3.0]), np.zeros(2), np.array([1.0, 3.0]))
    >>> placed.manager.tolist(), placed.relaxed.tolist()
    ([0, 1, 1], [False, False, False])
    """
    k, m = net.shape
    manager = np.full(k, -1, dtype=np.int64)
    relaxed = np.zeros(k, dtype=np.bool_)
    rows = np.flatnonzero(candidates.any(axis=1))
    if rows.size == 0:
        return QueuePlacement(manager, relaxed)
    room = np.floor(np.maximum(room, 0.0) + 1e-9)
    high = room if band_high is None else np.minimum(room, np.maximum(band_high, 0.0))
    low = np.zeros(m) if band_low is None else np.maximum(band_low, 0.0)
    manager[rows] = _solve(net[rows], candidates[rows], low, high)
    left = rows[manager[rows] < 0]
    if left.size and band_high is not None:
        taken = np.bincount(manager[manager >= 0], minlength=m).astype(np.float64)
        spare = room - taken
        allowed = candidates[left] & (spare > 0)[None, :]
        manager[left] = _solve(net[left], allowed, np.zeros(m), spare)
        relaxed[left] = manager[left] >= 0
    return QueuePlacement(manager, relaxed)
