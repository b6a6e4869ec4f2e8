"""Who makes each touch: the team's availability, its room for touches, and covers.

A client's owner makes the touch when they are available and have room for it. The
clients of an owner who is away (or is not on the team any more) are covered, for
the week, by the available colleague with the most room left; whatever nobody has
room for is not planned, and the plan says why. Nothing is ever planned for a
manager who is away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records import Manager, Policy, coerce_policy, coerce_records

__all__ = ["NO_LIMIT", "Team", "allocate", "clients", "read_team", "touch_room", "touches"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

NO_LIMIT = int(np.iinfo(np.int64).max)
"""Room of a manager whose touches are not limited (no team given, or free touches)."""


@dataclass(frozen=True)
class Team:
    """The managers who may make touches this week, as arrays in id order.

    Attributes
    ----------
    ids : tuple of str
        Manager ids, sorted.
    available : ndarray of bool
        Whether each manager works this week (``Manager.available``).
    room : ndarray of int64
        Touches each manager can still take (:func:`touch_room`); 0 when away.
    """

    ids: tuple[str, ...]
    available: BoolArray
    room: IntArray


def touch_room(managers: Sequence[Manager], policy: Policy) -> IntArray:
    """Touches each manager has room for this week, from their free lead capacity.

    A touch takes ``policy.touch_load`` of a lead slot (as in the capacity that
    :func:`fairlead.assign` counts), so a manager's free slots, ``max_active_leads -
    active_leads - portfolio_size * portfolio_load - planned_touches * touch_load``,
    hold ``free / touch_load`` touches, rounded down. ``planned_touches`` are touches
    already on the calendar besides this plan. A manager who is away has no room;
    with ``touch_load == 0`` touches take no capacity and the room is
    :data:`NO_LIMIT`.

    Examples
    --------
    >>> team = [
    ...     Manager(id="ann", max_active_leads=10, active_leads=4),
    ...     Manager(id="bob", max_active_leads=10, planned_touches=8),
    ...     Manager(id="cid", max_active_leads=10, available=False),
    ... ]
    >>> touch_room(team, Policy(touch_load=0.5)).tolist()
    [12, 12, 0]
    """
    maximum = np.array([mg.max_active_leads for mg in managers], dtype=np.float64)
    active = np.array([mg.active_leads for mg in managers], dtype=np.float64)
    portfolio = np.array([mg.portfolio_size for mg in managers], dtype=np.float64)
    planned = np.array([mg.planned_touches for mg in managers], dtype=np.float64)
    available = np.array([mg.available for mg in managers], dtype=np.bool_)
    if policy.touch_load == 0:
        return np.where(available, NO_LIMIT, 0).astype(np.int64)
    free = maximum - active - portfolio * policy.portfolio_load - planned * policy.touch_load
    touches = free / policy.touch_load
    # Loads are short decimals (0.1, 0.25): 3.9 / 0.1 may come out as 38.99999...; a
    # relative nudge keeps the whole touch, far below any real fraction of one.
    touches = np.floor(touches + 1e-9 * np.maximum(1.0, np.abs(touches)))
    return np.where(available, np.maximum(touches, 0.0), 0.0).astype(np.int64)


def read_team(
    managers: Sequence[Manager | Mapping[str, Any]] | Any,
    policy: Policy | Mapping[str, Any] | None,
) -> Team:
    """The team (records, dicts or DataFrame rows, read by the input layer) as arrays.

    Raises
    ------
    fairlead.InputError
        If a manager record or the policy is invalid, or two managers share an id.
    """
    records = coerce_records(managers, Manager, "manager")
    rules = coerce_policy(policy)
    order = sorted(range(len(records)), key=lambda k: records[k].id)
    records = [records[k] for k in order]
    return Team(
        ids=tuple(mg.id for mg in records),
        available=np.array([mg.available for mg in records], dtype=np.bool_),
        room=touch_room(records, rules),
    )


def allocate(owner: IntArray, can_call: BoolArray, room: IntArray) -> IntArray:
    """Who makes each touch, the most urgent first; -1 where nobody can this week.

    Parameters
    ----------
    owner : ndarray of int64, shape (k,)
        The owner (a manager's position) of each due client, most urgent first.
    can_call : ndarray of bool, shape (m,)
        Whether each manager is available to make touches.
    room : ndarray of int64, shape (m,)
        Touches each manager can take this week (0 for those who cannot call).

    Returns
    -------
    ndarray of int64, shape (k,)
        The manager making each touch, or -1 when it is not planned.

    Notes
    -----
    An available owner keeps their own clients, the most urgent first, as far as
    their room goes: the relationship stays with them, and what does not fit waits
    for next week rather than going to a stranger. The clients of an owner who
    cannot call are covered one by one, the most urgent first, each by the colleague
    with the most room left at that moment (ties: the first id). This levels what is
    left of everyone's room, so covering takes as little as possible from any one
    manager's capacity for new leads.

    Examples
    --------
    Manager 2 is away; manager 0 keeps both own clients, and the covers level what
    is left of the room (1 and 2); with less room, the least urgent wait:

    >>> owner = np.array([2, 0, 2, 2, 0])
    >>> can_call = np.array([True, True, False])
    >>> allocate(owner, can_call, np.array([3, 2, 0])).tolist()
    [1, 0, 0, 1, 0]
    >>> allocate(owner, can_call, np.array([2, 1, 0])).tolist()
    [1, 0, -1, -1, 0]
    """
    n_managers = len(room)
    maker = np.full(len(owner), -1, dtype=np.int64)

    own = np.flatnonzero(can_call[owner])
    own = own[np.argsort(owner[own], kind="stable")]  # by owner, urgency kept within
    group = owner[own]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(own) else group[:0]
    sizes = np.diff(np.append(starts, len(own)))
    position = np.arange(len(own)) - np.repeat(starts, sizes)
    kept = own[position < room[group]]
    maker[kept] = owner[kept]

    orphans = np.flatnonzero(~can_call[owner])
    used = np.bincount(owner[kept], minlength=n_managers)
    left = np.where(can_call, room - used, 0)
    # Greedy "most room left takes the next one", without a loop: manager j's u-th
    # cover leaves left[j] - u; taking units in decreasing order of that (ties by id)
    # is the greedy sequence. Nobody needs more units than there are orphans.
    units = np.minimum(left, len(orphans))
    who = np.repeat(np.arange(n_managers, dtype=np.int64), units)
    step = np.arange(len(who)) - np.repeat(np.cumsum(units) - units, units)
    picks = who[np.lexsort((who, step - left[who]))][: len(orphans)]
    maker[orphans[: len(picks)]] = picks
    return maker


def touches(count: int) -> str:
    """``'1 touch'``, ``'3 touches'``."""
    return f"{count} touch" if count == 1 else f"{count} touches"


def clients(count: int) -> str:
    """``'1 client'``, ``'3 clients'``."""
    return f"{count} client" if count == 1 else f"{count} clients"
