"""Databases for the service's tests: a SQLite file, and a real PostgreSQL.

PostgreSQL comes from ``FAIRLEAD_TEST_DATABASE_URL`` when set (``.ci/run`` sets it to
the machine's server), otherwise from a throwaway cluster started with the
PostgreSQL binaries on PATH (``initdb``, ``pg_ctl``); the tests that need it are
skipped, saying why, only when neither exists. Each test gets a database of its own
(``CREATE DATABASE``), dropped afterwards, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

ENV = "FAIRLEAD_TEST_DATABASE_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _throwaway_cluster(workdir: Path) -> tuple[str | None, str, list[str]]:
    """Start a cluster from the binaries on PATH: (url, why not, command to stop it)."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb is None or pg_ctl is None:
        return None, f"{ENV} is not set and initdb / pg_ctl are not on PATH", []
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            return None, "running as root without runuser to start PostgreSQL as postgres", []
        prefix = [runuser, "-u", "postgres", "--"]
        workdir.chmod(0o777)
    data = workdir / "data"
    port = _free_port()
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-U", "postgres", "-A", "trust"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [
                *prefix, pg_ctl, "-D", str(data), "-w", "-l", str(workdir / "log"), "-o",
                f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not start a throwaway PostgreSQL: {exc}", []
    stop = [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"]
    return f"postgresql://postgres@127.0.0.1:{port}/postgres", "", stop


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create databases on."""
    given = os.environ.get(ENV)
    stop: list[str] = []
    workdir = None
    if given:
        url = given
    else:
        workdir = Path(tempfile.mkdtemp(prefix="fairlead-pg-"))
        found, why, stop = _throwaway_cluster(workdir)
        if found is None:
            pytest.skip(why)
        url = found
    try:
        with psycopg.connect(_plain(url), connect_timeout=5):
            pass
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at {url} cannot be reached: {exc}")
    yield url
    if stop:
        subprocess.run(stop, capture_output=True, timeout=60, check=False)
    if workdir is not None:
        shutil.rmtree(workdir, ignore_errors=True)


def _plain(url: str) -> str:
    """A URL psycopg takes (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"fairlead_test_{uuid.uuid4().hex[:12]}"
    admin = _plain(postgres_server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fairlead.db'}"
    return str(request.getfixturevalue("postgres_url"))


# -- a running app with a team and keys ----------------------------------------------------


@dataclass
class Team:
    """A test client of an app with one team, its keys, and a second team for isolation."""

    client: object
    app: object
    tenant: str
    keys: dict[str, str] = field(default_factory=dict)
    other_keys: dict[str, str] = field(default_factory=dict)

    def headers(self, scope: str = "write", **more: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[scope]}", **more}


TEAM = [
    {"id": "anna", "name": "Anna", "level": "senior", "max_active_leads": 3,
     "skills": ["loans", "cards"]},
    {"id": "ben", "name": "Ben", "level": "middle", "max_active_leads": 3, "skills": ["loans"]},
    {"id": "cleo", "name": "Cleo", "level": "junior", "max_active_leads": 2, "skills": ["cards"]},
]  # fmt: skip


def make_team(database_url: str) -> Iterator[Team]:
    """An app on ``database_url`` with team ``acme`` (:data:`TEAM`) and team ``rival``."""
    from fastapi.testclient import TestClient

    import fairlead as fl
    from fairlead.service import ServiceConfig, create_app, create_key, create_team

    config = ServiceConfig(database_url=database_url, demo=False, sweep_every=0, reprice_every=0)
    app = create_app(config)
    with TestClient(app) as client:
        db = app.state.service.db
        team = Team(client=client, app=app, tenant="acme")
        with db.write() as conn:
            create_team(
                conn,
                "acme",
                managers=[fl.Manager(**m) for m in TEAM],
                policy=fl.Policy(balance_tolerance=None),
            )
            create_team(conn, "rival", managers=[fl.Manager(id="zed", max_active_leads=9)])
            for scope in ("read", "write", "admin"):
                team.keys[scope] = create_key(conn, "acme", scope)[1]
                team.other_keys[scope] = create_key(conn, "rival", scope)[1]
        yield team
        db.dispose()


@pytest.fixture
def team(database_url: str) -> Iterator[Team]:
    """The app with its teams on SQLite and on PostgreSQL."""
    yield from make_team(database_url)


@pytest.fixture
def sqlite_team(tmp_path: Path) -> Iterator[Team]:
    """The app with its teams on SQLite only (for checks that do not depend on it)."""
    yield from make_team(f"sqlite:///{tmp_path / 'fairlead.db'}")


@pytest.fixture
def sqlite_team_pair(tmp_path: Path) -> Iterator[tuple[Team, Team]]:
    """Two apps, each with the teams of :func:`make_team`, on SQLite files of their own."""
    first = make_team(f"sqlite:///{tmp_path / 'first.db'}")
    second = make_team(f"sqlite:///{tmp_path / 'second.db'}")
    yield next(first), next(second)
    for made in (first, second):
        with pytest.raises(StopIteration):
            next(made)
