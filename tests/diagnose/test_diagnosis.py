"""diagnose(): the sentence, and the leads and manager bounds it names."""

import gc

import numpy as np
import pytest

import fairlead as fl
from fairlead.diagnose import Diagnosis, _memo, diagnose, explain_conflict, explain_infeasible


def problem(**kwargs):
    kwargs.setdefault("value", np.ones((3, 2)))
    kwargs.setdefault("capacity", [5, 5])
    n, m = np.shape(kwargs["value"])
    kwargs.setdefault("lead_labels", [f"l{i}" for i in range(n)])
    kwargs.setdefault("manager_labels", [f"m{j}" for j in range(m)])
    return fl.AssignmentProblem(**kwargs)


def parts(found):
    assert isinstance(found, Diagnosis)
    return found.leads.tolist(), found.bounds, found.minimal


def test_totals_name_every_lead_and_every_capacity():
    found = diagnose(problem(capacity=[1, 1]))
    assert parts(found) == ([0, 1, 2], (("capacity", 0), ("capacity", 1)), False)
    assert found.managers == (0, 1)
    assert str(found) == found.message == explain_infeasible(problem(capacity=[1, 1]))


def test_leads_without_room_name_their_full_managers():
    p = problem(
        capacity=[0, 5, 5], value=np.ones((3, 3)), eligible=[[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    )
    assert parts(diagnose(p)) == ([0], (("capacity", 0),), False)


def test_a_lead_nobody_may_take_names_no_bound():
    p = problem(eligible=[[0, 0], [1, 1], [1, 1]])
    assert parts(diagnose(p)) == ([0], (), False)


def test_hall_witness_on_the_lead_side():
    p = problem(capacity=[1, 5], eligible=[[1, 0], [1, 0], [1, 1]])
    assert parts(diagnose(p)) == ([0, 1], (("capacity", 0),), False)


def test_min_load_above_eligible_leads():
    p = problem(min_load=[3, 0], eligible=[[1, 1], [1, 1], [0, 1]])
    assert parts(diagnose(p)) == ([], (("min_load", 0),), False)


def test_min_loads_of_a_group():
    p = problem(
        value=np.ones((4, 3)),
        capacity=[5, 5, 5],
        min_load=[2, 2, 0],
        eligible=[[1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]],
    )
    assert parts(diagnose(p)) == ([], (("min_load", 0), ("min_load", 1)), False)


def test_whole_lead_bounds():
    p = problem(capacity=[1.5, 5], min_load=[1.2, 0])  # 2 whole leads, room for 1
    assert parts(diagnose(p)) == ([], (("capacity", 0), ("min_load", 0)), False)


def test_weighted_problems_get_the_minimal_conflict():
    p = problem(value=np.full((3, 2), 0.5), capacity=[2, 2], weight=[2.0, 1.5, 1.5])
    found = diagnose(p)
    assert parts(found) == ([0, 1, 2], (("capacity", 0), ("capacity", 1)), True)
    assert found.message == explain_conflict(p)


def test_value_bounds_are_named_by_kind():
    p = problem(
        value=np.array([[0.5, 0.4], [0.4, 0.9]]),
        capacity=[2, 2],
        min_load=[0, 1],
        max_value=[2.0, 0.3],
    )
    assert parts(diagnose(p)) == ([], (("min_load", 1), ("max_value", 1)), True)


def test_a_feasible_problem_has_no_diagnosis():
    assert diagnose(problem()) is None


def test_bad_time_limit_is_refused():
    with pytest.raises(ValueError, match=r"^time_limit must be a number > 0, got 0$"):
        diagnose(problem(), time_limit=0)


def test_the_answer_is_remembered_while_the_problem_lives():
    p = problem(value=np.full((3, 2), 0.5), capacity=[2, 2], weight=[2.0, 1.5, 1.5])
    assert diagnose(p) is diagnose(p)
    assert fl.find_conflict(p) is fl.find_conflict(p)
    held = len(_memo._found)
    del p
    gc.collect()
    assert len(_memo._found) < held
