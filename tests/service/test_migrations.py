"""The Alembic migrations create exactly the tables the service uses, on both databases."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

from fairlead.service import (
    Database,
    ServiceConfig,
    StartupError,
    create_app,
    head,
    schema_problem,
    upgrade,
)
from fairlead.service._tables import metadata


def test_the_migrations_build_the_schema_of_the_code(database_url):
    db = Database(database_url)
    try:
        assert "no fairlead tables yet" in (schema_problem(db) or "")
        assert upgrade(db) == (None, head())
        assert upgrade(db) == (head(), head())  # twice is harmless
        assert schema_problem(db) is None
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        db.dispose()


def test_a_service_refuses_to_start_on_a_schema_it_does_not_know(tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    config = ServiceConfig(database_url=url, migrate=False, sweep_every=0, reprice_every=0)
    app = create_app(config)
    with (
        pytest.raises(StartupError, match="no fairlead tables yet: run `fairlead db upgrade`"),
        TestClient(app),
    ):
        pass
    db = Database(url)
    upgrade(db)
    with db.write() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    app = create_app(config)
    with (
        pytest.raises(StartupError, match="revision '9999', newer than this fairlead knows"),
        TestClient(app),
    ):
        pass
    db.dispose()


def test_readiness_says_why_the_database_is_not_ready(tmp_path):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    config = ServiceConfig(database_url=url, sweep_every=0, reprice_every=0)
    with TestClient(create_app(config)) as client:
        assert client.get("/readyz").status_code == 200
        db = client.app.state.service.db
        with db.write() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0000'")
        r = client.get("/readyz")
        assert r.status_code == 503
        assert "schema revision '0000'" in r.json()["reason"]


def test_the_default_database_gets_the_demo_team(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = ServiceConfig(sweep_every=0, reprice_every=0)
    assert config.with_demo
    with TestClient(create_app(config)) as client:
        db = client.app.state.service.db
        with db.read() as conn:
            teams = [r[0] for r in conn.exec_driver_sql("SELECT id FROM tenants")]
            managers = conn.exec_driver_sql("SELECT count(*) FROM managers").scalar_one()
            logged = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
        assert teams == ["demo"]
        assert managers == 8
        assert logged > 10_000
    assert (tmp_path / "fairlead.db").exists()


def test_the_waiting_queue_and_the_overdue_leads_are_read_through_their_own_index(database_url):
    """The minute's sweep reads the waiting queue under the team's turn: it must not walk
    every open lead (a team whose deals take weeks has thousands)."""
    from sqlalchemy import insert

    from fairlead.service._router_store import _OVERDUE, _WAITING
    from fairlead.service._tables import router_leads, tenants

    db = Database(database_url)
    row = {"tenant_id": "t", "kind": "routed", "value": 0.5, "price": 0.0, "reason": "",
           "routed_at": 0.0, "reassignments": 0, "lead": "{}", "work": 1.0}  # fmt: skip
    open_leads = [
        {**row, "lead_id": f"open-{i}", "seq": i, "manager_id": "m", "due_at": 1e9 + i}
        for i in range(3000)
    ]
    waiting = [
        {**row, "lead_id": f"wait-{i}", "seq": 5000 + i, "manager_id": None, "due_at": None}
        for i in range(3)
    ]
    try:
        upgrade(db)
        with db.write() as conn:
            conn.execute(insert(tenants).values(id="t", name="t", timezone="UTC", revision=1,
                                                settings="{}", created_at=0.0))  # fmt: skip
            conn.execute(insert(router_leads), open_leads + waiting)
            conn.exec_driver_sql("ANALYZE")
        explain = "EXPLAIN" if db.dialect == "postgresql" else "EXPLAIN QUERY PLAN"
        with db.read() as conn:
            # Through an index that finds the waiting leads (no manager) or the ones
            # not contacted yet, not through the one of every open lead.
            for statement, params, indexes in (
                (_WAITING, {"tenant": "t"}, ("ix_router_leads_waiting", "ix_router_leads_manager")),
                (_OVERDUE, {"tenant": "t", "ts": 100.0}, ("ix_router_leads_uncontacted",)),
            ):
                bound = statement.params(params).compile(
                    conn, compile_kwargs={"literal_binds": True}
                )
                plan = " ".join(map(str, conn.exec_driver_sql(f"{explain} {bound}").all()))
                assert any(index in plan for index in indexes), plan
            found = conn.execute(_WAITING, {"tenant": "t"}).all()
            assert [r.lead_id for r in found] == ["wait-0", "wait-1", "wait-2"]
    finally:
        db.dispose()


def test_a_database_of_the_first_schema_is_upgraded_with_its_data(database_url):
    from alembic import command
    from sqlalchemy import insert, select

    from fairlead.service._migrations import _config
    from fairlead.service._tables import tenants

    db = Database(database_url)
    try:
        with db.write() as conn:
            command.upgrade(_config(conn), "0001")
            conn.execute(insert(tenants).values(id="t", name="Team", timezone="UTC", revision=3,
                                                settings="{}", created_at=0.0))  # fmt: skip
        assert "run `fairlead db upgrade`" in (schema_problem(db) or "")
        assert upgrade(db) == ("0001", head())
        assert schema_problem(db) is None
        with db.read() as conn:
            assert conn.execute(select(tenants.c.name, tenants.c.revision)).all() == [("Team", 3)]
    finally:
        db.dispose()
