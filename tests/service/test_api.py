"""The service's API on a real database (SQLite and PostgreSQL): what each route does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from fairlead.service._tables import events, router_leads

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def at(minutes: float = 0) -> dict[str, str]:
    return {"at": (T0 + timedelta(minutes=minutes)).isoformat()}


def route(team, lead, minutes=0, **headers):
    return team.client.post(
        "/v1/leads", json=lead, params=at(minutes), headers=team.headers(**headers)
    )


def rows(team, table, **where):
    db = team.app.state.service.db
    query = select(table).where(table.c.tenant_id == team.tenant)
    for name, value in where.items():
        query = query.where(table.c[name] == value)
    with db.read() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def test_a_lead_goes_to_the_best_manager_with_the_reason(team):
    r = route(team, {"id": "l-1", "score": 0.9, "product": "loans"})
    assert r.status_code == 200
    body = r.json()
    assert body["manager_id"] == "anna"  # senior, qualified for loans, hot lead
    assert body["status"] == "assigned"
    assert body["replayed"] is False
    assert body["runner_up_id"] == "ben"
    assert "best value" in body["reason"]
    assert body["at"].startswith("2026-11-02T09:00:00")
    # The KPI log has the lead's creation and its assignment.
    logged = {e["type"]: e for e in rows(team, events, lead_id="l-1")}
    assert set(logged) == {"created", "assigned"}
    assert logged["assigned"]["manager_id"] == "anna"
    assert logged["created"]["product"] == "loans"
    assert logged["created"]["score"] == 0.9


def test_the_same_lead_again_is_its_first_decision(team):
    first = route(team, {"id": "l-1", "score": 0.9}).json()
    again = route(team, {"id": "l-1", "score": 0.1}, minutes=5).json()
    assert again == {**first, "replayed": True}
    assert len(rows(team, router_leads)) == 1
    assert len(rows(team, events, type="assigned")) == 1


def test_an_idempotency_key_replays_the_first_answer_exactly(team):
    lead = {"id": "l-9", "score": 0.4}
    first = route(team, lead, **{"Idempotency-Key": "req-1"})
    again = route(team, lead, minutes=3, **{"Idempotency-Key": "req-1"})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    other = route(team, {"id": "l-10", "score": 0.4}, **{"Idempotency-Key": "req-1"})
    assert other.status_code == 409
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert "used for another request" in other.json()["error"]["message"]
    assert len(rows(team, router_leads)) == 1  # the refused request routed nothing


def test_a_lead_nobody_can_take_waits_and_is_placed_when_a_slot_frees(team):
    # cards: anna (3) and cleo (2) -> five slots
    for i in range(5):
        assert route(team, {"id": f"c{i}", "score": 0.2, "product": "cards"}).json()["manager_id"]
    r = route(team, {"id": "c5", "score": 0.2, "product": "cards"})
    assert r.json()["status"] == "waiting"
    assert r.json()["manager_id"] is None
    assert team.client.get("/v1/leads/waiting", headers=team.headers("read")).json() == ["c5"]
    holder = team.client.get("/v1/leads/c0", headers=team.headers("read")).json()["manager_id"]
    won = team.client.post(
        "/v1/leads/c0/events",
        json={"type": "won", "amount": 1500, "at": (T0 + timedelta(minutes=10)).isoformat()},
        headers=team.headers(),
    )
    assert won.status_code == 201
    assert won.json()["manager_id"] == holder
    placed = team.client.post(
        "/v1/leads/waiting/route", params=at(11), headers=team.headers()
    ).json()
    assert [d["lead_id"] for d in placed] == ["c5"]
    assert placed[0]["manager_id"] == holder
    assert team.client.get("/v1/leads/waiting", headers=team.headers("read")).json() == []
    closed = rows(team, events, lead_id="c0", type="won")
    assert closed[0]["amount"] == 1500
    assert closed[0]["manager_id"] == holder


def test_status_counts_open_leads_against_capacity(team):
    for i in range(4):
        route(team, {"id": f"l{i}", "score": 0.5, "product": "loans"})
    status = {s["manager_id"]: s for s in team.client.get(
        "/v1/status", params=at(1), headers=team.headers("read")).json()}  # fmt: skip
    assert sum(s["open"] for s in status.values()) == 4
    assert status["anna"]["capacity"] == 3
    assert status["cleo"]["open"] == 0
    assert all(s["open"] <= s["capacity"] for s in status.values())


def test_events_by_id_are_kept_once(team):
    route(team, {"id": "l-1", "score": 0.9})
    body = {"type": "stage", "stage": "meeting", "event_id": "crm-77", "at": T0.isoformat()}
    first = team.client.post("/v1/leads/l-1/events", json=body, headers=team.headers())
    again = team.client.post("/v1/leads/l-1/events", json=body, headers=team.headers())
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["replayed"]
    changed = team.client.post(
        "/v1/leads/l-1/events", json={**body, "stage": "proposal"}, headers=team.headers()
    )
    assert changed.status_code == 409
    assert changed.json()["error"]["id"] == "crm-77"
    assert len(rows(team, events, event_id="crm-77")) == 1


def test_an_event_for_a_lead_never_routed_is_404(team):
    r = team.client.post("/v1/leads/ghost/events", json={"type": "won"}, headers=team.headers())
    assert r.status_code == 404
    assert r.json()["error"] == {
        "status": 404,
        "message": "no lead 'ghost' was routed",
        "field": "lead_id",
        "id": "ghost",
        "request_id": r.headers["x-request-id"],
    }


def test_client_events_go_to_the_kpi_log(team):
    r = team.client.post(
        "/v1/events",
        json={"type": "purchase", "client_id": "c-1", "amount": 300, "manager_id": "ben"},
        headers=team.headers(),
    )
    assert r.status_code == 201
    assert rows(team, events, client_id="c-1")[0]["amount"] == 300


def test_contact_stops_the_sla_clock_and_late_leads_are_reassigned(team):
    with team.app.state.service.db.write() as conn:
        conn.exec_driver_sql(
            'UPDATE tenants SET settings = \'{"sla": "PT30M"}\', revision = revision + 1 '
            "WHERE id = 'acme'"
        )
    route(team, {"id": "l-1", "score": 0.9, "product": "loans"})
    route(team, {"id": "l-2", "score": 0.8, "product": "loans"})
    team.client.post(
        "/v1/leads/l-2/events",
        json={"type": "contacted", "at": (T0 + timedelta(minutes=5)).isoformat()},
        headers=team.headers(),
    )
    late = team.client.get("/v1/sla/overdue", params=at(45), headers=team.headers("read")).json()
    assert [x["lead_id"] for x in late] == ["l-1"]
    assert late[0]["overdue_minutes"] == pytest.approx(15)
    moved = team.client.post("/v1/sla/reassign", params=at(45), headers=team.headers()).json()
    assert moved[0]["lead_id"] == "l-1"
    assert moved[0]["kind"] == "reassigned"
    assert moved[0]["previous_manager_id"] == "anna"
    assigned = rows(team, events, lead_id="l-1", type="assigned")
    assert [a["manager_id"] for a in sorted(assigned, key=lambda a: a["at"])] == [
        "anna",
        moved[0]["manager_id"],
    ]


def test_managers_join_change_pause_and_leave(team):
    h = team.headers()
    r = team.client.put(
        "/v1/managers/dina",
        json={"name": "Dina", "level": "senior", "max_active_leads": 5, "skills": ["loans"],
              "hours": {"timezone": "Europe/Moscow", "week": {"mon-sun": "00:00-24:00"}}},
        headers=h,
    )  # fmt: skip
    assert r.status_code == 200
    assert r.json()["hours"]["timezone"] == "Europe/Moscow"
    listed = team.client.get("/v1/managers", headers=team.headers("read")).json()
    assert [m["manager"]["id"] for m in listed] == ["anna", "ben", "cleo", "dina"]
    assert team.client.post("/v1/managers/anna/pause", json={"reason": "training"},
                            params=at(), headers=h).status_code == 204  # fmt: skip
    got = route(team, {"id": "l-1", "score": 0.9, "product": "loans"}).json()["manager_id"]
    assert got == "dina"  # anna paused, dina the other senior
    paused = team.client.get("/v1/managers/anna", headers=team.headers("read")).json()
    assert paused["status"]["paused"] is True
    assert team.client.post("/v1/managers/anna/resume", params=at(1), headers=h).status_code == 204
    assert team.client.delete("/v1/managers/dina", headers=h).status_code == 204
    assert team.client.get("/v1/managers/dina", headers=h).status_code == 404
    # dina's decision stays on record
    assert team.client.get("/v1/leads/l-1", headers=h).json()["manager_id"] == "dina"


def test_an_absence_keeps_leads_away_from_the_manager(team):
    r = team.client.post(
        "/v1/managers/anna/absences",
        json={"start": "2026-11-01", "end": "2026-11-05", "reason": "vacation"},
        headers=team.headers(),
    )
    assert r.status_code == 201
    assert (
        route(team, {"id": "l-1", "score": 0.9, "product": "loans"}).json()["manager_id"] == "ben"
    )


def test_the_policy_is_versioned_and_only_an_admin_changes_it(team):
    got = team.client.get("/v1/policy", headers=team.headers("read")).json()
    assert got["version"] == 1
    assert got["policy"]["balance_tolerance"] is None
    denied = team.client.put("/v1/policy", json={"balance_tolerance": 0.1}, headers=team.headers())
    assert denied.status_code == 403
    r = team.client.put(
        "/v1/policy", json={"balance_tolerance": 0.1}, headers=team.headers("admin")
    )
    assert r.status_code == 200
    assert r.json()["version"] == 2
    versions = team.client.get("/v1/policy/versions", headers=team.headers("read")).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[0]["created_by"].startswith("key ")


def test_a_batch_is_planned_under_the_policy(team):
    leads = [{"id": f"b{i}", "score": s, "product": "loans"} for i, s in enumerate([0.9, 0.5, 0.1])]
    r = team.client.post("/v1/assign", json={"leads": leads}, headers=team.headers("read"))
    assert r.status_code == 200, r.text
    plan = r.json()
    assert {a["lead_id"] for a in plan["assignments"]} == {"b0", "b1", "b2"}
    assert plan["assignments"][0]["manager_id"] == "anna"
    assert plan["policy_version"] == 1
    assert plan["unassigned"] == []
    assert rows(team, router_leads) == []  # a plan is not a decision


def test_reprice_gives_each_manager_a_price(team):
    for i in range(6):
        route(team, {"id": f"l{i}", "score": 0.1 * i, "product": "loans"})
    prices = team.client.post("/v1/reprice", params=at(10), headers=team.headers()).json()
    assert set(prices) == {"anna", "ben", "cleo"}


def test_a_key_sees_only_its_own_team(team):
    route(team, {"id": "secret-lead", "score": 0.9})
    rival = {"Authorization": f"Bearer {team.other_keys['admin']}"}
    assert team.client.get("/v1/leads/secret-lead", headers=rival).status_code == 404
    managers = team.client.get("/v1/managers", headers=rival).json()
    assert [m["manager"]["id"] for m in managers] == ["zed"]
    # the rival's lead with the same id is another lead
    theirs = team.client.post("/v1/leads", json={"id": "secret-lead", "score": 0.2}, headers=rival)
    assert theirs.json()["manager_id"] == "zed"
    assert theirs.json()["replayed"] is False
    ours = team.client.get("/v1/leads/secret-lead", headers=team.headers("read")).json()
    assert ours["manager_id"] == "anna"


def test_health_readiness_and_metrics(team):
    assert team.client.get("/healthz").json() == {"status": "ok"}
    ready = team.client.get("/readyz").json()
    assert ready["status"] == "ready"
    route(team, {"id": "l-1", "score": 0.9})
    text = team.client.get("/metrics").text
    assert 'fairlead_decisions_total{outcome="assigned"} 1.0' in text
    assert 'route="/v1/leads"' in text
    assert team.client.get("/openapi.json").json()["info"]["title"] == "fairlead"


def test_the_scheduler_places_waiting_leads_and_one_process_reprices(team):
    from fairlead.service._lifecycle import Scheduler
    from fairlead.service._service import Service

    service = team.app.state.service
    for i in range(6):  # cards: five slots, so one waits
        route(team, {"id": f"c{i}", "score": 0.2, "product": "cards"})
    team.client.post("/v1/leads/c0/events", json={"type": "lost"}, headers=team.headers())
    busy = service.config.model_copy(update={"sweep_every": 60.0, "reprice_every": 3600.0})
    first = Scheduler(Service(config=busy, db=service.db, routers=service.routers))
    first.tick()
    assert team.client.get("/v1/leads/waiting", headers=team.headers("read")).json() == []
    assert (
        'fairlead_waiting_leads{team="acme"} 0.0' in first.service.metrics.exposition()[0].decode()
    )
    with service.db.read() as conn:
        repriced = conn.exec_driver_sql("SELECT id, repriced_at FROM tenants ORDER BY id").all()
    assert all(at is not None for _, at in repriced)
    # Another process in the same hour finds the turn taken.
    from fairlead.service._reprice import take_turn

    assert not take_turn(service, "acme", 3600.0)
    assert take_turn(service, "acme", 0.0)


@pytest.mark.parametrize(
    ("path", "body", "scope", "field"),
    [
        (
            "/v1/managers/anna/absences",
            {"start": "2026-11-05T10:00:00", "end": "2026-11-01T10:00:00"},
            "write",
            None,
        ),
        ("/v1/settings", {"max_hold": "PT0S"}, "admin", "max_hold"),
    ],
)
def test_a_change_no_router_can_run_is_refused_and_nothing_is_stored(
    team, path, body, scope, field
):
    before = team.client.get("/v1/settings", headers=team.headers("read")).json()
    method = team.client.post if path.endswith("absences") else team.client.put
    r = method(path, json=body, headers=team.headers(scope))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"].startswith("the team's setup would not work")
    assert team.client.get("/v1/settings", headers=team.headers("read")).json() == before
    # the team still routes
    assert route(team, {"id": "l-1", "score": 0.9}).status_code == 200


def test_a_policy_too_large_to_compute_with_is_refused(team):
    r = team.client.put(
        "/v1/managers/dina",
        json={"max_active_leads": 5, "planned_touches": 3},
        headers=team.headers(),
    )
    assert r.status_code == 200
    r = team.client.put("/v1/policy", json={"touch_load": 8.9e307}, headers=team.headers("admin"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "policy"
    assert "too large to compute with" in r.json()["error"]["message"]
    assert team.client.get("/v1/policy", headers=team.headers("read")).json()["version"] == 1
