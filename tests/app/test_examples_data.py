"""The sample files of `fairlead assign` in examples/data/ run, and the README documents them."""

import csv
import json
import re
from pathlib import Path

import pytest

from fairlead.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "data"
LEAD_COLUMNS = ["id", "score", "tier", "product", "source", "deal_value", "created_at", "segment"]
MANAGER_COLUMNS = [
    "id",
    "name",
    "skills",
    "level",
    "max_active_leads",
    "active_leads",
    "portfolio_size",
    "available",
    "planned_touches",
    "performance",
]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_assign_on_the_sample_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt):
    out = tmp_path / f"plan.{fmt}"
    code = main(
        [
            "assign",
            "--leads",
            str(DATA / "leads.csv"),
            "--managers",
            str(DATA / "managers.csv"),
            "--policy",
            str(DATA / "policy.json"),
            "--out",
            str(out),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    leads = read_csv(DATA / "leads.csv")
    rows = json.loads(out.read_text()) if fmt == "json" else read_csv(out)
    assert [r["lead_id"] for r in rows] == [lead["id"] for lead in leads]
    assert all(r["manager_id"] for r in rows)  # every lead placed
    assert f"wrote {len(leads)} rows to {out}" in captured.out


def test_sample_files_have_the_documented_columns():
    leads = read_csv(DATA / "leads.csv")
    managers = read_csv(DATA / "managers.csv")
    assert 10 <= len(leads) <= 15
    assert 3 <= len(managers) <= 4
    assert list(leads[0]) == LEAD_COLUMNS
    assert list(managers[0]) == MANAGER_COLUMNS
    assert isinstance(json.loads((DATA / "policy.json").read_text()), dict)


def test_readme_points_at_the_sample_files_and_lists_their_columns():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = " ".join(readme.replace("\\\n", " ").split())
    assert (
        "fairlead assign --leads examples/data/leads.csv --managers examples/data/managers.csv "
        "--policy examples/data/policy.json --out plan.csv"
    ) in command
    section = readme[readme.index("### Files for `fairlead assign`") :]
    section = section[: section.index("\n## ")]
    documented = re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert documented == LEAD_COLUMNS + MANAGER_COLUMNS
