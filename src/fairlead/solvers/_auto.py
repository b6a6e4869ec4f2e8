"""``method="auto"``: pick the method that fits the problem, and say why."""

from __future__ import annotations

import dataclasses
from typing import Any

from fairlead.core import AssignmentProblem
from fairlead.solvers._base import Solution, get_solver, list_methods, usable_options

# Above this many eligible pairs CP-SAT's model is too large for interactive use;
# the LP method scales linearly in the pairs.
LARGE_PAIRS = 200_000


def choose_method(problem: AssignmentProblem, *, objective: str = "value") -> tuple[str, str]:
    """The method ``"auto"`` uses for ``problem``, and the reason in words.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.solvers._auto import choose_method
    >>> choose_method(fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[2, 2]))[0]
    'sifting'
    """
    pairs = problem.n_pairs
    if objective != "value":
        return "cp_sat", f"the {objective!r} objective is solved by CP-SAT"
    if problem.has_soft_bands:
        return "cp_sat", "soft bands (penalties) are solved by CP-SAT"
    if problem.unit_weights and not problem.has_value_bounds:
        return (
            "sifting",
            "unit workloads without value bands: exact sifting, certified by manager prices",
        )
    what = "weighted leads" if not problem.unit_weights else "value bands"
    if pairs >= LARGE_PAIRS and not problem.allow_unassigned:
        return (
            "lp_round",
            f"{what} on {pairs:,} eligible pairs: LP bound, rounding and exact repair",
        )
    return "cp_sat", f"{what} on {pairs:,} eligible pairs: exact CP-SAT"


def solve_auto(problem: AssignmentProblem, **options: Any) -> Solution:
    """Solve with the chosen method and the options it takes (see :func:`usable_options`)."""
    objective = options.get("objective", "value")
    method, reason = choose_method(problem, objective=objective)
    if method not in list_methods():
        raise ValueError(f"method 'auto' needs {method!r} ({reason}), which is not available")
    solution = get_solver(method).solve(problem, **usable_options(method, options))
    return dataclasses.replace(solution, note=f"auto chose {method}: {reason}")
