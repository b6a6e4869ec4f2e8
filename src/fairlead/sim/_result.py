"""What one simulated run produced, and the team-level measures computed from it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fairlead.core import FloatArray, IntArray
from fairlead.plan import gini
from fairlead.sim._strategy import fair_share
from fairlead.sim._world import World

#: The measures of :meth:`RunRecord.metrics`, in table order, with their meaning (a run
#: without leads has 0 for each; see :meth:`RunRecord.metrics`).
METRICS: dict[str, str] = {
    "conversions": "leads won",
    "expected_conversions": "sum of the true conversion chances (less noisy than wins)",
    "revenue": "deal value of the leads won",
    "count_gini": "Gini of leads received over fair share (0 = each got a fair count)",
    "value_share_dev": "largest relative gap between a manager's share of lead worth and "
    "their fair share",
    "peak_load": "mean over managers of the highest share of capacity in use",
    "overload_share": "share of leads assigned to a manager above the comfortable load",
    "median_response_min": "median minutes from arrival to first contact",
}


@dataclass(frozen=True)
class RunRecord:
    """One strategy on one world: per lead and per manager.

    Attributes
    ----------
    strategy : str
    seed : int
    manager : ndarray of int64, (n,)
        Manager index of each lead (every lead gets one).
    assigned_at, contact_at : ndarray of float64, (n,)
        Minutes of assignment and of first contact.
    probability : ndarray of float64, (n,)
        True conversion chance given who, when and at what load.
    won : ndarray of int64, (n,)
    load_at_assign : ndarray of float64, (n,)
        The manager's share of capacity in use when the lead was assigned.
    received : ndarray of int64, (m,)
    peak_load : ndarray of float64, (m,)
    available_minutes : ndarray of float64, (m,)
        Minutes on shift within the arrival horizon.
    """

    strategy: str
    seed: int
    manager: IntArray
    assigned_at: FloatArray
    contact_at: FloatArray
    probability: FloatArray
    won: IntArray
    load_at_assign: FloatArray
    received: IntArray
    peak_load: FloatArray
    available_minutes: FloatArray
    world: World = field(repr=False)

    def metrics(self) -> dict[str, float]:
        """The measures of :data:`METRICS` for this run.

        Degenerate runs have defined values, never NaN:

        - **No lead:** every measure is 0 (nothing won, nobody got more or less than
          their share, no lead above the comfortable load or waiting).
        - **Nobody on shift while leads arrived** (every manager away, say): the fair
          share falls back to capacity alone, over the whole team, as if everyone had
          worked equally long.

        Examples
        --------
        >>> from fairlead.sim import SimConfig, make_world, simulate, RoundRobin
        >>> world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=15), seed=2)
        >>> sorted(simulate(world, RoundRobin()).metrics()) == sorted(METRICS)
        True
        """
        stream = self.world.stream
        capacity = self.world.team.capacity
        worth = stream.deal_value * stream.base
        minutes = self.available_minutes
        on = minutes > 0
        if not on.any():
            # Nobody worked while leads arrived: shares by capacity, everyone counts.
            on = np.ones(minutes.size, dtype=bool)
            minutes = np.ones(minutes.size)
        share = fair_share(minutes, capacity)[on]
        counts = {
            "conversions": float(self.won.sum()),
            "expected_conversions": float(self.probability.sum()),
            "revenue": float((self.won * stream.deal_value).sum()),
            "count_gini": gini(self.received[on] / share),
            "value_share_dev": 0.0,
            "peak_load": float(self.peak_load.mean()) if self.peak_load.size else 0.0,
            "overload_share": 0.0,
            "median_response_min": 0.0,
        }
        if self.manager.size == 0:
            return counts
        total = float(worth.sum())
        if total > 0:
            worth_got = np.bincount(self.manager, weights=worth, minlength=minutes.size)[on]
            counts["value_share_dev"] = float(np.max(np.abs(worth_got / total / share - 1.0)))
        comfort = self.world.config.comfort_load
        # The load a lead joins: holding it puts the manager one lead further.
        after = self.load_at_assign + 1.0 / capacity[self.manager]
        counts["overload_share"] = float(np.mean(after > comfort + 1e-9))
        counts["median_response_min"] = float(np.median(self.contact_at - stream.arrival))
        return counts
