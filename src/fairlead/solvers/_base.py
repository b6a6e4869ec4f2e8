"""The solver interface, the result type and the registry of methods by name."""

from __future__ import annotations

import enum
import inspect
import time
from abc import ABC
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from fairlead.core import (
    AssignmentProblem,
    FloatArray,
    InputError,
    IntArray,
    penalty_of,
    violations,
)


class SolveStatus(enum.Enum):
    """Outcome of a solve.

    ``OPTIMAL``: proven best. ``FEASIBLE``: every constraint holds, optimality not
    proven (heuristics, time limits with a solution). ``INFEASIBLE``: proven that no
    assignment satisfies the constraints; ``Solution.message`` says which cannot
    hold. ``TIME_LIMIT``: stopped by the time limit without a solution.
    ``FAILED``: a heuristic could not satisfy every constraint although the problem
    may be feasible; ``Solution.message`` names the broken constraint.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    FAILED = "failed"

    @property
    def has_solution(self) -> bool:
        """Whether ``manager_of`` satisfies every constraint of the problem."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


@dataclass(frozen=True, eq=False)
class Solution:
    """The result of :func:`fairlead.solve`: one manager per lead, and how it was found.

    Attributes
    ----------
    manager_of : ndarray of int64, shape (n,)
        Manager index of each lead, ``-1`` for an unassigned lead.
    objective : float
        Sum of ``value`` over the chosen pairs, recomputed in floats.
    bound : float or None
        Proven upper bound on the optimum, when the method proves one; never below
        the score of the solution returned with it (a bound computed in floats that
        rounds below it is lifted to it).
    status : SolveStatus
        How the solve ended.
    loads : ndarray of float64, shape (m,)
        Workload per manager.
    method : str
        Registered name of the method that produced the solution.
    wall_time : float
        Seconds spent in :func:`fairlead.solve`, validation of options included.
    message : str
        Why the problem is infeasible or which constraint a heuristic broke; empty
        otherwise.
    duals : ndarray or None
        Manager prices (LP duals), when the method provides them: what one more unit
        of a manager's workload limit is worth (``sifting``, ``lp_round``).
    unassigned_price : float or None
        With ``allow_unassigned``, the price of leaving a lead out (``sifting``;
        negative when a ``min_load`` forces leads in that would rather stay out);
        :func:`fairlead.dual_bound` of ``duals`` and this price equals ``bound`` (up
        to rounding).
    penalty : float
        What the solution pays for soft preferences and soft bands
        (``pair_penalty``, ``load_penalty``, ``value_penalty``); 0 without them.
        Solvers maximize ``objective - penalty`` (:attr:`score`), and ``bound``
        bounds that score.
    note : str
        How the method was chosen (``method="auto"``) or other remarks.
    timings : dict
        Seconds per phase (e.g. ``build``, ``solve``, ``extract``).
    """

    manager_of: IntArray
    objective: float
    bound: float | None
    status: SolveStatus
    loads: FloatArray
    method: str
    wall_time: float
    message: str = ""
    duals: FloatArray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    penalty: float = 0.0
    note: str = ""
    unassigned_price: float | None = None

    @property
    def score(self) -> float:
        """``objective - penalty``: what the solvers maximize."""
        return self.objective - self.penalty

    @property
    def n_unassigned(self) -> int:
        """Number of leads left without a manager."""
        return int(np.count_nonzero(self.manager_of < 0))

    @property
    def gap(self) -> float | None:
        """Relative gap between ``bound`` and ``objective``, when a bound is known."""
        if self.bound is None:
            return None
        return abs(self.bound - self.score) / max(abs(self.bound), 1e-12)


def loads_of(problem: AssignmentProblem, manager_of: IntArray) -> FloatArray:
    """Workload per manager of an assignment (unassigned leads count nowhere)."""
    assigned = np.flatnonzero(manager_of >= 0)
    chosen = manager_of[assigned]
    w = problem.weight
    per_lead = w[assigned] if w.ndim == 1 else w[assigned, chosen]
    return np.bincount(chosen, weights=per_lead, minlength=problem.n_managers).astype(np.float64)


def objective_of(problem: AssignmentProblem, manager_of: IntArray) -> float:
    """Sum of ``value`` over the assigned pairs, in float64."""
    assigned = np.flatnonzero(manager_of >= 0)
    return float(problem.pair_values(assigned, manager_of[assigned]).sum(dtype=np.float64))


@dataclass(frozen=True)
class Outcome:
    """What a solver's ``run`` returns; :meth:`Solver.solve` turns it into a Solution."""

    manager_of: IntArray
    status: SolveStatus
    bound: float | None = None
    message: str = ""
    duals: FloatArray | None = None
    timings: dict[str, float] = field(default_factory=dict)
    unassigned_price: float | None = None


def infeasible_outcome(
    problem: AssignmentProblem,
    timings: dict[str, float],
    reason_of: Callable[[AssignmentProblem], str],
) -> Outcome:
    """An INFEASIBLE outcome whose message is ``reason_of(problem)``, timed as ``diagnose``."""
    start = time.perf_counter()
    reason = reason_of(problem)
    timings["diagnose"] = time.perf_counter() - start
    return Outcome(
        manager_of=np.full(problem.n_leads, -1, dtype=np.int64),
        status=SolveStatus.INFEASIBLE,
        message=reason,
        timings=timings,
    )


class Solver(ABC):
    """One assignment method. Subclasses set ``name`` and implement :meth:`run`.

    ``heuristic`` solvers have their result checked against every constraint:
    one that breaks a constraint comes back ``FAILED`` with the reason.
    """

    name: ClassVar[str]
    exact: ClassVar[bool] = False
    description: ClassVar[str] = ""

    @classmethod
    def available(cls) -> bool:
        """Whether the method can run here (its dependencies are importable)."""
        return True

    # ``run(problem, *, option=...)``: each method declares its own keyword-only
    # options; :func:`register` reads their names once into ``option_names``.
    run: Callable[..., Outcome]
    option_names: ClassVar[tuple[str, ...]] = ()

    def solve(self, problem: AssignmentProblem, **options: Any) -> Solution:
        """Run the method and package its result as a :class:`Solution`."""
        start = time.perf_counter()
        self._check_options(options)
        outcome = self.run(problem, **options)
        manager_of = np.asarray(outcome.manager_of, dtype=np.int64)
        status, message = outcome.status, outcome.message
        if not self.exact and status.has_solution:
            broken = violations(problem, manager_of)
            if broken:
                status = SolveStatus.FAILED
                message = f"{self.name} broke a constraint: " + "; ".join(broken[:3])
        objective = objective_of(problem, manager_of)
        penalty = penalty_of(problem, manager_of)
        bound = outcome.bound
        if bound is not None and status.has_solution:
            # No bound is below a feasible score; a float bound (a dual evaluated with
            # prices near huge values) can round there, and is lifted back.
            bound = max(bound, objective - penalty)
        return Solution(
            manager_of=manager_of,
            objective=objective,
            bound=bound,
            status=status,
            loads=loads_of(problem, manager_of),
            method=self.name,
            wall_time=time.perf_counter() - start,
            message=message,
            duals=outcome.duals,
            timings=outcome.timings,
            penalty=penalty,
            unassigned_price=outcome.unassigned_price,
        )

    def _check_options(self, options: dict[str, Any]) -> None:
        unknown = sorted(set(options) - set(self.option_names))
        if unknown:
            takes = ", ".join(repr(a) for a in self.option_names) or "no options"
            raise InputError(
                f"method {self.name!r} does not take option {unknown[0]!r}; it takes: {takes}"
            )


_REGISTRY: dict[str, type[Solver]] = {}


def register(cls: type[Solver]) -> type[Solver]:
    """Class decorator adding a solver to the registry under ``cls.name``."""
    if cls.name in _REGISTRY:
        raise ValueError(f"a solver named {cls.name!r} is already registered")
    params = inspect.signature(cls.run).parameters
    cls.option_names = tuple(name for name, p in params.items() if p.kind is p.KEYWORD_ONLY)
    _REGISTRY[cls.name] = cls
    return cls


def list_methods() -> list[str]:
    """Names of the registered methods that are available here, sorted.

    Examples
    --------
    >>> import fairlead as fl
    >>> "min_cost_flow" in fl.list_methods()
    True
    """
    return sorted(name for name, cls in _REGISTRY.items() if cls.available())


def get_solver(method: str) -> Solver:
    """Instantiate the solver registered as ``method``.

    Raises
    ------
    InputError
        If no available method has that name; the message lists the names.
    """
    cls = _REGISTRY.get(method)
    if cls is None or not cls.available():
        known = ", ".join(repr(name) for name in list_methods())
        raise InputError(f"unknown method {method!r}; available methods: {known}")
    return cls()


def usable_options(method: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The given ``options`` that ``method`` takes, leaving out ``None`` values.

    For callers holding options meant for whichever method runs (a policy's seed and
    time limit, ``method="auto"``): options another method would take are left out,
    but an option that no registered method takes is an error (a typo, not a choice).

    Examples
    --------
    >>> usable_options("weighted_random", {"seed": 7, "time_limit": 5.0})
    {'seed': 7}
    """
    known = set().union(*(get_solver(name).option_names for name in list_methods()))
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(f"no method takes option {unknown[0]!r}", field=unknown[0])
    taken = set(get_solver(method).option_names)
    for name, value in options.items():
        if name not in taken and value is not None:
            # left out for this method, but a value no method accepts is still a mistake
            check_option(name, value)
    return {k: v for k, v in options.items() if k in taken and v is not None}


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _is_count(value: Any, least: int) -> bool:
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool)
    return whole and bool(value >= least)


# What the options several methods share must be, and the test of a value.
_SHARED_OPTIONS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "time_limit": ("a number of seconds > 0 or None", lambda v: _is_real(v) and v > 0),
    "workers": ("an int >= 1 or None", lambda v: _is_count(v, 1)),
    "relative_gap": ("a number in [0, 1)", lambda v: _is_real(v) and 0 <= v < 1),
    "seed": (
        "None, an int >= 0 or a numpy.random.Generator",
        lambda v: isinstance(v, np.random.Generator) or _is_count(v, 0),
    ),
}


def check_option(name: str, value: Any, method: str | None = None) -> None:
    """Refuse a value of a shared option (``time_limit``, ``workers``, ...) no method takes.

    ``None`` passes where the rule says so (``time_limit=None``: no limit). With
    ``method`` the message names the method.

    Examples
    --------
    >>> check_option("time_limit", -1, "cp_sat")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.InputError: option 'time_limit' of method 'cp_sat' must be a number of seconds > 0 ...
    """
    rule = _SHARED_OPTIONS.get(name)
    if rule is None or (value is None and "None" in rule[0]) or rule[1](value):
        return
    owner = "" if method is None else f" of method {method!r}"
    raise InputError(
        f"option {name!r}{owner} must be {rule[0]}, got {value!r}", field=name, value=value
    )
