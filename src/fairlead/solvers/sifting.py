"""Exact sifting solver for many leads and few managers, with its dual certificate.

See :mod:`fairlead.solvers._sifting` for the algorithm and ``docs/sifting.md`` for
a walk-through. It solves the same problems as ``min_cost_flow`` (unit lead
weights, count bounds, eligibility, ``allow_unassigned``) to the same optimum, and
returns the manager prices with it: ``Solution.duals`` (and
``Solution.unassigned_price`` with ``allow_unassigned``). ``Solution.bound`` is the
LP dual objective at those prices, an upper bound on any assignment's value, so
``bound - objective`` certifies the answer.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

from fairlead.core import AssignmentProblem, FloatArray, InputError, IntArray, require_problem
from fairlead.diagnose import explain_infeasible
from fairlead.formulation import check_unit_problem, scale_for
from fairlead.solvers._assignable import max_assignable_count
from fairlead.solvers._base import Outcome, Solver, SolveStatus, infeasible_outcome, register
from fairlead.solvers._core_flow import CostRangeError
from fairlead.solvers._sifting import Sifted, dual_value, sift

_RETRIES = 3


@register
class SiftingSolver(Solver):
    """Exact for unit-weight problems: sampled prices, a core min-cost flow, a certificate."""

    name = "sifting"
    exact = True
    description = (
        "exact; sifting over manager prices with a core min-cost flow and a dual "
        "certificate; unit lead weights, count bounds; fastest for many leads"
    )

    def run(self, problem: AssignmentProblem) -> Outcome:
        """Solve ``problem`` to optimality (with prices and a dual bound) or prove it infeasible."""
        check_unit_problem(problem, self.name)
        timings: dict[str, float] = {}
        n, m = problem.n_leads, problem.n_managers
        low, high = problem.count_bounds()
        if low.sum() > n or np.any(low > high):
            return infeasible_outcome(problem, timings, explain_infeasible)
        pool = problem.allow_unassigned
        if pool:
            start = time.perf_counter()
            placed = max_assignable_count(problem, high)
            timings["max_assignable"] = time.perf_counter() - start
            low = np.r_[low, 0]
            high = np.r_[high, n - placed]
        blocks = problem.value_blocks(pool=pool)
        start = time.perf_counter()
        top = blocks.largest_magnitude()
        n_nodes = n + m + (2 if pool else 1)
        sifted: Sifted | None = None
        for shrink in range(_RETRIES):
            scale = scale_for(top, n_nodes, shrink=shrink)
            try:
                sifted = sift(blocks, low, high, scale)
                break
            except CostRangeError:
                if shrink == _RETRIES - 1:
                    raise
        timings["sift"] = time.perf_counter() - start
        if sifted is None:
            return infeasible_outcome(problem, timings, explain_infeasible)
        start = time.perf_counter()
        prices: FloatArray = sifted.prices / scale
        bound = dual_value(blocks, prices, low, high, lead_sum=sifted.lead_sum)
        timings["certificate"] = time.perf_counter() - start
        column = sifted.column
        manager_of: IntArray = np.where(column >= m, -1, column)
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL,
            bound=bound,
            duals=prices[:m].copy(),
            unassigned_price=float(prices[m]) if pool else None,
            timings=timings,
        )


def dual_bound(
    problem: AssignmentProblem,
    prices: npt.ArrayLike,
    unassigned_price: float = 0.0,
) -> float:
    """Upper bound on the best assignment's value implied by manager prices.

    For any prices ``p`` (one per manager) the LP dual gives

        sum_i max_j (value[i, j] - p[j])  +  sum_j (high_j max(p_j, 0) - low_j max(-p_j, 0))

    over eligible pairs, with ``low``/``high`` the count bounds of each manager.
    With ``allow_unassigned`` a lead may also stay out at ``-unassigned_price``, and
    ``(n - K) * max(unassigned_price, 0)`` is added, ``K`` the most leads that can be
    placed (the problem first places as many leads as it can). No assignment beats the
    bound; at the prices a ``sifting`` solve returns, it equals the optimum.

    Parameters
    ----------
    problem : AssignmentProblem
        A unit-weight problem without value bands.
    prices : array_like, shape (m,)
        A price per manager (``Solution.duals``).
    unassigned_price : float, default 0
        Price of the "unassigned" option (``Solution.unassigned_price``). It is
        negative when a ``min_load`` pushes leads that would rather stay out.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> p = fl.AssignmentProblem(value=np.array([[0.9, 0.5], [0.8, 0.2]]), capacity=[1, 1])
    >>> sol = fl.solve(p, method="sifting")
    >>> round(sol.objective, 9), round(fl.dual_bound(p, sol.duals), 9)
    (1.3, 1.3)
    >>> round(fl.dual_bound(p, [0.0, 0.0]), 9)   # any prices give a bound
    1.7
    """
    require_problem(problem)
    check_unit_problem(problem, "sifting")
    m, n = problem.n_managers, problem.n_leads
    try:
        p = np.asarray(prices, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(
            f"prices must be {m} finite numbers (one per manager), got {prices!r}"
        ) from None
    if p.shape != (m,) or not np.isfinite(p).all():
        raise InputError(f"prices must be {m} finite numbers (one per manager), got {p!r}")
    if isinstance(unassigned_price, bool) or not isinstance(
        unassigned_price, int | float | np.integer | np.floating
    ):
        raise InputError(f"unassigned_price must be a number, got {unassigned_price!r}")
    if not np.isfinite(unassigned_price):
        raise InputError(f"unassigned_price must be finite, got {unassigned_price!r}")
    low, high = problem.count_bounds()
    pool = problem.allow_unassigned
    if pool:
        placed = max_assignable_count(problem, high)
        low, high = np.r_[low, 0], np.r_[high, n - placed]
        p = np.r_[p, unassigned_price]
    return dual_value(problem.value_blocks(pool=pool), p, low, high)
