"""The ``cp_sat`` method: options, hint, stages, and the bound from the relaxation."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np

from fairlead.core import AssignmentProblem, InputError, IntArray, violations
from fairlead.solvers._base import (
    Outcome,
    Solver,
    SolveStatus,
    check_option,
    infeasible_outcome,
    register,
)
from fairlead.solvers._cp_sat_explain import explain
from fairlead.solvers._cp_sat_model import build
from fairlead.solvers._cp_sat_scales import Objective, Scales, model_scales
from fairlead.solvers._cp_sat_stages import Relaxation, Run, Settings, closed, run_stages, to_value
from fairlead.solvers.greedy import GreedySolver
from fairlead.solvers.min_cost_flow import MinCostFlowSolver


def _check_options(
    time_limit: float | None,
    workers: int | None,
    objective: str,
    seed: int,
    relative_gap: float,
    hint: bool,
) -> None:
    def bad(name: str, want: str, got: object) -> ValueError:
        return InputError(f"option {name!r} of method 'cp_sat' must be {want}, got {got!r}")

    for name, value in (
        ("time_limit", time_limit),
        ("workers", workers),
        ("relative_gap", relative_gap),
    ):
        check_option(name, value, "cp_sat")
    if objective not in ("value", "maxmin"):
        raise bad("objective", "'value' or 'maxmin'", objective)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise bad("seed", "an int >= 0", seed)
    if not isinstance(hint, bool | np.bool_):
        raise bad("hint", "a bool", hint)


def _no_solution(n: int, time_limit: float | None, timings: dict[str, float]) -> Outcome:
    within = "before it stopped" if time_limit is None else f"within {time_limit:g} s"
    return Outcome(
        manager_of=np.full(n, -1, dtype=np.int64),
        status=SolveStatus.TIME_LIMIT,
        message=f"cp_sat found no assignment {within}; a longer time_limit may find one",
        timings=timings,
    )


def _pure_transportation(problem: AssignmentProblem) -> bool:
    """Whether ``min_cost_flow`` solves the problem (and gives an optimal hint)."""
    return problem.unit_weights and not problem.has_value_bounds and problem.load_penalty is None


def _initial_hint(problem: AssignmentProblem) -> IntArray | None:
    if _pure_transportation(problem):
        outcome = MinCostFlowSolver().run(problem)
        if outcome.status is SolveStatus.OPTIMAL:
            return outcome.manager_of
        return None
    return GreedySolver().run(problem).manager_of


@register
class CpSatSolver(Solver):
    """Exact solver for every feature of :class:`~fairlead.AssignmentProblem` (CP-SAT).

    Weighted leads (the generalized assignment problem), value bounds, soft
    preferences and soft bands, ``allow_unassigned`` (as many leads as possible
    first) and an optional max-min fairness objective. See the module docstring for
    the model and how floats become integers (:func:`model_scales`).

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> import fairlead.solvers.cp_sat  # registers "cp_sat"
    >>> p = fl.AssignmentProblem(
    ...     value=np.array([[6.0, 5.0], [4.0, 5.0], [3.0, 1.0]]),
    ...     capacity=[3, 2],
    ...     weight=[[2, 1], [2, 2], [1, 1]],
    ... )
    >>> sol = fl.solve(p, method="cp_sat", workers=1)
    >>> sol.manager_of.tolist(), sol.objective, sol.status.name
    ([0, 1, 0], 14.0, 'OPTIMAL')
    >>> sol.loads.tolist(), sol.bound
    ([3.0, 2.0], 14.0)

    Max-min fairness: first the smallest share of the target load, then value.

    >>> q = fl.AssignmentProblem(value=[[1.0, 0.0]] * 4, capacity=[4, 4])
    >>> fl.solve(q, method="cp_sat", workers=1).loads.tolist()
    [4.0, 0.0]
    >>> fl.solve(q, method="cp_sat", objective="maxmin", workers=1).loads.tolist()
    [2.0, 2.0]
    """

    name = "cp_sat"
    exact = True
    description = (
        "exact; OR-Tools CP-SAT; weighted leads, value bounds, soft bands, max-min fairness"
    )

    def run(
        self,
        problem: AssignmentProblem,
        *,
        time_limit: float | None = 30.0,
        workers: int | None = None,
        objective: Objective = "value",
        hint: bool = True,
        seed: int = 0,
        relative_gap: float = 0.0,
    ) -> Outcome:
        """Solve ``problem``; stop at ``time_limit`` seconds with the best found.

        Parameters
        ----------
        problem : AssignmentProblem
        time_limit : float or None, default 30.0
            Seconds for the whole solve (every stage); ``None`` for no limit.
        workers : int, optional
            CP-SAT search workers; default ``os.cpu_count()``.
        objective : {"value", "maxmin"}, default "value"
            ``"maxmin"`` first maximizes the smallest ``load_j / target_load_j``
            (managers with a target > 0), then the value with it held.
        hint : bool, default True
            Start from the ``min_cost_flow`` optimum (unit weights, no value
            bounds, hard loads) or the ``greedy`` assignment.
        seed : int, default 0
            CP-SAT's random seed.
        relative_gap : float, default 0.0
            Stop the last stage once the relative gap is below this (the status
            is then ``FEASIBLE`` unless the gap closed).

        Returns
        -------
        Outcome
            ``OPTIMAL`` (proven up to the stated rounding), ``FEASIBLE`` (a valid
            assignment; ``bound`` from CP-SAT's best bound when every earlier stage
            was proven), ``INFEASIBLE`` (with the reason) or ``TIME_LIMIT``. The
            bound is on the last stage: the value (minus penalties) among
            assignments that place as many leads and, with ``"maxmin"``, keep the
            smallest share.
        """
        _check_options(time_limit, workers, objective, seed, relative_gap, hint)
        start = time.perf_counter()
        timings: dict[str, float] = {}
        n = problem.n_leads
        settings = Settings(
            deadline=None if time_limit is None else start + float(time_limit),
            workers=int(workers) if workers is not None else (os.cpu_count() or 1),
            seed=int(seed) % 2**31,  # CP-SAT's seed is an int32
            relative_gap=float(relative_gap),
        )
        maxmin = objective == "maxmin"
        scales = model_scales(problem, objective=objective)
        # the reported bound adds each placed lead's rounding, and the score may fall
        # short of the rounded objective by as much again
        settings = replace(settings, gap_slack=2 * scales.value_rounding * n * scales.objective + 1)
        built = build(problem, scales, relaxed=False, maxmin=maxmin)
        timings["build"] = time.perf_counter() - start
        if not built.feasible:
            return self._infeasible(problem, timings)
        first: IntArray | None = None
        if hint:
            tick = time.perf_counter()
            first = _initial_hint(problem)
            if first is not None:
                chosen = (first[built.unit] == built.manager).astype(np.int64)
                built.hint(np.arange(built.n_pairs, dtype=np.int64), chosen)
            timings["hint"] = time.perf_counter() - tick

        stages = (["count"] if problem.allow_unassigned else []) + (
            ["share"] if "share" in built.objectives else []
        )
        stages.append("value")
        run = run_stages(built, stages, settings)
        timings["solve"] = run.seconds

        if run.solution is None:
            if run.infeasible and scales.exact:
                return self._infeasible(problem, timings)
            if run.infeasible:
                return self._from_relaxation(problem, scales, stages, settings, timings, maxmin)
            if first is not None and not violations(problem, first):
                # stopped before CP-SAT reported any solution (large models spend the
                # time in presolve): the hint is a valid assignment, so return it
                return Outcome(manager_of=first, status=SolveStatus.FEASIBLE, timings=timings)
            return _no_solution(n, time_limit, timings)

        manager_of = built.assignment(run.solution, n)
        broken = violations(problem, manager_of)
        if broken:  # a safety net: the rounding is conservative, so this should not happen
            return Outcome(
                manager_of=manager_of,
                status=SolveStatus.FAILED,
                message="cp_sat's assignment breaks a constraint: " + "; ".join(broken[:3]),
                timings=timings,
            )
        complete = run.last == "value"
        proven = run.proven and complete
        bound_int = run.bound if complete else None
        if not scales.exact and bound_int is not None:
            tick = time.perf_counter()
            relaxation = self._relaxed_bound(problem, scales, run, settings, maxmin)
            timings["bound"] = time.perf_counter() - tick
            bound_int = relaxation.bound
            if relaxation.manager_of is not None:  # the relaxation did better, and holds
                manager_of = relaxation.manager_of
                proven = relaxation.confirmed
            proven = proven and relaxation.confirmed
        bound = None if bound_int is None else to_value(bound_int, scales, problem, manager_of)
        proven = proven and bound is not None and closed(bound, problem, manager_of, scales)
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE,
            bound=bound,
            timings=timings,
        )

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _relaxed_bound(
        problem: AssignmentProblem,
        scales: Scales,
        run: Run,
        settings: Settings,
        maxmin: bool,
    ) -> Relaxation:
        """Bound from the relaxation, and whether it confirms the restriction's optimum.

        When the relaxation's own answer is lexicographically better and still holds
        in floats, it is returned instead (it is then optimal if proven).
        """
        relaxed = build(problem, scales, relaxed=True, maxmin=maxmin)
        assert run.solution is not None
        relaxed.hint(np.arange(relaxed.n_pairs, dtype=np.int64), run.solution[: relaxed.n_pairs])
        n = problem.n_leads
        if problem.allow_unassigned:
            check = run_stages(relaxed, ["count"], settings)
            if check.solution is None or not check.proven:
                return Relaxation(None, False)
            relaxed.fix("count", check.objective)
            if check.objective != run.found["count"]:  # the relaxation places more leads
                relaxed.hint(np.arange(check.solution.size, dtype=np.int64), check.solution)
                rest: list[str] = [s for s in ("share", "value") if s in relaxed.objectives]
                more = run_stages(relaxed, rest, settings)
                if more.solution is None or more.last != "value":
                    return Relaxation(None, False)
                better = relaxed.assignment(more.solution, n)
                if violations(problem, better):
                    return Relaxation(None, False)
                return Relaxation(more.bound, more.proven, better)
        if "share" in run.found and "share" in relaxed.objectives:
            relaxed.fix("share", run.found["share"])
        final = run_stages(relaxed, ["value"], settings)
        if final.bound is None:
            return Relaxation(None, False)
        if final.solution is not None and final.objective < run.objective:
            better = relaxed.assignment(final.solution, n)
            if not violations(problem, better):
                return Relaxation(final.bound, final.proven, better)
        return Relaxation(final.bound, final.bound >= run.objective)

    def _from_relaxation(
        self,
        problem: AssignmentProblem,
        scales: Scales,
        stages: list[str],
        settings: Settings,
        timings: dict[str, float],
        maxmin: bool,
    ) -> Outcome:
        """The conservative model is infeasible: ask the relaxation."""
        tick = time.perf_counter()
        relaxed = build(problem, scales, relaxed=True, maxmin=maxmin)
        run = run_stages(relaxed, stages, settings)
        timings["bound"] = time.perf_counter() - tick
        n = problem.n_leads
        if run.solution is None:
            if run.infeasible:
                return self._infeasible(problem, timings)
            limit = None if settings.deadline is None else settings.deadline - tick
            return _no_solution(n, limit, timings)
        manager_of = relaxed.assignment(run.solution, n)
        broken = violations(problem, manager_of)
        if broken:
            return Outcome(
                manager_of=manager_of,
                status=SolveStatus.FAILED,
                message=(
                    "cp_sat found no assignment that keeps every constraint after rounding "
                    f"to integers (weight scale {scales.weight:g}): " + "; ".join(broken[:3])
                ),
                timings=timings,
            )
        complete = run.last == "value"
        bound = (
            None
            if run.bound is None or not complete
            else to_value(run.bound, scales, problem, manager_of)
        )
        return Outcome(
            manager_of=manager_of,
            status=SolveStatus.OPTIMAL if run.proven and complete else SolveStatus.FEASIBLE,
            bound=bound,
            timings=timings,
        )

    @staticmethod
    def _infeasible(problem: AssignmentProblem, timings: dict[str, float]) -> Outcome:
        return infeasible_outcome(problem, timings, explain)
