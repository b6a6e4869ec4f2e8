"""The demo team's simulated quarter: demo_events.csv, demo_sales_plan.csv, demo_path."""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from fairlead import kpi
from fairlead.datasets import DEMO_FILES, DEMO_NOW, demo_path, load_demo
from fairlead.sim import EVENT_COLUMNS
from fairlead.sim._demo_quarter import START, write_demo_quarter
from fairlead.sim._events import HISTORY_DAYS

#: docs/kpi.md: the columns each type needs, and all it may fill (besides id, type, at).
NEEDS = {
    "created": {"lead_id"},
    "assigned": {"lead_id", "manager_id"},
    "contacted": {"lead_id"},
    "stage": {"lead_id", "stage"},
    "won": {"lead_id"},
    "lost": {"lead_id"},
    "feedback": set(),
    "purchase": {"client_id", "amount"},
    "touch_planned": {"client_id", "manager_id"},
    "touch_done": {"client_id", "manager_id"},
}
MAY = {
    "created": {"lead_id", "client_id", "source", "product", "segment", "tier", "score"}
    | {"deal_value"},
    "assigned": {"lead_id", "manager_id", "method", "assigned_by", "win_probability"},
    "contacted": {"lead_id", "manager_id"},
    "stage": {"lead_id", "stage", "manager_id"},
    "won": {"lead_id", "amount", "manager_id"},
    "lost": {"lead_id", "reason", "manager_id"},
    "feedback": {"lead_id", "client_id", "csat", "nps", "complaint", "manager_id"},
    "purchase": {"client_id", "amount", "manager_id"},
    "touch_planned": {"client_id", "manager_id"},
    "touch_done": {"client_id", "manager_id"},
}


def rows_of(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(demo_path(name).read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def events() -> list[dict[str, str]]:
    return rows_of("demo_events.csv")


@pytest.fixture(scope="module")
def plan() -> list[dict[str, str]]:
    return rows_of("demo_sales_plan.csv")


def moment(row: dict[str, str]) -> datetime:
    return datetime.fromisoformat(row["at"]).replace(tzinfo=None)


def test_regenerating_the_quarter_gives_the_shipped_files(tmp_path: Path) -> None:
    written = write_demo_quarter(tmp_path)
    assert [path.name for path in written] == ["demo_events.csv", "demo_sales_plan.csv"]
    for path in written:
        assert path.read_bytes() == demo_path(path.name).read_bytes(), path.name


def test_demo_path_knows_every_embedded_file() -> None:
    folder = demo_path("demo_events.csv").parent
    shipped = {p.name for p in folder.iterdir() if p.suffix in {".csv", ".json"}}
    assert set(DEMO_FILES) == shipped
    assert all(demo_path(name).is_file() for name in DEMO_FILES)


@pytest.mark.parametrize("name", ["events.csv", "../__init__.py", "", None])
def test_demo_path_refuses_other_names_and_lists_the_files(name: object) -> None:
    with pytest.raises(ValueError, match=r"demo_events\.csv, demo_history\.csv") as error:
        demo_path(name)  # type: ignore[arg-type]
    assert repr(name) in str(error.value)


def test_the_log_has_the_documented_columns_and_stays_small() -> None:
    path = demo_path("demo_events.csv")
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == EVENT_COLUMNS
    assert path.stat().st_size < 1_000_000
    assert path.read_bytes().count(b"\r") == 0


def test_every_row_obeys_the_schema(events: list[dict[str, str]]) -> None:
    ids = Counter(row["event_id"] for row in events)
    assert max(ids.values()) == 1
    for row in events:
        kind = row["type"]
        filled = {name for name in EVENT_COLUMNS[3:] if row[name] != ""}
        assert NEEDS[kind] <= filled, row
        assert filled <= MAY[kind], row
        if kind == "feedback":
            assert row["lead_id"] or row["client_id"]
            assert row["csat"] or row["nps"] or row["complaint"]
            assert row["csat"] in {"1", "2", "3", "4", "5"}
            assert row["nps"] == "" or 0 <= int(row["nps"]) <= 10
            assert row["complaint"] in {"true", "false"}
        for name in ("amount", "deal_value"):
            if row[name]:
                assert float(row[name]) >= 0
        for name in ("score", "win_probability"):
            if row[name]:
                assert 0 <= float(row[name]) <= 1


def test_the_log_covers_the_quarter_up_to_the_demo_moment(events: list[dict[str, str]]) -> None:
    times = [moment(row) for row in events]
    assert times == sorted(times)
    # the clients' purchase history begins HISTORY_DAYS before the quarter
    assert START - timedelta(days=HISTORY_DAYS) <= times[0] < START - timedelta(days=170)
    before = [row["type"] for t, row in zip(times, events, strict=True) if t < START]
    assert set(before) == {"purchase"}
    assert times[-1] <= DEMO_NOW
    months = Counter(
        t.strftime("%Y-%m")
        for t, row in zip(times, events, strict=True)
        if row["type"] == "created"
    )
    assert set(months) == {"2026-08", "2026-09", "2026-10", "2026-11"}
    # November is in progress: leads created in its last days are still open.
    closed = {row["lead_id"] for row in events if row["type"] in {"won", "lost"}}
    created = [row["lead_id"] for row in events if row["type"] == "created"]
    assert 0 < len(set(created) - closed) < len(created) // 10


def test_the_history_makes_the_quarters_retention_measurable() -> None:
    log = kpi.read_events(demo_path("demo_events.csv"), now=DEMO_NOW)
    kpis = kpi.compute(log, "week", now=DEMO_NOW, since=START)
    assert kpis.periods.label(0) == "2026-08-31"
    # about 70 % of the 560 clients active at the start; about 30 % of them lost
    assert 330 < kpis.total("clients") < 450
    assert 0.62 < kpis.total("retention") < 0.80
    touched, untouched = kpis.total("retention_touched"), kpis.total("retention_untouched")
    assert np.isfinite(touched)
    assert np.isfinite(untouched)
    assert touched > untouched
    # every week has a base, and no week keeps everyone
    assert (kpis.series("clients") > 300).all()
    assert (kpis.series("retention") < 1.0).all()


def test_each_lead_lives_in_order(events: list[dict[str, str]]) -> None:
    order = ["created", "assigned", "contacted", "stage", "won", "lost", "feedback"]
    lives: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in events:
        if row["lead_id"]:
            lives[row["lead_id"]].append(row)
    for lead, life in lives.items():
        kinds = [row["type"] for row in life]
        assert kinds == sorted(kinds, key=order.index), (lead, kinds)
        assert kinds.count("won") + kinds.count("lost") <= 1, lead
        stages = [row["stage"] for row in life if row["type"] == "stage"]
        assert stages == ["qualified", "meeting", "proposal"][: len(stages)], lead
        if "won" in kinds:
            assert len(stages) == 3, lead


def test_the_team_is_the_demo_team(events: list[dict[str, str]]) -> None:
    managers = {m["id"]: m for m in load_demo().managers}
    products: dict[str, str] = {}
    for row in events:
        if row["type"] == "created":
            products[row["lead_id"]] = row["product"]
        elif row["type"] == "assigned":
            # Each lead went to a manager who sells its product.
            assert products[row["lead_id"]] in managers[row["manager_id"]]["skills"], row
            assert row["method"] == "fairlead"
    assigned = Counter(row["manager_id"] for row in events if row["type"] == "assigned")
    assert set(assigned) == set(managers)
    # Clients and their owners are those of demo_clients.csv.
    owner = {c["customer_id"]: c["manager_id"] for c in rows_of("demo_clients.csv")}
    for row in events:
        if row["client_id"]:
            assert owner[row["client_id"]] == row["manager_id"], row
    # m-8 is away from Monday 2026-11-23 (and in the demo batch): no work from then on.
    away = datetime(2026, 11, 23)
    for row in events:
        if row["manager_id"] == "m-8" and row["type"] in {"assigned", "contacted", "touch_done"}:
            assert moment(row) < away, row


def test_the_plan_is_monthly_per_manager_near_what_the_team_sells(
    events: list[dict[str, str]], plan: list[dict[str, str]]
) -> None:
    assert list(plan[0]) == ["period", "manager_id", "revenue"]
    ids = [m["id"] for m in load_demo().managers]
    assert [(row["period"], row["manager_id"]) for row in plan] == [
        (period, manager) for period in ("2026-09", "2026-10", "2026-11") for manager in ids
    ]
    revenue = {(row["period"], row["manager_id"]): int(row["revenue"]) for row in plan}
    assert all(value >= 1000 and value % 1000 == 0 for value in revenue.values())
    sold: dict[tuple[str, str], float] = defaultdict(float)
    for row in events:
        if row["type"] == "won":
            sold[(row["at"][:7], row["manager_id"])] += float(row["amount"])
    # The two full months: the team's plan is within a third of what it sold, and some
    # managers are set above what they sold, some below.
    months = ("2026-09", "2026-10")
    planned = {m: sum(revenue[(p, m)] for p in months) for m in ids}
    actual = {m: sum(sold[(p, m)] for p in months) for m in ids}
    assert 0.75 < sum(planned.values()) / sum(actual.values()) < 1.33
    assert any(planned[m] > actual[m] for m in ids)
    assert any(planned[m] < actual[m] for m in ids)
