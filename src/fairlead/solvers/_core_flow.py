"""An exact min-cost flow on a subset of leads and arcs (the "core" of a sifting round).

Leads outside the core stay where they are and only use up room: column ``j``
keeps ``[low_j - fixed_j, high_j - fixed_j]`` for the core. Costs are the
integer-scaled values, negated.
"""

from __future__ import annotations

import numpy as np

from fairlead.core import IntArray
from fairlead.formulation import transport_network


class CostRangeError(RuntimeError):
    """OR-Tools refused the cost range; the caller retries with a smaller scale."""


def solve_core(
    n_core: int,
    arc_lead: IntArray,
    arc_column: IntArray,
    arc_value: IntArray,
    fixed: IntArray,
    low: IntArray,
    high: IntArray,
) -> IntArray | None:
    """Column of each core lead in a best assignment, or ``None`` if none exists.

    ``arc_lead`` indexes the core leads ``0 .. n_core - 1``.

    Examples
    --------
    >>> import numpy as np
    >>> solve_core(2, np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]),
    ...            np.array([5, 1, 4, 3]), np.zeros(2, np.int64),
    ...            np.zeros(2, np.int64), np.ones(2, np.int64)).tolist()
    [0, 1]
    """
    room_low = np.maximum(low - fixed, 0)
    room_high = high - fixed
    if np.any(room_high < room_low) or room_low.sum() > n_core or room_high.sum() < n_core:
        return None
    flow, arcs, supplies = transport_network(
        n_core, arc_lead, arc_column, -arc_value, room_low, room_high
    )
    flow.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow.solve()
    if status == flow.BAD_COST_RANGE:
        raise CostRangeError("OR-Tools rejected the cost range")
    if status != flow.OPTIMAL:
        return None
    used = np.asarray(flow.flows(arcs)) > 0
    column = np.full(n_core, -1, dtype=np.int64)
    column[arc_lead[used]] = arc_column[used]
    return column
