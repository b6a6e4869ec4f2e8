"""compute() against an independent pandas implementation, and properties on small logs.

The large log is random but valid: 30 managers in three time zones (two with a
daylight-saving change inside the 8 weeks), reassignments, missing contacts, contacts
before the assignment, stages, closes, feedback, purchases and touches, rows shuffled
and a few repeated. The pandas side reads the same rows with its own code (merge_asof
for who held a lead, tz_convert for each manager's clock, groupby, quantile with
linear interpolation) for the main metrics; the two must agree to 1e-9.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlead import kpi
from fairlead.kpi import METRICS

START = pd.Timestamp("2026-10-05")  # a Monday; Berlin leaves DST on 10-25, New York on 11-01
WEEKS = 8
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo")
N_MANAGERS = 30
LIFE = {t: k for k, t in enumerate(kpi.EVENT_TYPES)}


# --------------------------------------------------------------------- the random log


def random_log(n_leads: int, seed: int) -> pd.DataFrame:
    """About 9 rows per 2 leads ... plus client rows: one DataFrame of events (UTC)."""
    rng = np.random.default_rng(seed)
    span = WEEKS * 7 * 86_400
    managers = np.array([f"m{k:02d}" for k in range(N_MANAGERS)])
    rows: list[dict[str, Any]] = []

    def add(kind: str, second: float, **cells: Any) -> None:
        if second < span:
            rows.append({"type": kind, "at": START + pd.Timedelta(seconds=int(second)), **cells})

    for lead in range(n_leads):
        lid = f"l{lead}"
        t = rng.uniform(0, span * 0.95)
        created = rng.random() > 0.02  # a few leads from before the log
        if created:
            add("created", t, lead_id=lid, deal_value=float(rng.integers(1, 100) * 100))
        first = managers[rng.integers(N_MANAGERS)]
        t_assign = t + 1 + rng.exponential(600)
        early_contact = rng.random() < 0.01
        if early_contact:
            add("contacted", t_assign - 0.5 * (t_assign - t), lead_id=lid)
        add(
            "assigned",
            t_assign,
            lead_id=lid,
            manager_id=first,
            win_probability=round(float(rng.random()), 2),
        )
        holder_since = t_assign
        if rng.random() < 0.12:
            second = managers[
                (np.flatnonzero(managers == first)[0] + rng.integers(1, N_MANAGERS)) % N_MANAGERS
            ]
            holder_since = t_assign + 1 + rng.exponential(3600)
            add("assigned", holder_since, lead_id=lid, manager_id=second)
        clock = holder_since
        if not early_contact and rng.random() < 0.85:
            clock = holder_since + 1 + rng.lognormal(np.log(900), 1.0)
            named = {"manager_id": first} if rng.random() < 0.05 else {}
            add("contacted", clock, lead_id=lid, **named)
        for stage in ("qualified", "meeting", "proposal"):
            if rng.random() < 0.5:
                clock += 1 + rng.exponential(86_400)
                add("stage", clock, lead_id=lid, stage=stage)
            else:
                break
        outcome = rng.random()
        clock += 1 + rng.exponential(3 * 86_400)
        if outcome < 0.25:
            amount = {"amount": float(rng.integers(1, 200) * 50)} if rng.random() < 0.7 else {}
            add("won", clock, lead_id=lid, **amount)
        elif outcome < 0.65:
            add("lost", clock, lead_id=lid)
        if rng.random() < 0.05:  # closed twice: the first close counts
            add("lost", clock + 60, lead_id=lid)
        if rng.random() < 0.3:
            cells: dict[str, Any] = {}
            if rng.random() < 0.8:
                cells["csat"] = int(rng.integers(1, 6))
            if rng.random() < 0.6:
                cells["nps"] = int(rng.integers(0, 11))
            if rng.random() < 0.1 or not cells:
                cells["complaint"] = bool(rng.random() < 0.5)
            if rng.random() < 0.2:
                cells["manager_id"] = managers[rng.integers(N_MANAGERS)]
            add("feedback", clock + 1 + rng.exponential(86_400), lead_id=lid, **cells)

    n_clients = n_leads // 5
    owner = managers[rng.integers(N_MANAGERS, size=n_clients)]
    for _ in range(n_leads // 2):
        c = int(rng.integers(n_clients))
        kind = ("purchase", "touch_planned", "touch_done", "feedback")[rng.integers(4)]
        cells = {"client_id": f"c{c}", "manager_id": owner[c]}
        if kind == "purchase":
            cells["amount"] = float(rng.integers(1, 50) * 10)
        if kind == "feedback":
            cells["csat"] = int(rng.integers(1, 6))
        add(kind, rng.uniform(0, span), **cells)

    frame = pd.DataFrame(rows)
    repeats = frame.sample(frac=0.003, random_state=seed)
    frame = pd.concat([frame, repeats]).sample(frac=1.0, random_state=seed + 1)
    return frame.reset_index(drop=True)


def zone_of(manager: str) -> str:
    return ZONES[int(manager[1:]) % len(ZONES)]


TIMEZONES = {f"m{k:02d}": zone_of(f"m{k:02d}") for k in range(N_MANAGERS)}


def as_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name in frame.columns:
        column = frame[name]
        if name == "at":
            out[name] = column.to_numpy().astype("datetime64[s]")
        elif column.dtype == object:
            out[name] = column.to_numpy(dtype=object)
        else:
            out[name] = column.to_numpy()
    return out


# --------------------------------------------------------------------- pandas, independently


def week_of(moments: pd.Series, managers: pd.Series) -> pd.Series:
    """Monday of the week holding each UTC moment on its manager's clock."""
    out = pd.Series(pd.NaT, index=moments.index, dtype="datetime64[ns]")
    for name in ZONES:
        rows = managers.map(TIMEZONES) == name
        local = moments[rows].dt.tz_localize("UTC").dt.tz_convert(name).dt.tz_localize(None)
        day = local.dt.normalize()
        out[rows] = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return out


def holders(rows: pd.DataFrame, assigned: pd.DataFrame) -> pd.Series:
    """The row's manager, else who held its lead then (the last assignment at or before)."""
    left = rows[["at", "lead_id"]].reset_index().sort_values("at")
    right = assigned[["at", "lead_id", "manager_id"]].rename(columns={"manager_id": "held"})
    found = pd.merge_asof(left, right.sort_values("at"), on="at", by="lead_id")
    held = found.set_index("index")["held"].reindex(rows.index)
    return rows["manager_id"].where(rows["manager_id"].notna(), held)


def as_manager(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``frame`` with ``column`` as its manager_id."""
    return frame.drop(columns="manager_id").rename(columns={column: "manager_id"})


class Reference:
    """The main metrics from a DataFrame of events, with pandas only."""

    def __init__(self, frame: pd.DataFrame) -> None:
        df = frame.drop_duplicates().copy()
        df["life"] = df["type"].map(LIFE)
        df = df.sort_values(["at", "life"], kind="stable")
        self.df = df
        assigned = df[df["type"] == "assigned"]
        self.assigned = assigned
        pairs = assigned.groupby(["lead_id", "manager_id"], as_index=False)["at"].min()
        pairs["week"] = week_of(pairs["at"], pairs["manager_id"])
        contacts = df[df["type"] == "contacted"].copy()
        contacts["who"] = holders(contacts, assigned)
        reached = set(zip(contacts["lead_id"], contacts["who"], strict=True))
        pairs["contacted"] = [
            (lead, m) in reached
            for lead, m in zip(pairs["lead_id"], pairs["manager_id"], strict=True)
        ]
        closes = df[df["type"].isin(["won", "lost"])].groupby("lead_id").head(1).copy()
        closes["closer"] = holders(closes, assigned)
        closes["week"] = week_of(closes["at"], closes["closer"])
        created = df[df["type"] == "created"].set_index("lead_id")["deal_value"]
        closes["revenue"] = closes["amount"].fillna(closes["lead_id"].map(created)).fillna(0.0)
        won = closes[closes["type"] == "won"]
        winners = set(zip(won["lead_id"], won["closer"], strict=True))
        pairs["won"] = [
            (lead, m) in winners
            for lead, m in zip(pairs["lead_id"], pairs["manager_id"], strict=True)
        ]
        self.pairs, self.closes = pairs, closes

        first = contacts.groupby("lead_id").head(1).copy()
        left = first[["at", "lead_id"]].reset_index().sort_values("at")
        right = assigned[["at", "lead_id", "manager_id"]].rename(
            columns={"at": "since", "manager_id": "held"}
        )
        right = right.assign(at=right["since"]).sort_values("at")
        found = pd.merge_asof(left, right, on="at", by="lead_id").set_index("index")
        first["since"] = found["since"].reindex(first.index)
        first["who"] = first["manager_id"].where(first["manager_id"].notna(), found["held"])
        first = first[first["since"].notna()]
        first["minutes"] = (first["at"] - first["since"]).dt.total_seconds() / 60
        first["week"] = week_of(first["since"], first["who"])
        self.responses = first

        feedback = df[df["type"] == "feedback"].copy()
        feedback["who"] = holders(feedback, assigned)
        feedback["week"] = week_of(feedback["at"], feedback["who"])
        nps = feedback["nps"]
        feedback["net"] = np.where(nps >= 9, 100.0, np.where(nps <= 6, -100.0, 0.0))
        feedback.loc[nps.isna(), "net"] = np.nan
        self.feedback = feedback
        touches = df[df["type"].isin(["touch_planned", "touch_done"])].copy()
        touches["week"] = week_of(touches["at"], touches["manager_id"])
        self.touches = touches

    def tables(self) -> dict[str, pd.Series]:
        """Metric -> Series indexed by (week, manager_id); the team's under manager ''."""
        out: dict[str, pd.Series] = {}
        p = self.pairs
        out["leads_received"] = p.groupby(["week", "manager_id"]).size()
        out["leads_contacted"] = p[p["contacted"]].groupby(["week", "manager_id"]).size()
        out["leads_waiting"] = p[~p["contacted"]].groupby(["week", "manager_id"]).size()
        won_pairs = p[p["won"]].groupby(["week", "manager_id"]).size()
        out["conversion"] = (won_pairs / out["leads_received"]).fillna(0.0)
        c = as_manager(self.closes, "closer")
        out["won"] = c[c["type"] == "won"].groupby(["week", "manager_id"]).size()
        out["lost"] = c[c["type"] == "lost"].groupby(["week", "manager_id"]).size()
        out["revenue"] = c[c["type"] == "won"].groupby(["week", "manager_id"])["revenue"].sum()
        r = as_manager(self.responses, "who").groupby(["week", "manager_id"])
        out["response_p50"] = r["minutes"].quantile(0.5)
        out["response_p90"] = r["minutes"].quantile(0.9)
        f = as_manager(self.feedback, "who").groupby(["week", "manager_id"])
        out["csat"] = f["csat"].mean()
        out["csat_count"] = f["csat"].count()
        out["nps"] = f["net"].mean()
        out["complaints"] = f["complaint"].apply(lambda s: int((s == True).sum()))  # noqa: E712
        t = self.touches
        for kind in ("touch_planned", "touch_done"):
            rows = t[t["type"] == kind]
            out[kind.replace("touch_", "touches_")] = rows.groupby(["week", "manager_id"]).size()
        return out

    def team(self) -> dict[str, pd.Series]:
        """The team's figures per week, recomputed from all its events."""
        p, c = self.pairs, self.closes
        out: dict[str, pd.Series] = {
            "leads_received": p.groupby("week").size(),
            "conversion": p.groupby("week")["won"].mean(),
            "won": c[c["type"] == "won"].groupby("week").size(),
            "revenue": c[c["type"] == "won"].groupby("week")["revenue"].sum(),
            "response_p50": self.responses.groupby("week")["minutes"].quantile(0.5),
            "response_p90": self.responses.groupby("week")["minutes"].quantile(0.9),
            "csat": self.feedback.groupby("week")["csat"].mean(),
            "nps": self.feedback.groupby("week")["net"].mean(),
        }
        return out


# --------------------------------------------------------------------- the comparison


@pytest.fixture(scope="module")
def large() -> tuple[kpi.Kpis, Reference]:
    frame = random_log(n_leads=10_000, seed=7)
    assert len(frame) > 50_000
    log = kpi.EventLog.from_columns(as_columns(frame))
    assert log.quality.get("duplicate_events") is not None
    assert log.quality.get("closed_twice") is not None
    assert log.quality.get("contact_before_assignment") is not None
    kpis = kpi.compute(log, "week", timezone="UTC", timezones=TIMEZONES)
    return kpis, Reference(frame)


COUNTS = ("leads_received", "leads_contacted", "leads_waiting", "won", "lost", "csat_count")
COUNTS += ("complaints", "touches_planned", "touches_done")
MAIN = (*COUNTS, "revenue", "conversion", "response_p50", "response_p90", "csat", "nps")


@pytest.mark.parametrize("metric", MAIN)
def test_each_manager_and_week_agrees_with_pandas(
    large: tuple[kpi.Kpis, Reference], metric: str
) -> None:
    kpis, reference = large
    expected = reference.tables()[metric]
    weeks = {pd.Timestamp(day): k for k, day in enumerate(kpis.periods.dates())}
    managers = {m: j for j, m in enumerate(kpis.manager_ids)}
    want = np.full((kpis.periods.size, len(kpis.manager_ids)), 0.0 if metric in COUNTS else np.nan)
    if metric in ("revenue",):
        want[:] = 0.0
    for (week, manager), value in expected.items():
        want[weeks[pd.Timestamp(week)], managers[manager]] = value
    if metric == "conversion":  # no leads received: no conversion
        want[kpis.by_manager["leads_received"] == 0] = np.nan
    np.testing.assert_allclose(kpis.by_manager[metric], want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    "metric",
    [
        "leads_received",
        "conversion",
        "won",
        "revenue",
        "response_p50",
        "response_p90",
        "csat",
        "nps",
    ],
)
def test_the_team_agrees_with_pandas(large: tuple[kpi.Kpis, Reference], metric: str) -> None:
    kpis, reference = large
    expected = reference.team()[metric]
    weeks = [pd.Timestamp(day) for day in kpis.periods.dates()]
    zero = metric in ("leads_received", "won", "revenue")
    want = (
        expected.reindex(weeks).fillna(0.0).to_numpy()
        if zero
        else expected.reindex(weeks).to_numpy()
    )
    np.testing.assert_allclose(kpis.team[metric], want, rtol=1e-9, atol=1e-9)


def test_the_large_log_has_every_family_filled(large: tuple[kpi.Kpis, Reference]) -> None:
    kpis, _ = large
    # New York's Sunday evening before the first Monday, Tokyo's Monday after the last week
    assert kpis.periods.size == WEEKS + 2
    for metric in ("pipeline", "peak_open", "clients", "retention", "gini_leads", "conversion_low"):
        assert np.isfinite(kpis.team[metric][1:]).any(), metric


# --------------------------------------------------------------------- properties on small logs

MANAGER_NAMES = ("ann", "bob", "cid")


@st.composite
def small_logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few leads with random lives over three weeks, and some client rows."""
    rows: list[dict[str, Any]] = []
    base = pd.Timestamp("2026-11-02T00:00")

    def at(minutes: int) -> str:
        return (base + pd.Timedelta(minutes=minutes)).isoformat()

    n = draw(st.integers(1, 12))
    for k in range(n):
        lead = f"l{k}"
        t = draw(st.integers(0, 3 * 7 * 24 * 60 - 600))
        if draw(st.booleans()):
            rows.append(
                {
                    "type": "created",
                    "at": at(t),
                    "lead_id": lead,
                    "deal_value": draw(st.sampled_from([None, 100.0, 250.0])),
                }
            )
        owners = draw(st.lists(st.sampled_from(MANAGER_NAMES), min_size=0, max_size=2))
        clock = t
        for m in owners:  # a minute apart at least: one holder at each moment
            clock += draw(st.integers(1, 600))
            rows.append({"type": "assigned", "at": at(clock), "lead_id": lead, "manager_id": m})
        step = draw(st.integers(-30, 900))
        if draw(st.booleans()):
            rows.append({"type": "contacted", "at": at(clock + step), "lead_id": lead})
        for stage in ("qualified", "meeting")[: draw(st.integers(0, 2))]:
            clock += draw(st.integers(1, 2000))
            rows.append({"type": "stage", "at": at(clock), "lead_id": lead, "stage": stage})
        close = draw(st.sampled_from([None, "won", "lost"]))
        if close:
            clock += draw(st.integers(1, 5000))
            rows.append({"type": close, "at": at(clock), "lead_id": lead})
        if draw(st.booleans()):
            rows.append(
                {
                    "type": "feedback",
                    "at": at(clock + 5),
                    "lead_id": lead,
                    "csat": draw(st.integers(1, 5)),
                    "complaint": draw(st.booleans()),
                }
            )
    for c in range(draw(st.integers(0, 4))):
        for _ in range(draw(st.integers(1, 3))):
            kind = draw(st.sampled_from(["purchase", "touch_planned", "touch_done"]))
            row = {
                "type": kind,
                "at": at(draw(st.integers(0, 30_000))),
                "client_id": f"c{c}",
                "manager_id": draw(st.sampled_from(MANAGER_NAMES)),
            }
            if kind == "purchase":
                row["amount"] = 10.0
            rows.append(row)
    if not any(r["type"] == "assigned" for r in rows):
        rows.append({"type": "assigned", "at": at(0), "lead_id": "l0", "manager_id": "ann"})
    return rows


TEAM = [
    {"id": "ann", "max_active_leads": 2},
    {"id": "bob", "max_active_leads": 1},
    {"id": "cid", "max_active_leads": 3},
]


def run(rows: list[dict[str, Any]]) -> kpi.Kpis:
    log = kpi.EventLog.from_records(rows)
    now = "2026-12-20T00:00"
    return kpi.compute(
        log, "week", now=now, managers=TEAM, timezones={"bob": "Europe/Moscow"}, churn_days=7
    )


@settings(max_examples=40, deadline=None)
@given(rows=small_logs(), seed=st.integers(0, 2**16))
def test_properties_of_small_logs(rows: list[dict[str, Any]], seed: int) -> None:
    kpis = run(rows)
    bm, team = kpis.by_manager, kpis.team
    # contacted + waiting = received, for each manager and the team
    np.testing.assert_array_equal(bm["leads_contacted"] + bm["leads_waiting"], bm["leads_received"])
    np.testing.assert_array_equal(
        team["leads_contacted"] + team["leads_waiting"], team["leads_received"]
    )
    # the team's counts and money are the sums of its managers'
    for name in kpis.metrics:
        metric = kpis.describe(name)
        if metric.team == "sum":
            np.testing.assert_allclose(bm[name].sum(axis=1), team[name], err_msg=name)
            if metric.flow:  # and over the periods
                assert kpis.total(name) == pytest.approx(float(team[name].sum())), name
    # shrunk rates lie between the raw rate and the team's; the range holds them
    raw, shrunk = bm["conversion"], bm["conversion_shrunk"]
    low, high = bm["conversion_low"], bm["conversion_high"]
    has = ~np.isnan(raw)
    team_rate = np.broadcast_to(team["conversion"][:, None], raw.shape)
    eps = 1e-12
    assert np.all(np.minimum(raw, team_rate)[has] - eps <= shrunk[has])
    assert np.all(shrunk[has] <= np.maximum(raw, team_rate)[has] + eps)
    assert np.all((low[has] <= shrunk[has] + eps) & (shrunk[has] <= high[has] + eps))
    assert np.all(np.isnan(shrunk[~has]))
    # the order of the rows changes nothing
    shuffled = [rows[k] for k in np.random.default_rng(seed).permutation(len(rows))]
    again = run(shuffled)
    assert set(again.manager_ids) == set(kpis.manager_ids)
    order = [again.manager_ids.index(m) for m in kpis.manager_ids]
    for name in kpis.metrics:
        np.testing.assert_allclose(again.team[name], team[name], rtol=1e-12, err_msg=name)
        if name in bm:
            np.testing.assert_allclose(
                again.by_manager[name][:, order], bm[name], rtol=1e-12, err_msg=name
            )


def test_the_catalogue_describes_every_metric_of_a_run() -> None:
    kpis = run(
        [
            {"type": "assigned", "at": "2026-11-02T09:00", "lead_id": "a", "manager_id": "ann"},
            {"type": "stage", "at": "2026-11-02T10:00", "lead_id": "a", "stage": "meeting"},
        ]
    )
    for name in kpis.metrics:
        metric = kpis.describe(name)
        assert metric.unit in ("count", "share", "minutes", "money", "score", "days")
        for text in (metric.label_en, metric.label_ru, metric.explain_en, metric.explain_ru):
            assert text, name
            assert "{" not in text, name
        assert metric.explain_en.endswith("."), name
        assert metric.explain_ru.endswith("."), name
    assert set(METRICS) >= {"leads_received", "sla_0_5", "reached:{stage}", "rate:{stage}"}
