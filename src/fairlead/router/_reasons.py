"""Why a lead went to its manager, in words and numbers."""

from __future__ import annotations

from fairlead.core import FloatArray
from fairlead.records import Tier
from fairlead.router._live import Live
from fairlead.router._look import Look
from fairlead.router._pick import Band, Pick

_TIERS = list(Tier)


def why(live: Live, choice: Pick, seen: Look, net: FloatArray) -> str:
    """The reason of a choice: the pool the fair band left, the net value, the runner-up.

    Parameters
    ----------
    live : Live
        The router's parts.
    choice : Pick
        The choice (``choice.manager`` is a manager, not -1).
    seen : Look
        What the router saw of the lead.
    net : ndarray (m,)
        Value net of price of each manager.
    """
    ids, j = live.team.ids, choice.manager
    pool = {
        Band.OFF: f"{choice.pool} manager(s) available with room",
        Band.WITHIN: f"{choice.pool} manager(s) within their fair share",
        Band.BEHIND: f"{choice.pool} manager(s) behind their fair share",
        Band.RELAXED: f"{choice.pool} manager(s) with room, all above their fair share",
    }[choice.band]
    text = f"best value net of price among {pool}: {net_text(live, j, seen, net)}"
    if choice.runner_up >= 0:
        k = choice.runner_up
        text += f"; runner-up {ids[k]!r} {net[k]:.4g}"
    return text


def net_text(live: Live, j: int, seen: Look, net: FloatArray) -> str:
    """``value - price = net`` for manager ``j``, naming a soft-rule penalty."""
    penalty = float(live.team.penalty_by_tier[_TIERS.index(seen.tier)][j])
    after = f" (after the hot-lead penalty {penalty:.4g})" if penalty else ""
    return f"{seen.value[j]:.4g}{after} - price {live.state.prices[j]:.4g} = {net[j]:.4g}"
