"""How much value a manager can reach (or must take) under its workload bounds, for words."""

from __future__ import annotations

import math

import numpy as np

from fairlead.diagnose._cp_check import _knapsack
from fairlead.diagnose._selection import (
    _exceeds,
    _Setup,
    _tol,
)
from fairlead.formulation import Bound


def _most_value(setup: _Setup, j: int, cap: float, target: float) -> float | None:
    """Upper bound below ``target`` on the value manager ``j`` can reach within ``cap``."""
    rows = np.flatnonzero(setup.E[:, j] & (setup.V[:, j] > 0))
    w, v = setup.W[rows, j], setup.V[rows, j]
    limit = cap + _tol(cap)
    if rows.size and np.all(w == w[0]):
        k = math.floor(limit / w[0] + 1e-12)
        return float(np.sort(v)[::-1][:k].sum())
    order = np.argsort(-v / w, kind="stable")
    room, best = limit, 0.0
    for i in order.tolist():
        take = min(1.0, room / w[i]) if w[i] > 0 else 1.0
        best += take * v[i]
        room -= take * w[i]
        if room <= 0:
            break
    if _exceeds(target, best):
        return best
    bound = _knapsack(setup, rows, Bound("capacity", j, cap), maximize=True)
    return bound if bound is not None and _exceeds(target, bound) else None


def _least_value(setup: _Setup, j: int, low: float, target: float) -> float | None:
    """Lower bound above ``target`` on manager ``j``'s value once its load reaches ``low``."""
    rows = np.flatnonzero(setup.E[:, j])
    w, v = setup.W[rows, j], setup.V[rows, j]
    need = low - _tol(low)
    if rows.size and np.all(w == w[0]):
        k = math.ceil(need / w[0] - 1e-12)
        ordered = np.sort(v)
        neg = ordered[ordered < 0]
        return float(neg.sum() + ordered[neg.size : max(k, neg.size)].sum())
    neg = v <= 0
    least = float(v[neg].sum())
    room = need - float(w[neg].sum())
    pos = np.flatnonzero(~neg)
    for i in pos[np.argsort(v[pos] / w[pos], kind="stable")].tolist():
        if room <= 0:
            break
        take = min(1.0, room / w[i])
        least += take * v[i]
        room -= take * w[i]
    if _exceeds(least, target):
        return least
    bound = _knapsack(setup, rows, Bound("min_load", j, low), maximize=False)
    return bound if bound is not None and _exceeds(bound, target) else None
