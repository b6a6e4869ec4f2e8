"""Why a problem has no solution, in words a head of sales can act on.

:func:`explain_infeasible` runs the quick checks (totals, per lead, per manager, and
groups of leads that only a few managers may take); :func:`find_conflict` finds a
minimal set of rules that cannot hold together, for any problem; :func:`diagnose`
returns either as a :class:`Diagnosis`, naming the leads and manager bounds involved.
"""

from fairlead.diagnose._conflicts import (
    UNKNOWN_REASON,
    Conflict,
    Constraint,
    diagnose,
    find_conflict,
)
from fairlead.diagnose._conflicts import explain as explain_conflict
from fairlead.diagnose._infeasibility import Diagnosis, explain_infeasible

__all__ = [
    "UNKNOWN_REASON",
    "Conflict",
    "Constraint",
    "Diagnosis",
    "diagnose",
    "explain_conflict",
    "explain_infeasible",
    "find_conflict",
]
