"""``fairlead report`` and the report at the end of ``fairlead demo``."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from fairlead.cli import main
from fairlead.datasets import demo_path

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The demo quarter's event log (its first five weeks) and sales plan, and the team."""
    folder = tmp_path / "in"
    folder.mkdir()
    lines = demo_path("demo_events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [lines[0], *(line for line in lines[1:] if line.split(",")[2] < "2026-10-05")]
    (folder / "events.csv").write_text("".join(kept), encoding="utf-8")
    shutil.copy(demo_path("demo_sales_plan.csv"), folder / "plan.csv")
    shutil.copy(demo_path("demo_managers.csv"), folder / "managers.csv")
    shutil.copy(demo_path("demo_policy.json"), folder / "policy.json")
    return folder


def one_line_error(err: str, message: str) -> None:
    assert err.count("\n") == 1, err
    assert err.startswith("fairlead: error: "), err
    assert message in err, err


def test_report(run: Run, files: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    code, printed, err = run(
        "report",
        "--events", files / "events.csv",
        "--plan", files / "plan.csv",
        "--managers", files / "managers.csv",
        "--policy", files / "policy.json",
        "--out", out,
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert printed == f"wrote the report to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert "Anna Petrova (m-1)" in html  # names from --managers
    assert "by week" in html


def test_report_in_russian_by_month_in_a_time_zone(run: Run, files: Path, tmp_path: Path) -> None:
    out = tmp_path / "отчёт.html"
    code, _, err = run(
        "report",
        "--events", files / "events.csv",
        "--lang", "ru",
        "--period", "month",
        "--timezone", "Europe/Moscow",
        "--now", "2026-10-05T12:00:00Z",
        "--out", out,
    )  # fmt: skip
    assert (code, err) == (0, "")
    html = out.read_text(encoding="utf-8")
    assert '<html lang="ru">' in html
    assert "по месяцам" in html
    assert "5 октября 2026, 15:00 (время Europe/Moscow)" in html  # now, on the team's clock


def test_report_since(run: Run, files: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    argv = ["--events", files / "events.csv", "--since", "2026-09-14", "--out", out]
    code, _, err = run("report", *argv)
    assert (code, err) == (0, "")
    html = out.read_text(encoding="utf-8")
    assert 'data-period="2026-09-14"' in html
    assert 'data-period="2026-09-07"' not in html
    assert 'data-metric="retention_touched"' in html


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--out", "r.html"], "the following arguments are required: --events"),
        (["report", "--events", "e.csv"], "the following arguments are required: --out"),
        (
            ["report", "--events", "e.csv", "--out", "r.html", "--period", "year"],
            "argument --period: invalid choice: 'year'",
        ),
        (
            ["report", "--events", "e.csv", "--out", "r.html", "--lang", "de"],
            "argument --lang: invalid choice: 'de'",
        ),
    ],
)
def test_usage_errors(run: Run, argv: list[str], message: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert re.fullmatch(r"fairlead report: error: .*\(see 'fairlead report --help'\)\n", err)
    assert message in err


def test_bad_inputs_are_one_line_each(run: Run, files: Path, tmp_path: Path) -> None:
    events = files / "events.csv"
    out = tmp_path / "r.html"
    cases = [
        (["--events", tmp_path / "nope.csv", "--out", out], "nope.csv: no such file"),
        (["--events", events, "--out", tmp_path / "r.csv"], "name it with .html"),
        (["--events", events, "--out", events], "--out and --events name the same file"),
        (
            ["--events", events, "--plan", files / "plan.csv", "--out", files / "plan.csv"],
            "--out and --plan name the same file",
        ),
        (["--events", events, "--timezone", "Mars/Olympus", "--out", out], "IANA time zone"),
        (["--events", events, "--now", "2026-09-01", "--out", out], "is after now"),
        (["--events", events, "--since", "2026-10-06", "--out", out], "since (2026-10-06"),
        (["--events", events, "--since", "soon", "--out", out], "since must be a datetime"),
        (["--events", events, "--out", tmp_path / "no" / "r.html"], "does not exist"),
    ]
    for argv, message in cases:
        code, printed, err = run("report", *argv)
        assert (code, printed) == (2, ""), (argv, err)
        one_line_error(err, message)
    assert not out.exists()
    assert events.read_text(encoding="utf-8").startswith("event_id,type,at")


def test_a_bad_row_is_named(run: Run, files: Path, tmp_path: Path) -> None:
    events = files / "events.csv"
    with events.open("a", encoding="utf-8") as f:
        f.write("e-x,feedback,2026-10-01T10:00:00Z,l-0001,,,,,,,,,,,,,,,7,,\n")
    code, _, err = run("report", "--events", events, "--out", tmp_path / "r.html")
    assert code == 2
    one_line_error(err, "events.csv, line ")
    assert "column 'csat': must be a whole number from 1 to 5, got '7'" in err


def test_the_demo_ends_with_the_report(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    code, printed, err = run("demo", "--report", out)
    assert (code, err) == (0, "")
    lines = printed.splitlines()
    assert lines[-1] == f"report: {out}"
    assert (
        "Report on the same team's quarter (31 Aug - 27 Nov 2026; 13265 events from 04" in printed
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert len(lines) <= 60
