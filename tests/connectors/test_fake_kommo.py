"""The fake amoCRM / Kommo server: its shapes against the documented samples, its behaviour."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fakes._serve import serving
from fakes.kommo import LOST_STATUS_ID, WON_STATUS_ID, FakeKommo
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FIXTURES = Path(__file__).parent / "fixtures" / "kommo"
TOKEN = "long-lived-token"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def form(name: str) -> list[tuple[str, str]]:
    raw = (FIXTURES / name).read_text(encoding="utf-8").strip()
    return parse_qsl(raw, keep_blank_values=True, strict_parsing=True)


def keys(pairs: list[tuple[str, str]]) -> list[str]:
    return [k for k, _ in pairs]


def lead_of(fake: FakeKommo, lead_id: int) -> dict[str, Any]:
    lead = fake.lead(lead_id)
    assert lead is not None
    return lead


@pytest.fixture
def fake() -> Iterator[FakeKommo]:
    with FakeKommo() as fake:
        yield fake


@pytest.fixture
def api(fake: FakeKommo) -> Iterator[httpx.Client]:
    with (
        serving(fake.app) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as client,
    ):
        yield client


class Receiver:
    """A small app standing in for fairlead's webhook endpoint."""

    def __init__(self, statuses: list[int] | None = None, sleep: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.sleep = sleep
        self.got: list[tuple[str, str, str]] = []  # (content-type, user-agent, body)
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks/amo/{secret}", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = (await request.body()).decode()
        if self.sleep:
            time.sleep(self.sleep)  # block the loop: the answer comes late
        with self.lock:
            self.got.append((request.headers["content-type"], request.headers["user-agent"], body))
            status = self.statuses.pop(0) if self.statuses else 200
        return Response("ok", status_code=status)

    def bodies(self) -> list[list[tuple[str, str]]]:
        with self.lock:
            return [
                parse_qsl(body, keep_blank_values=True, strict_parsing=True)
                for _, _, body in self.got
            ]


# ------------------------------------------------------------------------------------ fixtures


def test_fixture_files_parse_and_are_sourced() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    names = sorted(p.name for p in FIXTURES.iterdir() if p.name != "SOURCES.md")
    assert len(names) > 20
    for name in names:
        assert f"`{name}`" in sources, name
        if name.endswith(".json"):
            load(name)
        else:
            pairs = form(name)
            assert any(k.startswith("leads[") for k in keys(pairs))
    # The documentation's single-lead sample, with its trailing comma removed.
    assert load("lead.json")["_embedded"]["tags"] == [{"id": 100667, "name": "тест", "color": None}]


# ------------------------------------------------------------------------------------ shapes


def test_lead_list_matches_the_documented_sample(fake: FakeKommo, api: httpx.Client) -> None:
    for n in range(5):
        fake.add_lead(name=f"Сделка {n}", price=100 * n, notify=False)
    response = api.get("/api/v4/leads", params={"limit": 2, "page": 2})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/hal+json")
    got, doc = response.json(), load("leads_list.json")
    assert got.keys() == doc.keys()
    assert got["_page"] == 2
    assert got["_links"].keys() == doc["_links"].keys()  # self, next, first, prev
    doc_lead, lead = doc["_embedded"]["leads"][0], got["_embedded"]["leads"][0]
    assert set(lead) - set(doc_lead) == {"labor_cost"}
    assert set(doc_lead) <= set(lead)
    assert lead["_embedded"].keys() == doc_lead["_embedded"].keys()
    for key, value in doc_lead.items():
        if value is not None and lead[key] is not None:
            assert type(lead[key]) is type(value), key
    assert lead["_links"]["self"]["href"].endswith(f"/api/v4/leads/{lead['id']}")


def test_single_lead_matches_the_documented_sample(fake: FakeKommo, api: httpx.Client) -> None:
    lead = fake.add_lead(name="Example", price=12, notify=False)
    got = api.get(f"/api/v4/leads/{lead['id']}", params={"with": "is_price_modified_by_robot"})
    doc = load("lead.json")
    assert set(got.json()) - set(doc) == {"labor_cost"}
    assert set(doc) <= set(got.json())
    missing = api.get("/api/v4/leads/999")
    assert missing.status_code == 204
    assert missing.content == b""


def test_missing_lead_can_answer_404() -> None:
    with FakeKommo(missing_lead_status=404) as fake, serving(fake.app) as base:
        response = httpx.get(f"{base}/api/v4/leads/1", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json().keys() == load("404.json").keys()


def test_pipelines_match_the_documented_sample(api: httpx.Client) -> None:
    got, doc = api.get("/api/v4/leads/pipelines").json(), load("pipelines.json")
    assert got.keys() == doc.keys()
    assert got["_total_items"] == len(got["_embedded"]["pipelines"]) == 2
    doc_pipeline = doc["_embedded"]["pipelines"][0]
    for pipeline in got["_embedded"]["pipelines"]:
        assert pipeline.keys() == doc_pipeline.keys()
        statuses = pipeline["_embedded"]["statuses"]
        assert {WON_STATUS_ID, LOST_STATUS_ID} <= {s["id"] for s in statuses}
        for status in statuses:
            assert status.keys() == doc_pipeline["_embedded"]["statuses"][0].keys()
            assert status["pipeline_id"] == pipeline["id"]
        assert [s["type"] for s in statuses].count(1) == 1  # the unsorted stage
    assert sum(p["is_main"] for p in got["_embedded"]["pipelines"]) == 1


def test_users_match_the_documented_sample(fake: FakeKommo, api: httpx.Client) -> None:
    got, doc = api.get("/api/v4/users", params={"with": "role,group"}).json(), load("users.json")
    assert got.keys() == doc.keys()
    doc_user = doc["_embedded"]["users"][0]
    users = got["_embedded"]["users"]
    assert len(users) == got["_total_items"] == 4
    for user in users:
        assert user.keys() == doc_user.keys()
        assert user["rights"].keys() == doc_user["rights"].keys()
    active = [u["id"] for u in users if u["rights"]["is_active"]]
    assert len(active) == 3
    anna = next(u for u in users if u["id"] == 504142)
    assert anna["_embedded"]["groups"] == [{"id": 625, "name": "Менеджеры"}]
    assert "_embedded" not in api.get("/api/v4/users").json()["_embedded"]["users"][0]


def test_users_need_an_admin_token() -> None:
    with FakeKommo(api_user_id=504142) as fake, serving(fake.app) as base:
        response = httpx.get(f"{base}/api/v4/users", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 403


# ------------------------------------------------------------------------------------ reading


def test_paging_and_updated_at_filter(fake: FakeKommo, api: httpx.Client) -> None:
    ids = [fake.add_lead(updated_at=1_700_000_000 + n, notify=False)["id"] for n in range(9)]
    fake.update_lead(ids[0], updated_at=1_700_000_005, notify=False)  # ties with ids[5]
    url: str | None = "/api/v4/leads"
    params: dict[str, Any] | None = {
        "filter[updated_at][from]": 1_700_000_003,
        "filter[updated_at][to]": 1_700_000_007,
        "order[updated_at]": "asc",
        "limit": 2,
        "with": "contacts",
    }
    seen: list[int] = []
    pages = 0
    while url is not None:
        response = api.get(url, params=params)
        assert response.status_code == 200
        body = response.json()
        seen += [lead["id"] for lead in body["_embedded"]["leads"]]
        url, params = body["_links"].get("next", {}).get("href"), None
        pages += 1
    assert seen == [ids[3], ids[4], ids[0], ids[5], ids[6], ids[7]]
    assert pages == 3
    after = api.get(
        "/api/v4/leads", params={"filter[updated_at][from]": 1_700_000_003, "limit": 2, "page": 9}
    )
    assert after.status_code == 204
    by_id = api.get("/api/v4/leads", params=[("filter[id][]", ids[1]), ("filter[id][]", ids[2])])
    assert [lead["id"] for lead in by_id.json()["_embedded"]["leads"]] == ids[1:3]
    assert api.get("/api/v4/leads", params={"limit": 251}).status_code == 422


def test_empty_list_is_204_without_a_body(api: httpx.Client) -> None:
    response = api.get("/api/v4/leads")
    assert response.status_code == 204
    assert response.content == b""


def test_deleted_leads_only_with_only_deleted(fake: FakeKommo, api: httpx.Client) -> None:
    lead = fake.add_lead(notify=False)
    fake.delete_lead(lead["id"], notify=False)
    assert api.get("/api/v4/leads").status_code == 204
    deleted = api.get("/api/v4/leads", params={"with": "only_deleted"}).json()
    assert deleted["_embedded"]["leads"][0]["is_deleted"] is True


# ------------------------------------------------------------------------------------ writing


def test_patch_batch(fake: FakeKommo, api: httpx.Client) -> None:
    a = fake.add_lead(responsible_user_id=504142, notify=False)
    b = fake.add_lead(responsible_user_id=504142, notify=False)
    response = api.patch(
        "/api/v4/leads",
        json=[
            {"id": a["id"], "responsible_user_id": 504143},
            {"id": b["id"], "status_id": WON_STATUS_ID, "price": 5000},
        ],
    )
    assert response.status_code == 200
    doc = load("leads_update_response.json")
    assert response.json().keys() == doc.keys()
    items = response.json()["_embedded"]["leads"]
    assert [item.keys() for item in items] == [doc["_embedded"]["leads"][0].keys()] * 2
    assert [item["id"] for item in items] == [a["id"], b["id"]]
    after_a, after_b = lead_of(fake, a["id"]), lead_of(fake, b["id"])
    assert after_a["responsible_user_id"] == 504143
    assert after_a["updated_by"] == fake.api_user_id
    assert after_a["group_id"] == 625
    assert (after_b["status_id"], after_b["price"]) == (WON_STATUS_ID, 5000)
    assert after_b["closed_at"] is not None


def test_patch_batch_is_validated_as_a_whole(fake: FakeKommo, api: httpx.Client) -> None:
    a = fake.add_lead(responsible_user_id=504142, notify=False)
    bad = api.patch(
        "/api/v4/leads",
        json=[
            {"id": a["id"], "responsible_user_id": 504143},
            {"id": a["id"], "responsible_user_id": 1},
            {"id": 424242, "price": 1},
        ],
    )
    assert bad.status_code == 400
    assert bad.json().keys() == load("400_validation.json").keys()
    errors = bad.json()["validation-errors"]
    assert [(e["request_id"], e["errors"][0]["path"]) for e in errors] == [
        ("1", "responsible_user_id"),
        ("2", "id"),
    ]
    assert lead_of(fake, a["id"])["responsible_user_id"] == 504142
    too_many = api.patch("/api/v4/leads", json=[{"id": a["id"]}] * 51)
    assert too_many.status_code == 422
    assert api.patch("/api/v4/leads", json=[]).status_code == 400


def test_patch_one_and_create(fake: FakeKommo, api: httpx.Client) -> None:
    created = api.post(
        "/api/v4/leads",
        json=[
            {"name": "Заявка из чата", "price": 20000, "created_by": 0},
            {
                "name": "Из формы",
                "responsible_user_id": 504143,
                "custom_fields_values": [{"field_id": 294473, "values": [{"enum_id": 502}]}],
                "request_id": "form-1",
            },
        ],
    )
    assert created.status_code == 200
    doc = load("leads_add_response.json")
    items = created.json()["_embedded"]["leads"]
    assert [item.keys() for item in items] == [doc["_embedded"]["leads"][0].keys()] * 2
    assert [item["request_id"] for item in items] == ["0", "form-1"]
    second = api.get(f"/api/v4/leads/{items[1]['id']}").json()
    assert second["status_id"] == fake.first_status_id()
    assert second["custom_fields_values"] == [
        {
            "field_id": 294473,
            "field_name": "Регион",
            "field_code": None,
            "field_type": "select",
            "values": [{"value": "Санкт-Петербург", "enum_id": 502, "enum_code": None}],
        }
    ]
    one = api.patch(f"/api/v4/leads/{items[0]['id']}", json={"responsible_user_id": 504142})
    assert one.status_code == 200
    assert one.json()["id"] == items[0]["id"]
    assert lead_of(fake, items[0]["id"])["responsible_user_id"] == 504142
    unknown_field = api.post(
        "/api/v4/leads", json=[{"custom_fields_values": [{"field_id": 1, "values": []}]}]
    )
    assert (
        unknown_field.json()["validation-errors"][0]["errors"][0]
        == (load("400_validation.json")["validation-errors"][0]["errors"][0])
    )


# ------------------------------------------------------------------------------------ rate limit


def test_eighth_request_in_a_second_gets_429_then_recovers(
    fake: FakeKommo, api: httpx.Client
) -> None:
    statuses = [api.get("/api/v4/leads/pipelines").status_code for _ in range(8)]
    assert statuses == [200] * 7 + [429]
    rejected = api.get("/api/v4/leads/pipelines")
    assert rejected.status_code == 429
    assert rejected.headers["content-type"].startswith("application/problem+json")
    assert rejected.json().keys() == load("429.json").keys()
    assert rejected.json()["retry_after"] == 300
    first = fake.log[0].t
    time.sleep(max(0.0, first + 1.0 - time.monotonic()) + 0.02)
    assert api.get("/api/v4/leads/pipelines").status_code == 200
    assert fake.rate_limited == 2
    assert fake.executed == 8
    assert fake.total_requests == 10
    assert fake.peak_rate() == 9
    assert fake.per_endpoint["GET /api/v4/leads/pipelines"] == 10
    assert [r.outcome for r in fake.log].count("rate_limited") == 2


def test_repeated_429_escalate_to_403_when_enabled() -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with (
        FakeKommo(rate=1, rate_window=0.2, block_after=2, retry_after=None) as fake,
        serving(fake.app) as base,
        httpx.Client(base_url=base, headers=headers) as client,
    ):
        responses = [client.get("/api/v4/leads") for _ in range(4)]
        assert [r.status_code for r in responses] == [204, 429, 429, 403]
        assert "retry_after" not in responses[1].json()
        assert client.get("/api/v4/leads").status_code == 403
        assert fake.blocked
        fake.unblock()
        time.sleep(0.25)
        assert client.get("/api/v4/leads").status_code == 204
        assert fake.blocked_requests == 2
        # the token endpoint is not limited
        assert client.post("/oauth2/access_token", json={}).status_code == 401


# ------------------------------------------------------------------------------------ auth


def refresh_body(fake: FakeKommo, refresh_token: str) -> dict[str, str]:
    return {
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "redirect_uri": fake.redirect_uri,
    }


def test_oauth_refresh_token_is_single_use(fake: FakeKommo, api: httpx.Client) -> None:
    first = api.post("/oauth2/access_token", json=refresh_body(fake, "initial-refresh-token"))
    assert first.status_code == 200
    assert first.json().keys() == load("oauth_token.json").keys()
    tokens = first.json()
    assert tokens["expires_in"] == 86400
    assert tokens["access_token"].count(".") == 2  # a JWT, as amo's
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert api.get("/api/v4/leads/pipelines", headers=bearer).status_code == 200
    again = api.post("/oauth2/access_token", json=refresh_body(fake, "initial-refresh-token"))
    assert again.status_code == 401
    assert again.json() == load("oauth_refresh_revoked.json")
    # form-encoded works too, and the new refresh token is good exactly once
    second = api.post("/oauth2/access_token", data=refresh_body(fake, tokens["refresh_token"]))
    assert second.status_code == 200
    assert second.json()["refresh_token"] != tokens["refresh_token"]
    assert (
        api.post(
            "/oauth2/access_token", json=refresh_body(fake, tokens["refresh_token"])
        ).status_code
        == 401
    )
    wrong_client = {**refresh_body(fake, second.json()["refresh_token"]), "client_secret": "x"}
    assert api.post("/oauth2/access_token", json=wrong_client).json() == load(
        "oauth_invalid_client.json"
    )
    assert [t.used for t in fake.tokens("refresh")] == [True, True, False]
    assert len(fake.tokens("access")) == 2


def test_authorization_code_exchange(fake: FakeKommo, api: httpx.Client) -> None:
    code = fake.issue_auth_code()
    body = {**refresh_body(fake, ""), "grant_type": "authorization_code", "code": code}
    assert api.post("/oauth2/access_token", json=body).status_code == 200
    assert api.post("/oauth2/access_token", json=body).status_code == 400


def test_expired_or_missing_token_is_401() -> None:
    now = [1_750_000_000.0]
    with (
        FakeKommo(clock=lambda: now[0], access_ttl=60) as fake,
        serving(fake.app) as base,
        httpx.Client(base_url=base) as client,
    ):
        tokens = client.post(
            "/oauth2/access_token", json=refresh_body(fake, "initial-refresh-token")
        ).json()
        assert tokens["expires_in"] == 60
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert client.get("/api/v4/leads", headers=bearer).status_code == 204
        now[0] += 61
        expired = client.get("/api/v4/leads", headers=bearer)
        assert expired.status_code == 401
        assert expired.headers["content-type"].startswith("application/problem+json")
        assert expired.json().keys() == load("401.json").keys()
        assert client.get("/api/v4/leads").status_code == 401
        long_lived = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/v4/leads", headers=long_lived).status_code == 204
        fake.revoke_token(TOKEN)
        assert client.get("/api/v4/leads", headers=long_lived).status_code == 401
        assert fake.auth_failures == 3


# ------------------------------------------------------------------------------------ webhooks


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    rec = Receiver()
    with serving(rec.app) as base:
        yield rec, f"{base}/hooks/amo/s3cret"


def test_add_lead_fires_the_documented_add_body(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    with FakeKommo(handler_url=url) as fake:
        lead = fake.add_lead(name="TEST (SORRY)", price=0, responsible_user_id=504142)
        assert fake.wait_idle()
        assert fake.deliveries[0].ok
    content_type, agent, _ = rec.got[0]
    assert content_type == "application/x-www-form-urlencoded"
    assert agent == "amoCRM-WebHook-client/1.0"
    body = rec.bodies()[0]
    # Same keys, in the same order, as a real 2025 capture.
    assert keys(body) == keys(form("leads_add.form.txt"))
    values = dict(body)
    assert values["leads[add][0][id]"] == str(lead["id"])
    assert values["leads[add][0][name]"] == "TEST (SORRY)"
    assert values["account[_links][self]"] == "https://example.amocrm.ru"
    assert "%28SORRY%29" in fake.events[0].body


def test_api_patch_echoes_responsible_and_update(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    with FakeKommo(handler_url=url) as fake, serving(fake.app) as base:
        lead = fake.add_lead(responsible_user_id=504142, notify=False)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        patch = [{"id": lead["id"], "responsible_user_id": 504143}]
        assert httpx.patch(f"{base}/api/v4/leads", json=patch, headers=headers).is_success
        assert fake.wait_idle()
        assert [e.actions for e in fake.events] == [("responsible",), ("update",)]
        responsible, update = (dict(b) for b in rec.bodies())
        assert responsible["leads[responsible][0][old_responsible_user_id]"] == "504142"
        assert responsible["leads[responsible][0][responsible_user_id]"] == "504143"
        assert responsible["leads[responsible][0][modified_user_id]"] == str(fake.api_user_id)
        doc = {k for k in keys(form("leads_responsible.form.txt")) if "custom_fields" not in k}
        assert doc <= set(responsible)
        assert update["leads[update][0][id]"] == str(lead["id"])
        # A move by a manager in the UI: status and update.
        fake.update_lead(lead["id"], status_id=LOST_STATUS_ID, by=504143)
        fake.delete_lead(lead["id"])
        assert fake.wait_idle()
    status, _, delete = rec.bodies()[2:]
    status_keys = {k for k in keys(form("leads_status.form.txt")) if k.startswith("leads")}
    assert status_keys <= set(dict(status))
    assert dict(status)["leads[status][0][old_status_id]"] == str(lead["status_id"])
    assert dict(status)["leads[status][0][modified_user_id]"] == "504143"
    assert keys(delete) == keys(form("leads_delete.form.txt"))


def test_echo_can_be_switched_off_and_actions_combined(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    with FakeKommo(handler_url=url, echo_api_changes=False) as fake, serving(fake.app) as base:
        lead = fake.add_lead(notify=False)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        patch = [{"id": lead["id"], "responsible_user_id": 504143}]
        assert httpx.patch(f"{base}/api/v4/leads", json=patch, headers=headers).is_success
        assert fake.events == []
    with FakeKommo(handler_url=url, combine_actions=True) as fake:
        lead = fake.add_lead(notify=False)
        fake.update_lead(lead["id"], responsible_user_id=504143, status_id=WON_STATUS_ID)
        assert fake.wait_idle()
        assert [e.actions for e in fake.events] == [("status", "responsible", "update")]
    prefixes = {k.split("[0]")[0] for k in keys(rec.bodies()[0]) if k.startswith("leads")}
    assert prefixes == {"leads[status]", "leads[responsible]", "leads[update]"}


def test_send_event_replays_a_body_exactly(receiver: tuple[Receiver, str]) -> None:
    rec, url = receiver
    raw = (FIXTURES / "leads_status.form.txt").read_text(encoding="utf-8").strip()
    with FakeKommo(handler_url=url) as fake:
        first = fake.send_event(raw)
        fake.send_event(raw.encode())
        assert fake.wait_idle()
        assert first.lead_ids == (10754147,)
    assert [body for _, _, body in rec.got] == [raw, raw]


def test_webhook_retries_follow_the_documented_table() -> None:
    rec = Receiver(statuses=[500, 503, 502, 200, 404, 404, 404])
    with (
        serving(rec.app) as base,
        FakeKommo(
            handler_url=f"{base}/hooks/amo/x", webhook_retry_delays=(0.01, 0.01, 0.01, 0.01)
        ) as fake,
    ):
        fake.add_lead()
        assert fake.wait_idle()
        assert [(d.attempt, d.status) for d in fake.deliveries] == [
            (1, 500),
            (2, 503),
            (3, 502),
            (4, 200),
        ]
        fake.send_event("leads%5Bdelete%5D%5B0%5D%5Bid%5D=1")
        assert fake.wait_idle()
        # a 404 is retried twice (attempts 2-3); attempts 4-5 only follow a 499 or 5xx
        assert [(d.attempt, d.status) for d in fake.deliveries[4:]] == [
            (1, 404),
            (2, 404),
            (3, 404),
        ]


def test_webhook_timeout_is_an_invalid_answer() -> None:
    rec = Receiver(sleep=0.4)
    with (
        serving(rec.app) as base,
        FakeKommo(handler_url=f"{base}/hooks/amo/x", webhook_timeout=0.1) as fake,
    ):
        fake.add_lead()
        assert fake.wait_idle()
        (delivery,) = fake.deliveries
    assert (delivery.status, delivery.error, delivery.ok) == (None, "timeout", False)


def test_hook_is_disabled_after_too_many_invalid_answers() -> None:
    rec = Receiver(statuses=[500, 500, 500])
    with (
        serving(rec.app) as base,
        FakeKommo(handler_url=f"{base}/hooks/amo/x", disable_after=2) as fake,
    ):
        for _ in range(4):
            fake.add_lead()
        assert fake.wait_idle()
        assert fake.webhook_disabled
        assert len(fake.deliveries) == 3
        assert len(fake.events) == 4


# ------------------------------------------------------------------------------------ failures


def test_fail_next_and_outage(fake: FakeKommo, api: httpx.Client) -> None:
    fake.fail_next(2, status=503)
    first = api.get("/api/v4/leads/pipelines")
    assert first.status_code == 503
    assert first.headers["content-type"].startswith("text/html")
    assert api.get("/api/v4/leads/pipelines").status_code == 503
    assert api.get("/api/v4/leads/pipelines").status_code == 200
    fake.fail_next(1, status=500)
    assert api.get("/api/v4/users").json().keys() == load("500.json").keys()
    fake.fail_next(1, status=502, path="/api/v4/leads", headers={"Retry-After": "1"})
    assert api.get("/api/v4/users").status_code == 200
    failed = api.get("/api/v4/leads")
    assert (failed.status_code, failed.headers["retry-after"]) == (502, "1")
    fake.fail_next(1, status=402, body={"title": "Payment Required", "status": 402})
    assert api.get("/api/v4/leads").json() == {"title": "Payment Required", "status": 402}
    fake.outage(True)
    assert {api.get(p).status_code for p in ("/api/v4/leads", "/oauth2/access_token")} == {503}
    fake.outage(False)
    assert api.get("/api/v4/leads").status_code == 204
    assert fake.injected == 7
    assert api.get("/api/v4/nothing").status_code == 404
    assert api.delete("/api/v4/leads").status_code == 405


def test_delay_slows_every_request(fake: FakeKommo, api: httpx.Client) -> None:
    fake.delay(0.2)
    started = time.monotonic()
    assert api.get("/api/v4/leads").status_code == 204
    assert time.monotonic() - started >= 0.2
    fake.delay(0)


def test_state_is_safe_to_drive_from_threads(fake: FakeKommo, api: httpx.Client) -> None:
    def seed() -> None:
        for _ in range(50):
            fake.add_lead(notify=False)

    threads = [threading.Thread(target=seed) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    leads = fake.leads
    assert len(leads) == len({lead["id"] for lead in leads}) == 200
    body = api.get("/api/v4/leads", params={"limit": 250}).json()
    assert len(body["_embedded"]["leads"]) == 200
    assert "next" not in body["_links"]
