"""Assignment methods, registered by name; see :func:`fairlead.list_methods`."""

from fairlead.solvers import (
    cp_sat,
    greedy,
    least_loaded,
    lp_round,
    min_cost_flow,
    round_robin,
    sifting,
    weighted_random,
)
from fairlead.solvers._base import (
    Solution,
    Solver,
    SolveStatus,
    get_solver,
    list_methods,
    register,
    usable_options,
)
from fairlead.solvers._solve import solve
from fairlead.solvers.sifting import dual_bound

__all__ = [
    "Solution",
    "SolveStatus",
    "Solver",
    "cp_sat",
    "dual_bound",
    "get_solver",
    "greedy",
    "least_loaded",
    "list_methods",
    "lp_round",
    "min_cost_flow",
    "register",
    "round_robin",
    "sifting",
    "solve",
    "usable_options",
    "weighted_random",
]
