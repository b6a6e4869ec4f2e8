"""The strategies compared in the simulator: CRM baselines and fairlead's batch solve."""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, FloatArray, IntArray
from fairlead.sim._strategy import DecisionContext, Strategy
from fairlead.sim._world import World
from fairlead.solvers import SolveStatus, get_solver, list_methods, solve

#: Past this tolerance the band is dropped: leads then go to anyone with room.
_WIDEST_BAND = 4.0


def _number(value: object) -> bool:
    """A finite real number, not a bool."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, Real):
        return False
    return math.isfinite(value)


def exact_methods() -> list[str]:
    """The registered exact methods available here, and ``"auto"`` (which picks one).

    :class:`FairleadBatch` needs every batch's floors and ceilings kept and the optimum
    found; heuristics (greedy, round robin ...) may break the band.

    Examples
    --------
    >>> "min_cost_flow" in exact_methods(), "greedy" in exact_methods()
    (True, False)
    """
    return ["auto", *(name for name in list_methods() if get_solver(name).exact)]


def _floors_that_fit(lower: np.ndarray, leads: int) -> np.ndarray:
    """Keep the floors of the managers furthest behind, as many as ``leads`` can fill.

    Examples
    --------
    >>> _floors_that_fit(np.array([1.0, 3.0, 2.0]), 4).tolist()
    [0.0, 3.0, 1.0]
    """
    if lower.sum() <= leads:
        return lower
    kept = np.zeros_like(lower)
    left = float(leads)
    for j in np.argsort(-lower, kind="stable").tolist():
        take = min(lower[j], left)
        kept[j] = take
        left -= take
        if left <= 0:
            break
    return kept


#: Picks a manager for waiting lead ``k`` among ``fits`` given the ``room`` left.
Choose = Callable[[int, BoolArray, IntArray], int]


def _one_by_one(context: DecisionContext, order: IntArray, choose: Choose) -> IntArray:
    """Place leads in ``order``, each by ``choose``, keeping track of the room left."""
    pick = np.full(context.leads.size, -1, dtype=np.int64)
    room = context.room.copy()
    for k in order.tolist():
        fits = context.eligible[k] & (room > 0)
        if fits.any():
            j = choose(k, fits, room)
            pick[k] = j
            room[j] -= 1
    return pick


class RoundRobin(Strategy):
    """Round robin (Bitrix24, amoCRM): the next manager in a fixed order who may take it.

    Managers off shift, unqualified or full are skipped and keep their turn for later.

    Examples
    --------
    >>> RoundRobin().name
    'round robin'
    """

    name = "round robin"
    _next: int = 0

    def reset(self, world: World) -> None:
        """Start the turn at the first manager."""
        self._next = 0

    def decide(self, context: DecisionContext) -> IntArray:
        """Each waiting lead to the next eligible manager in turn."""
        m = context.room.size

        def turn(k: int, fits: BoolArray, room: IntArray) -> int:
            order = (np.arange(m) + self._next) % m
            j = int(order[np.argmax(fits[order])])
            self._next = (j + 1) % m
            return j

        return _one_by_one(context, np.arange(context.leads.size), turn)


class LeastLoaded(Strategy):
    """Fewest open leads first (a common CRM rule); ties go to who received fewer so far.

    Examples
    --------
    >>> LeastLoaded().name
    'least loaded'
    """

    name = "least loaded"

    def decide(self, context: DecisionContext) -> IntArray:
        """Each waiting lead to the eligible manager holding the fewest open leads."""
        opened = context.open.astype(np.float64).copy()
        received = context.received.astype(np.float64)

        def fewest(k: int, fits: BoolArray, room: IntArray) -> int:
            key = np.where(fits, opened + received * 1e-6, np.inf)
            j = int(np.argmin(key))
            opened[j] += 1
            return j

        return _one_by_one(context, np.arange(context.leads.size), fewest)


class WeightedRandom(Strategy):
    """Weighted random (Odoo CRM): a draw with chance proportional to each free slot.

    Examples
    --------
    >>> WeightedRandom().name
    'weighted random'
    """

    name = "weighted random"

    def decide(self, context: DecisionContext) -> IntArray:
        """Each waiting lead to a random eligible manager, weighted by free slots."""
        rng = context.rng

        def draw(k: int, fits: BoolArray, room: IntArray) -> int:
            weight = np.where(fits, room, 0).astype(np.float64)
            return int(rng.choice(weight.size, p=weight / weight.sum()))

        return _one_by_one(context, np.arange(context.leads.size), draw)


class Greedy(Strategy):
    """Hot leads to the best: hottest first, each to the manager it should convert best with.

    Uses the same value estimates as fairlead but no fairness and no look-ahead.

    Examples
    --------
    >>> Greedy().name
    'greedy'
    """

    name = "greedy"

    def decide(self, context: DecisionContext) -> IntArray:
        """Each waiting lead, hottest first, to the eligible manager of highest value."""
        value = context.value

        def best(k: int, fits: BoolArray, room: IntArray) -> int:
            return int(np.argmax(np.where(fits, value[k], -np.inf)))

        order = np.lexsort((-context.waited, context.tier)).astype(np.int64)
        return _one_by_one(context, order, best)


class FairleadBatch(Strategy):
    """fairlead: every ``interval`` minutes, solve the waiting leads exactly with a fair band.

    Each manager's cumulative count is kept within ``tolerance`` of their fair share
    (capacity times time on shift so far, see :meth:`DecisionContext.fair_share`): at
    every solve manager ``j`` takes between ``floor((1 - tolerance) * T_j) - r_j`` and
    ``ceil((1 + tolerance) * T_j) - r_j`` leads, where ``T_j`` is their share of all
    leads assigned so far and waiting now and ``r_j`` what they have received, within
    their free slots. The solve maximizes the estimated conversions (``method``, exact).

    A fresh lead is never held back by the band: if the band leaves it over, the band is
    widened step by step (``2 t + 0.05``) until someone with room takes it, because every
    minute of delay costs conversions. A stale lead, one that has already waited
    ``stale_after`` minutes (it arrived overnight, say), has lost most of what speed can
    give; it waits up to ``max_hold`` more minutes for a manager within the band, so the
    first shift of the morning does not take the whole night's backlog.

    Parameters
    ----------
    interval : float or None, default 1
        Minutes between solves; None solves at every arrival (and whenever a slot frees
        while leads wait), as a CRM webhook would (:class:`OnlineRouter` is fairlead's
        router itself, which prices each lead instead of solving).
    tolerance : float or None, default 0.1
        Width of the fair band; None solves without it (capacity only: the unconstrained
        counterpart that the price of fairness is measured against).
    stale_after : float or None, default 60
        Minutes after which a waiting lead counts as stale; None never holds a lead.
    max_hold : float, default 180
        Minutes a stale lead may be held for the band.
    method : str, default "min_cost_flow"
        Solver for each batch: an exact method of :func:`fairlead.list_methods`
        (``"min_cost_flow"``, ``"sifting"``, ``"cp_sat"``) or ``"auto"``; heuristics are
        refused, since they may break the band.
    name : str, optional
        Label in reports; by default built from the interval and the band.

    Examples
    --------
    >>> FairleadBatch().name
    'fairlead batch 1 min ±10%'
    >>> FairleadBatch(tolerance=None).name
    'fairlead batch 1 min unconstrained'
    """

    def __init__(
        self,
        *,
        interval: float | None = 1.0,
        tolerance: float | None = 0.1,
        stale_after: float | None = 60.0,
        max_hold: float = 180.0,
        method: str = "min_cost_flow",
        name: str | None = None,
    ) -> None:
        if interval is not None and not (_number(interval) and interval > 0):
            raise ValueError(
                f"interval must be a positive number of minutes or None, got {interval!r}"
            )
        if tolerance is not None and not (_number(tolerance) and tolerance >= 0):
            raise ValueError(f"tolerance must be >= 0 or None, got {tolerance!r}")
        if stale_after is not None and not (_number(stale_after) and stale_after >= 0):
            raise ValueError(f"stale_after must be >= 0 minutes or None, got {stale_after!r}")
        if not (_number(max_hold) and max_hold >= 0):
            raise ValueError(f"max_hold must be >= 0 minutes, got {max_hold!r}")
        exact = exact_methods()
        if method not in exact:
            heuristic = isinstance(method, str) and method in list_methods()
            why = "is a heuristic, which may break the fair band" if heuristic else "is unknown"
            raise ValueError(
                f"method {method!r} {why}; FairleadBatch needs an exact method: "
                + ", ".join(repr(name) for name in exact)
            )
        self.interval = None if interval is None else float(interval)
        self.tolerance = tolerance
        self.stale_after = stale_after
        self.max_hold = float(max_hold)
        self.method = method
        band = "unconstrained" if tolerance is None else f"±{tolerance:.0%}"
        every = "on arrival" if interval is None else f"batch {interval:g} min"
        self.name = name or f"fairlead {every} {band}"

    def reset(self, world: World) -> None:
        """Forget when leads were first offered."""
        self._first_offered: dict[int, float] = {}

    def _may_hold(self, context: DecisionContext) -> BoolArray:
        """Stale leads offered for less than ``max_hold`` minutes may wait for the band."""
        if self.stale_after is None:
            return np.zeros(context.leads.size, dtype=bool)
        offered = getattr(self, "_first_offered", {})
        self._first_offered = offered
        first = np.array(
            [offered.setdefault(i, context.now) for i in context.leads.tolist()], dtype=np.float64
        )
        return (context.waited >= self.stale_after) & (context.now - first < self.max_hold)

    def decide(self, context: DecisionContext) -> IntArray:
        """Solve the waiting leads within the fair band, widening it for fresh leads left over."""
        room = context.room.astype(np.float64)
        everyone = np.ones(context.leads.size, dtype=bool)
        if self.tolerance is None:
            return self._solve(context, np.zeros_like(room), room, everyone)
        target = context.fair_share() * float(context.received.sum() + context.leads.size)
        movable = ~self._may_hold(context)
        tolerance = self.tolerance
        pick = self._solve(context, *self._band(context, target, tolerance), everyone)
        # Fresh leads the band leaves over would wait: widen the band step by step and
        # solve again from scratch (the leads placed so far may move to make room),
        # ending with free slots only, so a fresh lead waits only when nobody can take it.
        while ((pick < 0) & movable).any() and not math.isinf(tolerance):
            tolerance = 2.0 * tolerance + 0.05 if tolerance < _WIDEST_BAND / 2 else math.inf
            rows = movable | (pick >= 0)
            pick = self._solve(context, *self._band(context, target, tolerance), rows)
        return pick

    @staticmethod
    def _band(
        context: DecisionContext, target: FloatArray, tolerance: float
    ) -> tuple[FloatArray, FloatArray]:
        """Fewest and most leads each manager may take now (within their free slots)."""
        room = context.room.astype(np.float64)
        if math.isinf(tolerance):
            return np.zeros_like(room), room
        ceiling = np.ceil((1.0 + tolerance) * target - 1e-9)
        received = context.received.astype(np.float64)
        upper = np.clip(ceiling - received, 0.0, room)
        floor = np.floor(max(1.0 - tolerance, 0.0) * target + 1e-9)
        return np.clip(floor - received, 0.0, upper), upper

    def _solve(
        self, context: DecisionContext, lower: np.ndarray, upper: np.ndarray, rows: np.ndarray
    ) -> IntArray:
        pick = np.full(context.leads.size, -1, dtype=np.int64)
        eligible = context.eligible & rows[:, None] & (upper > 0)[None, :]
        placeable = np.flatnonzero(eligible.any(axis=1))
        if placeable.size == 0:
            return pick
        lower = _floors_that_fit(np.where(upper > 0, lower, 0.0), placeable.size)
        problem = AssignmentProblem(
            value=context.value[placeable],
            capacity=upper,
            eligible=eligible[placeable],
            min_load=lower,
            allow_unassigned=True,
        )
        solution = solve(problem, method=self.method)
        if solution.status is SolveStatus.INFEASIBLE and lower.any():
            # The lagging managers cannot take these leads (qualification): no floor.
            return self._solve(context, np.zeros_like(lower), upper, rows)
        if solution.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
            raise RuntimeError(f"{self.name}: batch solve failed: {solution.message}")
        pick[placeable] = solution.manager_of
        return pick
