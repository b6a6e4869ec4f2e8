"""Touches go to managers who can make them: covers for owners who are away, room, reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.records import InputError, Manager, Policy
from fairlead.scoring._rfm_segments import DEFAULT_SEGMENTS
from fairlead.scoring._touch import TouchPlan, touch_plan
from fairlead.scoring._touch_cover import NO_LIMIT, allocate, touch_room

NOW = dt.date(2026, 11, 27)


def ago(days: int) -> dt.date:
    return NOW - dt.timedelta(days=days)


# The demo's situation in small: m-8 is away with no free slot, m-7 is in with room and
# owns no client, m-1 owns clients of their own. Capacity numbers are the demo's.
DEMO_TEAM = [
    {"id": "m-1", "max_active_leads": 75, "active_leads": 22, "portfolio_size": 140},
    {"id": "m-7", "max_active_leads": 50, "active_leads": 5},
    {
        "id": "m-8",
        "max_active_leads": 50,
        "active_leads": 10,
        "portfolio_size": 70,
        "available": False,
    },
]
DEMO_POLICY = {"portfolio_load": 0.1, "touch_load": 0.25}
CLIENTS = {
    # customer: (segment, owner, days since the last contact or None)
    "c01": ("at_risk", "m-1", 40),
    "c02": ("champions", "m-1", 45),
    "c03": ("hibernating", "m-1", 120),
    "c04": ("cant_lose", "m-8", 30),
    "c05": ("at_risk", "m-8", None),
    "c06": ("loyal_customers", "m-8", 60),
    "c07": ("need_attention", "m-8", 25),
    "c08": ("hibernating", "m-8", 200),
    "c09": ("champions", "m-8", 5),  # not due
}


def _plan(clients: dict[str, tuple[str, Any, int | None]] = CLIENTS, **kwargs: Any) -> TouchPlan:
    table = {"customer_id": list(clients), "segment": [c[0] for c in clients.values()]}
    owners = {k: c[1] for k, c in clients.items()}
    contact = {k: ago(c[2]) for k, c in clients.items() if c[2] is not None}
    args: dict[str, Any] = {"managers": DEMO_TEAM, "policy": DEMO_POLICY}
    args.update(kwargs)
    return touch_plan(table, owners=owners, last_contact=contact, now=NOW, **args)


def test_the_clients_of_an_away_manager_go_to_a_colleague_with_room() -> None:
    plan = _plan()
    assert all(task.manager_id != "m-8" for task in plan.tasks)
    assert plan.per_manager() == {"m-1": 3, "m-7": 5, "m-8": 0}
    covered = [t for t in plan.tasks if t.owner_id == "m-8"]
    assert [t.customer for t in covered] == ["c05", "c04", "c06", "c07", "c08"]  # most urgent first
    assert {(t.manager_id, t.note) for t in covered} == {("m-7", "m-8 is away; m-7 covers")}
    own = [t for t in plan.tasks if t.owner_id == "m-1"]
    assert {(t.manager_id, t.note) for t in own} == {("m-1", "")}
    assert plan.not_planned == plan.over_cap == plan.unowned == ()
    assert plan.away == ("m-8",)
    assert plan.not_on_team == ()
    assert plan.covers() == {"m-8": {"m-7": 5}}
    assert plan.notes() == ["m-8 is away: m-7 covers 5 clients"]
    # The plan's counts are what the team gets as planned touches: nothing for m-8.
    assert plan.for_manager("m-8") == ()


def test_covers_go_where_the_most_room_is_left() -> None:
    # After their own 3 clients m-1 has room for 1 more touch, m-7 for 3: the covers
    # take m-7's room down to m-1's, then alternate (the first id first).
    team = [
        {"id": "m-1", "max_active_leads": 10, "active_leads": 9},  # 4 touches
        {"id": "m-7", "max_active_leads": 10, "active_leads": 9, "planned_touches": 1},  # 3
        {"id": "m-8", "max_active_leads": 10, "available": False},
    ]
    plan = _plan(managers=team, policy={"touch_load": 0.25})
    assert plan.per_manager() == {"m-1": 4, "m-7": 3, "m-8": 0}
    covers = {t.customer: t.manager_id for t in plan.tasks if t.owner_id == "m-8"}
    assert covers == {"c05": "m-7", "c04": "m-7", "c06": "m-1", "c07": "m-7"}
    assert plan.covers() == {"m-8": {"m-1": 1, "m-7": 3}}
    # The least urgent of m-8's clients waits: nobody has room left for it.
    assert [(t.customer, t.owner_id, t.manager_id) for t in plan.not_planned] == [
        ("c08", "m-8", None)
    ]
    assert plan.not_planned[0].note == (
        "not planned: m-8 is away and nobody has room left this week"
    )
    assert plan.over_cap == ()
    assert plan.notes() == [
        "m-8 is away: m-7 covers 3 clients, m-1 covers 1 client; 1 not planned, "
        "nobody has room left"
    ]


def test_when_nobody_has_room_the_touches_are_reported_not_planned() -> None:
    team = [
        {"id": "m-1", "max_active_leads": 10, "active_leads": 10},
        {"id": "m-7", "max_active_leads": 10, "active_leads": 10},
        {"id": "m-8", "max_active_leads": 10, "available": False},
    ]
    plan = _plan(managers=team, policy={"touch_load": 0.25})
    assert plan.tasks == ()
    assert plan.per_manager() == {"m-1": 0, "m-7": 0, "m-8": 0}
    by_note: dict[str, list[str]] = {}
    for task in plan.not_planned:
        assert task.manager_id is None
        by_note.setdefault(task.note, []).append(task.customer)
    assert by_note == {
        "not planned: m-1 has no room for touches this week": ["c01", "c02", "c03"],
        "not planned: m-8 is away and nobody has room left this week": [
            "c05",
            "c04",
            "c06",
            "c07",
            "c08",
        ],
    }
    assert [t.customer for t in plan.over_cap] == ["c01", "c02", "c03"]
    assert plan.notes() == [
        "m-8 is away: 5 not planned, nobody has room left",
        "3 touches with m-1's clients not planned: m-1 has no room for touches this week",
    ]


def test_an_owner_keeps_their_clients_as_far_as_their_room_goes() -> None:
    # m-1 holds 2 touches: the most urgent two stay with m-1, the third waits for next
    # week rather than going to a colleague (the relationship is m-1's).
    team = [
        {"id": "m-1", "max_active_leads": 10, "active_leads": 9},  # 2 touches at 0.5
        {"id": "m-7", "max_active_leads": 10},
    ]
    clients = {k: c for k, c in CLIENTS.items() if c[1] == "m-1"}
    plan = _plan(clients, managers=team, policy={"touch_load": 0.5})
    assert [(t.manager_id, t.customer) for t in plan.tasks] == [("m-1", "c01"), ("m-1", "c02")]
    assert [(t.customer, t.note) for t in plan.not_planned] == [
        ("c03", "not planned: m-1 has room for 2 touches this week")
    ]
    assert plan.over_cap == plan.not_planned
    assert plan.away == ()


def test_an_owner_missing_from_the_team_is_covered_and_named() -> None:
    clients = dict(CLIENTS, c10=("at_risk", "m-9", 50))
    plan = _plan(clients)
    task = next(t for t in plan.tasks if t.customer == "c10")
    assert (task.owner_id, task.manager_id) == ("m-9", "m-7")
    assert task.note == "m-9 is not on the team; m-7 covers"
    assert plan.not_on_team == ("m-9",)
    assert plan.managers == ("m-1", "m-7", "m-8", "m-9")
    assert "m-9 is not on the team: m-7 covers 1 client; their clients need a new owner" in (
        plan.notes()
    )


def test_a_long_list_of_covering_colleagues_is_summed_up() -> None:
    team = [{"id": f"m-{k}", "max_active_leads": 10} for k in range(1, 6)]
    team.append({"id": "m-8", "max_active_leads": 10, "available": False})
    clients = {f"c{k:02d}": ("at_risk", "m-8", None) for k in range(9)}
    plan = _plan(clients, managers=team)
    assert plan.covers() == {"m-8": {"m-1": 2, "m-2": 2, "m-3": 2, "m-4": 2, "m-5": 1}}
    assert plan.notes() == [
        "m-8 is away: m-1 covers 2 clients, m-2 covers 2 clients, m-3 covers 2 clients; "
        "2 more cover 3 clients"
    ]
    plan = _plan(dict(list(clients.items())[:7]), managers=team[2:])
    assert plan.notes() == [
        "m-8 is away: m-3 covers 3 clients, m-4 covers 2 clients, m-5 covers 2 clients"
    ]
    plan = _plan(dict(list(clients.items())[:4]), managers=team[1:])
    assert plan.notes()[0].endswith("; 1 more colleague covers 1 client")


def test_the_cap_holds_for_covers_too() -> None:
    plan = _plan(max_per_manager=2)
    assert plan.per_manager() == {"m-1": 2, "m-7": 2, "m-8": 0}
    notes = {t.customer: t.note for t in plan.not_planned}
    assert notes["c03"] == "not planned: over the cap of 2 touches per manager this week"
    assert notes["c08"] == "not planned: m-8 is away and nobody has room left this week"
    assert [t.customer for t in plan.over_cap] == ["c03"]


def test_the_team_may_be_records_or_a_frame() -> None:
    records = [Manager.model_validate(mg) for mg in DEMO_TEAM]
    frame = pd.DataFrame(DEMO_TEAM).fillna({"portfolio_size": 0, "available": True})
    frame = frame.astype({"portfolio_size": int, "available": bool})
    expected = _plan().to_records(include_not_planned=True)
    for team in (records, frame):
        again = _plan(managers=team, policy=Policy(**DEMO_POLICY))
        assert again.to_records(include_not_planned=True) == expected


def test_a_bad_team_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"manager 'm-1'.*max_active_leads"):
        _plan(managers=[{"id": "m-1", "max_active_leads": -1}])
    with pytest.raises(InputError, match=r"duplicate manager id 'm-1'"):
        _plan(managers=[DEMO_TEAM[0], DEMO_TEAM[0]])
    with pytest.raises(InputError, match=r"policy 'touch_load'"):
        _plan(policy={"touch_load": -1})


# --------------------------------------------------------------------------- room


@pytest.mark.parametrize(
    ("manager", "load", "room"),
    [
        ({"max_active_leads": 10}, 0.25, 40),
        ({"max_active_leads": 10, "active_leads": 6, "planned_touches": 4}, 0.25, 12),
        ({"max_active_leads": 10, "portfolio_size": 39}, 0.1, 61),  # 10 - 3.9 = 6.1 slots
        ({"max_active_leads": 5, "active_leads": 5, "planned_touches": 3}, 0.5, 0),
        ({"max_active_leads": 10, "available": False}, 0.25, 0),
        ({"max_active_leads": 0}, 0.0, NO_LIMIT),
        ({"max_active_leads": 10, "available": False}, 0.0, 0),
    ],
)
def test_touch_room(manager: dict[str, Any], load: float, room: int) -> None:
    policy = Policy(touch_load=load, portfolio_load=0.1)
    assert touch_room([Manager(id="m", **manager)], policy).tolist() == [room]


def test_allocate_on_nothing() -> None:
    empty = np.zeros(0, dtype=np.int64)
    assert allocate(empty, np.array([True]), np.array([3])).tolist() == []
    assert allocate(np.array([0, 0]), np.array([False]), np.array([0])).tolist() == [-1, -1]


# --------------------------------------------------------------------------- property test

_segment = st.sampled_from(sorted(DEFAULT_SEGMENTS.names))
_owner = st.sampled_from([None, "m1", "m2", "m3", "m4", "gone"])
_silent = st.one_of(st.none(), st.integers(min_value=0, max_value=150))
_manager = st.integers(0, 12).flatmap(
    lambda most: st.fixed_dictionaries(
        {
            "max_active_leads": st.just(most),
            "active_leads": st.integers(0, most),
            "portfolio_size": st.integers(0, 12),
            "planned_touches": st.integers(0, 6),
            "available": st.booleans(),
        }
    )
)


@settings(max_examples=300, deadline=None)
@given(
    clients=st.lists(st.tuples(_segment, _owner, _silent), max_size=40),
    team=st.lists(_manager, min_size=1, max_size=4),
    load=st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]),
    cap=st.one_of(st.none(), st.integers(0, 6)),
)
def test_touches_go_only_to_managers_who_can_make_them(
    clients: list[tuple[str, str | None, int | None]],
    team: list[dict[str, Any]],
    load: float,
    cap: int | None,
) -> None:
    managers = [Manager(id=f"m{k + 1}", **mg) for k, mg in enumerate(team)]
    policy = Policy(touch_load=load, portfolio_load=0.25)
    given_clients = {f"c{k:02d}": client for k, client in enumerate(clients)}
    plan = _plan(given_clients, managers=managers, policy=policy, max_per_manager=cap)
    room = dict(zip([mg.id for mg in managers], touch_room(managers, policy).tolist(), strict=True))
    in_ = {mg.id for mg in managers if mg.available}
    limit = {m: min(room.get(m, 0), NO_LIMIT if cap is None else cap) for m in plan.managers}
    per = plan.per_manager()

    # No touch is planned for a manager who is away or not on the team.
    assert all(task.manager_id in in_ for task in plan.tasks)
    # Nobody gets more touches than their free capacity holds (nor than the cap).
    assert all(per[m] <= limit[m] for m in plan.managers)
    # Every due client with an owner is either planned or reported, once.
    alone = _plan(given_clients, managers=None, policy=None)
    planned = [t.customer for t in plan.tasks + plan.not_planned]
    assert sorted(planned) == sorted(t.customer for t in alone.tasks)
    assert [t.customer for t in plan.unowned] == [t.customer for t in alone.unowned]
    for task in plan.tasks:
        if task.owner_id in in_:
            assert (task.manager_id, task.note) == (task.owner_id, "")  # owners keep theirs
        else:
            assert task.note.endswith(f"; {task.manager_id} covers")
    for task in plan.not_planned:
        assert task.manager_id is None
        assert task.note.startswith("not planned: ")
        if task.owner_id in in_:  # the owner's list is full
            assert per[task.owner_id] == limit[task.owner_id]
        else:  # a cover was needed and every manager who is in is full
            assert all(per[m] == limit[m] for m in in_)
    assert set(plan.over_cap) == {t for t in plan.not_planned if t.owner_id in in_}


def test_covers_read_segments_and_ids_by_the_package_rules() -> None:
    # The same clients written as a CRM export may: segments in other cases and
    # spacing, client and manager ids with stray spaces. The plan is the same.
    respelled = {
        f" {k} ": (f"  {segment.title()} " if k < "c05" else segment.upper(), f"{owner} ", days)
        for k, (segment, owner, days) in CLIENTS.items()
    }
    plan, again = _plan(), _plan(respelled)
    same = ("manager_id", "owner_id", "customer", "reason_code", "note")
    assert [[getattr(t, f) for f in same] for t in again.tasks] == [
        [getattr(t, f) for f in same] for t in plan.tasks
    ]
    assert again.covers() == plan.covers() == {"m-8": {"m-7": 5}}
    assert again.tasks[0].segment == "At_Risk"
