"""assign(): inputs, hard rules, the default value, optimality, methods and infeasibility."""

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl

LEVELS = ["trainee", "junior", "middle", "senior"]
EPS = 1e-7

# --------------------------------------------------------------------------- reference model
# Everything below re-derives the rules from the documented policy, without the library.


def ref_tier(lead, policy):
    if lead.tier is not None:
        return lead.tier.value
    if lead.score >= policy.hot_threshold:
        return "hot"
    if lead.score >= policy.warm_threshold:
        return "warm"
    return "cold"


def ref_eligible(lead, mgr, policy):
    floor = policy.hot_min_level
    lacks_skill = (
        policy.qualification_required
        and lead.product is not None
        and lead.product not in mgr.skills
    )
    too_junior = (
        floor is not None
        and ref_tier(lead, policy) == "hot"
        and LEVELS.index(mgr.level.value) < LEVELS.index(floor.value)
    )
    return not (lacks_skill or too_junior)


def ref_value(lead, mgr, policy):
    tier = fl.Tier(ref_tier(lead, policy))
    return min(1.0, lead.score * policy.level_factors[tier][mgr.level])


def ref_free(managers, policy):
    out = []
    for mg in managers:
        room = mg.max_active_leads - mg.active_leads
        room -= math.floor(mg.portfolio_size * policy.portfolio_load)
        out.append(max(room, 0) if mg.available else 0)
    return out


def ref_fill(weights, caps, total):
    """Closed-form water filling: ``min(cap_j, lam * w_j)`` summing to the reachable total."""
    open_ = [j for j in range(len(caps)) if weights[j] > 0 and caps[j] > 0]
    out = [0.0] * len(caps)
    goal = min(float(total), float(sum(caps[j] for j in open_)))
    if goal <= 0:
        return out
    order = sorted(open_, key=lambda j: caps[j] / weights[j])
    capped = 0.0
    for k, j in enumerate(order):
        rest = order[k:]
        lam = (goal - capped) / sum(weights[r] for r in rest)
        if lam * weights[j] < caps[j]:
            for r in rest:
                out[r] = lam * weights[r]
            return out
        out[j] = float(caps[j])
        capped += caps[j]
    return out


def ref_band(managers, policy, n, ok=None):
    """(free, low, high) per manager, from the documented capacity and band rules.

    ``ok[i][j]``: whether lead i may go to manager j; a manager's target never
    exceeds the leads they may take, and leads nobody with room may take are not
    shared out.
    """
    free = ref_free(managers, policy)
    if policy.target_share == "capacity":
        weights = [float(f) for f in free]
    else:
        weights = [1.0 if f > 0 else 0.0 for f in free]
    caps, placeable = list(free), n
    if ok is not None:
        caps = [min(f, sum(row[j] for row in ok)) for j, f in enumerate(free)]
        placeable = sum(any(r and free[j] > 0 for j, r in enumerate(row)) for row in ok)
    target = ref_fill(weights, caps, min(placeable, sum(caps)))
    if policy.balance_tolerance is None:
        return free, [0] * len(free), list(free)
    tol = policy.balance_tolerance
    high = [min(math.ceil(t * (1 + tol) - EPS), f) for t, f in zip(target, free, strict=True)]
    low = [max(math.floor(t * (1 - tol) + EPS), 0) for t in target]
    low = [min(lo, h) for lo, h in zip(low, high, strict=True)]
    return free, low, high


def brute_force(leads, managers, policy):
    """Best (placed, value) over every assignment; None when nothing is feasible."""
    n, m = len(leads), len(managers)
    ok = [[ref_eligible(ld, mg, policy) for mg in managers] for ld in leads]
    free, low, high = ref_band(managers, policy, n, ok)
    val = [[ref_value(ld, mg, policy) for mg in managers] for ld in leads]
    choices = range(-1, m) if policy.allow_unassigned else range(m)
    best = None
    for combo in itertools.product(choices, repeat=n):
        loads = [0] * m
        total = 0.0
        feasible = True
        for i, j in enumerate(combo):
            if j < 0:
                continue
            if not ok[i][j]:
                feasible = False
                break
            loads[j] += 1
            total += val[i][j]
        if not feasible:
            continue
        if any(not (low[j] <= loads[j] <= min(high[j], free[j])) for j in range(m)):
            continue
        key = (sum(1 for j in combo if j >= 0), total)
        if best is None or key[0] > best[0] or (key[0] == best[0] and key[1] > best[1] + 1e-12):
            best = key
    return best


def check_hard_rules(plan, leads, managers, policy):
    """Every documented hard rule, checked from the outside."""
    by_id = {mg.id: mg for mg in managers}
    assert list(plan.assignments) == [ld.id for ld in leads]
    free = ref_free(managers, policy)
    loads = dict.fromkeys(by_id, 0)
    total = 0.0
    for lead in leads:
        mid = plan.assignments[lead.id]
        if mid is None:
            assert policy.allow_unassigned
            continue
        mgr = by_id[mid]
        assert mgr.available, f"{lead.id} went to unavailable {mid}"
        assert ref_eligible(lead, mgr, policy), f"{lead.id} went to ineligible {mid}"
        loads[mid] += 1
        total += ref_value(lead, mgr, policy)
    for j, mg in enumerate(managers):
        assert loads[mg.id] <= free[j], f"{mg.id} above its free capacity"
    assert plan.expected_value == pytest.approx(total, abs=1e-9)
    return loads


# --------------------------------------------------------------------------- fixtures

LEAD_DICTS = [
    {"id": "l-1", "score": 0.9, "product": "mortgage"},
    {"id": "l-2", "score": 0.45, "product": "loans", "source": "web"},
    {"id": "l-3", "score": 0.1},
    {"id": "l-4", "score": 0.7, "tier": "warm", "deal_value": 1200.0},
    {"id": "l-5", "score": 0.35, "product": "mortgage"},
    {"id": "l-6", "score": 0.62},
]
MANAGER_DICTS = [
    {"id": "anna", "name": "Anna", "skills": "mortgage;loans", "level": "senior",
     "max_active_leads": 6, "active_leads": 2},
    {"id": "ben", "skills": "loans", "level": "junior", "max_active_leads": 5},
    {"id": "cleo", "name": "Cleo", "skills": "mortgage", "level": "middle",
     "max_active_leads": 4, "active_leads": 1, "portfolio_size": 4},
]  # fmt: skip


def lead_models():
    return [fl.Lead(**d) for d in LEAD_DICTS]


def manager_models():
    return [fl.Manager(**d) for d in MANAGER_DICTS]


def lead_frame():
    """The same leads as a DataFrame: missing optional values are NaN / None."""
    cols = ["id", "score", "tier", "product", "source", "deal_value"]
    return pd.DataFrame([{c: d.get(c, np.nan) for c in cols} for d in LEAD_DICTS], columns=cols)


def manager_frame():
    cols = ["id", "name", "skills", "level", "max_active_leads", "active_leads", "portfolio_size"]
    rows = [{c: d.get(c) for c in cols} for d in MANAGER_DICTS]
    frame = pd.DataFrame(rows, columns=cols)
    frame["name"] = frame["name"].astype(object).where(frame["name"].notna(), np.nan)
    frame["active_leads"] = frame["active_leads"].fillna(0).astype(int)
    frame["portfolio_size"] = frame["portfolio_size"].fillna(0).astype(int)
    return frame


# --------------------------------------------------------------------------- inputs


def test_models_dicts_and_frames_give_the_same_plan():
    policy = fl.Policy(balance_tolerance=0.5)
    reference = fl.assign(lead_models(), manager_models(), policy=policy)
    assert lead_frame()["product"].isna().any()
    assert manager_frame()["name"].isna().any()
    variants = [
        (LEAD_DICTS, MANAGER_DICTS),
        (lead_frame(), manager_frame()),
        (lead_frame(), MANAGER_DICTS),
        (LEAD_DICTS, manager_frame()),
        (lead_models()[:3] + LEAD_DICTS[3:], manager_models()),
    ]
    for leads, managers in variants:
        plan = fl.assign(leads, managers, policy=policy)
        assert plan.assignments == reference.assignments
        assert plan.expected_value == pytest.approx(reference.expected_value)
    check_hard_rules(reference, lead_models(), manager_models(), policy)


def test_policy_may_be_a_dict():
    a = fl.assign(LEAD_DICTS, MANAGER_DICTS, policy={"balance_tolerance": 0.5})
    b = fl.assign(LEAD_DICTS, MANAGER_DICTS, policy=fl.Policy(balance_tolerance=0.5))
    assert a.assignments == b.assignments


def test_frame_nan_in_every_optional_lead_column():
    frame = pd.DataFrame(
        {
            "id": ["a", "b"],
            "score": [0.2, 0.4],
            "tier": [np.nan, "cold"],
            "product": [np.nan, np.nan],
            "source": [np.nan, "web"],
            "deal_value": [np.nan, 10.0],
            "created_at": [pd.NaT, pd.Timestamp("2024-03-01")],
        }
    )
    plan = fl.assign(frame, [{"id": "m", "max_active_leads": 2}])
    assert plan.assignments == {"a": "m", "b": "m"}
    assert plan.leads[0].product is None
    assert plan.leads[1].tier is fl.Tier.COLD


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("skills", ["x", np.nan]),
        ("level", ["senior", np.nan]),
        ("active_leads", [1, np.nan]),
        ("portfolio_size", [2, np.nan]),
        ("available", [True, np.nan]),
    ],
)
def test_frame_nan_in_optional_manager_column_means_default(column, values):
    frame = pd.DataFrame({"id": ["m1", "m2"], "max_active_leads": [3, 3], column: values})
    plan = fl.assign([{"id": "a", "score": 0.2}], frame, policy={"balance_tolerance": None})
    default = fl.Manager(id="m2", max_active_leads=3)
    assert getattr(plan.managers[1], column) == getattr(default, column)


def test_empty_optional_columns_in_manager_frame_work():
    frame = pd.DataFrame({"id": ["m1", "m2"], "max_active_leads": [3, 3], "name": ["A", np.nan]})
    plan = fl.assign([{"id": "a", "score": 0.2}], frame)
    assert plan.managers[1].name is None


LEAD_ERRORS = [
    (
        [{"id": "a", "score": 0.1}, {"id": "b", "score": 0.2}, {"id": "a", "score": 0.3}],
        r"^duplicate lead id 'a' \(rows 0 and 2\)$",
    ),
    (
        [{"id": "a", "score": 0.1}, {"id": "b", "score": "high"}],
        r"^lead 'b' \(row 1\): 'score' .*number.*, got 'high'$",
    ),
    (
        [{"id": "a", "score": 0.1, "colour": "red"}],
        r"^lead 'a' \(row 0\): 'colour' Extra inputs are not permitted, got 'red'$",
    ),
    (
        [{"id": "a", "score": 1.5}],
        r"^lead 'a' \(row 0\): 'score' .*less than or equal to 1, got 1\.5$",
    ),
    ([{"id": "a", "score": math.nan}], r"^lead 'a' \(row 0\): 'score' .*finite.*, got nan$"),
    ([{"id": "", "score": 0.5}], r"^lead '' \(row 0\): 'id' .*at least 1 character, got ''$"),
    ([{"score": 0.5}], r"^lead row 0: 'id' Field required"),
    ([], r"^no leads given; at least one is needed$"),
    (pd.DataFrame({"id": [], "score": []}), r"^no leads given"),
]


@pytest.mark.parametrize(("leads", "pattern"), LEAD_ERRORS)
def test_bad_lead_input_raises_input_error(leads, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        fl.assign(leads, MANAGER_DICTS)
    assert isinstance(info.value, fl.InputError)


MANAGER_ERRORS = [
    (
        [{"id": "m", "max_active_leads": 1}, {"id": "m", "max_active_leads": 2}],
        r"^duplicate manager id 'm' \(rows 0 and 1\)$",
    ),
    (
        [{"id": "m", "max_active_leads": 1}, {"id": "m-17", "max_active_leads": -2}],
        r"^manager 'm-17' \(row 1\): 'max_active_leads' .*greater than or equal to 0, got -2$",
    ),
    (
        [{"id": "m", "max_active_leads": 1, "team": "north"}],
        r"^manager 'm' \(row 0\): 'team' Extra inputs are not permitted, got 'north'$",
    ),
    (
        [{"id": "m", "max_active_leads": 1, "level": "boss"}],
        r"^manager 'm' \(row 0\): 'level' .*, got 'boss'$",
    ),
    ([], r"^no managers given; at least one is needed$"),
]


@pytest.mark.parametrize(("managers", "pattern"), MANAGER_ERRORS)
def test_bad_manager_input_raises_input_error(managers, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        fl.assign([{"id": "a", "score": 0.2}], managers)
    assert isinstance(info.value, fl.InputError)


def test_input_error_carries_row_field_and_value():
    with pytest.raises(fl.InputError) as info:
        fl.assign([{"id": "a", "score": 0.1}, {"id": "b", "score": "high"}], MANAGER_DICTS)
    assert (info.value.row, info.value.field, info.value.value) == (1, "score", "high")


def test_bad_row_type_and_bad_container_raise():
    with pytest.raises(ValueError, match=r"^manager row 0 must be a Manager or a dict, got Lead$"):
        fl.assign(lead_models(), lead_models())
    with pytest.raises(ValueError, match=r"^leads must be a list"):
        fl.assign({"id": "a", "score": 0.1}, MANAGER_DICTS)


def test_bad_policy_dict_raises_naming_the_option():
    with pytest.raises(ValueError, match=r"^policy 'balance_tolerance': .*, got -1"):
        fl.assign(LEAD_DICTS, MANAGER_DICTS, policy={"balance_tolerance": -1})


def test_unknown_product_raises_when_qualification_required():
    leads = [{"id": "a", "score": 0.2}, {"id": "l-2", "score": 0.2, "product": "yachts"}]
    with pytest.raises(
        ValueError,
        match=r"lead 'l-2' \(row 1\): product 'yachts' is not a skill of any manager "
        r"\(known skills: 'loans', 'mortgage'\)",
    ) as info:
        fl.assign(leads, MANAGER_DICTS)
    assert isinstance(info.value, fl.InputError)
    assert (info.value.row, info.value.field, info.value.value) == (1, "product", "yachts")


def test_unknown_product_message_names_the_row():
    leads = [{"id": "a", "score": 0.2}, {"id": "l-2", "score": 0.2, "product": "yachts"}]
    with pytest.raises(ValueError, match=r"row 1"):
        fl.assign(leads, MANAGER_DICTS)


def test_unknown_product_accepted_without_qualification():
    leads = [{"id": "a", "score": 0.2, "product": "yachts"}]
    plan = fl.assign(leads, MANAGER_DICTS, policy={"qualification_required": False})
    assert plan.assignments["a"] in {"anna", "ben", "cleo"}


# --------------------------------------------------------------------------- hard rules


def test_qualification_sends_each_product_to_a_skilled_manager():
    leads = [{"id": f"x{i}", "score": 0.2, "product": "x"} for i in range(4)]
    leads += [{"id": f"y{i}", "score": 0.2, "product": "y"} for i in range(4)]
    managers = [
        {"id": "mx", "skills": "x", "max_active_leads": 10},
        {"id": "my", "skills": "y", "max_active_leads": 10},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    assert all(plan.assignments[f"x{i}"] == "mx" for i in range(4))
    assert all(plan.assignments[f"y{i}"] == "my" for i in range(4))


def test_hot_leads_only_to_managers_at_or_above_hot_min_level():
    leads = [{"id": f"h{i}", "score": 0.8} for i in range(3)]
    leads += [{"id": "t", "score": 0.1, "tier": "hot"}]  # explicit tier wins over the score
    managers = [
        {"id": "trainee", "level": "trainee", "max_active_leads": 10},
        {"id": "junior", "level": "junior", "max_active_leads": 10},
        {"id": "middle", "level": "middle", "max_active_leads": 10},
        {"id": "senior", "level": "senior", "max_active_leads": 10},
    ]
    for floor, allowed in [
        ("middle", {"middle", "senior"}),
        ("senior", {"senior"}),
        ("junior", {"junior", "middle", "senior"}),
    ]:
        plan = fl.assign(
            leads, managers, policy={"hot_min_level": floor, "balance_tolerance": None}
        )
        assert set(plan.assignments.values()) <= allowed, floor


def test_hot_rule_off_lets_anyone_take_hot_leads():
    leads = [{"id": "h", "score": 0.9}]
    managers = [{"id": "trainee", "level": "trainee", "max_active_leads": 1}]
    with pytest.raises(fl.InfeasibleError):
        fl.assign(leads, managers)
    plan = fl.assign(leads, managers, policy={"hot_min_level": None})
    assert plan.assignments == {"h": "trainee"}


def test_unavailable_manager_gets_nothing():
    leads = [{"id": f"l{i}", "score": 0.5} for i in range(6)]
    managers = [
        {"id": "away", "level": "senior", "max_active_leads": 50, "available": False},
        {"id": "here", "level": "trainee", "max_active_leads": 6},
    ]
    plan = fl.assign(leads, managers)
    assert set(plan.assignments.values()) == {"here"}
    assert plan.fairness.loads.tolist() == [0.0, 6.0]


def test_no_manager_above_free_capacity():
    leads = [{"id": f"l{i}", "score": 0.5} for i in range(7)]
    managers = [
        {"id": "a", "level": "senior", "max_active_leads": 5, "active_leads": 3},
        {"id": "b", "max_active_leads": 8, "portfolio_size": 6},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None, "portfolio_load": 0.5})
    assert list(plan.assignments.values()).count("a") == 2  # 5 - 3, and a is the best
    assert list(plan.assignments.values()).count("b") == 5  # 8 - floor(3)


# --------------------------------------------------------------------------- default value


def test_default_value_is_score_times_level_factor_capped_at_one():
    policy = fl.Policy(balance_tolerance=None, hot_min_level=None, qualification_required=False)
    leads, managers = lead_models(), manager_models()
    plan = fl.assign(leads, managers, policy=policy)
    check_hard_rules(plan, leads, managers, policy)
    for i, lead in enumerate(leads):
        for j, mgr in enumerate(managers):
            assert plan.problem.value[i, j] == pytest.approx(ref_value(lead, mgr, policy))
    # the documented default factors: a hot 0.9 lead with a senior is capped at 1
    assert plan.problem.value[0, 0] == 1.0


def test_default_value_uses_custom_level_factors():
    table = {t.value: {lv.value: 1.0 for lv in fl.Level} for t in fl.Tier}
    table["cold"]["trainee"] = 3.0
    leads = [{"id": "c", "score": 0.2}]
    managers = [
        {"id": "t", "level": "trainee", "max_active_leads": 1},
        {"id": "s", "level": "senior", "max_active_leads": 1},
    ]
    plan = fl.assign(leads, managers, policy={"level_factors": table, "balance_tolerance": None})
    assert plan.assignments == {"c": "t"}
    assert plan.expected_value == pytest.approx(0.6)


# --------------------------------------------------------------------------- optimality


@st.composite
def instances(draw, max_leads=5, max_managers=3):
    policy = fl.Policy(
        target_share=draw(st.sampled_from(["capacity", "equal"])),
        balance_tolerance=draw(st.sampled_from([None, 0.0, 0.2, 0.5, 1.0])),
        qualification_required=draw(st.booleans()),
        hot_min_level=draw(st.sampled_from([None, "junior", "middle", "senior"])),
        portfolio_load=draw(st.sampled_from([0.0, 0.5])),
        allow_unassigned=draw(st.booleans()),
    )
    n = draw(st.integers(1, max_leads))
    m = draw(st.integers(1, max_managers))
    leads = [
        fl.Lead(
            id=f"l{i}",
            score=draw(st.integers(0, 20)) / 20,
            tier=draw(st.sampled_from([None, None, None, "hot", "warm", "cold"])),
            product=draw(st.sampled_from([None, None, "x", "y"])),
        )
        for i in range(n)
    ]
    managers = [
        fl.Manager(
            id=f"m{j}",
            skills=draw(st.sampled_from(["", "x", "y", "x;y", "x;y"])),
            level=draw(st.sampled_from(LEVELS)),
            max_active_leads=draw(st.integers(0, 5)),
            active_leads=draw(st.integers(0, 2)),
            portfolio_size=draw(st.integers(0, 3)),
            available=draw(st.sampled_from([True, True, True, False])),
        )
        for j in range(m)
    ]
    return leads, managers, policy


# Managers drawn over their limit (active_leads > max_active_leads) are accepted with
# an InputWarning; they are part of what is checked here.
@pytest.mark.filterwarnings("ignore::fairlead.records.InputWarning")
@settings(deadline=None, max_examples=150)
@given(instances())
def test_optimal_against_brute_force(instance):
    leads, managers, policy = instance
    skills = set().union(*(mg.skills for mg in managers))
    if policy.qualification_required and any(
        ld.product is not None and ld.product not in skills for ld in leads
    ):
        with pytest.raises(fl.InputError, match="is not a skill of any manager"):
            fl.assign(leads, managers, policy=policy)
        return
    best = brute_force(leads, managers, policy)
    if best is None:
        with pytest.raises(fl.InfeasibleError, match=r"^no assignment satisfies the policy: "):
            fl.assign(leads, managers, policy=policy)
        return
    plan = fl.assign(leads, managers, policy=policy)
    assert plan.status is fl.SolveStatus.OPTIMAL
    loads = check_hard_rules(plan, leads, managers, policy)
    ok = [[ref_eligible(ld, mg, policy) for mg in managers] for ld in leads]
    _, low, high = ref_band(managers, policy, len(leads), ok)
    for j, mg in enumerate(managers):
        assert low[j] <= loads[mg.id] <= high[j]
    placed, value = best
    assert len(leads) - len(plan.unassigned) == placed
    assert plan.expected_value == pytest.approx(value, abs=1e-6)


def test_optimal_on_a_hand_checked_case():
    # 2 seniors-only hot leads, a warm and a cold one; Anna (senior) can take 2, Ben 2.
    leads = [
        {"id": "h1", "score": 0.7},
        {"id": "h2", "score": 0.65},
        {"id": "w", "score": 0.5},
        {"id": "c", "score": 0.2},
    ]
    managers = [
        {"id": "anna", "level": "senior", "max_active_leads": 2},
        {"id": "ben", "level": "middle", "max_active_leads": 2},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None})
    # hot: senior 1.25 vs middle 1.0; warm: 1.1 vs 1.0; cold equal -> both hot to anna
    assert plan.assignments == {"h1": "anna", "h2": "anna", "w": "ben", "c": "ben"}
    assert plan.expected_value == pytest.approx(0.875 + 0.8125 + 0.5 + 0.2)


@pytest.mark.filterwarnings("ignore::fairlead.records.InputWarning")
@settings(deadline=None, max_examples=40)
@given(instances(max_leads=30, max_managers=6))
def test_hard_rules_hold_on_larger_instances(instance):
    leads, managers, policy = instance
    # without min_load every instance is feasible once leads may stay unassigned
    policy = policy.model_copy(
        update={
            "allow_unassigned": True,
            "qualification_required": False,
            "balance_tolerance": None,
        }
    )
    plan = fl.assign(leads, managers, policy=policy)
    check_hard_rules(plan, leads, managers, policy)
    assert plan.fairness.loads.sum() == len(leads) - len(plan.unassigned)


# --------------------------------------------------------------------------- model=


TWO_LEADS = [{"id": "p", "score": 0.5}, {"id": "q", "score": 0.5}]
TWO_MANAGERS = [{"id": "a", "max_active_leads": 1}, {"id": "b", "max_active_leads": 1}]


def test_model_array_replaces_the_default_value():
    plan = fl.assign(TWO_LEADS, TWO_MANAGERS, model=np.array([[0.1, 0.9], [0.8, 0.2]]))
    assert plan.assignments == {"p": "b", "q": "a"}
    assert plan.expected_value == pytest.approx(1.7)
    plan = fl.assign(TWO_LEADS, TWO_MANAGERS, model=[[0.9, 0.1], [0.2, 0.8]])
    assert plan.assignments == {"p": "a", "q": "b"}


def test_model_callable_gets_validated_records():
    seen = {}

    def model(leads, managers):
        seen["leads"] = [type(ld).__name__ + ":" + ld.id for ld in leads]
        seen["managers"] = [type(mg).__name__ + ":" + mg.id for mg in managers]
        return [[0.0, 1.0], [1.0, 0.0]]

    plan = fl.assign(TWO_LEADS, TWO_MANAGERS, model=model)
    assert seen == {"leads": ["Lead:p", "Lead:q"], "managers": ["Manager:a", "Manager:b"]}
    assert plan.assignments == {"p": "b", "q": "a"}
    assert plan.expected_value == pytest.approx(2.0)


def test_model_does_not_override_eligibility():
    leads = [{"id": "hot", "score": 0.9}]
    managers = [
        {"id": "junior", "level": "junior", "max_active_leads": 1},
        {"id": "senior", "level": "senior", "max_active_leads": 1},
    ]
    plan = fl.assign(leads, managers, model=[[10.0, 0.1]], policy={"balance_tolerance": None})
    assert plan.assignments == {"hot": "senior"}


@pytest.mark.parametrize(
    ("model", "pattern"),
    [
        (np.ones((2, 3)), r"must have shape \(2, 2\) \(leads x managers\), got \(2, 3\)"),
        (np.ones(2), r"model values must have shape \(2, 2\).*got \(2,\)"),
        (lambda leads, managers: np.ones((3, 2)), r"got \(3, 2\)"),
        ([["a", "b"], ["c", "d"]], r"model values must hold numbers, got <U1 \(e\.g\. 'a'\)"),
        ([[True, False], [False, True]], r"model values must hold numbers, got booleans"),
        (np.array([[0.1, np.nan], [0.2, 0.3]]), r"must be finite, got nan"),
    ],
)  # fmt: skip
def test_bad_model_raises(model, pattern):
    with pytest.raises(ValueError, match=pattern):
        fl.assign(TWO_LEADS, TWO_MANAGERS, model=model)


# --------------------------------------------------------------------------- methods


def equal_team(n_leads=9):
    leads = [{"id": f"l{i}", "score": 0.05 * (i + 1)} for i in range(n_leads)]
    managers = [{"id": mid, "max_active_leads": 10} for mid in ("a", "b", "c")]
    return leads, managers


@pytest.mark.parametrize("method", ["round_robin", "least_loaded", "greedy", "weighted_random"])
def test_method_names_route_to_the_baselines(method):
    leads, managers = equal_team()
    policy = fl.Policy(balance_tolerance=None, seed=7)
    plan = fl.assign(leads, managers, policy=policy, method=method)
    assert plan.method == method
    assert plan.status is fl.SolveStatus.FEASIBLE
    records = [fl.Lead(**d) for d in leads], [fl.Manager(**d) for d in managers]
    check_hard_rules(plan, *records, policy)


def test_auto_is_exact_sifting_with_the_min_cost_flow_optimum():
    leads, managers = equal_team()
    plan = fl.assign(leads, managers)
    assert plan.method == "sifting"
    assert plan.status is fl.SolveStatus.OPTIMAL
    flow = fl.assign(leads, managers, method="min_cost_flow")
    assert plan.solution.objective == pytest.approx(flow.solution.objective, rel=1e-9)


def test_round_robin_takes_turns():
    leads, managers = equal_team(7)
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None}, method="round_robin")
    assert list(plan.assignments.values()) == ["a", "b", "c", "a", "b", "c", "a"]


def test_least_loaded_starts_with_the_least_busy():
    leads = [{"id": f"l{i}", "score": 0.2} for i in range(3)]
    managers = [
        {"id": "busy", "max_active_leads": 10, "active_leads": 5},
        {"id": "idle", "max_active_leads": 10, "active_leads": 0},
        {"id": "some", "max_active_leads": 10, "active_leads": 1},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None}, method="least_loaded")
    # idle (0) first; then idle and some tie at 1 and the tie rotates; busy (5) never
    assert list(plan.assignments.values()) == ["idle", "some", "idle"]


def test_greedy_gives_the_best_lead_to_the_best_manager():
    leads = [{"id": "cold", "score": 0.1}, {"id": "hot", "score": 0.7}]
    managers = [
        {"id": "mid", "level": "middle", "max_active_leads": 1},
        {"id": "sen", "level": "senior", "max_active_leads": 1},
    ]
    plan = fl.assign(leads, managers, policy={"balance_tolerance": None}, method="greedy")
    assert plan.assignments == {"cold": "mid", "hot": "sen"}


def test_weighted_random_is_reproducible_with_a_seed():
    leads, managers = equal_team(12)
    runs = {}
    for seed in range(5):
        policy = fl.Policy(balance_tolerance=None, seed=seed)
        first = fl.assign(leads, managers, policy=policy, method="weighted_random")
        again = fl.assign(leads, managers, policy=policy, method="weighted_random")
        assert first.assignments == again.assignments
        runs[seed] = tuple(first.assignments.values())
    assert len(set(runs.values())) > 1, "different seeds should draw differently"


def test_unknown_method_lists_the_names():
    leads, managers = equal_team()
    with pytest.raises(ValueError, match=r"unknown method 'simplex'; available methods: ") as info:
        fl.assign(leads, managers, method="simplex")
    for name in ("greedy", "least_loaded", "min_cost_flow", "round_robin", "weighted_random"):
        assert repr(name) in str(info.value)
    assert set(fl.list_methods()) >= {"min_cost_flow", "round_robin", "greedy"}


# --------------------------------------------------------------------------- infeasible


def test_infeasible_error_is_a_value_error():
    assert issubclass(fl.InfeasibleError, ValueError)


def test_short_capacity_raises_with_the_shortfall():
    leads = [{"id": f"l{i}", "score": 0.1 * i} for i in range(6)]
    managers = [{"id": "a", "max_active_leads": 2}, {"id": "b", "max_active_leads": 2}]
    with pytest.raises(fl.InfeasibleError) as info:
        fl.assign(leads, managers)
    assert str(info.value) == (
        "no assignment satisfies the policy: 6 leads must be assigned, but the managers have "
        "room for 4 in total; short by 2 (or set allow_unassigned=true): capacity "
        "(max_active_leads - active_leads - portfolio/touch load) leaves room for 4: "
        "'a' 2 (2 - 0 - 0), 'b' 2 (2 - 0 - 0)"
    )


def test_targets_respect_who_may_take_the_leads():
    # Only the senior may take hot leads: the junior's fair share of them is zero,
    # so an equal split is not asked for (it could not hold).
    leads = [{"id": f"h{i}", "score": 0.9} for i in range(4)]
    managers = [
        {"id": "s", "level": "senior", "max_active_leads": 10},
        {"id": "j", "level": "junior", "max_active_leads": 10},
    ]
    plan = fl.assign(leads, managers, policy={"target_share": "equal"})
    assert set(plan.assignments.values()) == {"s"}
    assert plan.capacity.target.tolist() == [4.0, 0.0]
    # a specialist with three matching leads is not asked to take four
    leads = [
        {"id": f"l{i}", "score": 0.4, "product": "mortgage" if i < 7 else "cards"}
        for i in range(10)
    ]
    managers = [
        {"id": "anna", "level": "senior", "skills": "mortgage;cards", "max_active_leads": 10},
        {"id": "ben", "level": "junior", "skills": "cards", "max_active_leads": 10},
    ]
    plan = fl.assign(leads, managers)
    assert plan.capacity.target.tolist() == [7.0, 3.0]
    assert sorted(plan.assignments.values()).count("ben") <= 3


def test_hot_leads_beyond_senior_capacity_raise_naming_the_group():
    leads = [{"id": f"h{i}", "score": 0.9} for i in range(3)]
    managers = [
        {"id": "s", "level": "senior", "max_active_leads": 1},
        {"id": "j", "level": "junior", "max_active_leads": 5},
    ]
    with pytest.raises(fl.InfeasibleError) as info:
        fl.assign(leads, managers, policy={"balance_tolerance": None})
    assert str(info.value) == (
        "no assignment satisfies the policy: 3 leads ('h0', 'h1', 'h2') may only go to 's', "
        "which has room for 1; short by 2: the hot-lead level rule (hot_min_level='middle') "
        "keeps them from 'j' (junior); capacity (max_active_leads - active_leads - "
        "portfolio/touch load) leaves room for 1: 's' 1 (1 - 0 - 0)"
    )


def test_lead_without_any_available_skilled_manager_raises():
    leads = [{"id": "a", "score": 0.2, "product": "x"}, {"id": "b", "score": 0.2}]
    managers = [
        {"id": "s", "skills": "x", "available": False, "max_active_leads": 3},
        {"id": "j", "max_active_leads": 5},
    ]
    with pytest.raises(fl.InfeasibleError) as info:
        fl.assign(leads, managers)
    assert str(info.value) == (
        "no assignment satisfies the policy: lead 'a' (cold, product 'x') has no manager it "
        "may go to: qualification (qualification_required=true) excludes every manager with "
        "room: 'j' (no skill 'x'); 's' is unavailable (available=false)"
    )
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True})
    assert plan.assignments == {"a": None, "b": "j"}


def test_allow_unassigned_places_as_many_leads_as_possible():
    leads = [{"id": f"l{i}", "score": 0.1 * i} for i in range(6)]
    managers = [{"id": "a", "max_active_leads": 2}, {"id": "b", "max_active_leads": 2}]
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True})
    assert plan.unassigned == ["l0", "l1"]  # the four most valuable are placed
    assert plan.fairness.loads.tolist() == [2.0, 2.0]
    assert plan.expected_value == pytest.approx(0.2 + 0.3 + 0.4 + 0.5)


def test_allow_unassigned_prefers_more_leads_over_more_value():
    # the hot lead is worth most but only the full senior can take it
    leads = [{"id": "hot", "score": 0.95}, {"id": "c1", "score": 0.1}, {"id": "c2", "score": 0.1}]
    managers = [
        {"id": "s", "level": "senior", "max_active_leads": 1},
        {"id": "j", "level": "junior", "max_active_leads": 1},
    ]
    plan = fl.assign(leads, managers, policy={"allow_unassigned": True, "balance_tolerance": None})
    assert len(plan.unassigned) == 1
    assert plan.assignments["hot"] == "s"


def test_tiny_scores_still_assign():
    plan = fl.assign([{"id": "a", "score": 1e-300}], [{"id": "m", "max_active_leads": 1}])
    assert plan.assignments == {"a": "m"}
