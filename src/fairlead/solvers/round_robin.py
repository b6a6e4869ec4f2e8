"""Round robin, the default of most CRMs: managers take turns in a fixed order."""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray
from fairlead.solvers._base import Outcome, Solver, register
from fairlead.solvers._sequential import next_in_rotation, place_one_by_one


@register
class RoundRobinSolver(Solver):
    """Round robin: managers take turns, skipping those ineligible or full.

    Leads go in arrival order, each to the next manager in turn who is eligible and
    has room, as the rotations of Bitrix24, amoCRM and HubSpot do.
    """

    name = "round_robin"
    description = "baseline; rotating order, skips ineligible or full managers"

    def run(self, problem: AssignmentProblem) -> Outcome:
        """Assign leads in order, rotating over managers."""
        pointer = 0
        m = problem.n_managers

        def choose(i: int, fits: BoolArray, loads: FloatArray) -> int:
            nonlocal pointer
            j = next_in_rotation(np.flatnonzero(fits), pointer)
            pointer = (j + 1) % m
            return j

        return place_one_by_one(problem, range(problem.n_leads), choose, method=self.name)
