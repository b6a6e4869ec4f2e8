"""Kommo (amoCRM) end to end: its webhook to a secret address, the owner written back.

A fake amoCRM account (``tests/connectors/fakes/kommo.py``: documented payloads, the 7
requests a second limit) and a real ``fairlead serve`` on loopback, on SQLite and on
PostgreSQL: a lead added in the CRM fires ``leads[add]``, the service decides, the owner
goes back with ``PATCH /api/v4/leads``; the CRM's echo changes nothing, and the webhook
address without its secret gives nothing away.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "connectors"))

from fakes._serve import free_port, serving
from fakes._wait import wait_for
from fakes.kommo import FakeKommo

import fairlead as fl
from fairlead.service import Database, ServiceConfig, create_app, create_key, create_team, upgrade
from fairlead.service._crm_store import outbox_counts

MAPPING = {"managers": {"groups": ["625"], "max_active_leads": 50}}


@pytest.fixture
def account() -> Iterator[tuple[FakeKommo, str]]:
    # The account's limit, 3 times amoCRM's (7 a second): the same shape, in a test's time.
    fake = FakeKommo(rate=20, retry_after=1)
    with serving(fake.app) as base:
        yield fake, base
    fake.close()


def test_a_lead_added_in_kommo_gets_fairleads_owner(
    database_url: str, account: tuple[FakeKommo, str]
) -> None:
    fake, crm_base = account
    db = Database(database_url)
    upgrade(db)
    with db.write() as conn:
        create_team(conn, "amo", managers=[fl.Manager(id="504142", max_active_leads=50)])
        key = create_key(conn, "amo", "admin")[1]
    config = ServiceConfig(database_url=database_url, demo=False, sweep_every=0, reprice_every=0)
    settings = {"base_url": crm_base, "access_token": "long-lived-token", "rate": 20}
    port = free_port()  # the same address after the restart, as deployed
    with (
        serving(create_app(config), port, lifespan="on") as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as api,
    ):
        r = api.put("/v1/connectors/kommo", json={"settings": settings, "mapping": MAPPING})
        assert r.status_code == 200, r.text
        secret = r.json()["webhook_secret"]
        assert secret
        assert r.json()["webhook_path"] == f"/v1/webhooks/kommo/amo/{secret}"
        shown = api.get("/v1/connectors/kommo")
        assert secret not in shown.text
        assert "long-lived-token" not in shown.text
        synced = api.post("/v1/connectors/kommo/managers/sync")
        assert synced.json() == {"managers": ["504142", "504143"]}, synced.text
        # Without the secret, or with another, the address gives nothing away.
        for path in ("/v1/webhooks/kommo/amo", "/v1/webhooks/kommo/amo/guess"):
            body = "leads[add][0][id]=1&account[id]=28805383"
            form = {"Content-Type": "application/x-www-form-urlencoded"}
            refused = httpx.post(f"{base}{path}", content=body, headers=form)
            assert refused.status_code == 404, path
        fake.handler_url = f"{base}{r.json()['webhook_path']}"
        added = [fake.add_lead(name=f"Deal {i}", price=1000 + i, responsible_user_id=504141)
                 for i in range(6)]  # fmt: skip
        ids = [str(x["id"]) for x in added]
        decided = {x: wait_for(lambda x=x: _decided(api, x), what=f"decision {x}") for x in ids}
        assert set(decided.values()) <= {"504142", "504143"}
        wait_for(
            lambda: all(
                str(fake.lead(int(x))["responsible_user_id"]) == m for x, m in decided.items()
            ),
            what="owners written back",
        )
        time.sleep(1.5)  # the echoes of the writes are read, and change nothing
        # The account goes down while leads keep coming; the service stops.
        fake.outage(True)
        late = [str(fake.add_lead(name=f"Late {i}", responsible_user_id=504141)["id"])
                for i in range(3)]  # fmt: skip
        time.sleep(1.0)
    fake.outage(False)
    with (
        serving(create_app(config), port, lifespan="on") as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=10) as api,
    ):
        for x in late:
            decided[x] = wait_for(lambda x=x: _decided(api, x), timeout=30, what=f"late {x}")
        wait_for(
            lambda: all(
                str(fake.lead(int(x))["responsible_user_id"]) == m for x, m in decided.items()
            ),
            timeout=30,
            what="owners written back after the restart",
        )
    with db.read() as conn:
        counts = outbox_counts(conn, "amo", "kommo")
    db.dispose()
    assert counts == {"pending": 0, "sent": 9, "failed": 0, "superseded": 0}
    assert fake.rate_limited == 0


def _decided(api: httpx.Client, lead_id: str) -> str | None:
    r = api.get(f"/v1/leads/{lead_id}")
    return r.json()["manager_id"] if r.status_code == 200 else None
