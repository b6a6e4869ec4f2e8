"""Hostile input to the service: refused with a 4xx in the API's JSON shape, never a 500.

Each bad request gets a 4xx whose body is ``{"error": {"status", "message", "field",
"id", "value", "request_id"}}`` naming what is wrong (messages pinned where they are
the API's own words), and changes nothing. A key sees only its own team, also when it
names another team's managers, leads or events. After a team is deleted its keys get a
4xx. The service's log lines never carry an API key, the Authorization header, or the
e-mails and phones sent in a lead's ``features``.

Where the database matters (what is stored, read back and kept apart by team) the test
runs on SQLite and PostgreSQL (the ``team`` fixture); checks of the request's form run
on SQLite only (``sqlite_team``).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import anyio
import hypothesis.strategies as st
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy import select

from fairlead.service import create_key, revoke_key
from fairlead.service._logging import LOGGER, JsonFormatter
from fairlead.service._tables import events, router_leads, tenants

MAX_BODY = 1 << 20  # the default of ServiceConfig.max_body_bytes
#: What no answer may show: a traceback, or the type of an error of a library below.
LEAKS = re.compile(
    r"Traceback|File \"|pydantic|ValidationError|sqlalchemy|psycopg|sqlite3|numpy|"
    r"IntegrityError|OperationalError|KeyError|IndexError|AttributeError|TypeError|"
    r"OverflowError|errors\.pydantic\.dev"
)
JSON = {"Content-Type": "application/json"}


class Api:
    """A team's app as its clients see it: a server error is a 500 answer, not raised."""

    def __init__(self, team: Any) -> None:
        self.team = team
        self.client = TestClient(team.app, raise_server_exceptions=False)
        self.db = team.app.state.service.db

    def call(
        self,
        method: str,
        path: str,
        *,
        scope: str = "write",
        rival: bool = False,
        token: str | None = None,
        headers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """A request with a key of the team (``rival``: of the other team) or ``token``."""
        keys = self.team.other_keys if rival else self.team.keys
        key = keys[scope] if token is None else token
        sent = {"Authorization": f"Bearer {key}", **(headers or {})}
        return self.client.request(method, path, headers=sent, **kwargs)

    def route(self, lead_id: str, **more: Any) -> Any:
        r = self.call("POST", "/v1/leads", json={"id": lead_id, "score": 0.5, **more})
        assert r.status_code == 200, r.text
        return r.json()

    def rows(self, table: Any, tenant: str = "acme", **where: Any) -> list[dict[str, Any]]:
        query = select(table).where(table.c.tenant_id == tenant)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        with self.db.read() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


@pytest.fixture
def api(team: Any) -> Api:
    """The app on SQLite and on PostgreSQL."""
    return Api(team)


@pytest.fixture
def lite(sqlite_team: Any) -> Api:
    """The app on SQLite only."""
    return Api(sqlite_team)


def error(response: Any, status: int) -> dict[str, Any]:
    """The error of an answer with ``status``, checked to be in the API's shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) == {"error"}, body
    found = body["error"]
    assert found["status"] == status, body
    assert isinstance(found["message"], str), body
    assert found["message"], body
    assert set(found) <= {"status", "message", "field", "id", "value", "request_id"}, body
    assert found["request_id"] == response.headers["x-request-id"], body
    assert not LEAKS.search(response.text), response.text
    return dict(found)


def problems_of(answers: dict[str, Any], ok: Any) -> list[str]:
    """The answers ``ok`` refuses, as ``route: status body`` lines (for one assert)."""
    return [f"{where}: {r.status_code} {r.text[:300]}" for where, r in answers.items() if not ok(r)]


# -- the body's form ---------------------------------------------------------------------


def test_malformed_json_is_400_naming_the_body(lite: Api) -> None:
    r = lite.call("POST", "/v1/leads", content=b'{"id": "l-1", "score": ', headers=JSON)
    found = error(r, 400)
    assert found["message"] == "the body is not valid JSON: JSON decode error"
    assert found["field"] == "body"


def test_a_body_that_is_not_utf8_is_400_naming_the_body(lite: Api) -> None:
    r = lite.call("POST", "/v1/leads", content=b'{"id": "\xff\xfe", "score": 0.5}', headers=JSON)
    found = error(r, 400)
    assert found.get("field") == "body", found  # as for malformed JSON


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "the body: Input should be a valid dictionary or object to extract fields from"),
        (None, "the body: Input should be a valid dictionary or object to extract fields from"),
        ("lead", "the body: Input should be a valid dictionary or object to extract fields from"),
    ],
)
def test_a_body_that_is_no_object_is_422(lite: Api, body: Any, message: str) -> None:
    r = lite.call("POST", "/v1/leads", content=json.dumps(body).encode(), headers=JSON)
    assert error(r, 422)["message"].startswith(message)


@pytest.mark.parametrize(
    ("lead", "field", "message"),
    [
        (
            {"id": "l-1", "score": "high"},
            "score",
            "'score' of 'l-1': Input should be a valid number, unable to parse string as a "
            "number, got 'high'",
        ),
        (
            {"id": "l-1", "score": True},
            "score",
            "'score' of 'l-1': must be a number, not a boolean (True)",
        ),
        ({"id": 12.5, "score": 0.5}, "id", "'id': must be text or a whole number, got 12.5"),
        ({"id": None, "score": 0.5}, "id", "'id': must be text or a whole number, got None"),
        ({"score": 0.5}, "id", "'id': Field required"),
        (
            {"id": "l-1", "score": 0.5, "features": ["a"]},
            "features",
            "'features' of 'l-1': Input should be a valid dictionary",
        ),
        (
            {"id": "l-1", "score": 0.5, "features": {"vip": True}},
            "features",
            "'features' of 'l-1': feature 'vip' must be a number or text, not a boolean, got True",
        ),
        (
            {"id": "l-1", "score": 0.5, "tier": "lukewarm"},
            "tier",
            "'tier' of 'l-1': Input should be 'hot', 'warm' or 'cold', got 'lukewarm'",
        ),
        (
            {"id": "l-1", "score": 0.5, "created_at": 12345},
            "created_at",
            "'created_at' of 'l-1': must be a datetime, a date or ISO 8601 text (a number is "
            "no moment), got 12345",
        ),
        (
            {"id": "l-1", "score": 0.5, "effort": 0},
            "effort",
            "'effort' of 'l-1': Input should be greater than or equal to 0.001, got 0",
        ),
    ],
)
def test_a_lead_of_wrong_types_is_422_naming_field_and_id(
    lite: Api, lead: dict[str, Any], field: str, message: str
) -> None:
    found = error(lite.call("POST", "/v1/leads", json=lead), 422)
    assert found["message"].startswith(message)
    assert found["field"] == field
    if isinstance(lead.get("id"), str):
        assert found["id"] == lead["id"]
    assert lite.call("GET", "/v1/leads/l-1").status_code == 404  # nothing routed


def test_a_nested_feature_names_the_feature_not_pydantics_union(lite: Api) -> None:
    lead = {"id": "l-1", "score": 0.5, "features": {"age": {"years": 30}}}
    found = error(lite.call("POST", "/v1/leads", json=lead), 422)
    assert found["field"] in ("features", "features.age"), found


@pytest.mark.parametrize("score", [1.5, -0.1, 1.0000001, -1e-300, 10**400])
def test_a_score_out_of_range_is_422(lite: Api, score: float) -> None:
    body = b'{"id": "l-1", "score": ' + str(score).encode() + b"}"
    found = error(lite.call("POST", "/v1/leads", content=body, headers=JSON), 422)
    assert found["field"] == "score"
    assert found["id"] == "l-1"
    assert found["message"].startswith("'score' of 'l-1': Input should be")


@given(
    score=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not 0 <= x <= 1),
        st.text(max_size=20),
        st.booleans(),
        st.none(),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    )
)
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_score_not_a_probability_is_422_naming_score(lite: Api, score: Any) -> None:
    r = lite.call("POST", "/v1/leads", json={"id": "l-1", "score": score})
    if r.status_code == 200:  # text of a number in [0, 1] is read as that number
        assert isinstance(score, str), r.text
        assert 0 <= float(score) <= 1, r.text
        return
    found = error(r, 422)
    assert found["field"] == "score"
    assert found["id"] == "l-1"


# -- NaN, Infinity and numbers JSON cannot hold ------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize(
    ("method", "path", "template", "field"),
    [
        ("POST", "/v1/leads", '{"id": "l-1", "score": %s}', "score"),
        ("POST", "/v1/leads", '{"id": "l-1", "score": 0.5, "deal_value": %s}', "deal_value"),
        ("POST", "/v1/leads", '{"id": "l-1", "score": 0.5, "effort": %s}', "effort"),
        ("POST", "/v1/leads", '{"id": "l-1", "score": 0.5, "features": {"x": %s}}', "features"),
        ("POST", "/v1/leads/routed/events", '{"type": "won", "amount": %s}', "amount"),
        ("POST", "/v1/events", '{"type": "purchase", "client_id": "c", "amount": %s}', "amount"),
        ("PUT", "/v1/managers/dave", '{"max_active_leads": 3, "performance": %s}', "performance"),
        ("PUT", "/v1/policy", '{"balance_tolerance": %s}', "balance_tolerance"),
    ],
)
def test_nan_and_infinity_are_422_naming_the_field(
    lite: Api, number: str, method: str, path: str, template: str, field: str
) -> None:
    lite.route("routed")
    body = (template % number).encode()
    r = lite.call(method, path, content=body, headers=JSON, scope="admin")
    found = error(r, 422)
    assert found["field"] == field
    assert "nan" in found["message"] or "inf" in found["message"]
    assert lite.call("GET", "/v1/leads/l-1").status_code == 404
    assert lite.call("GET", "/v1/managers/dave").status_code == 404


# -- bodies too large --------------------------------------------------------------------


def _lead_of_size(size: int) -> bytes:
    head = b'{"id": "big", "score": 0.5, "source": "'
    return head + b"a" * (size - len(head) - 2) + b'"}'


def test_a_body_over_the_limit_is_413_json(lite: Api) -> None:
    r = lite.call("POST", "/v1/leads", content=_lead_of_size(MAX_BODY + 1), headers=JSON)
    found = error(r, 413)
    assert found["message"] == f"the request body is larger than {MAX_BODY} bytes"
    assert found["field"] == "body"
    assert lite.call("GET", "/v1/leads/big").status_code == 404


def _post_in_chunks(
    api: Api, path: str, chunks: list[bytes], headers: dict[str, str]
) -> tuple[int, dict[str, Any], int]:
    """POST to the app as a server streams a body: (status, JSON answer, chunks it read)."""
    read = 0

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    sent = {"Authorization": f"Bearer {api.team.keys['write']}", **JSON, **headers}
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in sent.items()],
    }  # fmt: skip
    anyio.run(api.team.app, scope, receive, send)
    return answer["status"], json.loads(answer["body"]), read


def test_a_streamed_body_over_the_limit_is_413_and_read_no_further(api: Api) -> None:
    head = b'{"id": "big", "score": 0.5, "source": "'
    chunks = [head] + [b"a" * 65536] * 64  # 4 MiB in 64 KiB chunks, no Content-Length
    status, body, read = _post_in_chunks(api, "/v1/leads", chunks, {})
    assert status == 413
    assert body["error"]["field"] == "body"
    assert body["error"]["message"] == f"the request body is larger than {MAX_BODY} bytes"
    assert read <= MAX_BODY // 65536 + 2  # stopped once over the limit
    assert api.call("GET", "/v1/leads/big").status_code == 404


def test_a_declared_length_over_the_limit_is_413_before_reading(api: Api) -> None:
    chunks = [b'{"id": "big", "score": 0.5}']
    headers = {"Content-Length": str(MAX_BODY + 1)}
    status, body, read = _post_in_chunks(api, "/v1/leads", chunks, headers)
    assert (status, body["error"]["status"], read) == (413, 413, 0)


def test_a_streamed_body_under_the_limit_is_read_whole(api: Api) -> None:
    chunks = [b'{"id": "streamed",', b' "score": ', b"0.5}"]
    status, body, read = _post_in_chunks(api, "/v1/leads", chunks, {})
    assert (status, body["lead_id"], read) == (200, "streamed", 3)


def test_a_body_at_the_limit_is_read(lite: Api) -> None:
    r = lite.call("POST", "/v1/leads", content=_lead_of_size(MAX_BODY), headers=JSON)
    assert r.status_code == 200, r.text


# -- unknown fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "field", "value"),
    [
        ("POST", "/v1/leads", {"id": "l-1", "score": 0.5, "colour": "red"}, "colour", "red"),
        ("PUT", "/v1/managers/dave", {"max_active_leads": 3, "wings": 2}, "wings", 2),
        ("PUT", "/v1/policy", {"colour": 1}, "colour", 1),
        ("PUT", "/v1/settings", {"sla_hours": 4}, "sla_hours", 4),
        ("POST", "/v1/leads/routed/events", {"type": "won", "colour": 1}, "colour", 1),
        ("POST", "/v1/events", {"type": "purchase", "client_id": "c", "x": 1}, "x", 1),
        ("POST", "/v1/managers/anna/pause", {"why": "lunch"}, "why", "lunch"),
        (
            "POST",
            "/v1/managers/anna/absences",
            {"start": "2026-01-01", "end": "2026-01-02", "note": "x"},
            "note",
            "x",
        ),
    ],
)
def test_an_unknown_field_is_422_naming_it_and_its_value(
    lite: Api, method: str, path: str, body: dict[str, Any], field: str, value: Any
) -> None:
    lite.route("routed")
    found = error(lite.call(method, path, json=body, scope="admin"), 422)
    assert found["field"] == field
    assert found["value"] == value
    assert found["message"].startswith(f"{field!r}")
    assert "Extra inputs are not permitted" in found["message"]


# -- ids: NUL, 10 000 characters, unicode ------------------------------------------------


def test_a_lead_id_with_nul_is_422(lite: Api) -> None:
    found = error(lite.call("POST", "/v1/leads", json={"id": "a\x00b", "score": 0.5}), 422)
    assert found["message"] == "'id' of 'a\\x00b': must not contain a NUL character, got 'a\\x00b'"
    assert found["field"] == "id"
    assert found["value"] == "a\x00b"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/leads/a%00b"),
        ("POST", "/v1/leads/a%00b/events"),
        ("PUT", "/v1/managers/a%00b"),
    ],
)
def test_a_path_id_with_nul_is_422(lite: Api, method: str, path: str) -> None:
    body = {"type": "contacted"} if "events" in path else {"max_active_leads": 3}
    found = error(lite.call(method, path, json=body), 422)
    assert "must not contain a NUL character" in found["message"]
    assert found["value"] == "a\x00b"


def test_a_lead_id_of_10k_characters_is_422(api: Api) -> None:
    long = "x" * 10_000
    found = error(api.call("POST", "/v1/leads", json={"id": long, "score": 0.5}), 422)
    assert found["field"] == "id"
    assert "at most 200 characters" in found["message"]
    assert not api.rows(router_leads)


def test_an_answer_does_not_echo_a_10k_id_in_full(lite: Api) -> None:
    long = "x" * 10_000
    r = lite.call("POST", "/v1/leads", json={"id": long, "score": 0.5})
    error(r, 422)
    # ``value`` is cut to 200 characters (json_safe); the message and ``id`` should be too
    assert len(r.content) < 2_000, f"{len(r.content)} bytes answer a 10 kB id"


def test_a_path_id_of_10k_characters_is_a_4xx(api: Api) -> None:
    long = "x" * 10_000
    answers = {
        f"{method} {path}": api.call(method, path.format(long), json=body)
        for method, path, body in [
            ("GET", "/v1/leads/{}", None),
            ("POST", "/v1/leads/{}/events", {"type": "contacted"}),
            ("GET", "/v1/managers/{}", None),
            ("DELETE", "/v1/managers/{}", None),
            ("PUT", "/v1/managers/{}", {"max_active_leads": 3}),
            ("POST", "/v1/managers/{}/pause", None),
            ("POST", "/v1/managers/{}/absences", {"start": "2026-01-01", "end": "2026-01-02"}),
        ]
    }
    wrong = problems_of(answers, lambda r: r.status_code in (404, 422))
    assert not wrong, "\n".join(wrong)
    for r in answers.values():
        error(r, r.status_code)


def test_unicode_lead_ids_route_and_read_back(api: Api) -> None:
    ids = ["лид-1", "客户😀", "ﬁ-ligature", "e\u0301", "🏳️‍🌈", "я" * 100]
    for lead_id in ids:
        assert api.route(lead_id)["lead_id"] == lead_id
        r = api.call("GET", f"/v1/leads/{lead_id}")
        assert r.status_code == 200, r.text
        assert r.json()["lead_id"] == lead_id
    assert sorted(row["lead_id"] for row in api.rows(router_leads)) == sorted(ids)


@pytest.mark.parametrize("lead_id", ["x" * 200, "я" * 200, "x" * 170])
def test_a_lead_id_of_up_to_200_characters_routes(api: Api, lead_id: str) -> None:
    # 200 characters is the id rule's longest id (MAX_ID_LENGTH)
    r = api.call("POST", "/v1/leads", json={"id": lead_id, "score": 0.5})
    assert r.status_code == 200, r.text
    assert api.call("GET", f"/v1/leads/{lead_id}").json()["lead_id"] == lead_id


@given(lead_id=st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30))
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_text_id_routes_and_reads_back_or_is_422_naming_id(api: Api, lead_id: str) -> None:
    r = api.call("POST", "/v1/leads", json={"id": lead_id, "score": 0.5})
    if r.status_code != 200:
        assert error(r, 422)["field"] == "id"
        return
    kept = r.json()["lead_id"]
    assert kept == lead_id.strip()
    with api.db.read() as conn:
        stored = conn.execute(
            select(router_leads.c.lead_id).where(
                router_leads.c.tenant_id == "acme", router_leads.c.lead_id == kept
            )
        ).scalar_one()
    assert stored == kept


# -- managers, absences ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/managers/nobody", None),
        ("DELETE", "/v1/managers/nobody", None),
        ("POST", "/v1/managers/nobody/pause", None),
        ("POST", "/v1/managers/nobody/resume", None),
        ("POST", "/v1/managers/nobody/absences", {"start": "2026-01-01", "end": "2026-01-02"}),
    ],
)
def test_an_unknown_manager_is_404_naming_the_id(
    lite: Api, method: str, path: str, body: Any
) -> None:
    found = error(lite.call(method, path, json=body), 404)
    assert found["message"] == "no manager 'nobody' on the team"
    assert found["field"] == "manager_id"
    assert found["id"] == "nobody"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/leads/nolead", None),
        ("POST", "/v1/leads/nolead/events", {"type": "contacted"}),
    ],
)
def test_an_unknown_lead_is_404_naming_the_id(lite: Api, method: str, path: str, body: Any) -> None:
    found = error(lite.call(method, path, json=body), 404)
    assert found["message"] == "no lead 'nolead' was routed"
    assert found["field"] == "lead_id"
    assert found["id"] == "nolead"


def test_an_event_for_a_lead_never_routed_is_404_and_not_logged(api: Api) -> None:
    r = api.call("POST", "/v1/leads/ghost/events", json={"type": "won", "amount": 10})
    assert error(r, 404)["id"] == "ghost"
    assert not api.rows(events, lead_id="ghost")


def test_a_manager_whose_body_id_differs_from_the_path_is_422(api: Api) -> None:
    r = api.call("PUT", "/v1/managers/dave", json={"id": "eve", "max_active_leads": 3})
    found = error(r, 422)
    assert found["message"] == "the body's id 'eve' is not the path's 'dave'"
    assert (found["field"], found["id"], found["value"]) == ("id", "dave", "eve")
    for who in ("dave", "eve"):
        assert api.call("GET", f"/v1/managers/{who}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"max_active_leads": -1},
            "max_active_leads",
            "'max_active_leads' of 'dave': Input should be greater than or equal to 0, got -1",
        ),
        (
            {"max_active_leads": 2.5},
            "max_active_leads",
            "'max_active_leads' of 'dave': Input should be a valid integer, got a number with a "
            "fractional part, got 2.5",
        ),
        (
            {"max_active_leads": True},
            "max_active_leads",
            "'max_active_leads' of 'dave': must be a number, not a boolean (True)",
        ),
        ({}, "max_active_leads", "'max_active_leads' of 'dave': Field required"),
        (
            {"max_active_leads": 3, "level": "god"},
            "level",
            "'level' of 'dave': Input should be 'trainee', 'junior', 'middle' or 'senior', "
            "got 'god'",
        ),
        (
            {"max_active_leads": 3, "hours": {"timezone": "Mars/Olympus"}},
            "hours.timezone",
            "'hours.timezone' of 'dave': unknown time zone 'Mars/Olympus'",
        ),
    ],
)
def test_a_manager_of_bad_values_is_422_and_not_stored(
    lite: Api, body: dict[str, Any], field: str, message: str
) -> None:
    found = error(lite.call("PUT", "/v1/managers/dave", json=body), 422)
    assert found["message"].startswith(message)
    assert found["field"] == field
    assert lite.call("GET", "/v1/managers/dave").status_code == 404


def test_an_absence_of_days_ending_before_it_starts_is_422(api: Api) -> None:
    body = {"start": "2026-01-10", "end": "2026-01-02"}
    found = error(api.call("POST", "/v1/managers/anna/absences", json=body), 422)
    assert "absence ends (2026-01-02) before it starts (2026-01-10)" in found["message"]
    assert api.call("GET", "/v1/status").status_code == 200


def test_an_absence_ending_before_it_starts_names_the_field_and_the_manager(lite: Api) -> None:
    body = {"start": "2026-01-10", "end": "2026-01-02"}
    found = error(lite.call("POST", "/v1/managers/anna/absences", json=body), 422)
    assert found.get("field") in ("start", "end"), found
    assert found.get("id") == "anna", found


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"),
        ("2026-01-02", "2026-01-01T00:00:00Z"),
        ("2026-01-03T00:00:00+03:00", "2026-01-01"),
    ],
)
def test_an_absence_of_instants_ending_before_it_starts_is_422(
    lite: Api, start: str, end: str
) -> None:
    r = lite.call("POST", "/v1/managers/ben/absences", json={"start": start, "end": end})
    after = lite.call("GET", "/v1/status")
    # Accepted, it would stop the team: every later request is the router's 422.
    assert after.status_code == 200, f"the absence was {r.status_code}; then {after.text}"
    error(r, 422)


def test_an_absence_of_garbage_dates_is_422_naming_start(lite: Api) -> None:
    body = {"start": "garbage", "end": "2026-01-02"}
    found = error(lite.call("POST", "/v1/managers/anna/absences", json=body), 422)
    assert "Input should be a valid datetime or date" in found["message"]
    assert found["field"] == "start", found  # not pydantic's union branch 'start.datetime'


def test_an_absence_for_another_manager_than_the_path_is_422(lite: Api) -> None:
    body = {"manager_id": "ben", "start": "2026-01-01", "end": "2026-01-02"}
    found = error(lite.call("POST", "/v1/managers/anna/absences", json=body), 422)
    assert found["message"] == "the body's manager_id 'ben' is not the path's 'anna'"
    assert (found["field"], found["value"]) == ("manager_id", "ben")


def test_a_pause_reason_over_500_characters_is_422(lite: Api) -> None:
    found = error(lite.call("POST", "/v1/managers/anna/pause", json={"reason": "x" * 501}), 422)
    assert found["field"] == "reason"
    assert found["message"].startswith(
        "'reason' of 'anna': String should have at most 500 characters"
    )


# -- events ------------------------------------------------------------------------------


def test_an_event_of_unknown_type_is_422_listing_the_types(api: Api) -> None:
    api.route("l-1")
    found = error(api.call("POST", "/v1/leads/l-1/events", json={"type": "exploded"}), 422)
    assert found["message"] == (
        "'type' of 'l-1': Input should be 'contacted', 'stage', 'won', 'lost' or 'feedback', "
        "got 'exploded'"
    )
    assert (found["field"], found["value"]) == ("type", "exploded")
    found = error(api.call("POST", "/v1/events", json={"type": "boom", "client_id": "c"}), 422)
    assert found["message"] == (
        "'type': Input should be 'purchase', 'touch_planned', 'touch_done' or 'feedback', "
        "got 'boom'"
    )
    assert [e["type"] for e in api.rows(events, lead_id="l-1")] == ["created", "assigned"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/leads/l-1/events", {"type": "won", "amount": -5}),
        ("/v1/events", {"type": "purchase", "client_id": "c", "amount": -5}),
    ],
)
def test_a_negative_amount_is_422(lite: Api, path: str, body: dict[str, Any]) -> None:
    lite.route("l-1")
    found = error(lite.call("POST", path, json=body), 422)
    # a lead's event names the lead (the path's id), a client's event has none
    assert found["message"].endswith("Input should be greater than or equal to 0, got -5")
    assert found["message"].startswith("'amount'")
    assert (found["field"], found["value"]) == ("amount", -5)
    assert not lite.rows(events, type=body["type"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "feedback", "csat": 9}, "csat"),
        ({"type": "feedback", "nps": 11}, "nps"),
        ({"type": "feedback", "csat": 3.5}, "csat"),
        ({"type": "won", "amount": True}, "amount"),
        ({"type": "stage", "stage": "s" * 201}, "stage"),
        ({"type": "contacted", "at": "yesterday"}, "at"),
    ],
)
def test_an_event_of_bad_values_is_422_naming_the_field(
    lite: Api, body: dict[str, Any], field: str
) -> None:
    lite.route("l-1")
    found = error(lite.call("POST", "/v1/leads/l-1/events", json=body), 422)
    assert found["field"] == field


def test_an_event_in_the_future_is_422(api: Api) -> None:
    api.route("l-1")
    body = {"type": "contacted", "at": "2999-01-01T00:00:00Z"}
    found = error(api.call("POST", "/v1/leads/l-1/events", json=body), 422)
    assert found["field"] == "at"
    assert "the log cannot know the future" in found["message"]


def test_an_event_dated_before_its_lead_was_routed_is_422(api: Api) -> None:
    api.route("l-1")
    body = {"type": "contacted", "at": "1990-01-01T00:00:00Z"}
    r = api.call("POST", "/v1/leads/l-1/events", json=body)
    # Accepted, the lead is contacted 36 years before it arrived, and every KPI answer
    # spans weeks from 1990 on.
    assert error(r, 422)["field"] == "at"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/leads/l-1/events", {"type": "contacted", "at": "0001-01-01T00:00:00+14:00"}),
        ("/v1/leads/l-1/events", {"type": "contacted", "at": "0001-01-01T00:00:00"}),
        ("/v1/events", {"type": "touch_done", "client_id": "c", "manager_id": "anna",
                        "at": "0001-01-01T00:00:00+14:00"}),
    ],
)  # fmt: skip
def test_an_event_in_year_one_is_422_naming_at(lite: Api, path: str, body: dict[str, Any]) -> None:
    lite.route("l-1")
    assert error(lite.call("POST", path, json=body), 422)["field"] == "at"


def test_an_event_id_again_with_other_content_is_409(api: Api) -> None:
    api.route("l-1")
    first = {"type": "won", "event_id": "e-1", "amount": 5}
    assert api.call("POST", "/v1/leads/l-1/events", json=first).status_code == 201
    r = api.call("POST", "/v1/leads/l-1/events", json={**first, "amount": 6})
    found = error(r, 409)
    assert found["message"] == "event 'e-1' was recorded with other content"
    assert (found["field"], found["id"]) == ("event_id", "e-1")
    assert [e["amount"] for e in api.rows(events, event_id="e-1")] == [5]


def test_nul_in_free_text_is_stored_or_422_never_a_500(api: Api) -> None:
    api.route("l-1")
    answers = {
        f"{path} {field}": (field, api.call("POST", path, json=body))
        for path, body, field in [
            ("/v1/leads", {"id": "n-1", "score": 0.5, "source": "web\x00site"}, "source"),
            ("/v1/leads", {"id": "n-2", "score": 0.5, "segment": "s\x00"}, "segment"),
            ("/v1/leads/l-1/events", {"type": "stage", "stage": "q\x00"}, "stage"),
            ("/v1/leads/l-1/events", {"type": "lost", "reason": "r\x00"}, "reason"),
            ("/v1/managers/anna/pause", {"reason": "p\x00"}, "reason"),
            ("/v1/managers/ben/absences",
             {"start": "2026-01-01", "end": "2026-01-02", "reason": "x\x00"}, "reason"),
            ("/v1/events", {"type": "purchase", "client_id": "c", "amount": 1,
                            "event_id": "e\x00"}, "event_id"),
        ]
    }  # fmt: skip
    # PostgreSQL's text cannot hold a NUL: such text is refused up front (422), or kept.
    wrong = problems_of(
        {k: r for k, (_, r) in answers.items()},
        lambda r: r.status_code < 300 or r.status_code == 422,
    )
    assert not wrong, "\n".join(wrong)
    for field, r in answers.values():
        if r.status_code == 422:
            assert error(r, 422)["field"] == field
    assert api.call("GET", "/v1/status").status_code == 200


# -- idempotency keys --------------------------------------------------------------------


def test_an_idempotency_key_reused_with_another_body_is_409_and_routes_nothing(api: Api) -> None:
    key = {"Idempotency-Key": "req-1"}
    first = api.call("POST", "/v1/leads", json={"id": "i-1", "score": 0.5}, headers=key)
    assert first.status_code == 200, first.text
    for path, body in [
        ("/v1/leads", {"id": "i-2", "score": 0.5}),
        ("/v1/leads", {"id": "i-1", "score": 0.6}),
        ("/v1/leads/i-1/events", {"type": "contacted"}),
    ]:
        found = error(api.call("POST", path, json=body, headers=key), 409)
        assert found["message"] == (
            "Idempotency-Key 'req-1' was used for another request (another path or body); "
            "use a new key for a new request"
        )
        assert (found["field"], found["value"]) == ("Idempotency-Key", "req-1")
    assert [r["lead_id"] for r in api.rows(router_leads)] == ["i-1"]
    assert [e["type"] for e in api.rows(events, lead_id="i-1")] == ["created", "assigned"]


@pytest.mark.parametrize(
    ("key", "shown"),
    [("k" * 201, "k" * 50), ("a\tb", "a\tb"), ("", ""), ("ключ".encode(), "ÐºÐ»Ñ\x8eÑ\x87")],
)
def test_an_unusable_idempotency_key_is_400_and_routes_nothing(
    api: Api, key: Any, shown: str
) -> None:
    r = api.call(
        "POST", "/v1/leads", json={"id": "i-1", "score": 0.5}, headers={"Idempotency-Key": key}
    )
    found = error(r, 400)
    assert found["message"] == "Idempotency-Key must be 1 to 200 printable characters"
    assert found["field"] == "Idempotency-Key"
    assert found.get("value", "") == shown
    assert not api.rows(router_leads)


def test_an_idempotency_key_of_200_characters_is_used(api: Api) -> None:
    key = {"Idempotency-Key": "k" * 200}
    first = api.call("POST", "/v1/leads", json={"id": "i-1", "score": 0.5}, headers=key)
    again = api.call("POST", "/v1/leads", json={"id": "i-1", "score": 0.5}, headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()


def test_an_idempotency_key_belongs_to_its_team(api: Api) -> None:
    key = {"Idempotency-Key": "shared"}
    mine = api.call("POST", "/v1/leads", json={"id": "i-1", "score": 0.5}, headers=key)
    theirs = api.call(
        "POST", "/v1/leads", json={"id": "i-9", "score": 0.5}, headers=key, rival=True
    )
    assert mine.status_code == theirs.status_code == 200
    assert theirs.json()["lead_id"] == "i-9"
    assert theirs.json()["manager_id"] == "zed"


# -- keys and scopes ---------------------------------------------------------------------


NEEDED = "an API key is needed: 'Authorization: Bearer fl_…' (fairlead keys create)"
INVALID = "the API key is not valid (unknown, revoked or mistyped)"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, NEEDED),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, NEEDED),
        ({"Authorization": "Bearer "}, NEEDED),
        ({"Authorization": "Bearer nope"}, INVALID),
        ({"Authorization": "Bearer fl_deadbeef0000_notthesecret"}, INVALID),
        ({"Authorization": "Bearer fl_" + "a" * 40 + "_x"}, INVALID),
        ({"Authorization": "Bearer fl_a\x00b_x"}, INVALID),
        ({"X-API-Key": "fl_deadbeef0000_notthesecret"}, INVALID),
    ],
)
def test_a_missing_or_invalid_key_is_401(lite: Api, headers: dict[str, str], message: str) -> None:
    r = lite.client.get("/v1/managers", headers=headers)
    found = error(r, 401)
    assert found["message"] == message
    assert found["field"] == "Authorization"
    assert r.headers["www-authenticate"] == "Bearer"


def test_a_mistyped_key_of_the_team_is_401(api: Api) -> None:
    key = api.team.keys["admin"]
    r = api.call("GET", "/v1/managers", token=key[:-2] + ("xy" if key[-2:] != "xy" else "zz"))
    assert error(r, 401)["message"] == INVALID


def test_a_revoked_key_is_401(api: Api) -> None:
    with api.db.write() as conn:
        key_id, key = create_key(conn, "acme", "admin")
        assert revoke_key(conn, key_id)
    r = api.call("GET", "/v1/managers", token=key)
    assert error(r, 401)["message"] == INVALID
    r = api.call("POST", "/v1/leads", json={"id": "l-1", "score": 0.5}, token=key)
    error(r, 401)
    assert not api.rows(router_leads)


WRITES = [
    ("POST", "/v1/leads", {"id": "w-1", "score": 0.5}),
    ("POST", "/v1/leads/waiting/route", None),
    ("POST", "/v1/sla/reassign", None),
    ("POST", "/v1/reprice", None),
    ("PUT", "/v1/managers/dave", {"max_active_leads": 3}),
    ("DELETE", "/v1/managers/anna", None),
    ("POST", "/v1/managers/anna/pause", None),
    ("POST", "/v1/managers/anna/resume", None),
    ("POST", "/v1/managers/anna/absences", {"start": "2026-01-01", "end": "2026-01-02"}),
    ("POST", "/v1/leads/l-1/events", {"type": "contacted"}),
    ("POST", "/v1/events", {"type": "purchase", "client_id": "c", "amount": 5}),
]


def _managers(api: Api, **rival: Any) -> list[Any]:
    """The team's managers: records, hours, open leads and pauses (not the fading counts)."""
    found = api.call("GET", "/v1/managers", scope="read", **rival).json()
    return [(m["manager"], m["hours"], m["status"]["open"], m["status"]["paused"]) for m in found]


def test_a_read_key_on_a_write_route_is_403_and_changes_nothing(api: Api) -> None:
    api.route("l-1")
    before = _managers(api)
    answers = {
        f"{method} {path}": api.call(method, path, json=body, scope="read")
        for method, path, body in WRITES
    }
    refused = problems_of(answers, lambda r: r.status_code == 403)
    assert not refused, "\n".join(refused)
    for r in answers.values():
        found = error(r, 403)
        assert found["message"] == "this key may read; this request needs a write key"
        assert (found["field"], found["value"]) == ("scope", "read")
    assert _managers(api) == before
    assert [r["lead_id"] for r in api.rows(router_leads)] == ["l-1"]
    assert [e["type"] for e in api.rows(events)] == ["created", "assigned"]


@pytest.mark.parametrize(("method", "path"), [("PUT", "/v1/policy"), ("PUT", "/v1/settings")])
@pytest.mark.parametrize("scope", ["read", "write"])
def test_a_key_below_admin_on_an_admin_route_is_403(
    lite: Api, method: str, path: str, scope: str
) -> None:
    found = error(lite.call(method, path, json={}, scope=scope), 403)
    assert (found["field"], found["value"]) == ("scope", scope)
    assert found["message"].startswith(f"this key may {scope}; this request needs a")
    assert lite.call("GET", "/v1/policy", scope="read").json()["version"] == 1


def test_the_403_message_names_an_admin_key_in_english(lite: Api) -> None:
    found = error(lite.call("PUT", "/v1/policy", json={}, scope="write"), 403)
    assert found["message"] == "this key may write; this request needs an admin key"


# -- another team's key ------------------------------------------------------------------


def test_another_teams_key_cannot_see_or_change_this_teams_managers(api: Api) -> None:
    before = _managers(api)
    for method, path, body in [
        ("GET", "/v1/managers/anna", None),
        ("DELETE", "/v1/managers/anna", None),
        ("POST", "/v1/managers/anna/pause", None),
        ("POST", "/v1/managers/anna/resume", None),
        ("POST", "/v1/managers/anna/absences", {"start": "2026-01-01", "end": "2026-01-02"}),
    ]:
        found = error(api.call(method, path, json=body, rival=True), 404)
        assert found["message"] == "no manager 'anna' on the team"
    theirs = api.call("GET", "/v1/managers", rival=True).json()
    assert [m["manager"]["id"] for m in theirs] == ["zed"]
    # Their PUT makes a manager 'anna' of their own team, not a change of ours.
    r = api.call("PUT", "/v1/managers/anna", json={"max_active_leads": 1}, rival=True)
    assert r.status_code == 200, r.text
    assert _managers(api) == before
    theirs = api.call("GET", "/v1/status", rival=True).json()
    assert sorted(s["manager_id"] for s in theirs) == ["anna", "zed"]


def test_another_teams_key_cannot_see_or_change_this_teams_leads(api: Api) -> None:
    mine = api.route("l-1")
    found = error(api.call("GET", "/v1/leads/l-1", rival=True), 404)
    assert found["message"] == "no lead 'l-1' was routed"
    found = error(api.call("POST", "/v1/leads/l-1/events", json={"type": "won"}, rival=True), 404)
    assert found["id"] == "l-1"
    assert api.call("GET", "/v1/leads/waiting", rival=True).json() == []
    # Their own lead of the same id is theirs: ours stays as it was.
    theirs = api.call("POST", "/v1/leads", json={"id": "l-1", "score": 0.9}, rival=True).json()
    assert theirs["manager_id"] == "zed"
    assert theirs["replayed"] is False
    assert api.call("GET", "/v1/leads/l-1").json() == {**mine, "replayed": False}
    assert [e["type"] for e in api.rows(events, lead_id="l-1")] == ["created", "assigned"]
    assert [e["manager_id"] for e in api.rows(events, tenant="rival", type="assigned")] == ["zed"]


def test_another_teams_key_cannot_see_or_change_this_teams_policy(api: Api) -> None:
    r = api.call("PUT", "/v1/policy", json={"balance_tolerance": 0.5}, rival=True, scope="admin")
    assert r.status_code == 200, r.text
    mine = api.call("GET", "/v1/policy", scope="read").json()
    assert mine["version"] == 1
    assert mine["policy"]["balance_tolerance"] is None  # as the fixture set it
    theirs = api.call("GET", "/v1/policy/versions", rival=True).json()
    assert [v["version"] for v in theirs] == [2, 1]
    assert [v["version"] for v in api.call("GET", "/v1/policy/versions").json()] == [1]
    r = api.call("PUT", "/v1/settings", json={"sla": "PT1H"}, rival=True, scope="admin")
    assert r.status_code == 200, r.text
    assert api.call("GET", "/v1/settings").json()["sla"] is None


def test_another_teams_key_cannot_see_or_change_this_teams_events(api: Api) -> None:
    api.route("l-1")
    body = {"type": "purchase", "client_id": "c-1", "event_id": "e-1", "amount": 5}
    assert api.call("POST", "/v1/events", json=body).status_code == 201
    # The same event id in their team is another event (not a replay, not a conflict).
    r = api.call("POST", "/v1/events", json={**body, "amount": 7}, rival=True)
    assert r.status_code == 201, r.text
    assert r.json()["replayed"] is False
    assert [e["amount"] for e in api.rows(events, event_id="e-1")] == [5]
    assert [e["amount"] for e in api.rows(events, tenant="rival", event_id="e-1")] == [7]


# -- a team deleted ----------------------------------------------------------------------


ROUTES = [
    ("GET", "/v1/managers", None),
    ("GET", "/v1/managers/anna", None),
    ("PUT", "/v1/managers/anna", {"max_active_leads": 3}),
    ("DELETE", "/v1/managers/anna", None),
    ("POST", "/v1/managers/anna/pause", None),
    ("POST", "/v1/managers/anna/resume", None),
    ("POST", "/v1/managers/anna/absences", {"start": "2026-01-01", "end": "2026-01-02"}),
    ("GET", "/v1/policy", None),
    ("GET", "/v1/policy/versions", None),
    ("PUT", "/v1/policy", {}),
    ("GET", "/v1/settings", None),
    ("PUT", "/v1/settings", {}),
    ("GET", "/v1/status", None),
    ("POST", "/v1/leads", {"id": "l-2", "score": 0.5}),
    ("GET", "/v1/leads/l-1", None),
    ("GET", "/v1/leads/waiting", None),
    ("POST", "/v1/leads/waiting/route", None),
    ("POST", "/v1/assign", {"leads": [{"id": "a", "score": 0.5}]}),
    ("GET", "/v1/sla/overdue", None),
    ("POST", "/v1/sla/reassign", None),
    ("POST", "/v1/reprice", None),
    ("POST", "/v1/leads/l-1/events", {"type": "contacted"}),
    ("POST", "/v1/events", {"type": "purchase", "client_id": "c", "amount": 5}),
]


def test_after_the_team_is_deleted_its_keys_get_404_or_401_never_a_500(api: Api) -> None:
    api.route("l-1")
    with api.db.write() as conn:
        unused = create_key(conn, "acme", "admin")[1]
    for scope in ("read", "write", "admin"):  # known to the key cache of the process
        assert api.call("GET", "/v1/managers", scope=scope).status_code == 200
    with api.db.write() as conn:
        conn.execute(tenants.delete().where(tenants.c.id == "acme"))
    answers = {
        f"{method} {path}": api.call(method, path, json=body, scope="admin")
        for method, path, body in ROUTES
    }
    wrong = problems_of(answers, lambda r: r.status_code in (401, 404))
    assert not wrong, "\n".join(wrong)
    for r in answers.values():
        error(r, r.status_code)
    for method, path, body in ROUTES:  # a key never used before: gone with its team
        assert error(api.call(method, path, json=body, token=unused), 401)["message"] == INVALID
    assert api.call("GET", "/v1/managers", rival=True).status_code == 200


# -- the `at` of a request ---------------------------------------------------------------


AT_ROUTES = [
    ("GET", "/v1/managers"),
    ("GET", "/v1/managers/anna"),
    ("GET", "/v1/status"),
    ("GET", "/v1/sla/overdue"),
    ("POST", "/v1/sla/reassign"),
    ("POST", "/v1/leads/waiting/route"),
    ("POST", "/v1/reprice"),
    ("POST", "/v1/assign"),
    ("POST", "/v1/leads"),
    ("POST", "/v1/managers/anna/pause"),
    ("POST", "/v1/managers/anna/resume"),
]


def _body_of(path: str) -> Any:
    if path == "/v1/assign":
        return {"leads": [{"id": "a", "score": 0.5}]}
    if path == "/v1/leads":
        return {"id": "at-1", "score": 0.5}
    return None


@pytest.mark.parametrize("at", ["garbage", "2026-13-45T99:00", "nan", "1e308", "now", ""])
def test_garbage_at_is_422_naming_at(lite: Api, at: str) -> None:
    answers = {
        f"{method} {path}?at={at}": lite.call(method, path, params={"at": at}, json=_body_of(path))
        for method, path in AT_ROUTES
    }
    wrong = problems_of(answers, lambda r: r.status_code == 422)
    assert not wrong, "\n".join(wrong)
    for r in answers.values():
        found = error(r, 422)
        assert found["field"] == "at"
        assert found["value"] == at
        assert found["message"] == (
            f"at must be ISO 8601 text such as 2026-11-02T09:30:00+03:00, got {at!r}"
        )


@pytest.mark.parametrize(
    "at", ["0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59"]
)
def test_an_at_out_of_the_service_range_is_422_naming_at(lite: Api, at: str) -> None:
    answers = {
        f"{method} {path}?at={at}": lite.call(method, path, params={"at": at}, json=_body_of(path))
        for method, path in AT_ROUTES
    }
    wrong = problems_of(  # the field and the value as given, not the router's `now`
        answers,
        lambda r: (
            r.status_code == 422
            and (r.json()["error"].get("field"), r.json()["error"].get("value")) == ("at", at)
        ),
    )
    assert not wrong, "\n".join(wrong)


def test_a_value_is_shown_as_sent_not_as_a_python_repr(lite: Api) -> None:
    lite.route("l-1")
    answers = {
        "event at 2999": lite.call(
            "POST", "/v1/leads/l-1/events", json={"type": "won", "at": "2999-01-01T00:00:00Z"}
        ),
        "status at year 1": lite.call("GET", "/v1/status", params={"at": "0001-01-01T00:00"}),
        "settings sla 0": lite.call("PUT", "/v1/settings", json={"sla": "PT0S"}, scope="admin"),
    }
    wrong = problems_of(
        answers, lambda r: r.status_code == 422 and not re.search(r"datetime\.|TzInfo\(", r.text)
    )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("at", ["-1", "1767225600"])
def test_a_number_is_no_moment_for_at(lite: Api, at: str) -> None:
    # The time rule of fairlead.records: seconds, days or milliseconds since when?
    r = lite.call("GET", "/v1/status", params={"at": at})
    assert error(r, 422)["field"] == "at"


def test_a_lead_created_in_year_one_is_422_naming_created_at(api: Api) -> None:
    lead = {"id": "l-1", "score": 0.5, "created_at": "0001-01-01T00:00:00"}
    found = error(api.call("POST", "/v1/leads", json=lead), 422)
    assert (found["field"], found["id"]) == ("created_at", "l-1")


# -- policy and settings -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"balance_tolerance": -1},
            "balance_tolerance",
            "'balance_tolerance': Input should be greater than or equal to 0, got -1",
        ),
        (
            {"balance_tolerance": "lots"},
            "balance_tolerance",
            "'balance_tolerance': Input should be a valid number, unable to parse string as a "
            "number, got 'lots'",
        ),
        (
            {"balance_tolerance": True},
            "balance_tolerance",
            "'balance_tolerance': must be a number, not a boolean (True)",
        ),
        (
            {"target_share": "magic"},
            "target_share",
            "'target_share': Input should be 'capacity', 'equal' or 'performance', got 'magic'",
        ),
        (
            {"hot_min_level": "god"},
            "hot_min_level",
            "'hot_min_level': Input should be 'trainee', 'junior', 'middle' or 'senior', got 'god'",
        ),
        (
            {"level_factors": {"hot": {"senior": -1}}},
            "level_factors",
            "'level_factors': level_factors['hot']['senior'] must be finite and >= 0, got -1",
        ),
        (
            {"rating_weights": {"speed": 1}},
            "rating_weights",
            "'rating_weights': rating_weights names an unknown part 'speed' (the parts: plan, "
            "conversion, response, csat)",
        ),
        ({"time_limit": 0}, "time_limit", "'time_limit': Input should be greater than 0, got 0"),
        ({"colour": 1}, "colour", "'colour': Extra inputs are not permitted, got 1"),
    ],
)
def test_a_policy_of_invalid_values_is_422_naming_the_field(
    lite: Api, body: dict[str, Any], field: str, message: str
) -> None:
    found = error(lite.call("PUT", "/v1/policy", json=body, scope="admin"), 422)
    assert found["message"].startswith(message)
    assert found["field"] == field
    assert lite.call("GET", "/v1/policy/versions").json()[0]["version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"warm_threshold": 0.9, "hot_threshold": 0.5}, "warm_threshold"),
        ({"objective": "maxmin", "balance": "soft"}, "balance"),
    ],
)
def test_a_policy_breaking_a_rule_across_fields_names_a_field(
    lite: Api, body: dict[str, Any], field: str
) -> None:
    found = error(lite.call("PUT", "/v1/policy", json=body, scope="admin"), 422)
    assert found.get("field") is not None, found


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sla": "-PT1H"}, "sla"),
        ({"sla": {"hot": "PT0S"}}, "sla"),
        ({"sla": True}, "sla"),
        ({"max_hold": "PT0S"}, "max_hold"),
        ({"max_hold": False}, "max_hold"),
        ({"share_half_life": "PT0S"}, "share_half_life"),
        ({"share_half_life": "-P1D"}, "share_half_life"),
        ({"sla": {"hot": "PT1H", "HOT": "PT2H"}}, "sla"),
    ],
)
def test_settings_the_router_cannot_run_are_422_and_the_team_keeps_working(
    lite: Api, body: dict[str, Any], field: str
) -> None:
    r = lite.call("PUT", "/v1/settings", json=body, scope="admin")
    after = lite.call("POST", "/v1/leads", json={"id": "l-1", "score": 0.5})
    assert after.status_code == 200, f"settings {body} were {r.status_code}; then {after.text}"
    assert error(r, 422)["field"].startswith(field)


def test_settings_of_garbage_are_422_naming_the_field(lite: Api) -> None:
    found = error(lite.call("PUT", "/v1/settings", json={"sla": "forever"}, scope="admin"), 422)
    assert found["field"] == "sla", found  # not pydantic's union branch 'sla.timedelta'


# -- batches -----------------------------------------------------------------------------


def test_a_batch_of_an_unknown_method_is_422_naming_method(lite: Api) -> None:
    body = {"leads": [{"id": "a", "score": 0.5}], "method": "magic"}
    found = error(lite.call("POST", "/v1/assign", json=body), 422)
    assert found["message"].startswith("unknown method 'magic'; available methods: ")
    assert (found.get("field"), found.get("value")) == ("method", "magic")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"leads": []}, "leads", "'leads': List should have at least 1 item after validation"),
        (
            {"leads": [{"id": "a", "score": 0.5}, {"id": "a", "score": 0.6}]},
            "id",
            "duplicate lead id 'a' (rows 0 and 1)",
        ),
        (
            {"leads": [{"id": "a", "score": 0.5, "product": "boats"}]},
            "product",
            "lead 'a' (row 0): product 'boats' is not a skill of any manager",
        ),
    ],
)
def test_a_bad_batch_is_422_naming_the_field(
    lite: Api, body: dict[str, Any], field: str, message: str
) -> None:
    found = error(lite.call("POST", "/v1/assign", json=body), 422)
    assert found["message"].startswith(message)
    assert found["field"] == field


def test_a_lead_of_tiny_effort_is_refused(api: Api) -> None:
    # A workload below a thousandth of a lead would fit any limit's rounding.
    for effort in (1e-12, 5e-324):
        lead = {"id": f"tiny-{effort}", "score": 0.5, "effort": effort}
        for path, body in (("/v1/assign", {"leads": [lead]}), ("/v1/leads", lead)):
            found = error(api.call("POST", path, json=body), 422)
            assert found["field"].endswith("effort")
            assert "greater than or equal to 0.001" in found["message"]


# -- CORS --------------------------------------------------------------------------------


def test_no_cors_headers_by_default(lite: Api) -> None:
    origin = {"Origin": "https://evil.example"}
    preflight = lite.client.options(
        "/v1/leads", headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    r = lite.call("GET", "/v1/managers", headers=origin)
    assert r.status_code == 200
    for answer in (preflight, r):
        assert not [k for k in answer.headers if k.lower().startswith("access-control-")]
    assert preflight.status_code in (404, 405)


# -- logs --------------------------------------------------------------------------------


EMAIL = "jane.doe@example.com"
PHONE = "+7 916 123-45-67"


def test_logs_never_hold_keys_authorization_or_personal_data(api: Api, caplog: Any) -> None:
    LOGGER.addHandler(caplog.handler)
    level = LOGGER.level
    LOGGER.setLevel(logging.DEBUG)
    try:
        _send_personal_data(api)
    finally:
        LOGGER.removeHandler(caplog.handler)
        LOGGER.setLevel(level)
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    lines += [json.dumps(record.__dict__, default=str) for record in caplog.records]
    assert sum('"msg": "request"' in line for line in lines) >= 10  # the access log ran
    secrets = [*api.team.keys.values(), *api.team.other_keys.values()]
    secrets += [key.split("_", 2)[2] for key in secrets]  # fl_<id>_<secret>: the secret
    secrets += ["fl_deadbeef0000_wrongsecret", "wrongsecret", EMAIL, PHONE, "Bearer "]
    secrets += [json.dumps(EMAIL)[1:-1], json.dumps(PHONE)[1:-1]]
    leaked = sorted({s for s in secrets for line in lines if s in line})
    assert not leaked, f"in the log: {leaked}"


def _send_personal_data(api: Api) -> None:
    features = {"email": EMAIL, "phone": PHONE}
    for scope in ("read", "write", "admin"):
        api.call("GET", "/v1/managers", scope=scope)
    api.client.get("/v1/managers", headers={"X-API-Key": api.team.keys["read"]})
    api.client.get("/v1/managers", headers={"Authorization": "Bearer fl_deadbeef0000_wrongsecret"})
    api.client.get("/v1/managers", headers={"X-API-Key": "fl_deadbeef0000_wrongsecret"})
    api.call("POST", "/v1/leads", json={"id": "p-1", "score": 0.5, "features": features})
    api.call("POST", "/v1/leads", json={"id": "p-2", "score": 0.5, "features": features},
             headers={"Idempotency-Key": EMAIL})  # fmt: skip
    api.call("POST", "/v1/leads", json={"id": "p-3", "score": 2, "features": features})
    api.call("POST", "/v1/leads", json={"id": "p-4", "score": 0.5,
                                        "features": {**features, "vip": True}})  # fmt: skip
    api.call("POST", "/v1/leads", json={"id": EMAIL, "score": 0.5, "features": features})
    api.call("GET", f"/v1/leads/{EMAIL}")
    api.call("GET", "/v1/managers", params={"token": api.team.keys["read"], "email": EMAIL})
    api.call("POST", f"/v1/leads/{EMAIL}/events", json={"type": "lost", "reason": PHONE})
    # Failures inside: a database refusing a value (PostgreSQL and NUL), an internal error.
    api.call("POST", "/v1/leads", json={"id": "p-5", "score": 0.5, "source": "x\x00",
                                        "features": features})  # fmt: skip
    api.call("POST", "/v1/leads", json={"id": "p-6", "score": 0.5, "features": features,
                                        "created_at": "0001-01-01T00:00:00"})  # fmt: skip
    api.call("POST", "/v1/leads", content=b'{"id": "p-7", "features": {"email": "' +
             EMAIL.encode() + b'"}, "score": ', headers=JSON)  # fmt: skip
    api.call("POST", "/v1/leads", content=b" " * (MAX_BODY + 1), headers=JSON)


def test_an_unexpected_error_is_a_500_with_its_request_id_and_a_log_line(
    lite: Api, caplog: Any
) -> None:
    # A route that fails as no route of the service should: the guard in front of the
    # framework still gives the answer its request id, and the log its line.
    async def broken() -> None:
        raise RuntimeError("a bug")

    lite.team.app.add_api_route("/v1/broken-on-purpose", broken, methods=["GET"])
    LOGGER.addHandler(caplog.handler)
    try:
        response = lite.call("GET", "/v1/broken-on-purpose", headers={"X-Request-Id": "req-500"})
    finally:
        LOGGER.removeHandler(caplog.handler)
    found = error(response, 500)
    assert found["message"] == "internal error; nothing was saved"
    assert found["request_id"] == "req-500"
    assert "a bug" not in response.text
    # caplog may see a record twice (its own handler and the one added here): by identity.
    lines = {id(r): r for r in caplog.records if r.getMessage() == "request"}.values()
    assert [(r.status, r.request_id) for r in lines] == [(500, "req-500")]
