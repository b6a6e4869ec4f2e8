"""The router store protects its own books: marks, recount on open, settings, repair.

Each test damages a real SQLite store the way a person with ``sqlite3`` would (rows
deleted or edited, a table dropped, another application's file), then checks that
the router refuses it with a message naming the ids and numbers, and that
:func:`fairlead.router.repair_store` brings it back to books that add up.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import fairlead as fl
from fairlead.router import DamagedStoreError, StoreError, StoreRepair, repair_store
from fairlead.router._format import APPLICATION_ID, FORMAT

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
TEAM: list[dict[str, Any]] = [{"id": f"m{k}", "max_active_leads": 60} for k in range(5)]
POLICY: dict[str, Any] = {"balance_tolerance": 0.2}


def lead(i: int) -> dict[str, Any]:
    return {"id": f"l{i:04d}", "score": 0.3 + (i % 7) / 10}


def route_many(path: Path, start: int, n: int, **options: Any) -> list[fl.Decision]:
    options = {"policy": POLICY, **options}
    with fl.Router(TEAM, store=path, **options) as router:
        return [router.route(lead(i), NOW + timedelta(seconds=i)) for i in range(start, start + n)]


@contextmanager
def side(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection, as a person with the sqlite3 shell would have."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        yield db


def open_leads(path: Path) -> dict[str, int]:
    with side(path) as db:
        rows = db.execute(
            "SELECT manager_id, count(*) FROM leads WHERE manager_id IS NOT NULL "
            "AND released_at IS NULL GROUP BY manager_id"
        ).fetchall()
    return dict(rows)


def events(path: Path, kind: str) -> list[str]:
    with side(path) as db:
        return [r[0] for r in db.execute("SELECT detail FROM events WHERE kind = ?", (kind,))]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- 1. the state row deleted ------------------------------------------------------------


def test_a_deleted_state_row_is_refused_then_repaired_and_loads_stay_in_capacity(
    tmp_path: Path,
) -> None:
    path = tmp_path / "s.db"
    route_many(path, 0, 250)
    assert open_leads(path) == dict.fromkeys(["m0", "m1", "m2", "m3", "m4"], 50)
    with side(path) as db:
        db.execute("DELETE FROM state")

    message = (
        r"^the router store '.*s\.db' is damaged: its state row is missing, though its "
        r"leads table holds 250 lead\(s\) \(open leads: 'm0' 50, 'm1' 50, 'm2' 50, "
        r"'m3' 50, 'm4' 50\); `fairlead repair-store STORE --managers FILE` \(or "
        r"fairlead\.repair_store\(path, managers, policy\)\) recomputes the state"
    )
    with pytest.raises(DamagedStoreError, match=message) as caught:
        fl.Router(TEAM, POLICY, store=path)
    assert isinstance(caught.value, fl.InputError)
    assert (caught.value.field, caught.value.value) == ("store", str(path))

    report = repair_store(path, TEAM, POLICY)
    assert report.written
    assert report.changes[0].startswith("its state row was missing: rebuilt")
    # the leads table says who holds what: the rebuilt state holds the same
    with fl.Router(TEAM, POLICY, store=path) as router:
        status = {s.manager_id: s for s in router.status(NOW + timedelta(hours=1))}
        assert {m: s.open for m, s in status.items()} == dict.fromkeys(status, 50.0)
        assert {m: s.routed for m, s in status.items()} == dict.fromkeys(status, 50)
    assert events(path, "repair") == ["; ".join(report.changes)]

    # routing goes on: 250 more find 50 free places in all, the rest wait
    later = route_many(path, 250, 250)
    assert sum(d.manager_id is not None for d in later) == 50
    assert open_leads(path) == dict.fromkeys(["m0", "m1", "m2", "m3", "m4"], 60)
    with fl.Router(TEAM, POLICY, store=path) as router:
        assert all(s.open == s.capacity == 60 for s in router.status(NOW + timedelta(hours=2)))


def test_a_state_row_deleted_while_a_router_runs_stops_it(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with fl.Router(TEAM, POLICY, store=path) as router:
        router.route(lead(0), NOW)
        with side(path) as db:
            db.execute("DELETE FROM state")
        with pytest.raises(DamagedStoreError, match=r"its state row is missing"):
            router.route(lead(1), NOW)
        with pytest.raises(DamagedStoreError, match=r"its state row is missing"):
            router.decision(lead(0)["id"])  # reads refuse too
    with side(path) as db:
        assert db.execute("SELECT count(*) FROM leads").fetchone() == (1,)


def test_a_state_reset_by_hand_is_refused_with_the_numbers(tmp_path: Path) -> None:
    path = tmp_path / "reset.db"
    route_many(path, 0, 20)
    with fl.Router(TEAM, POLICY) as fresh:  # an empty state, written over the real one
        fresh.route(lead(999), NOW)
        blob = fresh._state.to_bytes()
    with side(path) as db:
        db.execute("UPDATE state SET data = ?", (blob,))
    with pytest.raises(DamagedStoreError) as caught:
        fl.Router(TEAM, POLICY, store=path)
    text = str(caught.value)
    assert "the state counts 1 decision(s), but the leads table holds 20 lead(s)" in text
    assert "manager 'm1' holds 4 open lead(s) in the leads table, a workload of 4, but " in text
    assert "the state says 0" in text


# -- 2. the leads table dropped ------------------------------------------------------------


def test_a_dropped_leads_table_is_refused_not_recreated(tmp_path: Path) -> None:
    path = tmp_path / "dropped.db"
    first = route_many(path, 0, 10)
    with side(path) as db:
        db.execute("DROP TABLE leads")
    with pytest.raises(
        DamagedStoreError,
        match=r"is damaged: its table 'leads' is missing; .fairlead repair-store STORE",
    ):
        fl.Router(TEAM, POLICY, store=path)
    with side(path) as db:  # nothing was created behind the refusal
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "leads" not in tables

    # the table recreated empty by hand: the state still counts the decisions
    with side(path) as db:
        db.execute(
            "CREATE TABLE leads (lead_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, manager_id "
            "TEXT, kind TEXT NOT NULL, value REAL NOT NULL, price REAL NOT NULL, reason TEXT "
            "NOT NULL, routed_at REAL NOT NULL, previous TEXT, runner_up TEXT, due_at REAL, "
            "contacted_at REAL, released_at REAL, outcome TEXT, reassignments INTEGER NOT "
            "NULL DEFAULT 0, lead TEXT NOT NULL, value_row BLOB, offered_at REAL, work REAL "
            "NOT NULL DEFAULT 0)"
        )
    with pytest.raises(DamagedStoreError) as caught:
        fl.Router(TEAM, POLICY, store=path)
    assert "the state counts 10 decision(s), but the leads table holds 0 lead(s)" in str(
        caught.value
    )

    # repair says the decisions are lost and puts the loads back to what came from outside
    with side(path) as db:
        db.execute("DROP TABLE leads")
    report = repair_store(path, TEAM, POLICY)
    assert report.changes[0] == (
        "its table 'leads' was missing: created empty (the decisions it held are lost)"
    )
    assert "manager 'm0': open workload 2 -> 0, leads held 2 -> 0" in report.changes
    with fl.Router(TEAM, POLICY, store=path) as router:
        again = router.route(lead(0), NOW)
    assert not again.replayed  # the decision is gone: the report said so
    assert first[0].lead_id == again.lead_id


def test_a_table_dropped_while_a_router_runs_stops_it(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    with fl.Router(TEAM, POLICY, store=path) as router:
        router.route(lead(0), NOW)
        with side(path) as db:
            db.execute("DROP TABLE leads")
        with pytest.raises(DamagedStoreError, match=r"no such table: leads \(changed while"):
            router.route(lead(0), NOW)


# -- 3. rows edited, another application's file ------------------------------------------


def test_a_lead_given_to_a_stranger_is_refused_and_repaired(tmp_path: Path) -> None:
    path = tmp_path / "ghost.db"
    decisions = route_many(path, 0, 10)
    victim = decisions[3]
    with side(path) as db:
        db.execute("UPDATE leads SET manager_id = 'ghost' WHERE lead_id = ?", (victim.lead_id,))
    with pytest.raises(DamagedStoreError) as caught:
        fl.Router(TEAM, POLICY, store=path)
    text = str(caught.value)
    assert f"lead {victim.lead_id!r} is held by 'ghost', who was never on the team" in text
    assert (
        f"manager {victim.manager_id!r} holds 1 open lead(s) in the leads table, a workload "
        "of 1, but the state says 2"
    ) in text

    report = repair_store(path, TEAM, POLICY)
    assert report.changes == (
        f"lead {victim.lead_id!r} was held by 'ghost', never on the team: back in the "
        "waiting queue",
        f"manager {victim.manager_id!r}: open workload 2 -> 1, leads held 2 -> 1",
    )
    with fl.Router(TEAM, POLICY, store=path) as router:
        assert router.waiting() == [victim.lead_id]
        placed = router.route_waiting(NOW + timedelta(minutes=5))
        assert [d.lead_id for d in placed] == [victim.lead_id]
        assert router.route(lead(3), NOW).replayed


def test_a_lead_moved_between_managers_by_hand_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "moved.db"
    decisions = route_many(path, 0, 10)
    held = Counter(d.manager_id for d in decisions)
    d = next(d for d in decisions if d.manager_id == "m0")
    with side(path) as db:
        db.execute("UPDATE leads SET manager_id = 'm1' WHERE lead_id = ?", (d.lead_id,))
    with pytest.raises(DamagedStoreError) as caught:
        fl.Router(TEAM, POLICY, store=path)
    text = str(caught.value)
    assert f"manager 'm0' holds {held['m0'] - 1} open lead(s)" in text
    assert f"manager 'm1' holds {held['m1'] + 1} open lead(s)" in text
    assert f"but the state says {held['m1']}" in text


def test_an_outcome_edited_by_hand_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "won.db"
    with fl.Router(TEAM, POLICY, store=path) as router:
        d = router.route(lead(0), NOW)
        router.release(d.lead_id, "lost", NOW)
    with side(path) as db:
        db.execute("UPDATE leads SET outcome = 'won'")
    message = rf"manager '{d.manager_id}' has 1 won lead\(s\) in the leads table, but the state"
    with pytest.raises(DamagedStoreError, match=message):
        fl.Router(TEAM, POLICY, store=path)


def test_a_state_value_no_router_writes_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nan.db"
    route_many(path, 0, 3)
    with side(path) as db:
        (blob,) = db.execute("SELECT data FROM state").fetchone()
        flat = np.frombuffer(blob, dtype=np.float64).copy()
        flat[3 + 5 * 8] = 0.5  # "paused" of m0 (arrays of 5 after 3 scalars)
        db.execute("UPDATE state SET data = ?", (flat.tobytes(),))
    with pytest.raises(DamagedStoreError, match=r"its state holds paused = 0\.5 for manager 'm0'"):
        fl.Router(TEAM, POLICY, store=path)


def test_a_file_of_another_application_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "foo.db"
    with side(path) as db:
        db.execute("CREATE TABLE foo (x)")
        db.execute("INSERT INTO foo VALUES (1)")
    before = digest(path)
    with pytest.raises(StoreError, match=r"'.*foo\.db' is not a fairlead router store: it holds "
                       r"table 'foo'$"):  # fmt: skip
        fl.Router(TEAM, POLICY, store=path)
    with pytest.raises(StoreError, match=r"is not a fairlead router store: it holds table 'foo'"):
        repair_store(path, TEAM, POLICY)
    assert digest(path) == before  # not even the journal mode changed
    assert not Path(f"{path}-wal").exists()

    marked = tmp_path / "other_app.db"
    with side(marked) as db:
        db.execute("PRAGMA application_id = 42")
    with pytest.raises(
        StoreError,
        match=r"is not a fairlead router store: its SQLite application_id is 0x0000002a, "
        r"not fairlead's 0x464c5254$",
    ):
        fl.Router(TEAM, POLICY, store=marked)
    versioned = tmp_path / "versioned.db"  # no tables, but another application's version
    with side(versioned) as db:
        db.execute("PRAGMA user_version = 7")
    with pytest.raises(StoreError, match=r"it is empty but its user_version is 7, set by another"):
        fl.Router(TEAM, POLICY, store=versioned)


def test_a_new_store_is_marked_and_a_newer_format_refused(tmp_path: Path) -> None:
    path = tmp_path / "marked.db"
    route_many(path, 0, 1)
    with side(path) as db:
        assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        assert db.execute("PRAGMA user_version").fetchone() == (FORMAT,)
        db.execute(f"PRAGMA user_version = {FORMAT + 1}")
    with pytest.raises(
        StoreError, match=rf"has format {FORMAT + 1}, newer than this fairlead reads"
    ) as caught:
        fl.Router(TEAM, POLICY, store=path)
    assert not isinstance(caught.value, DamagedStoreError)
    with pytest.raises(StoreError, match="newer than this fairlead reads"):
        repair_store(path, TEAM, POLICY)

    empty = tmp_path / "empty.db"
    empty.touch()  # an empty file is a new store
    with fl.Router(TEAM, POLICY, store=empty) as router:
        assert router.route(lead(0), NOW).manager_id is not None


def test_a_store_of_an_earlier_fairlead_is_refused_until_repaired(tmp_path: Path) -> None:
    path = tmp_path / "earlier.db"
    with fl.Router(TEAM, POLICY, store=path, sla=timedelta(hours=1)) as router:
        for i in range(30):
            router.route(lead(i), NOW)
        for i in range(0, 30, 3):
            router.release(lead(i)["id"], "won", NOW)
        router.reassign_overdue(NOW + timedelta(hours=2))
        loads = {s.manager_id: s.open for s in router.status(NOW + timedelta(hours=2))}
    # what a store looked like before the format marks
    with side(path) as db:
        db.execute("ALTER TABLE leads DROP COLUMN work")
        db.execute("DELETE FROM meta WHERE key != 'manager_ids'")
        db.execute("PRAGMA application_id = 0")
        db.execute("PRAGMA user_version = 0")
    with pytest.raises(StoreError, match=r"has no format mark: it was written by an earlier"):
        fl.Router(TEAM, POLICY, store=path, sla=timedelta(hours=1))
    report = repair_store(path, TEAM, POLICY, sla=timedelta(hours=1))
    assert report.changes[-1] == "marked as a fairlead router store (format 1)"
    assert report.changes[0].startswith("its leads had no workload column")
    with fl.Router(TEAM, POLICY, store=path, sla=timedelta(hours=1)) as router:
        after = {s.manager_id: s.open for s in router.status(NOW + timedelta(hours=2))}
        assert after == loads
        router.route(lead(100), NOW + timedelta(hours=3))


# -- 4. settings and team on reopening --------------------------------------------------


def test_other_settings_are_refused_unless_asked_for_and_then_recorded(tmp_path: Path) -> None:
    path = tmp_path / "settings.db"
    route_many(path, 0, 5)
    message = (
        r"^the router store '.*settings\.db' was created with other settings: policy "
        r"balance_tolerance: 0\.2 in the store, 0\.3 now\. Open it with the store's "
        r"settings, or pass reconfigure=True"
    )
    with pytest.raises(StoreError, match=message) as caught:
        fl.Router(TEAM, {"balance_tolerance": 0.3}, store=path)
    assert not isinstance(caught.value, DamagedStoreError)
    with pytest.raises(StoreError) as caught:
        fl.Router(TEAM, POLICY, store=path, sla=timedelta(minutes=15), share_half_life=None)
    assert "share_half_life: 30 days, 0:00:00 in the store, None now" in str(caught.value)
    assert "sla hot: None in the store, 0:15:00 now" in str(caught.value)

    with fl.Router(TEAM, {"balance_tolerance": 0.3}, store=path, reconfigure=True) as router:
        assert router.route(lead(0), NOW).replayed
    assert events(path, "reconfigure") == ["policy balance_tolerance: 0.2 in the store, 0.3 now"]
    with fl.Router(TEAM, {"balance_tolerance": 0.3}, store=path):
        pass  # the new settings are the store's now
    with pytest.raises(StoreError, match=r"balance_tolerance: 0\.3 in the store, 0\.2 now"):
        fl.Router(TEAM, POLICY, store=path)


def test_the_rating_weights_and_a_default_the_store_predates_change_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "weights.db"
    route_many(path, 0, 5)
    # The KPI rating's weights do not change how leads are routed.
    with fl.Router(TEAM, {**POLICY, "rating_weights": {"plan": 1.0}}, store=path) as router:
        assert router.route(lead(0), NOW).replayed
    # A store written before `performance_cap` existed reads as its default (2.0) ...
    with side(path) as db:
        (text,) = db.execute("SELECT value FROM meta WHERE key = 'settings'").fetchone()
        settings = json.loads(text)
        del settings["policy"]["performance_cap"]
        db.execute("UPDATE meta SET value = ? WHERE key = 'settings'", (json.dumps(settings),))
    with fl.Router(TEAM, POLICY, store=path) as router:
        assert router.route(lead(0), NOW).replayed
    # ... and any other value is a change of the rules.
    with pytest.raises(StoreError, match=r"policy performance_cap: None in the store, 3\.0 now"):
        fl.Router(TEAM, {**POLICY, "performance_cap": 3.0}, store=path)


def test_a_team_change_is_accepted_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    route_many(path, 0, 10)
    team = [*TEAM[1:4], {"id": "m1x", "max_active_leads": 5}]
    team[0] = {**team[0], "max_active_leads": 70, "level": "senior", "active_leads": 9}
    with fl.Router(team, POLICY, store=path) as router:
        assert router.manager_ids_ == ["m1", "m2", "m3", "m1x"]
    (line,) = events(path, "team")
    assert line == (
        "joined: 'm1x'; left: 'm0', 'm4'; 'm1' level: 'middle' -> 'senior'; "
        "'m1' max_active_leads: 60 -> 70"
    )
    with fl.Router(team, POLICY, store=path):
        pass  # the same team again: nothing to record
    assert len(events(path, "team")) == 1


def test_a_running_router_stops_when_another_changes_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "two.db"
    with fl.Router(TEAM, POLICY, store=path) as old:
        old.route(lead(0), NOW)
        with fl.Router(TEAM, {"balance_tolerance": 0.1}, store=path, reconfigure=True) as new:
            new.route(lead(1), NOW)
        with pytest.raises(StoreError, match=r"was reopened by a router with other settings"):
            old.route(lead(2), NOW)
        bigger = [{**TEAM[0], "max_active_leads": 99}, *TEAM[1:]]
        with fl.Router(bigger, {"balance_tolerance": 0.1}, store=path) as new:
            new.route(lead(3), NOW)


def test_a_manager_who_rejoins_keeps_the_books_straight(tmp_path: Path) -> None:
    path = tmp_path / "rejoin.db"
    team = [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}]
    options: dict[str, Any] = {"policy": {"balance_tolerance": None}}
    with fl.Router(team, store=path, **options) as router:
        for i in range(3):
            router.route({"id": f"x{i}", "score": 0.5}, NOW, value=[1.0, 0.0])
    with fl.Router(team[1:], store=path, **options) as router:
        router.release("x0", "won", NOW)  # released while 'a' is away
    # 'a' comes back saying they hold nothing: their old leads are still theirs
    with fl.Router(team, store=path, **options) as router:
        assert router.status(NOW)[0].open == 0.0
        router.release("x1", "won", NOW)  # would go below zero: stops at zero
        assert router.status(NOW)[0].open == 0.0
        router.route({"id": "y", "score": 0.5}, NOW, value=[1.0, 0.0])
    with fl.Router(team, store=path, **options) as router:  # the books still add up
        assert router.status(NOW)[0].open == 1.0
        router.release("x2", "lost", NOW)
        router.release("y", "won", NOW)
    with fl.Router(team, store=path, **options) as router:
        assert [s.open for s in router.status(NOW)] == [0.0, 0.0]
    assert repair_store(path, team, **options).changes == ()


# -- 5. ids, 6. one family of errors ---------------------------------------------------------


@pytest.mark.parametrize("persistent", [False, True], ids=["memory", "sqlite"])
def test_the_id_rule_makes_one_lead_of_123_123_0_and_spaces(
    tmp_path: Path, persistent: bool
) -> None:
    store = tmp_path / "ids.db" if persistent else None
    with fl.Router(TEAM, POLICY, store=store) as router:
        first = router.route({"id": 123, "score": 0.5}, NOW)
        assert (first.lead_id, first.replayed) == ("123", False)
        for same in (123.0, " 123 ", "123", np.int64(123)):
            again = router.route({"id": same, "score": 0.9}, NOW)
            assert (again.lead_id, again.manager_id, again.replayed) == (
                "123",
                first.manager_id,
                True,
            )
        assert sum(s.routed for s in router.status(NOW)) == 1


def test_store_errors_are_input_errors_naming_the_store(tmp_path: Path) -> None:
    assert issubclass(DamagedStoreError, StoreError)
    assert issubclass(StoreError, fl.InputError)
    assert StoreError.__module__ == DamagedStoreError.__module__ == "fairlead.router"
    with pytest.raises(StoreError, match=r"cannot open the router store") as caught:
        fl.Router(TEAM, store=tmp_path / "no" / "dir" / "x.db")
    assert caught.value.field == "store"
    with pytest.raises(fl.InputError, match=r"^durability must be 'normal' or 'full'"):
        fl.Router(TEAM, store=tmp_path / "d.db", durability="fsync")  # type: ignore[arg-type]
    with pytest.raises(fl.InputError, match=r"^reconfigure must be True or False, got 'yes'$"):
        fl.Router(TEAM, store=tmp_path / "d.db", reconfigure="yes")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match=r"^there is no router store at '.*nothing\.db' to"):
        repair_store(tmp_path / "nothing.db", TEAM)
    assert not (tmp_path / "nothing.db").exists()


# -- repair ----------------------------------------------------------------------------------


def test_repair_of_a_sound_store_changes_nothing_and_a_dry_run_writes_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sound.db"
    route_many(path, 0, 40)
    report = repair_store(path, TEAM, POLICY)
    assert report == StoreRepair(str(path), (), written=False)
    assert str(report) == f"the router store {str(path)!r} needs no repair"
    assert events(path, "repair") == []

    with side(path) as db:
        db.execute("UPDATE leads SET manager_id = 'm4' WHERE manager_id = 'm0'")
        leads_before = db.execute("SELECT * FROM leads ORDER BY lead_id").fetchall()
        state_before = db.execute("SELECT * FROM state").fetchall()
    dry = repair_store(path, TEAM, POLICY, dry_run=True)
    assert dry.changes == (
        "manager 'm0': open workload 8 -> 0, leads held 8 -> 0",
        "manager 'm4': open workload 8 -> 16, leads held 8 -> 16",
    )
    assert str(dry).startswith(f"would repair the router store {str(path)!r}: 2 change(s)\n")
    with side(path) as db:
        assert db.execute("SELECT * FROM leads ORDER BY lead_id").fetchall() == leads_before
        assert db.execute("SELECT * FROM state").fetchall() == state_before
    assert repair_store(path, TEAM, POLICY).changes == dry.changes
    with fl.Router(TEAM, POLICY, store=path) as router:
        assert {s.manager_id: s.open for s in router.status(NOW)}["m4"] == 16.0


def test_repair_keeps_what_it_cannot_recount_and_adopts_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "keep.db"
    with fl.Router(TEAM, POLICY, store=path) as router:
        router.fit([lead(1000 + k) for k in range(50)], now=NOW)
        for i in range(20):
            router.route(lead(i), NOW + timedelta(minutes=i))
        router.pause("m2", NOW + timedelta(hours=1))
        before = router.status(NOW + timedelta(hours=1))
    with side(path) as db:
        db.execute("UPDATE leads SET released_at = routed_at, outcome = 'won' WHERE seq < 3")
    report = repair_store(path, TEAM, {"balance_tolerance": 0.25})
    assert report.changes[-1] == (
        "settings now those given: policy balance_tolerance: 0.2 in the store, 0.25 now"
    )
    with fl.Router(TEAM, {"balance_tolerance": 0.25}, store=path) as router:
        after = router.status(NOW + timedelta(hours=1))
    for b, a in zip(before, after, strict=True):
        assert (a.price, a.received, a.target, a.paused) == (
            b.price,
            b.received,
            b.target,
            b.paused,
        )
    assert sum(a.won for a in after) == 3
    assert sum(b.open for b in before) - sum(a.open for a in after) == 3


def test_rows_no_router_can_read_are_named_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "unreadable.db"
    victim = route_many(path, 0, 5)[1].lead_id
    with side(path) as db:
        db.execute("UPDATE leads SET routed_at = 'noon' WHERE lead_id = ?", (victim,))
        db.execute("DELETE FROM state")
    with pytest.raises(
        DamagedStoreError,
        match=rf"the row of lead '{victim}' cannot be read .*These rows cannot "
        r"be repaired automatically: fix or delete them by hand",
    ):
        repair_store(path, TEAM, POLICY)
    with side(path) as db:  # the failed repair wrote nothing
        assert db.execute("SELECT count(*) FROM state").fetchone() == (0,)
        db.execute("UPDATE leads SET routed_at = 0, lead = '{' WHERE lead_id = ?", (victim,))
    with pytest.raises(
        DamagedStoreError, match=rf"the row of lead '{victim}' cannot be read \(its record is not"
    ):
        repair_store(path, TEAM, POLICY)


def test_the_meta_table_holds_the_books_keys(tmp_path: Path) -> None:
    path = tmp_path / "meta.db"
    route_many(path, 0, 3)
    with side(path) as db:
        meta = dict(db.execute("SELECT key, value FROM meta"))
    assert set(meta) == {"baseline", "generation", "known_ids", "manager_ids", "settings", "team"}
    assert json.loads(meta["baseline"]) == {m["id"]: [0.0, 0.0, 0.0, 0.0] for m in TEAM}
    assert json.loads(meta["settings"])["policy"]["balance_tolerance"] == 0.2
