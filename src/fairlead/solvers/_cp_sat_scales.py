"""How :class:`~fairlead.solvers.cp_sat.CpSatSolver` turns a problem's floats into integers.

The constraint rows take their scales from :func:`fairlead.formulation.constraint_scales`
(the conflict finder uses the same); this module adds the objective's: values,
soft-band prices and the max-min share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from fairlead.core import AssignmentProblem, FloatArray, IntArray
from fairlead.formulation import (
    EXACT_LIMIT,
    RELAX_RTOL,
    ROUND_SCALES,
    TOTAL_LIMIT,
    VALUE_RESOLUTION,
    clamp,
    constraint_scales,
    eligible_pairs,
    integral,
    pair_weights,
    pick_scale,
    snap_ceil,
    snap_floor,
)

Objective = Literal["value", "maxmin"]

_SHARE_RESOLUTION = 2.0**30
_PRICE_PRECISION = 2.0**20  # soft-band prices are integers at least this large


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


def floor_int(y: float) -> int:
    """``floor`` of one number, snapped (:func:`fairlead.formulation.snap_floor`), clamped."""
    return int(snap_floor(np.array([clamp(y)]))[0])


def ceil_int(y: float) -> int:
    """``ceil`` of one number, snapped, clamped."""
    return int(snap_ceil(np.array([clamp(y)]))[0])


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
    lead, manager = eligible_pairs(problem)
    net = problem.net_value()[lead, manager]
    weights = pair_weights(problem, lead, manager)
    rows = constraint_scales(problem)  # the hard rows' scales, shared with the diagnosis
    soft_load = problem.load_penalty is not None
    soft_value = problem.value_penalty is not None and problem.has_value_bounds

    # Soft bands: (price per unit outside the band, integers per unit, largest deviation)
    bands: list[tuple[float, float, float]] = []
    if soft_load:
        assert problem.load_penalty is not None
        reach = _reach(problem, manager, weights)
        span = float(np.max(np.maximum(problem.min_load, reach), initial=0.0))
        bands.append((problem.load_penalty, rows.weight, span))
    if soft_value:
        assert problem.value_penalty is not None
        assert rows.bound_value is not None
        size = np.bincount(
            manager, weights=np.abs(problem.value[lead, manager]), minlength=problem.n_managers
        )
        low = [] if problem.min_value is None else [np.abs(problem.min_value)]
        high = [] if problem.max_value is None else [np.abs(problem.max_value)]
        span = float(np.max(np.concatenate([size, *low, *high]), initial=0.0))
        bands.append((problem.value_penalty, rows.bound_value, span))

    value_scale = pick_scale(net, terms=n, resolution=VALUE_RESOLUTION)
    factor = value_scale.factor
    budget = min(EXACT_LIMIT, TOTAL_LIMIT / max(n, 1))
    for price, _, span in bands:  # penalties as large as the budget: coarser values
        if price * span * factor > budget:
            factor = math.ldexp(1.0, math.floor(math.log2(budget / (price * span))))
    coeffs = net * factor
    rounding = float(np.max(np.abs(coeffs - np.rint(coeffs)), initial=0.0)) / factor

    multiplier, units, prices, band_slack = _band_prices(
        bands, factor, net, budget, problem.n_managers
    )
    target: float | None = None
    resolution: float | None = None
    share_multiplier = 1
    targets = problem.target_load[problem.target_load > 0]
    if objective == "maxmin" and targets.size:
        target = pick_scale(targets, terms=1, resolution=VALUE_RESOLUTION).factor
        top_load = float(np.max(_reach(problem, manager, weights), initial=0.0))
        wanted = _SHARE_RESOLUTION * target / rows.weight
        fits = TOTAL_LIMIT / (4.0 * rows.weight * max(top_load, 1e-300))
        share_multiplier = 2 ** max(0, math.floor(math.log2(max(1.0, min(wanted, fits)))))
        resolution = share_multiplier * rows.weight / target

    return Scales(
        value=factor,
        value_exact=integral(coeffs),
        value_rounding=rounding,
        multiplier=multiplier,
        weight=rows.weight,
        weight_exact=rows.weight_exact,
        bound_value=rows.bound_value,
        bound_value_exact=rows.bound_value_exact,
        load_price=prices[0] if soft_load else 0,
        load_unit=units[0] if soft_load else 1,
        value_price=prices[-1] if soft_value else 0,
        value_unit=units[-1] if soft_value else 1,
        band_slack=band_slack,
        target=target,
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
    if not integral(reals):
        for s in ROUND_SCALES:
            if s > room:
                break
            if integral(reals * s):
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
        if 0 < real < _PRICE_PRECISION and not integral(np.array([real])):
            unit = 2 ** min(40, math.ceil(math.log2(_PRICE_PRECISION / real)))
        exact = min(real * unit, EXACT_LIMIT)
        units.append(unit)
        prices.append(floor_int(exact))
        # per deviation: the unit's rounding plus the price's, at most the whole band
        lost = (unit - 1) / scale + (span * (1 - prices[-1] / exact) if exact > 0 else span)
        slack += 2 * m * price * min(lost, span)
    return multiplier, units, prices, slack


def _reach(problem: AssignmentProblem, manager: IntArray, weights: FloatArray) -> FloatArray:
    """Largest workload each manager can reach (hard upper bound or all its eligible leads)."""
    total = np.bincount(manager, weights=weights, minlength=problem.n_managers)
    reach: FloatArray = np.minimum(total, problem.hard_upper_load * (1 + RELAX_RTOL) + RELAX_RTOL)
    return reach
