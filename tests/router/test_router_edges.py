"""The online Router at its edges: holding the night's backlog, team changes, failures
half-way, restarts after idle calls, mixed workloads, decay of reassigned leads, inputs."""

import re
import sqlite3
from contextlib import closing
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
            # the field is named once: before the message, or by a message that starts with it
            {"catch_up": {"horizon": 5}},
            r"^catch_up(?: 'horizon')?: horizon must be a timedelta .*not a number, got 5$",
        ),
        (
            {"catch_up": {"horizon": timedelta(days=-1)}},
            r"^catch_up(?: 'horizon')?: horizon must be positive, got datetime\.timedelta",
        ),
    ],
)
def test_router_settings_are_checked(options, message):
    with pytest.raises(ValueError, match=message):
        fl.Router([{"id": "a", "max_active_leads": 5}], **options)


def test_calls_are_checked_and_a_closed_router_refuses_them():
    router = fl.Router([{"id": "a", "max_active_leads": 5}], absences=None)
    with pytest.raises(
        fl.InputError, match=r"^manager id must be text or a whole number, got list \['a'\]$"
    ):
        router.pause(["a"], at(9))
    with pytest.raises(fl.InputError, match=r"^manager 'z': not on this router's team \('a'\)$"):
        router.resume("z", at(9))
    router.close()
    with pytest.raises(ValueError, match=r"^the router is closed$"):
        router.route({"id": "l", "score": 0.5}, at(9))
    with pytest.raises(ValueError, match=r"^the router is closed$"):
        router.status(at(9))


# -- failures leave nothing behind; ids, reasons, times and stores checked at the door --


class Flaky:
    """A value model (the lead's score for everyone) that raises while ``fail`` is set."""

    def __init__(self):
        self.fail = False

    def __call__(self, leads, managers):
        if self.fail:
            raise RuntimeError("the model is down")
        return np.array([[lead.score] * len(managers) for lead in leads])


def busy_router(store, model):
    """Four leads held (two each), one waiting, one closed while waiting, one released."""
    managers = [
        {"id": "a", "skills": "cards", "max_active_leads": 2},
        {"id": "b", "skills": "cards", "max_active_leads": 2},
    ]
    router = fl.Router(
        managers, {"balance_tolerance": 0.2}, model, sla=timedelta(minutes=15), store=store
    )
    for k in range(6):
        router.route({"id": f"l{k}", "score": 0.3 + 0.1 * k, "product": "cards"}, at(9, k))
    router.release("l5", "closed", at(9, 10))
    router.release("l0", "won", at(9, 20))
    return router


def seen_from_outside(router):
    ids = [f"l{k}" for k in range(6)] + ["new"]
    return {
        "status": router.status(at(10)),
        "later": router.status(at(10, day=400)),
        "decisions": {lid: router.decision(lid) for lid in ids},
        "waiting": router.waiting(),
        "overdue": router.overdue(at(10)),
        "prices": router.prices_.tolist(),
        "clock": router._state.clock,
    }


YEAR_LATER = at(9, day=365)
NEW = {"id": "new", "score": 0.5, "product": "cards"}


def _failing_model(router, model):
    model.fail = True
    return router.route(NEW, YEAR_LATER)


def _failing_queue(router, model):
    model.fail = True
    return router.route_waiting(YEAR_LATER)


def _failing_reassignment(router, model):
    model.fail = True
    return router.reassign_overdue(YEAR_LATER)


FAILURES = {
    "route, unknown product": lambda r, m: r.route({**NEW, "product": "loans"}, YEAR_LATER),
    "route, the model fails": _failing_model,
    "route_waiting, the model fails": _failing_queue,
    "reassign_overdue, the model fails": _failing_reassignment,
    "route, bad value row": lambda r, m: r.route(NEW, YEAR_LATER, value=[0.5, None]),
    "route, time out of range": lambda r, m: r.route(NEW, datetime.max),
    "route, a lead closed while waiting": lambda r, m: r.route({"id": "l5", "score": 0.5}),
    "release, another outcome": lambda r, m: r.release("l0", "lost", YEAR_LATER),
    "release, unknown lead": lambda r, m: r.release("zz", "won", YEAR_LATER),
    "release, bad outcome": lambda r, m: r.release("l1", "sold", YEAR_LATER),
    "contact, a waiting lead": lambda r, m: r.contact("l4", YEAR_LATER),
    "contact, bad lead id": lambda r, m: r.contact(["l1"], YEAR_LATER),
    "pause, unknown manager": lambda r, m: r.pause("z", YEAR_LATER),
    "pause, bad reason": lambda r, m: r.pause("a", YEAR_LATER, reason=None),
    "reprice, bad values": lambda r, m: r.reprice([NEW], now=YEAR_LATER, values=[[np.nan] * 2]),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_a_failing_call_leaves_the_router_as_it_was(tmp_path, persistent, kind):
    model = Flaky()
    router = busy_router(tmp_path / "r.db" if persistent else None, model)
    assert router.waiting() == ["l4"]
    before = seen_from_outside(router)
    with pytest.raises((ValueError, RuntimeError)):
        FAILURES[kind](router, model)
    model.fail = False
    assert seen_from_outside(router) == before
    # and the router goes on from there
    assert router.route(NEW, at(10)).manager_id is not None


def test_lead_ids_are_read_as_route_reads_them(tmp_path):
    for store in (None, tmp_path / "ids.db"):
        router = fl.Router(
            [{"id": "a", "max_active_leads": 5}], sla=timedelta(hours=1), store=store
        )
        assert router.route({"id": 123, "score": 0.5}, at(9)).lead_id == "123"
        assert router.decision(123) == router.decision("123") is not None
        router.contact(123, at(9, 5))
        router.release(123, "won", at(9, 10))
        assert router.status(at(10))[0].released == 1
        # a whole float and surrounding spaces read as the integer's text
        router.route({"id": 7.0, "score": 0.5}, at(9))
        router.release(" 7 ", "lost", at(9, 10))
        assert router.decision(7).lead_id == "7"
        with pytest.raises(fl.InputError, match=r"'id' must be text or a whole number, got 1\.5"):
            router.route({"id": 1.5, "score": 0.5}, at(9))
        for bad, shown in [
            (["123"], r"list \['123'\]"),
            (None, "NoneType None"),
            ({"id": 1}, r"dict \{'id': 1\}"),
            (True, "bool True"),
            (1.5, r"float 1\.5"),
            (float("nan"), "float nan"),
        ]:
            message = rf"^lead id must be text or a whole number, got {shown}$"
            with pytest.raises(fl.InputError, match=message):
                router.decision(bad)
            with pytest.raises(fl.InputError, match=message):
                router.release(bad, "won", at(10))
            with pytest.raises(fl.InputError, match=message):
                router.contact(bad, at(10))
        with pytest.raises(fl.InputError, match=r"^lead id must not be empty, got str ''$"):
            router.decision("")
        with pytest.raises(fl.InputError, match=r"^lead id must not be empty, got str ' '$"):
            router.decision(" ")
        with pytest.raises(fl.InputError, match=r"^lead id must be at most 200 characters"):
            router.contact("x" * 201, at(10))
        router.close()


def test_manager_ids_are_read_as_the_team_reads_them():
    router = fl.Router([{"id": 5, "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}])
    assert router.manager_ids_ == ["5", "b"]
    router.pause(5, at(9))
    assert by_id(router, at(9))["5"].paused
    router.resume(5, at(10))
    router.pause(5.0, at(11))  # a whole float, as a pandas column with a blank holds it
    assert by_id(router, at(11))["5"].paused
    router.resume(" 5 ", at(12))
    assert not by_id(router, at(12))["5"].paused
    message = r"^manager id must be text or a whole number, got NoneType None$"
    with pytest.raises(fl.InputError, match=message) as caught:
        router.pause(None, at(12))
    assert caught.value.field == "manager_id"
    with pytest.raises(fl.InputError, match=r"got float 5\.5$"):
        router.pause(5.5, at(12))


@pytest.mark.parametrize("reason", [None, ["sick"], 5])
@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_pause_reason_must_be_text(tmp_path, persistent, reason):
    store = tmp_path / "p.db" if persistent else None
    router = fl.Router([{"id": "a", "max_active_leads": 5}], store=store)
    shown = f"{type(reason).__name__} {reason!r}".replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(ValueError, match=rf"^pause reason must be a string, got {shown}$"):
        router.pause("a", at(9), reason=reason)
    assert not router.status(at(9))[0].paused
    router.pause("a", at(9), reason="sick")
    assert router.status(at(9))[0].paused


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "Pacific/Kiritimati", "Etc/GMT+12"])
def test_an_open_ended_absence_runs_to_the_far_future(zone):
    managers = [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}]
    router = fl.Router(
        managers,
        hours={"a": {"timezone": zone, "week": {"mon-sun": "00:00-24:00"}}},
        absences=[
            {"manager_id": "a", "start": "2026-11-01", "end": "9999-12-31"},
            {"manager_id": "b", "start": "0001-01-01", "end": "2026-10-01"},
        ],
    )
    assert router.route({"id": "x", "score": 0.5}, at(9)).manager_id == "b"
    assert router.route({"id": "y", "score": 0.5}, datetime(9000, 1, 1)).manager_id == "b"
    assert not by_id(router, datetime(9998, 12, 31, 23))["a"].available


@pytest.mark.parametrize(
    "now",
    [
        datetime.max,
        datetime.max.replace(tzinfo=UTC),
        datetime.min,
        datetime(9999, 1, 1, tzinfo=UTC),
        datetime(1899, 12, 31, 23, 59),
    ],
)
def test_times_out_of_range_are_refused_with_the_range(now):
    router = fl.Router(
        [{"id": "a", "max_active_leads": 5}],
        hours={"timezone": "Asia/Tokyo", "week": {"mon-sun": "00:00-24:00"}},
    )
    message = r"^now must be a datetime between 1900-01-01 and 9999-01-01 \(UTC\), got datetime"
    with pytest.raises(ValueError, match=message):
        router.route({"id": "x", "score": 0.5}, now)
    with pytest.raises(ValueError, match=message):
        router.status(now)
    # the last moments of the range work in every zone
    assert router.route({"id": "x", "score": 0.5}, datetime(9998, 12, 31, 23, 59)).manager_id


def test_pandas_times_work_and_nat_is_refused():
    pd = pytest.importorskip("pandas")
    router = fl.Router([{"id": "a", "max_active_leads": 5}])
    assert router.route({"id": "x", "score": 0.5}, pd.Timestamp(at(9))).manager_id == "a"
    with pytest.raises(ValueError, match=r"^now must be a datetime between .*, got NaT$"):
        router.route({"id": "y", "score": 0.5}, pd.NaT)
    with pytest.raises(ValueError, match=r"^now must be a datetime between .*, got NaT$"):
        router.release("x", "won", pd.NaT)


@pytest.mark.parametrize(
    "horizon", [np.int64(5), np.float64(5.0), 5, 5.0, True, "5", "5.0"], ids=repr
)
def test_catch_up_horizon_refuses_every_number(horizon):
    import decimal

    for value in (horizon, decimal.Decimal(5)):
        with pytest.raises(
            ValueError,
            match=r"^catch_up(?: 'horizon')?: horizon must be a timedelta .*not a number",
        ):
            fl.Router([{"id": "a", "max_active_leads": 5}], catch_up={"horizon": value})
    assert fl.CatchUp(horizon="P2D").horizon == timedelta(days=2)  # ISO 8601 has a unit


DAMAGE = {
    "ids not json": "UPDATE meta SET value = 'not json' WHERE key = 'manager_ids'",
    "ids a number": "UPDATE meta SET value = '5' WHERE key = 'manager_ids'",
    "ids of numbers": "UPDATE meta SET value = '[1, 2]' WHERE key = 'manager_ids'",
    "state as text": "UPDATE state SET data = 'text'",
    "state cut": "UPDATE state SET data = x'0001'",
    "state short": "UPDATE state SET data = zeroblob(16)",
    "version as text": "UPDATE state SET version = 'x'",
    "lead row": "UPDATE leads SET routed_at = 'x'",
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_store_says_so(tmp_path, damage):
    path = tmp_path / "x.db"
    managers = [{"id": "a", "max_active_leads": 5}]
    live = fl.Router(managers, store=path)
    live.route({"id": "l", "score": 0.5}, at(9))
    with closing(sqlite3.connect(path)) as db:
        db.execute(DAMAGE[damage])
        db.execute("UPDATE state SET version = version + 1 WHERE typeof(version) = 'integer'")
        db.commit()
    message = rf"^the router store '{re.escape(str(path))}' is damaged: "
    with pytest.raises(ValueError, match=message):  # another process's commit, seen live
        live.release("l", "won", at(10))
    live.close()
    with pytest.raises(ValueError, match=message), fl.Router(managers, store=path) as again:
        again.release("l", "won", at(10))  # or on reopening


def test_a_damaged_lead_record_says_so(tmp_path):
    path = tmp_path / "x.db"
    router = fl.Router([{"id": "a", "max_active_leads": 5}], sla=timedelta(hours=1), store=path)
    router.route({"id": "l", "score": 0.5}, at(9))
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE leads SET lead = '{'")
        db.commit()
    # a release takes off the workload the lead was charged: it needs no record; moving
    # the lead to another manager does
    with pytest.raises(
        ValueError, match=r"^the router store is damaged: the record of lead 'l' cannot be read"
    ):
        router.reassign_overdue(at(11))
    router.close()


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("", r"^store='' would not persist anything; use store=None for in-memory state"),
        (":memory:", r"^store=':memory:' would not persist anything; use store=None"),
        (5, r"^store must be a file path \(str or Path\), a store object or None .*, got int 5$"),
        (b"x.db", r"^store must be a file path \(str or Path\), a store .*, got bytes b'x.db'$"),
        (object(), r"^store must be a file path \(str or Path\), a store .*, got object <object"),
    ],
)
def test_store_must_be_a_file_path(tmp_path, monkeypatch, store, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=message):
        fl.Router([{"id": "a", "max_active_leads": 5}], store=store)
    assert list(tmp_path.iterdir()) == []  # no file named 5 or x.db


def events(router):
    if router.store is None:
        return [(at_, kind, lead, detail) for at_, kind, lead, _, detail in router._store.events]
    with closing(sqlite3.connect(router.store)) as db:
        return list(db.execute("SELECT at, kind, lead_id, detail FROM events"))


@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_contact_and_release_are_never_before_the_routing(tmp_path, persistent):
    store = tmp_path / "t.db" if persistent else None
    router = fl.Router([{"id": "a", "max_active_leads": 5}], sla=timedelta(hours=1), store=store)
    routed = at(9).timestamp()
    router.route({"id": "x", "score": 0.5}, at(9))
    router.route({"id": "y", "score": 0.5}, at(9))
    router.contact("x", at(9, day=-365))  # a year early: recorded at the routing
    router.release("y", "won", at(8, 58))  # two minutes early: another process's clock
    assert router.overdue(at(11)) == []  # x was contacted, y released
    assert router._store.get("x").contacted_at == routed
    assert router._store.get("y").released_at == routed
    log = {(kind, lead): (t, detail) for t, kind, lead, detail in events(router)}
    note = "dated {} UTC, before the lead was routed"
    assert log["contact", "x"] == (routed, note.format("2025-11-02 09:00:00"))
    assert log["release", "y"] == (routed, f"won ({note.format('2026-11-02 08:58:00')})")
    # on time, nothing is noted
    router.route({"id": "z", "score": 0.5}, at(9))
    router.release("z", "lost", at(9, 30))
    assert events(router)[-1][1:] == ("release", "z", "lost")


@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_contact_after_release_does_nothing(tmp_path, persistent):
    store = tmp_path / "t.db" if persistent else None
    router = fl.Router([{"id": "a", "max_active_leads": 1}], sla=timedelta(hours=1), store=store)
    router.route({"id": "x", "score": 0.5}, at(9))
    router.route({"id": "w", "score": 0.5}, at(9))  # waits: no room
    router.release("x", "won", at(9, 30))
    router.release("w", "closed", at(9, 30))  # closed while waiting
    logged = events(router)
    router.contact("x", at(9, 40))  # out of order webhook: the SLA clock stopped already
    router.contact("w", at(9, 40))
    assert events(router) == logged
    assert router._store.get("x").contacted_at is None
    with pytest.raises(fl.InputError, match=r"^lead 'nope': never routed by this router$"):
        router.contact("nope", at(9, 40))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([1, None, 3], r"for manager 'b' must be a real number, got NoneType None$"),
        (["1", "2", "3"], r"for manager 'a' must be a real number, got str '1'$"),
        ([True, False, True], r"for manager 'a' must be a real number, got bool True$"),
        ([0.5, True, 0.2], r"for manager 'b' must be a real number, got bool True$"),
        (np.array([True, False, True]), r"for manager 'a' must be a real number, got bool True$"),
        (np.array(["1", "2", "3"]), r"for manager 'a' must be a real number, got str '1'$"),
        ([1j, 2, 3], r"for manager 'a' must be a real number, got complex 1j$"),
        ([0.1, 0.2, float("nan")], r"for manager 'c' must be finite, got nan$"),
        ([0.1, [0.2], 0.3], r"must be numbers, got \[0\.1, \[0\.2\], 0\.3\]$"),
    ],
)
def test_value_rows_must_be_numbers(value, message):
    managers = [{"id": k, "max_active_leads": 5} for k in "abc"]
    router = fl.Router(managers)
    with pytest.raises(ValueError, match=r"^value of lead 'x' " + message):
        router.route({"id": "x", "score": 0.5}, at(9), value=value)
    assert router.decision("x") is None
    ok = router.route({"id": "x", "score": 0.5}, at(9), value=np.array([1, 3, 2], np.int64))
    assert ok.manager_id == "b"
