"""The one CP-SAT model builder (fairlead.formulation._cp_model), used by cp_sat and the
conflict finder: both must put the same rows to CP-SAT for the same problem."""

import numpy as np
import pytest

import fairlead as fl
from fairlead.diagnose._cp_check import _model
from fairlead.diagnose._selection import _layout, _Sel, _setup
from fairlead.formulation import STATUS, Bound, new_model
from fairlead.solvers._cp_sat_model import build
from fairlead.solvers.cp_sat import model_scales


def _rows(proto):
    """The constraints of a proto as comparable tuples."""
    out = []
    for c in proto.constraints:
        if c.has_exactly_one():
            out.append(("exactly_one", tuple(c.exactly_one.literals)))
        elif c.has_at_most_one():
            out.append(("at_most_one", tuple(c.at_most_one.literals)))
        else:
            lin = c.linear
            out.append(("linear", tuple(lin.vars), tuple(lin.coeffs), tuple(lin.domain)))
    return out


def _everything(setup):
    return _Sel(
        {int(c): int(setup.required[c]) for c in np.flatnonzero(setup.required > 0)},
        frozenset(range(len(setup.bounds))),
    )


@pytest.mark.parametrize("relaxed", [True, False])
@pytest.mark.parametrize(
    "weight",
    [
        [0.3, 0.7, 1 / 3, 0.45, 2 / 7],  # inexact: one row per bound, rounded per direction
        [1.0, 2.0, 3.0, 4.0, 5.0],  # exact
    ],
)
def test_cp_sat_and_the_conflict_finder_build_the_same_rows(relaxed, weight):
    # every lead its own class, every manager's capacity and min_load binding
    p = fl.AssignmentProblem(
        value=np.arange(10.0).reshape(5, 2),
        capacity=[0.9 * sum(weight) / 2, 0.8 * sum(weight) / 2],
        min_load=[0.2 * sum(weight) / 2, 0.1 * sum(weight) / 2],
        weight=weight,
    )
    solver_model = build(p, model_scales(p), relaxed=relaxed, maxmin=False)
    setup = _setup(p)
    sel = _everything(setup)
    conflict_model = _model(setup, sel, _layout(setup, sel), relaxed=relaxed, assume=False)
    assert solver_model.unit.tolist() == conflict_model.unit.tolist()
    assert solver_model.manager.tolist() == conflict_model.manager.tolist()
    assert _rows(solver_model.proto) == _rows(conflict_model.proto)
    assert (setup.wscale, setup.wexact) == (model_scales(p).weight, model_scales(p).weight_exact)


def test_value_bounds_are_the_same_rows_too():
    p = fl.AssignmentProblem(
        value=[[0.5, 0.4], [0.4, 0.9], [0.1, 0.3]],
        capacity=[3, 3],
        min_value=[0.6, 0.5],
        max_value=[0.9, 1.0],
    )
    setup = _setup(p)
    sel = _everything(setup)
    values = [b for b in setup.bounds if b.on_value]
    assert {b.kind for b in values} == {"min_value", "max_value"}
    conflict_model = _model(setup, sel, _layout(setup, sel), relaxed=True, assume=False)
    solver_model = build(p, model_scales(p), relaxed=True, maxmin=False)
    value_rows = [r for r in _rows(solver_model.proto) if r[0] == "linear"][-2:]
    assert all(r in _rows(conflict_model.proto) for r in value_rows)


def test_assumption_literals_name_the_constraints_of_a_core():
    # two leads of workload 1 for one manager of capacity 1
    p = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[1])
    setup = _setup(p)
    sel = _everything(setup)
    model = _model(setup, sel, _layout(setup, sel), relaxed=True, assume=True)
    assert set(model.literals) == {("class", 0), ("bound", 0)}
    assert list(model.proto.assumptions) == list(model.literals.values())
    from ortools.sat.python import cp_model_helper as cmh

    params = cmh.SatParameters()
    params.num_workers = 1
    response = model.solve(params)
    assert response.status == STATUS.INFEASIBLE
    assert set(response.sufficient_assumptions_for_infeasibility) == set(model.literals.values())


def test_class_counts_and_outlets():
    model = new_model(np.array([0, 0, 1]), np.array([0, 1, 1]), size=np.array([2, 2, 1]))
    model.add_units(np.array([0, 1]), np.array([2, 1]), np.array([2, 1]))
    model.add_bounds([Bound("capacity", 1, 1.0)], np.ones(3), 1.0, True, relaxed=False)
    assert [list(v.domain) for v in model.proto.variables] == [[0, 2], [0, 2], [0, 1]]
    from ortools.sat.python import cp_model_helper as cmh

    params = cmh.SatParameters()
    params.num_workers = 1
    response = model.solve(params)
    # unit 1 takes manager 1's only room; unit 0 both go to manager 0
    assert response.status == STATUS.OPTIMAL
    assert list(response.solution)[:3] == [2, 0, 1]


def test_a_lead_without_eligible_manager_makes_the_model_infeasible():
    model = new_model(np.array([0]), np.array([0]))
    model.add_units(np.array([0, 1]), np.array([1, 1]), np.array([1, 1]))
    assert not model.feasible
