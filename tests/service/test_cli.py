"""The service's commands: keys shown once and stored hashed, teams, schema, a real server."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fairlead.cli import main
from fairlead.service import Database, head


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_key_is_shown_once_and_only_its_hash_is_kept(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    code, out, _ = run(capsys, "teams", "create", "acme", "--database-url", url)
    assert code == 0
    assert "team 'acme' created with 0 manager(s)" in out
    code, out, _ = run(capsys, "keys", "create", "--team", "acme", "--scope", "read",
                       "--label", "wall", "--database-url", url)  # fmt: skip
    key = out.strip()
    assert code == 0
    assert key.startswith("fl_")
    key_id, secret = key[3:].split("_", 1)
    db = Database(url)
    with db.read() as conn:
        stored = conn.exec_driver_sql("SELECT id, secret_sha256, scope FROM api_keys").all()
    db.dispose()
    assert stored == [(key_id, hashlib.sha256(secret.encode()).hexdigest(), "read")]
    assert secret not in (tmp_path / "f.db").read_bytes().decode("latin-1")
    code, out, _ = run(capsys, "keys", "list", "--database-url", url)
    assert key_id in out
    assert "wall" in out
    assert secret not in out
    code, out, _ = run(capsys, "keys", "revoke", key_id, "--database-url", url)
    assert code == 0
    assert f"key {key_id} revoked" in out
    code, _, err = run(capsys, "keys", "revoke", key_id, "--database-url", url)
    assert code == 2
    assert f"no key '{key_id}' that is not revoked already" in err


def test_a_team_from_files(tmp_path, capsys):
    managers = tmp_path / "managers.csv"
    managers.write_text("id,level,max_active_leads,skills\nm1,senior,5,loans\nm2,junior,3,\n")
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"balance_tolerance": 0.3}))
    url = f"sqlite:///{tmp_path / 'f.db'}"
    code, out, _ = run(capsys, "teams", "create", "north", "--timezone", "Asia/Novosibirsk",
                       "--managers", str(managers), "--policy", str(policy),
                       "--database-url", url)  # fmt: skip
    assert code == 0
    assert "with 2 manager(s)" in out
    code, out, _ = run(capsys, "teams", "list", "--database-url", url)
    assert out.split() == ["north"]
    code, _, err = run(capsys, "teams", "create", "north", "--database-url", url)
    assert code == 2
    assert "team 'north' already exists" in err
    code, _, err = run(capsys, "teams", "create", "bad id!", "--database-url", url)
    assert code == 2
    assert "team id must be 1 to 64 letters" in err


def test_schema_commands_and_bad_urls(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    code, _, err = run(capsys, "db", "check", "--database-url", url)
    assert code == 2
    assert "no fairlead tables yet" in err
    code, out, _ = run(capsys, "db", "upgrade", "--database-url", url)
    assert code == 0
    assert f"schema upgraded from nothing to {head()}" in out
    code, out, _ = run(capsys, "db", "check", "--database-url", url)
    assert code == 0
    assert f"schema current ({head()})" in out
    code, _, err = run(capsys, "db", "check", "--database-url", "mysql://root@x/db")
    assert code == 2
    assert "database URL must be sqlite:///<file> or postgresql://" in err
    monkeypatch.setenv("FAIRLEAD_DATABASE_URL", "oracle://x")
    code, _, err = run(capsys, "db", "check")
    assert code == 2
    assert "(from FAIRLEAD_DATABASE_URL)" in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_server_routes_and_stops_gracefully(tmp_path, capsys):
    """``fairlead serve`` with no configuration: the demo team; SIGTERM ends it cleanly."""
    port = _free_port()
    env = {**os.environ, "FAIRLEAD_PORT": str(port), "FAIRLEAD_SWEEP_EVERY": "0"}
    env.pop("FAIRLEAD_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "fairlead", "serve"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            assert time.monotonic() < deadline, "the server did not get ready"
            time.sleep(0.2)
        code = subprocess.run(
            [sys.executable, "-m", "fairlead", "keys", "create", "--team", "demo"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        key = code.stdout.strip()
        r = httpx.post(
            f"{base}/v1/leads",
            json={"id": "web-1", "score": 0.7, "product": "loans"},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert r.status_code == 200
        assert r.json()["manager_id"]
        server.send_signal(signal.SIGTERM)
        # uvicorn finishes the requests in flight, runs the shutdown, then ends by the
        # signal it caught (as a process stopped by SIGTERM does).
        assert server.wait(timeout=30) == -signal.SIGTERM
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log = server.stderr.read() if server.stderr else ""
        if server.stderr:
            server.stderr.close()
    assert "Application shutdown complete." in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    requests = [x for x in lines if x["msg"] == "request" and x.get("path") == "/v1/leads"]
    assert requests
    assert requests[0]["status"] == 200
    assert requests[0]["team"] == "demo"
    assert key not in log
    assert key.split("_", 2)[2] not in log  # the secret
    assert (Path(tmp_path) / "fairlead.db").exists()


@pytest.mark.parametrize("flag", ["--port", "--workers"])
def test_bad_flags_are_one_line(capsys, flag):
    code, _, err = run(capsys, "serve", flag, "-3")
    assert code == 2
    assert err.count("\n") == 1
    assert "service setting" in err
