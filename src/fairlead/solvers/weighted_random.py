"""Weighted random (Odoo CRM style): chance proportional to the remaining quota."""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray
from fairlead.solvers._base import Outcome, Solver, check_option, register
from fairlead.solvers._sequential import place_one_by_one


def _check_seed(seed: object) -> int | np.random.Generator | None:
    """``seed`` if it is None, an int >= 0 or a Generator; else an InputError naming it.

    Examples
    --------
    >>> _check_seed(-1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.InputError: option 'seed' of method 'weighted_random' must be None, ..., got -1
    """
    check_option("seed", seed, "weighted_random")
    if isinstance(seed, int | np.integer):
        return int(seed)
    assert seed is None or isinstance(seed, np.random.Generator)  # what check_option lets by
    return seed


@register
class WeightedRandomSolver(Solver):
    """Weighted random: a draw with chance proportional to the remaining quota.

    Leads go in arrival order, each to an eligible manager with room, drawn with
    probability proportional to the workload that manager may still take.

    Options
    -------
    seed : int >= 0 or numpy.random.Generator, optional
        Source of randomness; the same seed gives the same assignment. Anything
        else is an InputError naming the option and the value.
    """

    name = "weighted_random"
    description = "baseline; random, chance proportional to remaining quota (Odoo), seeded"

    def run(
        self, problem: AssignmentProblem, *, seed: int | np.random.Generator | None = None
    ) -> Outcome:
        """Assign leads in order by a seeded weighted draw."""
        rng = np.random.default_rng(_check_seed(seed))
        upper = problem.upper_load

        def choose(i: int, fits: BoolArray, loads: FloatArray) -> int:
            quota = np.where(fits, upper - loads, 0.0)
            total = quota.sum()
            if total <= 0:
                return int(rng.choice(np.flatnonzero(fits)))
            return int(rng.choice(quota.size, p=quota / total))

        return place_one_by_one(problem, range(problem.n_leads), choose, method=self.name)
