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


def test_queued_requests_share_one_transaction_and_a_failure_stays_its_own(routers):
    db = routers.db
    routers.read("t", lambda team, conn: None)  # the team's router built
    commits = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    started = threading.Event()

    def route(i, *, slow=False, fail=False):
        lead = fl.Lead(id=f"l{i}", score=0.5)

        def work(team, conn):
            if slow:
                started.set()
                time.sleep(0.3)  # the others queue up meanwhile
            decision = team.router.route(lead, NOW)
            record(conn, "t", lead_rows(lead, decision), team.store.writes)
            if fail:
                raise ApiError(409, f"lead {lead.id} refused after routing")
            return decision.manager_id

        return routers.write("t", work, lead_id=lead.id)

    answers: dict[int, object] = {}

    def run(i, **kw):
        try:
            answers[i] = route(i, **kw)
        except ApiError as exc:
            answers[i] = exc.message

    first = threading.Thread(target=run, args=(0,), kwargs={"slow": True})
    first.start()
    started.wait(5)
    others = [threading.Thread(target=run, args=(i,), kwargs={"fail": i == 3}) for i in range(1, 7)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    served = len(commits)
    assert answers[3] == "lead l3 refused after routing"
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
