"""Least loaded ("least busy" in EspoCRM and Frappe): the manager with the fewest leads."""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray
from fairlead.solvers._base import Outcome, Solver, register
from fairlead.solvers._sequential import next_in_rotation, place_one_by_one


@register
class LeastLoadedSolver(Solver):
    """Least loaded: each lead to the least busy eligible manager with room.

    Leads go in arrival order; "busy" is ``current_load`` plus what this batch gave
    so far. Ties rotate.
    """

    name = "least_loaded"
    description = "baseline; fewest current load first (EspoCRM/Frappe 'least busy')"

    def run(self, problem: AssignmentProblem) -> Outcome:
        """Assign leads in order, each to the least busy eligible manager."""
        pointer = 0
        m = problem.n_managers
        current = problem.current_load

        def choose(i: int, fits: BoolArray, loads: FloatArray) -> int:
            nonlocal pointer
            busy = np.where(fits, current + loads, np.inf)
            tied = np.flatnonzero(busy <= busy.min())
            j = next_in_rotation(tied, pointer)
            pointer = (j + 1) % m
            return j

        return place_one_by_one(problem, range(problem.n_leads), choose, method=self.name)
