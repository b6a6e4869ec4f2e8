"""An infeasible policy names its rules; a plan that breaks the policy is not quiet."""

import re
import warnings

import pytest

import fairlead as fl
from fairlead.plan import PolicyBrokenWarning
from fairlead.plan import _infeasible as words

L, M, P = fl.Lead, fl.Manager, fl.Policy
HEAD = "no assignment satisfies the policy: "
CAPACITY = "capacity (max_active_leads - active_leads - portfolio/touch load)"


# Words a head of sales would not know: solver terms and the numeric problem's fields.
JARGON = re.compile(r"\b(LP|flow|dual|constraint matrix|min_load|max_load|min_value|max_value)\b")


def refusal(leads, managers, policy=None, **kwargs):
    """The InfeasibleError of ``fl.assign``, checked to speak the policy's words."""
    with pytest.raises(fl.InfeasibleError) as info:
        fl.assign(leads, managers, policy, **kwargs)
    error = info.value
    assert str(error).startswith(HEAD)
    assert not JARGON.search(str(error)), str(error)
    return error


# --------------------------------------------------------------------------- one rule each


def test_hot_lead_level_rule_excludes_every_manager_with_room():
    error = refusal(
        [L(id="l1", score=0.9, tier="hot")],
        [M(id="a", level="junior", max_active_leads=1)],
        P(hot_min_level="middle"),
    )
    assert str(error) == (
        HEAD + "lead 'l1' (hot) has no manager it may go to: the hot-lead level rule "
        "(hot_min_level='middle') excludes every manager with room: 'a' (junior)"
    )
    assert error.rules == ("hot_lead_level",)
    assert (error.lead_ids, error.manager_ids) == (("l1",), ("a",))


def test_every_manager_unavailable_names_them_all():
    error = refusal(
        [L(id="l1", score=0.9)],
        [
            M(id="a", available=False, max_active_leads=3),
            M(id="b", available=False, max_active_leads=3),
        ],
    )
    assert str(error) == HEAD + "all 2 managers are unavailable (available=false): 'a', 'b'"
    assert error.rules == ("availability",)
    assert error.manager_ids == ("a", "b")


def test_the_only_manager_unavailable():
    error = refusal([L(id="l1", score=0.2)], [M(id="a", available=False, max_active_leads=3)])
    assert str(error) == HEAD + "the only manager, 'a', is unavailable (available=false)"


def test_qualification_excludes_the_managers_with_room():
    error = refusal(
        [L(id="l1", score=0.2, product="loans")],
        [
            M(id="a", skills={"cards"}, max_active_leads=3),
            M(id="b", skills={"cards", "loans"}, max_active_leads=0),
        ],
    )
    assert str(error) == (
        HEAD + "lead 'l1' (cold, product 'loans') has no manager it may go to: qualification "
        "(qualification_required=true) excludes every manager with room: 'a' (no skill "
        f"'loans'); {CAPACITY} leaves no room at 'b' (0 - 0 - 0)"
    )
    assert error.rules == ("qualification", "capacity")


def test_capacity_short_in_total_shows_where_the_room_goes():
    error = refusal(
        [L(id=f"l{i}", score=0.2) for i in range(5)],
        [
            M(id="a", max_active_leads=2),
            M(id="b", max_active_leads=3, active_leads=1, portfolio_size=4),
        ],
        P(portfolio_load=0.25),
    )
    assert str(error) == (
        HEAD + "5 leads must be assigned, but the managers have room for 3 in total; short "
        f"by 2 (or set allow_unassigned=true): {CAPACITY} leaves room for 3: 'a' 2 "
        "(2 - 0 - 0), 'b' 1 (3 - 1 - 1)"
    )
    assert error.rules == ("capacity",)
    assert error.detail == (
        "managers can take 3 leads in total (capacity/max_load), but 5 leads must be "
        "assigned; short by 2 (or set allow_unassigned=True)"
    )


def test_balance_band_floor_above_the_leads_the_rules_let_through():
    leads = [L(id=f"x{i}", score=0.2, product="x") for i in range(4)]
    leads += [L(id=f"y{i}", score=0.2, product="y") for i in range(2)]
    error = refusal(
        leads,
        [
            M(id="a", skills={"x"}, max_active_leads=10),
            M(id="b", skills={"y"}, max_active_leads=10),
            M(id="c", skills={"y"}, max_active_leads=10),
        ],
        P(balance_tolerance=0.0),
    )
    assert str(error) == (
        HEAD + "the balance band (balance_tolerance=0, target_share='capacity') asks the 2 "
        "managers 'b', 'c' for at least 4 leads in total, but only 2 leads may go to any of "
        "them; short by 2: qualification (qualification_required=true) keeps 4 leads ('x0', "
        "'x1', 'x2', 'x3') from 'b', 'c' (no skill 'x')"
    )
    assert error.rules == ("qualification", "balance_band")
    assert error.manager_ids == ("b", "c")
    assert error.lead_ids == ("x0", "x1", "x2", "x3")


def test_value_band_out_of_reach_for_a_junior():
    # only the senior may take the hot leads, so the junior's equal share of value
    # cannot come from the cold ones
    error = refusal(
        [L(id=i, score=0.9) for i in ("h1", "h2")] + [L(id=i, score=0.1) for i in ("c1", "c2")],
        [
            M(id="s", level="senior", max_active_leads=4),
            M(id="j", level="junior", max_active_leads=4),
        ],
        P(balance_tolerance=None, value_tolerance=0.1, target_share="equal"),
    )
    assert str(error) == (
        HEAD + "these rules cannot all hold together: the value band (value_tolerance=0.1) "
        "asks 'j' for an expected value of at least 0.99; the hot-lead level rule "
        "(hot_min_level='middle') keeps 2 hot leads ('h1', 'h2') from 'j'; in numbers: value "
        "band minimum of manager 'j' (0.99) cannot be reached: its eligible leads are worth "
        "at most 0.2 in total"
    )
    assert error.rules == ("hot_lead_level", "value_band")


def test_workloads_beyond_the_room():
    error = refusal(
        [L(id=f"b{i}", score=0.5, effort=2.0) for i in range(3)],
        [M(id="a", max_active_leads=3), M(id="b", max_active_leads=3)],
        P(balance_tolerance=None),
    )
    assert str(error) == (
        HEAD + "these rules cannot all hold together for 3 leads ('b0', 'b1', 'b2'): "
        f"{CAPACITY} leaves room for 6: 'a' 3 (3 - 0 - 0), 'b' 3 (3 - 0 - 0); in numbers: 3 "
        "leads (lead 'b0', lead 'b1', lead 'b2') can only go to the 2 managers (manager 'a', "
        "manager 'b'), whose room totals 6, room for 2 leads of workload 2; short by 1"
    )
    assert error.rules == ("capacity",)


# --------------------------------------------------------------------------- rules combined


def test_hot_lead_whose_only_manager_at_the_level_is_unavailable():
    error = refusal(
        [L(id="h", score=0.9)],
        [
            M(id="s", level="senior", available=False, max_active_leads=5),
            M(id="j", level="junior", max_active_leads=5),
        ],
    )
    assert str(error) == (
        HEAD + "lead 'h' (hot) has no manager it may go to: the hot-lead level rule "
        "(hot_min_level='middle') excludes every manager with room: 'j' (junior); 's' is "
        "unavailable (available=false)"
    )
    assert error.rules == ("hot_lead_level", "availability")


def test_each_manager_kept_away_by_its_own_rule():
    error = refusal(
        [L(id="h", score=0.9, product="mortgage")],
        [
            M(id="s", level="senior", skills={"mortgage"}, available=False, max_active_leads=5),
            M(id="j", level="junior", skills={"mortgage"}, max_active_leads=5),
            M(id="c", level="middle", skills={"cards"}, max_active_leads=5),
            M(id="f", level="senior", skills={"mortgage"}, max_active_leads=2, active_leads=2),
        ],
    )
    assert str(error) == (
        HEAD + "lead 'h' (hot, product 'mortgage') has no manager it may go to: "
        "qualification (qualification_required=true) excludes 'c' (no skill 'mortgage'); "
        "the hot-lead level rule (hot_min_level='middle') excludes 'j' (junior); 's' is "
        f"unavailable (available=false); {CAPACITY} leaves no room at 'f' (2 - 2 - 0)"
    )
    assert error.rules == ("qualification", "hot_lead_level", "availability", "capacity")
    assert error.manager_ids == ("s", "j", "c", "f")


def test_leads_confined_by_two_rules_name_which_lead_each_keeps():
    error = refusal(
        [L(id="l1", score=0.9, product="cards"), L(id="l2", score=0.5, product="loans")],
        [
            M(id="a", level="senior", skills={"cards", "loans"}, max_active_leads=1),
            M(id="b", level="junior", skills={"cards"}, max_active_leads=1),
        ],
        P(balance_tolerance=None),
    )
    assert str(error) == (
        HEAD + "2 leads ('l1', 'l2') may only go to 'a', which has room for 1; short by 1: "
        "qualification (qualification_required=true) keeps 'l2' from 'b' (no skill "
        "'loans'); the hot-lead level rule (hot_min_level='middle') keeps 'l1' from 'b' "
        f"(junior); {CAPACITY} leaves room for 1: 'a' 1 (1 - 0 - 0)"
    )


# --------------------------------------------------------------------------- the words


def test_no_clash_isolated_in_time_names_the_rules_in_force(monkeypatch):
    def out_of_time(problem, *, time_limit):
        raise TimeoutError

    monkeypatch.setattr(words, "diagnose", out_of_time)
    leads = [L(id=f"l{i}", score=0.2) for i in range(3)]
    leads.append(L(id="h", score=0.9))
    error = refusal(
        leads,
        [M(id="a", max_active_leads=1), M(id="b", max_active_leads=1, available=False)],
        P(balance_tolerance=0.1),
    )
    assert str(error) == (
        HEAD + "these rules cannot all hold together: the hot-lead level rule "
        "(hot_min_level='middle'); availability ('b' unavailable); capacity "
        "(max_active_leads - active_leads - portfolio/touch load); the balance band "
        "(balance_tolerance=0.1, target_share='capacity') (managers can take 1 leads in "
        "total (room), but 4 leads must be assigned; short by 3 (or set "
        "allow_unassigned=true))"
    )
    assert error.rules == ("hot_lead_level", "availability", "capacity", "balance_band")


def test_the_diagnosis_runs_once_for_the_solver_and_the_words(monkeypatch):
    from fairlead.diagnose import _conflicts

    calls = []
    search = _conflicts._search

    def counted(problem, time_limit):
        calls.append(time_limit)
        return search(problem, time_limit)

    monkeypatch.setattr(_conflicts, "_search", counted)
    refusal(
        [L(id=f"b{i}", score=0.5, effort=2.0) for i in range(3)],
        [M(id="a", max_active_leads=3), M(id="b", max_active_leads=3)],
        P(balance_tolerance=None),
    )
    assert len(calls) == 1


def test_infeasible_error_keeps_its_parts():
    error = fl.InfeasibleError("x", rules=("capacity",), lead_ids=("l",), manager_ids=("m",))
    assert isinstance(error, ValueError)
    assert (str(error), error.rules, error.lead_ids, error.manager_ids, error.detail) == (
        "x",
        ("capacity",),
        ("l",),
        ("m",),
        "",
    )


# --------------------------------------------------------------------------- broken plans


STRANDING = (
    [L(id="l1", score=0.5, product="cards"), L(id="l2", score=0.4, product="loans")],
    [
        M(id="a", level="senior", skills={"cards", "loans"}, max_active_leads=1),
        M(id="b", level="junior", skills={"cards"}, max_active_leads=1),
    ],
    P(balance_tolerance=None),
)


def test_greedy_stranding_a_lead_warns():
    # greedy gives l1 (the better lead) to its best manager a, the only one who may
    # take l2; the optimum sends l1 to b
    assert fl.assign(*STRANDING).assignments == {"l1": "b", "l2": "a"}
    with pytest.warns(PolicyBrokenWarning) as caught:
        plan = fl.assign(*STRANDING, method="greedy")
    assert [str(w.message) for w in caught] == [
        "the plan breaks the policy (method greedy, status failed): greedy could not place "
        "1 lead(s): every eligible manager was full when their turn came (e.g. lead 'l2')"
    ]
    assert caught[0].filename == __file__  # points at the caller's line
    assert plan.status is fl.SolveStatus.FAILED
    assert plan.assignments == {"l1": "a", "l2": None}


def test_the_warning_can_be_made_an_error_or_silenced():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PolicyBrokenWarning)
        with pytest.raises(PolicyBrokenWarning):
            fl.assign(*STRANDING, method="greedy")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PolicyBrokenWarning)
        assert fl.assign(*STRANDING, method="greedy").status is fl.SolveStatus.FAILED


def test_a_broken_reference_for_the_value_band_warns_too():
    leads, managers, policy = STRANDING
    policy = policy.model_copy(update={"value_tolerance": 0.5})
    with pytest.warns(PolicyBrokenWarning) as caught:
        fl.assign(leads, managers, policy, method="greedy")
    assert str(caught[0].message).startswith(
        "the plan the value band is a share of breaks the policy (method greedy, status failed)"
    )


def test_a_plan_within_the_policy_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = fl.assign(*STRANDING[:2], P(balance_tolerance=None, allow_unassigned=True))
    assert plan.status.has_solution
