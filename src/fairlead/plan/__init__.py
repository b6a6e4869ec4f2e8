"""From a solved problem back to ids: the :class:`Plan`, its fairness and explanations.

:func:`assign` runs the whole batch path (records → policy → solver → plan).
"""

from fairlead.plan._assign import InfeasibleError, PolicyBrokenWarning, assign
from fairlead.plan._fairness import FairnessReport, fairness_report, gini, jain, max_min_ratio
from fairlead.plan._plan import Alternative, Explanation, Plan, UnknownLeadError

__all__ = [
    "Alternative",
    "Explanation",
    "FairnessReport",
    "InfeasibleError",
    "Plan",
    "PolicyBrokenWarning",
    "UnknownLeadError",
    "assign",
    "fairness_report",
    "gini",
    "jain",
    "max_min_ratio",
]
