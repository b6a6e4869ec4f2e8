"""The assignment problem as OR-Tools sees it: integer scaling and the flow network.

Shared by the solvers and by the diagnosis of infeasible problems, so both put the
same problem to OR-Tools the same way.
"""

from fairlead.formulation._network import (
    FlowNetwork,
    build_network,
    check_unit_problem,
    flow_assignment,
    max_assignable,
    scale_for,
    transport_network,
    value_scale,
)

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
