"""``fairlead repair-store``: a damaged router store recomputed from its decisions."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

import fairlead as fl
from fairlead.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


@pytest.fixture
def team(tmp_path: Path) -> Path:
    path = tmp_path / "managers.csv"
    path.write_text("id,max_active_leads\n" + "".join(f"m{i},60\n" for i in range(5)))
    return path


def _routed_store(path: Path, n: int) -> None:
    team = [fl.Manager(id=f"m{i}", max_active_leads=60) for i in range(5)]
    router = fl.Router(team, store=path)
    for i in range(n):
        router.route({"id": f"l{i}", "score": 0.5})
    router.close()


def test_a_store_whose_state_row_was_deleted_is_repaired(
    run: Run, team: Path, tmp_path: Path
) -> None:
    store = tmp_path / "s.db"
    _routed_store(store, 250)
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM state")
    with pytest.raises(fl.DamagedStoreError, match="fairlead repair-store STORE"):
        fl.Router([fl.Manager(id=f"m{i}", max_active_leads=60) for i in range(5)], store=store)

    code, out, err = run("repair-store", store, "--managers", team, "--dry-run")
    assert (code, err) == (0, "")
    assert out.startswith(f"{store}: would change 2 thing(s):\n- its state row was missing")
    assert "'m0' 50, 'm1' 50, 'm2' 50, 'm3' 50, 'm4' 50; 250 decision(s)" in out

    code, out, err = run("repair-store", store, "--managers", team)
    assert (code, err) == (0, "")
    assert out.startswith(f"{store}: changed 2 thing(s):")
    assert run("repair-store", store, "--managers", team) == (
        0,
        f"{store}: the books add up; nothing to repair\n",
        "",
    )
    # routing goes on, and nobody holds more than their 60
    router = fl.Router([fl.Manager(id=f"m{i}", max_active_leads=60) for i in range(5)], store=store)
    placed = [router.route({"id": f"n{i}", "score": 0.5}).manager_id for i in range(100)]
    assert sum(m is not None for m in placed) == 50
    router.close()


def test_a_file_that_is_no_store_is_refused_in_one_line(
    run: Run, team: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE foo (x)")
    before = other.read_bytes()
    code, out, err = run("repair-store", other, "--managers", team)
    assert (code, out) == (2, "")
    assert (
        err == f"fairlead: error: '{other}' is not a fairlead router store: it holds table 'foo'\n"
    )
    assert other.read_bytes() == before
