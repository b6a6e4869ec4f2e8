"""Why an assignment problem has no solution: a minimal set of conflicting constraints.

The removable constraints of an :class:`~fairlead.AssignmentProblem` are

- ``assign``: lead ``i`` must be assigned (absent with ``allow_unassigned``);
- ``capacity``: manager ``j``'s workload stays within ``hard_upper_load[j]``
  (``min(capacity, max_load)``, or ``capacity`` when the load band is soft);
- ``min_load``, ``min_value``, ``max_value``: the hard bands of manager ``j``.

Eligibility is structural: it decides which pairs exist and is never blamed. Soft
bands (``load_penalty``, ``value_penalty``) are prices, not constraints.

:func:`find_conflict` returns a set of these constraints that cannot hold together
while any one of them, removed, leaves the others satisfiable ("minimal"; the other
constraints of the problem are ignored: leads outside the set may stay unassigned,
bounds outside it are dropped). It works on leads grouped into classes of identical
leads (same eligible managers, workloads and, with value bounds, values), so that
removing one lead of a class stands for removing any of them.

1. Constraints that cannot hold even alone are found directly in floats.
2. Otherwise the linear relaxation (HiGHS) is solved with a slack on every
   constraint; when the slacks cannot all be zero, the constraints with a nonzero
   dual already conflict (a Farkas certificate, confirmed by a second solve).
3. Else (an integrality conflict) CP-SAT checks the whole problem, then the bounds
   of each manager on their own, then solves the whole model with one assumption
   literal per constraint and takes ``sufficient_assumptions_for_infeasibility()``
   (confirmed by a solve, as the core is only a hint).
4. A deletion filter shrinks that set to a minimal one: a constraint whose removal
   keeps the rest infeasible is dropped; one whose removal makes it feasible is
   kept, with the feasible assignment as certificate. Leads are filtered by a binary
   search on a prefix (the most confined and heaviest kept first), certificates are
   re-used by swapping leads ("model rotation"), and each check tries, in turn, the
   relaxation, a greedy placement and CP-SAT, so large groups cost few solves.

Scale. CP-SAT needs integers. The models are the solver's
(:func:`fairlead.formulation.new_model`, one count per pair of a lead class and a
manager, an assumption literal per constraint for the core) with the scales of its
rows (:func:`fairlead.formulation.constraint_scales`): a round scale when the
workloads (values) are short decimals, and the integer model is exact; else a power
of two, with every coefficient and bound rounded in the direction that *relaxes*
the constraint. Either way "infeasible" from CP-SAT holds for the float problem. A
feasible integer solution is accepted only after it is checked in floats, with the
tolerance of :func:`fairlead.core._check.violations`; when the check fails the
model is solved once more rounded the other way, and if that still does not settle
it the constraint is kept and the conflict is marked not proven minimal
(``Conflict.minimal``).

Modules: ``_selection`` (the constraints, lead classes and subsets of them),
``_relaxation`` (HiGHS), ``_cp_check`` (CP-SAT), ``_decide`` (the tests of a
subset), ``_filter`` (the deletion filter), ``_words`` and ``_value_reach`` (the
message); this one runs the search.
"""

from __future__ import annotations

import numpy as np

from fairlead.core import AssignmentProblem, InputError, require_problem
from fairlead.diagnose._cp_check import _core
from fairlead.diagnose._decide import _test
from fairlead.diagnose._filter import _Filter
from fairlead.diagnose._infeasibility import BoundKind, Diagnosis, quick_diagnosis
from fairlead.diagnose._memo import recall, remember
from fairlead.diagnose._relaxation import _relaxation
from fairlead.diagnose._selection import (
    Conflict,
    Constraint,
    _exceeds,
    _prune,
    _Sel,
    _Setup,
    _setup,
)
from fairlead.diagnose._verdict import _Clock
from fairlead.diagnose._words import _conflict

__all__ = ["UNKNOWN_REASON", "Conflict", "Constraint", "diagnose", "explain", "find_conflict"]

UNKNOWN_REASON = "no assignment satisfies every constraint"
# At most this share of the time budget goes to the initial CP-SAT core.
_CORE_SHARE = 0.4


def _singleton(setup: _Setup) -> _Sel | None:
    """A constraint that cannot hold even alone."""
    for c in np.flatnonzero(setup.required > 0).tolist():
        if not setup.Ec[c].any():
            return _Sel({c: 1}, frozenset())
    for kind in ("min_load", "min_value", "max_value"):
        for k, b in enumerate(setup.bounds):
            if b.kind != kind:
                continue
            column = setup.E[:, b.manager]
            if kind == "min_load":
                if _exceeds(b.bound, float(setup.W[column, b.manager].sum())):
                    return _Sel({}, frozenset({k}))
                continue
            v = setup.V[column, b.manager]
            if kind == "min_value" and _exceeds(b.bound, float(v[v > 0].sum())):
                return _Sel({}, frozenset({k}))
            if kind == "max_value" and _exceeds(float(v[v < 0].sum()), b.bound):
                return _Sel({}, frozenset({k}))
    return None


def _local(setup: _Setup, clock: _Clock) -> _Sel | None:
    """The bounds of one manager that conflict on their own."""
    for _, ks in sorted(setup.by_manager.items()):
        if len(ks) < 2 or all(setup.bounds[k].kind == "capacity" for k in ks):
            continue
        sel = _Sel({}, frozenset(ks))
        if _test(setup, sel, clock).status == "infeasible":
            return sel
    return None


def _initial(setup: _Setup, clock: _Clock) -> tuple[_Sel | None, bool]:
    """An infeasible selection, or ``(None, True)`` when the problem is feasible.

    ``(None, False)``: undecided within the time budget.
    """
    everything = _Sel(
        {int(c): int(setup.required[c]) for c in np.flatnonzero(setup.required > 0)},
        frozenset(range(len(setup.bounds))),
    )
    if everything.size() == 0:
        return None, True
    relaxed = _relaxation(setup, everything, clock=clock)
    if relaxed.status == "infeasible":  # a Farkas certificate: its support conflicts
        assert relaxed.core is not None
        support = _prune(setup, relaxed.core)
        # the support is read off float duals: confirm it on its own
        if _relaxation(setup, support, clock=clock).status == "infeasible":
            return support, True
        return everything, True
    verdict = _test(setup, everything, clock, relaxed=relaxed, share=1.0)
    if verdict.status != "infeasible":
        return None, verdict.status == "feasible"
    local = _local(setup, clock)
    if local is not None:
        return local, True
    budget = _CORE_SHARE * max(clock.left(), 0.0)
    verdict = _core(setup, everything, clock, budget)
    if verdict.status == "infeasible":
        assert verdict.core is not None
        core = _prune(setup, verdict.core)
        if core.size() < everything.size() and _test(setup, core, clock).status == "infeasible":
            return core, True
    return everything, True


def find_conflict(problem: AssignmentProblem, *, time_limit: float = 10.0) -> Conflict | None:
    """A minimal set of constraints of ``problem`` that cannot hold together.

    Parameters
    ----------
    problem : AssignmentProblem
        The problem to diagnose.
    time_limit : float, default 10.0
        Seconds for the whole search. When the budget runs out while the set is
        being shrunk, the (infeasible) set found so far is returned with
        ``minimal=False``.

    Returns
    -------
    Conflict or None
        ``None`` when every constraint can hold together (the problem is feasible).

    Raises
    ------
    TimeoutError
        If the time budget ran out before infeasibility (or feasibility) was shown.

    Notes
    -----
    The constraints outside the returned set are ignored when checking it: leads
    not named may stay unassigned, bounds not named are dropped. See the module
    docstring for the algorithm and the integer scale. The answer is remembered for
    the problem object (a set not proven minimal only for as long a ``time_limit``),
    so a solver's explanation and :func:`fairlead.assign`'s words share one search.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose._conflicts import find_conflict
    >>> p = fl.AssignmentProblem(
    ...     value=np.full((3, 2), 0.5), capacity=[2, 2], weight=[2.0, 1.5, 1.5],
    ...     manager_labels=["ann", "bob"], lead_labels=["a", "b", "c"])
    >>> conflict = find_conflict(p)
    >>> [c.text for c in conflict.constraints]  # doctest: +NORMALIZE_WHITESPACE
    ["lead 'a' must be assigned", "lead 'b' must be assigned", "lead 'c' must be assigned",
     "capacity of manager 'ann' (2)", "capacity of manager 'bob' (2)"]
    >>> print(conflict.message)
    3 leads (lead 'a', lead 'b', lead 'c') with a workload of 5 in total can only go to the 2 managers (manager 'ann', manager 'bob'), whose capacity totals 4; short by 1
    >>> find_conflict(fl.AssignmentProblem(value=np.ones((2, 2)), capacity=[1, 1])) is None
    True
    """  # noqa: E501
    require_problem(problem)
    _check_time_limit(time_limit)
    known = recall(problem, "conflict")
    if known is not None:
        found, limit = known
        # a set not proven minimal may shrink with more time
        if found is None or found.minimal or time_limit <= limit:
            conflict: Conflict | None = found
            return conflict
    conflict = _search(problem, float(time_limit))
    remember(problem, "conflict", conflict, float(time_limit))
    return conflict


def _check_time_limit(time_limit: object) -> None:
    if isinstance(time_limit, bool) or not (isinstance(time_limit, int | float) and time_limit > 0):
        raise InputError(
            f"time_limit must be a number > 0, got {time_limit!r}",
            field="time_limit",
            value=time_limit,
        )


def _search(problem: AssignmentProblem, time_limit: float) -> Conflict | None:
    clock = _Clock(time_limit)
    setup = _setup(problem)
    single = _singleton(setup)
    if single is not None:
        return _conflict(setup, single, minimal=True)
    start, decided = _initial(setup, clock)
    if start is None:
        if decided:
            return None
        raise TimeoutError(
            f"could not decide within time_limit={time_limit:g} s whether the constraints "
            "can hold together"
        )
    sel, minimal = _Filter(setup, start, clock).run()
    return _conflict(setup, sel, minimal=minimal)


def diagnose(problem: AssignmentProblem, *, time_limit: float = 10.0) -> Diagnosis | None:
    """Why ``problem`` has no assignment: the sentence, and the leads and bounds it names.

    Unit-weight problems without hard value bounds get the quick witnesses first
    (totals, leads without room, Hall witnesses read off a maximum flow; with a soft
    load band only ``capacity`` counts); the others, or when those find no specific
    reason, get :func:`find_conflict`'s minimal set. The answer is remembered for
    the problem object, so asking again after a solver explained it costs nothing.

    Parameters
    ----------
    problem : AssignmentProblem
    time_limit : float, default 10.0
        Seconds for :func:`find_conflict`.

    Returns
    -------
    Diagnosis or None
        ``None`` when every constraint can hold together.

    Raises
    ------
    TimeoutError
        If :func:`find_conflict` could not decide within ``time_limit``.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose import diagnose
    >>> p = fl.AssignmentProblem(
    ...     value=np.ones((3, 2)), capacity=[1, 5], eligible=[[1, 0], [1, 0], [1, 1]],
    ...     lead_labels=["a", "b", "c"], manager_labels=["ann", "bob"])
    >>> found = diagnose(p)
    >>> print(found)
    2 leads can only go to manager 'ann', which can take 1 (capacity/max_load); short by 1, e.g. lead 'b'
    >>> found.leads.tolist(), found.bounds
    ([0, 1], (('capacity', 0),))
    """  # noqa: E501
    require_problem(problem)
    _check_time_limit(time_limit)
    known = recall(problem, "diagnosis")
    if known is not None:
        remembered: Diagnosis = known[0]
        return remembered
    if problem.unit_weights and not (problem.has_value_bounds and problem.value_penalty is None):
        quick = quick_diagnosis(_hard_counts(problem))
        if quick is not None:
            remember(problem, "diagnosis", quick)
            return quick
    conflict = find_conflict(problem, time_limit=time_limit)
    if conflict is None:
        return None
    bounds = tuple(
        (_bound_kind(c.kind), c.index) for c in conflict.constraints if c.kind != "assign"
    )
    found = Diagnosis(
        message=conflict.message,
        leads=np.asarray(conflict.leads, dtype=np.int64),
        bounds=bounds,
        minimal=conflict.minimal,
    )
    remember(problem, "diagnosis", found)
    return found


def _bound_kind(kind: str) -> BoundKind:
    for known in ("capacity", "min_load", "min_value", "max_value"):
        if kind == known:
            return known
    raise ValueError(f"not a manager bound: {kind!r}")


def _hard_counts(problem: AssignmentProblem) -> AssignmentProblem:
    """``problem`` as the quick checks read it: with a soft band only capacity bounds the load."""
    if problem.load_penalty is None:
        return problem
    return AssignmentProblem(
        value=problem.value,
        capacity=problem.capacity,
        eligible=problem.eligible,
        allow_unassigned=problem.allow_unassigned,
        lead_labels=problem.lead_labels,
        manager_labels=problem.manager_labels,
    )


def explain(problem: AssignmentProblem, *, time_limit: float = 10.0) -> str:
    """Why ``problem`` has no assignment, in one or two sentences with numbers.

    Call it once a solver has found the problem infeasible: the sentence of
    :func:`diagnose` (quick witnesses for unit workloads, else :func:`find_conflict`).

    Parameters
    ----------
    problem : AssignmentProblem
    time_limit : float, default 10.0
        Seconds for :func:`find_conflict`.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> from fairlead.diagnose import explain_conflict as explain
    >>> p = fl.AssignmentProblem(value=np.array([[0.5, 0.4], [0.4, 0.9]]), capacity=[2, 2],
    ...                          min_load=[0, 1], max_value=[2.0, 0.3],
    ...                          manager_labels=["ann", "bob"])
    >>> explain(p)
    "max_value of manager 'bob' (0.3) is below what its min_load of 1 forces (at least 0.4)"
    """
    try:
        found = diagnose(problem, time_limit=time_limit)
    except TimeoutError:
        return f"{UNKNOWN_REASON} (no smaller conflict isolated within {time_limit:g} s)"
    if found is None:
        return "every constraint can hold together: no conflict found"
    return found.message
