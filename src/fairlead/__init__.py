"""fairlead: fair, explainable, conversion-maximizing assignment of leads to managers."""

from fairlead._problem import AssignmentProblem
from fairlead.solvers import Solution, SolveStatus, list_methods, solve

__version__ = "0.1.0"

__all__ = [
    "AssignmentProblem",
    "Solution",
    "SolveStatus",
    "__version__",
    "list_methods",
    "solve",
]
