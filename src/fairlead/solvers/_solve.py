"""``solve()``: one entry to every method, by name or ``"auto"``."""

from __future__ import annotations

from typing import Any

from fairlead.core import AssignmentProblem, require_problem
from fairlead.solvers._auto import solve_auto
from fairlead.solvers._base import Solution, get_solver


def solve(problem: AssignmentProblem, method: str = "min_cost_flow", **options: Any) -> Solution:
    """Solve an assignment problem with the named method.

    Parameters
    ----------
    problem : AssignmentProblem
        The batch to assign.
    method : str, default "min_cost_flow"
        A name from :func:`list_methods`, or ``"auto"``: exact ``sifting`` for unit
        workloads without value bands, the LP method for weighted leads or value
        bands at scale, CP-SAT otherwise; ``Solution.note`` says which and why.
    **options
        Method-specific keywords, e.g. ``seed`` for ``weighted_random``.

    Returns
    -------
    Solution

    Raises
    ------
    InputError
        For an unknown method, an option the method does not take, or a problem
        feature the method does not support (the message names a method that does).

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> p = fl.AssignmentProblem(value=np.array([[0.9, 0.1], [0.8, 0.7]]), capacity=[1, 1])
    >>> sol = fl.solve(p, method="min_cost_flow")
    >>> sol.manager_of.tolist(), round(sol.objective, 6), sol.status.name
    ([0, 1], 1.6, 'OPTIMAL')
    """
    require_problem(problem)
    if method == "auto":
        return solve_auto(problem, **options)
    return get_solver(method).solve(problem, **options)
