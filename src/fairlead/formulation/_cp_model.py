"""The assignment problem as a CP-SAT model: one builder for the solver and the diagnosis.

The model has one variable per pair ``(unit, manager)``: a *unit* is a lead (a
Boolean per pair) or a class of ``size`` identical leads (a count in
``[0, size]``). On top of the pairs come

* per unit: at most ``size`` placed, at least ``need`` (exactly one for a lead
  that must be assigned); an optional *outlet* variable counts leads of the unit
  placed where no bound applies;
* per manager bound (:class:`Bound`): the workload or the value of the pairs of
  the manager against ``capacity`` / ``min_load`` / ``min_value`` / ``max_value``,
  in integers (:func:`constraint_scales`).

Every unit row and every bound may carry an *assumption literal* (the conflict
finder reads which of them CP-SAT needed to prove infeasibility). Coefficients
are rounded in one direction: the *restriction* (``relaxed=False``) overestimates
what must stay below a bound and underestimates what must stay above it, so an
integer solution holds in floats; the *relaxation* does the opposite, so an
infeasible relaxation proves the float problem infeasible. With exact scales both
are one model.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

# The C++ layer only: ``ortools.sat.python.cp_model`` imports pandas, which would
# make ``import fairlead`` slow; the proto is built in bulk anyway.
from ortools.sat.python import cp_model_helper as cmh

from fairlead.core import AssignmentProblem, FloatArray, IntArray
from fairlead.formulation._scaling import COEFFICIENT_RESOLUTION, integral, pick_scale

BoundKind = Literal["capacity", "min_load", "min_value", "max_value"]

DOMAIN = 2**62  # a side at or beyond this is unbounded
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1  # CP-SAT reads these bounds as infinite
# Slack on hard bounds, relative to max(1, |bound|): just under fairlead.core's check
# (1e-9) for the restriction, which must satisfy it, just over it for the relaxation.
MODEL_RTOL = 0.9e-9
RELAX_RTOL = 1.1e-9
STATUS = cmh.CpSolverStatus


@dataclass(frozen=True)
class Bound:
    """A manager bound: ``load/value <= bound`` (upper) or ``>= bound`` (lower).

    Attributes
    ----------
    kind : {"capacity", "min_load", "min_value", "max_value"}
        ``capacity`` is the hard upper workload (``hard_upper_load``).
    manager : int
    bound : float
    """

    kind: BoundKind
    manager: int
    bound: float

    @property
    def upper(self) -> bool:
        """Whether the amount must stay at most ``bound``."""
        return self.kind in ("capacity", "max_value")

    @property
    def on_value(self) -> bool:
        """Whether the bound is on value (else on workload)."""
        return self.kind in ("min_value", "max_value")


@dataclass(frozen=True)
class ConstraintScales:
    """Integers per unit of workload and of value in the bound rows.

    Attributes
    ----------
    weight : float
    weight_exact : bool
        Whether every scaled workload of an eligible pair is an integer.
    bound_value : float or None
        ``None`` without value bounds.
    bound_value_exact : bool
        Whether the scaled values of the eligible pairs are integers (or the value
        bounds are soft, priced rather than kept).
    """

    weight: float
    weight_exact: bool
    bound_value: float | None
    bound_value_exact: bool


def eligible_pairs(problem: AssignmentProblem) -> tuple[IntArray, IntArray]:
    """``(lead, manager)`` of the eligible pairs, sorted by lead."""
    lead, manager = np.nonzero(problem.eligible)
    return lead.astype(np.int64), manager.astype(np.int64)


def pair_weights(problem: AssignmentProblem, lead: IntArray, manager: IntArray) -> FloatArray:
    """Workload of each pair."""
    w = problem.weight
    out: FloatArray = w[lead] if w.ndim == 1 else w[lead, manager]
    return out


def constraint_scales(problem: AssignmentProblem) -> ConstraintScales:
    """The scales of the bound rows of ``problem`` (:func:`fairlead.formulation.pick_scale`).

    Workloads form one family (with the load band's bounds when it is soft, as
    its shortfall and excess are measured in the same integers); the values of
    the eligible pairs another, when the problem has value bounds. A sum adds at
    most as many terms as the largest number of eligible leads of a manager.

    Examples
    --------
    >>> import fairlead as fl
    >>> s = constraint_scales(fl.AssignmentProblem(
    ...     value=[[1.5, 2.0]], capacity=[1, 1], weight=[0.3], min_value=[0.25, 0.0]))
    >>> s.weight, s.weight_exact, s.bound_value, s.bound_value_exact
    (10.0, True, 2.0, True)
    """
    lead, manager = eligible_pairs(problem)
    weights = pair_weights(problem, lead, manager)
    soft_load = problem.load_penalty is not None
    load_bounds = [problem.capacity, problem.min_load, problem.max_load] if soft_load else []
    terms = int(np.max(np.bincount(manager), initial=1))
    weight = pick_scale(
        np.concatenate([weights, *load_bounds]), terms=terms, resolution=COEFFICIENT_RESOLUTION
    )
    bound_value: float | None = None
    bound_exact = True
    if problem.has_value_bounds:
        soft_value = problem.value_penalty is not None
        values = problem.value[lead, manager]
        extra = [b for b in (problem.min_value, problem.max_value) if b is not None and soft_value]
        scale = pick_scale(
            np.concatenate([values, *extra]), terms=terms, resolution=COEFFICIENT_RESOLUTION
        )
        bound_value = scale.factor
        # signed terms: exact only when the products are integers up to float noise
        bound_exact = soft_value or integral(values * scale.factor, absolute=True)
    return ConstraintScales(
        weight=weight.factor,
        weight_exact=integral(weights * weight.factor),
        bound_value=bound_value,
        bound_value_exact=bound_exact,
    )


def clamp(y: float) -> float:
    """``y`` within ``[-DOMAIN, DOMAIN]``."""
    return max(-float(DOMAIN), min(float(DOMAIN), y))


def upper_rhs(bound: float, scale: float, rtol: float) -> int:
    """Largest scaled sum allowed by ``sum <= bound`` with a slack of ``rtol``."""
    return math.floor(clamp((bound + rtol * max(1.0, abs(bound))) * scale))


def lower_rhs(bound: float, scale: float, rtol: float) -> int:
    """Smallest scaled sum allowed by ``sum >= bound`` with a slack of ``rtol``."""
    return math.ceil(clamp((bound - rtol * max(1.0, abs(bound))) * scale))


def rounded(y: FloatArray, exact: bool) -> tuple[IntArray, IntArray]:
    """(floor, ceil) of scaled coefficients; both ``rint`` when the scale is exact."""
    if exact:
        r = np.rint(y).astype(np.int64)
        return r, r
    # products by a power of two are exact in floats: plain floor / ceil are conservative
    return np.floor(y).astype(np.int64), np.ceil(y).astype(np.int64)


def _booleans(proto: Any, count: int) -> None:
    """Append ``count`` Boolean variables, by doubling a block in C++ (no Python loop)."""
    block = cmh.CpModelProto()
    block.variables.add().domain.extend((0, 1))
    out = cmh.CpModelProto()
    while count:
        if count & 1:
            out.merge_from(block)
        count >>= 1
        if count:
            block.merge_from(block.__copy__())
    proto.merge_from(out)


@dataclass
class CpModel:
    """A laid-out CP-SAT model and how its variables map back to pairs.

    Variables ``0 .. n_pairs - 1`` are the pairs ``(unit[k], manager[k])``, then come
    the outlets (``outlets[u]`` is the variable of unit ``u``'s outlet), then what
    the caller adds (:meth:`int_vars`, assumption literals).
    """

    proto: Any  # cp_model_helper.CpModelProto
    unit: IntArray
    manager: IntArray
    size: IntArray  # largest count of each pair variable (1: a Boolean)
    outlets: dict[int, int] = field(default_factory=dict)
    objectives: dict[str, tuple[IntArray, IntArray]] = field(default_factory=dict)
    literals: dict[Hashable, int] = field(default_factory=dict)
    feasible: bool = True  # False when a unit that must be placed has no pair
    heaviest: int = 0  # largest sum of |coefficients| of a linear constraint

    @property
    def n_pairs(self) -> int:
        """Number of pair variables."""
        return int(self.unit.size)

    # -------------------------------------------------------------- constraints

    def linear(
        self,
        variables: IntArray,
        coeffs: IntArray,
        low: int,
        high: int,
        *,
        enforce: int | None = None,
    ) -> None:
        """Add ``low <= sum coeffs * variables <= high``; ``+-DOMAIN`` mean unbounded.

        Unbounded sides are written as int64's extremes, which CP-SAT reads as
        infinite (large finite ones such as ``2**62`` made its presolve drop optimal
        solutions). ``enforce`` is a literal that switches the row on.
        """
        self.heaviest = max(self.heaviest, int(np.abs(coeffs).sum()))
        if low > high:  # an empty domain is invalid in a proto; this says "infeasible"
            variables, coeffs, low, high = variables[:0], coeffs[:0], 1, 1
        low = _INT64_MIN if low <= -DOMAIN else low
        high = _INT64_MAX if high >= DOMAIN else high
        constraint = self.proto.constraints.add()
        if enforce is not None:
            constraint.enforcement_literal.append(enforce)
        linear = constraint.linear
        linear.vars.extend(variables)
        linear.coeffs.extend(coeffs)
        linear.domain.extend((int(low), int(high)))

    def int_vars(self, upper: IntArray) -> IntArray:
        """Append integer variables with domains ``[0, upper[k]]``; return their indices."""
        start = len(self.proto.variables)
        for top in upper.tolist():
            self.proto.variables.add().domain.extend((0, max(0, int(top))))
        return np.arange(start, start + upper.size, dtype=np.int64)

    def literal(self, key: Hashable) -> int:
        """A new assumption literal, recorded under ``key``."""
        (var,) = self.int_vars(np.array([1]))
        self.proto.assumptions.append(int(var))
        self.literals[key] = int(var)
        return int(var)

    def add_units(
        self,
        units: IntArray,
        size: IntArray,
        need: IntArray,
        *,
        keys: Sequence[Hashable] | None = None,
    ) -> None:
        """One row per unit of ``units``: between ``need`` and ``size`` of it placed.

        ``keys`` (one per unit) put the lower side of each row with ``need > 0``
        under an assumption literal. A lead that must be assigned without one is an
        ``exactly_one`` row; one that may stay out an ``at_most_one``.
        """
        starts = np.searchsorted(self.unit, units).tolist()
        ends = np.searchsorted(self.unit, units, side="right").tolist()
        constraints = self.proto.constraints
        for t, (u, s, r) in enumerate(
            zip(units.tolist(), size.tolist(), need.tolist(), strict=True)
        ):
            terms = list(range(starts[t], ends[t]))
            if u in self.outlets:
                terms.append(self.outlets[u])
            if keys is None and s == 1 and r == 1:
                if terms:
                    constraints.add().exactly_one.literals.extend(terms)
                else:
                    self.feasible = False
                continue
            if keys is None and r > 0 and not terms:
                self.feasible = False
            if len(terms) > 1 and (keys is not None or r == 0):
                if s == 1:
                    constraints.add().at_most_one.literals.extend(terms)
                else:
                    self._count(terms, 0, s)
            if r > 0:
                enforce = None if keys is None else self.literal(keys[t])
                self._count(terms, r, s, enforce=enforce)

    def _count(self, terms: list[int], low: int, high: int, *, enforce: int | None = None) -> None:
        variables = np.array(terms, dtype=np.int64)
        self.linear(variables, np.ones(variables.size, dtype=np.int64), low, high, enforce=enforce)

    def add_bounds(
        self,
        bounds: Sequence[Bound],
        amounts: FloatArray,
        scale: float,
        exact: bool,
        *,
        relaxed: bool,
        keys: Sequence[Hashable] | None = None,
    ) -> None:
        """Rows for manager bounds on one family of amounts (workloads or values).

        ``amounts`` holds each pair's amount (per lead of its unit). Coefficients
        are ``amounts * scale``, rounded per :func:`rounded` in the direction of
        ``relaxed``. With ``keys`` (one per bound) each bound is a row of its own
        under an assumption literal; otherwise, with an exact scale, the bounds of a
        manager share one row. A lower row no sum can fall below is left out.
        """
        rtol = RELAX_RTOL if relaxed else MODEL_RTOL
        low, high = rounded(amounts * scale, exact)
        # restriction: overestimate against an upper bound, underestimate against a
        # lower one; the relaxation does the opposite
        up, down = (low, high) if relaxed else (high, low)
        order = np.argsort(self.manager, kind="stable")
        mine: dict[int, list[int]] = {}
        for t, b in enumerate(bounds):
            mine.setdefault(b.manager, []).append(t)
        managers = np.array(list(mine), dtype=np.int64)
        starts = np.searchsorted(self.manager[order], managers).tolist()
        ends = np.searchsorted(self.manager[order], managers, side="right").tolist()
        for ts, a, z in zip(mine.values(), starts, ends, strict=True):
            k = order[a:z]
            xs = k.astype(np.int64)
            rows = [(bounds[t], t) for t in ts]
            if keys is None and exact:
                lo = max(
                    [-DOMAIN] + [lower_rhs(b.bound, scale, rtol) for b, _ in rows if not b.upper]
                )
                hi = min([DOMAIN] + [upper_rhs(b.bound, scale, rtol) for b, _ in rows if b.upper])
                self.linear(xs, up[k], lo, hi)
                continue
            for b, t in rows:
                enforce = None if keys is None else self.literal(keys[t])
                if b.upper:
                    self.linear(
                        xs, up[k], -DOMAIN, upper_rhs(b.bound, scale, rtol), enforce=enforce
                    )
                    continue
                lo = lower_rhs(b.bound, scale, rtol)
                if keys is None and lo <= int(np.minimum(down[k], 0) @ self.size[k]):
                    continue
                self.linear(xs, down[k], lo, DOMAIN, enforce=enforce)

    # ------------------------------------------------------------ search input

    def set_objective(self, stage: str) -> tuple[IntArray, IntArray]:
        """Minimize the objective stored as ``stage``."""
        proto = self.proto
        proto.clear_objective()
        variables, coeffs = self.objectives[stage]
        proto.objective.vars.extend(variables)
        proto.objective.coeffs.extend(coeffs)
        return variables, coeffs

    def fix(self, stage: str, best: int) -> None:
        """Keep the (minimized) objective of ``stage`` at most ``best``."""
        variables, coeffs = self.objectives[stage]
        self.linear(variables, coeffs, -DOMAIN, best)

    def hint(self, variables: IntArray, values: IntArray) -> None:
        """Replace the solution hint."""
        proto = self.proto
        proto.clear_solution_hint()
        proto.solution_hint.vars.extend(variables)
        proto.solution_hint.values.extend(values)

    def solve(self, params: Any) -> Any:
        """Solve with ``params`` (``SatParameters``); the ``CpSolverResponse``.

        Raises
        ------
        RuntimeError
            If CP-SAT finds the model invalid (a bug in the builder, never input).
        """
        solver = cmh.SolveWrapper()
        solver.set_parameters(params)
        response = solver.solve(self.proto)  # type: ignore[no-untyped-call]
        if response.status == STATUS.MODEL_INVALID:
            message = cmh.CpSatHelper.validate_model(self.proto)
            raise RuntimeError(f"fairlead built an invalid CP-SAT model: {message}")
        return response

    # ------------------------------------------------------------------ output

    def assignment(self, solution: IntArray, n: int) -> IntArray:
        """Manager of each lead (``-1`` where none), for a model whose units are leads."""
        chosen = solution[: self.n_pairs] > 0
        manager_of = np.full(n, -1, dtype=np.int64)
        manager_of[self.unit[chosen]] = self.manager[chosen]
        return manager_of


def new_model(unit: IntArray, manager: IntArray, *, size: IntArray | None = None) -> CpModel:
    """A model with one variable per pair ``(unit[k], manager[k])``, pairs sorted by unit.

    ``size`` (per pair) widens a pair to a count in ``[0, size]``; without it, or
    at 1, the pair is a Boolean.

    Examples
    --------
    >>> import numpy as np
    >>> model = new_model(np.array([0, 0, 1]), np.array([0, 1, 1]), size=np.array([1, 1, 3]))
    >>> [list(v.domain) for v in model.proto.variables]
    [[0, 1], [0, 1], [0, 3]]
    """
    proto = cmh.CpModelProto()
    n_pairs = int(unit.size)
    _booleans(proto, n_pairs)
    sizes = np.ones(n_pairs, dtype=np.int64) if size is None else size.astype(np.int64)
    # only counts of classes of several leads need a wider domain
    wide = np.flatnonzero(sizes > 1)
    for k, s in zip(wide.tolist(), sizes[wide].tolist(), strict=True):
        proto.variables[k].domain[1] = s
    return CpModel(proto, unit, manager, sizes)


def add_outlets(model: CpModel, units: IntArray, size: IntArray) -> None:
    """Give each unit of ``units`` an outlet variable with domain ``[0, size]``.

    An outlet counts the unit's leads placed with a manager that has no bound in
    the model: it takes part in the unit's row only.
    """
    for u, var in zip(units.tolist(), model.int_vars(size).tolist(), strict=True):
        model.outlets[u] = var
