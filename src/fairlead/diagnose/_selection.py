"""The removable constraints of a problem, its classes of identical leads, and subsets.

A *selection* (:class:`_Sel`) is a subset of the constraints: how many leads of each
class must be assigned, and which manager bounds hold. This module also checks an
assignment against a selection in floats, lays out the pairs a selection's model
needs (:func:`_layout`) and drops constraints that can never bind (:func:`_prune`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from fairlead.core import RTOL, AssignmentProblem, BoolArray, FloatArray, IntArray
from fairlead.formulation import Bound, constraint_scales

Kind = Literal["assign", "capacity", "min_load", "min_value", "max_value"]


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


@dataclass
class _Setup:
    problem: AssignmentProblem
    E: BoolArray  # (n, m)
    W: FloatArray  # (n, m) workload
    V: FloatArray  # (n, m) value
    bounds: list[Bound]
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
    bounds: list[Bound] = []
    upper = problem.hard_upper_load
    total_w = W.sum(axis=0)
    pos_v = np.where(V > 0, V, 0.0).sum(axis=0)
    neg_v = np.where(V < 0, V, 0.0).sum(axis=0)
    for j in range(m):
        if not total_w[j] <= upper[j] + _tol(upper[j]):
            bounds.append(Bound("capacity", j, float(upper[j])))
        if problem.load_penalty is None and _exceeds(float(problem.min_load[j]), 0.0):
            bounds.append(Bound("min_load", j, float(problem.min_load[j])))
        if hard_values and problem.min_value is not None:
            low = float(problem.min_value[j])
            if _exceeds(low, float(neg_v[j])):
                bounds.append(Bound("min_value", j, low))
        if hard_values and problem.max_value is not None:
            high = float(problem.max_value[j])
            if _exceeds(float(pos_v[j]), high):
                bounds.append(Bound("max_value", j, high))
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
    # the scales of cp_sat's rows (fairlead.formulation), so both build the same rows
    scales = constraint_scales(problem)
    wscale, wexact = scales.weight, scales.weight_exact
    vscale, vexact = (
        (scales.bound_value, scales.bound_value_exact)
        if uses_values and scales.bound_value is not None
        else (1.0, True)
    )
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


def _holds(b: Bound, loads: FloatArray, values: FloatArray) -> bool:
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
