"""Files out that cannot hurt: never over an input, no formulas in CSV, nothing half-written."""

import csv
import io
import json
import os
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from fairlead.app import render_records, write_records
from fairlead.app._files import defuse, same_file
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
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's leads, managers and policy in tmp_path/x; tmp_path is the working folder."""
    monkeypatch.chdir(tmp_path)
    x = tmp_path / "x"
    x.mkdir()
    data = resources.files("fairlead.datasets")
    for name in ("demo_leads.csv", "demo_managers.csv", "demo_policy.json"):
        text = data.joinpath(name).read_text(encoding="utf-8")
        (x / name.removeprefix("demo_")).write_text(text)
    return x


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


INPUTS = ["--leads", "x/leads.csv", "--managers", "x/managers.csv", "--policy", "x/policy.json"]


# ------------------------------------------------------------ --out is one of the inputs


@pytest.mark.parametrize("option", ["leads", "managers", "policy"])
def test_out_equal_to_an_input_is_refused(run: Run, folder: Path, option: str) -> None:
    before = contents(folder)
    path = INPUTS[INPUTS.index(f"--{option}") + 1]
    code, out, err = run("assign", *INPUTS, "--out", path)
    assert (code, out) == (2, "")
    assert err == (
        f"fairlead: error: --out and --{option} name the same file {path!r}; "
        "write the plan to another file\n"
    )
    assert contents(folder) == before


def test_out_spelled_another_way_is_refused(run: Run, folder: Path) -> None:
    before = contents(folder)
    code, _, err = run("assign", *INPUTS, "--out", "./x/../x/leads.csv")
    assert code == 2
    assert err == (
        "fairlead: error: --out './x/../x/leads.csv' is the same file as --leads "
        "'x/leads.csv'; write the plan to another file\n"
    )
    assert contents(folder) == before


def test_out_through_a_symbolic_link_to_an_input_is_refused(run: Run, folder: Path) -> None:
    os.symlink("x/managers.csv", "team.csv")
    before = contents(folder)
    code, _, err = run("assign", *INPUTS, "--out", "team.csv")
    assert code == 2
    assert "--out 'team.csv' is the same file as --managers 'x/managers.csv'" in err
    assert contents(folder) == before


def test_an_input_through_a_symbolic_link_to_out_is_refused(run: Run, folder: Path) -> None:
    os.symlink("x/leads.csv", "leads-link.csv")
    args = ["--managers", "x/managers.csv", "--leads", "leads-link.csv"]
    code, _, err = run("assign", *args, "--out", "x/leads.csv")
    assert code == 2
    assert "--out 'x/leads.csv' is the same file as --leads 'leads-link.csv'" in err


def test_out_as_a_hard_link_to_an_input_is_refused(run: Run, folder: Path) -> None:
    os.link("x/leads.csv", "copy.csv")
    before = contents(folder)
    code, _, err = run("assign", *INPUTS, "--out", "copy.csv")
    assert code == 2
    assert "--out 'copy.csv' is the same file as --leads 'x/leads.csv'" in err
    assert contents(folder) == before


def test_out_next_to_the_inputs_is_fine(run: Run, folder: Path) -> None:
    code, _, err = run("assign", *INPUTS, "--out", "x/plan.csv")
    assert (code, err) == (0, "")
    assert (folder / "plan.csv").read_text().startswith("lead_id,")


def test_same_file() -> None:
    assert same_file("a/b.csv", "a/./c/../b.csv")
    assert not same_file("a/b.csv", "a/b.json")


def test_same_file_of_a_loop_of_links(tmp_path: Path) -> None:
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    assert same_file(tmp_path / "a", tmp_path / "a")
    assert not same_file(tmp_path / "a", tmp_path / "c")


# ------------------------------------------------------------- writing, atomically


def test_a_symbolic_link_out_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n")
    link = tmp_path / "plan.csv"
    os.symlink(target, link)
    write_records(link, [{"lead_id": "l-1"}])
    assert link.is_symlink()
    assert target.read_text() == "lead_id\nl-1\n"
    assert sorted(os.listdir(tmp_path)) == ["plan.csv", "real.csv"]


# ---------------------------------------------------------------- formula injection

HOSTILE = ["=HYPERLINK(1)", "+1", "-x", "@SUM(1)", "\tx", "\rx"]


def parse_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_cell_that_starts_a_formula_gets_a_quote(text: str) -> None:
    rendered = render_records([{"lead_id": text, "expected_value": -0.5}], "csv")
    assert parse_csv(rendered) == [["lead_id", "expected_value"], ["'" + text, "-0.5"]]


def test_plain_text_and_numbers_are_unchanged() -> None:
    records = [
        {"lead_id": "l-1", "score": -0.5, "n": -3, "name": "a=b", "when": None},
        {"lead_id": "x-", "score": 1e-9, "n": 0, "name": "Ann @ home", "when": None},
    ]
    assert parse_csv(render_records(records, "csv")) == [
        ["lead_id", "score", "n", "name", "when"],
        ["l-1", "-0.5", "-3", "a=b", ""],
        ["x-", "1e-09", "0", "Ann @ home", ""],
    ]


def test_numbers_from_numpy_stay_numbers() -> None:
    rendered = render_records([{"v": np.float64(-0.5), "k": np.int64(-2)}], "csv")
    assert rendered == "v,k\n-0.5,-2\n"


def test_text_that_looks_like_a_negative_number_is_still_text() -> None:
    # The rule is on the type: an id is text, whatever it looks like.
    assert render_records([{"lead_id": "-5"}], "csv") == "lead_id\n'-5\n"


def test_json_output_is_never_escaped() -> None:
    records = [{"lead_id": text, "expected_value": -0.5} for text in HOSTILE]
    assert json.loads(render_records(records, "json")) == records


def test_a_carriage_return_inside_a_cell_is_quoted() -> None:
    rendered = render_records([{"lead_id": "a\rb", "manager_id": "m"}], "csv")
    assert rendered == 'lead_id,manager_id\n"a\rb",m\n'
    assert parse_csv(rendered) == [["lead_id", "manager_id"], ["a\rb", "m"]]


def test_a_lone_empty_cell_is_not_a_blank_line() -> None:
    assert parse_csv(render_records([{"manager_id": None}], "csv")) == [["manager_id"], [""]]


def test_defuse() -> None:
    assert [defuse(t) for t in HOSTILE] == ["'" + t for t in HOSTILE]
    assert defuse("") == ""
    assert defuse(" =1") == " =1"


def test_hostile_ids_and_names_end_to_end(run: Run, folder: Path) -> None:
    leads = ["id,score,product", *(f"{lead},0.5,cards" for lead in HOSTILE[:4])]
    (folder / "hostile.csv").write_text("\n".join(leads) + "\n")
    team = [{"id": "m-1", "name": "\tBoss", "skills": "cards", "max_active_leads": 10}]
    (folder / "team.json").write_text(json.dumps(team))
    argv = ["assign", "--leads", "x/hostile.csv", "--managers", "x/team.json"]

    assert run(*argv, "--out", "plan.csv")[0] == 0
    rows = parse_csv(Path("plan.csv").read_text())
    header, body = rows[0], rows[1:]
    assert [r[header.index("lead_id")] for r in body] == ["'" + t for t in HOSTILE[:4]]
    assert {r[header.index("manager_name")] for r in body} == {"'\tBoss"}

    assert run(*argv, "--out", "plan.json")[0] == 0
    plan = json.loads(Path("plan.json").read_text())
    assert [r["lead_id"] for r in plan] == HOSTILE[:4]
    assert {r["manager_name"] for r in plan} == {"\tBoss"}
