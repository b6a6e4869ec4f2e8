"""Why an assignment problem has no solution: a minimal set of conflicting constraints.

The removable constraints of an :class:`~fairlead.AssignmentProblem` are

- ``assign``: lead ``i`` must be assigned (absent with ``allow_unassigned``);
- ``capacity``: manager ``j``'s workload stays within ``hard_upper_load[j]``
  (``min(capacity, max_load)``, or ``capacity`` when the load band is soft);
- ``min_load``, ``min_value``, ``max_value``: the hard bands of manager ``j``.

Eligibility is structural: it decides which pairs exist and is never blamed. Soft
bands (``load_penalty``, ``value_penalty``) are prices, not constraints.

:func:`find_conflict` returns a set of these constraints that cannot hold together
while any one of them, removed, leaves the others satisfiable ("minimal"; the other
constraints of the problem are ignored: leads outside the set may stay unassigned,
bounds outside it are dropped). It works on leads grouped into classes of identical
leads (same eligible managers, workloads and, with value bounds, values), so that
removing one lead of a class stands for removing any of them.

1. Constraints that cannot hold even alone are found directly in floats.
2. Otherwise the linear relaxation (HiGHS) is solved with a slack on every
   constraint; when the slacks cannot all be zero, the constraints with a nonzero
   dual already conflict (a Farkas certificate, confirmed by a second solve).
3. Else (an integrality conflict) CP-SAT checks the whole problem, then the bounds
   of each manager on their own, then solves the whole model with one assumption
   literal per constraint and takes ``sufficient_assumptions_for_infeasibility()``
   (confirmed by a solve, as the core is only a hint).
4. A deletion filter shrinks that set to a minimal one: a constraint whose removal
   keeps the rest infeasible is dropped; one whose removal makes it feasible is
   kept, with the feasible assignment as certificate. Leads are filtered by a binary
   search on a prefix (the most confined and heaviest kept first), certificates are
   re-used by swapping leads ("model rotation"), and each check tries, in turn, the
   relaxation, a greedy placement and CP-SAT, so large groups cost few solves.

Scale. CP-SAT needs integers. Workloads (and values) are multiplied by ``10**k``,
the smallest ``k <= 6`` for which every eligible workload (value) is an integer:
the integer model is then exact. Otherwise they are multiplied by the power of two
that maps the largest magnitude to about ``2**30`` and every coefficient and bound is
rounded in the direction that *relaxes* the constraint. Either way "infeasible" from
CP-SAT holds for the float problem. A feasible integer solution is accepted only
after it is checked in floats, with the tolerance of :func:`fairlead.core._check.violations`;
when the check fails the model is solved once more rounded the other way, and if
that still does not settle it the constraint is kept and the conflict is marked not
proven minimal (``Conflict.minimal``).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Context
from typing import Any, Literal, cast

import numpy as np
import scipy.sparse as sp

from fairlead.core import RTOL, AssignmentProblem, BoolArray, FloatArray, IntArray, require_problem
from fairlead.diagnose._infeasibility import _names, explain_infeasible

Kind = Literal["assign", "capacity", "min_load", "min_value", "max_value"]

__all__ = ["Conflict", "Constraint", "explain", "find_conflict"]

UNKNOWN_REASON = "no assignment satisfies every constraint"
# Binary scale: the largest |coefficient| maps to about 2**30.
_BINARY_BITS = 30
# Exact decimal scales tried: 10**0 .. 10**6.
_MAX_DECIMALS = 6
# The linear relaxation proves infeasibility when its normalized slack exceeds this
# (well above _LP_TIE, the most its tie-break on workloads adds to the objective).
_LP_MARGIN = 1e-4
_LP_TIE = 1e-6
# At most this share of the time budget goes to the initial CP-SAT core.
_CORE_SHARE = 0.4


# ----------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class Constraint:
    """One removable constraint of an :class:`~fairlead.AssignmentProblem`.

    Attributes
    ----------
    kind : {"assign", "capacity", "min_load", "min_value", "max_value"}
        ``assign``: the lead must be assigned. ``capacity``: the manager's hard upper
        workload (``min(capacity, max_load)``). The others are the manager's bands.
    index : int
        The lead (``assign``) or the manager (all other kinds).
    text : str
        The constraint in words, e.g. ``"min_load of manager 'm-4' (10)"``.
    """

    kind: Kind
    index: int
    text: str


@dataclass(frozen=True)
class Conflict:
    """A set of constraints that cannot hold together, and why, in words.

    Attributes
    ----------
    constraints : tuple of Constraint
        The conflicting set: leads to assign first, then manager bounds by manager.
        Without any one of them the rest can be satisfied (when ``minimal``).
    message : str
        One or two sentences with the numbers, naming leads and managers.
    minimal : bool
        Whether dropping each constraint was shown to make the rest feasible. False
        only when the time budget ran out (or float rounding left a step undecided);
        the set is then still infeasible, just maybe larger than needed.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose._conflicts import find_conflict
    >>> conflict = find_conflict(fl.AssignmentProblem(
    ...     value=np.ones((3, 2)), capacity=[2, 2.5], weight=[1.0, 1.0, 3.0]))
    >>> conflict.leads
    (2,)
    >>> [(c.kind, c.index) for c in conflict.constraints]
    [('assign', 2), ('capacity', 0), ('capacity', 1)]
    >>> print(conflict)
    lead 2 (workload 3) fits none of its eligible managers: manager 0 (capacity 2), manager 1 (capacity 2.5)
    """  # noqa: E501

    constraints: tuple[Constraint, ...]
    message: str
    minimal: bool = True

    def __str__(self) -> str:
        return self.message

    @property
    def leads(self) -> tuple[int, ...]:
        """Indices of the leads whose ``assign`` constraint is in the set."""
        return tuple(c.index for c in self.constraints if c.kind == "assign")


# ----------------------------------------------------------------------------- setup


@dataclass(frozen=True)
class _Bound:
    """A manager bound: ``load/value <= bound`` (upper) or ``>= bound`` (lower)."""

    kind: Kind
    manager: int
    bound: float

    @property
    def upper(self) -> bool:
        return self.kind in ("capacity", "max_value")

    @property
    def on_value(self) -> bool:
        return self.kind in ("min_value", "max_value")


@dataclass(frozen=True)
class _Sel:
    """A subset of constraints: required leads per class (count) and manager bounds."""

    req: dict[int, int]
    bounds: frozenset[int]

    def size(self) -> int:
        return len(self.req) + len(self.bounds)

    def with_count(self, c: int, r: int) -> _Sel:
        req = dict(self.req)
        if r > 0:
            req[c] = r
        else:
            req.pop(c, None)
        return _Sel(req, self.bounds)

    def without_bound(self, k: int) -> _Sel:
        return _Sel(self.req, self.bounds - {k})


def _tol(bound: float) -> float:
    """Slack allowed on ``bound``, as in :func:`fairlead.core._check.violations` (0 if infinite)."""
    return RTOL * max(1.0, abs(bound)) if math.isfinite(bound) else 0.0


def _exceeds(x: float, limit: float) -> bool:
    return x > limit + _tol(limit)


def _scale(x: FloatArray) -> tuple[float, bool]:
    """Integer scale of ``x``: ``(10**k, True)`` when exact, else ``(2**p, False)``."""
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top == 0.0 or not np.isfinite(top):
        return 1.0, True
    for k in range(_MAX_DECIMALS + 1):
        s = 10.0**k
        if top * s > 2.0**40:
            break
        scaled = x * s
        if np.all(np.abs(scaled - np.rint(scaled)) <= 1e-12 * np.maximum(1.0, np.abs(scaled))):
            return s, True
    return 2.0 ** (_BINARY_BITS - math.ceil(math.log2(top))), False


@dataclass
class _Setup:
    problem: AssignmentProblem
    E: BoolArray  # (n, m)
    W: FloatArray  # (n, m) workload
    V: FloatArray  # (n, m) value
    bounds: list[_Bound]
    members: list[IntArray]  # per class, sorted lead indices
    cls_of: IntArray  # (n,)
    Ec: BoolArray  # (C, m)
    Wc: FloatArray  # (C, m)
    Vc: FloatArray  # (C, m)
    size: IntArray  # (C,)
    required: IntArray  # (C,) leads that must be assigned (all or none)
    wscale: float
    wexact: bool
    vscale: float
    vexact: bool
    by_manager: dict[int, list[int]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.problem.n_leads

    @property
    def m(self) -> int:
        return self.problem.n_managers


def _setup(problem: AssignmentProblem) -> _Setup:
    E = np.asarray(problem.eligible, dtype=np.bool_)
    W = np.where(E, problem.weight_matrix(), 0.0)
    V = np.where(E, problem.value, 0.0)
    m = problem.n_managers
    hard_values = problem.has_value_bounds and problem.value_penalty is None
    bounds: list[_Bound] = []
    upper = problem.hard_upper_load
    total_w = W.sum(axis=0)
    pos_v = np.where(V > 0, V, 0.0).sum(axis=0)
    neg_v = np.where(V < 0, V, 0.0).sum(axis=0)
    for j in range(m):
        if not total_w[j] <= upper[j] + _tol(upper[j]):
            bounds.append(_Bound("capacity", j, float(upper[j])))
        if problem.load_penalty is None and _exceeds(float(problem.min_load[j]), 0.0):
            bounds.append(_Bound("min_load", j, float(problem.min_load[j])))
        if hard_values and problem.min_value is not None:
            low = float(problem.min_value[j])
            if _exceeds(low, float(neg_v[j])):
                bounds.append(_Bound("min_value", j, low))
        if hard_values and problem.max_value is not None:
            high = float(problem.max_value[j])
            if _exceeds(float(pos_v[j]), high):
                bounds.append(_Bound("max_value", j, high))
    uses_values = any(b.on_value for b in bounds)
    key = np.concatenate([E.astype(np.float64), W] + ([V] if uses_values else []), axis=1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse, dtype=np.int64).reshape(-1)
    # classes numbered by their first lead, members in index order
    order = np.argsort(first, kind="stable")
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    cls_of = renumber[inverse]
    n_cls = order.size
    sort_leads = np.argsort(cls_of, kind="stable")
    splits = np.searchsorted(cls_of[sort_leads], np.arange(1, n_cls))
    members = [np.asarray(g, dtype=np.int64) for g in np.split(sort_leads, splits)]
    rep = np.array([g[0] for g in members], dtype=np.int64)
    size = np.array([g.size for g in members], dtype=np.int64)
    required = np.zeros(n_cls, dtype=np.int64) if problem.allow_unassigned else size.copy()
    wscale, wexact = _scale(W[E])
    vscale, vexact = _scale(V[E]) if uses_values else (1.0, True)
    setup = _Setup(
        problem=problem,
        E=E,
        W=W,
        V=V,
        bounds=bounds,
        members=members,
        cls_of=cls_of,
        Ec=E[rep],
        Wc=W[rep],
        Vc=V[rep],
        size=size,
        required=required,
        wscale=wscale,
        wexact=wexact,
        vscale=vscale,
        vexact=vexact,
    )
    for k, b in enumerate(bounds):
        setup.by_manager.setdefault(b.manager, []).append(k)
    return setup


# ----------------------------------------------------------------------------- checks in floats


def _satisfies(setup: _Setup, sel: _Sel, manager_of: IntArray) -> bool:
    """Whether ``manager_of`` meets every constraint of ``sel`` (in floats)."""
    for c, r in sel.req.items():
        if np.any(manager_of[setup.members[c][:r]] < 0):
            return False
    assigned = np.flatnonzero(manager_of >= 0)
    chosen = manager_of[assigned]
    if not np.all(setup.E[assigned, chosen]):
        return False
    loads = np.bincount(chosen, weights=setup.W[assigned, chosen], minlength=setup.m).astype(
        np.float64
    )
    values = np.bincount(chosen, weights=setup.V[assigned, chosen], minlength=setup.m).astype(
        np.float64
    )
    return all(_holds(setup.bounds[k], loads, values) for k in sel.bounds)


def _holds(b: _Bound, loads: FloatArray, values: FloatArray) -> bool:
    amount = float(values[b.manager] if b.on_value else loads[b.manager])
    return not _exceeds(amount, b.bound) if b.upper else not _exceeds(b.bound, amount)


# ----------------------------------------------------------------------------- the reduced model


@dataclass
class _Layout:
    """Pairs ``(class, manager)`` of the model for a selection, and the free outlets."""

    pc: IntArray  # class of each pair
    pj: IntArray  # manager of each pair
    classes: IntArray  # classes in the model
    free: dict[int, int]  # class -> an eligible manager without bounds in sel


def _layout(setup: _Setup, sel: _Sel) -> _Layout:
    m = setup.m
    constrained = np.zeros(m, dtype=np.bool_)
    helps = np.zeros(m, dtype=np.bool_)  # optional leads may help a bound of j
    for k in sel.bounds:
        b = setup.bounds[k]
        constrained[b.manager] = True
        if b.kind != "capacity":
            helps[b.manager] = True
    req = np.zeros(setup.size.size, dtype=np.bool_)
    req[list(sel.req)] = True
    mask = setup.Ec & constrained[None, :] & (req[:, None] | helps[None, :])
    pc, pj = np.nonzero(mask)
    free: dict[int, int] = {}
    for c in sel.req:
        outlets = np.flatnonzero(setup.Ec[c] & ~constrained)
        if outlets.size:
            free[c] = int(outlets[0])
    classes = np.union1d(np.unique(pc), np.array(sorted(sel.req), dtype=np.int64))
    return _Layout(pc.astype(np.int64), pj.astype(np.int64), classes.astype(np.int64), free)


def _coefficients(
    setup: _Setup, b: _Bound, pairs: IntArray, layout: _Layout, mode: str
) -> tuple[list[int], int]:
    """Integer coefficients and right-hand side of bound ``b`` (as ``<=``)."""
    c = layout.pc[pairs]
    if b.on_value:
        x, scale, exact = setup.Vc[c, b.manager], setup.vscale, setup.vexact
    else:
        x, scale, exact = setup.Wc[c, b.manager], setup.wscale, setup.wexact
    scaled = x * scale
    relax = mode == "relax"
    if exact:
        coef = np.rint(scaled)
    elif b.upper == relax:  # relax an upper bound / restrict a lower one: round down
        coef = np.floor(scaled)
    else:
        coef = np.ceil(scaled)
    if b.upper:
        rhs = (b.bound + (_tol(b.bound) if relax or exact else 0.0)) * scale
    else:
        rhs = (b.bound - (_tol(b.bound) if relax or exact else 0.0)) * scale
    sizes = setup.size[c].astype(np.float64)
    hi = float(np.sum(np.maximum(coef, 0.0) * sizes)) + 1.0
    lo = float(np.sum(np.minimum(coef, 0.0) * sizes)) - 1.0
    rhs = min(max(rhs, lo), hi)
    if b.upper:
        return [int(v) for v in coef], math.floor(rhs)
    # lower bound sum >= rhs  <=>  sum(-coef) <= -ceil(rhs)
    return [-int(v) for v in coef], -math.ceil(rhs)


@dataclass
class _Built:
    model: Any
    y: list[Any]
    free: dict[int, Any]
    unit_lits: dict[tuple[str, int], Any]


def _build(setup: _Setup, sel: _Sel, layout: _Layout, mode: str, *, assume: bool) -> _Built:
    from ortools.sat.python import cp_model  # imports pandas: load on use

    model = cp_model.CpModel()
    y: list[Any] = []
    for c in layout.pc.tolist():
        s = int(setup.size[c])
        y.append(model.new_bool_var("") if s == 1 else model.new_int_var(0, s, ""))
    free = {}
    for c in layout.free:
        s = int(setup.size[c])
        free[c] = model.new_bool_var("") if s == 1 else model.new_int_var(0, s, "")
    lits: dict[tuple[str, int], Any] = {}
    starts = np.searchsorted(layout.pc, layout.classes)
    ends = np.searchsorted(layout.pc, layout.classes, side="right")
    for c, a, z in zip(layout.classes.tolist(), starts.tolist(), ends.tolist(), strict=True):
        terms = y[a:z] + ([free[c]] if c in free else [])
        s = int(setup.size[c])
        total = cp_model.LinearExpr.sum(terms) if terms else 0
        if len(terms) > 1:
            model.add(total <= s)
        r = sel.req.get(c, 0)
        if r > 0:
            # no eligible pair: an empty clause, false
            constraint = model.add(total >= r) if terms else model.add_bool_or([])
            if assume:
                lit = model.new_bool_var("")
                constraint.only_enforce_if(lit)
                lits["class", c] = lit
    order = np.argsort(layout.pj, kind="stable")
    jstarts = np.searchsorted(layout.pj[order], np.arange(setup.m))
    jends = np.searchsorted(layout.pj[order], np.arange(setup.m), side="right")
    for k in sorted(sel.bounds):
        b = setup.bounds[k]
        pairs = order[jstarts[b.manager] : jends[b.manager]]
        coef, rhs = _coefficients(setup, b, pairs, layout, mode)
        expr = cp_model.LinearExpr.weighted_sum([y[p] for p in pairs.tolist()], coef)
        constraint = model.add(expr <= rhs)
        if assume:
            lit = model.new_bool_var("")
            constraint.only_enforce_if(lit)
            lits["bound", k] = lit
    if assume:
        model.add_assumptions(list(lits.values()))
    return _Built(model, y, free, lits)


def _assignment(setup: _Setup, layout: _Layout, built: _Built, solver: Any) -> IntArray:
    solution = np.asarray(solver.response_proto.solution, dtype=np.int64)
    counts = solution[[v.index for v in built.y]] if built.y else np.zeros(0, np.int64)
    manager_of = np.full(setup.n, -1, dtype=np.int64)
    used = np.zeros(setup.size.size, dtype=np.int64)
    for p in np.flatnonzero(counts > 0).tolist():
        c, j, k = int(layout.pc[p]), int(layout.pj[p]), int(counts[p])
        manager_of[setup.members[c][used[c] : used[c] + k]] = j
        used[c] += k
    for c, var in built.free.items():
        k = int(solution[var.index])
        manager_of[setup.members[c][used[c] : used[c] + k]] = layout.free[c]
        used[c] += k
    return manager_of


# ----------------------------------------------------------------------------- verdicts


@dataclass
class _Verdict:
    status: Literal["infeasible", "feasible", "unknown"]
    witness: IntArray | None = None
    core: _Sel | None = None
    fractional: FloatArray | None = None  # relaxation's solution per pair, when feasible


class _Clock:
    def __init__(self, limit: float) -> None:
        self.deadline = time.perf_counter() + limit

    def left(self) -> float:
        return self.deadline - time.perf_counter()


def _solver(time_limit: float, n_pairs: int, *, single: bool = False) -> Any:
    from ortools.sat.python import cp_model  # imports pandas: load on use

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit, 0.01)
    workers = 1 if single or n_pairs < 2000 else min(8, os.cpu_count() or 1)
    solver.parameters.num_workers = workers
    return solver


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
    from ortools.sat.python import cp_model  # imports pandas: load on use

    layout = _layout(setup, sel)
    built = _build(setup, sel, layout, mode, assume=False)
    if hint is not None:
        for p, var in enumerate(built.y):
            built.model.add_hint(var, int(hint[p]))
    left = clock.left()
    solver = _solver(min(left, max(1.0, share * left)), layout.pc.size)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        return _Verdict("infeasible")
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return _Verdict("feasible", _assignment(setup, layout, built, solver))
    if status == cp_model.MODEL_INVALID:  # pragma: no cover - a bug, not an input
        raise RuntimeError(f"CP-SAT rejected the conflict model: {built.model.validate()}")
    return _Verdict("unknown")


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


def _relaxation(
    setup: _Setup, sel: _Sel, layout: _Layout | None = None, clock: _Clock | None = None
) -> _Verdict:
    """Linear relaxation with a slack per constraint; ``core`` = constraints with a dual."""
    layout = _layout(setup, sel) if layout is None else layout
    n_y = layout.pc.size
    free_cls = sorted(layout.free)
    n_f = len(free_cls)
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    vals: list[FloatArray] = []
    rhs: list[float] = []
    norms: list[float] = []
    units: list[tuple[str, int]] = []
    n_row = 0

    def add_row(c_idx: IntArray, c_val: FloatArray, b: float) -> None:
        nonlocal n_row
        rows.append(np.full(c_idx.size, n_row, dtype=np.int64))
        cols.append(c_idx)
        vals.append(c_val)
        rhs.append(b)
        n_row += 1

    free_col = {c: n_y + t for t, c in enumerate(free_cls)}
    elastic: list[int] = []
    starts = np.searchsorted(layout.pc, layout.classes)
    ends = np.searchsorted(layout.pc, layout.classes, side="right")
    for c, a, z in zip(layout.classes.tolist(), starts.tolist(), ends.tolist(), strict=True):
        idx = np.arange(a, z, dtype=np.int64)
        c_idx = np.concatenate([idx, [free_col[c]] if c in free_col else []]).astype(np.int64)
        if c_idx.size > 1:
            add_row(c_idx, np.ones(c_idx.size), float(setup.size[c]))
        r = sel.req.get(c, 0)
        if r > 0:
            elastic.append(n_row)
            norms.append(1.0)
            units.append(("class", c))
            add_row(c_idx, -np.ones(c_idx.size), -float(r))
    for k in sorted(sel.bounds):
        b = setup.bounds[k]
        idx = np.flatnonzero(layout.pj == b.manager)
        x = (setup.Vc if b.on_value else setup.Wc)[layout.pc[idx], b.manager]
        norm = float(np.max(np.abs(x))) if x.size else 1.0
        elastic.append(n_row)
        norms.append(norm if norm > 0 else 1.0)
        units.append(("bound", k))
        if b.upper:
            add_row(idx, x, b.bound + _tol(b.bound))
        else:
            add_row(idx, -x, -(b.bound - _tol(b.bound)))
    n_s = len(elastic)
    if n_s == 0:
        return _Verdict("unknown")
    n_var = n_y + n_f + n_s
    s_rows = np.array(elastic, dtype=np.int64)
    s_cols = np.arange(n_y + n_f, n_var, dtype=np.int64)
    A = sp.csr_matrix(
        (
            np.concatenate([*vals, -np.ones(n_s)]),
            (np.concatenate([*rows, s_rows]), np.concatenate([*cols, s_cols])),
        ),
        shape=(n_row, n_var),
    )
    b_ub = np.clip(np.array(rhs, dtype=np.float64), -1e300, 1e300)
    # a tie-break worth at most _LP_TIE in total: light pairs, leaving room for rounding
    w_pairs = setup.Wc[layout.pc, layout.pj]
    spread = float(w_pairs.max(initial=0.0)) * float(setup.size[layout.classes].sum())
    tie = _LP_TIE * w_pairs / spread if spread > 0 else np.zeros(n_y)
    cost = np.concatenate([tie, np.zeros(n_f), 1.0 / np.array(norms, dtype=np.float64)])
    sizes = setup.size[np.concatenate([layout.pc, np.array(free_cls, dtype=np.int64)])]
    var_bounds = np.zeros((n_var, 2))
    var_bounds[: n_y + n_f, 1] = sizes
    var_bounds[n_y + n_f :, 1] = np.inf
    method = "highs-ipm" if n_var > 5000 else "highs"  # interior point: faster when large
    options = {} if clock is None else {"time_limit": max(clock.left(), 0.1)}
    from scipy.optimize import linprog  # scipy.optimize is slow to import: load on use

    res = cast(Any, linprog)(
        cost, A_ub=A, b_ub=b_ub, bounds=var_bounds, method=method, options=options
    )
    if res.status != 0 or res.fun is None:
        return _Verdict("unknown")
    if res.fun <= _LP_MARGIN:
        return _Verdict("unknown", fractional=np.asarray(res.x[:n_y], dtype=np.float64))
    duals = np.asarray(res.ineqlin.marginals, dtype=np.float64)[s_rows]
    req: dict[int, int] = {}
    kept: set[int] = set()
    for (kind, u), d in zip(units, duals.tolist(), strict=True):
        if abs(d) <= 1e-9:
            continue
        if kind == "class":
            req[u] = sel.req[u]
        else:
            kept.add(u)
    return _Verdict("infeasible", core=_Sel(req, frozenset(kept)))


def _core(setup: _Setup, sel: _Sel, clock: _Clock, budget: float) -> _Verdict:
    """CP-SAT with one assumption literal per constraint: ``core`` from the solver."""
    from ortools.sat.python import cp_model  # imports pandas: load on use

    layout = _layout(setup, sel)
    built = _build(setup, sel, layout, "relax", assume=True)
    solver = _solver(min(budget, clock.left()), layout.pc.size, single=True)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        found = set(solver.sufficient_assumptions_for_infeasibility())
        req = {c: r for c, r in sel.req.items() if built.unit_lits["class", c].index in found}
        kept = {k for k in sel.bounds if built.unit_lits["bound", k].index in found}
        core = _Sel(req, frozenset(kept)) if req or kept else sel
        return _Verdict("infeasible", core=core)
    if status in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return _Verdict("feasible", _assignment(setup, layout, built, solver))
    return _Verdict("unknown")


# ----------------------------------------------------------------------------- the filter


def _prune(setup: _Setup, sel: _Sel) -> _Sel:
    """Drop constraints that can never bind given the others (no solve needed).

    A lead class with an eligible manager that has no bound in ``sel`` can always
    go there. A manager whose bounds are only upper ones (a non-negative max_value)
    and which no required lead can reach can always be left empty.
    """
    while True:
        constrained = np.zeros(setup.m, dtype=np.bool_)
        own: dict[int, list[int]] = {}
        for k in sel.bounds:
            constrained[setup.bounds[k].manager] = True
            own.setdefault(setup.bounds[k].manager, []).append(k)
        classes = np.array(sorted(sel.req), dtype=np.int64)
        stays = ~(setup.Ec[classes] & ~constrained[None, :]).any(axis=1)
        req = {int(c): sel.req[int(c)] for c in classes[stays]}
        reachable = np.asarray(setup.Ec[classes[stays]].any(axis=0), dtype=np.bool_)
        kept = set(sel.bounds)
        for j, ks in own.items():
            lower = any(
                not setup.bounds[k].upper
                or (setup.bounds[k].kind == "max_value" and setup.bounds[k].bound < 0)
                for k in ks
            )
            if not reachable[j] and not lower:
                kept -= set(ks)
        if len(req) == len(sel.req) and len(kept) == len(sel.bounds):
            return sel
        sel = _Sel(req, frozenset(kept))


class _Filter:
    """Deletion filter over a selection known to be infeasible."""

    def __init__(self, setup: _Setup, sel: _Sel, clock: _Clock) -> None:
        self.setup = setup
        self.sel = _prune(setup, sel)
        self.clock = clock
        self.minimal = True
        self.certified: set[int] = set()  # classes whose count is shown minimal
        self.needed: set[int] = set()  # classes shown necessary (at some count)
        self.bound_ok: set[int] = set()  # bounds shown necessary

    def test(self, sel: _Sel) -> _Verdict:
        verdict = _test(self.setup, _prune(self.setup, sel), self.clock)
        if verdict.status == "unknown":
            self.minimal = False
        return verdict

    def run(self) -> tuple[_Sel, bool]:
        self._classes()
        self._bounds()
        self._counts()
        return self.sel, self.minimal

    def _order(self) -> list[int]:
        setup = self.setup
        constrained = np.zeros(setup.m, dtype=np.bool_)
        for k in self.sel.bounds:
            constrained[setup.bounds[k].manager] = True

        def key(c: int) -> tuple[int, float, int]:
            where = setup.Ec[c] & constrained
            light = float(np.min(setup.Wc[c][where], initial=np.inf)) if where.any() else 0.0
            return int(np.count_nonzero(where)), -light, c

        return sorted(self.sel.req, key=key)

    def _classes(self) -> None:
        """Prefix search: keep the earliest classes that are still infeasible."""
        nec: list[int] = []
        cand = self._order()
        bounds = self.sel.bounds
        full = dict(self.sel.req)

        def sel_of(prefix: Iterable[int]) -> _Sel:
            return _Sel({c: full[c] for c in [*nec, *prefix]}, bounds)

        while cand:
            if self.clock.left() <= 0:
                self.minimal = False
                nec.extend(cand)
                break
            lo, hi = 0, len(cand)
            witness: dict[int, IntArray] = {}
            while lo < hi:
                mid = (lo + hi) // 2
                verdict = self.test(sel_of(cand[:mid]))
                if verdict.status == "infeasible":
                    hi = mid
                else:
                    if verdict.witness is not None:
                        witness[mid] = verdict.witness
                    lo = mid + 1
            if hi == 0:
                cand = []
                break
            u = cand[hi - 1]
            nec.append(u)
            self.needed.add(u)
            rest = cand[: hi - 1]
            target = sel_of(cand[:hi])
            if hi - 1 in witness:
                if full[u] == 1:
                    self.certified.add(u)
                rotated = self._rotate(target, witness[hi - 1], rest)
                nec.extend(rotated)
                rest = [c for c in rest if c not in rotated]
            cand = rest
        self.sel = _prune(self.setup, _Sel({c: full[c] for c in nec}, bounds))

    def _rotate(self, target: _Sel, witness: IntArray, candidates: list[int]) -> list[int]:
        """Classes of ``candidates`` shown necessary by swapping a lead of the witness.

        ``witness`` satisfies ``target`` except for exactly one required lead ``a``.
        Unassigning one required lead ``b`` of class ``v`` and placing ``a`` instead
        (in ``b``'s manager, or any eligible one) gives an assignment that satisfies
        ``target`` with ``v``'s count lowered by one: ``v`` is needed at that count.
        """
        setup = self.setup
        missing = [
            int(i) for c, r in target.req.items() for i in setup.members[c][:r] if witness[i] < 0
        ]
        if len(missing) != 1:
            return []
        a = missing[0]
        assigned = np.flatnonzero(witness >= 0)
        chosen = witness[assigned]
        loads = np.bincount(chosen, weights=setup.W[assigned, chosen], minlength=setup.m).astype(
            np.float64
        )
        values = np.bincount(chosen, weights=setup.V[assigned, chosen], minlength=setup.m).astype(
            np.float64
        )
        # the witness answered a pruned selection: it must meet every bound of target
        if not all(_holds(setup.bounds[k], loads, values) for k in target.bounds):
            return []
        own: dict[int, list[_Bound]] = {}
        for k in target.bounds:
            own.setdefault(setup.bounds[k].manager, []).append(setup.bounds[k])
        a_managers = np.flatnonzero(setup.E[a]).tolist()
        shown: list[int] = []

        def fine(j: int, dl: float, dv: float) -> bool:
            if j not in own:
                return True
            loads[j] += dl
            values[j] += dv
            ok = all(_holds(b, loads, values) for b in own[j])
            loads[j] -= dl
            values[j] -= dv
            return ok

        for v in candidates:
            r = target.req.get(v, 0)
            if r == 0:
                continue
            b = int(setup.members[v][r - 1])
            jb = int(witness[b])
            if jb < 0:
                continue
            for ja in sorted(a_managers, key=lambda j: j != jb):
                loads[jb] -= setup.W[b, jb]
                values[jb] -= setup.V[b, jb]
                ok = fine(ja, setup.W[a, ja], setup.V[a, ja]) and (ja == jb or fine(jb, 0.0, 0.0))
                loads[jb] += setup.W[b, jb]
                values[jb] += setup.V[b, jb]
                if ok:
                    shown.append(v)
                    self.certified.add(v)
                    self.needed.add(v)
                    break
        return shown

    def _reordered(self, c: int, witness: IntArray) -> IntArray:
        """The witness with class ``c``'s placed members moved to its first indices."""
        members = self.setup.members[c]
        managers = witness[members]
        out = witness.copy()
        out[members] = np.concatenate([managers[managers >= 0], managers[managers < 0]])
        return out

    def _bounds(self) -> None:
        for k in sorted(self.sel.bounds, key=lambda k: (self.setup.bounds[k].kind, k)):
            if k not in self.sel.bounds or k in self.bound_ok:
                continue
            if self.clock.left() <= 0:
                self.minimal = False
                return
            trial = self.sel.without_bound(k)
            verdict = self.test(trial)
            if verdict.status == "infeasible":
                self.sel = _prune(self.setup, trial)
            elif verdict.status == "feasible":
                self.bound_ok.add(k)

    def _counts(self) -> None:
        """Lower each needed class's count to the smallest that stays infeasible."""
        for c in sorted(self.sel.req):
            r = self.sel.req.get(c, 0)
            if r <= 1 or c in self.certified:
                continue
            if self.clock.left() <= 0:
                self.minimal = False
                return
            # invariant: count hi is infeasible; count lo is feasible (lo = 0: class needed)
            lo, hi, settled = 0, r, c in self.needed
            probe = r - 1  # most often the answer: one call
            while hi - lo > 1:
                verdict = self.test(self.sel.with_count(c, probe))
                if verdict.status == "infeasible":
                    hi = probe
                elif verdict.status == "feasible":
                    assert verdict.witness is not None
                    # members are interchangeable: every one the witness places counts
                    got = int(np.count_nonzero(verdict.witness[self.setup.members[c]] >= 0))
                    got = min(got, hi - 1)
                    if got > probe:
                        # as the witness may miss members of lower index, reorder them
                        witness = self._reordered(c, verdict.witness)
                        if not _satisfies(self.setup, self.sel.with_count(c, got), witness):
                            got = probe
                    lo, settled = max(probe, got), True
                else:
                    settled = False
                    break
                probe = (lo + hi) // 2
            if settled and hi - lo == 1:
                self.certified.add(c)
            self.sel = _prune(self.setup, self.sel.with_count(c, hi))


# ----------------------------------------------------------------------------- search


def _singleton(setup: _Setup) -> _Sel | None:
    """A constraint that cannot hold even alone."""
    for c in np.flatnonzero(setup.required > 0).tolist():
        if not setup.Ec[c].any():
            return _Sel({c: 1}, frozenset())
    for kind in ("min_load", "min_value", "max_value"):
        for k, b in enumerate(setup.bounds):
            if b.kind != kind:
                continue
            column = setup.E[:, b.manager]
            if kind == "min_load":
                if _exceeds(b.bound, float(setup.W[column, b.manager].sum())):
                    return _Sel({}, frozenset({k}))
                continue
            v = setup.V[column, b.manager]
            if kind == "min_value" and _exceeds(b.bound, float(v[v > 0].sum())):
                return _Sel({}, frozenset({k}))
            if kind == "max_value" and _exceeds(float(v[v < 0].sum()), b.bound):
                return _Sel({}, frozenset({k}))
    return None


def _local(setup: _Setup, clock: _Clock) -> _Sel | None:
    """The bounds of one manager that conflict on their own."""
    for _, ks in sorted(setup.by_manager.items()):
        if len(ks) < 2 or all(setup.bounds[k].kind == "capacity" for k in ks):
            continue
        sel = _Sel({}, frozenset(ks))
        if _test(setup, sel, clock).status == "infeasible":
            return sel
    return None


def _initial(setup: _Setup, clock: _Clock) -> tuple[_Sel | None, bool]:
    """An infeasible selection, or ``(None, True)`` when the problem is feasible.

    ``(None, False)``: undecided within the time budget.
    """
    everything = _Sel(
        {int(c): int(setup.required[c]) for c in np.flatnonzero(setup.required > 0)},
        frozenset(range(len(setup.bounds))),
    )
    if everything.size() == 0:
        return None, True
    relaxed = _relaxation(setup, everything, clock=clock)
    if relaxed.status == "infeasible":  # a Farkas certificate: its support conflicts
        assert relaxed.core is not None
        support = _prune(setup, relaxed.core)
        # the support is read off float duals: confirm it on its own
        if _relaxation(setup, support, clock=clock).status == "infeasible":
            return support, True
        return everything, True
    verdict = _test(setup, everything, clock, relaxed=relaxed, share=1.0)
    if verdict.status != "infeasible":
        return None, verdict.status == "feasible"
    local = _local(setup, clock)
    if local is not None:
        return local, True
    budget = _CORE_SHARE * max(clock.left(), 0.0)
    verdict = _core(setup, everything, clock, budget)
    if verdict.status == "infeasible":
        assert verdict.core is not None
        core = _prune(setup, verdict.core)
        if core.size() < everything.size() and _test(setup, core, clock).status == "infeasible":
            return core, True
    return everything, True


def find_conflict(problem: AssignmentProblem, *, time_limit: float = 10.0) -> Conflict | None:
    """A minimal set of constraints of ``problem`` that cannot hold together.

    Parameters
    ----------
    problem : AssignmentProblem
        The problem to diagnose.
    time_limit : float, default 10.0
        Seconds for the whole search. When the budget runs out while the set is
        being shrunk, the (infeasible) set found so far is returned with
        ``minimal=False``.

    Returns
    -------
    Conflict or None
        ``None`` when every constraint can hold together (the problem is feasible).

    Raises
    ------
    TimeoutError
        If the time budget ran out before infeasibility (or feasibility) was shown.

    Notes
    -----
    The constraints outside the returned set are ignored when checking it: leads
    not named may stay unassigned, bounds not named are dropped. See the module
    docstring for the algorithm and the integer scale.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose._conflicts import find_conflict
    >>> p = fl.AssignmentProblem(
    ...     value=np.full((3, 2), 0.5), capacity=[2, 2], weight=[2.0, 1.5, 1.5],
    ...     manager_labels=["ann", "bob"], lead_labels=["a", "b", "c"])
    >>> conflict = find_conflict(p)
    >>> [c.text for c in conflict.constraints]  # doctest: +NORMALIZE_WHITESPACE
    ["lead 'a' must be assigned", "lead 'b' must be assigned", "lead 'c' must be assigned",
     "capacity of manager 'ann' (2)", "capacity of manager 'bob' (2)"]
    >>> print(conflict.message)
    3 leads (lead 'a', lead 'b', lead 'c') with a workload of 5 in total can only go to the 2 managers (manager 'ann', manager 'bob'), whose capacity totals 4; short by 1
    >>> find_conflict(fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[1, 1])) is None
    True
    """  # noqa: E501
    require_problem(problem)
    if isinstance(time_limit, bool) or not (isinstance(time_limit, int | float) and time_limit > 0):
        raise ValueError(f"time_limit must be a number > 0, got {time_limit!r}")
    clock = _Clock(float(time_limit))
    setup = _setup(problem)
    single = _singleton(setup)
    if single is not None:
        return _conflict(setup, single, minimal=True)
    start, decided = _initial(setup, clock)
    if start is None:
        if decided:
            return None
        raise TimeoutError(
            f"could not decide within time_limit={time_limit:g} s whether the constraints "
            "can hold together"
        )
    sel, minimal = _Filter(setup, start, clock).run()
    return _conflict(setup, sel, minimal=minimal)


# ----------------------------------------------------------------------------- words


def _down(x: float) -> str:
    """``x`` to 6 significant digits, rounded down (for "at least")."""
    return _rounded(x, ROUND_FLOOR)


def _up(x: float) -> str:
    """``x`` to 6 significant digits, rounded up (for "at most")."""
    return _rounded(x, ROUND_CEILING)


def _rounded(x: float, rounding: str) -> str:
    if not math.isfinite(x):
        return f"{x:g}"
    nearest = f"{x:.6g}"
    if abs(float(nearest) - x) <= 1e-9 * max(1.0, abs(x)):  # float noise, not a rounding
        return nearest
    return f"{float(Context(prec=6, rounding=rounding).create_decimal(x)):g}"


def _cap_word(problem: AssignmentProblem, j: int) -> str:
    from_max = problem.load_penalty is None and problem.max_load[j] < problem.capacity[j]
    return "max_load" if from_max else "capacity"


def _text(setup: _Setup, kind: Kind, index: int, bound: float | None = None) -> str:
    problem = setup.problem
    if kind == "assign":
        return f"{problem.lead_name(index)} must be assigned"
    word = _cap_word(problem, index) if kind == "capacity" else kind
    return f"{word} of {problem.manager_name(index)} ({bound:g})"


def _conflict(setup: _Setup, sel: _Sel, *, minimal: bool) -> Conflict:
    items: list[Constraint] = []
    leads = sorted(int(i) for c, r in sel.req.items() for i in setup.members[c][:r])
    items.extend(Constraint("assign", i, _text(setup, "assign", i)) for i in leads)
    order = ("capacity", "min_load", "min_value", "max_value")
    for k in sorted(
        sel.bounds, key=lambda k: (setup.bounds[k].manager, order.index(setup.bounds[k].kind))
    ):
        b = setup.bounds[k]
        items.append(Constraint(b.kind, b.manager, _text(setup, b.kind, b.manager, b.bound)))
    return Conflict(tuple(items), _message(setup, sel, leads), minimal)


def _message(setup: _Setup, sel: _Sel, leads: list[int]) -> str:
    bounds = [setup.bounds[k] for k in sel.bounds]
    managers = sorted({b.manager for b in bounds})
    kinds = {b.kind for b in bounds}
    reason: str | None = None
    if not bounds and len(leads) == 1:
        reason = f"{setup.problem.lead_name(leads[0])} has no eligible manager"
    elif not leads and len(managers) == 1:
        reason = _one_manager(setup, {b.kind: b for b in bounds})
    elif leads and kinds == {"capacity"}:
        reason = _confined(setup, leads, managers)
    elif not leads and kinds == {"min_load"}:
        reason = _min_loads(setup, managers)
    return reason if reason is not None else _generic(setup, sel, leads)


def _generic(setup: _Setup, sel: _Sel, leads: list[int]) -> str:
    parts: list[str] = []
    names = [setup.problem.lead_name(i) for i in leads]
    if len(names) == 1:
        parts.append(f"{names[0]} must be assigned")
    elif names:
        parts.append(f"{len(names)} leads must be assigned ({_names(names)})")
    for k in sorted(sel.bounds, key=lambda k: (setup.bounds[k].manager, setup.bounds[k].kind)):
        b = setup.bounds[k]
        parts.append(_text(setup, b.kind, b.manager, b.bound))
    return "no assignment meets all of these together: " + "; ".join(parts)


def _one_manager(setup: _Setup, own: dict[Kind, _Bound]) -> str | None:
    problem = setup.problem
    j = next(iter(own.values())).manager
    name = problem.manager_name(j)
    rows = np.flatnonzero(setup.E[:, j])
    w, v = setup.W[rows, j], setup.V[rows, j]
    unit = bool(np.all(w == 1.0))
    cap, low = own.get("capacity"), own.get("min_load")
    vmin, vmax = own.get("min_value"), own.get("max_value")
    if set(own) == {"min_load"} and low is not None:
        if unit:
            return f"min_load of {name} ({low.bound:g}) exceeds its eligible leads ({rows.size})"
        return (
            f"min_load of {name} ({low.bound:g}) exceeds the total workload of its eligible "
            f"leads ({_up(float(w.sum()))})"
        )
    if set(own) == {"min_value"} and vmin is not None:
        return (
            f"min_value of {name} ({vmin.bound:g}) cannot be reached: its eligible leads are "
            f"worth at most {_up(float(v[v > 0].sum()))} in total"
        )
    if set(own) == {"max_value"} and vmax is not None:
        return (
            f"max_value of {name} ({vmax.bound:g}) cannot be met: its eligible leads are "
            f"worth at least {_down(float(v[v < 0].sum()))} in total"
        )
    if set(own) == {"min_load", "capacity"} and low is not None and cap is not None:
        word = _cap_word(problem, j)
        if unit:
            need = math.ceil(low.bound - _tol(low.bound))
            room = math.floor(cap.bound + _tol(cap.bound))
            return (
                f"min_load of {name} ({low.bound:g}) needs {need} whole leads, but its "
                f"{word} allows {room}"
            )
        return (
            f"min_load of {name} ({low.bound:g}) and its {word} ({cap.bound:g}) cannot both "
            f"hold: no set of its eligible leads has a workload between {low.bound:g} and "
            f"{cap.bound:g}"
        )
    if set(own) == {"min_value", "capacity"} and vmin is not None and cap is not None:
        best = _most_value(setup, j, cap.bound, vmin.bound)
        word = _cap_word(problem, j)
        if best is not None:
            return (
                f"min_value of {name} ({vmin.bound:g}) cannot be reached: its eligible leads "
                f"are worth at most {_up(best)} in total with its {word} {cap.bound:g}"
            )
        return (
            f"min_value of {name} ({vmin.bound:g}) cannot be reached within its {word} "
            f"{cap.bound:g}"
        )
    if set(own) == {"max_value", "min_load"} and vmax is not None and low is not None:
        least = _least_value(setup, j, low.bound, vmax.bound)
        if least is not None:
            return (
                f"max_value of {name} ({vmax.bound:g}) is below what its min_load of "
                f"{low.bound:g} forces (at least {_down(least)})"
            )
        return (
            f"max_value of {name} ({vmax.bound:g}) cannot hold with its min_load of {low.bound:g}"
        )
    if set(own) == {"min_value", "max_value"} and vmin is not None and vmax is not None:
        return (
            f"min_value ({vmin.bound:g}) and max_value ({vmax.bound:g}) of {name} cannot both "
            "hold: no set of its eligible leads has a total value in between"
        )
    texts = [_text(setup, b.kind, j, b.bound) for b in own.values()]
    return (
        f"the bounds of {name} cannot hold together: " + ", ".join(texts) + "; no set of its "
        "eligible leads meets them all"
    )


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
    return _knapsack(setup, j, rows, limit, maximize=True, target=target)


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
    return _knapsack(setup, j, rows, need, maximize=False, target=target)


def _knapsack(
    setup: _Setup, j: int, rows: IntArray, limit: float, *, maximize: bool, target: float
) -> float | None:
    """Proven bound from CP-SAT on manager ``j``'s best (or least) value, when it settles."""
    from ortools.sat.python import cp_model  # imports pandas: load on use

    if rows.size == 0:
        return None
    model = cp_model.CpModel()
    x = [model.new_bool_var("") for _ in range(rows.size)]
    w = setup.W[rows, j] * setup.wscale
    v = setup.V[rows, j] * setup.vscale
    if maximize:  # relax: lighter workloads, larger values
        wi = np.rint(w) if setup.wexact else np.floor(w)
        vi = np.rint(v) if setup.vexact else np.ceil(v)
        model.add(
            cp_model.LinearExpr.weighted_sum(x, wi.astype(np.int64).tolist())
            <= math.floor(min(limit * setup.wscale, 2.0**62))
        )
        model.maximize(cp_model.LinearExpr.weighted_sum(x, vi.astype(np.int64).tolist()))
    else:  # relax: heavier workloads, smaller values
        wi = np.rint(w) if setup.wexact else np.ceil(w)
        vi = np.rint(v) if setup.vexact else np.floor(v)
        model.add(
            cp_model.LinearExpr.weighted_sum(x, wi.astype(np.int64).tolist())
            >= math.ceil(limit * setup.wscale)
        )
        model.minimize(cp_model.LinearExpr.weighted_sum(x, vi.astype(np.int64).tolist()))
    solver = _solver(2.0, rows.size, single=True)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    bound = float(solver.best_objective_bound) / setup.vscale
    if maximize and _exceeds(target, bound):
        return bound
    if not maximize and _exceeds(bound, target):
        return bound
    return None


def _confined(setup: _Setup, leads: list[int], managers: list[int]) -> str | None:
    """Leads that can only go to the named managers, which lack room for them."""
    problem = setup.problem
    inside = np.zeros(setup.m, dtype=np.bool_)
    inside[managers] = True
    outside = (setup.E & ~inside[None, :]).any(axis=1)
    group = np.flatnonzero(setup.E.any(axis=1) & ~outside)
    group = np.union1d(group, np.array(leads, dtype=np.int64))
    upper = problem.hard_upper_load[managers]
    room = float(upper.sum())
    words = {_cap_word(problem, j) for j in managers}
    word = words.pop() if len(words) == 1 else "capacity/max_load"
    m_names = [problem.manager_name(j) for j in managers]
    who = m_names[0] if len(managers) == 1 else f"the {len(managers)} managers ({_names(m_names)})"
    whose = f"whose {word} is" if len(managers) == 1 else f"whose {word} totals"
    l_names = [problem.lead_name(int(i)) for i in group]
    elig = setup.E[group]
    w = np.where(elig, setup.W[group], np.inf)
    lightest = w.min(axis=1)
    demand = float(lightest.sum())
    same = bool(np.all((w == lightest[:, None]) | ~elig))  # one workload per lead
    if len(leads) == 1:
        i = leads[0]
        eligible = np.flatnonzero(setup.E[i]).tolist()
        upper_all = problem.hard_upper_load
        if all(_exceeds(float(setup.W[i, j]), float(upper_all[j])) for j in eligible):
            fits = ", ".join(
                f"{problem.manager_name(j)} ({_cap_word(problem, j)} {upper_all[j]:g})"
                for j in eligible
            )
            w_i = setup.W[i, eligible]
            size = f"{w_i[0]:g}" if np.all(w_i == w_i[0]) else f"at least {w_i.min():g}"
            name = problem.lead_name(i)
            return f"{name} (workload {size}) fits none of its eligible managers: {fits}"
    weights = setup.W[group][elig]
    if weights.size and np.all(weights == weights[0]):  # every lead weighs the same
        w0 = float(weights[0])
        whole = int(sum(math.floor((u + _tol(float(u))) / w0) for u in upper))
        if len(group) > whole:
            if w0 == 1.0:
                room_text = f"{room:g}" if whole == room else f"{room:g} ({whole} whole leads)"
            else:
                room_text = f"{room:g}, room for {whole} leads of workload {w0:g}"
            return (
                f"{len(group)} leads ({_names(l_names)}) can only go to {who}, {whose} "
                f"{room_text}; short by {len(group) - whole}"
            )
    if _exceeds(demand, room):
        load = "a workload of" if same else "a workload of at least"
        return (
            f"{len(group)} leads ({_names(l_names)}) with {load} {_down(demand)} in total can "
            f"only go to {who}, {whose} {room:g}; short by {_down(demand - room)}"
        )
    return (
        f"{len(group)} leads ({_names(l_names)}) can only go to {who}, {whose} {room:g}, "
        "and do not fit there as whole leads"
    )


def _min_loads(setup: _Setup, managers: list[int]) -> str | None:
    """Managers whose min_loads ask for more than the leads eligible for any of them."""
    problem = setup.problem
    lows = problem.min_load[managers]
    pool = setup.E[:, managers].any(axis=1)
    w = np.where(setup.E[:, managers], setup.W[:, managers], 0.0)[pool]
    names = [problem.manager_name(j) for j in managers]
    if np.all(w[setup.E[pool][:, managers]] == 1.0):
        need = int(sum(math.ceil(x - _tol(float(x))) for x in lows))
        have = int(pool.sum())
        if need > have:
            return (
                f"min_load of {len(managers)} managers ({_names(names)}) asks for {need} leads "
                f"in total, but only {have} leads are eligible for any of them; short by "
                f"{need - have}"
            )
        return None
    need_w = float(lows.sum())
    have_w = float(w.max(axis=1).sum())
    if _exceeds(need_w, have_w):
        return (
            f"min_load of {len(managers)} managers ({_names(names)}) asks for a workload of "
            f"{need_w:g} in total, but the leads eligible for any of them weigh at most "
            f"{_up(have_w)}; short by {_down(need_w - have_w)}"
        )
    return None


# ----------------------------------------------------------------------------- entry point


def explain(problem: AssignmentProblem, *, time_limit: float = 10.0) -> str:
    """Why ``problem`` has no assignment, in one or two sentences with numbers.

    Call it once a solver has found the problem infeasible. Unit-weight problems
    without hard value bounds use the flow-based explanation (Hall witnesses read off
    a max flow; with a soft load band only ``capacity`` counts); the others, or when
    that finds no specific reason, use :func:`find_conflict`.

    Parameters
    ----------
    problem : AssignmentProblem
    time_limit : float, default 10.0
        Seconds for :func:`find_conflict`.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose import explain_conflict as explain
    >>> p = fl.AssignmentProblem(value=np.array([[0.5, 0.4], [0.4, 0.9]]), capacity=[2, 2],
    ...                          min_load=[0, 1], max_value=[2.0, 0.3],
    ...                          manager_labels=["ann", "bob"])
    >>> explain(p)
    "max_value of manager 'bob' (0.3) is below what its min_load of 1 forces (at least 0.4)"
    """
    if problem.unit_weights and not (problem.has_value_bounds and problem.value_penalty is None):
        hard = problem
        if problem.load_penalty is not None:  # a soft band: only capacity bounds the load
            hard = AssignmentProblem(
                value=problem.value,
                capacity=problem.capacity,
                eligible=problem.eligible,
                allow_unassigned=problem.allow_unassigned,
                lead_labels=problem.lead_labels,
                manager_labels=problem.manager_labels,
            )
        reason = explain_infeasible(hard)
        if reason != UNKNOWN_REASON:
            return reason
    try:
        conflict = find_conflict(problem, time_limit=time_limit)
    except TimeoutError:
        return f"{UNKNOWN_REASON} (no smaller conflict isolated within {time_limit:g} s)"
    if conflict is None:
        return "every constraint can hold together: no conflict found"
    return conflict.message
