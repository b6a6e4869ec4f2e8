"""Why a unit-weight assignment problem has no solution, in words.

Each check returns a :class:`Diagnosis` -- a sentence naming the constraints that
cannot hold together and by how much, with the leads and manager bounds it names --
or ``None``. The deeper checks read a witness off a maximum flow: the set of leads
(or managers) whose neighbourhood is too small, as in Hall's theorem. These witnesses
are not shrunk to a minimal set (``Diagnosis.minimal`` is False).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from ortools.graph.python import max_flow

from fairlead.core import AssignmentProblem, IntArray
from fairlead.diagnose._memo import recall, remember
from fairlead.formulation import max_assignable

_SHOWN = 3

BoundKind = Literal["capacity", "min_load", "min_value", "max_value"]


@dataclass(frozen=True, eq=False)
class Diagnosis:
    """Why a problem has no assignment: the sentence, and the leads and bounds it names.

    Attributes
    ----------
    message : str
        One or two sentences with the numbers, in the problem's own terms
        (``capacity``, ``max_load``, ``min_load``, ``min_value``, ``max_value``).
    leads : ndarray of int64
        Sorted indices of the leads that must be assigned and cannot all be (empty
        when the manager bounds clash on their own).
    bounds : tuple of (kind, manager)
        The manager bounds that clash with them: ``"capacity"`` (the hard upper
        workload, ``min(capacity, max_load)``), ``"min_load"``, ``"min_value"`` or
        ``"max_value"``, and the manager's index.
    minimal : bool
        Whether dropping any one named constraint was shown to leave the rest
        satisfiable (:func:`find_conflict`'s sets); the quick witnesses read off
        totals and maximum flows are not shrunk.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose import diagnose
    >>> d = diagnose(fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1]))
    >>> d.leads.tolist(), d.bounds
    ([0, 1, 2], (('capacity', 0), ('capacity', 1)))
    """

    message: str
    leads: IntArray
    bounds: tuple[tuple[BoundKind, int], ...]
    minimal: bool = False

    def __str__(self) -> str:
        return self.message

    @property
    def managers(self) -> tuple[int, ...]:
        """Sorted indices of the managers whose bounds are named."""
        return tuple(sorted({j for _, j in self.bounds}))


def _witness(
    message: str,
    leads: IntArray | None = None,
    bounds: tuple[tuple[BoundKind, int], ...] = (),
) -> Diagnosis:
    chosen = np.zeros(0, dtype=np.int64) if leads is None else np.asarray(leads, dtype=np.int64)
    return Diagnosis(message=message, leads=np.sort(chosen), bounds=bounds)


def _caps(managers: IntArray) -> tuple[tuple[BoundKind, int], ...]:
    return tuple(("capacity", int(j)) for j in managers)


def _lows(managers: IntArray) -> tuple[tuple[BoundKind, int], ...]:
    return tuple(("min_load", int(j)) for j in managers)


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _leads_without_room(
    problem: AssignmentProblem, low: IntArray, high: IntArray
) -> Diagnosis | None:
    stranded = np.flatnonzero(~(problem.eligible & (high > 0)[None, :]).any(axis=1))
    if stranded.size == 0:
        return None
    # their eligible managers, all without room for a whole lead, are the bounds to blame
    full = np.flatnonzero(problem.eligible[stranded].any(axis=0))
    names = [problem.lead_name(int(i)) for i in stranded]
    if stranded.size == 1:
        text = (
            f"{names[0]} has no eligible manager with room for a whole lead "
            "(capacity/max_load >= 1)"
        )
    else:
        text = (
            f"{stranded.size} leads have no eligible manager with room for a whole lead "
            f"(capacity/max_load >= 1): {_names(names)}"
        )
    return _witness(text, stranded, _caps(full))


def _whole_lead_bounds(
    problem: AssignmentProblem, low: IntArray, high: IntArray
) -> Diagnosis | None:
    crossed = np.flatnonzero(low > high)
    if crossed.size == 0:
        return None
    j = int(crossed[0])
    text = (
        f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) needs {low[j]} "
        f"whole leads, but its capacity/max_load allows {high[j]}"
    )
    return _witness(text, bounds=(("capacity", j), ("min_load", j)))


def _totals(problem: AssignmentProblem, low: IntArray, high: IntArray) -> Diagnosis | None:
    n = problem.n_leads
    if int(low.sum()) > n:
        text = f"min_load asks for {int(low.sum())} leads in total, but the batch has {n}"
        return _witness(text, bounds=_lows(np.flatnonzero(low > 0)))
    if not problem.allow_unassigned and int(high.sum()) < n:
        text = (
            f"managers can take {int(high.sum())} leads in total (capacity/max_load), "
            f"but {n} leads must be assigned; short by {n - int(high.sum())} "
            "(or set allow_unassigned=True)"
        )
        return _witness(text, np.arange(n), _caps(np.arange(problem.n_managers)))
    return None


def _min_load_vs_eligible(
    problem: AssignmentProblem, low: IntArray, high: IntArray
) -> Diagnosis | None:
    eligible_count = problem.eligible.sum(axis=0)
    short = np.flatnonzero(low > eligible_count)
    if short.size == 0:
        return None
    j = int(short[0])
    text = (
        f"min_load of {problem.manager_name(j)} ({problem.min_load[j]:g}) exceeds its "
        f"eligible leads ({int(eligible_count[j])})"
    )
    return _witness(text, bounds=(("min_load", j),))


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


def _min_loads_unreachable(
    problem: AssignmentProblem, low: IntArray, high: IntArray
) -> Diagnosis | None:
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
        text = f"min_load of {names[0]} ({given:g}) exceeds its eligible leads ({have})"
    else:
        text = (
            f"min_load of {len(group)} managers ({_names(names)}) asks for {need} leads in "
            f"total, but only {have} leads are eligible for any of them; short by {need - have}"
        )
    return _witness(text, bounds=_lows(group))


def _leads_unplaceable(
    problem: AssignmentProblem, low: IntArray, high: IntArray
) -> Diagnosis | None:
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
        text = (
            f"{n_leads} leads can only go to {who}, which can take {room} "
            f"(capacity/max_load); short by {n_leads - room}, e.g. {_names(examples)}"
        )
        return _witness(text, np.flatnonzero(leads), _caps(group))
    n = problem.n_leads
    text = (
        f"min_load and capacity/max_load cannot hold together: while every min_load is "
        f"met, at most {n - n_out} of the {n} leads can be assigned"
    )
    every = np.arange(problem.n_managers)
    return _witness(text, np.arange(n), _caps(every) + _lows(np.flatnonzero(low > 0)))


_CHECKS: tuple[Callable[[AssignmentProblem, IntArray, IntArray], Diagnosis | None], ...] = (
    _whole_lead_bounds,
    _totals,
    _leads_without_room,
    _min_load_vs_eligible,
    _min_loads_unreachable,
    _leads_unplaceable,
)


def quick_diagnosis(problem: AssignmentProblem) -> Diagnosis | None:
    """The first quick witness of a unit-weight ``problem`` that cannot be solved, or ``None``.

    The checks, cheapest first: whole-lead bounds, totals, leads without any room,
    min_loads against eligible leads, and the Hall witnesses of a maximum flow on
    either side. ``None`` when none of them finds a reason (the problem may still be
    infeasible through value bounds or workloads).
    """
    known = recall(problem, "quick")
    if known is not None:
        found: Diagnosis | None = known[0]
        return found
    found = None
    low, high = problem.count_bounds()
    for check in _CHECKS:
        if problem.allow_unassigned and check in (_leads_without_room, _leads_unplaceable):
            continue
        found = check(problem, low, high)
        if found is not None:
            break
    remember(problem, "quick", found)
    return found


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
    reason = quick_diagnosis(problem)
    return "no assignment satisfies every constraint" if reason is None else reason.message
