"""fairlead: fair, explainable, conversion-maximizing assignment of leads to managers."""

from fairlead._assign import InfeasibleError, assign
from fairlead._availability import Absence, WorkingHours
from fairlead._conflicts import Conflict, find_conflict
from fairlead._fairness import FairnessReport, gini, jain, max_min_ratio
from fairlead._inputs import InputError
from fairlead._models import Lead, Level, Manager, Policy, Tier
from fairlead._plan import Alternative, Explanation, Plan
from fairlead._problem import AssignmentProblem
from fairlead._router import Decision, ManagerStatus, Overdue, Router
from fairlead._router_state import CatchUp
from fairlead.solvers import Solution, SolveStatus, dual_bound, list_methods, solve

__version__ = "0.1.0"

__all__ = [
    "Absence",
    "Alternative",
    "AssignmentProblem",
    "CatchUp",
    "Conflict",
    "Decision",
    "Explanation",
    "FairnessReport",
    "InfeasibleError",
    "InputError",
    "Lead",
    "Level",
    "Manager",
    "ManagerStatus",
    "Overdue",
    "Plan",
    "Policy",
    "Router",
    "Solution",
    "SolveStatus",
    "Tier",
    "WorkingHours",
    "__version__",
    "assign",
    "dual_bound",
    "find_conflict",
    "gini",
    "jain",
    "list_methods",
    "max_min_ratio",
    "solve",
]
