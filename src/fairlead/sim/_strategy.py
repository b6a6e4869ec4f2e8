"""The interface every assignment strategy in the simulator implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from fairlead.core import BoolArray, FloatArray, IntArray
from fairlead.sim._world import World


@dataclass(frozen=True)
class DecisionContext:
    """What a strategy sees when it decides: the waiting leads and the team right now.

    The arrays are read-only copies made for this decision: a strategy that keeps track
    of what it has placed copies them first (``room = context.room.copy()``). Writing
    into them, even after switching ``writeable`` back on, changes nothing in the
    simulator, which checks every choice against its own state.

    Attributes
    ----------
    now : float
        Minutes since the start of the simulation.
    leads : ndarray of int64, (k,)
        Stream indexes of the waiting leads, oldest first.
    waited : ndarray of float64, (k,)
        Minutes each has waited.
    tier, product : ndarray of int64, (k,)
        CRM tier (0 hot, 1 warm, 2 cold) and product of each lead.
    deal_value : ndarray of float64, (k,)
    value : ndarray of float64, (k, m)
        Estimated conversion chance of each lead with each manager (what the strategy is
        allowed to know: a learned model or the oracle, see :func:`estimate_values`).
    eligible : ndarray of bool, (k, m)
        Qualified, on shift and with a free slot.
    room : ndarray of int64, (m,)
        Free slots of each manager now (0 when off shift).
    open : ndarray of int64, (m,)
        Leads each manager holds.
    capacity : ndarray of int64, (m,)
    received : ndarray of int64, (m,)
        Leads each manager has received so far.
    available_minutes : ndarray of float64, (m,)
        Minutes each manager has been on shift so far: the basis of a fair share.
    rng : numpy.random.Generator
        The strategy's own random stream (seeded from the world's seed).
    """

    now: float
    leads: IntArray
    waited: FloatArray
    tier: IntArray
    product: IntArray
    deal_value: FloatArray
    value: FloatArray
    eligible: BoolArray
    room: IntArray
    open: IntArray
    capacity: IntArray
    received: IntArray
    available_minutes: FloatArray
    rng: np.random.Generator

    def fair_share(self) -> FloatArray:
        """Each manager's fair share of leads so far: capacity times time on shift (sums to 1).

        A manager who may hold twice as many leads, or who was on shift twice as long,
        should receive twice as many.
        """
        return fair_share(self.available_minutes, self.capacity)


def fair_share(available_minutes: FloatArray, capacity: IntArray) -> FloatArray:
    """Shares proportional to ``capacity * available_minutes``, summing to 1.

    Examples
    --------
    >>> fair_share(np.array([60.0, 60.0, 0.0]), np.array([10, 30, 20])).tolist()
    [0.25, 0.75, 0.0]
    """
    weight = available_minutes * capacity
    total = float(weight.sum())
    if total <= 0:
        return np.full(weight.shape, 1.0 / max(weight.size, 1))
    return np.asarray(weight / total, dtype=np.float64)


class Strategy(ABC):
    """A way to hand leads to managers, run by :func:`fairlead.sim.simulate`.

    Subclass it and implement :meth:`decide`; set ``interval`` to decide in batches every
    so many minutes (a finite number > 0, shorter than the weeks in which leads arrive;
    ``None`` decides at every arrival, like a CRM's routing rule).
    ``decide`` returns an integer array (numpy integers, or a list of Python ints): for
    each waiting lead, the index of its manager or -1 to keep it waiting. The simulator
    raises :class:`StrategyError` for anything else, for a choice of a manager who is not
    eligible or has no room left, and for leads kept waiting until the schedule ends
    although a manager could take them.

    Examples
    --------
    >>> class FirstFree(Strategy):
    ...     name = "first free"
    ...     def decide(self, context):
    ...         pick = np.full(context.leads.size, -1)
    ...         room = context.room.copy()
    ...         for k in range(context.leads.size):
    ...             free = np.flatnonzero(context.eligible[k] & (room > 0))
    ...             if free.size:
    ...                 pick[k] = free[0]
    ...                 room[free[0]] -= 1
    ...         return pick
    >>> FirstFree().name
    'first free'
    """

    name: str = "strategy"
    interval: float | None = None

    def reset(self, world: World) -> None:  # noqa: B027 - optional hook
        """Forget state from a previous run; called once before each simulation."""

    @abstractmethod
    def decide(self, context: DecisionContext) -> IntArray:
        """Manager index for each waiting lead, or -1 to keep it waiting."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
