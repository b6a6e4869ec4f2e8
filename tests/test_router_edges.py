"""The online Router at its edges: holding the night's backlog, team changes, failures
half-way, restarts after idle calls, mixed workloads, decay of reassigned leads, inputs."""

import sqlite3
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

import fairlead as fl

MONDAY = datetime(2026, 11, 2, tzinfo=UTC)


def at(hour, minute=0, day=0):
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def by_id(router, now):
    return {s.manager_id: s for s in router.status(now)}


def night_router(max_hold):
    """'early' works 06:00-14:00 UTC, 'late' 09:00-17:00; equal capacity."""
    managers = [{"id": "early", "max_active_leads": 50}, {"id": "late", "max_active_leads": 50}]
    hours = {
        "early": {"timezone": "UTC", "week": {"mon-sun": "06:00-14:00"}},
        "late": {"timezone": "UTC", "week": {"mon-sun": "09:00-17:00"}},
    }
    return fl.Router(
        managers,
        {"balance_tolerance": 0.2},
        hours=hours,
        max_hold=max_hold,
        share_half_life=None,
    )


def night_backlog(router):
    for k in range(20):
        decision = router.route({"id": f"n{k}", "score": 0.5}, at(0, 10 * k + 1))
        assert decision.manager_id is None  # nobody works at night


def test_max_hold_keeps_the_night_backlog_for_the_later_shift():
    router = night_router(timedelta(hours=3))
    night_backlog(router)
    first = router.route_waiting(at(6))
    # the early shift takes its band of the backlog (half of 20, +20 %, +1), no more
    assert [d.manager_id for d in first] == ["early"] * len(first)
    assert 10 <= len(first) <= 13
    assert all("within the fair band" in d.reason for d in first)
    assert len(router.waiting()) == 20 - len(first)
    assert router.route_waiting(at(8)) == []  # still held: 2 hours < max_hold
    later = router.route_waiting(at(9))
    assert {d.manager_id for d in later} == {"late"}
    assert router.waiting() == []
    books = by_id(router, at(9))
    assert books["early"].routed + books["late"].routed == 20
    assert abs(books["early"].routed - books["late"].routed) <= 6


def test_held_leads_go_after_max_hold_even_above_the_band():
    managers = [{"id": "early", "max_active_leads": 50}, {"id": "late", "max_active_leads": 50}]
    hours = {
        "early": {"timezone": "UTC", "week": {"mon-sun": "06:00-14:00"}},
        "late": {"timezone": "UTC", "week": {"mon-sun": "10:00-18:00"}},
    }
    router = fl.Router(
        managers, {"balance_tolerance": 0.2}, hours=hours, share_half_life=None
    )  # the default max_hold: 3 hours
    night_backlog(router)
    first = router.route_waiting(at(6))
    left = 20 - len(first)
    assert router.route_waiting(at(8, 59)) == []
    # 'late' starts at 10:00, but the hold ended at 09:00: the rest go to 'early'
    rest = router.route_waiting(at(9, 1))
    assert len(rest) == left
    assert all(d.manager_id == "early" for d in rest)
    assert all("band relaxed" in d.reason for d in rest)


def test_without_hold_the_first_shift_takes_the_whole_backlog():
    router = night_router(None)
    night_backlog(router)
    first = router.route_waiting(at(6))
    assert len(first) == 20
    assert {d.manager_id for d in first} == {"early"}


def test_value_rows_follow_managers_by_id_after_a_team_change(tmp_path):
    path = tmp_path / "team.db"
    team = [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}]
    with fl.Router(team, {"balance_tolerance": None}, store=path) as router:
        router.pause("a", at(9))
        router.pause("b", at(9))
        assert router.route({"id": "x", "score": 0.5}, at(9, 1), value=[0.9, 0.1]).kind == (
            "waiting"
        )
    # the same team in another order, plus a newcomer who is not in the stored row
    reordered = [team[1], {"id": "c", "max_active_leads": 5}, team[0]]
    with fl.Router(reordered, {"balance_tolerance": None}, store=path) as router:
        router.resume("a", at(10))
        router.resume("b", at(10))
        (placed,) = router.route_waiting(at(10, 1))
        assert placed.manager_id == "a"  # value 0.9 follows 'a', not position 0
        assert placed.value == 0.9
    with fl.Router(reordered, {"balance_tolerance": None}, store=tmp_path / "t2.db") as router:
        for who in ("a", "b", "c"):
            router.pause(who, at(9))
        router.route({"id": "y", "score": 0.5}, at(9, 1), value=[0.1, 0.2, 0.3])
    # the team becomes [d, c]: 'd' is not in the stored row, so only 'c' may take 'y'
    newcomer = [{"id": "d", "max_active_leads": 5}, {"id": "c", "max_active_leads": 5}]
    with fl.Router(newcomer, {"balance_tolerance": None}, store=tmp_path / "t2.db") as router:
        router.resume("c", at(10))
        (placed,) = router.route_waiting(at(10, 1))
        assert (placed.manager_id, placed.value) == ("c", 0.2)
        router.pause("c", at(10, 2))
        router.route({"id": "z", "score": 0.5}, at(10, 3), value=[0.1, 0.2])
        assert router.decision("z").manager_id == "d"  # new rows know 'd'


def test_a_stale_lead_with_a_product_nobody_sells_now_blocks_nothing(tmp_path):
    path = tmp_path / "skills.db"
    team = [
        {"id": "a", "skills": "x,y", "max_active_leads": 5},
        {"id": "b", "skills": "x", "max_active_leads": 5},
    ]
    options = {"sla": timedelta(minutes=30)}
    with fl.Router(team, **options, store=path) as router:
        assert router.route({"id": "y1", "score": 0.5, "product": "y"}, at(9)).manager_id == "a"
        router.pause("a", at(9))
        router.pause("b", at(9))
        assert router.route({"id": "y2", "score": 0.5, "product": "y"}, at(9, 1)).kind == (
            "waiting"
        )
    # 'a', the only one selling 'y', has left
    with fl.Router([team[1]], **options, store=path) as router:
        router.resume("b", at(9, 2))
        (kept,) = router.reassign_overdue(at(10))
        assert kept.kind == "kept"
        assert "0 qualified" in kept.reason
        assert router.route_waiting(at(10)) == []
        assert router.waiting() == ["y2"]
        assert router.route({"id": "x1", "score": 0.5, "product": "x"}, at(10)).manager_id == "b"
        router.release("y1", "lost", at(10))
        assert [o.lead_id for o in router.overdue(at(11))] == ["x1"]


def test_a_failed_route_waiting_in_memory_leaves_everything_as_it_was():
    calls = []

    def model(leads, managers):
        calls.append([lead.id for lead in leads])
        if any(lead.id == "bad" for lead in leads) and len(calls) > 2:
            raise TimeoutError("model service timed out")
        return np.full((len(leads), len(managers)), 0.5)

    router = fl.Router([{"id": "a", "max_active_leads": 5}], model=model)
    router.pause("a", at(9))
    router.route({"id": "good", "score": 0.5}, at(9, 1))
    router.route({"id": "bad", "score": 0.5}, at(9, 2))
    router.resume("a", at(10))
    before = router.status(at(10))
    with pytest.raises(TimeoutError, match="model service timed out"):
        router.route_waiting(at(10))
    assert router.status(at(10)) == before
    assert router.waiting() == ["good", "bad"]
    assert router.decision("good").kind == "waiting"


def test_a_failed_commit_reloads_the_committed_state(tmp_path):
    path = tmp_path / "commit.db"
    router = fl.Router([{"id": "a", "max_active_leads": 5}], store=path)
    router.route({"id": "ok", "score": 0.5}, at(9))
    db = router._store.db
    # A deferred foreign key fails only at COMMIT.
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("CREATE TABLE parent (id TEXT PRIMARY KEY)")
    db.execute(
        "CREATE TABLE child (lead_id TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    db.execute(
        "CREATE TRIGGER orphan AFTER INSERT ON leads WHEN NEW.lead_id = 'bad' "
        "BEGIN INSERT INTO child VALUES ('nobody'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        router.route({"id": "bad", "score": 0.5}, at(9, 1))
    assert not db.in_transaction
    books = by_id(router, at(9, 2))
    assert (books["a"].open, books["a"].routed) == (1.0, 1)
    assert router.decision("bad") is None
    assert router.route({"id": "next", "score": 0.5}, at(9, 2)).manager_id == "a"
    router.close()


def test_restart_after_an_idle_call_resumes_the_catch_up_exactly(tmp_path):
    def run(path, restart):
        team = [{"id": "a", "max_active_leads": 99}, {"id": "b", "max_active_leads": 99}]
        options = {"catch_up": {"mode": "full", "horizon": timedelta(hours=10)}}
        router = fl.Router(team, store=path, **options)
        router.pause("b", at(8))
        for k in range(10):
            router.route({"id": f"l{k}", "score": 0.5}, at(8, k + 1))
        router.resume("b", at(9))
        assert router.route_waiting(at(9, 30)) == []  # idle, but it advanced the state
        if restart:
            router.close()
            router = fl.Router(team, store=path, **options)
        out = {s.manager_id: (s.target, s.owed) for s in router.status(at(12))}
        router.close()
        return out

    assert run(tmp_path / "r1.db", False) == run(tmp_path / "r2.db", True)


def test_mixed_workloads_keep_the_batch_for_the_unit_leads():
    router = fl.Router(
        [{"id": "a", "max_active_leads": 1}, {"id": "b", "max_active_leads": 3}],
        {"balance_tolerance": None},
    )
    router.pause("a", at(9))
    router.pause("b", at(9))
    # one at a time, u0 would take a (0.9) and leave u1 with b (0.1): 1.0 in all
    router.route({"id": "u0", "score": 0.5}, at(9, 1), value=[0.9, 0.8])
    router.route({"id": "u1", "score": 0.5}, at(9, 2), value=[0.9, 0.1])
    router.route({"id": "w", "score": 0.5, "effort": 2.0}, at(9, 3), value=[0.3, 0.3])
    router.resume("a", at(10))
    router.resume("b", at(10))
    placed = {d.lead_id: d.manager_id for d in router.route_waiting(at(10))}
    assert (placed["u0"], placed["u1"]) == ("b", "a")  # the batch: 1.7
    assert placed["w"] == "b"  # one at a time after the batch, where room is left
    books = by_id(router, at(10))
    assert (books["a"].open, books["b"].open) == (1.0, 3.0)


def test_reassignment_forfeits_what_is_left_of_the_decayed_count():
    router = fl.Router(
        [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}],
        {"balance_tolerance": None},
        sla=timedelta(days=1),
        share_half_life=timedelta(days=1),
    )
    assert router.route({"id": "l", "score": 0.5}, at(9), value=[0.9, 0.1]).manager_id == "a"
    before = by_id(router, at(9, day=2))["a"]
    assert before.received == pytest.approx(0.25)
    (moved,) = router.reassign_overdue(at(9, day=2))
    assert moved.manager_id == "b"
    after = by_id(router, at(9, day=2))
    assert after["a"].received == pytest.approx(0.0, abs=1e-12)
    assert after["a"].target == pytest.approx(before.target - 0.25)
    assert after["b"].received == pytest.approx(1.0)


def test_a_short_pause_during_a_catch_up_does_not_start_it_over():
    router = fl.Router(
        [{"id": "a", "max_active_leads": 999}, {"id": "b", "max_active_leads": 999}],
        catch_up={"mode": "full", "horizon": timedelta(days=4)},
        share_half_life=None,
    )
    router.pause("b", at(0))
    for k in range(48):
        router.route({"id": f"l{k}", "score": 0.5}, at(0, 30 * k + 1))
    router.resume("b", at(0, day=1))
    owed = by_id(router, at(0, day=1))["b"].owed
    assert owed == pytest.approx(24.0)
    router.pause("b", at(0, day=3))
    router.resume("b", at(0, 10, day=3))  # ten minutes, nothing missed
    # the ramp still ends on day 5, not 4 days after the short pause
    assert by_id(router, at(0, day=5))["b"].owed == pytest.approx(0.0, abs=1e-9)


def test_the_soft_hot_rule_penalty_is_named_in_the_reason():
    router = fl.Router(
        [{"id": "t", "level": "trainee", "max_active_leads": 5}],
        {"hot_rule": "soft", "hot_penalty": 0.3, "balance_tolerance": None},
    )
    decision = router.route({"id": "h", "score": 0.9, "tier": "hot"}, at(9))
    assert decision.value == pytest.approx(0.45 - 0.3)
    assert "(after the hot-lead penalty 0.3)" in decision.reason


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"share_half_life": 30}, r"^share_half_life must be a timedelta .*got int 30$"),
        ({"max_hold": 3}, r"^max_hold must be a timedelta .*got int 3$"),
        ({"max_hold": timedelta(0)}, r"^max_hold must be positive, got 0:00:00$"),
        ({"durability": "bogus"}, r"^durability must be 'normal' or 'full', got 'bogus'$"),
        (
            {"absences": {"manager_id": "a", "start": "2026-11-02", "end": "2026-11-03"}},
            r"^absences must be a list of Absence records or dicts, got dict$",
        ),
        (
            {"catch_up": {"horizon": 5}},
            r"^catch_up 'horizon': horizon must be a timedelta .*not a number, got 5$",
        ),
        (
            {"catch_up": {"horizon": timedelta(days=-1)}},
            r"^catch_up 'horizon': horizon must be positive, got datetime\.timedelta",
        ),
    ],
)
def test_router_settings_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        fl.Router([{"id": "a", "max_active_leads": 5}], **options)


def test_calls_are_checked_and_a_closed_router_refuses_them():
    router = fl.Router([{"id": "a", "max_active_leads": 5}], absences=None)
    with pytest.raises(ValueError, match=r"^manager id must be a string, got list \['a'\]$"):
        router.pause(["a"], at(9))
    with pytest.raises(ValueError, match=r"^unknown manager 'z'$"):
        router.resume("z", at(9))
    router.close()
    with pytest.raises(ValueError, match=r"^the router is closed$"):
        router.route({"id": "l", "score": 0.5}, at(9))
    with pytest.raises(ValueError, match=r"^the router is closed$"):
        router.status(at(9))
