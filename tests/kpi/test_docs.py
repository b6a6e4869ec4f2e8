"""docs/kpi.md tells the same story as the code: the event log's columns and the metrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fairlead import kpi

DOC = Path(__file__).parents[2] / "docs" / "kpi.md"
TEXT = DOC.read_text(encoding="utf-8")


def metrics_table() -> str:
    """The metrics table as docs/kpi.md shows it, from the catalogue."""
    lines = ["| metric | unit | what it means |", "| --- | --- | --- |"]
    for name, metric in kpi.METRICS.items():
        lines.append(f"| `{name}` | {metric.unit} | {metric.explain('en')} |")
    return "\n".join(lines)


def test_the_metrics_table_is_the_catalogue() -> None:
    assert metrics_table() in TEXT


def _names(cell: str) -> set[str]:
    return set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", cell)))


@pytest.mark.parametrize("event_type", kpi.EVENT_TYPES)
def test_the_event_table_is_the_schema(event_type: str) -> None:
    row = next(line for line in TEXT.splitlines() if line.startswith(f"| `{event_type}` |"))
    _, _, needs, may = (cell.strip() for cell in row.strip("|").split("|"))
    columns = [c for c in kpi.COLUMNS if c not in ("event_id", "type", "at")]
    required = {c for c in columns if kpi.uses(event_type, c) == "required"}
    optional = {c for c in columns if kpi.uses(event_type, c) == "optional"}
    # "lead_id or client_id" and "csat, nps or complaint": the one-of rules, documented
    # as needs, are optional columns of the schema.
    assert _names(needs) | _names(may) == required | optional
    assert required <= _names(needs)
