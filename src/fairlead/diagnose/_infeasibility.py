"""Why a unit-weight assignment problem has no solution, in words.

Each check returns a sentence naming the constraints that cannot hold together
and by how much, or ``None``. The deeper checks read a witness off a maximum
flow: the set of leads (or managers) whose neighbourhood is too small, as in
Hall's theorem.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from ortools.graph.python import max_flow

from fairlead.core import AssignmentProblem, IntArray
from fairlead.formulation import max_assignable

_SHOWN = 3


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _leads_without_room(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    stranded = np.flatnonzero(~(problem.eligible & (high > 0)[None, :]).any(axis=1))
    if stranded.size == 0:
        return None
    names = [problem.lead_name(int(i)) for i in stranded]
    if stranded.size == 1:
        return (
            f"{names[0]} has no eligible manager with room for a whole lead "
            "(capacity/max_load >= 1)"
        )
    return (
        f"{stranded.size} leads have no eligible manager with room for a whole lead "
        f"(capacity/max_load >= 1): {_names(names)}"
    )


def _whole_lead_bounds(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    crossed = np.flatnonzero(low > high)
    if crossed.size == 0:
        return None
    j = int(crossed[0])
    return (
        f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) needs {low[j]} "
        f"whole leads, but its capacity/max_load allows {high[j]}"
    )


def _totals(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    n = problem.n_leads
    if int(low.sum()) > n:
        return f"min_load asks for {int(low.sum())} leads in total, but the batch has {n}"
    if not problem.allow_unassigned and int(high.sum()) < n:
        return (
            f"managers can take {int(high.sum())} leads in total (capacity/max_load), "
            f"but {n} leads must be assigned; short by {n - int(high.sum())} "
            "(or set allow_unassigned=True)"
        )
    return None


def _min_load_vs_eligible(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    eligible_count = problem.eligible.sum(axis=0)
    short = np.flatnonzero(low > eligible_count)
    if short.size == 0:
        return None
    j = int(short[0])
    return (
        f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) exceeds its "
        f"eligible leads ({int(eligible_count[j])})"
    )


def _flow_assignment(problem: AssignmentProblem, manager_cap: IntArray) -> IntArray:
    """Maximum bipartite b-matching: each lead once, manager ``j`` at most ``manager_cap[j]``."""
    n, m = problem.n_leads, problem.n_managers
    source, sink = n + m, n + m + 1
    lead_idx, mgr_idx = np.nonzero(problem.eligible)
    flow = max_flow.SimpleMaxFlow()
    flow.add_arcs_with_capacity(
        np.full(n, source, dtype=np.int32), np.arange(n, dtype=np.int32), np.ones(n, np.int64)
    )
    pair_arcs = flow.add_arcs_with_capacity(
        lead_idx.astype(np.int32),
        (mgr_idx + n).astype(np.int32),
        np.ones(lead_idx.size, dtype=np.int64),
    )
    flow.add_arcs_with_capacity(
        np.arange(n, n + m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        manager_cap.astype(np.int64),
    )
    status = flow.solve(source, sink)
    if status != flow.OPTIMAL:
        raise RuntimeError(f"OR-Tools max flow ended with status {status}")
    used = np.asarray(flow.flows(np.asarray(pair_arcs))) > 0
    manager_of = np.full(n, -1, dtype=np.int64)
    manager_of[lead_idx[used]] = mgr_idx[used]
    return manager_of


def _min_loads_unreachable(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    """Hall witness on the manager side: managers whose min_loads outnumber their leads."""
    manager_of = _flow_assignment(problem, low)
    got = np.bincount(manager_of[manager_of >= 0], minlength=problem.n_managers)
    short = got < low
    if not short.any():
        return None
    reached = short.copy()
    while True:
        leads = problem.eligible[:, reached].any(axis=1)
        owners = np.unique(manager_of[leads & (manager_of >= 0)])
        grown = reached.copy()
        grown[owners] = True
        if (grown == reached).all():
            break
        reached = grown
    group = np.flatnonzero(reached)
    need = int(low[group].sum())
    have = int(problem.eligible[:, group].any(axis=1).sum())
    names = [problem.manager_name(int(j)) for j in group]
    if len(group) == 1:
        given = problem.min_load[int(group[0])]
        return f"min_load of {names[0]} ({given:g}) exceeds its eligible leads ({have})"
    return (
        f"min_load of {len(group)} managers ({_names(names)}) asks for {need} leads in "
        f"total, but only {have} leads are eligible for any of them; short by {need - have}"
    )


def _leads_unplaceable(problem: AssignmentProblem, low: IntArray, high: IntArray) -> str | None:
    """Hall witness on the lead side: leads whose eligible managers lack room."""
    placed = max_assignable(problem)
    if placed is None:
        return None
    manager_of, n_out = placed
    if n_out == 0:
        return None
    unassigned = manager_of < 0
    reached_mgr = problem.eligible[unassigned].any(axis=0)
    while True:
        leads = unassigned | np.isin(manager_of, np.flatnonzero(reached_mgr))
        grown = reached_mgr | problem.eligible[leads].any(axis=0)
        if (grown == reached_mgr).all():
            break
        reached_mgr = grown
    group = np.flatnonzero(reached_mgr)
    n_leads = int(leads.sum())
    room = int(high[group].sum())
    if n_leads > room:
        names = [problem.manager_name(int(j)) for j in group]
        examples = [problem.lead_name(int(i)) for i in np.flatnonzero(unassigned)]
        who = names[0] if len(group) == 1 else f"the {len(group)} managers ({_names(names)})"
        return (
            f"{n_leads} leads can only go to {who}, which can take {room} "
            f"(capacity/max_load); short by {n_leads - room}, e.g. {_names(examples)}"
        )
    n = problem.n_leads
    return (
        f"min_load and capacity/max_load cannot hold together: while every min_load is "
        f"met, at most {n - n_out} of the {n} leads can be assigned"
    )


_CHECKS: tuple[Callable[[AssignmentProblem, IntArray, IntArray], str | None], ...] = (
    _whole_lead_bounds,
    _totals,
    _leads_without_room,
    _min_load_vs_eligible,
    _min_loads_unreachable,
    _leads_unplaceable,
)


def explain_infeasible(problem: AssignmentProblem) -> str:
    """Sentence naming the constraints of ``problem`` that cannot hold together.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose._infeasibility import explain_infeasible
    >>> p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1])
    >>> explain_infeasible(p)
    'managers can take 2 leads in total (capacity/max_load), but 3 leads must be assigned; short by 1 (or set allow_unassigned=True)'
    """  # noqa: E501
    low, high = problem.count_bounds()
    for check in _CHECKS:
        if problem.allow_unassigned and check in (_leads_without_room, _leads_unplaceable):
            continue
        reason = check(problem, low, high)
        if reason is not None:
            return reason
    return "no assignment satisfies every constraint"
