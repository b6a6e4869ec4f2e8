"""What the router sees of one lead now: tier, eligibility, value, workload and room."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fairlead.core import BoolArray, FloatArray
from fairlead.records import Lead, Tier
from fairlead.router._live import Live


@dataclass(frozen=True)
class Look:
    """What the router sees of one lead now.

    Attributes
    ----------
    tier : Tier
    eligible : ndarray of bool (m,)
        Managers qualified for the lead.
    value : ndarray (m,)
        The lead's value with each manager.
    work : ndarray (m,)
        The lead's workload for each manager.
    room : ndarray of bool (m,)
        Managers with room for that workload.
    """

    tier: Tier
    eligible: BoolArray
    value: FloatArray
    work: FloatArray
    room: BoolArray


def look(live: Live, lead: Lead, row: FloatArray | None, *, strict: bool = True) -> Look:
    """Eligibility, value, workload and room of ``lead``.

    A stored value row holds NaN for managers who joined after it was given: they
    are not eligible for that lead.

    Parameters
    ----------
    live : Live
        The router's parts.
    lead : Lead
    row : ndarray (m,) or None
        The caller's values of the lead; ``None``: the router's model.
    strict : bool, default True
        Whether a product no manager sells is an error (a new lead) rather than
        leaving nobody qualified (a lead stored before the team changed).
    """
    team = live.team
    tier = team.tier(lead)
    eligible = team.eligible(lead, tier, strict=strict)
    if row is not None and not np.isfinite(row).all():
        eligible = eligible & np.isfinite(row)
        row = np.where(np.isfinite(row), row, 0.0)
    work = team.workload(lead)
    room = live.state.open + work <= team.capacity + 1e-9
    return Look(tier, eligible, team.value(lead, tier, row), work, room)
