"""Flow networks for unit-weight assignment problems (OR-Tools ``SimpleMinCostFlow``).

Arc costs are values scaled by :func:`~fairlead.formulation._scaling.scale_for` and
rounded by :func:`~fairlead.formulation._scaling.round_scaled`.

The network has one node per lead, one per manager and a sink. Lead ``i`` sends
one unit over an arc to each eligible manager ``j``. Lower bounds are exact:
manager ``j`` has a demand of ``low[j]`` and an arc to the sink of capacity
``high[j] - low[j]``. An optional "pool" node takes leads that stay unassigned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from fairlead.core import AssignmentProblem, IntArray
from fairlead.formulation._scaling import round_scaled, scale_for, value_scale

# the flow scale is defined with the other scales; kept importable from here
__all__ = [
    "FlowNetwork",
    "build_network",
    "check_unit_problem",
    "flow_assignment",
    "max_assignable",
    "scale_for",
    "transport_network",
    "value_scale",
]


@dataclass
class FlowNetwork:
    """A laid-out network: the OR-Tools solver and how its arcs map to pairs."""

    solver: min_cost_flow.SimpleMinCostFlow
    pair_arcs: IntArray
    pair_lead: IntArray
    pair_manager: IntArray
    scale: float
    rounding: float


def transport_network(
    n_leads: int,
    arc_lead: IntArray,
    arc_column: IntArray,
    costs: IntArray,
    low: IntArray,
    high: IntArray,
    *,
    extra_nodes: int = 0,
) -> tuple[min_cost_flow.SimpleMinCostFlow, IntArray, IntArray]:
    """Leads send one unit each over their arcs to the columns, which feed a sink.

    Nodes: leads ``0 .. n_leads - 1``, columns ``n_leads .. n_leads + w - 1``, the sink
    ``n_leads + w``, then ``extra_nodes`` more. Column ``j`` keeps ``low[j]`` units as
    its demand (an exact lower bound) and passes up to ``high[j] - low[j]`` on to
    the sink. Returns the solver, the ids of the lead arcs and the node supplies, to
    be set once every arc is added.
    """
    width = low.size
    sink = n_leads + width
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        arc_lead.astype(np.int32),
        (arc_column + n_leads).astype(np.int32),
        np.ones(arc_lead.size, dtype=np.int64),
        costs,
    )
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(n_leads, sink, dtype=np.int32),
        np.full(width, sink, dtype=np.int32),
        (high - low).astype(np.int64),
        np.zeros(width, dtype=np.int64),
    )
    supplies = np.zeros(sink + 1 + extra_nodes, dtype=np.int64)
    supplies[:n_leads] = 1
    supplies[n_leads:sink] = -low
    supplies[sink] = -(n_leads - int(low.sum()))
    return smcf, np.asarray(arcs, dtype=np.int64), supplies


def build_network(
    problem: AssignmentProblem,
    low: IntArray,
    high: IntArray,
    *,
    by_value: bool,
    pool_capacity: int | None,
    pool_cost: int = 0,
    shrink: int = 0,
) -> FlowNetwork:
    """Lay out the flow network.

    ``by_value`` prices lead-manager arcs at ``-round(net value * scale)`` (else 0),
    the net value being ``value - pair_penalty``;
    ``pool_capacity=None`` means every lead is assigned, otherwise up to that many
    leads may go to the pool at ``pool_cost`` each.
    """
    n, m = problem.n_leads, problem.n_managers
    sink, pool = n + m, n + m + 1
    n_nodes = n + m + (1 if pool_capacity is None else 2)
    lead_idx, mgr_idx = np.nonzero(problem.eligible)
    n_pairs = lead_idx.size
    worth = problem.net_value()
    scale = value_scale(worth, n_nodes, shrink=shrink) if by_value else 0.0
    rounding = 0.0
    if by_value:
        eligible_worth = worth[problem.eligible]
        costs = -round_scaled(eligible_worth, scale)
        if n_pairs:
            rounding = float(np.max(np.abs(eligible_worth * -scale - costs)))
        del eligible_worth
    else:
        costs = np.zeros(n_pairs, dtype=np.int64)
    smcf, arcs, supplies = transport_network(
        n, lead_idx, mgr_idx, costs, low, high, extra_nodes=n_nodes - (n + m + 1)
    )
    del costs
    if pool_capacity is not None:
        smcf.add_arcs_with_capacity_and_unit_cost(
            np.arange(n, dtype=np.int32),
            np.full(n, pool, dtype=np.int32),
            np.ones(n, dtype=np.int64),
            np.full(n, pool_cost, dtype=np.int64),
        )
        smcf.add_arc_with_capacity_and_unit_cost(pool, sink, pool_capacity, 0)
    smcf.set_nodes_supplies(np.arange(n_nodes, dtype=np.int32), supplies)
    return FlowNetwork(smcf, arcs, lead_idx, mgr_idx, scale, rounding)


def check_unit_problem(problem: AssignmentProblem, method: str) -> None:
    """Refuse what the flow methods cannot model, naming the methods that can."""
    if not problem.unit_weights:
        raise ValueError(
            f"method {method!r} needs every lead weight to be 1; weighted leads "
            "(the generalized assignment problem) are solved by method 'cp_sat' "
            "(exact) or 'lp_round' (large problems)"
        )
    if problem.has_value_bounds:
        raise ValueError(
            f"method {method!r} cannot enforce min_value/max_value; value bounds "
            "are solved by method 'cp_sat' (exact) or 'lp_round' (large problems)"
        )
    if problem.load_penalty is not None:
        raise ValueError(
            f"method {method!r} keeps min_load/max_load hard; a soft load band "
            "(load_penalty) is solved by method 'cp_sat'"
        )


def flow_assignment(network: FlowNetwork, n: int) -> IntArray:
    """Manager of each lead from the solved flows (``-1`` where none)."""
    flows = network.solver.flows(network.pair_arcs)
    used = np.asarray(flows) > 0
    manager_of = np.full(n, -1, dtype=np.int64)
    manager_of[network.pair_lead[used]] = network.pair_manager[used]
    return manager_of


def max_assignable(problem: AssignmentProblem) -> tuple[IntArray, int] | None:
    """Assignment placing the most leads under every bound, ignoring value.

    Returns ``(manager_of, n_unassigned)``, or ``None`` when the ``min_load``
    demands cannot all be met by any assignment.
    """
    low, high = problem.count_bounds()
    n = problem.n_leads
    if np.any(low > high) or int(low.sum()) > n:
        return None
    network = build_network(problem, low, high, by_value=False, pool_capacity=n, pool_cost=1)
    status = network.solver.solve()
    if status != network.solver.OPTIMAL:
        return None
    return flow_assignment(network, n), int(network.solver.optimal_cost())
