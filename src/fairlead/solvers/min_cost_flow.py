"""Exact assignment as a min-cost flow, solved by OR-Tools ``SimpleMinCostFlow``.

The network has one node per lead, one per manager and a sink. Lead ``i`` sends
one unit, over an arc of cost ``-round(value[i, j] * scale)`` for each eligible
manager ``j``. Lower bounds are exact: manager ``j`` has a demand of
``min_load[j]`` and an arc to the sink of capacity ``upper[j] - min_load[j]``.

With ``allow_unassigned`` the problem is lexicographic: first the largest number
of leads that can be placed (a flow where an extra "pool" node takes leads at
cost 1), then the most value among assignments of that size (the pool's arc to
the sink limited to the minimum found).
"""

from __future__ import annotations

import time

import numpy as np

from fairlead.core import AssignmentProblem
from fairlead.diagnose import explain_infeasible
from fairlead.formulation import build_network, check_unit_problem, flow_assignment, max_assignable
from fairlead.solvers._base import Outcome, Solver, SolveStatus, infeasible_outcome, register

# OR-Tools' accepted cost range depends a little on the instance; on the rare
# BAD_COST_RANGE the solve is repeated with the scale divided by 16.
_RETRIES = 3


@register
class MinCostFlowSolver(Solver):
    """Exact solver for unit-weight problems (OR-Tools min-cost flow)."""

    name = "min_cost_flow"
    exact = True
    description = "exact; OR-Tools min-cost flow; unit lead weights, count bounds"

    def run(self, problem: AssignmentProblem) -> Outcome:
        """Solve ``problem`` to optimality or prove it infeasible."""
        check_unit_problem(problem, self.name)
        timings: dict[str, float] = {}
        n = problem.n_leads
        low, high = problem.count_bounds()
        if low.sum() > n or np.any(low > high):
            return self._infeasible(problem, timings)
        pool_capacity: int | None = None
        if problem.allow_unassigned:
            start = time.perf_counter()
            placed = max_assignable(problem)
            timings["max_assignable"] = time.perf_counter() - start
            if placed is None:
                return self._infeasible(problem, timings)
            pool_capacity = placed[1]

        for shrink in range(_RETRIES):
            start = time.perf_counter()
            network = build_network(
                problem, low, high, by_value=True, pool_capacity=pool_capacity, shrink=shrink
            )
            timings["build"] = timings.get("build", 0.0) + time.perf_counter() - start
            start = time.perf_counter()
            status = network.solver.solve()
            timings["solve"] = timings.get("solve", 0.0) + time.perf_counter() - start
            if status != network.solver.BAD_COST_RANGE:
                break
        if status == network.solver.INFEASIBLE or status == network.solver.UNBALANCED:
            return self._infeasible(problem, timings)
        if status != network.solver.OPTIMAL:
            raise RuntimeError(f"OR-Tools min-cost flow ended with status {status.name}")

        start = time.perf_counter()
        manager_of = flow_assignment(network, n)
        timings["extract"] = time.perf_counter() - start
        assigned = manager_of >= 0
        objective = float(problem.net_value()[assigned, manager_of[assigned]].sum())
        # Each scaled cost differs from value * scale by at most ``network.rounding``
        # (<= 0.5), so no assignment of the same size beats the integer optimum by
        # more than that per lead.
        scale = network.scale
        slack = network.rounding * int(assigned.sum()) / scale
        bound = max(objective, -network.solver.optimal_cost() / scale + slack)
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL,
            bound=bound,
            timings=timings,
        )

    @staticmethod
    def _infeasible(problem: AssignmentProblem, timings: dict[str, float]) -> Outcome:
        return infeasible_outcome(problem, timings, explain_infeasible)
