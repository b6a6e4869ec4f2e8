"""Why a problem is infeasible: each reason on a hand-made instance, and its claim checked."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, note
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fairlead as fl
from fairlead.diagnose._infeasibility import explain_infeasible


def infeasible(**kwargs):
    """Solve with min_cost_flow, check the outcome is INFEASIBLE and return the message."""
    problem = fl.AssignmentProblem(**kwargs)
    sol = fl.solve(problem, method="min_cost_flow")
    assert sol.status is fl.SolveStatus.INFEASIBLE
    assert not sol.status.has_solution
    assert (sol.manager_of == -1).all()
    assert sol.bound is None
    assert sol.message == explain_infeasible(problem)
    return sol.message


def feasible(**kwargs):
    sol = fl.solve(fl.AssignmentProblem(**kwargs), method="min_cost_flow")
    assert sol.status is fl.SolveStatus.OPTIMAL, sol.message
    return sol


def manager_indices(names):
    """``"manager 0, manager 3"`` -> ``[0, 3]`` (unlabelled managers only)."""
    return [int(k) for k in re.findall(r"manager (\d+)", names)]


# ------------------------------------------------------------------ total capacity


def test_total_capacity_short():
    message = infeasible(value=np.zeros((5, 3)), capacity=[1, 2, 0.5])
    assert message == (
        "managers can take 3 leads in total (capacity/max_load), but 5 leads must be "
        "assigned; short by 2 (or set allow_unassigned=True)"
    )


def test_total_capacity_short_counts_max_load_and_whole_leads():
    # upper loads 1 and 3.9 take 1 + 3 whole leads
    message = infeasible(value=np.zeros((5, 2)), capacity=[3, 3.9], max_load=[1, 5])
    assert message.startswith(
        "managers can take 4 leads in total (capacity/max_load), but 5 leads must be "
        "assigned; short by 1"
    )


def test_total_capacity_short_claim():
    message = infeasible(value=np.zeros((5, 3)), capacity=[1, 2, 0])
    short = int(re.search(r"short by (\d+)", message).group(1))
    assert short == 2
    # the suggested allow_unassigned=True places all but the shortfall
    sol = feasible(value=np.zeros((5, 3)), capacity=[1, 2, 0], allow_unassigned=True)
    assert sol.n_unassigned == short
    # and raising capacity by the shortfall makes every lead fit
    feasible(value=np.zeros((5, 3)), capacity=[1, 2, short])


# --------------------------------------------------------- leads without a manager


def test_lead_with_no_eligible_manager():
    eligible = np.ones((3, 2), dtype=bool)
    eligible[1] = False
    message = infeasible(
        value=np.zeros((3, 2)), capacity=[3, 3], eligible=eligible, lead_labels=["a", "b", "c"]
    )
    assert re.match(r"^lead 'b' has no eligible manager with room", message)


def test_lead_whose_only_managers_are_full():
    eligible = np.array([[True, False], [False, True], [True, False]])
    message = infeasible(value=np.zeros((3, 2)), capacity=[3, 0], eligible=eligible)
    assert re.match(r"^lead 1 has no eligible manager with room", message)
    # giving manager 1 room resolves it
    feasible(value=np.zeros((3, 2)), capacity=[3, 1], eligible=eligible)


def test_many_leads_without_room_are_counted_and_a_few_named():
    eligible = np.zeros((6, 2), dtype=bool)
    eligible[0] = True
    message = infeasible(
        value=np.zeros((6, 2)),
        capacity=[6, 6],
        eligible=eligible,
        lead_labels=["a", "b", "c", "d", "e", "f"],
    )
    assert re.match(
        r"^5 leads have no eligible manager with room .*: lead 'b', lead 'c', lead 'd' "
        r"and 2 more$",
        message,
    )


def test_lead_without_room_message_is_true_for_fractional_capacity():
    eligible = np.array([[True, True], [False, True]])
    message = infeasible(value=np.zeros((2, 2)), capacity=[2, 0.5], eligible=eligible)
    assert message.startswith("lead 1 has no eligible manager with room")
    assert "capacity/max_load > 0" not in message


# ------------------------------------------------------------------------ min_load


def test_min_load_sum_above_the_batch():
    message = infeasible(value=np.zeros((3, 3)), capacity=[3, 3, 3], min_load=[2, 1.5, 0])
    assert message == "min_load asks for 4 leads in total, but the batch has 3"
    # with the sum brought down to the batch size it holds
    feasible(value=np.zeros((3, 3)), capacity=[3, 3, 3], min_load=[2, 1, 0])


def test_min_load_sum_above_the_batch_even_when_unassigned_allowed():
    message = infeasible(
        value=np.zeros((3, 2)), capacity=[3, 3], min_load=[2, 2], allow_unassigned=True
    )
    assert message == "min_load asks for 4 leads in total, but the batch has 3"


def test_min_load_above_eligible_leads():
    eligible = np.ones((4, 2), dtype=bool)
    eligible[:2, 1] = False
    message = infeasible(
        value=np.zeros((4, 2)),
        capacity=[4, 4],
        min_load=[0, 3],
        eligible=eligible,
        manager_labels=["ann", "bob"],
    )
    assert message == "min_load of manager 'bob' (3) exceeds its eligible leads (2)"
    feasible(value=np.zeros((4, 2)), capacity=[4, 4], min_load=[0, 2], eligible=eligible)


def test_min_load_above_eligible_leads_shows_the_given_min_load():
    eligible = np.ones((4, 2), dtype=bool)
    eligible[:2, 1] = False
    message = infeasible(
        value=np.zeros((4, 2)), capacity=[4, 4], min_load=[0, 2.5], eligible=eligible
    )
    assert "min_load of manager 1 (2.5)" in message


def test_min_load_of_a_group_of_managers_exceeds_their_joint_leads():
    # managers 0 and 1 each want 2 of leads 0..2 (each alone is fine); manager 2 takes the rest
    eligible = np.zeros((6, 3), dtype=bool)
    eligible[:3, :2] = True
    eligible[:, 2] = True
    kwargs = {"value": np.zeros((6, 3)), "capacity": [6, 6, 6], "eligible": eligible}
    message = infeasible(min_load=[2, 2, 0], **kwargs)
    match = re.fullmatch(
        r"min_load of 2 managers \((manager \d+, manager \d+)\) asks for 4 leads in total, "
        r"but only 3 leads are eligible for any of them; short by 1",
        message,
    )
    assert match is not None, message
    group = manager_indices(match.group(1))
    assert sorted(group) == [0, 1]
    # the claim: dropping the named group's min_load by the shortfall restores feasibility
    feasible(min_load=[2, 1, 0], **kwargs)
    feasible(min_load=[1, 2, 0], **kwargs)
    feasible(min_load=[0, 0, 0], **kwargs)


def test_min_load_group_witness_grows_through_alternating_paths():
    # manager 0 wants both leads 0 and 1; manager 1 wants one of them; manager 2 wants
    # lead 1 or 2 — the deficient set is {0, 1}, manager 2 is not part of the witness
    eligible = np.array(
        [[True, True, False], [True, True, True], [False, False, True], [False, False, True]]
    )
    kwargs = {"value": np.zeros((4, 3)), "capacity": [4, 4, 4], "eligible": eligible}
    message = infeasible(min_load=[2, 1, 1], **kwargs)
    match = re.fullmatch(
        r"min_load of (\d+) managers \((.*)\) asks for (\d+) leads in total, but only (\d+) "
        r"leads are eligible for any of them; short by (\d+)",
        message,
    )
    assert match is not None, message
    k, names, need, have, short = match.groups()
    group = manager_indices(names)
    assert len(group) == int(k)
    assert {0, 1} <= set(group)
    low = np.array([2, 1, 1])
    assert int(need) == low[group].sum()
    assert int(have) == eligible[:, group].any(axis=1).sum()
    assert int(short) == int(need) - int(have)
    lowered = low.copy()
    lowered[group[0]] -= int(short)
    feasible(min_load=lowered, **kwargs)


def test_min_load_group_message_with_labels():
    eligible = np.zeros((6, 3), dtype=bool)
    eligible[:3, :2] = True
    eligible[:, 2] = True
    message = infeasible(
        value=np.zeros((6, 3)),
        capacity=[6, 6, 6],
        min_load=[2, 2, 0],
        eligible=eligible,
        manager_labels=["ann", "bob", "cid"],
    )
    assert re.match(r"^min_load of 2 managers \(manager 'ann', manager 'bob'\) asks", message)


def test_fractional_min_load_needs_more_whole_leads_than_the_cap():
    message = infeasible(value=np.zeros((4, 2)), capacity=[1.9, 4], min_load=[1.5, 0])
    assert message == (
        "min_load of manager 0 (1.5) needs 2 whole leads, but its capacity/max_load allows 1"
    )
    # a whole second lead of room resolves it
    feasible(value=np.zeros((4, 2)), capacity=[2, 4], min_load=[1.5, 0])


def test_fractional_min_load_against_max_load():
    message = infeasible(
        value=np.zeros((4, 2)),
        capacity=[4, 4],
        min_load=[0, 2.2],
        max_load=[4, 2.9],
        manager_labels=["ann", "bob"],
        allow_unassigned=True,
    )
    assert message == (
        "min_load of manager 'bob' (2.2) needs 3 whole leads, but its capacity/max_load allows 2"
    )


# ----------------------------------------------------------- Hall: leads side


def test_leads_whose_only_manager_lacks_room():
    eligible = np.zeros((4, 2), dtype=bool)
    eligible[:3, 0] = True
    eligible[3, 1] = True
    kwargs = {"value": np.zeros((4, 2)), "eligible": eligible}
    message = infeasible(capacity=[2, 5], **kwargs)
    match = re.fullmatch(
        r"3 leads can only go to manager 0, which can take 2 \(capacity/max_load\); "
        r"short by 1, e.g. lead [012]",
        message,
    )
    assert match is not None, message
    feasible(capacity=[3, 5], **kwargs)


def test_leads_whose_managers_lack_room_as_a_group():
    # leads 0..3 may only go to managers 0 and 1 (one slot each); manager 2 has room to spare
    eligible = np.zeros((5, 3), dtype=bool)
    eligible[:4, :2] = True
    eligible[4, 2] = True
    capacity = np.array([1.0, 1.0, 10.0])
    kwargs = {"value": np.zeros((5, 3)), "eligible": eligible}
    message = infeasible(capacity=capacity, **kwargs)
    match = re.fullmatch(
        r"(\d+) leads can only go to the 2 managers \((manager \d, manager \d)\), which can take "
        r"(\d+) \(capacity/max_load\); short by (\d+), e.g. (lead \d, lead \d)",
        message,
    )
    assert match is not None, message
    n_leads, names, room, short, examples = match.groups()
    group = manager_indices(names)
    assert sorted(group) == [0, 1]
    assert (int(n_leads), int(room), int(short)) == (4, 2, 2)
    for i in (int(k) for k in re.findall(r"lead (\d+)", examples)):
        assert set(np.flatnonzero(eligible[i])) <= set(group)
    # the claim: the named managers need `short` more room between them
    for j in group:
        raised = capacity.copy()
        raised[j] += int(short)
        feasible(capacity=raised, **kwargs)
    raised = capacity.copy()
    raised[group[0]] += int(short) - 1
    infeasible(capacity=raised, **kwargs)


def test_leads_hall_witness_respects_max_load():
    eligible = np.zeros((3, 2), dtype=bool)
    eligible[:2, 0] = True
    eligible[2, :] = True
    message = infeasible(
        value=np.zeros((3, 2)),
        capacity=[5, 5],
        max_load=[1, 5],
        eligible=eligible,
        lead_labels=["x", "y", "z"],
    )
    assert re.fullmatch(
        r"2 leads can only go to manager 0, which can take 1 \(capacity/max_load\); "
        r"short by 1, e.g. lead '[xy]'",
        message,
    )


# ------------------------------------------------- property: every reason is true


@st.composite
def infeasible_prone(draw):
    n = draw(st.integers(1, 8))
    m = draw(st.integers(1, 4))
    eligible = draw(arrays(np.bool_, (n, m), elements=st.sampled_from([True, False, False])))
    capacity = np.array([draw(st.integers(0, n)) + 0.5 * draw(st.booleans()) for _ in range(m)])
    kwargs = {}
    if draw(st.booleans()):
        lows = []
        for c in capacity:
            k = draw(st.integers(0, min(math.floor(c), n)))
            lows.append(k + (0.5 if k + 0.5 <= min(c, n) and draw(st.booleans()) else 0.0))
        kwargs["min_load"] = np.array(lows)
    if draw(st.booleans()):
        kwargs["max_load"] = np.array(
            [draw(st.integers(0, n)) + 0.5 * draw(st.booleans()) for _ in range(m)]
        )
        kwargs["max_load"] = np.maximum(kwargs["max_load"], kwargs.get("min_load", 0))
    return fl.AssignmentProblem(
        value=np.zeros((n, m)),
        capacity=capacity,
        eligible=eligible,
        allow_unassigned=draw(st.booleans()),
        **kwargs,
    )


REASONS = {
    "totals": re.compile(
        r"managers can take (\d+) leads in total \(capacity/max_load\), but (\d+) leads must "
        r"be assigned; short by (\d+) \(or set allow_unassigned=True\)"
    ),
    "min_load_sum": re.compile(r"min_load asks for (\d+) leads in total, but the batch has (\d+)"),
    "one_lead": re.compile(r"lead (\d+) has no eligible manager with room .*"),
    "many_leads": re.compile(r"(\d+) leads have no eligible manager with room .*: (.*)"),
    "one_manager": re.compile(
        r"min_load of manager (\d+) \(([\d.]+)\) exceeds its eligible leads \((\d+)\)"
    ),
    "manager_group": re.compile(
        r"min_load of (\d+) managers \((.*)\) asks for (\d+) leads in total, but only (\d+) "
        r"leads are eligible for any of them; short by (\d+)"
    ),
    "whole": re.compile(
        r"min_load of manager (\d+) \((\S+)\) needs (\d+) whole leads, but its "
        r"capacity/max_load allows (\d+)"
    ),
    "lead_group": re.compile(
        r"(\d+) leads can only go to (manager \d+|the \d+ managers \(.*\)), which can take (\d+) "
        r"\(capacity/max_load\); short by (\d+), e.g. (.*)"
    ),
}


@given(infeasible_prone())
def test_every_infeasibility_reason_states_true_numbers(problem):
    sol = fl.solve(problem, method="min_cost_flow")
    if sol.status is not fl.SolveStatus.INFEASIBLE:
        return
    message = sol.message
    note(message)
    n = problem.n_leads
    low = np.ceil(problem.min_load - 1e-9).astype(int)
    high = np.floor(np.minimum(problem.upper_load, n) + 1e-9).astype(int)
    found = {k: r.fullmatch(message) for k, r in REASONS.items()}
    found = {k: v for k, v in found.items() if v is not None}
    assert len(found) == 1, f"unrecognised reason: {message!r}"
    (kind, match), *_ = found.items()
    g = match.groups()
    if kind == "totals":
        assert not problem.allow_unassigned
        assert (int(g[0]), int(g[1]), int(g[2])) == (high.sum(), n, n - high.sum())
        assert int(g[2]) > 0
    elif kind == "min_load_sum":
        assert (int(g[0]), int(g[1])) == (low.sum(), n)
        assert low.sum() > n
    elif kind == "one_lead":
        i = int(g[0])
        assert not (problem.eligible[i] & (high > 0)).any()
    elif kind == "many_leads":
        stranded = ~(problem.eligible & (high > 0)).any(axis=1)
        assert int(g[0]) == stranded.sum() > 1
        for i in re.findall(r"lead (\d+)", g[1]):
            assert stranded[int(i)]
    elif kind == "one_manager":
        j = int(g[0])
        assert float(g[1]) == problem.min_load[j]
        assert int(g[2]) == problem.eligible[:, j].sum() < low[j]
    elif kind == "manager_group":
        k, names, need, have, short = int(g[0]), g[1], int(g[2]), int(g[3]), int(g[4])
        assert short == need - have > 0
        if "more" not in names:
            group = manager_indices(names)
            assert len(group) == k
            assert need == low[group].sum()
            assert have == problem.eligible[:, group].any(axis=1).sum()
    elif kind == "whole":
        j = int(g[0])
        assert float(g[1]) == pytest.approx(problem.min_load[j])
        assert (int(g[2]), int(g[3])) == (low[j], high[j])
        assert low[j] > high[j]
    else:
        assert not problem.allow_unassigned
        n_leads, who, room, short = int(g[0]), g[1], int(g[2]), int(g[3])
        assert short == n_leads - room > 0
        if "more" not in who:
            group = manager_indices(who)
            assert room == high[group].sum()
            outside = np.setdiff1d(np.arange(problem.n_managers), group)
            confined = ~problem.eligible[:, outside].any(axis=1)
            assert confined.sum() == n_leads
            if "more" not in g[4]:
                for i in re.findall(r"lead (\d+)", g[4]):
                    assert confined[int(i)]
