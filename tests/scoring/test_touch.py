"""The touch plan: who each manager should contact, why, and in which order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairlead import InputError
from fairlead.scoring._rfm import rfm
from fairlead.scoring._rfm_segments import DEFAULT_SEGMENTS
from fairlead.scoring._touch import (
    DEFAULT_TOUCH_RULES,
    TouchPlan,
    TouchRule,
    TouchRules,
    TouchTask,
    touch_plan,
)

NOW = dt.date(2024, 6, 30)


def ago(days: int) -> dt.date:
    return NOW - dt.timedelta(days=days)


TABLE = {
    "customer_id": ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09", "c10"],
    "segment": [
        "cant_lose",
        "at_risk",
        "champions",
        "loyal_customers",
        "need_attention",
        "about_to_sleep",
        "new_customers",
        "hibernating",
        "at_risk",
        "champions",
    ],
}
OWNERS = {
    "c01": "ann",
    "c02": "ann",
    "c03": "ann",
    "c04": "bob",
    "c05": "bob",
    "c06": "bob",
    "c07": "cid",
    "c08": "cid",
    "c09": None,
    "c10": "ann",
}
CONTACT = {
    "c01": ago(14),  # cant_lose, exactly at 14: due
    "c02": ago(13),  # at_risk, one day short: not due
    "c03": ago(45),  # champions, silent 45 >= 30: loyalty
    "c04": ago(30),  # loyal, 30: upsell
    "c05": ago(21),  # need_attention, 21: reactivation
    "c06": ago(60),  # about_to_sleep, 60: reactivation
    "c07": ago(3),  # new, 3 < 7: not due
    "c08": ago(200),  # hibernating, 200 >= 90: last chance
    "c09": ago(100),  # at_risk without owner: unowned
    "c10": ago(29),  # champions, 29 < 30: not due
}


def _plan(**kwargs: Any) -> TouchPlan:
    args: dict[str, Any] = {"owners": OWNERS, "last_contact": CONTACT, "now": NOW}
    args.update(kwargs)
    return touch_plan(TABLE, **args)


def test_who_is_contacted_and_why() -> None:
    plan = _plan()
    rows = [(t.manager_id, t.customer, t.reason_code, t.days_silent, t.priority) for t in plan]
    assert rows == [
        ("ann", "c01", "win_back", 14, 1),
        ("ann", "c03", "loyalty", 45, 2),
        ("bob", "c04", "upsell", 30, 2),
        ("bob", "c06", "reactivation", 60, 3),
        ("bob", "c05", "reactivation", 21, 3),
        ("cid", "c08", "last_chance", 200, 4),
    ]
    assert [(t.customer, t.reason_code, t.manager_id) for t in plan.unowned] == [
        ("c09", "win_back", None)
    ]
    assert plan.over_cap == ()
    assert plan.managers == ("ann", "bob", "cid")
    assert plan.per_manager() == {"ann": 2, "bob": 3, "cid": 1}
    assert [t.customer for t in plan.for_manager("bob")] == ["c04", "c06", "c05"]
    assert plan.now == NOW
    assert len(plan) == 6

    first = plan.tasks[0]
    assert first.segment == "cant_lose"
    assert first.last_contact == ago(14)
    assert first.due == NOW
    assert "win-back" in first.action
    assert first.why == "cant_lose client, no contact for 14 days (rule: 14+ days)"


def test_never_contacted_clients_are_due_and_come_first() -> None:
    contact: dict[str, dt.date | None] = {
        k: v for k, v in CONTACT.items() if k not in ("c02", "c07")
    }
    contact["c10"] = None
    plan = _plan(last_contact=contact)
    by_customer = {t.customer: t for t in plan.tasks}
    assert by_customer["c02"].days_silent is None
    assert by_customer["c02"].last_contact is None
    assert by_customer["c02"].why == "at_risk client, never contacted (rule: 14+ days)"
    assert by_customer["c07"].reason_code == "onboarding"
    assert by_customer["c10"].reason_code == "loyalty"
    # Within ann's priority 1, the never-contacted client comes before 14 silent days.
    assert [t.customer for t in plan.for_manager("ann")] == ["c02", "c01", "c10", "c03"]


def test_cap_keeps_the_most_urgent() -> None:
    plan = _plan(max_per_manager=1)
    assert [(t.manager_id, t.customer) for t in plan.tasks] == [
        ("ann", "c01"),
        ("bob", "c04"),
        ("cid", "c08"),
    ]
    assert [t.customer for t in plan.over_cap] == ["c03", "c06", "c05"]
    assert plan.not_planned == plan.over_cap  # without a team, the cap is the only limit
    assert {t.note for t in plan.over_cap} == {
        "not planned: over the cap of 1 touch per manager this week"
    }
    assert [t.owner_id for t in plan.over_cap] == ["ann", "bob", "bob"]
    assert plan.notes() == [
        "1 touch with ann's clients not planned: over the cap of 1 touch per manager this week",
        "2 touches with bob's clients not planned: over the cap of 1 touch per manager this week",
        "1 client due without an owner: assign one before anyone can call",
    ]
    assert plan.per_manager() == {"ann": 1, "bob": 1, "cid": 1}
    assert len(plan.unowned) == 1  # the cap does not hide unowned clients

    nothing = _plan(max_per_manager=0)
    assert nothing.tasks == ()
    assert nothing.per_manager() == {"ann": 0, "bob": 0, "cid": 0}
    assert len(nothing.over_cap) == 6


def test_horizon_includes_clients_due_this_week() -> None:
    plan = _plan(horizon_days=7)
    by_customer = {t.customer: t for t in plan.tasks}
    assert by_customer["c02"].due == NOW + dt.timedelta(days=1)
    assert by_customer["c02"].why.endswith(f"due on {NOW + dt.timedelta(days=1)}")
    assert by_customer["c07"].due == NOW + dt.timedelta(days=4)
    assert by_customer["c10"].due == NOW + dt.timedelta(days=1)
    assert by_customer["c01"].due == NOW


def test_escalation_ladder_takes_the_largest_threshold_reached() -> None:
    rules = [
        TouchRule("at_risk", 14, "win_back", "Call", priority=2),
        TouchRule("at_risk", 60, "escalate", "Visit with the sales lead", priority=1),
    ]
    contact = dict(CONTACT, c02=ago(61), c09=ago(20))
    owners = dict(OWNERS, c09="ann")
    plan = _plan(rules=rules, last_contact=contact, owners=owners)
    assert [(t.customer, t.reason_code) for t in plan.tasks] == [
        ("c02", "escalate"),
        ("c09", "win_back"),
    ]
    assert plan.per_manager() == {"ann": 2, "bob": 0, "cid": 0}
    assert [r.min_days_silent for r in TouchRules(rules).for_segment("at_risk")] == [60, 14]


def test_records_and_frame() -> None:
    plan = _plan()
    records = plan.to_records()
    assert len(records) == 6
    assert list(records[0]) == [
        "manager_id",
        "owner_id",
        "customer",
        "segment",
        "reason_code",
        "action",
        "days_silent",
        "priority",
        "last_contact",
        "due",
        "why",
        "note",
    ]
    assert records[0]["owner_id"] == records[0]["manager_id"] == "ann"
    assert records[0]["note"] == ""
    assert len(plan.to_records(include_unowned=True)) == 7
    frame = plan.to_frame(include_unowned=True)
    assert frame.shape == (7, 12)
    assert str(frame["days_silent"].dtype) == "Int64"
    assert pd.isna(frame["manager_id"].iloc[-1])
    empty = _plan(max_per_manager=0).to_frame()
    assert empty.shape == (0, 12)
    waiting = _plan(max_per_manager=0).to_frame(include_not_planned=True)
    assert waiting.shape == (6, 12)
    assert waiting["manager_id"].isna().all()


def test_default_rules_cover_the_default_segments() -> None:
    assert set(DEFAULT_TOUCH_RULES.segments) == set(DEFAULT_SEGMENTS.names)
    by_segment = {r.segment: r for r in DEFAULT_TOUCH_RULES}
    assert (by_segment["cant_lose"].reason_code, by_segment["cant_lose"].priority) == (
        "win_back",
        1,
    )
    assert by_segment["at_risk"].min_days_silent == 14
    assert (by_segment["champions"].reason_code, by_segment["champions"].min_days_silent) == (
        "loyalty",
        30,
    )
    assert by_segment["loyal_customers"].reason_code == "upsell"
    assert by_segment["need_attention"].min_days_silent == 21
    assert by_segment["about_to_sleep"].reason_code == "reactivation"
    assert (
        by_segment["new_customers"].reason_code,
        by_segment["new_customers"].min_days_silent,
    ) == (
        "onboarding",
        7,
    )
    hibernating = by_segment["hibernating"]
    assert (hibernating.reason_code, hibernating.min_days_silent) == ("last_chance", 90)
    assert hibernating.priority == max(r.priority for r in DEFAULT_TOUCH_RULES)


def test_plan_from_an_rfm_frame_with_series() -> None:
    rng = np.random.default_rng(3)
    n_rows = 3000
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 600, n_rows),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 170, n_rows), "D"),
            "amount": rng.gamma(2.0, 30.0, n_rows).round(2),
        }
    )
    table = rfm(tx, now=NOW)
    ids = table.index.to_numpy()
    owners = pd.Series(rng.choice(["m1", "m2", "m3"], len(ids)), index=ids).where(
        rng.random(len(ids)) > 0.05
    )
    last = pd.Series(
        pd.Timestamp(NOW) - pd.to_timedelta(rng.integers(0, 120, len(ids)), "D"), index=ids
    )
    last = last.mask(rng.random(len(ids)) < 0.1)
    plan = touch_plan(table, owners=owners, last_contact=last, now=NOW, max_per_manager=40)
    assert all(count <= 40 for count in plan.per_manager().values())
    assert set(plan.managers) == {"m1", "m2", "m3"}
    same = touch_plan(
        {"customer_id": ids, "segment": table["segment"].to_numpy()},
        owners=owners.to_dict(),
        last_contact={k: (None if pd.isna(v) else v.date()) for k, v in last.items()},
        now=NOW,
        max_per_manager=40,
    )
    assert same.to_records(include_unowned=True) == plan.to_records(include_unowned=True)
    assert [t.customer for t in same.over_cap] == [t.customer for t in plan.over_cap]


# --------------------------------------------------------------------------- property test


def _reference(
    table: dict[str, list[Any]],
    owners: dict[str, str | None],
    contact: Mapping[str, dt.date | None],
    cap: int | None,
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A plain-Python plan: (manager, customer, reason) of kept and unowned tasks."""
    rows = []
    for customer, segment in zip(table["customer_id"], table["segment"], strict=True):
        last = contact.get(customer)
        silent = None if last is None else (NOW - last).days
        rules = [r for r in DEFAULT_TOUCH_RULES if r.segment == segment]
        hits = [r for r in rules if silent is None or silent >= r.min_days_silent]
        if not hits:
            continue
        rule = max(hits, key=lambda r: r.min_days_silent)
        longest = float("inf") if silent is None else silent
        rows.append((owners.get(customer), rule.priority, -longest, customer, rule.reason_code))
    owned = sorted(r for r in rows if r[0] is not None)
    kept, seen = [], dict.fromkeys((r[0] for r in owned), 0)
    for row in owned:
        if cap is None or seen[row[0]] < cap:
            kept.append((row[0], row[3], row[4]))
            seen[row[0]] += 1
    unowned = sorted((r[1], r[2], r[3], r[4]) for r in rows if r[0] is None)
    return kept, [(None, r[2], r[3]) for r in unowned]


_segment = st.sampled_from(sorted(DEFAULT_SEGMENTS.names))
_manager = st.one_of(st.none(), st.sampled_from(["m1", "m2", "m3"]))
_contact = st.one_of(st.none(), st.integers(min_value=0, max_value=150).map(ago))


@given(
    clients=st.lists(st.tuples(_segment, _manager, _contact), min_size=0, max_size=40),
    cap=st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
)
def test_plan_matches_a_plain_python_reference(
    clients: list[tuple[str, str | None, dt.date | None]], cap: int | None
) -> None:
    ids = [f"c{k:02d}" for k in range(len(clients))]
    table = {"customer_id": ids, "segment": [c[0] for c in clients]}
    # An unowned client is either absent from owners or mapped to None.
    owners = {i: c[1] for k, (i, c) in enumerate(zip(ids, clients, strict=True)) if c[1] or k % 2}
    contact = {i: c[2] for i, c in zip(ids, clients, strict=True) if c[2] is not None}
    plan = touch_plan(table, owners=owners, last_contact=contact, now=NOW, max_per_manager=cap)
    kept, unowned = _reference(table, owners, contact, cap)
    assert [(t.manager_id, t.customer, t.reason_code) for t in plan.tasks] == kept
    assert [(t.manager_id, t.customer, t.reason_code) for t in plan.unowned] == unowned
    for task in plan.tasks:
        assert isinstance(task, TouchTask)
        assert task.days_silent is None or task.days_silent >= 0


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"owners": {**OWNERS, "zz": "ann"}},
            r"owners names customer 'zz' that is not in the RFM table",
        ),
        (
            {"last_contact": {**CONTACT, "zz": NOW, "yy": NOW}},
            r"last_contact names customer 'zz' that is not in the RFM table \(and 1 more\)",
        ),
        (
            {"last_contact": {**CONTACT, "c03": NOW + dt.timedelta(days=2)}},
            r"last_contact of customer 'c03' is 2024-07-02, after now \(2024-06-30\)",
        ),
        (
            {"last_contact": {**CONTACT, "c03": "yesterday"}},
            r"last_contact of customer 'c03' is not a date, got 'yesterday'",
        ),
        ({"owners": [("c01", "ann")]}, r"owners must be a mapping \(or a pandas Series\)"),
        ({"now": "someday"}, r"now is not a date, got 'someday'"),
        ({"max_per_manager": -1}, r"max_per_manager must be an integer >= 0, got -1"),
        ({"max_per_manager": 2.5}, r"max_per_manager must be an integer >= 0, got 2.5"),
        ({"horizon_days": True}, r"horizon_days must be an integer >= 0, got True"),
        ({"rules": "win_back"}, r"rules must be TouchRules or a sequence of TouchRule"),
        (
            {"owners": {1: "ann"}},
            r"owners names customer '1' that is not in the RFM table",
        ),
    ],
)
def test_bad_plan_input(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _plan(**kwargs)


def test_bad_tables() -> None:
    with pytest.raises(
        ValueError,
        match=r"no column 'segment' in the RFM table \(the segment column\); "
        r"available: 'customer_id'",
    ):
        touch_plan({"customer_id": ["a"]}, owners={}, last_contact={}, now=NOW)
    with pytest.raises(ValueError, match=r"customer 'a' appears 2 times in the RFM table"):
        touch_plan(
            {"customer_id": ["a", "a"], "segment": ["at_risk", "champions"]},
            owners={},
            last_contact={},
            now=NOW,
        )
    with pytest.raises(ValueError, match=r"segment of customer 'b' must be a string, got None"):
        touch_plan(
            {"customer_id": ["a", "b"], "segment": ["at_risk", None]},
            owners={},
            last_contact={},
            now=NOW,
        )
    frame = pd.DataFrame({"segment": ["at_risk"]}, index=pd.Index(["a"], name="who"))
    plan = touch_plan(frame, owners={"a": "m"}, last_contact={}, now=NOW)
    assert [t.customer for t in plan.tasks] == ["a"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("", 1, "x", "y", 1), r"segment of a touch rule must be a non-empty string"),
        (("s", -3, "x", "y", 1), r"min_days_silent of the touch rule for 's' must be .* got -3"),
        (("s", 1.5, "x", "y", 1), r"min_days_silent .* got 1.5"),
        (("s", 1, "", "y", 1), r"reason_code of the touch rule for 's' must be a non-empty"),
        (("s", 1, "x", None, 1), r"action of the touch rule for 's' must be a string"),
        (("s", 1, "x", "y", 0), r"priority of the touch rule for 's' must be an integer >= 1"),
    ],
)
def test_bad_rules(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TouchRule(*args)


def test_duplicate_rules_are_rejected() -> None:
    rule = TouchRule("at_risk", 14, "win_back", "Call", priority=1)
    with pytest.raises(
        ValueError, match=r"touch rules 0 and 1 both apply to segment 'at_risk' after 14 silent"
    ):
        TouchRules([rule, TouchRule("at_risk", 14, "other", "Mail", priority=2)])
    with pytest.raises(ValueError, match=r"rule 1 of the touch rules must be a TouchRule"):
        TouchRules([rule, ("at_risk", 30)])  # type: ignore[list-item]


def test_unknown_manager() -> None:
    with pytest.raises(ValueError, match=r"manager 'zed' owns no client in this plan; managers: "):
        _plan().for_manager("zed")


@pytest.mark.parametrize("as_frame", [True, False], ids=["DataFrame", "mapping"])
@pytest.mark.parametrize("name", [None, ["customer_id"]], ids=["None", "list"])
def test_a_customer_name_that_is_none_or_unhashable_is_an_error(as_frame: bool, name: Any) -> None:
    table = pd.DataFrame(TABLE) if as_frame else TABLE
    with pytest.raises(
        ValueError, match=r"^customer must be a column name, got (None|\['customer_id'\])$"
    ):
        touch_plan(table, owners={}, last_contact={}, now=NOW, customer=name)


# --------------------------------------------------------------------------- input errors


def _error(**kwargs: Any) -> InputError:
    with pytest.raises(InputError) as info:
        _plan(**kwargs)
    return info.value


def test_a_negative_cap_is_an_input_error_naming_the_option() -> None:
    error = _error(max_per_manager=-1)
    assert str(error) == "max_per_manager must be an integer >= 0, got -1"
    assert (error.field, error.value) == ("max_per_manager", -1)
    error = _error(horizon_days=np.int64(-2))
    assert str(error) == "horizon_days must be an integer >= 0, got -2"
    assert (error.field, error.value) == ("horizon_days", -2)


def test_a_contact_after_now_is_an_input_error_naming_the_client() -> None:
    error = _error(last_contact={**CONTACT, "c03": "2030-01-01"})
    assert str(error) == (
        "last_contact of customer 'c03' is 2030-01-01, after now (2024-06-30); "
        "contact dates cannot be in the future"
    )
    assert (error.row, error.field, error.value) == (2, "last_contact", "2030-01-01")
    # The same day as now, even later that day, is not in the future.
    plan = _plan(last_contact={**CONTACT, "c03": dt.datetime(2024, 6, 30, 23, 59)})
    assert "c03" not in [t.customer for t in plan.tasks]


# --------------------------------------------------------------------------- the id rule


def test_client_ids_follow_the_id_rule() -> None:
    table = {"customer_id": [1, 2, 3], "segment": ["at_risk", "at_risk", "champions"]}
    plan = touch_plan(
        table,
        owners={1.0: "ann", " 2 ": 7, np.int64(3): 7.0},
        last_contact={"1": ago(20), 2: ago(15), " 3": ago(31)},
        now=NOW,
    )
    assert [(t.manager_id, t.customer, t.days_silent) for t in plan.tasks] == [
        ("7", "2", 15),
        ("7", "3", 31),
        ("ann", "1", 20),
    ]
    assert all(type(t.customer) is str for t in plan.tasks)
    assert plan.per_manager() == {"7": 2, "ann": 1}


def test_rfm_output_with_integer_ids_feeds_the_plan() -> None:
    tx = {"customer_id": [10, 9, 9], "date": ["2024-01-01"] * 3, "amount": [1.0, 2.0, 3.0]}
    table = rfm(pd.DataFrame(tx), now="2024-06-30")
    plan = touch_plan(table, owners={10: "ann", 9: "bob"}, last_contact={}, now=NOW)
    assert sorted(t.customer for t in plan.tasks) == ["10", "9"]


@pytest.mark.parametrize(
    ("kwargs", "message", "field", "value"),
    [
        (
            {"owners": {"c01": "ann", " c01 ": "bob"}},
            "owners names customer 'c01' twice, as 'c01' and ' c01 '; give each client once",
            "owners",
            " c01 ",
        ),
        (
            {"last_contact": {"c01": NOW, "c02": NOW, "c01\t": NOW}},
            "last_contact names customer 'c01' twice, as 'c01' and 'c01\\t'; give each client once",
            "last_contact",
            "c01\t",
        ),
        (
            {"owners": {"c01": "ann", 1.5: "bob"}},
            "owners key in row 1 must be text or a whole number, got float 1.5",
            "owners key",
            1.5,
        ),
        (
            {"last_contact": {True: NOW}},
            "last_contact key in row 0 must be text or a whole number, got bool True",
            "last_contact key",
            True,
        ),
        (
            {"owners": {"zz": "ann"}},
            "owners names customer 'zz' that is not in the RFM table",
            "owners",
            "zz",
        ),
    ],
)
def test_bad_client_keys(kwargs: dict[str, Any], message: str, field: str, value: Any) -> None:
    error = _error(**kwargs)
    assert str(error) == message
    assert (error.field, error.value) == (field, value)


def test_a_client_twice_in_the_table_by_the_id_rule() -> None:
    with pytest.raises(InputError) as info:
        touch_plan(
            {"customer_id": [7, "7 "], "segment": ["at_risk", "at_risk"]},
            owners={},
            last_contact={},
            now=NOW,
        )
    assert str(info.value) == (
        "customer '7' appears 2 times in the RFM table; one row per client is needed"
    )


# --------------------------------------------------------------------------- the label rule


def test_segments_match_the_rules_by_the_label_rule() -> None:
    segments = ["At_Risk", " at_risk ", "CHAMPIONS", "\uff43hampions", "Hibernating"]
    table = {"customer_id": ["a", "b", "c", "d", "e"], "segment": segments}
    plan = touch_plan(
        table,
        owners=dict.fromkeys("abcde", "ann"),
        last_contact={"a": ago(14), "b": ago(13), "c": ago(30), "d": ago(40), "e": ago(90)},
        now=NOW,
    )
    # The rules of each segment apply whatever the spelling; tasks show the table's.
    assert [(t.customer, t.segment, t.reason_code) for t in plan.tasks] == [
        ("a", "At_Risk", "win_back"),
        ("d", "\uff43hampions", "loyalty"),
        ("c", "CHAMPIONS", "loyalty"),
        ("e", "Hibernating", "last_chance"),
    ]
    assert plan.tasks[0].why == "At_Risk client, no contact for 14 days (rule: 14+ days)"


def test_rule_segments_are_labels_too() -> None:
    rules = TouchRules(
        [
            TouchRule(" VIP ", 7, "check_in", "Call", priority=1),
            TouchRule("vip", 30, "visit", "Visit", priority=1),
        ]
    )
    assert rules.rules[0].segment == "VIP"
    assert rules.segments == ("VIP",)
    assert [r.reason_code for r in rules.for_segment("Vip")] == ["visit", "check_in"]
    plan = touch_plan(
        {"customer_id": ["a", "b"], "segment": ["vip", "V I P"]},
        owners={"a": "ann", "b": "ann"},
        last_contact={"a": ago(40), "b": ago(40)},
        now=NOW,
        rules=rules,
    )
    assert [(t.customer, t.reason_code) for t in plan.tasks] == [("a", "visit")]
    with pytest.raises(InputError) as info:
        TouchRules([rules.rules[0], TouchRule("vip", 7, "other", "Mail", priority=2)])
    assert str(info.value) == (
        "touch rules 0 and 1 both apply to segment 'vip' (written 'VIP' in rule 0) "
        "after 7 silent days; keep one"
    )
    with pytest.raises(InputError) as info:
        TouchRule("  ", 7, "x", "y", priority=1)
    assert str(info.value) == "segment of a touch rule must be a non-empty string, got '  '"
