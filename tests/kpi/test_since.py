"""compute(since=...): history before the grid; retention of touched and untouched clients."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

import fairlead as fl
from fairlead import kpi
from fairlead.kpi._retention import touch_groups
from fairlead.sim import RoundRobin, SimConfig, event_log, make_world, simulate

START = datetime(2026, 8, 31)  # a Monday
SINCE = datetime(2026, 9, 14)  # two weeks later, a Monday


@pytest.fixture(scope="module")
def columns() -> dict[str, np.ndarray]:
    """A simulated month: leads, touches, and purchases from 180 days before it."""
    world = make_world(SimConfig(n_managers=4, weeks=4, leads_per_weekday=25), seed=3)
    return event_log(simulate(world, RoundRobin()), start=START, seed=5)


def cut(columns: dict[str, np.ndarray], since: datetime) -> dict[str, np.ndarray]:
    keep = columns["at"] >= since.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {name: values[keep] for name, values in columns.items()}


#: Figures of the events of each period, for the leads received and closed in it.
FLOWS = (
    "leads_received",
    "leads_contacted",
    "leads_waiting",
    "won",
    "lost",
    "revenue",
    "conversion",
    "response_p50",
    "response_p90",
    "sla_0_5",
    "sla_60_plus",
    "csat",
    "csat_count",
    "nps_count",
    "complaints",
    "touches_planned",
    "touches_done",
    "touch_completion",
)


def test_the_grid_starts_at_since_and_the_flows_equal_the_log_cut_there(
    columns: dict[str, np.ndarray],
) -> None:
    log = kpi.EventLog.from_columns(columns)
    assert log.start is not None
    assert log.start < START - timedelta(days=170)
    now = log.end
    whole = kpi.compute(log, "week", now=now)
    later = kpi.compute(log, "week", now=now, since=SINCE)
    alone = kpi.compute(kpi.EventLog.from_columns(cut(columns, SINCE)), "week", now=now)
    assert later.periods.label(0) == "2026-09-14"
    assert later.periods.dates() == alone.periods.dates() == whole.periods.dates()[-2:]
    assert later.value("leads_received") > 0
    order = [alone.manager_ids.index(m) for m in later.manager_ids]  # the logs list them
    for metric in FLOWS:
        np.testing.assert_allclose(
            later.by_manager[metric],
            alone.by_manager[metric][:, order],
            err_msg=metric,
            equal_nan=True,
        )
        np.testing.assert_allclose(later.team[metric], alone.team[metric], err_msg=metric)
        np.testing.assert_allclose(
            later.team[metric], whole.team[metric][-2:], err_msg=metric, equal_nan=True
        )
        assert later.total(metric) == pytest.approx(alone.total(metric), nan_ok=True), metric


def test_the_history_sets_the_start(columns: dict[str, np.ndarray]) -> None:
    log = kpi.EventLog.from_columns(columns)
    later = kpi.compute(log, "week", since=SINCE)
    alone = kpi.compute(kpi.EventLog.from_columns(cut(columns, SINCE)), "week")
    # the clients' purchases before since make the base; the cut log has none at the start
    assert later.value("clients", period=0) > 100
    assert alone.value("clients", period=0) == 0
    assert 0.5 < later.total("retention") < 1.0
    # leads assigned before since and still open count in the pipeline and workload
    assert later.value("pipeline", period=0) > alone.value("pipeline", period=0)
    assert later.value("peak_open", period=0) > alone.value("peak_open", period=0)


def test_every_family_runs_with_history_before_the_grid(columns: dict[str, np.ndarray]) -> None:
    log = kpi.EventLog.from_columns(columns)
    for period in ("day", "week", "month"):
        kpis = kpi.compute(log, period, since="2026-09-16T13:00:00Z", timezone="Europe/Moscow")
        n = kpis.periods.size
        assert kpis.periods.starts[0] <= np.datetime64("2026-09-16")
        assert kpis.periods.ends[0] > np.datetime64("2026-09-16")
        for metric in kpis.metrics:
            assert kpis.team[metric].shape == (n,), metric
            kpis.total(metric)
    plan = [{"period": "2026-09", "manager_id": m, "revenue": 5000} for m in kpis.manager_ids]
    assert kpi.rating(kpis, plan).rows
    assert kpi.decompose(plan, kpis).periods == ("2026-09",)


def test_since_before_the_log_adds_empty_periods() -> None:
    log = kpi.EventLog.from_records(
        [{"type": "assigned", "at": "2026-11-04T09:00", "lead_id": "l", "manager_id": "a"}]
    )
    kpis = kpi.compute(log, "week", since="2026-10-20")
    assert kpis.periods.label(0) == "2026-10-19"
    assert kpis.series("leads_received").tolist() == [0.0, 0.0, 1.0]


@pytest.mark.parametrize(
    ("since", "message"),
    [
        ("2026-11-05", "since (2026-11-05T00:00:00) is after now (2026-11-04T09:00:00)"),
        ("soon", "since must be a datetime, a date or ISO 8601 text, got 'soon'"),
        (3.5, "since must be a datetime"),
    ],
)
def test_a_bad_since_is_named(since: Any, message: str) -> None:
    log = kpi.EventLog.from_records(
        [{"type": "assigned", "at": "2026-11-04T09:00", "lead_id": "l", "manager_id": "a"}]
    )
    with pytest.raises(fl.InputError, match="since") as caught:
        kpi.compute(log, "week", since=since)
    assert message in str(caught.value)
    assert caught.value.field == "since"


def test_since_at_now_is_one_period() -> None:
    log = kpi.EventLog.from_records(
        [{"type": "assigned", "at": "2026-11-04T09:00", "lead_id": "l", "manager_id": "a"}]
    )
    kpis = kpi.compute(log, "day", since="2026-11-04T09:00")
    assert kpis.periods.size == 1
    assert kpis.value("leads_received") == 1.0


# ------------------------------------------------------------------ touched and not touched


def purchase(day: str, client: str, manager: str = "m") -> dict[str, Any]:
    return {"type": "purchase", "at": day, "client_id": client, "manager_id": manager, "amount": 10}


def touch(day: str, client: str, manager: str = "m") -> dict[str, Any]:
    return {"type": "touch_done", "at": day, "client_id": client, "manager_id": manager}


def test_touched_and_untouched_retention_by_hand() -> None:
    log = kpi.EventLog.from_records(
        [
            purchase("2026-08-03", "c1"),
            purchase("2026-08-03", "c2"),
            purchase("2026-08-03", "c3", "n"),
            purchase("2026-08-03", "c4"),
            touch("2026-09-10", "c1"),
            purchase("2026-09-20", "c1"),  # c1: touched, kept
            touch("2026-10-05", "c4", "n"),  # not by c4's manager then: c4 goes to n
            touch("2026-12-10", "c2"),  # c2: touched late, lost
        ]
    )
    kpis = kpi.compute(log, "month", since="2026-09-01", now="2026-12-15")
    assert [kpis.periods.label(k) for k in range(4)] == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert kpis.series("clients").tolist() == [4.0, 4.0, 4.0, 1.0]
    # November: the touch window runs from 90 days before 1 December (2 September).
    # c1 (m's, touched 10 September) was kept; c4, n's since n touched it on 5 October,
    # was lost; c2 (m's) and c3 (n's), not touched, were lost on 1 November.
    assert kpis.value("retention_touched", period="2026-11") == 0.5
    assert kpis.value("retention_untouched", period="2026-11") == 0.0
    assert kpis.value("retention_touched", "m", "2026-11") == 1.0
    assert kpis.value("retention_touched", "n", "2026-11") == 0.0
    assert kpis.value("retention_untouched", "n", "2026-11") == 0.0
    # December (up to now, 15 December): c1's touch is more than 90 days back
    assert np.isnan(kpis.value("retention_touched", period="2026-12"))
    assert kpis.value("retention_untouched", period="2026-12") == 1.0
    # The whole report, from 1 September, with the managers of then: m's c1 and c2
    # touched (c1 kept), m's c4 not touched by m, n's c3 not touched; only c1 kept.
    assert kpis.total("retention_touched") == 0.5
    assert kpis.total("retention_untouched") == 0.0
    touched, untouched = touch_groups(kpis.context.whole())
    assert kpis.manager_ids == ("m", "n")
    assert touched.tolist() == [[2.0, 0.0]]
    assert untouched.tolist() == [[1.0, 1.0]]


def test_the_split_adds_up_to_retention(columns: dict[str, np.ndarray]) -> None:
    kpis = kpi.compute(kpi.EventLog.from_columns(columns), "week", since=SINCE)
    touched, untouched = touch_groups(kpis.context)
    base = kpis.by_manager["clients"]
    np.testing.assert_array_equal(touched + untouched, base)
    kept = np.nan_to_num(kpis.by_manager["retention_touched"] * touched) + np.nan_to_num(
        kpis.by_manager["retention_untouched"] * untouched
    )
    np.testing.assert_allclose(kept, kpis.by_manager["clients_kept"])
    assert touched.sum() > 0
    assert untouched.sum() > 0


def test_touched_retention_agrees_with_pandas(columns: dict[str, np.ndarray]) -> None:
    """Each client has one manager here, on UTC: the definitions with pandas only."""
    log = kpi.EventLog.from_columns(columns)
    kpis = kpi.compute(log, "week", since=SINCE)
    df = pd.DataFrame({k: columns[k] for k in ("type", "at", "client_id", "manager_id")})
    df["at"] = pd.to_datetime(df["at"]).dt.tz_localize(None)
    buys = df[df["type"] == "purchase"]
    touches = df[df["type"] == "touch_done"]
    churn = pd.Timedelta(days=90)
    now = df["at"].max()
    found: dict[str, np.ndarray] = {
        name: np.full(kpis.by_manager["clients"].shape, np.nan)
        for name in ("retention_touched", "retention_untouched")
    }
    managers = list(kpis.manager_ids)
    for k, start in enumerate(pd.Timestamp(d) for d in kpis.periods.dates()):
        end = min(start + pd.Timedelta(days=7), now + pd.Timedelta(seconds=1))
        active = buys[(buys["at"] >= start - churn) & (buys["at"] < start)]
        base = active.groupby("client_id")["manager_id"].first()
        kept_set = set(buys[(buys["at"] >= end - churn) & (buys["at"] < end)]["client_id"])
        lo = min(start, end - churn)
        window = touches[(touches["at"] >= lo) & (touches["at"] < end)]
        touched_set = set(zip(window["client_id"], window["manager_id"], strict=True))
        frame = pd.DataFrame(
            {
                "manager": base.to_numpy(),
                "kept": [c in kept_set for c in base.index],
                "touched": [(c, m) in touched_set for c, m in base.items()],
            }
        )
        for name, group in (("retention_touched", True), ("retention_untouched", False)):
            rates = frame[frame["touched"] == group].groupby("manager")["kept"].mean()
            for manager, rate in rates.items():
                found[name][k, managers.index(str(manager))] = rate
    for name, want in found.items():
        np.testing.assert_allclose(kpis.by_manager[name], want, err_msg=name)
