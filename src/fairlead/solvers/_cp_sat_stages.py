"""Lexicographic stages of a CP-SAT solve, and CP-SAT's bound read back as a value."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# The C++ layer only: ``ortools.sat.python.cp_model`` imports pandas.
from ortools.sat.python import cp_model_helper as cmh

from fairlead.core import AssignmentProblem, IntArray, penalty_of
from fairlead.formulation import STATUS, CpModel
from fairlead.solvers._cp_sat_scales import Scales

_LARGE_MODEL = 50_000  # eligible pairs from which CP-SAT's presolve is kept light
_INT32_SAFE = 2**31 - 1


@dataclass
class Run:
    """What a sequence of lexicographic stages found."""

    solution: IntArray | None = None
    infeasible: bool = False
    proven: bool = True  # every stage so far ended with a proof
    objective: int = 0  # minimized objective of the last stage solved
    bound: int | None = None  # CP-SAT's lower bound on it (valid if earlier stages proven)
    found: dict[str, int] = field(default_factory=dict)  # best per stage
    last: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Relaxation:
    """What the relaxation says: a bound, a confirmation, maybe a better assignment."""

    bound: int | None  # lower bound on the minimized value stage (valid for the floats)
    confirmed: bool  # the answer (the restriction's, or ``manager_of``) is optimal
    manager_of: IntArray | None = None  # the relaxation's own answer, valid in floats


@dataclass(frozen=True)
class Settings:
    """Limits and seeds of one solve."""

    deadline: float | None
    workers: int
    seed: int
    relative_gap: float
    # objective units by which the reported gap (in values, after rounding) may exceed
    # CP-SAT's own: the last stage is re-run tighter until the reported gap also holds
    gap_slack: float = 0.0


def _remaining(settings: Settings) -> float | None:
    if settings.deadline is None:
        return None
    return settings.deadline - time.perf_counter()


def run_stages(built: CpModel, stages: list[str], settings: Settings) -> Run:
    """Solve ``stages`` in turn, each fixing the optimum of the previous one."""
    run = Run()
    for position, stage in enumerate(stages):
        last = position == len(stages) - 1
        variables, coeffs = built.set_objective(stage)
        remaining = _remaining(settings)
        if remaining is not None and remaining <= 0 and run.solution is not None:
            run.proven = False
            break
        params = cmh.SatParameters()
        params.num_workers = settings.workers
        params.random_seed = settings.seed
        if built.heaviest > _INT32_SAFE:
            # OR-Tools 9.15 sums a row's Boolean coefficients in a 32-bit int in one
            # presolve rule and can then drop optimal solutions (or-tools#5293); that
            # rule is off for rows whose coefficients add up beyond 2**31
            params.presolve_inclusion_work_limit = 0
        if stage == "share" and settings.workers == 1:
            # one worker's default search raises a lone objective variable with a
            # wide domain one step at a time; the portfolio of strategies does not
            params.search_branching = cmh.SatParameters.SearchBranching.PORTFOLIO_SEARCH
        if built.n_pairs >= _LARGE_MODEL:
            # presolve of a large assignment model is long and single-threaded; one
            # pass without probing leaves the time to the search (and the hint)
            params.max_presolve_iterations = 1
            params.cp_model_probing_level = 0
            params.symmetry_level = 0
        if remaining is not None:
            params.max_time_in_seconds = max(remaining, 1e-3)
        if last and settings.relative_gap > 0:
            params.relative_gap_limit = settings.relative_gap
        start = time.perf_counter()
        response = built.solve(params)
        if last and settings.relative_gap > 0:
            response = _close_reported_gap(built, params, response, settings, (variables, coeffs))
        status = response.status
        run.seconds += time.perf_counter() - start
        if status == STATUS.INFEASIBLE:
            run.infeasible = run.solution is None
            run.proven = run.proven and run.infeasible
            break
        if status not in (STATUS.OPTIMAL, STATUS.FEASIBLE):
            run.proven = False
            break
        solution = np.fromiter(response.solution, dtype=np.int64)
        value = int(coeffs @ solution[variables])
        bound = int(response.inner_objective_lower_bound)
        run.solution = solution
        run.objective = value
        run.bound = bound if run.proven else None
        run.proven = run.proven and status == STATUS.OPTIMAL and bound >= value
        run.found[stage] = value
        run.last = stage
        if not last:
            built.fix(stage, value)
            built.hint(np.arange(solution.size, dtype=np.int64), solution)
    return run


def _close_reported_gap(
    built: CpModel,
    params: cmh.SatParameters,
    response: Any,
    settings: Settings,
    objective: tuple[IntArray, IntArray],
) -> Any:
    """Re-run a gap-limited last stage until the gap as reported in values holds.

    CP-SAT stops on its own integer gap; the reported bound adds the rounding slack,
    so the reported gap can exceed the limit asked for by a little. Each retry starts
    from the previous answer with a limit tightened by that slack (at most 3 times,
    within the time left).
    """
    for _ in range(3):
        # CP-SAT reports OPTIMAL when it stops on the gap limit
        if response.status not in (STATUS.OPTIMAL, STATUS.FEASIBLE):
            return response
        solution = np.fromiter(response.solution, dtype=np.int64)
        variables, coeffs = objective
        value = float(coeffs @ solution[variables])
        bound = float(response.inner_objective_lower_bound)
        scale = max(abs(bound) - settings.gap_slack, 1.0)
        if (value - bound + settings.gap_slack) / scale <= settings.relative_gap:
            return response
        remaining = _remaining(settings)
        if remaining is not None and remaining <= 0:
            return response
        if remaining is not None:
            params.max_time_in_seconds = max(remaining, 1e-3)
        # CP-SAT stops once (objective - bound) <= limit * |objective| (offset included);
        # ours needs (objective - bound + slack) <= gap * (|bound| - slack)
        room = settings.relative_gap * scale - settings.gap_slack
        room /= max(abs(float(response.best_objective_bound)), 1.0)
        params.relative_gap_limit = room / (1 + room) if room > 0 else 0.0
        built.hint(np.arange(solution.size, dtype=np.int64), solution)
        response = built.solve(params)
    return response


def to_value(
    bound_int: int, scales: Scales, problem: AssignmentProblem, manager_of: IntArray
) -> float:
    """CP-SAT's lower bound on the minimized objective as an upper bound on the score.

    Rounding moved each pair's value by at most ``scales.value_rounding``; soft bands
    are never overcharged. The bound is at least the score of ``manager_of``, a
    feasible assignment, which float noise could otherwise undercut.
    """
    bound = -bound_int / scales.objective + scales.value_rounding * problem.n_leads
    assigned = manager_of >= 0
    score = float(problem.value[assigned, manager_of[assigned]].sum())
    return max(bound, score - penalty_of(problem, manager_of))


def closed(bound: float, problem: AssignmentProblem, manager_of: IntArray, scales: Scales) -> bool:
    """Whether ``bound`` meets the score up to the stated rounding (optimality proven).

    CP-SAT proves the integer model optimal; the float problem is optimal up to the
    rounding of values (``2 n value_rounding``) and of soft-band prices
    (``band_slack``).
    """
    assigned = manager_of >= 0
    score = float(problem.value[assigned, manager_of[assigned]].sum())
    score -= penalty_of(problem, manager_of)
    top = float(np.max(np.abs(problem.value), initial=0.0))
    n = problem.n_leads
    slack = 2 * n * scales.value_rounding + scales.band_slack
    slack += 1e-9 * max(abs(score), abs(bound)) + 1e-12 * n * top
    return bound - score <= slack
