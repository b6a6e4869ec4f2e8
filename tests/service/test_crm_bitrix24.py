"""Bitrix24 end to end: a lead created in the CRM gets its owner from fairlead.

A fake Bitrix24 portal (``tests/connectors/fakes/bitrix24.py``: the documented
payloads, errors and leaky-bucket limit) and a real ``fairlead serve`` on loopback,
on SQLite and on PostgreSQL: the portal's webhook fires, the service decides, the
owner is written back; with an outage of the portal and a restart of the service in
between, every lead ends with exactly one owner, fairlead's, and no request is over
the portal's limit.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "connectors"))

from fakes._serve import free_port, serving
from fakes._wait import wait_for
from fakes.bitrix24 import FakeBitrix24

import fairlead as fl
from fairlead.service import Database, ServiceConfig, create_app, create_key, create_team
from fairlead.service._crm_store import outbox_counts

USERS = [
    {"ID": "2", "NAME": "Anna", "LAST_NAME": "Petrova", "UF_DEPARTMENT": [5]},
    {"ID": "3", "NAME": "Boris", "LAST_NAME": "Ivanov", "UF_DEPARTMENT": [5]},
    {"ID": "4", "NAME": "Cleo", "LAST_NAME": "Smirnova", "UF_DEPARTMENT": [7]},
    {"ID": "9", "NAME": "Accountant", "UF_DEPARTMENT": [9]},
]
MAPPING = {
    "source": {"field": "SOURCE_ID", "values": {"WEB": "web", "CALL": "phone"}},
    "managers": {"groups": ["5", "7"], "max_active_leads": 50},
}


@contextmanager
def service_on(url: str, port: int) -> Iterator[str]:
    """``fairlead serve`` on loopback (the same port after a restart, as deployed)."""
    config = ServiceConfig(database_url=url, demo=False, sweep_every=0, reprice_every=0)
    with serving(create_app(config), port, lifespan="on") as base:
        yield base


@pytest.fixture
def portal() -> Iterator[tuple[FakeBitrix24, str]]:
    # The portal's limit, 20 times faster than a real one's (2 per second after a
    # burst of 50): the same shape, within a test's time.
    fake = FakeBitrix24(users=USERS, rate=40, burst=10)
    with serving(fake.app) as base:
        yield fake, base
    fake.close()


def setup_team(url: str) -> str:
    db = Database(url)
    from fairlead.service import upgrade

    upgrade(db)
    with db.write() as conn:
        create_team(conn, "b24", managers=[fl.Manager(id="2", max_active_leads=50)])
        key = create_key(conn, "b24", "admin")[1]
    db.dispose()
    return key


def test_a_lead_created_in_bitrix24_gets_fairleads_owner_through_outage_and_restart(
    database_url: str, portal: tuple[FakeBitrix24, str]
) -> None:
    fake, portal_base = portal
    key = setup_team(database_url)
    auth = {"Authorization": f"Bearer {key}"}
    settings = {
        "webhook_url": fake.webhook_base(portal_base),
        "application_token": fake.application_token,
        "rate": 40,
        "burst": 10,
    }
    decided: dict[str, str] = {}
    port = free_port()
    with (
        service_on(database_url, port) as base,
        httpx.Client(base_url=base, headers=auth, timeout=10) as api,
    ):
        r = api.put("/v1/connectors/bitrix24", json={"settings": settings, "mapping": MAPPING})
        assert r.status_code == 200, r.text
        synced = api.post("/v1/connectors/bitrix24/managers/sync")
        assert synced.json() == {"managers": ["2", "3", "4"]}, synced.text
        fake.handler_url = f"{base}{r.json()['webhook_path']}"

        # Leads created in the CRM by a person, each firing ONCRMLEADADD.
        first = [fake.add_lead({"TITLE": f"Lead {i}", "SOURCE_ID": "WEB", "OPPORTUNITY": "1000.00",
                                "ASSIGNED_BY_ID": "9"}) for i in range(12)]  # fmt: skip
        for lead_id in first:
            decided[str(lead_id)] = wait_for(
                lambda lead_id=lead_id: _decided(api, lead_id), what=f"decision {lead_id}"
            )
        wait_for(lambda: _owners_match(fake, decided), what="owners written back")
        # A lead from before the connection, edited now, is the CRM's own: left alone.
        october = {"TITLE": "From October", "DATE_CREATE": "2026-10-01T10:00:00+03:00"}
        older = fake.add_lead({**october, "ASSIGNED_BY_ID": "9"}, notify=False)
        fake.update_lead(older, {"TITLE": "From October, edited"}, by="9")

        # The portal goes down: leads keep coming (its queue still sends events).
        fake.outage(True)
        during = [fake.add_lead({"TITLE": f"Late {i}", "SOURCE_ID": "CALL"}) for i in range(5)]
        time.sleep(1.5)  # the service tries, and waits for the portal
    # The service stops with events in its inbox; the portal comes back.
    fake.outage(False)
    with (
        service_on(database_url, port) as base,
        httpx.Client(base_url=base, headers=auth, timeout=10) as api,
    ):
        for lead_id in during:
            decided[str(lead_id)] = wait_for(
                lambda lead_id=lead_id: _decided(api, lead_id),
                timeout=30,
                what=f"decision {lead_id}",
            )
        wait_for(lambda: _owners_match(fake, decided), timeout=30, what="owners after restart")
        # A person moves one lead in the CRM: fairlead's books follow, it is not fought.
        moved = str(first[0])
        other = next(u for u in ("2", "3", "4") if u != decided[moved])
        fake.update_lead(moved, {"ASSIGNED_BY_ID": other})
        wait_for(lambda: _decided(api, int(moved)) == other, what="the person's move followed")
        held = {m["manager"]["id"]: m["status"]["open"] for m in api.get("/v1/managers").json()}
        # Open leads per manager as the CRM shows them.
        in_crm = {u: sum(fake.get_lead(k)["ASSIGNED_BY_ID"] == u for k in decided) for u in "234"}
        # A lead won in the CRM frees its manager and goes to the KPI log with its amount.
        won = str(first[1])
        fake.update_lead(won, {"STATUS_ID": "CONVERTED"})
        wait_for(lambda: ("won", None, 1000.0) in _events(database_url, won), what="won, logged")
        # A stage on the way goes to the KPI log (the funnel).
        staged = str(first[3])
        fake.update_lead(staged, {"STATUS_ID": "IN_PROCESS"})
        in_process = ("stage", "IN_PROCESS", None)
        wait_for(lambda: in_process in _events(database_url, staged), what="stage")
        # A lead deleted in the CRM frees its manager's slot.
        gone = str(first[2])
        fake.delete_lead(gone)
        wait_for(lambda: _outcome(database_url, gone) == "closed", what="the deletion followed")
        time.sleep(1.5)  # the echoes of every write and the two changes are acted on

    db = Database(database_url)
    with db.read() as conn:
        counts = outbox_counts(conn, "b24", "bitrix24")
    db.dispose()
    # One write per lead, each sent; the CRM's echoes of them queued nothing.
    assert counts == {"pending": 0, "sent": 17, "failed": 0, "superseded": 0}
    assert fake.get_lead(moved)["ASSIGNED_BY_ID"] == other  # the person's choice stands
    for lead_id, manager in decided.items():
        if lead_id not in (moved, gone):
            assert fake.get_lead(lead_id)["ASSIGNED_BY_ID"] == manager
    assert fake.rejected_by_limit == 0, "a request went over the portal's limit"
    assert fake.get_lead(older)["ASSIGNED_BY_ID"] == "9"
    assert {u: int(held.get(u, 0)) for u in "234"} == in_crm
    assert fake.calls["crm.lead.update"] == 17


def _decided(api: httpx.Client, lead_id: int) -> str | None:
    r = api.get(f"/v1/leads/{lead_id}")
    if r.status_code != 200:
        return None
    return r.json()["manager_id"]


def _owners_match(fake: FakeBitrix24, decided: dict[str, str]) -> bool:
    return all(fake.get_lead(k)["ASSIGNED_BY_ID"] == v for k, v in decided.items())


def _events(url: str, lead_id: str) -> list[tuple[str, str | None, float | None]]:
    """The team's KPI log rows of a lead: type, stage, amount."""
    from sqlalchemy import select

    from fairlead.service._tables import events

    db = Database(url)
    try:
        with db.read() as conn:
            rows = conn.execute(
                select(events.c.type, events.c.stage, events.c.amount).where(
                    events.c.tenant_id == "b24", events.c.lead_id == lead_id
                )
            ).all()
    finally:
        db.dispose()
    return [(r.type, r.stage, r.amount) for r in rows]


def test_history_import_pages_through_the_portal_and_picks_up_where_it_stopped(
    tmp_path: Path, portal: tuple[FakeBitrix24, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from fairlead.cli import main
    from fairlead.kpi import EventLog
    from fairlead.service._crm_store import save_connection
    from fairlead.service._tables import events

    fake, portal_base = portal
    url = f"sqlite:///{tmp_path / 'f.db'}"
    setup_team(url)
    # 120 leads of October: a third won (with amounts), a third lost, the rest open.
    for i in range(120):
        stage = ("CONVERTED", "JUNK", "IN_PROCESS")[i % 3]
        fake.add_lead({"TITLE": f"Old {i}", "STATUS_ID": stage, "ASSIGNED_BY_ID": "234"[i % 3],
                       "OPPORTUNITY": f"{1000 + i}.00", "SOURCE_ID": "WEB",
                       "DATE_CREATE": f"2026-10-{1 + i % 28:02d}T10:00:00+03:00",
                       "DATE_MODIFY": f"2026-10-{1 + i % 28:02d}T18:{i % 60:02d}:00+03:00"},
                      notify=False)  # fmt: skip
    db = Database(url)
    with db.write() as conn:
        settings = {"webhook_url": fake.webhook_base(portal_base), "application_token": "t",
                    "rate": 40, "burst": 10}  # fmt: skip
        save_connection(conn, "b24", "bitrix24", settings, {}, None)
    argv = ["import", "--crm", "bitrix24", "--team", "b24", "--database-url", url]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "bitrix24: 120 leads read, 320 events recorded for team 'b24' (40 won, 40 lost)" in said
    assert fake.calls["crm.lead.list"] == 3  # 50 a page
    with db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(events.select())]
    log = EventLog.from_records(
        [{k: v for k, v in r.items() if v is not None and k not in ("seq", "tenant_id")}
         | {"at": datetime.fromtimestamp(r["at"], UTC)} for r in rows]
    )  # fmt: skip
    assert (log.count("created"), log.count("won"), log.count("lost")) == (120, 40, 40)
    # Again: only what changed since (one lead), nothing recorded twice.
    fake.update_lead("3", {"STATUS_ID": "JUNK"}, notify=False)  # was in progress
    assert main(argv) == 0
    assert "1 leads read" in capsys.readouterr().out
    with db.read() as conn:
        assert len(conn.execute(events.select()).all()) == 321
    db.dispose()


def test_import_from_an_export_file_writes_an_events_csv(tmp_path: Path) -> None:
    from fairlead.cli import main
    from fairlead.kpi import read_events

    export = tmp_path / "leads.csv"
    export.write_text(
        '"ID";"Название лида";"Стадия";"Ответственный";"Дата создания";"Сумма";\n'
        '"17";"Сайт";"Качественный лид";"Анна";"02.11.2026 09:30:00";"12500";\n',
        encoding="utf-8-sig",
    )
    out = tmp_path / "events.csv"
    argv = ["import", "--crm", "bitrix24", "--export", str(export), "--out", str(out)]
    assert main([*argv, "--timezone", "Europe/Moscow"]) == 0
    log = read_events(out)
    assert (log.count("created"), log.count("assigned"), log.count("won")) == (1, 1, 1)
    assert main(["import", "--crm", "bitrix24", "--export", str(export)]) == 2


def test_connect_stores_the_settings_and_check_is_a_dry_run(
    tmp_path: Path, portal: tuple[FakeBitrix24, str], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from fairlead.cli import main

    fake, portal_base = portal
    url = f"sqlite:///{tmp_path / 'f.db'}"
    setup_team(url)
    for i in range(8):
        fake.add_lead(
            {"TITLE": f"Lead {i}", "SOURCE_ID": "WEB", "ASSIGNED_BY_ID": "9"}, notify=False
        )
    settings = tmp_path / "settings.json"
    hook = fake.webhook_base(portal_base)
    settings.write_text(json.dumps({"webhook_url": hook, "application_token": "t", "rate": 40}))
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps(MAPPING))
    base = ["connect", "bitrix24", "--team", "b24", "--database-url", url]
    argv = [*base, "--settings", str(settings), "--mapping", str(mapping), "--check", "--last", "5"]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "bitrix24 connected for team 'b24'." in said
    assert "Webhook address: https://<this service>/v1/webhooks/bitrix24/b24" in said
    assert "4 users; managers by the mapping: 2, 3, 4" in said
    assert "not on the team yet (sync them): 3, 4" in said
    assert "last 5 leads (dry run, newest first):" in said
    assert "  8 'Lead 7': owner now 9; fairlead would give it to 2" in said
    assert fake.webhook_base(portal_base).split("/rest/")[1] not in said  # no credential shown
    assert fake.calls["crm.lead.update"] == 0  # nothing written to the CRM
    # Credentials the portal refuses: said, and the exit status says it.
    settings.write_text(json.dumps({"webhook_url": f"{portal_base}/rest/1/wrong-code/",
                                    "application_token": "t"}))  # fmt: skip
    assert main([*base, "--settings", str(settings), "--check"]) == 2
    assert "problem: the CRM refused: bitrix24: POST" in capsys.readouterr().out
    assert main([*base, "--settings", str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot be read" in capsys.readouterr().err


def _outcome(url: str, crm_lead_id: str) -> str | None:
    from sqlalchemy import select

    from fairlead.service._tables import crm_leads

    db = Database(url)
    try:
        with db.read() as conn:
            return conn.execute(
                select(crm_leads.c.outcome).where(crm_leads.c.crm_lead_id == crm_lead_id)
            ).scalar_one_or_none()
    finally:
        db.dispose()


def test_what_changed_while_the_service_was_down_is_caught_up(
    database_url: str, portal: tuple[FakeBitrix24, str]
) -> None:
    """Bitrix24 sends an event once: the catch-up read finds what the service missed."""
    fake, portal_base = portal
    key = setup_team(database_url)
    auth = {"Authorization": f"Bearer {key}"}
    settings = {
        "webhook_url": fake.webhook_base(portal_base),
        "application_token": fake.application_token,
        "rate": 40,
        "burst": 10,
        "catch_up": 1,
    }
    decided: dict[str, str] = {}
    port = free_port()
    with (
        service_on(database_url, port) as base,
        httpx.Client(base_url=base, headers=auth, timeout=10) as api,
    ):
        r = api.put("/v1/connectors/bitrix24", json={"settings": settings, "mapping": MAPPING})
        assert r.status_code == 200, r.text
        assert api.post("/v1/connectors/bitrix24/managers/sync").status_code == 200
        fake.handler_url = f"{base}{r.json()['webhook_path']}"
        first = [fake.add_lead({"TITLE": f"Lead {i}", "SOURCE_ID": "WEB"}) for i in range(4)]
        for lead_id in first:
            decided[str(lead_id)] = wait_for(
                lambda lead_id=lead_id: _decided(api, lead_id), what=f"decision {lead_id}"
            )
        wait_for(lambda: _owners_match(fake, decided), what="owners written back")
    # The service is down: the portal's events find nobody, and are not sent again.
    delivered = len(fake.deliveries)
    missed = [fake.add_lead({"TITLE": f"Missed {i}", "SOURCE_ID": "CALL"}) for i in range(6)]
    won, moved = str(first[0]), str(first[1])
    fake.update_lead(won, {"STATUS_ID": "CONVERTED"})
    other = next(u for u in ("2", "3", "4") if u != decided[moved])
    fake.update_lead(moved, {"ASSIGNED_BY_ID": other})
    fake.wait_idle()
    lost = fake.deliveries[delivered:]
    assert len(lost) == 8
    assert all(d.status is None and d.error for d in lost)
    with (
        service_on(database_url, port) as base,
        httpx.Client(base_url=base, headers=auth, timeout=10) as api,
    ):
        for lead_id in missed:
            decided[str(lead_id)] = wait_for(
                lambda lead_id=lead_id: _decided(api, lead_id), what=f"caught up {lead_id}"
            )
        wait_for(lambda: _owners_match(fake, decided | {moved: other}), what="owners caught up")
        wait_for(lambda: [t for t, _, _ in _events(database_url, won)].count("won") == 1,
                 what="won, logged once")  # fmt: skip
        wait_for(lambda: _decided(api, int(moved)) == other, what="the person's move followed")
        time.sleep(2.5)  # two more reads: nothing new, nothing queued or written again
        connection = api.get("/v1/connectors/bitrix24").json()
    assert connection["outbox"] == {"pending": 0, "sent": 10, "failed": 0, "superseded": 0}
    assert connection["inbox"]["failed"] == 0
    assert fake.calls["crm.lead.update"] == 10
    assert fake.rejected_by_limit == 0


def test_a_lead_the_mapping_cannot_read_waits_for_a_retry_after_the_fix(
    database_url: str, portal: tuple[FakeBitrix24, str]
) -> None:
    fake, portal_base = portal
    key = setup_team(database_url)
    auth = {"Authorization": f"Bearer {key}"}
    settings = {
        "webhook_url": fake.webhook_base(portal_base),
        "application_token": fake.application_token,
        "rate": 40,
        "burst": 10,
        "catch_up": 1,
    }
    with (
        service_on(database_url, free_port()) as base,
        httpx.Client(base_url=base, headers=auth, timeout=10) as api,
    ):
        # Sources other than the mapped ones are refused (a typo in the CRM shows at once).
        strict = {**MAPPING, "source": {**MAPPING["source"], "only_listed": True}}
        r = api.put("/v1/connectors/bitrix24", json={"settings": settings, "mapping": strict})
        assert api.post("/v1/connectors/bitrix24/managers/sync").status_code == 200
        fake.handler_url = f"{base}{r.json()['webhook_path']}"
        lead = fake.add_lead({"TITLE": "From a mailing", "SOURCE_ID": "EMAIL"})

        def failed() -> dict[str, int] | None:
            inbox = api.get("/v1/connectors/bitrix24").json()["inbox"]
            return inbox if inbox["failed"] else None

        assert wait_for(failed, what="the event failed") == {"new": 0, "done": 0, "failed": 1}
        time.sleep(2.5)  # the catch-up reads see the lead, and leave it to the person
        assert failed() == {"new": 0, "done": 0, "failed": 1}
        assert _decided(api, lead) is None
        # The head of sales adds the source to the mapping, then tries again.
        values = {"WEB": "web", "CALL": "phone", "EMAIL": "email"}
        fixed = {**strict, "source": {**strict["source"], "values": values}}
        again = {"settings": settings, "mapping": fixed}
        assert api.put("/v1/connectors/bitrix24", json=again).status_code == 200
        assert api.post("/v1/connectors/bitrix24/inbox/retry").json() == {"retried": 1}
        owner = wait_for(lambda: _decided(api, lead), what="routed after the fix")
        wait_for(lambda: fake.get_lead(lead)["ASSIGNED_BY_ID"] == owner, what="owner written")
        assert api.get("/v1/connectors/bitrix24").json()["inbox"]["failed"] == 0
