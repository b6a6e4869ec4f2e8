"""A team's CRM connection in the service: saved by an admin, its webhook authenticated
and kept once, its credentials never shown again."""

from __future__ import annotations

import time
from typing import Any

TOKEN = "51856fefc120afa4b628cc82d3935cce"
SETTINGS = {
    "webhook_url": "http://127.0.0.1:9/rest/1/hook-secret-code/",
    "application_token": TOKEN,
}


def event(lead_id: str = "1000983", name: str = "ONCRMLEADADD", token: str = TOKEN) -> bytes:
    """A Bitrix24 outbound webhook body, as its documentation shows it."""
    return (
        f"event={name}&event_handler_id=707&data%5BFIELDS%5D%5BID%5D={lead_id}"
        f"&ts={int(time.time())}&auth%5Bdomain%5D=some-domain.bitrix24.com"
        "&auth%5Bmember_id%5D=a223c6b3710f85df22e9377d6c4f7553"
        f"&auth%5Bapplication_token%5D={token}"
    ).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def connect(team: Any, **settings: Any) -> Any:
    body = {"settings": {**SETTINGS, **settings}, "mapping": {"source": {"field": "SOURCE_ID"}}}
    return team.client.put("/v1/connectors/bitrix24", json=body, headers=team.headers("admin"))


def inbox(team: Any) -> list[Any]:
    from sqlalchemy import select

    from fairlead.service._tables import crm_inbox

    with team.app.state.service.db.read() as conn:
        return list(conn.execute(select(crm_inbox).order_by(crm_inbox.c.id)))


def test_an_admin_connects_the_crm_and_its_credentials_are_never_shown(team):
    r = connect(team)
    assert r.status_code == 200, r.text
    assert r.json()["webhook_path"] == "/v1/webhooks/bitrix24/acme"
    assert r.json()["webhook_secret"] is None  # Bitrix24 signs its events with a token
    shown = team.client.get("/v1/connectors/bitrix24", headers=team.headers("read"))
    assert shown.status_code == 200
    assert "hook-secret-code" not in shown.text
    assert TOKEN not in shown.text
    assert shown.json()["outbox"] == {"pending": 0, "sent": 0, "failed": 0, "superseded": 0}
    # A write key may not connect a CRM; another team sees no connection.
    assert connect(team).status_code == 200
    r = team.client.put(
        "/v1/connectors/bitrix24", json={"settings": SETTINGS}, headers=team.headers("write")
    )
    assert r.status_code == 403
    rival = {"Authorization": f"Bearer {team.other_keys['read']}"}
    assert team.client.get("/v1/connectors/bitrix24", headers=rival).status_code == 404


def test_bad_settings_or_mapping_are_refused_naming_what_is_wrong(team):
    r = team.client.put(
        "/v1/connectors/bitrix24",
        json={"settings": {"webhook_url": "portal.bitrix24.ru"}},
        headers=team.headers("admin"),
    )
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "settings"
    assert "'webhook_url' must be the inbound webhook's address" in r.json()["error"]["message"]
    r = team.client.put(
        "/v1/connectors/bitrix24",
        json={"settings": SETTINGS, "mapping": {"prodcut": {"field": "X"}}},
        headers=team.headers("admin"),
    )
    assert r.status_code == 422
    assert "prodcut" in r.json()["error"]["message"]
    r = team.client.put(
        "/v1/connectors/sugarcrm", json={"settings": {}}, headers=team.headers("admin")
    )
    assert r.status_code == 404
    assert "no CRM connector 'sugarcrm'" in r.json()["error"]["message"]


def test_a_webhook_is_kept_once_and_one_with_the_wrong_token_is_refused(team):
    assert connect(team).status_code == 200
    body = event()
    first = team.client.post("/v1/webhooks/bitrix24/acme", content=body, headers=FORM)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 1, "new": 1}
    again = team.client.post("/v1/webhooks/bitrix24/acme", content=body, headers=FORM)
    assert again.status_code == 200
    assert again.json()["accepted"] == 1
    wrong = team.client.post(
        "/v1/webhooks/bitrix24/acme", content=event(token="0" * 32), headers=FORM
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["field"] == "auth[application_token]"
    assert TOKEN not in wrong.text
    kept = inbox(team)
    assert {(k.kind, k.crm_lead_id, k.tenant_id) for k in kept} == {("added", "1000983", "acme")}
    assert len({k.event_key for k in kept}) == len(kept)


def test_a_webhook_to_an_address_that_is_not_a_connection_says_nothing_more(team):
    assert connect(team).status_code == 200
    for path in (
        "/v1/webhooks/bitrix24/rival",  # a team with no connection
        "/v1/webhooks/bitrix24/nobody",  # no such team
        "/v1/webhooks/bitrix24/acme/some-secret",  # Bitrix24's address has no secret
    ):
        r = team.client.post(path, content=event(), headers=FORM)
        assert r.status_code == 404, path
        assert r.json()["error"]["message"] == "no such webhook"
    r = team.client.post("/v1/webhooks/hubspotx/acme", content=event(), headers=FORM)
    assert r.status_code == 404
    assert inbox(team) == []


def test_an_unreadable_webhook_is_400_naming_the_field(team):
    assert connect(team).status_code == 200
    r = team.client.post(
        "/v1/webhooks/bitrix24/acme", content=event(lead_id="12%3B+DROP"), headers=FORM
    )
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "data[FIELDS][ID]"
    assert inbox(team) == []


def test_an_event_is_not_kept_while_one_of_the_same_lead_waits_untaken(tmp_path):
    from datetime import UTC, datetime

    from fairlead.connectors import InboundEvent
    from fairlead.service import Database, create_team, upgrade
    from fairlead.service._crm_store import claim, due_events, keep_events
    from fairlead.service._tables import crm_inbox

    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(db)
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    add = InboundEvent("added", "17", "ONCRMLEADADD:17:1", at)
    update = InboundEvent("updated", "17", "ONCRMLEADUPDATE:17:1", at)
    with db.write() as conn:
        create_team(conn, "t")
        assert keep_events(conn, "t", "bitrix24", [add]) == 1
        # While it waits untaken, the same event, or an update of the lead, adds nothing:
        # acting on the waiting one reads the lead as it is then.
        assert keep_events(conn, "t", "bitrix24", [add, update]) == 0
        # Once taken (the lead may have been read already), the next one is kept.
        assert len(claim(conn, crm_inbox, due_events(conn, "t", "bitrix24"))) == 1
        assert keep_events(conn, "t", "bitrix24", [update]) == 1
        assert keep_events(conn, "t", "bitrix24", [add]) == 0  # an update waits: enough
        keys = [r.event_key for r in conn.execute(crm_inbox.select().order_by(crm_inbox.c.id))]
    assert keys == ["ONCRMLEADADD:17:1", "ONCRMLEADUPDATE:17:1"]
    db.dispose()


def test_an_outage_is_waited_out_and_a_refusal_gives_up(tmp_path):
    from fairlead.connectors import InboundEvent
    from fairlead.service import Database, create_team, upgrade
    from fairlead.service._crm_store import (
        ATTEMPTS,
        OUTAGE_RETRY,
        keep_events,
        queue_owner,
        settle_event,
        settle_write,
    )
    from fairlead.service._tables import crm_inbox, crm_outbox

    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "t")
        keep_events(conn, "t", "bitrix24", [InboundEvent("added", n, f"k{n}") for n in "12"])
        for lead in ("1", "2"):
            queue_owner(conn, "t", "bitrix24", lead, "anna")
        for attempts in range(1, 3 * ATTEMPTS):
            settle_event(conn, 1, "503 QUERY_LIMIT_EXCEEDED", attempts, outage=True)
            settle_write(conn, 1, "cannot reach the CRM (ConnectError)", attempts, outage=True)
        for attempts in range(1, ATTEMPTS + 1):
            settle_event(conn, 2, "SOURCE_ID is not one of the mapped values", attempts)
            settle_write(conn, 2, "ACCESS_DENIED", attempts)
        now = time.time()
        inbox = {r.id: r for r in conn.execute(crm_inbox.select())}
        outbox = {r.id: r for r in conn.execute(crm_outbox.select())}
    db.dispose()
    for rows in (inbox, outbox):
        assert rows[1].status in ("new", "pending")  # still waiting for the CRM
        assert now < rows[1].next_at <= now + OUTAGE_RETRY  # and tried within ten minutes
        assert rows[2].status == "failed"  # a refusal waits for a person
    assert inbox[2].error == "SOURCE_ID is not one of the mapped values"


def test_a_crm_that_cannot_be_reached_is_a_502_in_words(team):
    assert connect(team).status_code == 200
    r = team.client.post("/v1/connectors/bitrix24/managers/sync", headers=team.headers("admin"))
    assert r.status_code == 502
    error = r.json()["error"]
    assert error["field"] == "crm"
    assert error["message"].startswith("the CRM did not do it: bitrix24: cannot reach the CRM")
    assert "hook-secret-code" not in r.text


def test_an_owner_given_later_goes_back_to_the_crm_it_came_from(tmp_path):
    from fairlead.service import Database, create_team, upgrade
    from fairlead.service._crm_store import (
        outbox_counts,
        queue_new_owners,
        remember_lead,
        save_connection,
    )
    from fairlead.service._tables import crm_leads, crm_outbox

    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "t")
        save_connection(conn, "t", "bitrix24", SETTINGS, {}, None)
        # A CRM lead that waited (fairlead gave it to nobody yet), and a lead from the API.
        remember_lead(conn, "t", "bitrix24", "17", lead_id="17", owner_written=None,
                      owner_seen="9", stage="NEW", outcome=None)  # fmt: skip
        assert queue_new_owners(conn, "t", {"17": "anna", "api-lead": "ben"}) == 1
        [write] = conn.execute(crm_outbox.select()).all()
        assert (write.crm_lead_id, write.owner, write.status) == ("17", "anna", "pending")
        [known] = conn.execute(crm_leads.select()).all()
        assert known.owner_written == "anna"  # its echo will change nothing
        assert outbox_counts(conn, "t", "bitrix24")["pending"] == 1
    db.dispose()


def test_what_a_stopping_process_took_is_given_back_at_once(tmp_path):
    from datetime import UTC, datetime

    from fairlead.connectors import InboundEvent
    from fairlead.service import Database, create_team, upgrade
    from fairlead.service._crm_store import claim, due_events, keep_events, release
    from fairlead.service._tables import crm_inbox

    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(db)
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    with db.write() as conn:
        create_team(conn, "t")
        keep_events(conn, "t", "bitrix24", [InboundEvent("added", "17", "k1", at)])
        taken = claim(conn, crm_inbox, due_events(conn, "t", "bitrix24"))
        assert len(taken) == 1
        assert due_events(conn, "t", "bitrix24") == []  # leased: no other process takes it
        release(conn, crm_inbox, taken)
        assert [e.crm_lead_id for e in due_events(conn, "t", "bitrix24")] == ["17"]
    db.dispose()


def test_the_catch_up_read_is_leased_and_yields_to_a_busy_limit(tmp_path):
    from fairlead.service import Database, create_team, upgrade
    from fairlead.service._crm_store import PollTurn, claim_poll, save_connection, save_poll
    from fairlead.service._tables import crm_connections

    db = Database(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "t")
        save_connection(conn, "t", "bitrix24", SETTINGS, {}, None)
        assert claim_poll(conn, "t", "bitrix24", 60) == PollTurn(None, more=False)
        assert claim_poll(conn, "t", "bitrix24", 60) is None  # taken: due in a minute
        save_poll(conn, "t", "bitrix24", 1_700_000_000.0, more=True)  # a page, more to read
        assert claim_poll(conn, "t", "bitrix24", 60, busy=True) is None  # the limit is busy
        assert claim_poll(conn, "t", "bitrix24", 60) == PollTurn(1_700_000_000.0, more=True)
        save_poll(conn, "t", "bitrix24", 1_700_000_050.0, more=True)
        # Busy for a whole interval: one page all the same, so the read moves on.
        conn.execute(crm_connections.update().values(poll_due_at=time.time() - 61))
        assert claim_poll(conn, "t", "bitrix24", 60, busy=True) == PollTurn(
            1_700_000_050.0, more=True
        )
        save_poll(conn, "t", "bitrix24", 1_700_000_060.0, more=False)  # caught up
        assert claim_poll(conn, "t", "bitrix24", 60) is None
    db.dispose()
