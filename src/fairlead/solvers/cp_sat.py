"""Exact assignment with OR-Tools CP-SAT: weighted leads, value bounds, soft bands, max-min.

The model has one Boolean ``x[k]`` per *eligible* pair ``k = (i, j)`` and

* per lead: ``sum_j x[i, j] == 1`` (``<= 1`` with ``allow_unassigned``);
* per manager: workload ``sum_i weight[i, j] x[i, j]`` within
  ``[min_load[j], hard upper]`` -- weights ``(n,)`` or ``(n, m)``, i.e. the
  generalized assignment problem; with ``load_penalty`` only ``capacity`` is hard
  and integer shortfall / excess variables price the band;
* per manager: total value within ``[min_value[j], max_value[j]]``, hard, or priced
  by ``value_penalty`` with shortfall / excess variables;
* objective: ``value - pair_penalty`` minus the band penalties.

Lexicographic stages, each fixing the optimum of the previous one: with
``allow_unassigned`` first the number of placed leads (as many as possible), with
``objective="maxmin"`` then the smallest normalized share
``min_j load_j / target_load_j`` (over managers with a target > 0), and last the
value.

Integer scaling
---------------
CP-SAT works on integers, so each family of float numbers -- values (objective),
weights, value-bound coefficients, targets -- gets its own scale, reported by
:func:`model_scales`. A scale is *round* when one exists: the smallest
``2**a * 5**b <= 10**6`` that makes every number of the family an integer, so
integer data (the GAP benchmarks) and decimals up to six digits are exact.
Otherwise it is a power of two: values map the largest magnitude to ``2**30``,
constraint coefficients (weights, value-bound coefficients) to ``2**40`` (or as
high as int64 sums allow).

* Hard bounds get just under the relative slack of
  :func:`fairlead.core._check.violations` (``0.9e-9 * max(1, |bound|)``; the check allows
  ``1e-9``): float sums that equal a bound, such as ``1/3 + 1/3 + 1/3`` against
  ``1``, pass.
* A scaled weight within a relative ``1e-11`` of an integer counts as one: the
  rounding moves a workload by at most ``1e-11`` of itself, a tenth of the margin
  between the model's slack and the check's. Value-bound coefficients (signed,
  so their errors do not shrink with the sum) count only within ``1e-6`` absolute.
* Hard constraints whose scaled coefficients are still not integers are rounded
  conservatively (ceil on the side that must stay below a bound, floor on the
  other), so the returned assignment satisfies them in floats. That model is a
  restriction; a second solve with the opposite rounding (a relaxation) proves
  the bound. With exact scales both are one model and one solve.
* Objective rounding moves each value by at most ``Scales.value_rounding``; the
  reported ``bound`` adds that per lead, like ``min_cost_flow``.
* Soft bands are measured from below (shortfall and excess rounded down, prices
  rounded down), so the model never overcharges and the bound stays valid; the
  reported ``penalty`` is recomputed in floats. ``OPTIMAL`` means proven up to
  these roundings (``2 n value_rounding + band_slack``).
* The max-min share is kept to a resolution of about ``2**-30`` of a share unit
  (``Scales.share_resolution``), measured from below.

Large models
------------
From ``_LARGE_MODEL`` eligible pairs CP-SAT's presolve (single-threaded) is kept to
one pass without probing. Should the time limit end before CP-SAT reports any
solution, a valid hint (``min_cost_flow`` or ``greedy``) is returned as ``FEASIBLE``
without a bound; with no valid hint the status is ``TIME_LIMIT``.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

# The C++ layer only: ``ortools.sat.python.cp_model`` imports pandas, which would
# make ``import fairlead`` slow; the proto is built in bulk anyway.
from ortools.sat.python import cp_model_helper as cmh

from fairlead.core import AssignmentProblem, FloatArray, IntArray, penalty_of, violations
from fairlead.diagnose import explain_conflict as conflict_explain
from fairlead.solvers._base import Outcome, Solver, SolveStatus, infeasible_outcome, register
from fairlead.solvers.greedy import GreedySolver
from fairlead.solvers.min_cost_flow import MinCostFlowSolver

__all__ = ["CpSatSolver", "Scales", "model_scales"]

Objective = Literal["value", "maxmin"]

# Round scales 2**a * 5**b <= 1e6, ascending: every decimal with up to six digits
# and every binary fraction down to 2**-19 becomes an integer under one of them.
_ROUND_SCALES: tuple[int, ...] = tuple(
    sorted({2**a * 5**b for a in range(20) for b in range(9) if 2**a * 5**b <= 10**6})
)
_SNAP = 1e-11  # a scaled number within this (relative) of an integer is that integer
_RESOLUTION = 2.0**30  # inexact values: the largest magnitude maps to this
# Inexact constraint coefficients (weights, value bounds) are scaled as finely as
# int64 sums allow, so that conservative rounding costs less than the 1e-9 slack
# fairlead.core._check grants (k leads lose at most k units of 2**-40 of the largest).
_FINE = 2.0**40
_EXACT_LIMIT = 2.0**40  # a round scale may map the largest magnitude up to this
_TOTAL_LIMIT = 2.0**60  # any sum in the model stays below this (CP-SAT needs int64)
_DOMAIN = 2**62
# Slack on hard bounds, relative to max(1, |bound|): just under fairlead.core._check's
# 1e-9 for the model that must satisfy it, just over it for the relaxation.
_MODEL_RTOL = 0.9e-9
_RELAX_RTOL = 1.1e-9
_SHARE_RESOLUTION = 2.0**30
_PRICE_PRECISION = 2.0**20  # soft-band prices are integers at least this large
_LARGE_MODEL = 50_000  # eligible pairs from which CP-SAT's presolve is kept light
_INT32_SAFE = 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1  # CP-SAT reads these bounds as infinite
_STATUS = cmh.CpSolverStatus


# ------------------------------------------------------------------------ scaling


def _integral(y: FloatArray, *, absolute: bool = False) -> bool:
    """Whether every number is an integer up to ``_SNAP`` (and none is a tiny non-zero).

    ``absolute`` compares with ``1e-6`` instead of ``_SNAP`` times the magnitude: for
    sums of signed terms, whose rounding errors are not bounded by the sum.
    """
    r = np.rint(y)
    slack = 1e-6 if absolute else _SNAP * np.maximum(1.0, np.abs(y))
    near = np.abs(y - r) <= slack
    return bool(np.all(near & ((r != 0) | (y == 0))))


def _snap_floor(y: FloatArray) -> IntArray:
    """``floor`` that first snaps numbers within ``_SNAP`` of an integer onto it."""
    near = np.abs(y - np.rint(y)) <= _SNAP * np.maximum(1.0, np.abs(y))
    return np.where(near, np.rint(y), np.floor(y)).astype(np.int64)


def _snap_ceil(y: FloatArray) -> IntArray:
    near = np.abs(y - np.rint(y)) <= _SNAP * np.maximum(1.0, np.abs(y))
    return np.where(near, np.rint(y), np.ceil(y)).astype(np.int64)


@dataclass(frozen=True)
class Scale:
    """Integers per unit of one family of numbers, and whether scaling it is exact."""

    factor: float
    exact: bool


def _pick_scale(numbers: FloatArray, *, terms: int, resolution: float = _RESOLUTION) -> Scale:
    """The smallest round scale making ``numbers`` integers, else a power of two.

    The power of two maps the largest magnitude to ``resolution``. ``terms`` is the
    largest number of them that one sum adds up; sums stay below ``_TOTAL_LIMIT``.
    """
    finite = numbers[np.isfinite(numbers)]
    top = float(np.max(np.abs(finite))) if finite.size else 0.0
    if top == 0.0:
        return Scale(1.0, True)
    per_term = _TOTAL_LIMIT / max(terms, 1)
    limit = min(_EXACT_LIMIT, per_term)
    head = finite[:64]  # rejects most candidates before looking at everything
    for s in _ROUND_SCALES:
        if top * s > limit:
            break
        if _integral(head * s) and _integral(finite * s):
            return Scale(float(s), True)
    exponent = math.floor(math.log2(min(resolution, per_term)) - math.log2(top))
    factor = math.ldexp(1.0, max(-1000, min(1000, exponent)))
    return Scale(factor, _integral(finite * factor))


@dataclass(frozen=True)
class Scales:
    """How :class:`CpSatSolver` turns a problem's floats into integers.

    Attributes
    ----------
    value : float
        Integers per unit of value in the objective (before ``multiplier``).
    value_exact : bool
        Whether every scaled ``value - pair_penalty`` is an integer.
    value_rounding : float
        Largest change rounding makes to one pair's value, in value units; the
        objective of ``k`` placed leads is off by at most ``k`` times this.
    multiplier : int
        Extra factor on the value part of the objective so that band prices are
        integers; objective units per unit of value are ``value * multiplier``.
    weight : float
        Integers per unit of workload.
    weight_exact : bool
        Whether every scaled weight of an eligible pair is an integer (load
        constraints exact, one solve).
    bound_value : float or None
        Integers per unit of value in ``min_value`` / ``max_value`` constraints
        (``None`` without value bounds).
    bound_value_exact : bool
        Whether those coefficients are integers (or the bounds are soft).
    load_price, value_price : int
        Objective units per measured unit of load / value outside its band (rounded
        down: the model never overcharges).
    load_unit, value_unit : int
        Scaled units per measured unit of a band deviation (deviations are rounded
        down to whole measured units).
    band_slack : float
        How much less than the truth the model can charge for soft bands, in value
        units (0 when prices and units are exact).
    target : float or None
        Integers per unit of ``target_load`` (``objective="maxmin"`` only).
    share_resolution : float or None
        Units of the share variable per unit of normalized share
        (``objective="maxmin"`` only): the smallest share is maximized to about
        ``1 / share_resolution``.
    share_multiplier : int
        Factor on scaled loads in the share constraints.
    """

    value: float
    value_exact: bool
    value_rounding: float
    multiplier: int
    weight: float
    weight_exact: bool
    bound_value: float | None
    bound_value_exact: bool
    load_price: int
    load_unit: int
    value_price: int
    value_unit: int
    band_slack: float
    target: float | None
    share_resolution: float | None
    share_multiplier: int

    @property
    def objective(self) -> float:
        """Objective units per unit of value."""
        return self.value * self.multiplier

    @property
    def exact(self) -> bool:
        """Whether every hard constraint is exact in integers (a single solve)."""
        return self.weight_exact and self.bound_value_exact


def _pairs(problem: AssignmentProblem) -> tuple[IntArray, IntArray]:
    lead, manager = np.nonzero(problem.eligible)
    return lead.astype(np.int64), manager.astype(np.int64)


def _pair_weights(problem: AssignmentProblem, lead: IntArray, manager: IntArray) -> FloatArray:
    w = problem.weight
    out: FloatArray = w[lead] if w.ndim == 1 else w[lead, manager]
    return out


def _floor_int(y: float) -> int:
    return int(_snap_floor(np.array([_clamp(y)]))[0])


def _ceil_int(y: float) -> int:
    return int(_snap_ceil(np.array([_clamp(y)]))[0])


def _price(real: float, multiplier: int) -> int:
    return _floor_int(real * multiplier)


def model_scales(problem: AssignmentProblem, *, objective: Objective = "value") -> Scales:
    """The integer scales :class:`CpSatSolver` uses for ``problem``.

    Parameters
    ----------
    problem : AssignmentProblem
    objective : {"value", "maxmin"}, default "value"

    Returns
    -------
    Scales

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.solvers.cp_sat import model_scales
    >>> p = fl.AssignmentProblem(value=[[3.0, 1.0], [2.0, 4.0]], capacity=[2, 2.5],
    ...                          weight=[0.5, 1.25])
    >>> s = model_scales(p)
    >>> s.value, s.value_exact, s.weight, s.weight_exact
    (1.0, True, 4.0, True)
    >>> model_scales(fl.AssignmentProblem(value=[[1 / 3]], capacity=[1])).value == 2.0**31
    True
    """
    n = problem.n_leads
    lead, manager = _pairs(problem)
    net = problem.net_value()[lead, manager]
    weights = _pair_weights(problem, lead, manager)

    soft_load = problem.load_penalty is not None
    load_bounds = [problem.capacity, problem.min_load, problem.max_load] if soft_load else []
    terms = int(np.max(np.bincount(manager), initial=1))
    family = np.concatenate([weights, *load_bounds])
    weight_scale = _pick_scale(family, terms=terms, resolution=_FINE)
    weight_exact = _integral(weights * weight_scale.factor)

    bound_scale: Scale | None = None
    bound_exact = True
    soft_value = problem.value_penalty is not None and problem.has_value_bounds
    if problem.has_value_bounds:
        values = problem.value[lead, manager]
        extra = [b for b in (problem.min_value, problem.max_value) if b is not None and soft_value]
        family = np.concatenate([values, *extra])
        bound_scale = _pick_scale(family, terms=terms, resolution=_FINE)
        # signed terms: exact only when the products are integers up to float noise
        bound_exact = soft_value or _integral(values * bound_scale.factor, absolute=True)

    # Soft bands: (price per unit outside the band, integers per unit, largest deviation)
    bands: list[tuple[float, float, float]] = []
    if soft_load:
        assert problem.load_penalty is not None
        reach = _reach(problem, manager, weights)
        span = float(np.max(np.maximum(problem.min_load, reach), initial=0.0))
        bands.append((problem.load_penalty, weight_scale.factor, span))
    if soft_value:
        assert problem.value_penalty is not None
        assert bound_scale is not None
        size = np.bincount(
            manager, weights=np.abs(problem.value[lead, manager]), minlength=problem.n_managers
        )
        low = [] if problem.min_value is None else [np.abs(problem.min_value)]
        high = [] if problem.max_value is None else [np.abs(problem.max_value)]
        span = float(np.max(np.concatenate([size, *low, *high]), initial=0.0))
        bands.append((problem.value_penalty, bound_scale.factor, span))

    value_scale = _pick_scale(net, terms=n)
    factor = value_scale.factor
    budget = min(_EXACT_LIMIT, _TOTAL_LIMIT / max(n, 1))
    for price, _, span in bands:  # penalties as large as the budget: coarser values
        if price * span * factor > budget:
            factor = math.ldexp(1.0, math.floor(math.log2(budget / (price * span))))
    coeffs = net * factor
    rounding = float(np.max(np.abs(coeffs - np.rint(coeffs)), initial=0.0)) / factor

    multiplier, units, prices, band_slack = _band_prices(
        bands, factor, net, budget, problem.n_managers
    )
    target_scale: Scale | None = None
    resolution: float | None = None
    share_multiplier = 1
    targets = problem.target_load[problem.target_load > 0]
    if objective == "maxmin" and targets.size:
        target_scale = _pick_scale(targets, terms=1)
        top_load = float(np.max(_reach(problem, manager, weights), initial=0.0))
        wanted = _SHARE_RESOLUTION * target_scale.factor / weight_scale.factor
        fits = _TOTAL_LIMIT / (4.0 * weight_scale.factor * max(top_load, 1e-300))
        share_multiplier = 2 ** max(0, math.floor(math.log2(max(1.0, min(wanted, fits)))))
        resolution = share_multiplier * weight_scale.factor / target_scale.factor

    return Scales(
        value=factor,
        value_exact=_integral(coeffs),
        value_rounding=rounding,
        multiplier=multiplier,
        weight=weight_scale.factor,
        weight_exact=weight_exact,
        bound_value=None if bound_scale is None else bound_scale.factor,
        bound_value_exact=bound_exact,
        load_price=prices[0] if soft_load else 0,
        load_unit=units[0] if soft_load else 1,
        value_price=prices[-1] if soft_value else 0,
        value_unit=units[-1] if soft_value else 1,
        band_slack=band_slack,
        target=None if target_scale is None else target_scale.factor,
        share_resolution=resolution,
        share_multiplier=share_multiplier,
    )


def _band_prices(
    bands: list[tuple[float, float, float]], factor: float, net: FloatArray, budget: float, m: int
) -> tuple[int, list[int], list[int], float]:
    """Objective multiplier, measuring unit and integer price of each soft band.

    A band's deviation is measured in units of ``unit / scale`` (rounded down) and
    priced ``floor(price * factor * multiplier * unit / scale)`` per unit: never
    more than the truth. The multiplier is round when that makes every price exact,
    else a power of two that gives prices of about ``2**20`` within the budget; the
    unit grows (a power of two) only when a price would still be smaller. Also
    returns how much cheaper than the truth the model can be, in value units.
    """
    if not bands:
        return 1, [], [], 0.0
    reals = np.array([price * factor / scale for price, scale, _ in bands])
    top = float(np.max(np.abs(net), initial=0.0)) * factor
    room = budget / top if top > 0 else 2.0**62
    for price, _, span in bands:
        if price * span > 0:
            room = min(room, budget / (price * span * factor))
    room = min(max(room, 1.0), 2.0**62)
    multiplier = 1
    if not _integral(reals):
        for s in _ROUND_SCALES:
            if s > room:
                break
            if _integral(reals * s):
                multiplier = s
                break
        else:
            positive = reals[reals > 0]
            need = float(np.max(_PRICE_PRECISION / positive)) if positive.size else 1.0
            multiplier = 2 ** max(0, math.floor(math.log2(min(room, max(need, 1.0)))))
    units: list[int] = []
    prices: list[int] = []
    slack = 0.0
    for real, (price, scale, span) in zip((reals * multiplier).tolist(), bands, strict=True):
        unit = 1
        if 0 < real < _PRICE_PRECISION and not _integral(np.array([real])):
            unit = 2 ** min(40, math.ceil(math.log2(_PRICE_PRECISION / real)))
        exact = min(real * unit, _EXACT_LIMIT)
        units.append(unit)
        prices.append(_floor_int(exact))
        # per deviation: the unit's rounding plus the price's, at most the whole band
        lost = (unit - 1) / scale + (span * (1 - prices[-1] / exact) if exact > 0 else span)
        slack += 2 * m * price * min(lost, span)
    return multiplier, units, prices, slack


def _reach(problem: AssignmentProblem, manager: IntArray, weights: FloatArray) -> FloatArray:
    """Largest workload each manager can reach (hard upper bound or all its eligible leads)."""
    total = np.bincount(manager, weights=weights, minlength=problem.n_managers)
    reach: FloatArray = np.minimum(total, problem.hard_upper_load * (1 + _RELAX_RTOL) + _RELAX_RTOL)
    return reach


# -------------------------------------------------------------------------- model


@dataclass
class _Model:
    """A laid-out CP-SAT model and how its variables map back to pairs."""

    proto: Any  # cp_model_helper.CpModelProto
    lead: IntArray
    manager: IntArray
    objectives: dict[str, tuple[IntArray, IntArray]]
    feasible: bool = True
    heaviest: int = 0  # largest sum of |coefficients| of a linear constraint

    def linear(self, variables: IntArray, coeffs: IntArray, low: int, high: int) -> None:
        """Add ``low <= sum coeffs * variables <= high`` (``+-_DOMAIN``: unbounded)."""
        self.heaviest = max(self.heaviest, int(np.abs(coeffs).sum()))
        _linear(self.proto, variables, coeffs, low, high)

    @property
    def n_pairs(self) -> int:
        return int(self.lead.size)

    def set_objective(self, stage: str) -> tuple[IntArray, IntArray]:
        proto = self.proto
        proto.clear_objective()
        variables, coeffs = self.objectives[stage]
        proto.objective.vars.extend(variables)
        proto.objective.coeffs.extend(coeffs)
        return variables, coeffs

    def fix(self, stage: str, best: int) -> None:
        """Keep the (minimized) objective of ``stage`` at most ``best``."""
        variables, coeffs = self.objectives[stage]
        self.linear(variables, coeffs, -_DOMAIN, best)

    def hint(self, variables: IntArray, values: IntArray) -> None:
        proto = self.proto
        proto.clear_solution_hint()
        proto.solution_hint.vars.extend(variables)
        proto.solution_hint.values.extend(values)

    def assignment(self, solution: IntArray, n: int) -> IntArray:
        chosen = solution[: self.n_pairs] > 0
        manager_of = np.full(n, -1, dtype=np.int64)
        manager_of[self.lead[chosen]] = self.manager[chosen]
        return manager_of


def _linear(proto: Any, variables: IntArray, coeffs: IntArray, low: int, high: int) -> None:
    """Add ``low <= sum coeffs * variables <= high``; ``+-_DOMAIN`` mean unbounded.

    Unbounded sides are written as int64's extremes, which CP-SAT reads as infinite
    (large finite ones such as ``2**62`` made its presolve drop optimal solutions).
    """
    if low > high:  # an empty domain is invalid in a proto; this says "infeasible"
        variables, coeffs, low, high = variables[:0], coeffs[:0], 1, 1
    low = _INT64_MIN if low <= -_DOMAIN else low
    high = _INT64_MAX if high >= _DOMAIN else high
    linear = proto.constraints.add().linear
    linear.vars.extend(variables)
    linear.coeffs.extend(coeffs)
    linear.domain.extend((int(low), int(high)))


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


def _int_vars(proto: Any, upper: IntArray) -> IntArray:
    """Append integer variables with domains ``[0, upper[k]]``; return their indices."""
    start = len(proto.variables)
    for top in upper.tolist():
        proto.variables.add().domain.extend((0, max(0, int(top))))
    return np.arange(start, start + upper.size, dtype=np.int64)


def _shortfall(
    built: _Model, xs: IntArray, coeffs: IntArray, need: int, unit: int, *, least: int
) -> int | None:
    """Variable ``s = max(0, floor((need - sum coeffs x) / unit))`` as ``s >=`` that.

    ``least`` is the smallest value the sum can take; ``None`` when ``s`` is always 0.
    """
    floor_need = need - (unit - 1)  # unit * s >= need - sum - (unit - 1): s rounds down
    if floor_need <= least:
        return None
    (s,) = _int_vars(built.proto, np.array([-(-(need - least) // unit)]))
    built.linear(np.append(xs, s), np.append(coeffs, unit), floor_need, _DOMAIN)
    return int(s)


def _excess(
    built: _Model, xs: IntArray, coeffs: IntArray, allowed: int, unit: int, most: int
) -> int | None:
    """Variable ``o = max(0, floor((sum coeffs x - allowed) / unit))`` as ``o >=`` that."""
    ceiling = allowed + unit - 1
    if most <= ceiling:
        return None
    (o,) = _int_vars(built.proto, np.array([-(-(most - allowed) // unit)]))
    built.linear(np.append(xs, o), np.append(coeffs, -unit), -_DOMAIN, ceiling)
    return int(o)


def _clamp(y: float) -> float:
    return max(-float(_DOMAIN), min(float(_DOMAIN), y))


def _upper_rhs(bound: float, scale: float, rtol: float) -> int:
    """Largest scaled sum allowed by ``sum <= bound`` with ``fairlead.core._check``'s slack."""
    return math.floor(_clamp((bound + rtol * max(1.0, abs(bound))) * scale))


def _lower_rhs(bound: float, scale: float, rtol: float) -> int:
    return math.ceil(_clamp((bound - rtol * max(1.0, abs(bound))) * scale))


def _rounded(y: FloatArray, exact: bool) -> tuple[IntArray, IntArray]:
    """(floor, ceil) of scaled coefficients; both ``rint`` when the scale is exact."""
    if exact:
        r = np.rint(y).astype(np.int64)
        return r, r
    # products by a power of two are exact in floats: plain floor / ceil are conservative
    return np.floor(y).astype(np.int64), np.ceil(y).astype(np.int64)


def _build(
    problem: AssignmentProblem,
    scales: Scales,
    *,
    relaxed: bool,
    maxmin: bool,
) -> _Model:
    """Lay out the model: a restriction of the float problem, or with ``relaxed`` a relaxation."""
    n, m = problem.n_leads, problem.n_managers
    lead, manager = _pairs(problem)
    n_pairs = lead.size
    proto = cmh.CpModelProto()
    _booleans(proto, n_pairs)
    x = np.arange(n_pairs, dtype=np.int64)
    built = _Model(proto, lead, manager, {})

    # each lead once (at most once when it may stay out)
    starts = np.searchsorted(lead, np.arange(n + 1)).tolist()
    constraints = proto.constraints
    for i in range(n):
        a, b = starts[i], starts[i + 1]
        if problem.allow_unassigned:
            if b - a > 1:
                constraints.add().at_most_one.literals.extend(range(a, b))
        elif a == b:
            built.feasible = False
        else:
            constraints.add().exactly_one.literals.extend(range(a, b))

    order = np.argsort(manager, kind="stable")
    bounds = np.searchsorted(manager[order], np.arange(m + 1)).tolist()
    rtol = _RELAX_RTOL if relaxed else _MODEL_RTOL

    # workload
    sw = scales.weight
    w_low, w_high = _rounded(_pair_weights(problem, lead, manager) * sw, scales.weight_exact)
    # restriction: overestimate load against an upper bound, underestimate it against
    # a lower one; the relaxation does the opposite
    w_up, w_down = (w_low, w_high) if relaxed else (w_high, w_low)
    upper = problem.hard_upper_load
    soft_load = problem.load_penalty is not None
    load_terms: list[tuple[IntArray, IntArray]] = []
    for j in range(m):
        k = order[bounds[j] : bounds[j + 1]]
        hi = _upper_rhs(float(upper[j]), sw, rtol)
        lo = 0 if soft_load else _lower_rhs(float(problem.min_load[j]), sw, rtol)
        if scales.weight_exact:
            built.linear(x[k], w_up[k], max(lo, -_DOMAIN), hi)
        else:
            built.linear(x[k], w_up[k], -_DOMAIN, hi)
            if lo > 0:
                built.linear(x[k], w_down[k], lo, _DOMAIN)
        load_terms.append((x[k], k))

    value_part = _value_objective(problem, scales, lead, manager)
    obj_vars: list[IntArray] = [x]
    obj_coeffs: list[IntArray] = [value_part]

    # soft load band: shortfall s and excess o, measured from below in both models
    if soft_load:
        unit = scales.load_unit
        for j in range(m):
            xs, k = load_terms[j]
            need = _floor_int(float(problem.min_load[j]) * sw)
            deviations = [_shortfall(built, xs, w_high[k], need, unit, least=0)]
            top = float(problem.max_load[j])
            if np.isfinite(top) and top < float(problem.capacity[j]):
                most = int(w_low[k].sum())
                deviations.append(_excess(built, xs, w_low[k], _ceil_int(top * sw), unit, most))
            for var in deviations:
                if var is not None:
                    obj_vars.append(np.array([var]))
                    obj_coeffs.append(np.array([scales.load_price]))

    # value bounds
    if problem.has_value_bounds:
        assert scales.bound_value is not None
        sv = scales.bound_value
        v_low, v_high = _rounded(problem.value[lead, manager] * sv, scales.bound_value_exact)
        v_up, v_down = (v_low, v_high) if relaxed else (v_high, v_low)
        soft_value = problem.value_penalty is not None
        for j in range(m):
            k = order[bounds[j] : bounds[j + 1]]
            xs = x[k]
            if not soft_value:
                hi = (
                    _DOMAIN
                    if problem.max_value is None
                    else _upper_rhs(float(problem.max_value[j]), sv, rtol)
                )
                lo = (
                    -_DOMAIN
                    if problem.min_value is None
                    else _lower_rhs(float(problem.min_value[j]), sv, rtol)
                )
                if scales.bound_value_exact:
                    built.linear(xs, v_up[k], lo, hi)
                    continue
                if problem.max_value is not None:
                    built.linear(xs, v_up[k], -_DOMAIN, hi)
                if problem.min_value is not None:
                    built.linear(xs, v_down[k], lo, _DOMAIN)
                continue
            unit = scales.value_unit
            deviations = []
            if problem.min_value is not None:
                need = _floor_int(float(problem.min_value[j]) * sv)
                least = int(np.minimum(v_high[k], 0).sum())
                deviations.append(_shortfall(built, xs, v_high[k], need, unit, least=least))
            if problem.max_value is not None:
                allowed = _ceil_int(float(problem.max_value[j]) * sv)
                most = int(np.maximum(v_low[k], 0).sum())
                deviations.append(_excess(built, xs, v_low[k], allowed, unit, most))
            for var in deviations:
                if var is not None:
                    obj_vars.append(np.array([var]))
                    obj_coeffs.append(np.array([scales.value_price]))

    built.objectives["value"] = (np.concatenate(obj_vars), np.concatenate(obj_coeffs))
    built.objectives["count"] = (x, np.full(n_pairs, -1, dtype=np.int64))

    # max-min share t / resolution <= load_j / target_j, loads from below (restriction)
    targets = problem.target_load
    if maxmin and scales.share_resolution is not None and scales.target is not None:
        st, mult = scales.target, scales.share_multiplier
        share_w = w_high if relaxed else w_low
        scaled_t = targets * st
        coef = _snap_floor(scaled_t) if relaxed else _snap_ceil(scaled_t)
        positive = np.flatnonzero(targets > 0)
        reach = np.bincount(manager, weights=share_w.astype(np.float64), minlength=m)
        caps = np.array([_upper_rhs(float(upper[j]), sw, rtol) for j in range(m)], np.float64)
        top_share = np.min(np.minimum(reach, caps)[positive] * mult / np.maximum(coef[positive], 1))
        (t,) = _int_vars(proto, np.array([int(top_share) + 1]))
        for j in positive.tolist():
            xs, k = load_terms[j]
            if coef[j] > 0:
                built.linear(np.append(xs, t), np.append(-mult * share_w[k], coef[j]), -_DOMAIN, 0)
        built.objectives["share"] = (np.array([t]), np.array([-1], dtype=np.int64))
    return built


def _value_objective(
    problem: AssignmentProblem, scales: Scales, lead: IntArray, manager: IntArray
) -> IntArray:
    net = problem.net_value()[lead, manager]
    coeffs: IntArray = -np.rint(net * scales.value).astype(np.int64) * scales.multiplier
    return coeffs


# ------------------------------------------------------------------------- stages


@dataclass
class _Run:
    """What a sequence of lexicographic stages found."""

    solution: IntArray | None = None
    infeasible: bool = False
    proven: bool = True  # every stage so far ended with a proof
    objective: int = 0  # minimized objective of the last stage solved
    bound: int | None = None  # CP-SAT's lower bound on it (valid if earlier stages proven)
    found: dict[str, int] = field(default_factory=dict)  # best per stage
    last: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class _Relaxation:
    """What the relaxation says: a bound, a confirmation, maybe a better assignment."""

    bound: int | None  # lower bound on the minimized value stage (valid for the floats)
    confirmed: bool  # the answer (the restriction's, or ``manager_of``) is optimal
    manager_of: IntArray | None = None  # the relaxation's own answer, valid in floats


@dataclass(frozen=True)
class _Settings:
    deadline: float | None
    workers: int
    seed: int
    relative_gap: float


def _remaining(settings: _Settings) -> float | None:
    if settings.deadline is None:
        return None
    return settings.deadline - time.perf_counter()


def _run_stages(built: _Model, stages: list[str], settings: _Settings) -> _Run:
    run = _Run()
    for position, stage in enumerate(stages):
        last = position == len(stages) - 1
        variables, coeffs = built.set_objective(stage)
        remaining = _remaining(settings)
        if remaining is not None and remaining <= 0 and run.solution is not None:
            run.proven = False
            break
        params = cmh.SatParameters()
        params.num_workers = settings.workers
        params.random_seed = settings.seed
        if built.heaviest > _INT32_SAFE:
            # OR-Tools 9.15 sums a row's Boolean coefficients in a 32-bit int in one
            # presolve rule and can then drop optimal solutions (or-tools#5293); that
            # rule is off for rows whose coefficients add up beyond 2**31
            params.presolve_inclusion_work_limit = 0
        if stage == "share" and settings.workers == 1:
            # one worker's default search raises a lone objective variable with a
            # wide domain one step at a time; the portfolio of strategies does not
            params.search_branching = cmh.SatParameters.SearchBranching.PORTFOLIO_SEARCH
        if built.n_pairs >= _LARGE_MODEL:
            # presolve of a large assignment model is long and single-threaded; one
            # pass without probing leaves the time to the search (and the hint)
            params.max_presolve_iterations = 1
            params.cp_model_probing_level = 0
            params.symmetry_level = 0
        if remaining is not None:
            params.max_time_in_seconds = max(remaining, 1e-3)
        if last and settings.relative_gap > 0:
            params.relative_gap_limit = settings.relative_gap
        start = time.perf_counter()
        solver = cmh.SolveWrapper()
        solver.set_parameters(params)
        response = solver.solve(built.proto)  # type: ignore[no-untyped-call]
        status = response.status
        run.seconds += time.perf_counter() - start
        if status == _STATUS.MODEL_INVALID:
            message = cmh.CpSatHelper.validate_model(built.proto)
            raise RuntimeError(f"cp_sat built an invalid CP-SAT model: {message}")
        if status == _STATUS.INFEASIBLE:
            run.infeasible = run.solution is None
            run.proven = run.proven and run.infeasible
            break
        if status not in (_STATUS.OPTIMAL, _STATUS.FEASIBLE):
            run.proven = False
            break
        solution = np.fromiter(response.solution, dtype=np.int64)
        value = int(coeffs @ solution[variables])
        bound = int(response.inner_objective_lower_bound)
        run.solution = solution
        run.objective = value
        run.bound = bound if run.proven else None
        run.proven = run.proven and status == _STATUS.OPTIMAL and bound >= value
        run.found[stage] = value
        run.last = stage
        if not last:
            built.fix(stage, value)
            built.hint(np.arange(solution.size, dtype=np.int64), solution)
    return run


def _to_value(
    bound_int: int, scales: Scales, problem: AssignmentProblem, manager_of: IntArray
) -> float:
    """CP-SAT's lower bound on the minimized objective as an upper bound on the score.

    Rounding moved each pair's value by at most ``scales.value_rounding``; soft bands
    are never overcharged. The bound is at least the score of ``manager_of``, a
    feasible assignment, which float noise could otherwise undercut.
    """
    bound = -bound_int / scales.objective + scales.value_rounding * problem.n_leads
    assigned = manager_of >= 0
    score = float(problem.value[assigned, manager_of[assigned]].sum())
    return max(bound, score - penalty_of(problem, manager_of))


def _closed(bound: float, problem: AssignmentProblem, manager_of: IntArray, scales: Scales) -> bool:
    """Whether ``bound`` meets the score up to the stated rounding (optimality proven).

    CP-SAT proves the integer model optimal; the float problem is optimal up to the
    rounding of values (``2 n value_rounding``) and of soft-band prices
    (``band_slack``).
    """
    assigned = manager_of >= 0
    score = float(problem.value[assigned, manager_of[assigned]].sum())
    score -= penalty_of(problem, manager_of)
    top = float(np.max(np.abs(problem.value), initial=0.0))
    n = problem.n_leads
    slack = 2 * n * scales.value_rounding + scales.band_slack
    slack += 1e-9 * max(abs(score), abs(bound)) + 1e-12 * n * top
    return bound - score <= slack


# ------------------------------------------------------------------- infeasibility


_GENERIC = "no assignment satisfies every constraint"


def _explain(problem: AssignmentProblem) -> str:
    """Why ``problem`` has no solution, in one sentence.

    Weighted problems first get a few certain checks on totals; then
    :func:`fairlead.diagnose._conflicts.explain` names a minimal conflicting set (the
    flow-based reason for unit workloads); if that runs out of time, a sentence
    naming the constraint groups that cannot hold together.
    """
    if not problem.unit_weights:
        found = _weighted_reason(problem)
        if found is not None:
            return found
    try:
        return conflict_explain(problem, time_limit=10.0)
    except TimeoutError:
        pass
    groups = ["each lead to one eligible manager" if not problem.allow_unassigned else ""]
    soft = problem.load_penalty is not None
    load = "capacity" if soft else "min_load and capacity/max_load"
    weighted = "" if problem.unit_weights else "weighted "
    groups.append(f"{weighted}workload within {load}")
    if problem.has_value_bounds and problem.value_penalty is None:
        groups.append("total value within min_value/max_value")
    named = [g for g in groups if g]
    together = ", ".join(named[:-1]) + (" and " if len(named) > 1 else "") + named[-1]
    return f"{_GENERIC} together: {together} cannot all hold"


def _weighted_reason(problem: AssignmentProblem) -> str | None:
    """Certain reasons on totals for weighted leads, or ``None``."""
    weights = problem.weight_matrix()
    upper = problem.hard_upper_load
    fits = problem.eligible & (weights <= upper + 1e-9 * np.maximum(1.0, upper))
    if not problem.allow_unassigned:
        stranded = np.flatnonzero(~fits.any(axis=1))
        if stranded.size:
            name = problem.lead_name(int(stranded[0]))
            more = f" (and {stranded.size - 1} more leads)" if stranded.size > 1 else ""
            return (
                f"{name} fits no eligible manager{more}: its workload exceeds the "
                "capacity/max_load of each"
            )
        least = float(np.where(fits, weights, np.inf).min(axis=1).sum())
        room = float(upper.sum())
        if least > room * (1 + 1e-9) + 1e-9:
            return (
                f"the leads weigh at least {least:g} in total, but managers can take "
                f"{room:g} (capacity/max_load); short by {least - room:g} "
                "(or set allow_unassigned=True)"
            )
    if problem.load_penalty is None:
        reach = np.where(fits, weights, 0.0).sum(axis=0)
        short = np.flatnonzero(problem.min_load > reach * (1 + 1e-9) + 1e-9)
        if short.size:
            j = int(short[0])
            return (
                f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) exceeds "
                f"the workload of all leads that fit it ({reach[j]:g})"
            )
    return None


# ------------------------------------------------------------------------- solver


def _check_options(
    time_limit: float | None,
    workers: int | None,
    objective: str,
    seed: int,
    relative_gap: float,
    hint: bool,
) -> None:
    def bad(name: str, want: str, got: object) -> ValueError:
        return ValueError(f"option {name!r} of method 'cp_sat' must be {want}, got {got!r}")

    if time_limit is not None and (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int | float | np.integer | np.floating)
        or not time_limit > 0
    ):
        raise bad("time_limit", "a number of seconds > 0 or None", time_limit)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1
    ):
        raise bad("workers", "an int >= 1 or None", workers)
    if objective not in ("value", "maxmin"):
        raise bad("objective", "'value' or 'maxmin'", objective)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise bad("seed", "an int >= 0", seed)
    if (
        isinstance(relative_gap, bool)
        or not isinstance(relative_gap, int | float | np.integer | np.floating)
        or not 0 <= relative_gap < 1
    ):
        raise bad("relative_gap", "a number in [0, 1)", relative_gap)
    if not isinstance(hint, bool | np.bool_):
        raise bad("hint", "a bool", hint)


def _no_solution(n: int, time_limit: float | None, timings: dict[str, float]) -> Outcome:
    within = "before it stopped" if time_limit is None else f"within {time_limit:g} s"
    return Outcome(
        manager_of=np.full(n, -1, dtype=np.int64),
        status=SolveStatus.TIME_LIMIT,
        message=f"cp_sat found no assignment {within}; a longer time_limit may find one",
        timings=timings,
    )


def _pure_transportation(problem: AssignmentProblem) -> bool:
    """Whether ``min_cost_flow`` solves the problem (and gives an optimal hint)."""
    return problem.unit_weights and not problem.has_value_bounds and problem.load_penalty is None


def _initial_hint(problem: AssignmentProblem) -> IntArray | None:
    if _pure_transportation(problem):
        outcome = MinCostFlowSolver().run(problem)
        if outcome.status is SolveStatus.OPTIMAL:
            return outcome.manager_of
        return None
    return GreedySolver().run(problem).manager_of


@register
class CpSatSolver(Solver):
    """Exact solver for every feature of :class:`~fairlead.AssignmentProblem` (CP-SAT).

    Weighted leads (the generalized assignment problem), value bounds, soft
    preferences and soft bands, ``allow_unassigned`` (as many leads as possible
    first) and an optional max-min fairness objective. See the module docstring for
    the model and how floats become integers (:func:`model_scales`).

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> import fairlead.solvers.cp_sat  # registers "cp_sat"
    >>> p = fl.AssignmentProblem(
    ...     value=np.array([[6.0, 5.0], [4.0, 5.0], [3.0, 1.0]]),
    ...     capacity=[3, 2],
    ...     weight=[[2, 1], [2, 2], [1, 1]],
    ... )
    >>> sol = fl.solve(p, method="cp_sat", workers=1)
    >>> sol.manager_of.tolist(), sol.objective, sol.status.name
    ([0, 1, 0], 14.0, 'OPTIMAL')
    >>> sol.loads.tolist(), sol.bound
    ([3.0, 2.0], 14.0)

    Max-min fairness: first the smallest share of the target load, then value.

    >>> q = fl.AssignmentProblem(value=[[1.0, 0.0]] * 4, capacity=[4, 4])
    >>> fl.solve(q, method="cp_sat", workers=1).loads.tolist()
    [4.0, 0.0]
    >>> fl.solve(q, method="cp_sat", objective="maxmin", workers=1).loads.tolist()
    [2.0, 2.0]
    """

    name = "cp_sat"
    exact = True
    description = (
        "exact; OR-Tools CP-SAT; weighted leads, value bounds, soft bands, max-min fairness"
    )

    def run(
        self,
        problem: AssignmentProblem,
        *,
        time_limit: float | None = 30.0,
        workers: int | None = None,
        objective: Objective = "value",
        hint: bool = True,
        seed: int = 0,
        relative_gap: float = 0.0,
    ) -> Outcome:
        """Solve ``problem``; stop at ``time_limit`` seconds with the best found.

        Parameters
        ----------
        problem : AssignmentProblem
        time_limit : float or None, default 30.0
            Seconds for the whole solve (every stage); ``None`` for no limit.
        workers : int, optional
            CP-SAT search workers; default ``os.cpu_count()``.
        objective : {"value", "maxmin"}, default "value"
            ``"maxmin"`` first maximizes the smallest ``load_j / target_load_j``
            (managers with a target > 0), then the value with it held.
        hint : bool, default True
            Start from the ``min_cost_flow`` optimum (unit weights, no value
            bounds, hard loads) or the ``greedy`` assignment.
        seed : int, default 0
            CP-SAT's random seed.
        relative_gap : float, default 0.0
            Stop the last stage once the relative gap is below this (the status
            is then ``FEASIBLE`` unless the gap closed).

        Returns
        -------
        Outcome
            ``OPTIMAL`` (proven up to the stated rounding), ``FEASIBLE`` (a valid
            assignment; ``bound`` from CP-SAT's best bound when every earlier stage
            was proven), ``INFEASIBLE`` (with the reason) or ``TIME_LIMIT``. The
            bound is on the last stage: the value (minus penalties) among
            assignments that place as many leads and, with ``"maxmin"``, keep the
            smallest share.
        """
        _check_options(time_limit, workers, objective, seed, relative_gap, hint)
        start = time.perf_counter()
        timings: dict[str, float] = {}
        n = problem.n_leads
        settings = _Settings(
            deadline=None if time_limit is None else start + float(time_limit),
            workers=int(workers) if workers is not None else (os.cpu_count() or 1),
            seed=int(seed) % 2**31,  # CP-SAT's seed is an int32
            relative_gap=float(relative_gap),
        )
        maxmin = objective == "maxmin"
        scales = model_scales(problem, objective=objective)
        built = _build(problem, scales, relaxed=False, maxmin=maxmin)
        timings["build"] = time.perf_counter() - start
        if not built.feasible:
            return self._infeasible(problem, timings)
        first: IntArray | None = None
        if hint:
            tick = time.perf_counter()
            first = _initial_hint(problem)
            if first is not None:
                chosen = (first[built.lead] == built.manager).astype(np.int64)
                built.hint(np.arange(built.n_pairs, dtype=np.int64), chosen)
            timings["hint"] = time.perf_counter() - tick

        stages = (["count"] if problem.allow_unassigned else []) + (
            ["share"] if "share" in built.objectives else []
        )
        stages.append("value")
        run = _run_stages(built, stages, settings)
        timings["solve"] = run.seconds

        if run.solution is None:
            if run.infeasible and scales.exact:
                return self._infeasible(problem, timings)
            if run.infeasible:
                return self._from_relaxation(problem, scales, stages, settings, timings, maxmin)
            if first is not None and not violations(problem, first):
                # stopped before CP-SAT reported any solution (large models spend the
                # time in presolve): the hint is a valid assignment, so return it
                return Outcome(manager_of=first, status=SolveStatus.FEASIBLE, timings=timings)
            return _no_solution(n, time_limit, timings)

        manager_of = built.assignment(run.solution, n)
        broken = violations(problem, manager_of)
        if broken:  # a safety net: the rounding is conservative, so this should not happen
            return Outcome(
                manager_of=manager_of,
                status=SolveStatus.FAILED,
                message="cp_sat's assignment breaks a constraint: " + "; ".join(broken[:3]),
                timings=timings,
            )
        complete = run.last == "value"
        proven = run.proven and complete
        bound_int = run.bound if complete else None
        if not scales.exact and bound_int is not None:
            tick = time.perf_counter()
            relaxation = self._relaxed_bound(problem, scales, run, settings, maxmin)
            timings["bound"] = time.perf_counter() - tick
            bound_int = relaxation.bound
            if relaxation.manager_of is not None:  # the relaxation did better, and holds
                manager_of = relaxation.manager_of
                proven = relaxation.confirmed
            proven = proven and relaxation.confirmed
        bound = None if bound_int is None else _to_value(bound_int, scales, problem, manager_of)
        proven = proven and bound is not None and _closed(bound, problem, manager_of, scales)
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
            bound=bound,
            timings=timings,
        )

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _relaxed_bound(
        problem: AssignmentProblem,
        scales: Scales,
        run: _Run,
        settings: _Settings,
        maxmin: bool,
    ) -> _Relaxation:
        """Bound from the relaxation, and whether it confirms the restriction's optimum.

        When the relaxation's own answer is lexicographically better and still holds
        in floats, it is returned instead (it is then optimal if proven).
        """
        relaxed = _build(problem, scales, relaxed=True, maxmin=maxmin)
        assert run.solution is not None
        relaxed.hint(np.arange(relaxed.n_pairs, dtype=np.int64), run.solution[: relaxed.n_pairs])
        n = problem.n_leads
        if problem.allow_unassigned:
            check = _run_stages(relaxed, ["count"], settings)
            if check.solution is None or not check.proven:
                return _Relaxation(None, False)
            relaxed.fix("count", check.objective)
            if check.objective != run.found["count"]:  # the relaxation places more leads
                relaxed.hint(np.arange(check.solution.size, dtype=np.int64), check.solution)
                rest: list[str] = [s for s in ("share", "value") if s in relaxed.objectives]
                more = _run_stages(relaxed, rest, settings)
                if more.solution is None or more.last != "value":
                    return _Relaxation(None, False)
                better = relaxed.assignment(more.solution, n)
                if violations(problem, better):
                    return _Relaxation(None, False)
                return _Relaxation(more.bound, more.proven, better)
        if "share" in run.found and "share" in relaxed.objectives:
            relaxed.fix("share", run.found["share"])
        final = _run_stages(relaxed, ["value"], settings)
        if final.bound is None:
            return _Relaxation(None, False)
        if final.solution is not None and final.objective < run.objective:
            better = relaxed.assignment(final.solution, n)
            if not violations(problem, better):
                return _Relaxation(final.bound, final.proven, better)
        return _Relaxation(final.bound, final.bound >= run.objective)

    def _from_relaxation(
        self,
        problem: AssignmentProblem,
        scales: Scales,
        stages: list[str],
        settings: _Settings,
        timings: dict[str, float],
        maxmin: bool,
    ) -> Outcome:
        """The conservative model is infeasible: ask the relaxation."""
        tick = time.perf_counter()
        relaxed = _build(problem, scales, relaxed=True, maxmin=maxmin)
        run = _run_stages(relaxed, stages, settings)
        timings["bound"] = time.perf_counter() - tick
        n = problem.n_leads
        if run.solution is None:
            if run.infeasible:
                return self._infeasible(problem, timings)
            limit = None if settings.deadline is None else settings.deadline - tick
            return _no_solution(n, limit, timings)
        manager_of = relaxed.assignment(run.solution, n)
        broken = violations(problem, manager_of)
        if broken:
            return Outcome(
                manager_of=manager_of,
                status=SolveStatus.FAILED,
                message=(
                    "cp_sat found no assignment that keeps every constraint after rounding "
                    f"to integers (weight scale {scales.weight:g}): " + "; ".join(broken[:3])
                ),
                timings=timings,
            )
        complete = run.last == "value"
        bound = (
            None
            if run.bound is None or not complete
            else _to_value(run.bound, scales, problem, manager_of)
        )
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL if run.proven and complete else SolveStatus.FEASIBLE,
            bound=bound,
            timings=timings,
        )

    @staticmethod
    def _infeasible(problem: AssignmentProblem, timings: dict[str, float]) -> Outcome:
        return infeasible_outcome(problem, timings, _explain)
