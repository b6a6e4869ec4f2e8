"""The CP-SAT model of the ``cp_sat`` method: the shared assignment model plus objectives.

:func:`fairlead.formulation.new_model` lays out the pairs, the one-manager-per-lead
rows and the hard bounds (the conflict finder builds the same rows); this module
adds what only the solver needs: soft bands (shortfall and excess variables), the
value objective, the count of placed leads and the max-min share.
"""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, IntArray
from fairlead.formulation import (
    DOMAIN,
    MODEL_RTOL,
    RELAX_RTOL,
    Bound,
    CpModel,
    eligible_pairs,
    new_model,
    pair_weights,
    round_scaled,
    rounded,
    snap_ceil,
    snap_floor,
    upper_rhs,
)
from fairlead.solvers._cp_sat_scales import Scales, ceil_int, floor_int


def build(problem: AssignmentProblem, scales: Scales, *, relaxed: bool, maxmin: bool) -> CpModel:
    """Lay out the model: a restriction of the float problem, or with ``relaxed`` a relaxation."""
    n, m = problem.n_leads, problem.n_managers
    lead, manager = eligible_pairs(problem)
    n_pairs = lead.size
    built = new_model(lead, manager)
    x = np.arange(n_pairs, dtype=np.int64)

    # each lead once (at most once when it may stay out)
    need = np.full(n, 0 if problem.allow_unassigned else 1, dtype=np.int64)
    built.add_units(np.arange(n, dtype=np.int64), np.ones(n, dtype=np.int64), need)

    order = np.argsort(manager, kind="stable")
    cuts = np.searchsorted(manager[order], np.arange(m + 1)).tolist()
    rtol = RELAX_RTOL if relaxed else MODEL_RTOL

    # workload; with a soft band only the capacity is hard (and loads are never negative)
    sw = scales.weight
    weights = pair_weights(problem, lead, manager)
    w_low, w_high = rounded(weights * sw, scales.weight_exact)
    upper = problem.hard_upper_load
    soft_load = problem.load_penalty is not None
    loads: list[Bound] = []
    for j in range(m):
        loads.append(Bound("capacity", j, float(upper[j])))
        loads.append(Bound("min_load", j, 0.0 if soft_load else float(problem.min_load[j])))
    built.add_bounds(loads, weights, sw, scales.weight_exact, relaxed=relaxed)
    load_terms = [(x[order[cuts[j] : cuts[j + 1]]], order[cuts[j] : cuts[j + 1]]) for j in range(m)]

    obj_vars: list[IntArray] = [x]
    obj_coeffs: list[IntArray] = [_value_objective(problem, scales, lead, manager)]

    # soft load band: shortfall s and excess o, measured from below in both models
    if soft_load:
        unit = scales.load_unit
        for j in range(m):
            xs, k = load_terms[j]
            need_j = floor_int(float(problem.min_load[j]) * sw)
            deviations = [_shortfall(built, xs, w_high[k], need_j, unit, least=0)]
            top = float(problem.max_load[j])
            if np.isfinite(top) and top < float(problem.capacity[j]):
                most = int(w_low[k].sum())
                deviations.append(_excess(built, xs, w_low[k], ceil_int(top * sw), unit, most))
            for var in deviations:
                if var is not None:
                    obj_vars.append(np.array([var]))
                    obj_coeffs.append(np.array([scales.load_price]))

    if problem.has_value_bounds:
        _value_bounds(problem, scales, built, load_terms, relaxed, obj_vars, obj_coeffs)

    built.objectives["value"] = (np.concatenate(obj_vars), np.concatenate(obj_coeffs))
    built.objectives["count"] = (x, np.full(n_pairs, -1, dtype=np.int64))

    # max-min share t / resolution <= load_j / target_j, loads from below (restriction)
    targets = problem.target_load
    if maxmin and scales.share_resolution is not None and scales.target is not None:
        st, mult = scales.target, scales.share_multiplier
        share_w = w_high if relaxed else w_low
        scaled_t = targets * st
        coef = snap_floor(scaled_t) if relaxed else snap_ceil(scaled_t)
        positive = np.flatnonzero(targets > 0)
        reach = np.bincount(manager, weights=share_w.astype(np.float64), minlength=m)
        caps = np.array([upper_rhs(float(upper[j]), sw, rtol) for j in range(m)], np.float64)
        top_share = np.min(np.minimum(reach, caps)[positive] * mult / np.maximum(coef[positive], 1))
        (t,) = built.int_vars(np.array([int(top_share) + 1]))
        for j in positive.tolist():
            xs, k = load_terms[j]
            if coef[j] > 0:
                built.linear(np.append(xs, t), np.append(-mult * share_w[k], coef[j]), -DOMAIN, 0)
        built.objectives["share"] = (np.array([t]), np.array([-1], dtype=np.int64))
    return built


def _value_bounds(
    problem: AssignmentProblem,
    scales: Scales,
    built: CpModel,
    load_terms: list[tuple[IntArray, IntArray]],
    relaxed: bool,
    obj_vars: list[IntArray],
    obj_coeffs: list[IntArray],
) -> None:
    """Hard value bounds as rows; soft ones as priced shortfall / excess variables."""
    assert scales.bound_value is not None
    sv = scales.bound_value
    values = problem.value[built.unit, built.manager]
    if problem.value_penalty is None:
        bounds: list[Bound] = []
        for j in range(problem.n_managers):
            if problem.max_value is not None:
                bounds.append(Bound("max_value", j, float(problem.max_value[j])))
            if problem.min_value is not None:
                bounds.append(Bound("min_value", j, float(problem.min_value[j])))
        built.add_bounds(bounds, values, sv, scales.bound_value_exact, relaxed=relaxed)
        return
    v_low, v_high = rounded(values * sv, scales.bound_value_exact)
    unit = scales.value_unit
    for j, (xs, k) in enumerate(load_terms):
        deviations: list[int | None] = []
        if problem.min_value is not None:
            need = floor_int(float(problem.min_value[j]) * sv)
            least = int(np.minimum(v_high[k], 0).sum())
            deviations.append(_shortfall(built, xs, v_high[k], need, unit, least=least))
        if problem.max_value is not None:
            allowed = ceil_int(float(problem.max_value[j]) * sv)
            most = int(np.maximum(v_low[k], 0).sum())
            deviations.append(_excess(built, xs, v_low[k], allowed, unit, most))
        for var in deviations:
            if var is not None:
                obj_vars.append(np.array([var]))
                obj_coeffs.append(np.array([scales.value_price]))


def _shortfall(
    built: CpModel, xs: IntArray, coeffs: IntArray, need: int, unit: int, *, least: int
) -> int | None:
    """Variable ``s = max(0, floor((need - sum coeffs x) / unit))`` as ``s >=`` that.

    ``least`` is the smallest value the sum can take; ``None`` when ``s`` is always 0.
    """
    floor_need = need - (unit - 1)  # unit * s >= need - sum - (unit - 1): s rounds down
    if floor_need <= least:
        return None
    (s,) = built.int_vars(np.array([-(-(need - least) // unit)]))
    built.linear(np.append(xs, s), np.append(coeffs, unit), floor_need, DOMAIN)
    return int(s)


def _excess(
    built: CpModel, xs: IntArray, coeffs: IntArray, allowed: int, unit: int, most: int
) -> int | None:
    """Variable ``o = max(0, floor((sum coeffs x - allowed) / unit))`` as ``o >=`` that."""
    ceiling = allowed + unit - 1
    if most <= ceiling:
        return None
    (o,) = built.int_vars(np.array([-(-(most - allowed) // unit)]))
    built.linear(np.append(xs, o), np.append(coeffs, -unit), -DOMAIN, ceiling)
    return int(o)


def _value_objective(
    problem: AssignmentProblem, scales: Scales, lead: IntArray, manager: IntArray
) -> IntArray:
    net = problem.net_value()[lead, manager]
    coeffs: IntArray = -round_scaled(net, scales.value) * scales.multiplier
    return coeffs
