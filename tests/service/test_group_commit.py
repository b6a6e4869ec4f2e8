"""Requests queued for one team share a transaction; one request's failure is its own."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

import fairlead as fl
from fairlead.service import Database, create_team, upgrade
from fairlead.service._api_leads import lead_rows
from fairlead.service._errors import ApiError
from fairlead.service._event_log import record
from fairlead.service._routers import TeamRouters
from fairlead.service._tables import events, router_leads

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)


@pytest.fixture
def routers(database_url):
    db = Database(database_url)
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "t", managers=[fl.Manager(id=f"m{j}", max_active_leads=50) for j in "ab"])
    yield TeamRouters(db)
    db.dispose()


def queued(routers, prefix, *, count, failing, sent_first=False):
    """Lead 0 routed slowly, leads 1 … count-1 queued behind it in this order (so they
    share the next transaction); lead ``failing`` fails after routing, its writes sent
    to the database first with ``sent_first``. Each lead's manager, or its error."""
    started = threading.Event()

    def route(i):
        lead = fl.Lead(id=f"{prefix}{i}", score=0.5)

        def work(team, conn):
            if i == 0:
                started.set()
                time.sleep(0.3)  # the others queue up meanwhile
            decision = team.router.route(lead, NOW)
            record(conn, "t", lead_rows(lead, decision), team.store.writes)
            if i == failing:
                if sent_first:
                    team.store.writes.flush(conn)  # sent before the failure
                raise ApiError(409, f"lead {lead.id} refused after routing")
            return decision.manager_id

        return routers.write("t", work, lead_id=lead.id)

    answers: dict[int, object] = {}

    def run(i):
        try:
            answers[i] = route(i)
        except ApiError as exc:
            answers[i] = exc

    first = threading.Thread(target=run, args=(0,))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, count)]
    for t in others:
        t.start()
        time.sleep(0.02)  # in this order in the queue
    for t in [first, *others]:
        t.join(10)
    return answers


def test_queued_requests_share_one_transaction_and_a_failure_stays_its_own(routers):
    db = routers.db
    routers.read("t", lambda team, conn: None)  # the team's router built
    commits = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    answers = queued(routers, "l", count=7, failing=3)
    served = len(commits)
    assert answers[3].message == "lead l3 refused after routing"
    assert all(answers[i] in ("ma", "mb") for i in (0, 1, 2, 4, 5, 6))
    # the first request alone, then the six queued ones together
    assert served == 2
    with db.read() as conn:
        stored = sorted(r[0] for r in conn.execute(select(router_leads.c.lead_id)))
        logged = sorted(r[0] for r in conn.execute(select(events.c.lead_id)).all())
    assert stored == ["l0", "l1", "l2", "l4", "l5", "l6"]  # l3's routing was taken back
    assert logged == sorted(2 * stored)  # created and assigned, none of l3
    # the router's accounts agree with the decisions kept (reopened: its books are checked)
    again = TeamRouters(db)
    status = again.read("t", lambda team, conn: team.router.status(NOW))
    assert sum(s.routed for s in status) == 6
    assert sum(s.open for s in status) == 6


def test_one_key_twice_in_one_transaction_is_replayed_or_refused(routers):
    from fairlead.service._idempotency import once

    routers.read("t", lambda team, conn: None)
    started = threading.Event()

    def keyed(lead_id, print_, *, slow=False, key="key-1"):
        lead = fl.Lead(id=lead_id, score=0.5)

        def work(team, conn):
            if slow:
                started.set()
                time.sleep(0.3)

            def produce():
                return 200, {"manager": team.router.route(lead, NOW).manager_id}

            return once(conn, "t", key, print_, produce, team.store.writes)

        return routers.write("t", work, lead_id=lead.id)

    answers: dict[str, object] = {}

    def run(name, *args, **kw):
        try:
            answers[name] = keyed(*args, **kw)
        except ApiError as exc:
            answers[name] = exc.status

    first = threading.Thread(
        target=run, args=("slow", "other", "p0"), kwargs={"slow": True, "key": "key-0"}
    )
    first.start()
    started.wait(5)
    queued = [
        threading.Thread(target=run, args=("a", "l1", "p1")),
        threading.Thread(target=run, args=("b", "l1", "p1")),
        threading.Thread(target=run, args=("c", "l2", "p2")),
    ]
    for t in queued:
        t.start()
        time.sleep(0.02)  # in this order in the queue
    for t in [first, *queued]:
        t.join(10)
    # a, b and c share one transaction: a takes the key, b (the same request) gets a's
    # answer, c (another request under the key) is refused
    assert answers["slow"][2] is False
    assert answers["a"][2] is False
    assert answers["b"] == (answers["a"][0], answers["a"][1], True)
    assert answers["c"] == 409


def test_a_failure_after_its_writes_were_sent_takes_back_only_its_own(routers):
    """A request whose writes went to the database before it failed (a query had to
    see them) is taken back to the savepoint sent before them; the others commit."""
    db = routers.db
    routers.read("t", lambda team, conn: None)
    answers = queued(routers, "s", count=4, failing=2, sent_first=True)
    assert answers[2].status == 409
    assert all(answers[i] in ("ma", "mb") for i in (0, 1, 3))
    with db.read() as conn:
        stored = sorted(r[0] for r in conn.execute(select(router_leads.c.lead_id)))
        logged = sorted(r[0] for r in conn.execute(select(events.c.lead_id)).all())
    assert stored == ["s0", "s1", "s3"]
    assert logged == sorted(2 * stored)
    again = TeamRouters(db)
    status = again.read("t", lambda team, conn: team.router.status(NOW))
    assert sum(s.routed for s in status) == 3


def test_a_process_that_trusts_its_own_last_write_finds_out_when_another_wrote(
    postgres_url, monkeypatch
):
    """Right after its own write, a process routes new leads in one round trip,
    trusting the state it holds; the database checks the trust at the commit. Another
    process's write, or a lead decided already, makes the batch run again, read
    first: the answers and the books are those of the ordinary way."""
    from fairlead.service._router_store import DatabaseStore

    trusted: list[str] = []
    trust = DatabaseStore.trust

    def counted(self, conn, lead_ids):
        trusted.extend(lead_ids)
        return trust(self, conn, lead_ids)

    monkeypatch.setattr(DatabaseStore, "trust", counted)
    first, second = Database(postgres_url), Database(postgres_url)
    upgrade(first)
    with first.write() as conn:
        create_team(conn, "t", managers=[fl.Manager(id=f"m{j}", max_active_leads=50) for j in "ab"])
    one, other = TeamRouters(first), TeamRouters(second)

    def route(routers, lead_id, minutes):
        lead = fl.Lead(id=lead_id, score=0.5)
        at = NOW.replace(minute=minutes)

        def work(team, conn):
            decision = team.router.route(lead, at)
            if not decision.replayed:
                record(conn, "t", lead_rows(lead, decision), team.store.writes)
            return decision

        return routers.write("t", work, lead_id=lead_id, new=True)

    try:
        d1 = route(one, "l1", 1)  # read first: the process holds no state yet
        route(one, "l2", 2)  # its own state, trusted
        assert trusted == ["l2"]
        route(other, "l3", 3)  # another process writes
        d4 = route(one, "l4", 4)  # trusted, refused at the commit, run again read first
        assert trusted == ["l2", "l4"]
        assert d4.manager_id is not None
        assert not d4.replayed
        route(one, "l5", 5)  # trusted again after its own write
        again = route(one, "l1", 6)  # trusted, but l1 has its decision: run again
        assert trusted == ["l2", "l4", "l5", "l1"]
        assert again.replayed
        assert again.manager_id == d1.manager_id
        with first.read() as conn:
            stored = sorted(r[0] for r in conn.execute(select(router_leads.c.lead_id)))
            logged = sorted(r[0] for r in conn.execute(select(events.c.lead_id)).all())
        assert stored == ["l1", "l2", "l3", "l4", "l5"]
        assert logged == sorted(2 * stored)
        # a router opened afresh checks its books against the decisions stored
        status = TeamRouters(first).read("t", lambda team, conn: team.router.status(NOW))
        assert sum(s.routed for s in status) == 5
    finally:
        first.dispose()
        second.dispose()
