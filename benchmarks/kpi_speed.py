"""Speed of the monitoring side: an event log of 1,000,000 events, 200 managers, 52 weeks.

The log is generated (seeded) as numpy columns, the way a CRM export reaches pandas:
text ids (``l-000123``, ``m-017``, ``c-00042``), labels, ISO moments as
``datetime64[s]``, numbers with NaN where empty. Leads come in over 52 weeks from
Monday 2025-01-06; each is assigned (10 % reassigned to another manager), most are
contacted (0.5 % before their assignment), move through qualified / meeting /
proposal, close won or lost or stay open, and some leave feedback; existing clients
buy, and their managers plan and make touches. A few rows are exact duplicates.

Part 1 times, each as the median of ``--repeat`` runs (default 3):

* ``EventLog.from_columns`` (validation, sorting, de-duplication, data-quality rules);
* ``kpi.compute(log, period="week")`` with the managers' capacities (every metric);
* the reference: a pandas groupby of the main metrics from the same columns (leads
  received, contacted, response p50 / p90, won, revenue, CSAT, NPS, complaints,
  touches), starting from the validated log's columns; the ratio compute / pandas.

It prints the process's peak RSS (``ru_maxrss``) at the end. Target: ``compute`` under
5 s; the exit status is 1 when it is missed.

Run::

    python benchmarks/kpi_speed.py
    python benchmarks/kpi_speed.py --events 200000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from _machine import machine_info, max_rss_mib
from fairlead import kpi

Columns = dict[str, npt.NDArray[Any]]

TARGET_S = 5.0
START = np.datetime64("2025-01-06T00:00:00", "s")
SOURCES = np.array(["web", "phone", "partner", "branch", "ads"])
PRODUCTS = np.array(["cards", "loans", "mortgage", "deposits"])
SEGMENTS = np.array(["mass", "affluent", "sme"])
TIERS = np.array(["hot", "warm", "cold"])
STAGES = ("qualified", "meeting", "proposal")
ID_FORMAT = {"lead_id": ("l-", 7), "client_id": ("c-", 6), "manager_id": ("m-", 3)}
#: Rows per lead on average (created, assigned, contacted, stages, close, feedback).
ROWS_PER_LEAD = 4.7
#: Share of the log's rows that are client rows (purchases and touches).
CLIENT_SHARE = 0.15


def _ids(prefix: str, codes: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.str_]:
    """``prefix`` + zero-padded number, as a numpy text array."""
    numbers = np.char.zfill(codes.astype(np.str_), width)
    return np.char.add(prefix, numbers)


def make_events(
    n_events: int, n_managers: int, weeks: int, rng: np.random.Generator
) -> tuple[Columns, np.datetime64]:
    """About ``n_events`` rows as numpy columns, and the moment the log is taken."""
    span = weeks * 7 * 86_400
    now = START + np.timedelta64(span - 1, "s")
    n_leads = int(n_events * (1 - CLIENT_SHARE) / ROWS_PER_LEAD)
    n_clients = max(n_leads // 8, 1)
    weight = rng.gamma(4.0, size=n_managers)
    weight /= weight.sum()
    client_manager = rng.choice(n_managers, size=n_clients, p=weight)

    parts: list[dict[str, Any]] = []

    def add(
        kind: str, at: npt.NDArray[np.float64], keep: npt.NDArray[np.bool_], **cols: Any
    ) -> None:
        keep = keep & (at < span)
        part: dict[str, Any] = {"type": kind, "at": at[keep]}
        for name, values in cols.items():
            part[name] = values[keep] if isinstance(values, np.ndarray) else values
        parts.append(part)

    lead = np.arange(n_leads)
    every = np.ones(n_leads, dtype=bool)
    created = rng.uniform(0, span * 0.98, n_leads)
    has_client = rng.random(n_leads) < 0.15
    client = rng.integers(0, n_clients, n_leads)
    deal = np.round(rng.lognormal(np.log(40_000), 0.6, n_leads), 2)
    add(
        "created",
        created,
        every,
        lead_id=lead,
        client_id=np.where(has_client, client, -1),
        source=SOURCES[rng.integers(0, SOURCES.size, n_leads)],
        product=PRODUCTS[rng.integers(0, PRODUCTS.size, n_leads)],
        segment=SEGMENTS[rng.integers(0, SEGMENTS.size, n_leads)],
        tier=TIERS[rng.integers(0, TIERS.size, n_leads)],
        score=np.round(rng.random(n_leads), 3),
        deal_value=np.where(rng.random(n_leads) < 0.9, deal, np.nan),
    )
    assigned = created + rng.exponential(600, n_leads)
    first = np.where(has_client, client_manager[client], rng.choice(n_managers, n_leads, p=weight))
    p_win = np.round(rng.beta(2, 6, n_leads), 3)
    add(
        "assigned",
        assigned,
        every,
        lead_id=lead,
        manager_id=first,
        method="fairlead",
        win_probability=p_win,
    )
    moved = rng.random(n_leads) < 0.10
    reassigned = assigned + rng.exponential(7_200, n_leads)
    second = (first + rng.integers(1, n_managers, n_leads)) % n_managers
    add(
        "assigned",
        reassigned,
        moved,
        lead_id=lead,
        manager_id=second,
        method="manual",
        win_probability=p_win,
    )
    holder = np.where(moved, second, first)
    since = np.where(moved, reassigned, assigned)

    contacted = rng.random(n_leads) < 0.85
    early = rng.random(n_leads) < 0.005
    contact = np.where(
        early,
        created + (assigned - created) * 0.5,
        since + rng.lognormal(np.log(15 * 60), 1.2, n_leads),
    )
    add("contacted", contact, contacted, lead_id=lead)
    moment = contact.copy()
    reach = contacted.copy()
    for stage in STAGES:
        reach &= rng.random(n_leads) < 0.6
        moment = moment + rng.exponential(86_400 * 2, n_leads)
        add("stage", moment, reach, lead_id=lead, stage=stage)
    outcome = rng.random(n_leads)
    won = contacted & (outcome < 0.2)
    lost = contacted & (outcome >= 0.2) & (outcome < 0.65)
    closed = moment + rng.exponential(86_400 * 3, n_leads)
    amount = np.where(
        rng.random(n_leads) < 0.5, np.round(deal * rng.uniform(0.8, 1.2, n_leads), 2), np.nan
    )
    add("won", closed, won, lead_id=lead, amount=amount)
    add("lost", closed, lost, lead_id=lead, reason="price")
    feedback = contacted & (rng.random(n_leads) < 0.25)
    csat = rng.integers(1, 6, n_leads).astype(np.float64)
    nps = rng.integers(0, 11, n_leads).astype(np.float64)
    add(
        "feedback",
        closed + 86_400,
        feedback,
        lead_id=lead,
        csat=np.where(rng.random(n_leads) < 0.8, csat, np.nan),
        nps=np.where(rng.random(n_leads) < 0.6, nps, np.nan),
        complaint=np.where(rng.random(n_leads) < 0.05, "true", "false"),
    )
    del holder

    n_client_rows = int(n_events * CLIENT_SHARE)
    n_purchases = n_client_rows // 2
    buyer = rng.integers(0, n_clients, n_purchases)
    add(
        "purchase",
        rng.uniform(0, span, n_purchases),
        np.ones(n_purchases, dtype=bool),
        client_id=buyer,
        amount=np.round(rng.lognormal(np.log(5_000), 0.8, n_purchases), 2),
        manager_id=np.where(rng.random(n_purchases) < 0.8, client_manager[buyer], -1),
    )
    n_touches = n_client_rows - n_purchases
    touched = rng.integers(0, n_clients, n_touches)
    planned = rng.random(n_touches) < 0.55
    touch_at = rng.uniform(0, span, n_touches)
    add("touch_planned", touch_at, planned, client_id=touched, manager_id=client_manager[touched])
    add("touch_done", touch_at, ~planned, client_id=touched, manager_id=client_manager[touched])

    return _columns(parts, n_managers, rng), now


def _columns(parts: list[dict[str, Any]], n_managers: int, rng: np.random.Generator) -> Columns:
    """The parts as one table of numpy columns, rows shuffled, a few duplicated."""
    sizes = [part["at"].size for part in parts]
    n = sum(sizes)
    names = sorted({name for part in parts for name in part} - {"type", "at"})
    out: Columns = {
        "type": np.concatenate(
            [np.full(k, part["type"]) for k, part in zip(sizes, parts, strict=True)]
        ),
        "at": START + np.concatenate([part["at"] for part in parts]).astype("timedelta64[s]"),
    }
    for name in names:
        given = next(part[name] for part in parts if name in part)
        text = np.asarray(given).dtype.kind == "U"
        blank: Any = "" if text else (-1 if name.endswith("_id") else np.nan)
        chunks = []
        for k, part in zip(sizes, parts, strict=True):
            value = part.get(name, blank)
            chunks.append(value if isinstance(value, np.ndarray) else np.full(k, value))
        column = np.concatenate(chunks)
        if name.endswith("_id"):
            prefix, width = ID_FORMAT[name]
            codes = column.astype(np.int64)
            column = np.where(codes >= 0, _ids(prefix, codes, width), "")
        out[name] = column
    source = np.concatenate([np.arange(n), rng.integers(0, n, n // 1000)])
    order = rng.permutation(source.size)
    out = {name: values[source[order]] for name, values in out.items()}
    out["event_id"] = _ids("e-", source[order], 8)
    return out


ZONES = ("Europe/Moscow", "Asia/Novosibirsk", "Europe/Berlin", "America/New_York")


def team_of(n_managers: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Managers (limits 40-80 open leads) and their time zones (four, two with DST)."""
    ids = [_ids("m-", np.array([k]), 3)[0] for k in range(n_managers)]
    managers = [
        {"id": m, "max_active_leads": 40 + 10 * (k % 5), "active_leads": 0}
        for k, m in enumerate(ids)
    ]
    return managers, {m: ZONES[k % len(ZONES)] for k, m in enumerate(ids)}


def pandas_reference(log: kpi.EventLog, zones: dict[str, str]) -> dict[str, pd.Series]:
    """The main metrics per (week, manager) with pandas groupby, from the log's columns.

    Leads received (pairs of lead and manager), contacted pairs, first-response p50 and
    p90, won, revenue, CSAT, NPS, complaints and touches, each in its manager's week.
    """
    frame = pd.DataFrame(
        {
            "kind": log.kind,
            "at": log.at,
            "lead": log.lead,
            "client": log.client,
            "manager": log.manager,
            "amount": log.numbers["amount"],
            "csat": log.numbers["csat"],
            "nps": log.numbers["nps"],
            "complaint": log.complaint,
        }
    )
    code = kpi.EVENT_TYPES.index
    offsets = {}
    for name in set(zones.values()):
        moments = pd.to_datetime(frame["at"], unit="s", utc=True)
        offsets[name] = (
            (moments.dt.tz_convert(name).dt.tz_localize(None) - moments.dt.tz_localize(None))
            .dt.total_seconds()
            .astype(np.int64)
        )
    zone_of = np.array([zones[m] for m in log.manager_ids])

    def week(rows: pd.DataFrame, manager: pd.Series) -> pd.Series:
        local = rows["at"].copy()
        for name, shift in offsets.items():
            mine = zone_of[manager.to_numpy()] == name
            local[mine] += shift[rows.index[mine]]
        days = local // 86_400
        return (days + 3) // 7 * 7 - 3

    assigned = frame[(frame["kind"] == code("assigned")) & (frame["lead"] >= 0)]
    holder = assigned[["at", "lead", "manager"]].rename(columns={"manager": "held"})

    def holders(rows: pd.DataFrame) -> pd.Series:
        found = pd.merge_asof(
            rows[["at", "lead"]].reset_index(), holder, on="at", by="lead"
        ).set_index("index")["held"]
        held = found.reindex(rows.index).fillna(-1).astype(np.int64)
        return rows["manager"].where(rows["manager"] >= 0, held)

    out: dict[str, pd.Series] = {}
    pairs = assigned.groupby(["lead", "manager"], as_index=False).head(1)
    pairs = pairs.assign(week=week(pairs, pairs["manager"]))
    out["received"] = pairs.groupby(["week", "manager"]).size()
    contacts = frame[(frame["kind"] == code("contacted")) & (frame["lead"] >= 0)]
    who = holders(contacts)
    reached = pd.MultiIndex.from_arrays([contacts["lead"], who])
    contacted = pd.MultiIndex.from_frame(pairs[["lead", "manager"]]).isin(reached)
    out["contacted"] = pairs[contacted].groupby(["week", "manager"]).size()
    first = contacts.groupby("lead").head(1)
    since = pd.merge_asof(
        first[["at", "lead"]].reset_index(),
        holder.assign(since=holder["at"]),
        on="at",
        by="lead",
    ).set_index("index")
    first = first.assign(since=since["since"], held=holders(first)).dropna(subset=["since"])
    first = first.assign(minutes=(first["at"] - first["since"]) / 60.0)
    first = first.assign(week=week(first.assign(at=first["since"].astype(np.int64)), first["held"]))
    response = first.groupby(["week", "held"])["minutes"]
    out["response_p50"] = response.quantile(0.5)
    out["response_p90"] = response.quantile(0.9)
    closes = frame[frame["kind"].isin([code("won"), code("lost")]) & (frame["lead"] >= 0)]
    closes = closes.groupby("lead").head(1)
    closer = holders(closes)
    won = closes[closes["kind"] == code("won")].assign(closer=closer)
    won = won.assign(week=week(won, won["closer"]))
    out["won"] = won.groupby(["week", "closer"]).size()
    created = frame[(frame["kind"] == code("created")) & (frame["lead"] >= 0)]
    deal = pd.Series(log.numbers["deal_value"][created.index], index=created["lead"].to_numpy())
    won = won.assign(amount=won["amount"].fillna(won["lead"].map(deal)).fillna(0.0))
    out["revenue"] = won.groupby(["week", "closer"])["amount"].sum()
    feedback = frame[frame["kind"] == code("feedback")]
    feedback = feedback.assign(who=holders(feedback))
    feedback = feedback[feedback["who"] >= 0]
    feedback = feedback.assign(
        week=week(feedback, feedback["who"]),
        net=np.where(feedback["nps"] >= 9, 100.0, np.where(feedback["nps"] <= 6, -100.0, 0.0)),
    )
    feedback.loc[feedback["nps"].isna(), "net"] = np.nan
    said = feedback.groupby(["week", "who"])
    out["csat"] = said["csat"].mean()
    out["nps"] = said["net"].mean()
    out["complaints"] = said["complaint"].apply(lambda c: int((c == 1).sum()))
    touches = frame[frame["kind"].isin([code("touch_planned"), code("touch_done")])]
    touches = touches.assign(week=week(touches, touches["manager"]))
    out["touches"] = touches.groupby(["week", "manager", "kind"]).size()
    return out


def agrees(kpis: kpi.Kpis, reference: dict[str, pd.Series]) -> bool:
    """Whether compute and the pandas reference give the same tables (to 1e-9)."""
    weeks = {int(day): k for k, day in enumerate(kpis.periods.starts.astype(np.int64))}
    same = True
    for ours, theirs, empty in (
        ("leads_received", "received", 0.0),
        ("leads_contacted", "contacted", 0.0),
        ("response_p50", "response_p50", np.nan),
        ("response_p90", "response_p90", np.nan),
        ("won", "won", 0.0),
        ("revenue", "revenue", 0.0),
        ("csat", "csat", np.nan),
        ("nps", "nps", np.nan),
        ("complaints", "complaints", 0.0),
    ):
        table = np.full(kpis.by_manager[ours].shape, empty)
        for (week, manager), value in reference[theirs].items():
            table[weeks[int(week)], int(manager)] = value
        if ours in ("csat", "nps"):  # no answer at all: NaN in both
            table[np.isnan(kpis.by_manager[ours])] = np.nan
        same &= bool(
            np.allclose(kpis.by_manager[ours], table, rtol=1e-9, atol=1e-9, equal_nan=True)
        )
    return same


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=1_000_000, help="rows of the log")
    parser.add_argument("--managers", type=int, default=200, help="managers")
    parser.add_argument("--weeks", type=int, default=52, help="weeks the log spans")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the log")
    args = parser.parse_args(argv)

    info = machine_info("numpy", "pandas", "scipy")
    print(
        f"python {info['python']}, numpy {info['numpy']}, pandas {info['pandas']}, "
        f"scipy {info['scipy']}, {info['machine']}, {info['cores']} cores"
    )
    start = time.perf_counter()
    columns, now = make_events(
        args.events, args.managers, args.weeks, np.random.default_rng(args.seed)
    )
    generated = time.perf_counter() - start
    managers, zones = team_of(args.managers)
    rows = columns["type"].size
    print(
        f"log: {rows:,} rows, {args.managers} managers in {len(ZONES)} time zones, "
        f"{args.weeks} weeks (generated in {generated:.1f} s)"
    )

    t_read, log = median_time(lambda: kpi.EventLog.from_columns(columns, now=now), args.repeat)
    print(f"  {log!r}; {len(log.quality.findings)} data-quality findings")

    def run() -> kpi.Kpis:
        return kpi.compute(log, "week", now=now, managers=managers, timezone="UTC", timezones=zones)

    t_compute, kpis = median_time(run, args.repeat)
    t_reference, reference = median_time(lambda: pandas_reference(log, zones), args.repeat)
    same = agrees(kpis, reference)

    print(f"{'step':<58} {'median s':>10}")
    print(f"{'EventLog.from_columns (validate, sort, de-duplicate)':<58} {t_read:>10.3f}")
    step = f"kpi.compute(period=week): {len(kpis.metrics)} metrics"
    print(f"{step:<58} {t_compute:>10.3f}")
    print(f"{'reference: pandas groupby of 11 main metrics':<58} {t_reference:>10.3f}")
    print(
        f"compute / pandas reference: {t_compute / t_reference:.2f} "
        f"(compute also does the funnel, shrinkage, pipeline, workload, retention, shares)"
    )
    print(
        f"compute agrees with the pandas reference (received, contacted, response p50 / p90, "
        f"won, revenue, CSAT, NPS, complaints): {same}"
    )
    print(f"peak RSS: {max_rss_mib():.0f} MiB")
    ok = t_compute < TARGET_S and same
    verdict = "PASS" if ok else "FAIL"
    print(
        f"kpi.compute on {rows:,} events: {t_compute:.2f} s (target < {TARGET_S:.0f} s): {verdict}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
