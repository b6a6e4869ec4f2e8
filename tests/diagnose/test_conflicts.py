"""Minimal conflicting constraints: hand-made cases per kind, and minimality checked by MILP."""

import dataclasses
import re
import time

import numpy as np
import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

import fairlead as fl
from fairlead.diagnose._conflicts import Conflict, Constraint, explain, find_conflict
from fairlead.diagnose._infeasibility import explain_infeasible

# ------------------------------------------------------------------ an independent check


def constraints_of(problem):
    """Every removable constraint of ``problem`` as ``(kind, index)``."""
    n, m = problem.n_leads, problem.n_managers
    found = [] if problem.allow_unassigned else [("assign", i) for i in range(n)]
    found += [("capacity", j) for j in range(m)]
    if problem.load_penalty is None:
        found += [("min_load", j) for j in range(m)]
    if problem.value_penalty is None:
        if problem.min_value is not None:
            found += [("min_value", j) for j in range(m)]
        if problem.max_value is not None:
            found += [("max_value", j) for j in range(m)]
    return found


def milp_feasible(problem, constraints):
    """Whether some assignment meets ``constraints`` (others ignored), by HiGHS MILP.

    Leads whose ``assign`` is not listed may stay unassigned; bounds not listed are dropped.
    """
    n = problem.n_leads
    lead_idx, mgr_idx = np.nonzero(problem.eligible)
    n_var = lead_idx.size
    weight = problem.weight_matrix()[lead_idx, mgr_idx]
    value = problem.value[lead_idx, mgr_idx]
    must = {i for kind, i in constraints if kind == "assign"}
    rows, lower, upper = [], [], []
    for i in range(n):
        rows.append((lead_idx == i).astype(float))
        lower.append(1.0 if i in must else 0.0)
        upper.append(1.0)
    for kind, j in constraints:
        if kind == "assign":
            continue
        on_j = mgr_idx == j
        if kind == "capacity":
            rows.append(np.where(on_j, weight, 0.0))
            lower.append(-np.inf)
            upper.append(problem.hard_upper_load[j])
        elif kind == "min_load":
            rows.append(np.where(on_j, weight, 0.0))
            lower.append(problem.min_load[j])
            upper.append(np.inf)
        elif kind == "min_value":
            rows.append(np.where(on_j, value, 0.0))
            lower.append(problem.min_value[j])
            upper.append(np.inf)
        else:
            rows.append(np.where(on_j, value, 0.0))
            lower.append(-np.inf)
            upper.append(problem.max_value[j])
    if n_var == 0:
        return all(lo <= 0 <= hi for lo, hi in zip(lower, upper, strict=True))
    res = milp(
        np.zeros(n_var),
        constraints=LinearConstraint(np.array(rows), lower, upper),
        integrality=np.ones(n_var),
        bounds=Bounds(0, 1),
    )
    assert res.status in (0, 2), res.message
    return res.status == 0


def pairs(conflict):
    return [(c.kind, c.index) for c in conflict.constraints]


def assert_minimal(problem, conflict):
    """The set is infeasible and dropping any one constraint makes the rest feasible."""
    assert conflict.minimal
    named = pairs(conflict)
    assert len(set(named)) == len(named)
    assert not milp_feasible(problem, named)
    for k in range(len(named)):
        assert milp_feasible(problem, named[:k] + named[k + 1 :]), f"{named[k]} not needed"


def conflict_of(**kwargs):
    problem = fl.AssignmentProblem(**kwargs)
    assert not milp_feasible(problem, constraints_of(problem))
    conflict = find_conflict(problem)
    assert conflict is not None
    assert_minimal(problem, conflict)
    return conflict


# ------------------------------------------------------------------ types


def test_conflict_types_are_frozen_and_print_the_message():
    conflict = conflict_of(value=np.ones((2, 1)), capacity=[1])
    assert isinstance(conflict, Conflict)
    assert all(isinstance(c, Constraint) for c in conflict.constraints)
    assert str(conflict) == conflict.message
    assert conflict.leads == (0, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        conflict.message = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        conflict.constraints[0].index = 3


def test_feasible_problem_has_no_conflict():
    assert find_conflict(fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[2, 1])) is None
    weighted = fl.AssignmentProblem(
        value=np.ones((3, 2)), capacity=[2, 2.5], weight=[1.0, 1.0, 2.5], min_value=[1.0, 0.5]
    )
    assert find_conflict(weighted) is None


def test_time_limit_must_be_positive():
    problem = fl.AssignmentProblem(value=np.ones((1, 1)), capacity=[1])
    with pytest.raises(ValueError, match=r"time_limit must be a number > 0, got 0"):
        find_conflict(problem, time_limit=0)


# ------------------------------------------------------------------ leads over capacity


def labels(prefix, k):
    return [f"{prefix}-{i + 1}" for i in range(k)]


def test_unit_leads_confined_to_few_managers():
    n, m = 40, 6
    eligible = np.ones((n, m), dtype=bool)
    eligible[:19] = False
    eligible[:19, [0, 1, 3]] = True
    conflict = conflict_of(
        value=np.zeros((n, m)),
        capacity=[4, 4, 20, 4, 20, 20],
        eligible=eligible,
        lead_labels=labels("l", n),
        manager_labels=labels("m", m),
    )
    assert re.fullmatch(
        r"19 leads \(lead 'l-1', lead 'l-2', lead 'l-3' and 16 more\) can only go to the 3 "
        r"managers \(manager 'm-1', manager 'm-2', manager 'm-4'\), whose capacity totals 12; "
        r"short by 7",
        conflict.message,
    )
    # a minimal set: 13 of the 19 leads and the three capacities
    assert sorted(c.index for c in conflict.constraints if c.kind == "capacity") == [0, 1, 3]
    assert len(conflict.leads) == 13
    assert set(conflict.leads) <= set(range(19))


def test_weighted_leads_exceeding_capacity():
    eligible = np.zeros((5, 3), dtype=bool)
    eligible[:4, :2] = True
    eligible[4, 2] = True
    conflict = conflict_of(
        value=np.ones((5, 3)),
        capacity=[3, 2.5, 9],
        weight=[2.0, 1.5, 1.0, 2.5, 1.0],
        eligible=eligible,
        manager_labels=["ann", "bob", "cy"],
    )
    assert re.fullmatch(
        r"4 leads \(lead 0, lead 1, lead 2 and 1 more\) with a workload of 7 in total can only "
        r"go to the 2 managers \(manager 'ann', manager 'bob'\), whose capacity totals 5.5; "
        r"short by 1.5",
        conflict.message,
    )
    assert {c.index for c in conflict.constraints if c.kind == "capacity"} == {0, 1}


def test_equal_workloads_that_do_not_fit_as_whole_leads():
    conflict = conflict_of(value=np.ones((4, 3)), capacity=[2.9, 2.9, 2.9], weight=np.full(4, 2.0))
    assert re.fullmatch(
        r"4 leads \(.*\) can only go to the 3 managers \(.*\), whose capacity totals 8.7, "
        r"room for 3 leads of workload 2; short by 1",
        conflict.message,
    )
    assert [c.text for c in conflict.constraints][-3:] == [
        "capacity of manager 0 (2.9)",
        "capacity of manager 1 (2.9)",
        "capacity of manager 2 (2.9)",
    ]


def test_lead_whose_eligible_managers_are_all_full_by_weight():
    conflict = conflict_of(
        value=np.ones((3, 2)),
        capacity=[2, 2.5],
        weight=[1.0, 1.0, 3.0],
        lead_labels=["a", "b", "c"],
        manager_labels=["ann", "bob"],
    )
    assert conflict.message == (
        "lead 'c' (workload 3) fits none of its eligible managers: manager 'ann' (capacity 2), "
        "manager 'bob' (capacity 2.5)"
    )
    assert [c.text for c in conflict.constraints] == [
        "lead 'c' must be assigned",
        "capacity of manager 'ann' (2)",
        "capacity of manager 'bob' (2.5)",
    ]


def test_max_load_is_named_when_it_binds():
    conflict = conflict_of(
        value=np.ones((3, 2)), capacity=[5, 5], max_load=[1, 1], weight=[1.5, 1.0, 1.0]
    )
    assert "lead 0 (workload 1.5) fits none" in conflict.message
    assert "manager 0 (max_load 1)" in conflict.message
    assert conflict.constraints[1].text == "max_load of manager 0 (1)"


def test_lead_without_eligible_manager():
    eligible = np.array([[True], [False]])
    conflict = conflict_of(value=np.ones((2, 1)), capacity=[5], eligible=eligible)
    assert conflict.message == "lead 1 has no eligible manager"
    assert pairs(conflict) == [("assign", 1)]


# ------------------------------------------------------------------ min_load


def test_min_load_above_its_eligible_leads():
    eligible = np.ones((10, 3), dtype=bool)
    eligible[6:, 2] = False
    conflict = conflict_of(
        value=np.zeros((10, 3)),
        capacity=[10, 10, 10],
        min_load=[0, 0, 10],
        eligible=eligible,
        manager_labels=["m-1", "m-2", "m-4"],
    )
    assert conflict.message == "min_load of manager 'm-4' (10) exceeds its eligible leads (6)"
    assert pairs(conflict) == [("min_load", 2)]


def test_min_load_above_the_workload_of_its_eligible_leads():
    conflict = conflict_of(
        value=np.zeros((3, 2)),
        capacity=[9, 9],
        min_load=[0, 5],
        weight=[1.5, 1.5, 1.5],
        allow_unassigned=True,
    )
    assert re.fullmatch(
        r"min_load of manager 1 \(5\) exceeds the total workload of its eligible leads \(4.5\)",
        conflict.message,
    )


def test_min_load_and_capacity_have_no_workload_in_between():
    conflict = conflict_of(
        value=np.zeros((4, 2)),
        capacity=[10, 2.9],
        min_load=[0, 2.5],
        weight=[2.0, 2.0, 2.0, 2.0],
        allow_unassigned=True,
    )
    assert conflict.message == (
        "min_load of manager 1 (2.5) and its capacity (2.9) cannot both hold: no set of its "
        "eligible leads has a workload between 2.5 and 2.9"
    )


def test_min_loads_of_a_group_exceed_the_leads_they_can_get():
    eligible = np.zeros((6, 3), dtype=bool)
    eligible[:3, :2] = True
    eligible[:, 2] = True
    conflict = conflict_of(
        value=np.zeros((6, 3)),
        capacity=[6, 6, 6],
        min_load=[2, 2, 0],
        eligible=eligible,
        weight=np.ones(6),
        max_value=[10.0, 10.0, 10.0],  # keeps the flow explanation out of the way
    )
    assert re.fullmatch(
        r"min_load of 2 managers \(manager 0, manager 1\) asks for 4 leads in total, but only 3 "
        r"leads are eligible for any of them; short by 1",
        conflict.message,
    )


# ------------------------------------------------------------------ value bounds


def test_min_value_unreachable_with_all_eligible_leads():
    conflict = conflict_of(
        value=np.array([[0.5, 0.9], [0.4, 0.8], [0.3, -0.7]]),
        capacity=[5, 5],
        min_value=[0, 2.0],
        allow_unassigned=True,
        manager_labels=["m-1", "m-2"],
    )
    assert conflict.message == (
        "min_value of manager 'm-2' (2) cannot be reached: its eligible leads are worth at "
        "most 1.7 in total"
    )


def test_min_value_unreachable_within_capacity():
    value = np.array([[0.5, 0.9], [0.4, 0.8], [0.3, 0.7], [0.2, 0.6], [0.1, 0.5]])
    conflict = conflict_of(
        value=value,
        capacity=[5, 2],
        min_value=[0, 2.0],
        allow_unassigned=True,
        manager_labels=["m-1", "m-2"],
    )
    assert conflict.message == (
        "min_value of manager 'm-2' (2) cannot be reached: its eligible leads are worth at "
        "most 1.7 in total with its capacity 2"
    )
    assert pairs(conflict) == [("capacity", 1), ("min_value", 1)]


def test_min_value_within_weighted_capacity_is_a_knapsack():
    value = np.array([[0.0, 0.9], [0.0, 0.8], [0.0, 0.6]])
    conflict = conflict_of(
        value=value,
        capacity=[5, 3],
        weight=[2.0, 2.0, 1.0],
        min_value=[0, 1.6],
        allow_unassigned=True,
    )
    # the fractional bound (0.9 + 0.6 + 0.4 = 1.9) is not enough: the best whole choice is 1.5
    assert re.fullmatch(
        r"min_value of manager 1 \(1.6\) cannot be reached: its eligible leads are worth at "
        r"most 1.5\d* in total with its capacity 3",
        conflict.message,
    )


def test_max_value_below_what_min_load_forces():
    conflict = conflict_of(
        value=np.full((5, 2), 0.8),
        capacity=[5, 5],
        min_load=[0, 3],
        max_value=[10, 2.0],
        manager_labels=["x", "m-1"],
    )
    assert conflict.message == (
        "max_value of manager 'm-1' (2) is below what its min_load of 3 forces (at least 2.4)"
    )


def test_max_value_forced_by_leads_that_must_be_assigned():
    # three leads must go somewhere; 'b' takes one, so 'a' takes two worth 1.2 > 1.0
    conflict = conflict_of(
        value=np.full((3, 2), 0.6),
        capacity=[3, 1],
        max_value=[1.0, 5.0],
        manager_labels=["a", "b"],
    )
    assert conflict.message == (
        "no assignment meets all of these together: 3 leads must be assigned (lead 0, lead 1, "
        "lead 2); max_value of manager 'a' (1); capacity of manager 'b' (1)"
    )


def test_min_and_max_value_leave_no_total_in_between():
    conflict = conflict_of(
        value=np.array([[0.0, 0.4], [0.0, 0.4]]),
        capacity=[2, 2],
        min_value=[0, 0.5],
        max_value=[1, 0.7],
        allow_unassigned=True,
    )
    assert conflict.message == (
        "min_value (0.5) and max_value (0.7) of manager 1 cannot both hold: no set of its "
        "eligible leads has a total value in between"
    )


# ------------------------------------------------------------------ soft bands, scale


def test_soft_bands_are_not_constraints():
    kwargs = {"value": np.full((2, 2), 0.5), "capacity": [2, 2], "min_load": [0, 2]}
    eligible = np.array([[True, True], [True, False]])
    assert find_conflict(fl.AssignmentProblem(eligible=eligible, **kwargs)) is not None
    soft = fl.AssignmentProblem(eligible=eligible, load_penalty=1.0, **kwargs)
    assert find_conflict(soft) is None
    valued = {"value": np.full((2, 1), 0.5), "capacity": [2], "max_value": [0.6]}
    assert find_conflict(fl.AssignmentProblem(**valued)) is not None
    assert find_conflict(fl.AssignmentProblem(value_penalty=1.0, **valued)) is None


def test_workloads_off_every_decimal_grid_are_exact_in_floats():
    third = 1.0 / 3.0
    fits = fl.AssignmentProblem(value=np.ones((3, 1)), capacity=[1.0], weight=[third] * 3)
    assert find_conflict(fits) is None
    conflict = conflict_of(value=np.ones((4, 1)), capacity=[1.0], weight=[third] * 4)
    assert "room for 3 leads of workload 0.333333; short by 1" in conflict.message


# ------------------------------------------------------------------ explain


def test_explain_prefers_the_flow_explanation_for_unit_weights():
    problem = fl.AssignmentProblem(value=np.ones((3, 2)), capacity=[1, 1])
    assert explain(problem) == explain_infeasible(problem)


def test_explain_with_a_soft_load_band_counts_only_capacity():
    kwargs = {"value": np.ones((3, 2)), "capacity": [1, 1], "min_load": [1, 1]}
    problem = fl.AssignmentProblem(load_penalty=1.0, **kwargs)
    assert explain(problem).startswith(
        "managers can take 2 leads in total (capacity/max_load), but 3 leads must be assigned"
    )
    conflict = find_conflict(problem)
    assert {c.kind for c in conflict.constraints} == {"assign", "capacity"}


def test_explain_uses_the_conflict_for_weights_and_value_bounds():
    weighted = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[2], weight=[1.5, 1.0])
    assert explain(weighted) == find_conflict(weighted).message
    valued = fl.AssignmentProblem(
        value=np.full((3, 1), 0.5), capacity=[3], min_load=[2], max_value=[0.8]
    )
    assert explain(valued) == (
        "max_value of manager 0 (0.8) is below what its min_load of 2 forces (at least 1)"
    )


def test_explain_on_a_feasible_problem_says_so():
    problem = fl.AssignmentProblem(value=np.ones((2, 1)), capacity=[2], weight=[0.5, 0.5])
    assert explain(problem) == "every constraint can hold together: no conflict found"


# ------------------------------------------------------------------ a larger batch


def test_thousands_of_leads_in_seconds():
    rng = np.random.default_rng(7)
    n, m = 2000, 20
    product = rng.integers(0, 4, n)
    certified = rng.random((4, m)) < 0.5
    certified[:, 0] = True
    eligible = certified[product]
    weight = rng.choice([1.0, 1.5, 2.0], n)
    capacity = np.full(m, 200.0)
    capacity[~certified[2]] = 15.0  # product 2: few certified managers, little room
    problem = fl.AssignmentProblem(
        value=rng.random((n, m)), capacity=capacity, eligible=eligible, weight=weight
    )
    start = time.perf_counter()
    conflict = find_conflict(problem)
    assert time.perf_counter() - start < 20
    assert conflict is not None
    assert conflict.minimal
    print(conflict.message)
    assert re.match(
        r"\d+ leads \(lead \d+, .*\) with a workload of \S+ in total can only", conflict.message
    )


# ------------------------------------------------------------------ property: minimal sets


GRID_WEIGHTS = st.sampled_from([0.5, 1.0, 1.5, 2.0])


@st.composite
def small_problems(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    eligible = np.array(
        [[draw(st.sampled_from([True, True, False])) for _ in range(m)] for _ in range(n)]
    )
    if draw(st.booleans()):
        weight = np.array([draw(GRID_WEIGHTS) for _ in range(n)])
    else:
        weight = np.array([[draw(GRID_WEIGHTS) for _ in range(m)] for _ in range(n)])
    capacity = np.array([0.5 * draw(st.integers(0, 8)) for _ in range(m)])
    min_load = np.array([0.5 * draw(st.integers(0, int(2 * c))) for c in capacity])
    if not draw(st.booleans()):
        min_load = np.zeros(m)
    value = np.array([[0.1 * draw(st.integers(-2, 10)) for _ in range(m)] for _ in range(n)])
    kwargs = {}
    if draw(st.booleans()):
        low = np.array([0.05 * draw(st.integers(-10, 40)) for _ in range(m)])
        high = low + np.array([0.05 * draw(st.integers(0, 40)) for _ in range(m)])
        if draw(st.booleans()):
            kwargs["min_value"] = low
        if draw(st.booleans()):
            kwargs["max_value"] = high
    return fl.AssignmentProblem(
        value=value,
        capacity=capacity,
        eligible=eligible,
        weight=weight,
        min_load=min_load,
        allow_unassigned=draw(st.booleans()),
        **kwargs,
    )


@given(small_problems())
def test_every_conflict_is_infeasible_and_minimal(problem):
    feasible = milp_feasible(problem, constraints_of(problem))
    conflict = find_conflict(problem)
    event("feasible" if feasible else "infeasible")
    if feasible:
        assert conflict is None
        return
    assert conflict is not None
    note(conflict.message)
    note(pairs(conflict))
    assert conflict.message
    assert_minimal(problem, conflict)
    for c in conflict.constraints:
        name = problem.lead_name(c.index) if c.kind == "assign" else problem.manager_name(c.index)
        assert name in c.text
