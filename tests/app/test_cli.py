import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

import fairlead as fl
from fairlead.app import render_records
from fairlead.app._demo import run_demo
from fairlead.cli import main
from fairlead.datasets import load_demo
from fairlead.solvers import get_solver

STRATEGIES = [
    "fairlead, balance band",
    "fairlead, no band (optimum)",
    "round_robin",
    "least_loaded",
    "weighted_random (seed 0)",
    "greedy",
]


def demo_text(name: str) -> str:
    return resources.files("fairlead.datasets").joinpath(name).read_text(encoding="utf-8")


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """The demo files as CSV and JSON in tmp_path/in."""
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("demo_leads.csv", "demo_managers.csv", "demo_policy.json"):
        (folder / name.removeprefix("demo_")).write_text(demo_text(name))
    demo = load_demo()
    (folder / "leads.json").write_text(render_records(demo.leads, "json"))
    (folder / "managers.json").write_text(render_records(demo.managers, "json"))
    return folder


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*argv: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


# ------------------------------------------------------------------------------ demo


def test_demo(run: Run) -> None:
    # the demo's report is checked in test_cli_report.py
    code, out, err = run("demo", "--no-report")
    assert (code, err) == (0, "")
    assert "200 new leads" in out
    assert "8 managers (7 available" in out
    # per-manager table
    assert "Anna Petrova" in out
    assert "away" in out
    # the fairness summary, as the plan prints it
    plan = run_demo().plan
    assert plan.fairness.summary() in out
    # three explanations: first hot, warm and cold lead
    first: dict[fl.Tier, str] = {}
    for lead, tier in zip(plan.leads, plan.tiers, strict=True):
        first.setdefault(tier, lead.id)
    for tier, lead_id in first.items():
        assert f"Lead '{lead_id}' ({tier.value}) -> " in out
    # the scoring, client base and performance sections
    for heading in ("Lead scoring:", "Touch plan this week", "Manager performance"):
        assert heading in out
    # the comparison, every strategy with its numbers
    table = out[out.index("Strategies on the same data") :].splitlines()
    cells = [re.split(r" {2,}", line.strip()) for line in table[1:8]]
    assert cells[0] == [
        "strategy",
        "placed",
        "exp.conv",
        "vs RR",
        "Gini",
        "Jain",
        "max/min",
        "max dev pp",
        "status",
    ]
    rows = {row[0]: dict(zip(cells[0][1:], row[1:], strict=True)) for row in cells[1:]}
    assert list(rows) == STRATEGIES
    ours = rows["fairlead, balance band"]
    assert ours["placed"] == "200/200"
    assert ours["exp.conv"] == f"{plan.expected_value:.2f}"
    assert ours["Gini"] == f"{plan.fairness.gini:.3f}"
    assert ours["Jain"] == f"{plan.fairness.jain:.3f}"
    assert ours["max dev pp"] == f"{100 * plan.fairness.max_abs_deviation:.1f}"
    assert ours["status"] == "optimal"
    assert rows["round_robin"]["vs RR"] == "base"
    rr = float(rows["round_robin"]["exp.conv"])
    assert ours["vs RR"] == f"{100 * (plan.expected_value / rr - 1):+.1f}%"
    assert {row["status"] for row in rows.values()} <= {"optimal", "feasible", "failed"}
    optimum = float(rows["fairlead, no band (optimum)"]["exp.conv"])
    assert all(optimum >= float(row["exp.conv"]) for row in rows.values())
    # short: the report is where people look
    assert len(out.splitlines()) <= 60
    assert max(len(line) for line in out.splitlines()) <= 100


def test_demo_shows_failed_baselines_honestly(run: Run) -> None:
    _, out, _ = run("demo", "--no-report")
    demo = run_demo()
    free = demo.demo.policy.model_copy(update={"balance_tolerance": None})
    with pytest.warns(fl.PolicyBrokenWarning, match="round_robin could not place"):
        rr = fl.assign(
            demo.leads, demo.managers, policy=free, model=demo.model, method="round_robin"
        )
    assert rr.status is fl.SolveStatus.FAILED  # the demo's capacities strand leads
    line = next(x for x in out.splitlines() if x.startswith("round_robin "))
    placed = len(rr.leads) - len(rr.unassigned)
    assert f"{placed}/200" in line
    assert line.endswith("failed")
    assert "round_robin could not place" in out


def test_demo_explain_and_method(run: Run) -> None:
    code, out, _ = run("demo", "--explain", "l-010", "l-011", "--method", "greedy", "--no-report")
    assert code == 0
    assert "Lead 'l-010' (" in out
    assert "Lead 'l-011' " in out
    assert "Lead 'l-002' " not in out
    assert "Assignment by greedy" in out
    assert "greedy, balance band" in out


def test_demo_unknown_lead(run: Run) -> None:
    code, out, err = run("demo", "--explain", "l-999")
    assert code == 2
    assert out == ""
    assert err == "fairlead: error: no lead 'l-999' in the demo data (ids l-001 to l-200)\n"


# ---------------------------------------------------------------------------- assign


def read_plan(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        assert isinstance(data, list)
        return data
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_assign_round_trip(run: Run, inputs: Path, tmp_path: Path, fmt: str) -> None:
    out_path = tmp_path / f"plan.{fmt}"
    code, out, err = run(
        "assign",
        "--leads",
        inputs / f"leads.{fmt}",
        "--managers",
        inputs / f"managers.{fmt}",
        "--policy",
        inputs / "policy.json",
        "--out",
        out_path,
    )
    assert (code, err) == (0, "")
    rows = read_plan(out_path)
    assert len(rows) == 200
    assert list(rows[0]) == [
        "lead_id",
        "manager_id",
        "manager_name",
        "expected_value",
        "tier",
        "score",
        "product",
    ]
    demo = load_demo()
    assert sorted(r["lead_id"] for r in rows) == sorted(lead["id"] for lead in demo.leads)
    available = {m["id"] for m in demo.managers if m["available"]}
    assert {r["manager_id"] for r in rows} <= available
    total = sum(float(r["expected_value"]) for r in rows)
    plan = fl.assign(demo.leads, demo.managers, policy=demo.policy)
    assert total == pytest.approx(plan.expected_value)
    headline = plan.summary().splitlines()[0]
    assert headline in out
    assert str(plan.fairness) in out
    # the Gini / Jain line ends the fairness table and is printed once
    assert out.count(plan.fairness.summary()) == 1
    assert out.splitlines()[-1] == plan.fairness.summary()
    assert f"wrote 200 rows to {out_path}" in out
    assert sorted(os.listdir(tmp_path)) == ["in", f"plan.{fmt}"]


def test_assign_mixed_formats_and_default_policy(run: Run, inputs: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "plan.json"
    code, out, _ = run(
        "assign",
        "--leads",
        inputs / "leads.json",
        "--managers",
        inputs / "managers.csv",
        "--out",
        out_path,
        "--method",
        "min_cost_flow",
    )
    assert code == 0
    assert "method min_cost_flow (optimal): 200 of 200 leads placed" in out
    assert len(read_plan(out_path)) == 200


def test_assign_overwrites_an_existing_plan(run: Run, inputs: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "plan.csv"
    out_path.write_text("old\n")
    args = ["assign", "--leads", inputs / "leads.csv", "--managers", inputs / "managers.csv"]
    assert run(*args, "--out", out_path)[0] == 0
    assert len(read_plan(out_path)) == 200


def test_assign_warns_when_a_heuristic_fails(run: Run, inputs: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "assign",
        "--leads",
        inputs / "leads.csv",
        "--managers",
        inputs / "managers.csv",
        "--out",
        tmp_path / "plan.csv",
        "--method",
        "greedy",
    )
    assert code == 4  # written, but a script must not take it for a plan within the policy
    assert "method greedy (failed)" in out
    assert err.startswith("fairlead: warning: greedy failed: greedy ")
    rows = read_plan(tmp_path / "plan.csv")
    assert any(r["manager_id"] == "" for r in rows)  # stranded leads written, unassigned


def edit(text: str, old: str, new: str, count: int = 1) -> str:
    assert old in text, old
    return text.replace(old, new, count)


def edit_cell(text: str, pattern: str, new: str) -> str:
    """Replace the first match of a line-anchored regex (robust to regenerated data)."""
    changed, n = re.subn(pattern, new, text, count=1, flags=re.MULTILINE)
    assert n == 1, pattern
    return changed


LEADS = demo_text("demo_leads.csv")
MANAGERS = demo_text("demo_managers.csv")

# (file to replace, its name, new content, substrings of the one-line error)
BAD_FILES = {
    "bad number": (
        "leads",
        "leads.csv",
        edit_cell(LEADS, r"^l-004,[^,]*,", "l-004,abc,"),
        ["leads.csv, line 5, column 'score': Input should be a valid number", "got 'abc'"],
    ),
    "negative max_active_leads": (
        "managers",
        "managers.csv",
        edit_cell(MANAGERS, r"trainee,\d+,", "trainee,-45,"),
        [
            "managers.csv, line 8, column 'max_active_leads': ",
            "greater than or equal to 0, got '-45'",
        ],
    ),
    "duplicate id": (
        "leads",
        "leads.csv",
        edit(LEADS, "l-004,", "l-002,"),
        ["leads.csv, line 5, column 'id': duplicate lead id 'l-002', first on line 3"],
    ),
    "unknown column": (
        "managers",
        "managers.csv",
        edit(MANAGERS, "portfolio_size", "portfolio"),
        [
            "managers.csv, line 1, column 'portfolio': unknown manager column "
            "(did you mean 'portfolio_size'?)"
        ],
    ),
    "missing required column": (
        "managers",
        "managers.csv",
        "id,name,level\nm-1,Anna,senior\n",
        ["managers.csv, line 1: missing required column 'max_active_leads'"],
    ),
    "empty required cell": (
        "leads",
        "leads.csv",
        edit_cell(LEADS, r"^l-010,[^,]*,", "l-010,,"),
        ["leads.csv, line 11, column 'score': a value is required, got an empty cell"],
    ),
    "broken JSON": (
        "leads",
        "leads.json",
        '[\n  {"id": "l-1", "score": 0.5},\n  {"id": "l-2", "score": 0.5,}\n]\n',
        ["leads.json, line 3, column 30: invalid JSON: Expecting property name"],
    ),
    "bad JSON value": (
        "managers",
        "managers.json",
        '[{"id": "m-1", "max_active_leads": 5},\n {"id": "m-2", "max_active_leads": -1}]',
        [
            "managers.json, item 1 (line 2), field 'max_active_leads': ",
            "greater than or equal to 0, got -1",
        ],
    ),
    "JSON not a list": (
        "leads",
        "leads.json",
        '{"leads": [{"id": "l-1", "score": 0.5}]}',
        ["leads.json: expected a JSON list of objects (one per record), got an object"],
    ),
    "unknown suffix": (
        "leads",
        "leads.xlsx",
        LEADS,
        ["leads.xlsx: unknown file type '.xlsx'; use a .csv or .json file"],
    ),
    "no header": (
        "leads",
        "leads.csv",
        LEADS.split("\n", 1)[1],
        ["leads.csv, line 1: expected a header line naming the lead columns", "got 'l-001,"],
    ),
    "unknown product": (
        "leads",
        "leads.csv",
        edit_cell(LEADS, r"^(l-001,[^,]*,[^,]*,)[^,]*,", r"\1boats,"),
        ["leads.csv, line 2, column 'product': ", "'boats'", "not a skill of any manager"],
    ),
    "bad policy": (
        "policy",
        "policy.json",
        edit(demo_text("demo_policy.json"), '"portfolio_load": 0.1', '"portfolio_load": -1'),
        ["policy.json, line 6, field 'portfolio_load': ", "got -1"],
    ),
}


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file(run: Run, inputs: Path, tmp_path: Path, case: str, fmt: str) -> None:
    which, name, content, expected = BAD_FILES[case]
    files = {
        "leads": inputs / "leads.csv",
        "managers": inputs / "managers.csv",
        "policy": inputs / "policy.json",
    }
    bad = tmp_path / "bad"
    bad.mkdir()
    files[which] = bad / name
    files[which].write_text(content)
    out_path = tmp_path / f"plan.{fmt}"
    code, out, err = run(
        "assign",
        "--leads",
        files["leads"],
        "--managers",
        files["managers"],
        "--policy",
        files["policy"],
        "--out",
        out_path,
    )
    assert code == 2
    assert out == ""
    assert err.startswith(f"fairlead: error: {files[which]}")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err
    for part in expected:
        assert part in err
    assert sorted(os.listdir(tmp_path)) == ["bad", "in"]  # no plan, no temporary file


def test_missing_file(run: Run, inputs: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    code, _, err = run(
        "assign",
        "--leads",
        missing,
        "--managers",
        inputs / "managers.csv",
        "--out",
        tmp_path / "p.csv",
    )
    assert code == 2
    assert err == f"fairlead: error: {missing}: no such file\n"
    assert not (tmp_path / "p.csv").exists()


def test_unknown_output_suffix(run: Run, inputs: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "plan.xlsx"
    code, out, err = run(
        "assign",
        "--leads",
        inputs / "leads.csv",
        "--managers",
        inputs / "managers.csv",
        "--out",
        out_path,
    )
    assert (code, out) == (2, "")
    assert (
        err == f"fairlead: error: {out_path}: unknown file type '.xlsx'; use a .csv or .json file\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_output_directory_missing(run: Run, inputs: Path, tmp_path: Path) -> None:
    out_path = tmp_path / "no" / "plan.csv"
    code, _, err = run(
        "assign",
        "--leads",
        inputs / "leads.csv",
        "--managers",
        inputs / "managers.csv",
        "--out",
        out_path,
    )
    assert code == 2
    assert err == (
        f"fairlead: error: {out_path}: cannot write: directory '{out_path.parent}' does not exist\n"
    )


def test_infeasible_policy(run: Run, inputs: Path, tmp_path: Path) -> None:
    small = inputs / "small.csv"
    small.write_text(
        "id,skills,level,max_active_leads\n"
        "m-1,mortgage;loans;cards;insurance,senior,60\n"
        "m-2,mortgage;loans;cards;insurance,middle,50\n"
        "m-3,loans;cards,junior,40\n"
    )
    out_path = tmp_path / "plan.csv"
    code, out, err = run(
        "assign", "--leads", inputs / "leads.csv", "--managers", small, "--out", out_path
    )
    assert (code, out) == (3, "")
    assert err.startswith("fairlead: error: no assignment satisfies the policy: ")
    assert "150" in err  # what the managers can take
    assert "200" in err  # the leads to place
    assert err.count("\n") == 1
    assert sorted(os.listdir(tmp_path)) == ["in"]


def test_infeasible_hot_leads(run: Run, inputs: Path, tmp_path: Path) -> None:
    juniors = inputs / "juniors.json"
    juniors.write_text(
        json.dumps([{"id": f"m-{k}", "level": "junior", "max_active_leads": 150} for k in (1, 2)])
    )
    policy = inputs / "nobalance.json"
    policy.write_text('{"balance_tolerance": null, "qualification_required": false}')
    code, _, err = run(
        "assign",
        "--leads",
        inputs / "leads.csv",
        "--managers",
        juniors,
        "--policy",
        policy,
        "--out",
        tmp_path / "plan.json",
    )
    assert code == 3
    assert err.startswith("fairlead: error: no assignment satisfies the policy: ")
    assert "have no manager they may go to: the hot-lead level rule (hot_min_level='middle')" in err
    assert not (tmp_path / "plan.json").exists()


# ------------------------------------------------------------------- methods, usage


def test_methods(run: Run) -> None:
    code, out, _ = run("methods")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[0] == "auto"
    names = [line.split()[0] for line in lines[1:]]
    assert names == fl.list_methods()
    for name in names:
        assert get_solver(name).description in out


def test_version(run: Run) -> None:
    assert run("--version") == (0, f"fairlead {fl.__version__}\n", "")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["assign", "--leads", "l.csv"], "the following arguments are required: --managers, --out"),
        (["demo", "--method", "magic"], "argument --method: invalid choice: 'magic'"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors(run: Run, argv: list[str], message: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    # one line, as every other error: scripts read the last line of stderr
    assert err.count("\n") == 1
    assert re.fullmatch(r"fairlead( \w+)?: error: .*\(see 'fairlead( \w+)? --help'\)\n", err)
    assert message in err


def test_help(run: Run) -> None:
    code, out, _ = run("--help")
    assert code == 0
    for command in ("demo", "assign", "report", "methods"):
        assert command in out


# ---------------------------------------------------------------------- subprocess


def check_demo_process(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    for strategy in STRATEGIES:
        assert strategy in done.stdout
    assert "Gini" in done.stdout


def test_module_runs_as_a_script() -> None:
    check_demo_process([sys.executable, "-m", "fairlead.cli", "demo", "--no-report"])


def test_console_script() -> None:
    script = Path(sys.executable).with_name("fairlead")
    if not script.exists():
        pytest.skip("the fairlead console script is not installed next to this interpreter")
    check_demo_process([str(script), "demo", "--no-report"])


def test_exit_codes_from_a_process(inputs: Path, tmp_path: Path) -> None:
    argv = [
        sys.executable,
        "-m",
        "fairlead.cli",
        "assign",
        "--managers",
        str(inputs / "managers.csv"),
    ]
    out = ["--out", str(tmp_path / "plan.csv")]
    bad = subprocess.run(
        [*argv, "--leads", str(tmp_path / "nope.csv"), *out],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr == f"fairlead: error: {tmp_path / 'nope.csv'}: no such file\n"
