"""Manager prices for the online router: the duals of a batch solve over a window of leads."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray
from fairlead.policy import model_value, water_fill
from fairlead.records import InputError, Lead
from fairlead.router._inputs import finite_values, window_capacity
from fairlead.router._team import TeamTables
from fairlead.solvers import SolveStatus, solve


@dataclass(frozen=True)
class Priced:
    """Prices per manager (NaN for managers left out) and the price of leaving a lead out."""

    prices: FloatArray
    unassigned_price: float
    objective: float


def window_bounds(
    weights: FloatArray, eligible: BoolArray, tolerance: float | None
) -> tuple[FloatArray, FloatArray]:
    """Fewest and most leads of a window each manager should take: the fair band.

    The window's leads are shared out by ``weights`` (nobody above the leads they may
    take); the band is ``[floor((1 - t) share), ceil((1 + t) share)]``, or
    ``[0, ceil(share)]`` without a tolerance (loads in proportion to capacity).

    Examples
    --------
    >>> import numpy as np
    >>> low, high = window_bounds(np.array([1.0, 3.0]), np.ones((8, 2), bool), 0.5)
    >>> low.tolist(), high.tolist()
    ([1.0, 3.0], [3.0, 8.0])
    """
    counts = eligible.sum(axis=0).astype(np.float64)
    placeable = float(eligible.any(axis=1).sum())
    share = water_fill(weights, counts, placeable)
    if tolerance is None:
        return np.zeros_like(share), np.ceil(share - 1e-9)
    high = np.minimum(np.ceil((1.0 + tolerance) * share - 1e-9), counts)
    low = np.minimum(np.floor(max(1.0 - tolerance, 0.0) * share + 1e-9), high)
    return low, high


def window_prices(
    team: TeamTables,
    leads: Sequence[Lead],
    *,
    values: Any = None,
    capacity: Any = None,
    exclude: BoolArray | None = None,
    executor: Executor | None = None,
) -> Priced:
    """Solve the window as a batch (exact ``sifting``) and return its manager prices.

    Eligibility and values are the router's own (``TeamTables``), so the window is priced
    by the rules leads are routed by; a product nobody sells is an error, as in routing.
    Managers in ``exclude`` take no lead of the window and get a NaN price (keep the old one).
    The batch is solved in ``executor`` when one is given (see :meth:`Router.window_prices`).
    """
    policy, m = team.policy, len(team.ids)
    tiers = [team.tier(lead) for lead in leads]
    allowed = np.array([team.eligible(x, t) for x, t in zip(leads, tiers, strict=True)])
    rows: list[FloatArray | None] = [None] * len(leads)
    if values is not None:
        try:
            given = model_value(values, leads, team.managers, tiers, given_as="values")
        except InputError as exc:
            # The message names the argument already; the error gets it as its field.
            raise InputError(str(exc), field="values", value=exc.value) from None
        finite_values(given, leads, team.ids)
        rows = list(given)
    value = team.values(leads, tiers, rows)
    included = np.ones(m, dtype=np.bool_) if exclude is None else ~exclude
    allowed &= included[None, :]
    if capacity is None:
        low, high = window_bounds(team.weights * included, allowed, policy.balance_tolerance)
    else:
        high = window_capacity(capacity, team.ids) * included
        low = np.zeros(m)
        if policy.balance_tolerance is not None:
            band_low, _ = window_bounds(team.weights * included, allowed, policy.balance_tolerance)
            low = np.minimum(band_low, high)
    if executor is None:
        priced = batch_prices(value, allowed, low, high)
    else:
        priced = executor.submit(batch_prices, value, allowed, low, high).result()
    prices = np.where(included, priced.prices, np.nan)
    return Priced(prices, priced.unassigned_price, priced.objective)


def batch_prices(
    value: FloatArray, eligible: BoolArray, low: FloatArray, high: FloatArray
) -> Priced:
    """Manager prices of a batch: the LP duals of an exact ``sifting`` solve.

    Leads may stay out (``allow_unassigned``); if the floors ``low`` cannot all hold
    (qualification keeps someone from enough leads), they are dropped.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([[0.9, 0.8], [0.7, 0.1], [0.6, 0.5]])
    >>> priced = batch_prices(v, np.ones((3, 2), bool), np.zeros(2), np.array([2.0, 1.0]))
    >>> round(priced.objective, 9), [round(float(p), 9) for p in priced.prices]
    (2.1, [0.1, 0.0])
    """
    problem = AssignmentProblem(
        value=value, capacity=high, eligible=eligible, min_load=low, allow_unassigned=True
    )
    solution = solve(problem, method="sifting")
    if solution.status is SolveStatus.INFEASIBLE and low.any():
        problem = AssignmentProblem(
            value=value, capacity=high, eligible=eligible, allow_unassigned=True
        )
        solution = solve(problem, method="sifting")
    if solution.status is not SolveStatus.OPTIMAL or solution.duals is None:
        raise RuntimeError(f"pricing a window of {value.shape[0]} leads failed: {solution.message}")
    return Priced(
        prices=np.asarray(solution.duals, dtype=np.float64),
        unassigned_price=float(solution.unassigned_price or 0.0),
        objective=solution.objective,
    )
