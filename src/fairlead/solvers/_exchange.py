"""Manager prices from the exchange graph of an assignment (the optimality certificate).

Nodes are the columns (managers, and the "unassigned" pool when there is one) plus
a slack node ``T``. A lead ``i`` sitting at column ``a`` that could sit at ``b``
gives an arc ``a -> b`` weighing what the move loses, ``v[i, a] - v[i, b]``; only
the cheapest lead per pair matters. ``T -> j`` (weight 0) exists while column ``j``
can lose a lead (load above its lower bound) and ``j -> T`` while it can gain one
(load below its upper bound). A sequence of moves that keeps every bound is a
cycle in this graph, so the assignment is optimal exactly when no cycle has
negative weight. Shortest distances ``d`` then make every arc's reduced weight
non-negative, and the prices ``lambda_j = d_T - d_j`` are LP duals: every lead sits
at a column of largest ``v[i, j] - lambda_j``, ``lambda_j > 0`` only at a full
column and ``lambda_j < 0`` only at one on its lower bound.

Weights are integers (values scaled as for the min-cost flow), so the test is exact.
"""

from __future__ import annotations

import numpy as np

from fairlead.core import IntArray

# "No arc": large enough to dominate any path, small enough that adding a
# distance (>= -2**62 / 4 in practice) cannot overflow int64.
NO_ARC = np.iinfo(np.int64).max // 4


def shortest_distances(weights: IntArray) -> IntArray | None:
    """Bellman-Ford distances from a virtual source joined to every node by a 0 arc.

    Returns ``None`` when a cycle of negative weight exists.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[0, 3], [-1, 0]]) + np.diag([NO_ARC, NO_ARC])
    >>> shortest_distances(w).tolist()
    [-1, 0]
    >>> shortest_distances(np.array([[NO_ARC, -2], [1, NO_ARC]])) is None
    True
    """
    k = weights.shape[0]
    dist = np.zeros(k, dtype=np.int64)
    for _ in range(k + 1):
        relaxed = np.minimum(dist, (dist[:, None] + weights).min(axis=0))
        if np.array_equal(relaxed, dist):
            return dist
        dist = relaxed
    return None


def exchange_weights(
    column: IntArray,
    value_here: IntArray,
    arc_lead: IntArray,
    arc_column: IntArray,
    arc_value: IntArray,
    width: int,
) -> IntArray:
    """Cheapest move per column pair, shape ``(width, width)``, ``NO_ARC`` where none.

    ``column[i]`` is where lead ``i`` sits and ``value_here[i]`` its scaled value
    there; arc ``k`` says lead ``arc_lead[k]`` could sit at ``arc_column[k]`` for
    ``arc_value[k]``.
    """
    tail = column[arc_lead]
    moves = tail != arc_column
    loss = value_here[arc_lead[moves]] - arc_value[moves]
    key = tail[moves] * width + arc_column[moves]
    flat = np.full(width * width, NO_ARC, dtype=np.int64)
    if key.size:
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
        flat[sorted_key[starts]] = np.minimum.reduceat(loss[order], starts)
    return flat.reshape(width, width)


def exchange_prices(
    moves: IntArray, load: IntArray, low: IntArray, high: IntArray
) -> IntArray | None:
    """Prices of the columns, or ``None`` when the assignment is not optimal.

    ``moves`` comes from :func:`exchange_weights`; ``load``, ``low``, ``high`` are
    per column.

    Examples
    --------
    Two managers, one lead each; moving either lead loses value, and both managers
    are full: prices are zero (no bound needs pricing) and the assignment is optimal.

    >>> import numpy as np
    >>> moves = np.array([[NO_ARC, 2], [3, NO_ARC]])
    >>> one = np.array([1, 1])
    >>> exchange_prices(moves, one, one * 0, one).tolist()
    [0, 0]
    """
    width = moves.shape[0]
    graph = np.full((width + 1, width + 1), NO_ARC, dtype=np.int64)
    graph[:width, :width] = moves
    np.fill_diagonal(graph, NO_ARC)
    slack = width
    graph[slack, :width] = np.where(load > low, 0, NO_ARC)
    graph[:width, slack] = np.where(load < high, 0, NO_ARC)
    dist = shortest_distances(graph)
    if dist is None:
        return None
    prices: IntArray = dist[slack] - dist[:width]
    return prices
