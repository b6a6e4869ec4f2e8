"""Why a problem CP-SAT found infeasible has no solution, in one sentence."""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem
from fairlead.diagnose import explain_conflict as conflict_explain

_GENERIC = "no assignment satisfies every constraint"


def explain(problem: AssignmentProblem) -> str:
    """Why ``problem`` has no solution, in one sentence.

    Weighted problems first get a few certain checks on totals; then
    :func:`fairlead.diagnose._conflicts.explain` names a minimal conflicting set (the
    flow-based reason for unit workloads); if that runs out of time, a sentence
    naming the constraint groups that cannot hold together.
    """
    if not problem.unit_weights:
        found = _weighted_reason(problem)
        if found is not None:
            return found
    try:
        return conflict_explain(problem, time_limit=10.0)
    except TimeoutError:
        pass
    groups = ["each lead to one eligible manager" if not problem.allow_unassigned else ""]
    soft = problem.load_penalty is not None
    load = "capacity" if soft else "min_load and capacity/max_load"
    weighted = "" if problem.unit_weights else "weighted "
    groups.append(f"{weighted}workload within {load}")
    if problem.has_value_bounds and problem.value_penalty is None:
        groups.append("total value within min_value/max_value")
    named = [g for g in groups if g]
    together = ", ".join(named[:-1]) + (" and " if len(named) > 1 else "") + named[-1]
    return f"{_GENERIC} together: {together} cannot all hold"


def _weighted_reason(problem: AssignmentProblem) -> str | None:
    """Certain reasons on totals for weighted leads, or ``None``."""
    weights = problem.weight_matrix()
    upper = problem.hard_upper_load
    fits = problem.eligible & (weights <= upper + 1e-9 * np.maximum(1.0, upper))
    if not problem.allow_unassigned:
        stranded = np.flatnonzero(~fits.any(axis=1))
        if stranded.size:
            name = problem.lead_name(int(stranded[0]))
            more = f" (and {stranded.size - 1} more leads)" if stranded.size > 1 else ""
            return (
                f"{name} fits no eligible manager{more}: its workload exceeds the "
                "capacity/max_load of each"
            )
        least = float(np.where(fits, weights, np.inf).min(axis=1).sum())
        room = float(upper.sum())
        if least > room * (1 + 1e-9) + 1e-9:
            return (
                f"the leads weigh at least {least:g} in total, but managers can take "
                f"{room:g} (capacity/max_load); short by {least - room:g} "
                "(or set allow_unassigned=True)"
            )
    if problem.load_penalty is None:
        reach = np.where(fits, weights, 0.0).sum(axis=0)
        short = np.flatnonzero(problem.min_load > reach * (1 + 1e-9) + 1e-9)
        if short.size:
            j = int(short[0])
            return (
                f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) exceeds "
                f"the workload of all leads that fit it ({reach[j]:g})"
            )
    return None
