"""fairlead: fair, explainable, conversion-maximizing assignment of leads to managers."""

import importlib
from types import ModuleType

from fairlead.core import AssignmentProblem
from fairlead.diagnose import Conflict, find_conflict
from fairlead.plan import (
    Alternative,
    Explanation,
    FairnessReport,
    InfeasibleError,
    Plan,
    PolicyBrokenWarning,
    UnknownLeadError,
    assign,
    gini,
    jain,
    max_min_ratio,
)
from fairlead.policy import Absence, WorkingHours
from fairlead.records import InputError, InputWarning, Lead, Level, Manager, Policy, Tier
from fairlead.router import (
    CatchUp,
    DamagedStoreError,
    Decision,
    ManagerStatus,
    Overdue,
    Router,
    StoreError,
    StoreRepair,
    repair_store,
)
from fairlead.solvers import Solution, SolveStatus, dual_bound, list_methods, solve

__version__ = "0.1.0"

# Sub-packages loaded on first use: scoring pulls in scipy.stats, sim and datasets
# are for notebooks and benchmarks, kpi for monitoring; `import fairlead` stays light
# without them.
_ON_DEMAND = frozenset({"datasets", "kpi", "scoring", "sim"})


def __getattr__(name: str) -> ModuleType:
    if name in _ON_DEMAND:
        return importlib.import_module(f"fairlead.{name}")
    raise AttributeError(f"module 'fairlead' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_ON_DEMAND})


__all__ = [
    "Absence",
    "Alternative",
    "AssignmentProblem",
    "CatchUp",
    "Conflict",
    "DamagedStoreError",
    "Decision",
    "Explanation",
    "FairnessReport",
    "InfeasibleError",
    "InputError",
    "InputWarning",
    "Lead",
    "Level",
    "Manager",
    "ManagerStatus",
    "Overdue",
    "Plan",
    "Policy",
    "PolicyBrokenWarning",
    "Router",
    "Solution",
    "SolveStatus",
    "StoreError",
    "StoreRepair",
    "Tier",
    "UnknownLeadError",
    "WorkingHours",
    "__version__",
    "assign",
    "dual_bound",
    "find_conflict",
    "gini",
    "jain",
    "list_methods",
    "max_min_ratio",
    "repair_store",
    "solve",
]
