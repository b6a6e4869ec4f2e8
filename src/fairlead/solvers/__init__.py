"""Assignment methods, registered by name; see :func:`fairlead.list_methods`."""

from fairlead.solvers import (
    cp_sat,
    greedy,
    least_loaded,
    lp_round,
    min_cost_flow,
    round_robin,
    weighted_random,
)
from fairlead.solvers._base import (
    Solution,
    Solver,
    SolveStatus,
    get_solver,
    list_methods,
    register,
    solve,
)

__all__ = [
    "Solution",
    "SolveStatus",
    "Solver",
    "cp_sat",
    "get_solver",
    "greedy",
    "least_loaded",
    "list_methods",
    "lp_round",
    "min_cost_flow",
    "register",
    "round_robin",
    "solve",
    "weighted_random",
]
