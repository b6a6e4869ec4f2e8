"""The KPI API: its figures are ``fairlead.kpi``'s on the team's own log, for its team only.

The log is made the way a CRM makes it: leads routed through ``POST /v1/leads`` and
what happened to them reported through ``POST /v1/leads/{id}/events``. The expected
figures come from the KPI functions on the log the database holds.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import fairlead as fl
from fairlead import kpi
from fairlead.service._event_log import read_log

#: The managers of the tests' team ``acme`` (``conftest.TEAM``).
TEAM = [
    {"id": "anna", "name": "Anna", "level": "senior", "max_active_leads": 3,
     "skills": ["loans", "cards"]},
    {"id": "ben", "name": "Ben", "level": "middle", "max_active_leads": 3, "skills": ["loans"]},
    {"id": "cleo", "name": "Cleo", "level": "junior", "max_active_leads": 2, "skills": ["cards"]},
]  # fmt: skip
#: A test client of the app with team ``acme`` and team ``rival`` (``conftest.Team``).
Team = Any

#: A Monday: the leads come in over two weeks from here.
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
#: The moment every figure is taken.
NOW = START + timedelta(days=9, hours=8)
PLAN = [
    {"period": "2026-11", "manager_id": "anna", "revenue": 3000},
    {"period": "2026-11", "manager_id": "ben", "revenue": 2000},
    {"period": "2026-12", "manager_id": None, "revenue": 6000},
]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def fill(team: Team) -> None:
    """Twelve leads over nine days: contacted, won, lost or left waiting; client ratings."""
    client = team.client
    for i in range(12):
        at = START + timedelta(days=i * 0.75, minutes=7 * i)
        lead = {"id": f"l-{i}", "score": 0.3 + 0.05 * i, "deal_value": 1000 + 250 * i}
        r = client.post("/v1/leads", json=lead, params={"at": iso(at)}, headers=team.headers())
        assert r.status_code == 200, r.text
        if r.json()["manager_id"] is None:
            continue
        events: list[dict[str, Any]] = []
        if i % 4 != 3:  # every fourth lead is never contacted
            events.append({"type": "contacted", "at": iso(at + timedelta(minutes=3 + 4 * i))})
        if i % 3 == 0:
            events.append({"type": "won", "at": iso(at + timedelta(hours=5)), "amount": 900 + i})
        elif i % 3 == 1:
            events.append({"type": "lost", "at": iso(at + timedelta(hours=6)), "reason": "price"})
        if i % 2 == 0:
            events.append(
                {"type": "feedback", "at": iso(at + timedelta(hours=7)), "csat": 3 + i % 3}
            )
        for event in events:
            r = client.post(f"/v1/leads/l-{i}/events", json=event, headers=team.headers())
            assert r.status_code in (200, 201), r.text


def the_log(team: Team) -> kpi.EventLog:
    """The team's KPI log, as the database holds it."""
    db = team.app.state.service.db
    with db.read() as conn:
        return read_log(conn, team.tenant)


def expected_kpis(team: Team, period: str) -> kpi.Kpis:
    managers = [fl.Manager(**m) for m in TEAM]
    return kpi.compute(the_log(team), period, now=NOW, managers=managers, timezone="UTC")


def same(api: Any, value: Any) -> bool:
    """A JSON figure equals a function's: null is NaN (no data), dates are ISO text."""
    if isinstance(value, float) and math.isnan(value):
        return api is None
    if hasattr(value, "isoformat"):
        return bool(api == value.isoformat())
    return bool(api == value)


def get(team: Team, path: str, scope: str = "read", **params: Any) -> Any:
    r = team.client.get(path, params=params, headers=team.headers(scope))
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.parametrize("period", ["day", "week", "month"])
def test_kpis_equal_compute_on_the_same_log(team: Team, period: str) -> None:
    fill(team)
    body = get(team, "/v1/kpi", period=period, now=iso(NOW))
    kpis = expected_kpis(team, period)
    expected = kpis.to_records()
    assert body["period"] == period
    assert body["periods"] == [d.isoformat() for d in kpis.periods.dates()]
    assert [m["id"] for m in body["managers"]] == list(kpis.manager_ids)
    assert list(body["metrics"]) == list(kpis.metrics)
    assert len(body["rows"]) == len(expected)
    for got, want in zip(body["rows"], expected, strict=True):
        for name, value in want.items():
            assert same(got[name], value), (got["period"], got["manager_id"], name)
    assert any(r["won"] for r in body["rows"])  # the log has something to say


def test_filters_and_explanations(sqlite_team: Team) -> None:
    team = sqlite_team
    fill(team)
    body = get(
        team,
        "/v1/kpi",
        now=iso(NOW),
        metric=["response_p50", "revenue"],
        manager_id="anna",
        last=1,
    )
    kpis = expected_kpis(team, "week")
    assert body["periods"] == [kpis.periods.dates()[-1].isoformat()]
    assert [(r["manager_id"], sorted(r)) for r in body["rows"]] == [
        ("anna", ["manager_id", "period", "response_p50", "revenue"])
    ]
    (row,) = body["rows"]
    assert same(row["revenue"], kpis.value("revenue", "anna"))
    assert same(row["response_p50"], kpis.value("response_p50", "anna"))
    for name in ("response_p50", "revenue"):
        metric = kpis.describe(name)
        about = body["metrics"][name]
        assert about["unit"] == metric.unit
        assert about["label"] == {"en": metric.label("en"), "ru": metric.label("ru")}
        assert about["explain"] == {"en": metric.explain("en"), "ru": metric.explain("ru")}


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"metric": "speed"}, 422, "metric"),
        ({"manager_id": "zoe"}, 404, "manager_id"),
        ({"period": "year"}, 422, "period"),
        ({"now": "yesterday"}, 422, "now"),
        ({"since": "2026-13-01"}, 422, "since"),
        ({"last": 0}, 422, "last"),
        ({"now": "2026-11-23T09:00:00Z"}, 422, "now"),  # before the log's last event
        ({"since": "2027-06-01", "now": iso(NOW)}, 422, "since"),  # after now
        ({"since": "1975-01-01", "period": "day", "now": iso(NOW)}, 422, "since"),  # too wide
        ({"now": "9999-12-31T00:00:00"}, 422, "now"),
    ],
)
def test_bad_queries_are_4xx_json_naming_the_field(
    sqlite_team: Team, params: dict[str, Any], status: int, field: str
) -> None:
    fill(sqlite_team)
    r = sqlite_team.client.get("/v1/kpi", params=params, headers=sqlite_team.headers("read"))
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["field"] == field
    shown = next(iter(params.values()))
    if field in ("metric", "manager_id", "period"):
        assert repr(shown) in error["message"] or str(shown) in error["message"]


def test_an_empty_log_gives_empty_figures(team: Team) -> None:
    body = get(team, "/v1/kpi")
    assert [m["id"] for m in body["managers"]] == ["anna", "ben", "cleo"]
    team_rows = [r for r in body["rows"] if r["manager_id"] is None]
    assert len(team_rows) == 1
    assert team_rows[0]["leads_received"] == 0
    assert team_rows[0]["response_p50"] is None
    assert get(team, "/v1/alerts") == []
    rating = get(team, "/v1/rating")
    assert [r["manager_id"] for r in rating["rows"]] == ["anna", "ben", "cleo"]
    assert all(r["score"] is None for r in rating["rows"])
    r = team.client.get("/v1/plan", headers=team.headers("read"))
    assert r.status_code == 404
    assert "PUT /v1/plan" in r.json()["error"]["message"]
    r = team.client.put("/v1/plan", json=PLAN[2:], headers=team.headers("write"))
    assert r.status_code == 200, r.text
    plan = get(team, "/v1/plan")
    assert next((f["manager_id"], f["won"]) for f in plan["fact"]) == (None, 0.0)


def test_plan_versions_breakdown_and_fact_equal_the_functions(team: Team) -> None:
    fill(team)
    r = team.client.put("/v1/plan", json=PLAN[:1], headers=team.headers("write"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    r = team.client.put("/v1/plan", json=PLAN, headers=team.headers("admin"))
    assert r.json()["version"] == 2
    assert r.json()["rows"] == [
        {**row, "revenue": float(row["revenue"])}  # type: ignore[arg-type]
        for row in PLAN
    ]
    body = get(team, "/v1/plan", now=iso(NOW))
    assert body["version"] == 2
    kpis = expected_kpis(team, "week")
    managers = [fl.Manager(**m) for m in TEAM]
    broken = kpi.decompose(
        kpi.SalesPlan.from_records(PLAN),
        kpis,
        managers=managers,
        policy=fl.Policy(balance_tolerance=None),
    )
    want = broken.to_records()
    assert len(body["decomposition"]) == len(want)
    for got, row in zip(body["decomposition"], want, strict=True):
        for name, value in row.items():
            assert same(got[name], value), name
    facts = {(f["period"], f["manager_id"]): f for f in body["fact"]}
    for chain in broken.chains:
        fact = facts[(chain.period, chain.manager_id)]
        assert fact["plan"] == chain.revenue
        if chain.check is not None:
            assert fact["state"] == chain.check.state
            assert fact["won"] == chain.check.won
            assert fact["expected"] == chain.check.expected
            assert fact["text"]["ru"] == chain.check.text("ru")
    assert {f["state"] for f in body["fact"]} == {"past", "current"}


@pytest.mark.parametrize(
    ("rows", "field", "words"),
    [
        ([{"period": "2026-11", "revenue": -5}], "0.revenue", "plan row 0"),
        (
            [{"period": "2026-11", "revenue": 5}, {"period": "2026-11-25", "revenue": 5}],
            "1.period",
            "Wednesday",
        ),
        ([{"period": "2026-11", "manager_id": "zoe", "revenue": 5}], "0.manager_id", "'zoe'"),
        ([{"period": "2026-11", "revenue": 5, "target": 1}], "0.target", "not a column"),
        (
            [
                {"period": "2026-11", "revenue": 10},
                {"period": "2026-11", "manager_id": "anna", "revenue": 4},
            ],
            "0.revenue",
            "differ by",
        ),
        ([], "period", "no rows"),
        ([{"period": "2026-11", "revenue": {"rub": 5}}], "0.revenue", "text, a number or null"),
    ],
)
def test_bad_plan_rows_are_422_naming_row_field_value(
    sqlite_team: Team, rows: list[dict[str, Any]], field: str, words: str
) -> None:
    r = sqlite_team.client.put("/v1/plan", json=rows, headers=sqlite_team.headers("write"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert words in error["message"]
    assert (
        sqlite_team.client.get("/v1/plan", headers=sqlite_team.headers("read")).status_code == 404
    )


def test_plan_needs_a_write_key_and_a_list(sqlite_team: Team) -> None:
    client = sqlite_team.client
    r = client.put("/v1/plan", json=PLAN, headers=sqlite_team.headers("read"))
    assert r.status_code == 403
    r = client.put("/v1/plan", json={"rows": PLAN}, headers=sqlite_team.headers("write"))
    assert r.status_code == 422
    broken = sqlite_team.headers("write", **{"Content-Type": "application/json"})
    r = client.put("/v1/plan", content=b"[{", headers=broken)
    assert r.status_code == 400


def test_rating_and_alerts_equal_the_functions(team: Team) -> None:
    fill(team)
    team.client.put("/v1/plan", json=PLAN, headers=team.headers("write"))
    kpis = expected_kpis(team, "week")
    managers = [fl.Manager(**m) for m in TEAM]
    policy = fl.Policy(balance_tolerance=None)
    plan = kpi.SalesPlan.from_records(PLAN)
    rated = kpi.rating(kpis, plan, policy=policy, managers=managers)
    body = get(team, "/v1/rating", now=iso(NOW))
    assert [r["manager_id"] for r in body["rows"]] == [r.manager_id for r in rated.rows]
    for got, want in zip(body["rows"], rated.to_records(), strict=True):
        for name, value in want.items():
            assert same(got[name], value), name
    found = kpi.alerts(kpis, plan, policy=policy, managers=managers)
    alerts = get(team, "/v1/alerts", now=iso(NOW))
    assert found  # the never-contacted leads wait
    assert [a["message"] for a in alerts] == [
        {"en": a.message("en"), "ru": a.message("ru")} for a in found
    ]
    assert [a["lead_ids"] for a in alerts] == [list(a.lead_ids) for a in found]


def test_another_teams_key_sees_only_its_own_team(team: Team) -> None:
    fill(team)
    team.client.put("/v1/plan", json=PLAN, headers=team.headers("write"))
    rival = {"Authorization": f"Bearer {team.other_keys['admin']}"}
    r = team.client.get("/v1/kpi", params={"now": iso(NOW)}, headers=rival)
    assert r.status_code == 200
    body = r.json()
    assert body["team"] == "rival"
    assert [m["id"] for m in body["managers"]] == ["zed"]
    assert all(row["leads_received"] == 0 for row in body["rows"])
    r = team.client.get("/v1/kpi", params={"manager_id": "anna"}, headers=rival)
    assert r.status_code == 404
    assert team.client.get("/v1/plan", headers=rival).status_code == 404
    assert team.client.get("/v1/alerts", params={"now": iso(NOW)}, headers=rival).json() == []
    # the rival's plan is its own; it cannot name this team's managers
    r = team.client.put("/v1/plan", json=PLAN[:1], headers=rival)
    assert r.status_code == 422
    assert get(team, "/v1/plan", now=iso(NOW))["version"] == 1


@pytest.mark.parametrize("path", ["/v1/kpi", "/v1/plan", "/v1/rating", "/v1/alerts"])
def test_no_key_no_figures(sqlite_team: Team, path: str) -> None:
    r = sqlite_team.client.get(path)
    assert r.status_code == 401
    assert r.json()["error"]["field"] == "Authorization"
