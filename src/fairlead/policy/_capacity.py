"""Free capacity, target shares and the balance band of each manager."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.records import Manager, Policy


@dataclass(frozen=True)
class CapacityPlan:
    """Per-manager numbers the batch problem is built from.

    Attributes
    ----------
    free : ndarray, shape (m,)
        Leads each manager can still take: ``max_active_leads - active_leads -
        floor(portfolio_size * portfolio_load + planned_touches * touch_load)``, at
        least 0; 0 when unavailable, and 0 for a manager over their limit (more
        active leads than ``max_active_leads``, accepted with an ``InputWarning``).
    target_share : ndarray, shape (m,)
        Fair share of the batch for each manager (sums to 1 when anyone has room).
    target : ndarray, shape (m,)
        Target count of leads in this batch (workload, with efforts).
    min_load, max_load : ndarray, shape (m,)
        The balance band around ``target`` (``max_load`` never above ``free``).

    With ``Policy.effort_by_level`` the target and the band are in each manager's
    own workload (lead effort times their level's factor), as their load is counted.
    """

    free: FloatArray
    target_share: FloatArray
    target: FloatArray
    min_load: FloatArray
    max_load: FloatArray


def free_capacity(managers: Sequence[Manager], policy: Policy) -> FloatArray:
    """Leads each manager can take now (see :class:`CapacityPlan`)."""
    maximum = np.array([mg.max_active_leads for mg in managers], dtype=np.float64)
    active = np.array([mg.active_leads for mg in managers], dtype=np.float64)
    portfolio = np.array([mg.portfolio_size for mg in managers], dtype=np.float64)
    touches = np.array([mg.planned_touches for mg in managers], dtype=np.float64)
    available = np.array([mg.available for mg in managers], dtype=np.bool_)
    busy = np.floor(portfolio * policy.portfolio_load + touches * policy.touch_load + 1e-9)
    free = maximum - active - busy
    return np.where(available, np.maximum(free, 0.0), 0.0)


def effort_factors(managers: Sequence[Manager], policy: Policy) -> FloatArray:
    """Each manager's workload per unit of lead effort (``Policy.effort_by_level``)."""
    by_level = policy.effort_by_level or {}
    return np.array([by_level.get(mg.level, 1.0) for mg in managers], dtype=np.float64)


def effort_room(managers: Sequence[Manager], policy: Policy, free: FloatArray) -> FloatArray:
    """Lead effort each manager has room for: ``free`` workload over their level's factor.

    Fair shares are shares of this room, in the batch and in the router alike.
    """
    return free / effort_factors(managers, policy)


def water_fill(weights: FloatArray, caps: FloatArray, total: float) -> FloatArray:
    """Split ``total`` in proportion to ``weights``, nobody above their cap.

    What a capped manager cannot take is shared among the others, again in
    proportion to their weights.

    Examples
    --------
    >>> import numpy as np
    >>> water_fill(np.ones(3), np.array([2.0, 10.0, 10.0]), 12.0).tolist()
    [2.0, 5.0, 5.0]
    """
    share = np.zeros_like(weights)
    open_ = (weights > 0) & (caps > 0)
    remaining = min(total, float(caps[open_].sum()))
    while remaining > 1e-12 and open_.any():
        portion = remaining * weights / weights[open_].sum()
        portion[~open_] = 0.0
        capped = open_ & (share + portion >= caps)
        if not capped.any():
            share += portion
            break
        remaining -= float((caps[capped] - share[capped]).sum())
        share[capped] = caps[capped]
        open_ &= ~capped
    return share


def share_weights(managers: Sequence[Manager], policy: Policy, free: FloatArray) -> FloatArray:
    """Relative target share of each manager before capping by capacity.

    With ``target_share="performance"`` each manager weighs free capacity times their
    performance (1.0 without one), kept within ``[performance_floor, performance_cap]``.

    Examples
    --------
    >>> from fairlead import Manager, Policy
    >>> team = [Manager(id=m, max_active_leads=10, performance=p)
    ...         for m, p in [("star", 5.0), ("avg", 1.0), ("weak", 0.1)]]
    >>> free = np.full(3, 10.0)
    >>> (share_weights(team, Policy(target_share="performance"), free) * 2).tolist()
    [20.0, 10.0, 5.0]
    """
    if policy.target_share == "equal":
        return (free > 0).astype(np.float64)
    if policy.target_share == "performance":
        index = np.array(
            [1.0 if mg.performance is None else mg.performance for mg in managers],
            dtype=np.float64,
        )
        index = np.maximum(index, policy.performance_floor)
        if policy.performance_cap is not None:
            index = np.minimum(index, policy.performance_cap)
        top = float(index.max(initial=0.0))
        return free * (index / top if top > 0 else index)  # relative: huge indices can't overflow
    return free.copy()


def plan_capacity(
    managers: Sequence[Manager],
    policy: Policy,
    n_leads: int,
    eligible: BoolArray | None = None,
    *,
    effort: FloatArray | None = None,
) -> CapacityPlan:
    """Free capacity, target shares and the balance band for a batch of ``n_leads``.

    With ``eligible`` (leads x managers), nobody's target exceeds the number of leads
    they may take, and leads nobody may take are not shared out: a specialist with
    three matching leads is not asked to take four. With ``effort`` (workload per
    lead) targets and bands are in workload units. ``Policy.effort_by_level`` scales a
    lead's effort into each manager's workload: the batch's effort is shared out by the
    room each manager has for it (:func:`effort_room`), and the target and band come
    back in each manager's own workload.
    """
    free = free_capacity(managers, policy)
    factor = effort_factors(managers, policy)
    room = effort_room(managers, policy, free)
    weights = share_weights(managers, policy, room)
    work = np.ones(n_leads) if effort is None else np.asarray(effort, dtype=np.float64)
    caps = room
    placeable = float(work.sum())
    if eligible is not None:
        caps = np.minimum(room, work @ eligible)
        placeable = float(work[(eligible & (room > 0)[None, :]).any(axis=1)].sum())
    to_place = float(min(placeable, caps.sum()))
    target = water_fill(weights, caps, to_place)
    share = target / to_place if to_place > 0 else np.zeros_like(target)
    if policy.balance_tolerance is None:
        low = np.zeros_like(room)
        high = room.copy()
    else:
        tol = policy.balance_tolerance
        low = np.floor(target * (1.0 - tol) + 1e-9).clip(min=0.0)
        high = np.minimum(np.ceil(target * (1.0 + tol) - 1e-9), room)
        low = np.minimum(low, high)
    return CapacityPlan(
        free=free,
        target_share=share,
        target=target * factor,
        min_load=low * factor,
        max_load=np.minimum(high * factor, free),
    )
