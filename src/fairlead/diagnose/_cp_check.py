"""CP-SAT on a selection: a feasibility check, an unsatisfiable core, a knapsack bound.

Every model is the shared assignment model of :func:`fairlead.formulation.new_model`
over classes of identical leads (a count per pair ``(class, manager)``), with the
bounds of the selection; ``relaxed`` rounds every coefficient in the direction
that loosens its bound, so "infeasible" holds for the float problem.
"""

from __future__ import annotations

import os

import numpy as np

# The C++ layer only: ``ortools.sat.python.cp_model`` imports pandas.
from ortools.sat.python import cp_model_helper as cmh

from fairlead.core import IntArray
from fairlead.diagnose._selection import _Layout, _layout, _Sel, _Setup
from fairlead.diagnose._verdict import _Clock, _Verdict
from fairlead.formulation import STATUS, Bound, CpModel, add_outlets, new_model, rounded


def _model(setup: _Setup, sel: _Sel, layout: _Layout, *, relaxed: bool, assume: bool) -> CpModel:
    """The model of ``sel``; with ``assume`` one assumption literal per constraint."""
    model = new_model(layout.pc, layout.pj, size=setup.size[layout.pc])
    outlets = np.array(sorted(layout.free), dtype=np.int64)
    add_outlets(model, outlets, setup.size[outlets])
    classes = layout.classes
    need = np.array([sel.req.get(c, 0) for c in classes.tolist()], dtype=np.int64)
    keys = [("class", c) for c in classes.tolist()] if assume else None
    model.add_units(classes, setup.size[classes], need, keys=keys)
    chosen = sorted(sel.bounds)
    for on_value in (False, True):
        ks = [k for k in chosen if setup.bounds[k].on_value == on_value]
        if not ks:
            continue
        amounts = (setup.Vc if on_value else setup.Wc)[layout.pc, layout.pj]
        scale, exact = (setup.vscale, setup.vexact) if on_value else (setup.wscale, setup.wexact)
        model.add_bounds(
            [setup.bounds[k] for k in ks],
            amounts,
            scale,
            exact,
            relaxed=relaxed,
            keys=[("bound", k) for k in ks] if assume else None,
        )
    return model


def _params(time_limit: float, n_pairs: int, *, single: bool = False) -> cmh.SatParameters:
    params = cmh.SatParameters()
    params.max_time_in_seconds = max(time_limit, 0.01)
    params.num_workers = 1 if single or n_pairs < 2000 else min(8, os.cpu_count() or 1)
    return params


def _assignment(setup: _Setup, layout: _Layout, model: CpModel, solution: IntArray) -> IntArray:
    """``manager_of`` from the counts per pair and per outlet."""
    counts = solution[: model.n_pairs]
    manager_of = np.full(setup.n, -1, dtype=np.int64)
    used = np.zeros(setup.size.size, dtype=np.int64)
    for p in np.flatnonzero(counts > 0).tolist():
        c, j, k = int(layout.pc[p]), int(layout.pj[p]), int(counts[p])
        manager_of[setup.members[c][used[c] : used[c] + k]] = j
        used[c] += k
    for c, var in model.outlets.items():
        k = int(solution[var])
        manager_of[setup.members[c][used[c] : used[c] + k]] = layout.free[c]
        used[c] += k
    return manager_of


def _cp_sat(
    setup: _Setup,
    sel: _Sel,
    clock: _Clock,
    mode: str,
    *,
    hint: IntArray | None = None,
    share: float = 1.0,
) -> _Verdict:
    """CP-SAT on ``sel`` rounded to ``mode``, with ``share`` of the time left (>= 1 s)."""
    layout = _layout(setup, sel)
    model = _model(setup, sel, layout, relaxed=mode == "relax", assume=False)
    if hint is not None:
        model.hint(np.arange(model.n_pairs, dtype=np.int64), hint)
    left = clock.left()
    response = model.solve(_params(min(left, max(1.0, share * left)), layout.pc.size))
    if response.status == STATUS.INFEASIBLE:
        return _Verdict("infeasible")
    if response.status in (STATUS.FEASIBLE, STATUS.OPTIMAL):
        solution = np.fromiter(response.solution, dtype=np.int64)
        return _Verdict("feasible", _assignment(setup, layout, model, solution))
    return _Verdict("unknown")


def _core(setup: _Setup, sel: _Sel, clock: _Clock, budget: float) -> _Verdict:
    """CP-SAT with one assumption literal per constraint: ``core`` from the solver."""
    layout = _layout(setup, sel)
    model = _model(setup, sel, layout, relaxed=True, assume=True)
    response = model.solve(_params(min(budget, clock.left()), layout.pc.size, single=True))
    if response.status == STATUS.INFEASIBLE:
        found = set(response.sufficient_assumptions_for_infeasibility)
        lits = model.literals
        req = {c: r for c, r in sel.req.items() if lits["class", c] in found}
        kept = {k for k in sel.bounds if lits["bound", k] in found}
        core = _Sel(req, frozenset(kept)) if req or kept else sel
        return _Verdict("infeasible", core=core)
    if response.status in (STATUS.FEASIBLE, STATUS.OPTIMAL):
        solution = np.fromiter(response.solution, dtype=np.int64)
        return _Verdict("feasible", _assignment(setup, layout, model, solution))
    return _Verdict("unknown")


def _knapsack(setup: _Setup, rows: IntArray, bound: Bound, *, maximize: bool) -> float | None:
    """Proven bound on the most (or least) value manager ``bound.manager`` takes from ``rows``.

    The leads ``rows`` may each go to the manager or not, under ``bound`` (its
    capacity when maximizing, its min_load when minimizing), relaxed; ``None`` when
    CP-SAT does not settle within 2 s.
    """
    if rows.size == 0:
        return None
    j = bound.manager
    model = new_model(np.arange(rows.size, dtype=np.int64), np.full(rows.size, j, np.int64))
    model.add_bounds([bound], setup.W[rows, j], setup.wscale, setup.wexact, relaxed=True)
    # relax: the largest values when maximizing, the smallest when minimizing
    low, high = rounded(setup.V[rows, j] * setup.vscale, setup.vexact)
    coeffs = -high if maximize else low
    model.objectives["value"] = (np.arange(rows.size, dtype=np.int64), coeffs)
    model.set_objective("value")
    response = model.solve(_params(2.0, rows.size, single=True))
    if response.status not in (STATUS.OPTIMAL, STATUS.FEASIBLE):
        return None
    lower = float(response.inner_objective_lower_bound)
    return (-lower if maximize else lower) / setup.vscale
