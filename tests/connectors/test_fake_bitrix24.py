"""The fake Bitrix24 portal answers as the documentation says (fixtures/bitrix24/SOURCES.md)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from fakes._serve import free_port, serving
from fakes.bitrix24 import FakeBitrix24, parse_php_query
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FIXTURES = Path(__file__).parent / "fixtures" / "bitrix24"
MSK = timezone(timedelta(hours=3))
FORM = "application/x-www-form-urlencoded"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def form_fixture(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def same_shape(ours: Any, docs: Any, where: str = "") -> None:
    """Same keys in the same order, and the documentation's value types (or null)."""
    if isinstance(docs, dict):
        assert isinstance(ours, dict), where
        assert list(ours) == list(docs), where
        for key in docs:
            same_shape(ours[key], docs[key], f"{where}.{key}")
    elif isinstance(docs, list):
        assert isinstance(ours, list), where
        for item in ours:
            same_shape(item, docs[0], f"{where}[]")
    elif docs is None:
        assert ours is None or isinstance(ours, str), where
    elif type(docs) in (int, float):  # the docs write `"operating": 0` and `3.30…` alike
        assert type(ours) in (int, float), (where, ours, docs)
    else:
        assert ours is None or type(ours) is type(docs), (where, ours, docs)


class SteppedClock:
    """Monotonic seconds that move only when a test moves them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class WallClock:
    """The portal's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=MSK)

    def __call__(self) -> datetime:
        return self.now


Start = Callable[..., tuple[FakeBitrix24, str]]


@pytest.fixture
def portal() -> Iterator[Start]:
    """Start fakes on loopback ports: ``fake, hook = portal(**kwargs)``."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> tuple[FakeBitrix24, str]:
            fake = stack.enter_context(FakeBitrix24(**kwargs))
            base = stack.enter_context(serving(fake.app))
            return fake, fake.webhook_base(base)

        yield start


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    """A handler app recording (content type, body) of each POST; answers 500 on /fail."""
    received: list[tuple[str, bytes]] = []

    async def hook(request: Request) -> Response:
        received.append((request.headers.get("content-type", ""), await request.body()))
        return Response(
            "fail" if request.url.path == "/fail" else "ok",
            status_code=500 if request.url.path == "/fail" else 200,
        )

    app = Starlette(routes=[Route("/{name}", hook, methods=["POST"])])
    with serving(app) as base:
        yield base, received


# ---------------------------------------------------------------------------------------------
# Credentials and envelopes


def test_a_wrong_user_or_secret_gets_the_401_envelope(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    base = hook.split("/rest/")[0]
    for url in (
        f"{base}/rest/1/wrong/crm.lead.list.json",
        f"{base}/rest/2/{fake.secret}/crm.lead.list",
        f"{base}/rest/crm.lead.list",
    ):
        answer = http.post(url, json={})
        assert answer.status_code == 401
        assert answer.json() == fixture("no_auth_found.json")
    assert fake.executed == 0
    assert fake.total_requests == 3

    other, hook = portal(auth_error="INVALID_CREDENTIALS")
    answer = http.get(hook.replace(other.secret, "nope") + "user.get")
    assert answer.status_code == 401
    assert answer.json() == fixture("invalid_credentials.json")


def test_crm_lead_get_has_the_documented_fields_and_types(
    portal: Start, http: httpx.Client
) -> None:
    fake, hook = portal()
    lead_id = fake.add_lead(
        {
            "TITLE": "Lead #1591",
            "OPPORTUNITY": 12500,
            "ASSIGNED_BY_ID": 1,
            "PHONE": [{"VALUE": "+15454777777", "VALUE_TYPE": "OTHER"}],
            "IM": [{"VALUE": "imol|livechat|1|67|21", "VALUE_TYPE": "OPENLINE"}],
        },
        notify=False,
    )
    answer = http.post(hook + "crm.lead.get.json", json={"ID": lead_id})
    assert answer.status_code == 200
    body = answer.json()
    docs = fixture("crm.lead.get.json")
    same_shape(body, docs)
    assert list(body["time"]) == list(fixture("time.json")["time"])
    lead = body["result"]
    assert lead["ID"] == str(lead_id)
    assert lead["OPPORTUNITY"] == "12500.00"
    assert lead["ASSIGNED_BY_ID"] == "1"
    assert lead["DATE_CLOSED"] == ""
    assert lead["STATUS_SEMANTIC_ID"] == "P"
    assert lead["PHONE"][0]["TYPE_ID"] == "PHONE"
    assert datetime.fromisoformat(lead["DATE_MODIFY"]).utcoffset() == timedelta(hours=3)


def test_add_update_list_and_errors_have_the_documented_envelopes(
    portal: Start, http: httpx.Client
) -> None:
    custom = {"UF_CRM_1704817278": "a", "UF_CRM_1706782596092": "b", "UF_CRM_1708952993785": "c"}
    fake, hook = portal(user_fields=custom)
    added = http.post(hook + "crm.lead.add", json={"fields": {"TITLE": "Lead 1"}}).json()
    same_shape(added, fixture("crm.lead.add.json"))
    updated = http.post(hook + "crm.lead.update", json={"id": 1, "fields": {"TITLE": "x"}})
    same_shape(updated.json(), fixture("crm.lead.update.json"))
    for _ in range(60):
        fake.add_lead({"TITLE": "more"}, notify=False)

    listed = http.post(hook + "crm.lead.list", json={"select": ["*", "UF_*"]}).json()
    docs = fixture("crm.lead.list.json")
    assert list(listed) == list(docs) == ["result", "next", "total", "time"]
    same_shape(listed["result"], docs["result"])
    assert (listed["next"], listed["total"], len(listed["result"])) == (50, 61, 50)

    missing = http.post(hook + "crm.lead.get", json={"id": 999})
    assert (missing.status_code, missing.json()) == (400, fixture("not_found.json"))
    invalid = http.post(hook + "crm.lead.update", json={"id": 0, "fields": {}})
    assert (invalid.status_code, invalid.json()) == (400, fixture("id_invalid.json"))
    unknown = http.post(hook + "crm.lead.nope.json")
    assert (unknown.status_code, unknown.json()) == (404, fixture("method_not_found.json"))


def test_fields_stages_users_and_departments_match_the_docs(
    portal: Start, http: httpx.Client
) -> None:
    fake, hook = portal(
        users=[
            {"ID": 1, "NAME": "Vadim", "LAST_NAME": "Valeev", "UF_DEPARTMENT": [1]},
            {"ID": "3", "NAME": "John", "ACTIVE": "N", "UF_DEPARTMENT": ["1", 3]},
        ],
        departments=[{"ID": 1, "NAME": "Sales"}, {"ID": 3, "NAME": "East", "PARENT": 1}],
        user_fields={"UF_CRM_1594289616952": "Метро"},
    )
    fields = http.post(hook + "crm.lead.fields").json()["result"]
    standard = fixture("crm.lead.fields.json")["result"]
    assert {k: v for k, v in fields.items() if k in standard} == standard
    assert fields["UF_CRM_1594289616952"]["listLabel"] == "Метро"

    stages = http.post(hook + "crm.status.list", data={"filter[ENTITY_ID]": "STATUS"}).json()
    ids = [s["STATUS_ID"] for s in stages["result"]]
    assert ids == ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    assert stages["total"] == 5
    assert [s["SEMANTICS"] for s in stages["result"]] == [None, None, None, "S", "F"]
    for documented in fixture("crm.status.list.json")["result"]:
        assert documented in stages["result"]

    users = http.post(hook + "user.get").json()
    doc_user = fixture("user.get.json")["result"][0]
    assert users["total"] == 2
    for user in users["result"]:
        assert set(user) <= set(doc_user)
        for key, value in user.items():
            assert type(value) is type(doc_user[key]), key
    assert users["result"][1]["UF_DEPARTMENT"] == [1, 3]
    assert users["result"][1]["ACTIVE"] is False

    departments = http.post(hook + "department.get").json()
    doc_department = fixture("department.get.json")["result"][0]
    assert departments["total"] == 2
    for department in departments["result"]:
        assert set(department) <= set(doc_department)
        for key, value in department.items():
            assert type(value) is type(doc_department[key]), key
    assert http.post(hook + "department.get", json={"PARENT": 1}).json()["result"] == [
        {"ID": "3", "NAME": "East", "SORT": 500, "PARENT": "1"}
    ]
    assert fake.calls["crm.lead.fields"] == 1


# ---------------------------------------------------------------------------------------------
# Lists: paging and filters


def test_paging_and_the_date_modify_filter(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    start = datetime(2024, 5, 1, 10, 0, 0, tzinfo=MSK)
    for i in range(120):
        fake.add_lead(
            {
                "TITLE": f"L{i}",
                "DATE_MODIFY": start + timedelta(minutes=i),
                "ASSIGNED_BY_ID": 1 + i % 3,
                "STATUS_ID": "JUNK" if i % 10 == 0 else "NEW",
            },
            notify=False,
        )
    since = {"filter": {">DATE_MODIFY": "2024-05-01T10:59:00"}, "order": {"ID": "ASC"}}

    first = http.post(hook + "crm.lead.list", json=since).json()
    assert (len(first["result"]), first["next"], first["total"]) == (50, 50, 60)
    assert first["result"][0]["TITLE"] == "L60"
    second = http.post(hook + "crm.lead.list", json={**since, "start": first["next"]}).json()
    assert (len(second["result"]), second["total"]) == (10, 60)
    assert "next" not in second

    inclusive = {"filter": {">=DATE_MODIFY": "2024-05-01T07:59:00Z"}, "start": 50}
    assert http.post(hook + "crm.lead.list", json=inclusive).json()["total"] == 61

    # The same query as a form body and as a query string, PHP bracket keys.
    query = {
        "filter[>DATE_MODIFY]": "2024-05-01T11:49:00+03:00",
        "select[]": "ID",
        "order[ID]": "DESC",
    }
    by_form = http.post(hook + "crm.lead.list", data=query).json()
    by_get = http.get(hook + "crm.lead.list.json", params=query).json()
    assert by_form["result"] == by_get["result"] == [{"ID": str(i)} for i in range(120, 110, -1)]

    # An unparsable date selects nothing; a `+` sent unencoded arrives as a space.
    raw = hook + "crm.lead.list?filter[>DATE_MODIFY]=2024-05-01T11:49:00+03:00"
    assert http.get(raw).json()["total"] == 0

    # start = -1: no count, no next; pages by `>ID` (huge-data.md).
    seen: list[str] = []
    last = 0
    while True:
        page = http.post(
            hook + "crm.lead.list",
            json={"filter": {">ID": last}, "order": {"ID": "ASC"}, "select": ["ID"], "start": -1},
        ).json()
        assert page["total"] == 0
        assert "next" not in page
        seen += [row["ID"] for row in page["result"]]
        if len(page["result"]) < 50:
            break
        last = int(page["result"][-1]["ID"])
    assert seen == [str(i) for i in range(1, 121)]

    junk_of_2 = {"filter": {"STATUS_ID": "JUNK", "ASSIGNED_BY_ID": 2}, "select": ["ID"]}
    rows = http.post(hook + "crm.lead.list", json=junk_of_2).json()["result"]
    assert [r["ID"] for r in rows] == ["11", "41", "71", "101"]
    several = {"filter": {"@ASSIGNED_BY_ID": [2, 3], "<ID": 5}, "select": ["ID"]}
    rows = http.post(hook + "crm.lead.list", json=several).json()["result"]
    assert [r["ID"] for r in rows] == ["2", "3"]


def test_update_sets_fields_and_date_modify(portal: Start, http: httpx.Client) -> None:
    wall = WallClock()
    fake, hook = portal(now=wall)
    lead_id = fake.add_lead({"TITLE": "T", "ASSIGNED_BY_ID": 2}, notify=False, by=2)
    created = fake.get_lead(lead_id)
    wall.now += timedelta(minutes=5)

    answer = http.post(
        hook + "crm.lead.update",
        data={
            "id": str(lead_id),
            "fields[ASSIGNED_BY_ID]": "7",
            "fields[DATE_CREATE]": "2000-01-01T00:00:00",
            "fields[NO_SUCH_FIELD]": "x",
            "params[REGISTER_SONET_EVENT]": "Y",
        },
    )
    assert answer.json()["result"] is True
    lead = fake.get_lead(lead_id)
    assert lead["ASSIGNED_BY_ID"] == "7"
    assert lead["MODIFY_BY_ID"] == fake.user_id
    assert lead["DATE_MODIFY"] == "2024-05-01T12:05:00+03:00"
    assert lead["DATE_CREATE"] == created["DATE_CREATE"] == "2024-05-01T12:00:00+03:00"
    assert "NO_SUCH_FIELD" not in lead

    wall.now += timedelta(minutes=1)
    fake.update_lead(lead_id, {"STATUS_ID": "CONVERTED"}, notify=False)
    lead = fake.get_lead(lead_id)
    assert (lead["STATUS_SEMANTIC_ID"], lead["MODIFY_BY_ID"]) == ("S", "7")
    assert lead["DATE_CLOSED"] == lead["MOVED_TIME"] == "2024-05-01T12:06:00+03:00"


# ---------------------------------------------------------------------------------------------
# batch


def test_batch_of_50_runs_and_51_is_refused(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    for _ in range(3):
        fake.add_lead({"TITLE": "b"}, notify=False)
    cmd = {f"get_{i}": f"crm.lead.get?id={1 + i % 3}" for i in range(50)}
    answer = http.post(hook + "batch", json={"halt": 0, "cmd": cmd})
    assert answer.status_code == 200
    body = answer.json()
    assert list(body) == list(fixture("batch.json")) == ["result", "time"]
    inner = body["result"]
    assert list(inner) == list(fixture("batch.json")["result"])
    assert list(inner["result"]) == list(cmd)
    assert inner["result_error"] == inner["result_total"] == inner["result_next"] == []
    assert len(inner["result_time"]) == 50
    assert fake.calls["crm.lead.get"] == 50
    assert fake.by_method["batch"] == 1

    cmd["get_50"] = "crm.lead.get?id=1"
    refused = http.post(hook + "batch", json={"halt": 0, "cmd": cmd})
    assert (refused.status_code, refused.json()) == (400, fixture("batch_length_exceeded.json"))
    assert fake.calls["crm.lead.get"] == 50


def test_batch_errors_halt_lists_and_references(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal(users=[{"ID": 1, "NAME": "John", "UF_DEPARTMENT": [4]}])
    for _ in range(60):
        fake.add_lead({"TITLE": "b"}, notify=False)

    errors = {"missing": "crm.lead.get?id=999", "found": "crm.lead.get?ID=1"}
    body = http.post(hook + "batch", json={"halt": 0, "cmd": errors}).json()["result"]
    assert body["result_error"] == {"missing": fixture("not_found.json")}
    assert list(body["result"]) == ["found"]
    halted = http.post(hook + "batch", json={"halt": 1, "cmd": errors}).json()["result"]
    assert list(halted) == list(fixture("batch.error.json")["result"])
    assert halted["result"] == halted["result_time"] == halted["result_total"] == []
    assert list(halted["result_error"]) == ["missing"]

    # As fast_bitrix24 sends it: a form-encoded page in PHP bracket syntax.
    page = "crm.lead.list?select[0]=ID&filter[%3EID]=0&order[ID]=ASC&start=50&"
    chained = {
        "me": "user.current",
        "dep": "department.get?ID=$result[me][UF_DEPARTMENT][0]",
        "page": page,
        "nested": "batch?cmd[x]=user.current",
    }
    form = {f"cmd[{k}]": v for k, v in chained.items()}
    body = http.post(hook + "batch", data={"halt": "0", **form}).json()["result"]
    assert body["result"]["dep"] == [{"ID": "4", "NAME": "Department 4", "SORT": 500}]
    assert [r["ID"] for r in body["result"]["page"]] == [str(i) for i in range(51, 61)]
    assert body["result_total"] == {"dep": 1, "page": 60}
    assert body["result_next"] == []
    assert body["result_error"]["nested"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"

    listed = http.post(hook + "batch", json={"cmd": ["crm.lead.list?select[]=ID"]}).json()
    assert listed["result"]["result_next"] == [50]
    assert len(listed["result"]["result"][0]) == 50


def test_php_bracket_keys_nest() -> None:
    pairs = parse_qsl("fields[PHONE][0][VALUE]=1&select[]=ID&select[]=TITLE&filter[%3E%3DID]=5")
    assert parse_php_query(pairs) == {
        "fields": {"PHONE": {"0": {"VALUE": "1"}}},
        "select": {"0": "ID", "1": "TITLE"},
        "filter": {">=ID": "5"},
    }


# ---------------------------------------------------------------------------------------------
# Rate limit


def test_the_leaky_bucket_refuses_exactly_the_requests_over_the_burst(
    portal: Start, http: httpx.Client
) -> None:
    clock = SteppedClock()
    fake, hook = portal(rate=2, burst=5, clock=clock)
    fake.add_lead({"TITLE": "x"}, notify=False)

    statuses = [http.post(hook + "crm.lead.get", json={"id": 1}).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [503] * 3
    refused = http.post(hook + "crm.lead.get", json={"id": 1})
    assert refused.json() == fixture("query_limit_exceeded.json")
    assert fake.calls["crm.lead.get"] == 5

    clock.now += 1.0  # 2 drained
    statuses = [http.post(hook + "crm.lead.get", json={"id": 1}).status_code for _ in range(3)]
    assert statuses == [200, 200, 503]

    clock.now += 0.5  # 1 drained: a batch of 10 is one request
    batch = {"cmd": {f"c{i}": "crm.lead.get?id=1" for i in range(10)}}
    assert http.post(hook + "batch", json=batch).status_code == 200
    assert http.post(hook + "batch", json=batch).status_code == 503

    stats = fake.stats()
    assert stats["rejected_by_limit"] == 6
    assert stats["executed"] == 8
    assert stats["total_requests"] == 14
    assert stats["peak_level"] == 5
    assert stats["calls"]["crm.lead.get"] == 17
    assert [h.status for h in stats["hits"]].count(503) == 6
    assert all(h.at >= 1000.0 for h in stats["hits"])


def test_the_bucket_drains_in_real_time(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal(rate=5, burst=3)
    for _ in range(3):
        assert http.post(hook + "user.get").status_code == 200
    assert fake.peak_level > 2
    threading.Event().wait(0.65)  # 3 drained at 5/s
    assert fake.bucket_level() == 0
    for _ in range(3):
        assert http.post(hook + "user.get").status_code == 200
    assert fake.rejected_by_limit == 0


# ---------------------------------------------------------------------------------------------
# Outgoing events


def test_events_reach_the_handler_form_encoded_with_the_token(
    portal: Start, http: httpx.Client, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    base, received = receiver
    fake, hook = portal(handler_url=f"{base}/b24", application_token="tok-123")

    lead_id = http.post(hook + "crm.lead.add", json={"fields": {"TITLE": "web"}}).json()["result"]
    http.post(hook + "crm.lead.update", json={"id": lead_id, "fields": {"ASSIGNED_BY_ID": 2}})
    fake.add_lead({"TITLE": "silent"}, notify=False)
    fake.update_lead(lead_id, {"STATUS_ID": "IN_PROCESS"})
    deliveries = fake.wait_deliveries(3)

    assert [d.fields["event"] for d in deliveries] == [
        "ONCRMLEADADD",
        "ONCRMLEADUPDATE",
        "ONCRMLEADUPDATE",
    ]
    assert all(d.status == 200 and d.error is None for d in deliveries)
    assert len(received) == 3
    documented_keys = [k for k, _ in parse_qsl(form_fixture("oncrmleadadd.form.txt"))]
    for (content_type, raw), delivery in zip(received, deliveries, strict=True):
        assert content_type == FORM
        assert raw.decode() == delivery.body
        pairs = parse_qsl(raw.decode())
        assert [k for k, _ in pairs] == documented_keys
        sent = dict(pairs)
        assert sent["auth[application_token]"] == "tok-123"
        assert sent["data[FIELDS][ID]"] == str(lead_id)
        assert sent["auth[client_endpoint]"] == f"https://{fake.domain}/rest/"
    assert fake.wait_idle() == deliveries


def test_the_event_body_is_the_documented_one_and_replays_exactly(
    portal: Start, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    base, received = receiver
    fake, _ = portal(handler_url=f"{base}/b24")
    documented = form_fixture("oncrmleadadd.form.txt")
    assert fake.event_body("ONCRMLEADADD", 1000983, ts=1742807175) == documented
    assert fake.event_body("ONCRMLEADUPDATE", 1000983, ts=1742807189) == form_fixture(
        "oncrmleadupdate.form.txt"
    )

    captured = form_fixture("oncrmdealupdate.captured.form.txt")
    for body in (documented, documented, captured):
        fake.send_event(body)
    fake.wait_deliveries(3)
    assert [raw.decode() for _, raw in received] == [documented, documented, captured]
    assert "event_handler_id" not in dict(parse_qsl(captured))


def test_a_failed_delivery_is_recorded_and_not_retried(
    portal: Start, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    base, received = receiver
    fake, _ = portal(handler_url=f"http://127.0.0.1:{free_port()}/nobody", delivery_timeout=2)
    fake.add_lead({"TITLE": "lost"})
    fake.handler_url = f"{base}/fail"
    fake.update_lead(1, {"TITLE": "refused"})
    first, second = fake.wait_idle()
    assert (first.status, second.status) == (None, 500)
    assert first.error is not None
    assert "ConnectError" in first.error
    assert len(received) == 1
    assert len(fake.deliveries) == 2


# ---------------------------------------------------------------------------------------------
# Failure injection


def test_fail_next_answers_without_running_the_method(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    fake.fail_next(2)
    fake.fail_next(1, status=500)
    fake.fail_next(1, status=200, body=fixture("query_limit_exceeded.json"))
    answers = [http.post(hook + "crm.lead.add", json={"fields": {}}) for _ in range(5)]
    assert [a.status_code for a in answers] == [503, 503, 500, 200, 200]
    assert answers[0].json() == fixture("query_limit_exceeded.json")
    assert answers[2].json()["error"] == "INTERNAL_SERVER_ERROR"
    assert answers[3].json() == fixture("query_limit_exceeded.json")
    assert answers[4].json()["result"] == 1
    assert (fake.injected, fake.executed, len(fake.leads())) == (4, 1, 1)

    fake.fail_next(1, status=429, method="crm.lead.update")
    assert http.post(hook + "crm.lead.get", json={"id": 1}).status_code == 200
    limited = http.post(hook + "crm.lead.update", json={"id": 1, "fields": {"TITLE": "t"}})
    assert (limited.status_code, limited.json()["error"]) == (429, "OPERATION_TIME_LIMIT")
    assert fake.get_lead(1)["TITLE"] == "Lead #1"


def test_an_outage_answers_503_html_until_it_ends(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    fake.outage(True)
    for url in (hook + "user.get", hook.replace(fake.secret, "x") + "user.get"):
        answer = http.post(url)
        assert answer.status_code == 503
        assert answer.headers["content-type"].startswith("text/html")
        assert "503 Service Temporarily Unavailable" in answer.text
    assert (fake.bucket_level(), fake.executed) == (0, 0)
    fake.outage(False)
    assert http.post(hook + "user.get").status_code == 200


def test_delay_times_a_client_out_after_the_write_happened(portal: Start) -> None:
    fake, hook = portal()
    fake.delay(0.4)
    with httpx.Client(timeout=0.1) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(hook + "crm.lead.add", json={"fields": {"TITLE": "saved"}})
    fake.delay(0)
    assert [lead["TITLE"] for lead in fake.leads()] == ["saved"]


# ---------------------------------------------------------------------------------------------
# Users, concurrency


def test_users_filter_by_activity_and_department_and_page(
    portal: Start, http: httpx.Client
) -> None:
    users = [
        {"ID": i, "NAME": f"U{i}", "ACTIVE": i % 3 != 0, "UF_DEPARTMENT": [1 + i % 2]}
        for i in range(1, 61)
    ]
    fake, hook = portal(users=users)
    everyone = http.post(hook + "user.get").json()
    assert (everyone["total"], everyone["next"], len(everyone["result"])) == (60, 50, 50)
    rest = http.post(hook + "user.get", json={"start": 50}).json()
    assert [u["ID"] for u in rest["result"]] == [str(i) for i in range(51, 61)]

    active = http.post(hook + "user.get", json={"FILTER": {"ACTIVE": True}}).json()
    assert active["total"] == 40
    assert "next" not in active
    in_two = http.post(hook + "user.get", data={"UF_DEPARTMENT": "2", "ACTIVE": "true"}).json()
    assert all(2 in u["UF_DEPARTMENT"] and u["ACTIVE"] for u in in_two["result"])
    assert in_two["total"] == 20

    fake.update_user(1, {"ACTIVE": False})
    assert http.post(hook + "user.get", json={"filter": {"ACTIVE": True}}).json()["total"] == 39
    by_name = http.post(hook + "user.get", json={"sort": "ID", "order": "DESC"}).json()
    assert by_name["result"][0]["ID"] == "60"
    assert sorted(d["ID"] for d in http.post(hook + "department.get").json()["result"]) == [
        "1",
        "2",
    ]


def test_concurrent_requests_get_distinct_leads(portal: Start) -> None:
    fake, hook = portal(burst=100)

    def add(n: int) -> None:
        with httpx.Client(timeout=5) as client:
            for _ in range(n):
                client.post(hook + "crm.lead.add", json={"fields": {"TITLE": "c"}})

    threads = [threading.Thread(target=add, args=(10,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [lead["ID"] for lead in fake.leads()] == [str(i) for i in range(1, 41)]
    assert (fake.executed, fake.calls["crm.lead.add"], len(fake.hits)) == (40, 40, 40)


# ---------------------------------------------------------------------------------------------
# OAuth application

CLIENT = {"client_id": "local.6667fc928a50a9.70414732", "client_secret": "app-secret"}


class UnixClock:
    """Unix seconds for token expiry, moved by hand."""

    def __init__(self) -> None:
        self.now = 1_780_000_000.0

    def __call__(self) -> float:
        return self.now


def refresh(http: httpx.Client, base: str, token: str, **override: str) -> httpx.Response:
    """``GET /oauth/token/?grant_type=refresh_token&client_id=…&client_secret=…&refresh_token=…``"""
    query = {"grant_type": "refresh_token", **CLIENT, "refresh_token": token, **override}
    return http.get(FakeBitrix24.token_url(base), params=query)


def test_a_valid_access_token_runs_the_method_as_its_user(
    portal: Start, http: httpx.Client
) -> None:
    users = [{"ID": 1, "NAME": "Admin"}, {"ID": 7, "NAME": "Olga"}]
    fake, hook = portal(**CLIENT, access_token="initial-access", users=users)
    base = hook.split("/rest/")[0]
    rest = fake.client_endpoint(base)
    assert rest == f"{base}/rest/"

    added = http.post(
        rest + "crm.lead.add.json", json={"auth": "initial-access", "fields": {"TITLE": "app"}}
    )
    assert added.status_code == 200
    lead_id = added.json()["result"]
    assert isinstance(lead_id, int)

    pair = fake.issue_tokens(user_id=7, base_url=base)
    same_shape(pair, fixture("oauth.token.json"))
    assert (pair["user_id"], pair["client_endpoint"]) == (7, rest)
    token = pair["access_token"]
    got = http.get(rest + "crm.lead.get", params={"auth": token, "id": lead_id})  # query string
    assert got.status_code == 200
    assert got.json()["result"]["CREATED_BY_ID"] == "1"
    updated = http.post(  # form body
        rest + "crm.lead.update", data={"auth": token, "id": lead_id, "fields[TITLE]": "renamed"}
    )
    assert updated.json()["result"] is True
    lead = fake.get_lead(lead_id)
    assert (lead["TITLE"], lead["MODIFY_BY_ID"]) == ("renamed", "7")
    assert http.post(rest + "user.current", json={"auth": token}).json()["result"]["ID"] == "7"
    assert http.post(hook + "user.current").json()["result"]["ID"] == "1"

    webhook_list = http.post(hook + "crm.lead.list", json={"select": ["ID", "TITLE"]}).json()
    token_list = http.post(
        rest + "crm.lead.list", json={"auth": token, "select": ["ID", "TITLE"]}
    ).json()
    assert token_list["result"] == webhook_list["result"] == [{"ID": "1", "TITLE": "renamed"}]

    stats = fake.stats()
    assert stats["executed"] == stats["total_requests"] == 7
    assert stats["auth_failures"] == 0
    assert [h.method for h in stats["hits"]] == [
        "crm.lead.add",
        "crm.lead.get",
        "crm.lead.update",
        "user.current",
        "user.current",
        "crm.lead.list",
        "crm.lead.list",
    ]
    assert [(t.origin, t.used) for t in fake.tokens("access")] == [
        ("initial", True),
        ("issued", True),
    ]


def test_an_expired_or_unknown_token_gets_401(portal: Start, http: httpx.Client) -> None:
    clock = UnixClock()
    fake, hook = portal(**CLIENT, access_token="a1", refresh_token="r1", oauth_clock=clock)
    rest = fake.client_endpoint(hook.split("/rest/")[0])
    assert http.post(rest + "user.get", json={"auth": "a1"}).status_code == 200
    assert fake.tokens("access")[0].expires_at == clock.now + 3600

    clock.now += 3600
    expired = http.post(rest + "crm.lead.list.json", json={"auth": "a1"})
    assert expired.status_code == 401
    assert expired.json() == fixture("expired_token.json")

    pair = fake.issue_tokens()
    assert http.get(rest + "user.get", params={"auth": pair["access_token"]}).status_code == 200
    fake.expire_access_tokens()
    again = http.get(rest + "user.get", params={"auth": pair["access_token"]})
    assert (again.status_code, again.json()) == (401, fixture("expired_token.json"))

    for auth in ("nope", "r1"):  # unknown; a refresh token is no access token
        unknown = http.post(rest + "user.get", data={"auth": auth})
        assert (unknown.status_code, unknown.json()) == (401, fixture("invalid_token.json"))
    missing = http.post(rest + "user.get", json={})
    assert (missing.status_code, missing.json()) == (401, fixture("no_auth_found.json"))

    stats = fake.stats()
    assert stats["auth_failures"] == 5
    assert stats["executed"] == 2
    assert stats["total_requests"] == 7
    assert stats["calls"] == {"user.get": 2}
    assert [h.status for h in stats["hits"]] == [200, 401, 200, 401, 401, 401, 401]
    assert fake.bucket_level() <= 2


def test_refresh_gives_a_new_pair_and_the_old_refresh_token_is_refused(
    portal: Start, http: httpx.Client
) -> None:
    clock = UnixClock()
    fake, hook = portal(**CLIENT, refresh_token="r0", access_token="a0", oauth_clock=clock)
    base = hook.split("/rest/")[0]

    answer = refresh(http, base, "r0")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    same_shape(body, fixture("oauth.token.json"))
    assert body["client_endpoint"] == f"{base}/rest/"
    assert (body["domain"], body["server_endpoint"]) == (
        "oauth.bitrix.info",
        "https://oauth.bitrix.info/rest/",
    )
    assert (body["expires_in"], body["expires"]) == (3600, int(clock.now) + 3600)
    assert (body["member_id"], body["user_id"]) == (fake.member_id, 1)
    assert (body["scope"], body["status"]) == ("crm,user", "L")
    assert body["access_token"] != "a0"
    assert body["refresh_token"] != "r0"

    me = http.post(body["client_endpoint"] + "user.current", json={"auth": body["access_token"]})
    assert me.status_code == 200
    assert http.post(body["client_endpoint"] + "user.get", json={"auth": "a0"}).status_code == 200

    for spent in ("r0", "never-issued", body["access_token"]):
        refused = refresh(http, base, spent)
        assert refused.status_code == 400
        assert refused.json()["error"] == "invalid_grant"

    second = http.get(  # the new refresh token works, once; the path without the slash too
        f"{base}/oauth/token",
        params={"grant_type": "refresh_token", **CLIENT, "refresh_token": body["refresh_token"]},
    )
    assert second.status_code == 200
    assert refresh(http, base, body["refresh_token"]).json()["error"] == "invalid_grant"

    clock.now += 180 * 86400  # refresh tokens live 180 days
    assert refresh(http, base, second.json()["refresh_token"]).json()["error"] == "invalid_grant"

    assert [(t.token, t.used) for t in fake.tokens("refresh")] == [
        ("r0", True),
        (body["refresh_token"], True),
        (second.json()["refresh_token"], False),
    ]
    assert [t.origin for t in fake.tokens("access")] == ["initial", "refresh", "refresh"]
    stats = fake.stats()
    assert (stats["token_refreshes"], stats["refused_refreshes"]) == (2, 5)
    assert stats["total_requests"] == 2  # the token endpoint is not the portal's REST
    assert stats["bucket_level"] <= 2


def test_an_unknown_client_is_refused_and_the_refresh_token_is_not_spent(
    portal: Start, http: httpx.Client
) -> None:
    fake, hook = portal(**CLIENT, refresh_token="r0")
    base = hook.split("/rest/")[0]

    for override in ({"client_id": "app.other"}, {"client_secret": "wrong"}):
        refused = refresh(http, base, "r0", **override)
        assert refused.status_code == 401
        assert refused.json()["error"] == "invalid_client"
        assert refused.json()["error_description"]
    for override in ({"client_secret": ""}, {"grant_type": "password"}):
        malformed = refresh(http, base, "r0", **override)
        assert (malformed.status_code, malformed.json()["error"]) == (400, "invalid_request")

    assert refresh(http, base, "r0").status_code == 200
    assert (fake.token_refreshes, fake.refused_refreshes) == (1, 4)
    assert fake.tokens("refresh")[0].used


def test_token_calls_share_the_bucket_with_webhook_calls(portal: Start, http: httpx.Client) -> None:
    clock = SteppedClock()
    fake, hook = portal(
        **CLIENT, refresh_token="r0", access_token="a0", rate=2, burst=4, clock=clock
    )
    base = hook.split("/rest/")[0]
    rest = fake.client_endpoint(base)

    def by_hook() -> httpx.Response:
        return http.post(hook + "user.get")

    def by_token(token: str = "a0") -> httpx.Response:
        return http.post(rest + "user.get", json={"auth": token})

    assert [call().status_code for call in (by_hook, by_token, by_hook, by_token)] == [200] * 4
    assert fake.bucket_level() == 4
    for refused in (by_hook(), by_token()):
        assert (refused.status_code, refused.json()) == (503, fixture("query_limit_exceeded.json"))
    assert by_token("nope").status_code == 401  # credentials are checked before the bucket

    assert refresh(http, base, "r0").status_code == 200  # the token endpoint is not limited
    clock.now += 0.5  # 1 drained
    assert by_token().status_code == 200
    assert by_hook().status_code == 503

    stats = fake.stats()
    assert stats["executed"] == 5
    assert stats["rejected_by_limit"] == 3
    assert stats["auth_failures"] == 1
    assert stats["total_requests"] == stats["by_method"]["user.get"] == 9
    assert stats["peak_level"] == 4


def test_events_of_an_application_carry_its_tokens(
    portal: Start, http: httpx.Client, receiver: tuple[str, list[tuple[str, bytes]]]
) -> None:
    base, received = receiver
    users = [{"ID": 1, "NAME": "Admin"}, {"ID": 7, "NAME": "Olga"}]
    fake, hook = portal(
        **CLIENT, users=users, handler_url=f"{base}/b24", application_token="tok-123"
    )
    rest = fake.client_endpoint(hook.split("/rest/")[0])
    pair = fake.issue_tokens(user_id=7)

    added = http.post(rest + "crm.lead.add", json={"auth": pair["access_token"], "fields": {}})
    lead_id = added.json()["result"]
    http.post(hook + "crm.lead.update", json={"id": lead_id, "fields": {"TITLE": "hook"}})
    fake.delete_lead(lead_id)
    deliveries = fake.wait_deliveries(3)

    real_keys = [k for k, _ in parse_qsl(form_fixture("oncrmcontactadd.app.form.txt"))]
    documented = set(fixture("oncrmleadadd.app.json")["auth"]) - {"refresh_token"}
    for delivery in deliveries:
        assert [k for k, _ in parse_qsl(delivery.body)] == real_keys
        sent = delivery.fields
        assert documented <= {k[5:-1] for k in sent if k.startswith("auth[")}
        assert sent["auth[application_token]"] == "tok-123"
        assert (sent["auth[expires_in]"], sent["auth[scope]"], sent["auth[status]"]) == (
            "3600",
            "crm,user",
            "L",
        )
        assert sent["auth[server_endpoint]"] == "https://oauth.bitrix.info/rest/"
        assert sent["auth[member_id]"] == fake.member_id
    assert [d.fields["event"] for d in deliveries] == [
        "ONCRMLEADADD",
        "ONCRMLEADUPDATE",
        "ONCRMLEADDELETE",
    ]
    assert [d.fields["auth[user_id]"] for d in deliveries] == ["7", "1", "1"]
    assert len(received) == 3

    token = deliveries[0].fields["auth[access_token]"]  # a handler may call back with it
    assert http.post(rest + "user.current", json={"auth": token}).json()["result"]["ID"] == "7"
    assert [t.origin for t in fake.tokens("access")] == ["issued", "event", "event", "event"]


def test_oauth_is_off_by_default(portal: Start, http: httpx.Client) -> None:
    fake, hook = portal()
    base = hook.split("/rest/")[0]
    assert not fake.oauth
    assert refresh(http, base, "r0").status_code == 404
    answer = http.post(f"{base}/rest/user.get", json={"auth": "anything"})
    assert (answer.status_code, answer.json()) == (401, fixture("no_auth_found.json"))
    assert fake.auth_failures == 1
    assert "access_token" not in fake.event_body("ONCRMLEADADD", 1)
    with pytest.raises(RuntimeError):
        fake.issue_tokens()
    with pytest.raises(ValueError, match="client_secret"):
        FakeBitrix24(client_id="app.1")
    with pytest.raises(ValueError, match="client_id"):
        FakeBitrix24(refresh_token="r0")
