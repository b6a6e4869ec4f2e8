"""Shared loop of the baselines: leads one at a time, each to a manager with room."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from fairlead.core import AssignmentProblem, BoolArray, FloatArray, IntArray
from fairlead.solvers._base import Outcome, SolveStatus

# Choose a manager for lead ``i`` among ``fits`` (non-empty mask) given the loads.
Chooser = Callable[[int, BoolArray, FloatArray], int]

_ROOM_TOL = 1e-9


def place_one_by_one(
    problem: AssignmentProblem,
    order: Iterable[int] | npt.NDArray[np.int64],
    choose: Chooser,
    *,
    method: str,
) -> Outcome:
    """Give each lead, in ``order``, to ``choose``'s pick among eligible managers with room.

    A lead that fits nowhere stays unassigned; unless the problem allows that,
    the outcome is ``FAILED`` with the count and an example.
    """
    n, m = problem.n_leads, problem.n_managers
    upper = problem.upper_load + _ROOM_TOL
    weights = problem.weight_matrix()
    eligible = problem.eligible
    loads = np.zeros(m, dtype=np.float64)
    manager_of = np.full(n, -1, dtype=np.int64)
    stranded: list[int] = []
    for i in order:
        w = weights[i]
        fits = eligible[i] & (loads + w <= upper)
        if not fits.any():
            stranded.append(int(i))
            continue
        j = choose(int(i), fits, loads)
        manager_of[i] = j
        loads[j] += w[j]
    if stranded and not problem.allow_unassigned:
        example = problem.lead_name(stranded[0])
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.FAILED,
            message=(
                f"{method} could not place {len(stranded)} lead(s): every eligible manager "
                f"was full when their turn came (e.g. {example})"
            ),
        )
    return Outcome(manager_of=manager_of, status=SolveStatus.FEASIBLE)


def next_in_rotation(candidates: IntArray, pointer: int) -> int:
    """First candidate index at or after ``pointer``, wrapping around."""
    k = int(np.searchsorted(candidates, pointer))
    return int(candidates[k] if k < candidates.size else candidates[0])
