"""Greedy by value: the best leads first, each to its best manager with room."""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray
from fairlead.solvers._base import Outcome, Solver, register
from fairlead.solvers._sequential import place_one_by_one


@register
class GreedySolver(Solver):
    """Greedy: the best leads first, each to its best eligible manager with room.

    Leads go by descending best eligible value ("hot leads to the best"). Handles
    weighted leads; no optimality guarantee.
    """

    name = "greedy"
    description = "heuristic; best leads first, each to its best manager with room"

    def run(self, problem: AssignmentProblem) -> Outcome:
        """Assign leads in order of their best value."""
        masked = np.where(problem.eligible, problem.net_value(), -np.inf)
        best = masked.max(axis=1)
        order = np.argsort(-best, kind="stable")

        def choose(i: int, fits: BoolArray, loads: FloatArray) -> int:
            return int(np.argmax(np.where(fits, masked[i], -np.inf)))

        return place_one_by_one(problem, order, choose, method=self.name)
