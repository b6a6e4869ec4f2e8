"""What the router hands back: decisions, overdue leads, each manager's accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fairlead.core import BoolArray
from fairlead.router._store import Entry

Outcome = Literal["won", "lost", "closed"]
OUTCOMES = ("won", "lost", "closed")


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a lead went and why.

    Attributes
    ----------
    lead_id : str
    manager_id : str or None
        ``None`` when nobody eligible was available with room (the lead waits; see
        :meth:`Router.route_waiting`).
    value : float
        Expected value of the lead with that manager (less a soft rule's penalty).
    price : float
        The manager's price (from the last batch solve) the choice was net of.
    reason : str
        Why, in words and numbers.
    at : datetime
        When the decision was taken (UTC).
    kind : {"routed", "reassigned", "waiting", "kept"}
        ``kept``: an overdue lead stayed because no other manager could take it.
    previous_manager_id : str or None
        For a reassignment, who held the lead before.
    runner_up_id : str or None
        The next best manager in the running.
    replayed : bool
        True when the lead had already been routed and this is its decision returned
        again (routing is idempotent by lead id; after a reassignment, the current one).
    """

    lead_id: str
    manager_id: str | None
    value: float
    price: float
    reason: str
    at: datetime
    kind: Literal["routed", "reassigned", "waiting", "kept"] = "routed"
    previous_manager_id: str | None = None
    runner_up_id: str | None = None
    replayed: bool = False

    @property
    def score(self) -> float:
        """``value - price``: what the choice maximized."""
        return self.value - self.price


@dataclass(frozen=True)
class Overdue:
    """A lead its manager has not contacted within the SLA."""

    lead_id: str
    manager_id: str
    routed_at: datetime
    due_at: datetime
    late_by: timedelta


@dataclass(frozen=True)
class ManagerStatus:
    """One manager's live load and fair-share accounts in a router.

    ``received`` and ``target`` are the fair count and fair share (decayed with the
    router's ``share_half_life``); ``deviation`` is ``received / target - 1``.
    Reassignments move a lead's count: the manager who lost it forfeits that share.
    """

    manager_id: str
    open: float
    capacity: float
    available: bool
    paused: bool
    received: float
    target: float
    deviation: float
    routed: int
    reassigned_in: int
    reassigned_out: int
    won: int
    released: int
    missed: float
    owed: float
    price: float


def utc(ts: float) -> datetime:
    """The aware UTC datetime of a timestamp."""
    return datetime.fromtimestamp(ts, UTC)


def decision_of(entry: Entry, *, replayed: bool) -> Decision:
    """The decision an entry records."""
    kind: Any = entry.kind
    return Decision(
        lead_id=entry.lead_id,
        manager_id=entry.manager,
        value=entry.value,
        price=entry.price,
        reason=entry.reason,
        at=utc(entry.routed_at),
        kind=kind,
        previous_manager_id=entry.previous,
        runner_up_id=entry.runner_up,
        replayed=replayed,
    )


def nobody_reason(
    eligible: BoolArray,
    on_shift: BoolArray,
    away: BoolArray,
    room: BoolArray,
    excluding: str | None = None,
) -> str:
    """Why no manager could take a lead, as counts of who fell out where.

    The masks count the managers in the running (without ``excluding``, named only).
    """
    qualified = int(eligible.sum())
    working = int((eligible & on_shift).sum())
    present = int((eligible & on_shift & ~away).sum())
    free = int((eligible & on_shift & ~away & room).sum())
    other = f" other than {excluding!r}" if excluding is not None else ""
    return (
        f"no manager{other} can take it now: {qualified} qualified, {working} of them "
        f"within working hours, {present} not absent or paused, {free} with room"
    )
