"""Whether the constraints of a selection can hold together: the tests, cheapest first."""

from __future__ import annotations

import numpy as np

from fairlead.core import FloatArray, IntArray
from fairlead.diagnose._cp_check import _cp_sat
from fairlead.diagnose._relaxation import _relaxation
from fairlead.diagnose._selection import (
    _Layout,
    _layout,
    _satisfies,
    _Sel,
    _Setup,
    _tol,
)
from fairlead.diagnose._verdict import _Clock, _Verdict


def _round(setup: _Setup, sel: _Sel, layout: _Layout, fractional: FloatArray) -> IntArray:
    """Whole counts per pair near the relaxation's solution (largest remainders)."""
    counts = np.floor(fractional + 1e-9).astype(np.int64)
    rest = fractional - counts
    starts = np.searchsorted(layout.pc, layout.classes)
    ends = np.searchsorted(layout.pc, layout.classes, side="right")
    for c, a, z in zip(layout.classes.tolist(), starts.tolist(), ends.tolist(), strict=True):
        if a == z:
            continue
        target = max(sel.req.get(c, 0), round(float(fractional[a:z].sum())))
        target = min(target, int(setup.size[c]))
        missing = target - int(counts[a:z].sum())
        if missing > 0:
            order = a + np.argsort(-rest[a:z], kind="stable")[:missing]
            counts[order] += 1
    return counts


def _placed(setup: _Setup, sel: _Sel, layout: _Layout, counts: IntArray) -> IntArray:
    """``manager_of`` from counts per pair; required leads left over go to free outlets."""
    manager_of = np.full(setup.n, -1, dtype=np.int64)
    used = dict.fromkeys(layout.classes.tolist(), 0)
    for p in np.flatnonzero(counts > 0).tolist():
        c, j, k = int(layout.pc[p]), int(layout.pj[p]), int(counts[p])
        manager_of[setup.members[c][used[c] : used[c] + k]] = j
        used[c] += k
    for c, j in layout.free.items():
        r = sel.req.get(c, 0)
        if used.get(c, 0) < r:
            manager_of[setup.members[c][used.get(c, 0) : r]] = j
    return manager_of


def _exact_for(setup: _Setup, sel: _Sel) -> bool:
    kinds = [setup.bounds[k].on_value for k in sel.bounds]
    return (setup.wexact or all(kinds)) and (setup.vexact or not any(kinds))


def _test(
    setup: _Setup,
    sel: _Sel,
    clock: _Clock,
    *,
    relaxed: _Verdict | None = None,
    share: float = 0.3,
) -> _Verdict:
    """Decide whether the constraints of ``sel`` can hold together.

    In turn: the linear relaxation (infeasible there is infeasible here), a greedy
    placement (when every bound is a capacity), CP-SAT rounded to relax the
    constraints, and CP-SAT rounded to restrict them; an assignment is accepted only
    once it meets ``sel`` in floats.
    """
    if clock.left() <= 0:
        return _Verdict("unknown")
    if _trivially_infeasible(setup, sel) or _overfull(setup, sel):
        return _Verdict("infeasible")
    layout = _layout(setup, sel)
    placed = _greedy(setup, sel, layout, None)
    if placed is not None and _satisfies(setup, sel, placed):
        return _Verdict("feasible", placed)
    hint = None
    relaxed = _relaxation(setup, sel, layout, clock) if relaxed is None else relaxed
    if relaxed.status == "infeasible":
        return _Verdict("infeasible")
    if relaxed.fractional is not None:
        placed = _greedy(setup, sel, layout, relaxed.fractional)
        if placed is not None and _satisfies(setup, sel, placed):
            return _Verdict("feasible", placed)
        hint = _round(setup, sel, layout, relaxed.fractional)
        placed = _placed(setup, sel, layout, hint)
        if _satisfies(setup, sel, placed):
            return _Verdict("feasible", placed)
    verdict = _cp_sat(setup, sel, clock, "relax", hint=hint, share=share)
    if verdict.status != "feasible":
        return verdict
    assert verdict.witness is not None
    if _satisfies(setup, sel, verdict.witness):
        return verdict
    if _exact_for(setup, sel) or clock.left() <= 0:
        return _Verdict("unknown")
    verdict = _cp_sat(setup, sel, clock, "restrict", hint=hint, share=share)
    if verdict.status == "feasible":
        assert verdict.witness is not None
        if _satisfies(setup, sel, verdict.witness):
            return verdict
    return _Verdict("unknown")


def _greedy(
    setup: _Setup, sel: _Sel, layout: _Layout, fractional: FloatArray | None
) -> IntArray | None:
    """Place the required leads under capacities only, without a solver.

    The whole parts of the relaxation's solution go first, then the rest of the
    leads by best fit, the most confined and heaviest first.
    """
    if any(setup.bounds[k].kind != "capacity" for k in sel.bounds):
        return None
    room = np.full(setup.m, -np.inf)
    for k in sel.bounds:
        b = setup.bounds[k]
        room[b.manager] = b.bound + _tol(b.bound)
    manager_of = np.full(setup.n, -1, dtype=np.int64)
    placed = dict.fromkeys(sel.req, 0)
    if fractional is not None:
        whole = np.floor(fractional + 1e-9).astype(np.int64)
        for p in np.flatnonzero(whole > 0).tolist():
            c, j = int(layout.pc[p]), int(layout.pj[p])
            r = sel.req.get(c, 0)
            k = min(int(whole[p]), r - placed.get(c, 0))
            if k <= 0:
                continue
            k = min(k, int((room[j] + 1e-12) // setup.Wc[c, j]))
            while k > 0 and room[j] - k * setup.Wc[c, j] < 0:
                k -= 1
            if k <= 0:
                continue
            members = setup.members[c][placed[c] : placed[c] + k]
            manager_of[members] = j
            room[j] -= float(setup.Wc[c, j]) * k
            placed[c] += k
    constrained = np.isfinite(room)
    reach = (setup.Ec & constrained[None, :]).sum(axis=1)
    heavy = np.max(np.where(setup.Ec, setup.Wc, 0.0), axis=1)
    for c in sorted(sel.req, key=lambda c: (reach[c], -heavy[c], c)):
        members = setup.members[c][placed[c] : sel.req[c]]
        if c in layout.free:
            manager_of[members] = layout.free[c]
            continue
        w = np.where(setup.Ec[c] & constrained, setup.Wc[c], np.inf)
        for i in members.tolist():
            left = room - w
            fits = np.flatnonzero(left >= 0)
            if fits.size == 0:
                return None
            j = int(fits[np.lexsort((left[fits], w[fits]))[0]])  # lightest, then best fit
            room[j] = left[j]
            manager_of[i] = j
    return manager_of


def _trivially_infeasible(setup: _Setup, sel: _Sel) -> bool:
    return any(not setup.Ec[c].any() for c in sel.req)


def _overfull(setup: _Setup, sel: _Sel) -> bool:
    """Whether the required leads outweigh every capacity they can reach, in total."""
    if not sel.req:
        return False
    caps = np.full(setup.m, np.nan)
    for k in sel.bounds:
        b = setup.bounds[k]
        if b.kind == "capacity":
            caps[b.manager] = b.bound + _tol(b.bound)
    capped = ~np.isnan(caps)
    classes = np.array(sorted(sel.req), dtype=np.int64)
    reach = setup.Ec[classes]
    if np.any(reach & ~capped[None, :]):
        return False
    lightest = np.where(reach, setup.Wc[classes], np.inf).min(axis=1)
    counts = np.array([sel.req[c] for c in classes.tolist()], dtype=np.float64)
    room = float(caps[reach.any(axis=0)].sum())
    return bool(float(lightest @ counts) > room * (1 + 1e-12))
