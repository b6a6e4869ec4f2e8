"""The dashboard on a real database: sign-in, sessions, and figures equal to the API's.

Every figure on the page carries ``data-metric``, ``data-manager``, ``data-period`` and
``data-value``; :func:`check_figures` finds each one's value in the API's JSON
(``/v1/kpi``, ``/v1/status``, ``/v1/sla/overdue``, ``/v1/plan``, ``/v1/alerts``) at
the same moment.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from fairlead.service import create_key, create_team, revoke_key
from fairlead.service._auth import SESSION_COOKIE
from fairlead.service._tables import sessions

#: A test client of the app with team ``acme`` and team ``rival`` (``conftest.Team``).
Team = Any
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
AT = START + timedelta(days=3, hours=2)  # Thursday 11:00 UTC: the page's moment
PLAN = [
    {"period": "2026-11", "manager_id": "anna", "revenue": 3000},
    {"period": "2026-11", "manager_id": "ben", "revenue": 2000},
    {"period": "2026-11", "manager_id": "cleo", "revenue": 1000},
]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def fill(team: Team) -> None:
    """A deadline of 10 minutes, a plan, and leads: answered and won or lost, or late."""
    client = team.client
    r = client.put("/v1/settings", json={"sla": "PT10M"}, headers=team.headers("admin"))
    assert r.status_code == 200, r.text
    r = client.put("/v1/plan", json=PLAN, headers=team.headers("write"))
    assert r.status_code == 200, r.text
    for i in range(9):
        at = START + timedelta(days=i // 3, hours=i % 3)
        lead = {"id": f"l-{i}", "score": 0.5 + 0.05 * i, "deal_value": 1000 + 100 * i}
        r = client.post("/v1/leads", json=lead, params={"at": iso(at)}, headers=team.headers())
        assert r.status_code == 200, r.text
        if i % 3 == 2:
            continue  # never answered: late by the page's moment
        events = [{"type": "contacted", "at": iso(at + timedelta(minutes=2 + 3 * i))}]
        if i % 3 == 0:
            events.append({"type": "won", "at": iso(at + timedelta(hours=1)), "amount": 700 + i})
        else:
            events.append({"type": "lost", "at": iso(at + timedelta(hours=2))})
        for event in events:
            r = client.post(f"/v1/leads/l-{i}/events", json=event, headers=team.headers())
            assert r.status_code in (200, 201), r.text
    # today's leads (Thursday): one answered, one not yet
    for i, minutes in ((9, 30), (10, 50)):
        lead = {"id": f"l-{i}", "score": 0.7, "deal_value": 2000}
        at = AT - timedelta(minutes=minutes)
        r = client.post("/v1/leads", json=lead, params={"at": iso(at)}, headers=team.headers())
        assert r.status_code == 200, r.text
    contacted = {"type": "contacted", "at": iso(AT - timedelta(minutes=20))}
    r = client.post("/v1/leads/l-9/events", json=contacted, headers=team.headers())
    assert r.status_code == 201, r.text


class _Figures(HTMLParser):
    """Every element with ``data-metric``: its attributes and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []
        self._open: list[tuple[str, dict[str, str] | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "link", "input", "br", "meter"):
            return
        given = {k: v or "" for k, v in attrs}
        entry = dict(given, text="") if "data-metric" in given else None
        if entry is not None:
            self.found.append(entry)
        self._open.append((tag, entry))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, _ = self._open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, entry in self._open:
            if entry is not None:
                entry["text"] += data


def figures(html: str) -> list[dict[str, str]]:
    parser = _Figures()
    parser.feed(html)
    return parser.found


def api_answers(client: TestClient, headers: dict[str, str], at: datetime) -> dict[str, Any]:
    """What the API says at ``at``, route by route."""

    def get(path: str, **params: Any) -> Any:
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()

    plan = client.get("/v1/plan", params={"now": iso(at)}, headers=headers)
    return {
        "day": get("/v1/kpi", period="day", now=iso(at), last=1),
        "week": get("/v1/kpi", period="week", now=iso(at), last=1),
        "status": get("/v1/status", at=iso(at)),
        "overdue": get("/v1/sla/overdue", at=iso(at)),
        "plan": plan.json() if plan.status_code == 200 else None,
        "alerts": get("/v1/alerts", now=iso(at)),
    }


def expected(figure: dict[str, str], api: dict[str, Any]) -> Any:
    """The API's value of a figure on the page."""
    metric, period = figure["data-metric"], figure["data-period"]
    manager = figure["data-manager"] or None
    if metric.startswith("status:"):
        key = metric.removeprefix("status:")
        if manager is None:
            return sum(float(s[key]) for s in api["status"])
        (row,) = [s for s in api["status"] if s["manager_id"] == manager]
        return float(row[key])
    if metric == "overdue:count":
        return len(api["overdue"])
    if metric.startswith("overdue:"):
        (row,) = [x for x in api["overdue"] if x["lead_id"] == figure["data-lead"]]
        assert row["manager_id"] == manager
        return row[metric.removeprefix("overdue:")]
    if metric.startswith("plan:"):
        facts = api["plan"]["fact"]
        (row,) = [f for f in facts if f["period"] == period and f["manager_id"] == manager]
        return row[metric.removeprefix("plan:")]
    if metric == "alerts":
        return len(api["alerts"])
    if metric == "alerts_urgent":
        return sum(a["severity"] == "high" for a in api["alerts"])
    if metric.startswith("alert:"):
        kinds = [a for a in api["alerts"] if a["manager_id"] == manager]
        kinds = [a for a in kinds if f"alert:{a['kind']}" == metric]
        return next(iter(kinds[0]["figures"].values()))
    body = api["day"] if period == api["day"]["periods"][-1] else api["week"]
    assert period == body["periods"][-1], figure
    rows = {r["manager_id"]: r for r in body["rows"]}
    if metric == "fair_leads":
        team_leads = rows[None]["leads_received"]
        return team_leads if manager is None else rows[manager]["target_share"] * team_leads
    return rows[manager][metric]


def check_figures(html: str, api: dict[str, Any]) -> list[dict[str, str]]:
    """Every figure of the page equals the API's; the figures, for more checks."""
    found = figures(html)
    assert found
    for figure in found:
        value = expected(figure, api)
        shown = float(figure["data-value"])
        if value is None:
            assert math.isnan(shown), figure
        else:
            assert shown == pytest.approx(float(value), rel=1e-12, abs=1e-12), figure
    return found


def sign_in(client: TestClient, key: str, lang: str = "en") -> Any:
    return client.post("/login", data={"key": key, "lang": lang}, follow_redirects=False)


# ----------------------------------------------------------------------- the figures


def test_every_figure_equals_the_api(team: Team) -> None:
    fill(team)
    r = sign_in(team.client, team.keys["read"])
    assert r.status_code == 303
    page = team.client.get("/", params={"at": iso(AT)})
    assert page.status_code == 200, page.text
    assert '<meta http-equiv="refresh" content="60">' in page.text  # a live page
    api = api_answers(team.client, team.headers("read"), AT)
    found = check_figures(page.text, api)
    metrics = {f["data-metric"] for f in found}
    for needed in (
        "leads_received",
        "fair_leads",
        "leads_vs_target",
        "leads_waiting",
        "response_p50",
        "response_p90",
        "sla_share_fast",
        "status:open",
        "status:capacity",
        "overdue:count",
        "overdue:overdue_minutes",
        "plan:won",
        "plan:expected",
        "alerts",
    ):
        assert needed in metrics, needed
    assert any(m.startswith("alert:") for m in metrics)
    # the late leads are those of /v1/sla/overdue, most overdue first
    late = [f["data-lead"] for f in found if f["data-metric"] == "overdue:overdue_minutes"]
    listed = [x["lead_id"] for x in api["overdue"]]
    assert listed
    assert late[1:] == listed  # the first is the headline card's longest wait
    # today's leads as the table shows them, as text too
    today = {f["data-manager"]: f["text"] for f in found if f["data-metric"] == "leads_received"}
    day = {r["manager_id"] or "": r["leads_received"] for r in api["day"]["rows"]}
    assert {k: float(v) for k, v in today.items()} == {k: day[k] for k in today}
    assert day[""] == 2


def test_the_russian_page(sqlite_team: Team) -> None:
    team = sqlite_team
    fill(team)
    r = team.client.get("/", params={"at": iso(AT), "lang": "ru"}, headers=team.headers("read"))
    assert r.status_code == 200
    page = r.text
    assert '<html lang="ru">' in page
    assert "Отдел продаж сегодня" in page
    assert "Лиды получено" in page  # the KPI's own Russian name
    assert "Время первого ответа, медиана" in page
    assert "Просрочен первый контакт" in page
    for english in ("Log out", "Open leads now", "Leads today", "Plan and fact", "Manager"):
        assert english not in page
    api = api_answers(team.client, team.headers("read"), AT)
    check_figures(page, api)
    for alert in api["alerts"]:
        assert (
            alert["message"]["ru"].replace("\u00a0", "&nbsp;") in page.replace("\u00a0", "&nbsp;")
            or alert["message"]["ru"] in page
        )


def test_a_team_without_events_or_managers_still_has_a_page(sqlite_team: Team) -> None:
    team = sqlite_team
    r = team.client.get("/", headers=team.headers("read"))
    assert r.status_code == 200
    assert "Sales team today" in r.text
    assert "No sales plan has been set yet." in r.text
    later = [{"period": "2099-01", "revenue": 1000}]
    assert team.client.put("/v1/plan", json=later, headers=team.headers()).status_code == 200
    r = team.client.get("/", headers=team.headers("read"))
    assert "The sales plan starts with January 2099" in r.text
    check_figures(r.text, api_answers(team.client, team.headers("read"), datetime.now(UTC)))
    db = team.app.state.service.db
    with db.write() as conn:
        create_team(conn, "empty")
        key = create_key(conn, "empty", "read")[1]
    r = team.client.get("/", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert "has no managers yet" in r.text


def test_names_from_the_crm_are_text(sqlite_team: Team) -> None:
    team = sqlite_team
    evil = {"name": "<script>alert(1)</script>", "max_active_leads": 2}
    r = team.client.put("/v1/managers/m-x", json=evil, headers=team.headers())
    assert r.status_code == 200, r.text
    page = team.client.get("/", headers=team.headers("read")).text
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_page_queries(sqlite_team: Team) -> None:
    team = sqlite_team
    fill(team)
    r = team.client.get("/", params={"lang": "de"}, headers=team.headers("read"))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "lang"
    r = team.client.get("/", params={"at": "soon"}, headers=team.headers("read"))
    assert r.status_code == 422
    # a moment before the log's last event: said in words on a page, not a 500
    r = team.client.get("/", params={"at": iso(START)}, headers=team.headers("read"))
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    assert "cannot know the future" in r.text


# ----------------------------------------------------------------------- signing in


def test_signing_in_with_a_key_opens_a_session(sqlite_team: Team) -> None:
    client = sqlite_team.client
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?lang=en"
    form = client.get("/login?lang=ru")
    assert form.status_code == 200
    assert 'type="password"' in form.text
    assert "Вход в панель отдела продаж" in form.text
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store"
    r = sign_in(client, "fl_nope_wrong")
    assert r.status_code == 401
    assert "not valid" in r.text
    r = sign_in(client, "")
    assert r.status_code == 422
    r = sign_in(client, sqlite_team.keys["write"], "ru")
    assert r.status_code == 303
    assert r.headers["location"] == "/?lang=ru"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
    page = client.get("/")
    assert page.status_code == 200
    assert "Sales team today" in page.text
    assert client.get("/login", follow_redirects=False).status_code == 303
    # the cookie's value is stored hashed only
    token = client.cookies[SESSION_COOKIE]
    with sqlite_team.app.state.service.db.read() as conn:
        stored = conn.execute(select(sessions.c.token_sha256)).scalars().all()
    assert token not in stored
    assert stored


def test_the_cookie_is_secure_over_https(sqlite_team: Team) -> None:
    client = TestClient(sqlite_team.app, base_url="https://testserver")
    r = sign_in(client, sqlite_team.keys["read"])
    assert r.status_code == 303
    assert "Secure" in r.headers["set-cookie"]


def test_a_wall_screen_opens_by_a_read_key_in_the_link(sqlite_team: Team) -> None:
    client = sqlite_team.client
    r = client.get(
        "/", params={"token": sqlite_team.keys["read"], "lang": "ru"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/?lang=ru"  # the key leaves the address
    assert r.headers["referrer-policy"] == "same-origin"
    assert "HttpOnly" in r.headers["set-cookie"]
    assert client.get("/?lang=ru").status_code == 200
    client.cookies.clear()
    r = client.get("/", params={"token": sqlite_team.keys["admin"]}, follow_redirects=False)
    assert r.status_code == 403  # a key that may change things does not go in a link
    assert "set-cookie" not in r.headers
    r = client.get("/", params={"token": "fl_abc_def"}, follow_redirects=False)
    assert r.status_code == 401


def test_a_revoked_keys_session_stops_working(sqlite_team: Team) -> None:
    client = sqlite_team.client
    key = sqlite_team.keys["read"]
    assert sign_in(client, key).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200
    with sqlite_team.app.state.service.db.write() as conn:
        assert revoke_key(conn, key.removeprefix("fl_").split("_")[0])
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")


def test_logging_out_ends_the_session(sqlite_team: Team) -> None:
    client = sqlite_team.client
    assert sign_in(client, sqlite_team.keys["read"]).status_code == 303
    token = client.cookies[SESSION_COOKIE]
    r = client.post("/logout", data={"lang": "ru"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?lang=ru"
    assert f'{SESSION_COOKIE}=""' in r.headers["set-cookie"]
    with sqlite_team.app.state.service.db.read() as conn:
        assert conn.execute(select(sessions)).first() is None
    client.cookies.set(SESSION_COOKIE, token)  # the old cookie, replayed
    assert client.get("/", follow_redirects=False).status_code == 303


def test_forms_from_another_site_are_refused(sqlite_team: Team) -> None:
    client = sqlite_team.client
    foreign = {"Origin": "https://evil.example"}
    r = client.post(
        "/login", data={"key": sqlite_team.keys["read"]}, headers=foreign, follow_redirects=False
    )
    assert r.status_code == 403
    assert "set-cookie" not in r.headers
    same = {"Origin": "http://testserver"}
    r = client.post(
        "/login", data={"key": sqlite_team.keys["read"]}, headers=same, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post("/logout", headers=foreign, follow_redirects=False)
    assert r.status_code == 403
    fetched = {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"}
    r = client.post("/logout", headers=fetched, follow_redirects=False)
    assert r.status_code == 403
    null = {"Origin": "null"}
    assert client.post("/logout", headers=null, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200


def test_another_teams_key_shows_only_its_own_team(team: Team) -> None:
    fill(team)
    client = team.client
    assert sign_in(client, team.other_keys["read"]).status_code == 303
    page = client.get("/", params={"at": iso(AT)}).text
    assert "rival" in page
    assert "Anna" not in page
    assert "l-10" not in page
    found = figures(page)
    assert {f["data-manager"] for f in found} <= {"", "zed"}
    rival = {"Authorization": f"Bearer {team.other_keys['read']}"}
    check_figures(page, api_answers(client, rival, AT))


def test_the_crm_section_shows_the_outbox_and_tries_the_failed_writes_again(
    sqlite_team: Team,
) -> None:
    from fairlead.connectors import InboundEvent
    from fairlead.service._crm_store import (
        inbox_counts,
        keep_events,
        outbox_counts,
        queue_owner,
        save_connection,
    )
    from fairlead.service._tables import crm_inbox, crm_outbox

    client, db = sqlite_team.client, sqlite_team.app.state.service.db
    assert sign_in(client, sqlite_team.keys["read"]).status_code == 303
    assert 'id="crm"' not in client.get("/").text  # no CRM connected: no section
    settings = {"webhook_url": "http://127.0.0.1:9/rest/1/code/", "application_token": "t"}
    with db.write() as conn:
        save_connection(conn, "acme", "bitrix24", settings, {}, None)
        for lead in ("1", "2", "3"):
            queue_owner(conn, "acme", "bitrix24", lead, "anna")
        conn.execute(
            crm_outbox.update()
            .where(crm_outbox.c.crm_lead_id.in_(("1", "2")))
            .values(status="failed", error="ACCESS_DENIED: no rights to change the lead")
        )
        counts = outbox_counts(conn, "acme", "bitrix24")
        events = [InboundEvent(kind="added", crm_lead_id=str(n), key=f"e{n}") for n in (7, 8, 9)]
        keep_events(conn, "acme", "bitrix24", events)
        unread = "bitrix24: SOURCE_ID of lead 7 is EMAIL, not one of the mapped values"
        conn.execute(
            crm_inbox.update()
            .where(crm_inbox.c.crm_lead_id.in_(("7", "8", "9")))
            .values(status="failed", error=unread)
        )
        assert inbox_counts(conn, "acme", "bitrix24")["failed"] == 3
    page = client.get("/").text
    boxes = ("outbox:", "inbox:")
    shown = {f["data-metric"]: f for f in figures(page) if f["data-metric"].startswith(boxes)}
    assert {m: float(f["data-value"]) for m, f in shown.items()} == {
        "outbox:pending": counts["pending"],
        "outbox:failed": 2.0,
        "outbox:sent": counts["sent"],
        "inbox:failed": 3.0,
    }
    assert "Last failure (bitrix24): ACCESS_DENIED: no rights to change the lead" in page
    assert f"Last lead not taken (bitrix24): {unread}" in page
    assert "A key that may write is needed to try again." in page  # a read key: no button
    assert client.post("/crm/bitrix24/retry", data={"lang": "en"},
                       follow_redirects=False).status_code == 403  # fmt: skip
    # With a write key: the button, and it queues them again.
    client.post("/logout", data={"lang": "en"})
    assert sign_in(client, sqlite_team.keys["write"], "ru").status_code == 303
    page = client.get("/?lang=ru").text
    assert 'action="/crm/bitrix24/retry"' in page
    assert "Повторить неудачные (bitrix24)" in page
    foreign = {"Origin": "https://evil.example"}
    r = client.post("/crm/bitrix24/retry", data={"lang": "ru"}, headers=foreign,
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403
    r = client.post("/crm/bitrix24/retry", data={"lang": "ru"}, follow_redirects=False)
    assert r.status_code == 303
    with db.read() as conn:
        assert outbox_counts(conn, "acme", "bitrix24")["failed"] == 0
        assert inbox_counts(conn, "acme", "bitrix24")["failed"] == 0
