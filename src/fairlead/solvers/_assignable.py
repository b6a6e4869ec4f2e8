"""How many leads can be placed at most: a bipartite maximum flow (scipy).

Lead ``i`` may go to an eligible manager ``j``, who takes at most ``high[j]``.
Augmenting paths never lower a manager's load, so when some assignment meets
every ``min_load``, one of maximum size does too: the count ignores lower bounds.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from fairlead.core import AssignmentProblem, IntArray, csr_row_of


def max_assignable_count(problem: AssignmentProblem, high: IntArray) -> int:
    """Largest number of leads placed with at most ``high[j]`` at manager ``j``.

    Examples
    --------
    >>> import numpy as np
    >>> import fairlead as fl
    >>> p = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1],
    ...                          eligible=[[1, 0], [1, 0], [0, 1]], allow_unassigned=True)
    >>> max_assignable_count(p, np.array([1, 1]))
    2
    """
    n, m = problem.n_leads, problem.n_managers
    if problem.all_eligible:
        return int(min(n, int(high.sum())))
    if problem.sparse_value is not None:
        lead = csr_row_of(problem.sparse_value)
        manager = problem.sparse_value.indices.astype(np.int64)
    else:
        assert problem.eligible_mask is not None
        lead, manager = np.nonzero(problem.eligible_mask)
    source, sink = 0, n + m + 1
    tails = np.concatenate([np.zeros(n, np.int64), lead + 1, np.arange(n + 1, n + m + 1)])
    heads = np.concatenate([np.arange(1, n + 1), manager + n + 1, np.full(m, sink)])
    caps = np.concatenate(
        [np.ones(n + lead.size, np.int64), np.minimum(high, n).astype(np.int64)]
    ).astype(np.int32)
    graph = sp.csr_array((caps, (tails, heads)), shape=(sink + 1, sink + 1))
    return int(maximum_flow(graph, source, sink, method="dinic").flow_value)
