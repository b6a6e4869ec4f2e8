"""The one integer-scaling scheme (fairlead.formulation._scaling) and its users."""

import numpy as np
import pytest

import fairlead as fl
from fairlead.formulation import (
    COEFFICIENT_RESOLUTION,
    VALUE_RESOLUTION,
    Scale,
    build_network,
    constraint_scales,
    flow_resolution,
    magnitude_scale,
    pick_scale,
    round_scaled,
    scale_for,
    value_scale,
)
from fairlead.solvers.cp_sat import model_scales


def _flow_scale_as_before(top, n_nodes, shrink=0):
    """The flow scale as min_cost_flow and sifting have always computed it."""
    largest = min(2**53, 2**61 // (n_nodes + 3)) // 16**shrink
    if top <= 0:
        return 1.0
    return float(min(largest / max(top, 2.0**-900), 2.0**1000))


@pytest.mark.parametrize("top", [0.0, 1e-300, 0.3, 1.0, 7.25, 1e6, 3.7e12, 1e300])
@pytest.mark.parametrize("n_nodes", [3, 10, 1_000, 100_003, 2_000_001])
@pytest.mark.parametrize("shrink", [0, 1, 2])
def test_flow_scale_is_unchanged(top, n_nodes, shrink):
    assert scale_for(top, n_nodes, shrink=shrink) == _flow_scale_as_before(top, n_nodes, shrink)


def test_flow_scale_of_an_array_is_that_of_its_largest_magnitude():
    values = np.array([[0.5, -3.25], [2.0, 1.0]])
    assert value_scale(values, 9) == scale_for(3.25, 9) == 2.0**53 / 3.25
    assert value_scale(np.zeros((0, 3)), 9) == 1.0
    assert flow_resolution(100_000, shrink=1) == (2**61 // 100_003) // 16


def test_round_scales_are_the_smallest_that_make_integers():
    assert pick_scale(np.array([1.0, 2.0, 3.0]), terms=3, resolution=2.0**30) == Scale(1.0, True)
    assert pick_scale(np.array([0.5, 1.25]), terms=2, resolution=2.0**30) == Scale(4.0, True)
    assert pick_scale(np.array([0.1, 0.25]), terms=2, resolution=2.0**30) == Scale(20.0, True)
    assert pick_scale(np.array([1e-6, 3.0]), terms=2, resolution=2.0**30) == Scale(1e6, True)
    # unbounded sides do not count
    assert pick_scale(np.array([0.5, np.inf]), terms=1, resolution=2.0**30) == Scale(2.0, True)
    assert pick_scale(np.zeros(3), terms=3, resolution=2.0**30) == Scale(1.0, True)


def test_inexact_numbers_map_the_largest_magnitude_to_a_power_of_two():
    s = pick_scale(np.array([1 / 3, 2 / 3]), terms=1, resolution=VALUE_RESOLUTION)
    assert s == Scale(2.0**30, False)
    s = pick_scale(np.array([1 / 3, 2 / 3]), terms=1, resolution=COEFFICIENT_RESOLUTION)
    assert s.factor == 2.0**40  # exact up to SNAP: 1e-11 of the scaled number
    # the term budget: 2**30 terms of 2**30 stay below 2**60
    s = pick_scale(np.array([1 / 3]), terms=2**30, resolution=COEFFICIENT_RESOLUTION)
    assert s.factor == 2.0**31
    assert magnitude_scale(3.0, 2.0**30) * 3.0 <= 2.0**30 < magnitude_scale(3.0, 2.0**30) * 6.0


def test_rounding_is_symmetric():
    v = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 0.3])
    assert round_scaled(v, 1.0).tolist() == [0, 2, 2, 0, -2, 0]
    assert round_scaled(-v, 7.0).tolist() == (-round_scaled(v, 7.0)).tolist()


def test_flow_network_costs_use_the_one_scale_and_rounding():
    rng = np.random.default_rng(3)
    p = fl.AssignmentProblem(value=rng.random((6, 3)), capacity=[2, 2, 2])
    low, high = p.count_bounds()
    network = build_network(p, low, high, by_value=True, pool_capacity=None)
    assert network.scale == scale_for(float(np.max(np.abs(p.net_value()))), 6 + 3 + 1)
    costs = np.array([network.solver.unit_cost(int(a)) for a in network.pair_arcs])
    want = -round_scaled(p.net_value()[network.pair_lead, network.pair_manager], network.scale)
    assert costs.tolist() == want.tolist()


def test_cp_sat_reports_the_constraint_scales_it_shares():
    p = fl.AssignmentProblem(
        value=[[1.5, 2.0], [0.25, 1.0]],
        capacity=[1, 1.2],
        weight=[0.3, 0.9],
        min_value=[0.25, 0.0],
    )
    rows, s = constraint_scales(p), model_scales(p)
    assert (rows.weight, rows.weight_exact) == (s.weight, s.weight_exact) == (10.0, True)
    assert (rows.bound_value, rows.bound_value_exact) == (s.bound_value, s.bound_value_exact)
    assert rows.bound_value == 4.0
    assert s.value == 4.0  # the objective's own family: 1.5, 2.0, 0.25, 1.0
