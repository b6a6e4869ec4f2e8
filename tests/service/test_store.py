"""A router on the service's database decides exactly as in memory and on its SQLite file.

The service keeps one routing rule (the router's): these checks run the same
operations on a router in memory, on a SQLite file and on the service's database
(SQLite and PostgreSQL) and compare every decision and the final accounts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fairlead as fl
from fairlead.router import DamagedStoreError
from fairlead.service import Database, DatabaseStore, create_team, upgrade
from fairlead.service._router_store import TeamChangedError
from fairlead.service._tables import router_leads

MANAGERS = [
    {"id": "a", "level": "senior", "max_active_leads": 3, "skills": ["x", "y"]},
    {"id": "b", "level": "middle", "max_active_leads": 2, "skills": ["x"]},
    {"id": "c", "level": "junior", "max_active_leads": 2, "skills": ["y"]},
]
POLICY = {"balance_tolerance": 0.2}
START = datetime(2026, 11, 2, 9, tzinfo=UTC)
SLA = timedelta(minutes=30)


def database(url: str) -> Database:
    db = Database(url)
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "t")
    return db


def store_router(db: Database) -> fl.Router:
    return fl.Router(
        MANAGERS, POLICY, sla=SLA, store=DatabaseStore(db, "t", revision=1), reconfigure=True
    )


# An operation: (kind, lead number, minutes since START, score or outcome)
operation = st.one_of(
    st.tuples(st.just("route"), st.integers(0, 11), st.floats(0, 1), st.sampled_from("xy")),
    st.tuples(st.just("contact"), st.integers(0, 11)),
    st.tuples(st.just("release"), st.integers(0, 11), st.sampled_from(["won", "lost"])),
    st.tuples(st.just("pause"), st.sampled_from("abc")),
    st.tuples(st.just("resume"), st.sampled_from("abc")),
    st.tuples(
        st.just("reassign"),
    ),
    st.tuples(
        st.just("waiting"),
    ),
)


def play(router: fl.Router, ops: list[tuple[object, ...]]) -> list[object]:
    """Run the operations; every answer (or the error's words) in order."""
    out: list[object] = []
    for k, op in enumerate(ops):
        now = START + timedelta(minutes=7 * k)
        kind = op[0]
        try:
            if kind == "route":
                lead = {"id": f"l{op[1]}", "score": op[2], "product": op[3]}
                out.append(router.route(lead, now))
            elif kind == "contact":
                router.contact(f"l{op[1]}", now)
                out.append(router.decision(f"l{op[1]}"))
            elif kind == "release":
                router.release(f"l{op[1]}", op[2], now)
                out.append(router.decision(f"l{op[1]}"))
            elif kind == "pause":
                router.pause(str(op[1]), now)
            elif kind == "resume":
                router.resume(str(op[1]), now)
            elif kind == "reassign":
                out.append(router.reassign_overdue(now))
            else:
                out.append(router.route_waiting(now))
        except ValueError as exc:
            out.append(f"error: {exc}")
    out.append(router.status(START + timedelta(minutes=7 * len(ops))))
    out.append(router.waiting())
    return out


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_same_answers_in_memory_on_sqlite_and_in_the_database(tmp_path_factory, ops):
    folder = tmp_path_factory.mktemp("stores")
    memory = play(fl.Router(MANAGERS, POLICY, sla=SLA), ops)
    with fl.Router(MANAGERS, POLICY, sla=SLA, store=folder / "router.db") as router:
        on_file = play(router, ops)
    db = database(f"sqlite:///{folder / 'service.db'}")
    in_database = play(store_router(db), ops)
    db.dispose()
    assert on_file == memory
    assert in_database == memory


def test_same_answers_on_postgresql(postgres_url, tmp_path: Path):
    ops = [
        ("route", 0, 0.9, "x"), ("route", 1, 0.2, "y"), ("route", 2, 0.5, "x"),
        ("pause", "a"), ("route", 3, 0.7, "x"), ("contact", 1), ("reassign",),
        ("release", 0, "won"), ("resume", "a"), ("route", 4, 0.8, "y"),
        ("route", 5, 0.1, "x"), ("route", 6, 0.3, "x"), ("route", 7, 0.6, "y"),
        ("waiting",), ("release", 2, "lost"), ("waiting",), ("route", 0, 0.9, "x"),
    ]  # fmt: skip
    memory = play(fl.Router(MANAGERS, POLICY, sla=SLA), ops)
    db = database(postgres_url)
    try:
        assert play(store_router(db), ops) == memory
    finally:
        db.dispose()


def test_a_reopened_team_resumes_and_its_books_are_checked(database_url):
    db = database(database_url)
    try:
        router = store_router(db)
        for i in range(5):
            router.route({"id": f"l{i}", "score": 0.5, "product": "x"}, START)
        router.release("l1", "won", START)
        before = router.status(START)
        again = store_router(db)
        assert again.status(START) == before
        assert again.route({"id": "l0", "score": 0.5}, START).replayed
        # A decision changed behind the router's back: the books no longer add up.
        with db.write() as conn:
            conn.execute(
                router_leads.update()
                .where(router_leads.c.lead_id == "l2")
                .values(manager_id="c" if before[0].routed else "a")
            )
        with pytest.raises(DamagedStoreError, match=r"manager '.' holds .* lead\(s\)"):
            store_router(db)
    finally:
        db.dispose()


def test_a_changed_team_is_noticed_before_the_next_decision(database_url):
    db = database(database_url)
    try:
        router = store_router(db)
        router.route({"id": "l0", "score": 0.5, "product": "x"}, START)
        with db.write() as conn:
            conn.exec_driver_sql("UPDATE tenants SET revision = revision + 1")
        with pytest.raises(TeamChangedError, match=r"team 't' changed \(revision 2"):
            router.route({"id": "l1", "score": 0.5, "product": "x"}, START)
        # Nothing of the refused call was written.
        with db.read() as conn:
            assert conn.execute(router_leads.select()).all()[0].lead_id == "l0"
            assert len(conn.execute(router_leads.select()).all()) == 1
    finally:
        db.dispose()


def test_a_state_is_stored_packed_and_a_state_stored_whole_still_reads(database_url):
    import zlib

    from sqlalchemy import select, update

    from fairlead.service._tables import router_state

    db = database(database_url)
    try:
        router = store_router(db)
        first = router.route({"id": "l1", "score": 0.9, "product": "x"}, START)
        state = router._live.state.to_bytes()
        router.close()
        with db.read() as conn:
            stored = conn.execute(select(router_state.c.data)).scalar_one()
        assert stored.startswith(b"FLZ1")
        assert zlib.decompress(stored[4:]) == state
        assert len(stored) < len(state) / 2
        # a state written whole (before states were packed) opens as it was
        with db.write() as conn:
            conn.execute(update(router_state).values(data=state))
        again = store_router(db)
        assert again.route({"id": "l1", "score": 0.9, "product": "x"}, START).manager_id == (
            first.manager_id
        )
        assert sum(s.open for s in again.status(START)) == 1
        again.close()
        # a packed state that does not unpack is damage, said so
        with db.write() as conn:
            conn.execute(update(router_state).values(data=b"FLZ1 not zlib"))
        with pytest.raises(DamagedStoreError, match="packed state cannot be unpacked"):
            store_router(db)
    finally:
        db.dispose()
