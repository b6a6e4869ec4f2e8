"""Online router: latency of ``Router.route`` and quality against the hindsight optimum.

Two parts, each with its own table and verdict lines, then a summary block.

**Latency.** A team of 200 managers (skills among 5 products, levels trainee to senior
with about a third below the hot-lead level, ``max_active_leads`` 25-60, a few open
leads already) in five time zones (London, Berlin, Moscow, Yekaterinburg, Novosibirsk),
each with weekly working hours (``hours=`` mapping manager id to
``{"timezone": ..., "week": ...}``: 09:00-18:00 with a lunch hour, or 08:00-17:00,
some Saturdays), under the default policy with a balance band
(``balance_tolerance=0.2``, qualification by product, hot leads to middle and up).
Leads arrive as plain dicts, as a CRM webhook would send them (``id``, ``score``,
``product``, ``source``, and an explicit ``tier`` for about a third), at a simulated
Tuesday from 09:30 UTC, exponential gaps of mean 0.5 s: the time zones see lunch
breaks and shift ends, so the on-shift set changes during the run. Values come from
the router's default model (score x level factor). Releases are interleaved (not
timed): once more than ``KEEP_OPEN_SHARE`` of the team's capacity is held, the oldest
open lead is released (won, lost or closed), so room stays.

After ``--warmup`` untimed routes (default 5,000, which reaches the steady load), each
of ``--timed`` routes (default 20,000) is timed alone with ``time.perf_counter_ns``.
The garbage collector stays on (that is what users get); a ``gc.callbacks`` hook
counts the collections and marks the calls during which one ran, so the table also
shows the tail without those calls. The calling thread's CPU time
(``time.thread_time_ns``, read outside the timed window) is recorded per call too:
wall minus CPU is time off the CPU (I/O and fsync, locks, or other processes on a
shared machine), which tells a slow call of fairlead from a descheduled one. The
1-minute load average at the start and end of each store's run is printed, and for
SQLite the size of the write-ahead log, sampled every 1,000 routes.

Stores: in memory; in memory with a fitted ``ConversionModel`` as the value model
(fitted on 20,000 rows of synthetic history of the same team with features score,
product and source: one prediction per route; reported, no target); SQLite
``durability="normal"``; SQLite ``durability="full"`` (an fsync per call; reported, no
target). The SQLite file
lives in ``--store-dir`` (default: the system temporary directory; its file system is
printed, since an fsync on tmpfs costs nothing). Each store runs in a fresh
subprocess, so its peak RSS (Linux ``VmHWM``, which ``exec`` resets; ``ru_maxrss``
elsewhere) and its garbage collector are its own.

Targets: p99 < 100 µs in memory; p99 < 2 ms with SQLite ``normal``.

**Quality.** Random arrival order against the hindsight batch optimum
``fl.solve(fl.AssignmentProblem(value=V, capacity=c, allow_unassigned=True),
method="sifting")``, the capacities ``c_j`` being each manager's lead count for the
whole horizon. Every strategy is an ``fl.Router`` with managers of
``max_active_leads=c_j``, policy ``{"balance_tolerance": None, "hot_min_level": None}``,
``share_half_life=None``, no releases, each lead routed with ``value=V[i]``:

* ``greedy``: zero prices (the best value among managers with room);
* ``fixed``: primal-dual with prices from a history sample: ``fit`` on ``n / 10``
  further leads drawn from the same distribution (same managers) with
  ``capacity=c / 10``, prices fixed afterwards;
* ``reprice``: the same start, and ``reprice`` at 10 %, 20 %, 40 % and 80 % of the
  arrivals on all leads seen so far (``values=`` their rows) with
  ``capacity = room * seen / remaining`` (``room`` = capacity - open, from
  ``status()``).

Instance families (``numpy.random.default_rng`` seeded per instance):

* ``uniform``: ``V ~ U(0, 1)``;
* ``product``: lead quality ``q ~ Beta(2, 5)``, manager skill ``s ~ U(0.3, 1)``,
  ``V = clip(q s U(0.9, 1.1), 0, 1)``: every lead prefers the same managers, so
  capacities bind and greedy fills the best managers with the first leads.

Capacities ``c_j`` proportional to ``U(0.5, 1.5)``, rounded (largest remainder) to sum
to ``slack x n``, slack 1.0 and 1.1; sizes n = 10,000 with m = 50 and m = 200; three
seeds (``--seeds``). Per family, size and slack the table gives the mean and min ratio
(online value / hindsight optimum) over the seeds; every run checks that no manager
ever holds more than ``c_j`` leads (counted from the decisions, and ``status().open``
against them) and that every lead found a manager when ``slack >= 1``.

Target: ``reprice`` >= 0.99 of the optimum on every instance, capacities never
exceeded. Greedy and fixed prices are printed with no target. The instances run in
``--jobs`` worker processes (default: up to 2), after the latency part.

The exit status is 1 when a verdict is FAIL. The default run takes about 1.5 minutes
on 2 idle cores (more on a busy machine: the SQLite ``full`` store waits on fsyncs);
``--quick`` (5,000 timed routes, n = 5,000, one seed) under one::

    python benchmarks/router_online.py
    python benchmarks/router_online.py --quick
    python benchmarks/router_online.py --part quality --seeds 5 --json router.json
"""

from __future__ import annotations

import argparse
import collections
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np

import fairlead as fl
from _machine import machine_info, peak_rss_mib, status_mib

Record = dict[str, Any]

# -- latency setup ------------------------------------------------------------------------
LATENCY_MANAGERS = 200
PRODUCTS = ("mortgage", "loans", "cards", "deposits", "insurance")
SOURCES = ("web", "phone", "partner", "chat")
LEVELS = ("trainee", "junior", "middle", "senior")
LEVEL_SHARES = (0.10, 0.25, 0.40, 0.25)
# (zone, share of the team); November: London UTC+0, Berlin +1, Moscow +3, Yekat. +5, Novosib. +7.
ZONES = (
    ("Europe/London", 0.20),
    ("Europe/Berlin", 0.25),
    ("Europe/Moscow", 0.30),
    ("Asia/Yekaterinburg", 0.15),
    ("Asia/Novosibirsk", 0.10),
)
WEEKS = (
    {"mon-fri": "09:00-13:00, 14:00-18:00"},
    {"mon-fri": "08:00-17:00"},
    {"mon-fri": "09:00-13:00, 14:00-18:00", "sat": "10:00-14:00"},
)
LATENCY_POLICY = {"balance_tolerance": 0.2}
START = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)  # a Tuesday
MEAN_GAP_S = 0.5
KEEP_OPEN_SHARE = 0.5  # release the oldest lead once more than this share of capacity is held
OUTCOMES: tuple[Literal["won", "lost", "closed"], ...] = ("won", "lost", "closed")
OUTCOME_SHARES = (0.2, 0.7, 0.1)
MODES = ("memory", "memory-model", "sqlite-normal", "sqlite-full")
MODE_LABEL = {
    "memory": "in memory",
    "memory-model": "in memory, ConversionModel",
    "sqlite-normal": 'SQLite durability="normal"',
    "sqlite-full": 'SQLite durability="full"',
}
P99_TARGET_US = {"memory": 100.0, "sqlite-normal": 2000.0}
MODEL_HISTORY = 20_000  # rows of synthetic history the ConversionModel is fitted on
PERCENTILES = (50.0, 90.0, 99.0, 99.9)
CHILD_TIMEOUT_S = 900.0

# -- quality setup ------------------------------------------------------------------------
QUALITY_POLICY = {"balance_tolerance": None, "hot_min_level": None}
STRATEGIES = ("greedy", "fixed", "reprice")
REPRICE_AT = (0.1, 0.2, 0.4, 0.8)
HISTORY_SHARE = 10  # the history sample has n / 10 leads, capacity c / 10
FAMILIES = ("uniform", "product")
SLACKS = (1.0, 1.1)
RATIO_TARGET = 0.99


# ======================================================================== latency (child)


def latency_team(seed: int) -> tuple[list[Record], dict[str, Record]]:
    """200 managers as CRM dicts, and their working hours by manager id."""
    rng = np.random.default_rng(seed)
    m = LATENCY_MANAGERS
    shares = np.array([share for _, share in ZONES])
    zone_of = rng.choice(len(ZONES), size=m, p=shares / shares.sum())
    level_of = rng.choice(len(LEVELS), size=m, p=LEVEL_SHARES)
    managers, hours = [], {}
    for j in range(m):
        mid = f"mgr-{j:03d}"
        # Every product has 40 sellers or more: manager j always sells product j % 5.
        extra = rng.choice(len(PRODUCTS), size=int(rng.integers(0, 3)), replace=False)
        skills = sorted({PRODUCTS[j % len(PRODUCTS)], *(PRODUCTS[int(k)] for k in extra)})
        managers.append(
            {
                "id": mid,
                "name": f"Manager {j}",
                "skills": skills,
                "level": LEVELS[int(level_of[j])],
                "max_active_leads": int(rng.integers(25, 61)),
                "active_leads": int(rng.integers(0, 6)),
            }
        )
        hours[mid] = {
            "timezone": ZONES[int(zone_of[j])][0],
            "week": dict(WEEKS[int(rng.integers(len(WEEKS)))]),
        }
    return managers, hours


def latency_model(managers: Sequence[Record], seed: int) -> Any:
    """A ConversionModel fitted on synthetic history of this team (score, product, source).

    The true log odds rise with the score, differ by product and source, and carry a
    lift per manager level; who worked each history lead is drawn at random.
    """
    from fairlead.scoring import ConversionModel

    rng = np.random.default_rng(seed + 3)
    n = MODEL_HISTORY
    score = rng.beta(2.0, 5.0, size=n)
    product = rng.integers(len(PRODUCTS), size=n)
    source = rng.integers(len(SOURCES), size=n)
    who = rng.integers(len(managers), size=n)
    level_lift = {"trainee": -0.4, "junior": -0.1, "middle": 0.1, "senior": 0.3}
    lift = np.array([level_lift[mg["level"]] for mg in managers])[who]
    logits = -2.0 + 3.0 * score + 0.2 * product - 0.15 * source + lift
    won = rng.random(n) < 1.0 / (1.0 + np.exp(-logits))
    history = {
        "score": score,
        "product": np.array(PRODUCTS)[product],
        "source": np.array(SOURCES)[source],
    }
    ids = np.array([mg["id"] for mg in managers])
    return ConversionModel().fit(history, won, managers=ids[who])


def latency_leads(count: int, seed: int) -> tuple[list[Record], list[datetime]]:
    """Webhook payloads (plain dicts) and their arrival times."""
    rng = np.random.default_rng(seed + 1)
    scores = rng.beta(2.0, 5.0, size=count)
    products = rng.integers(len(PRODUCTS), size=count)
    sources = rng.integers(len(SOURCES), size=count)
    explicit = rng.random(count) < 1 / 3
    tiers = rng.choice(("hot", "warm", "cold"), size=count, p=(0.2, 0.5, 0.3))
    gaps = rng.exponential(MEAN_GAP_S, size=count)
    leads = []
    for i in range(count):
        lead: Record = {
            "id": f"crm-{i:07d}",
            "score": round(float(scores[i]), 4),
            "product": PRODUCTS[int(products[i])],
            "source": SOURCES[int(sources[i])],
        }
        if explicit[i]:
            lead["tier"] = str(tiers[i])
        leads.append(lead)
    times = [START + timedelta(seconds=float(s)) for s in np.cumsum(gaps)]
    return leads, times


class GcWatch:
    """Counts garbage collections (by generation) and the time they take."""

    def __init__(self) -> None:
        self.count = 0
        self.by_generation = [0, 0, 0]
        self.ns = 0
        self._start = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter_ns()
        else:
            self.ns += time.perf_counter_ns() - self._start
            self.count += 1
            self.by_generation[int(info["generation"])] += 1

    def reset(self) -> None:
        self.count, self.by_generation, self.ns = 0, [0, 0, 0], 0


def _percentiles(values_us: np.ndarray) -> dict[str, float]:
    if values_us.size == 0:
        return {f"p{p:g}": float("nan") for p in PERCENTILES}
    got = np.percentile(values_us, PERCENTILES)
    return {f"p{p:g}": float(v) for p, v in zip(PERCENTILES, got, strict=True)}


def _wal_mib(store: Path | None) -> float:
    """Size of the SQLite write-ahead log next to ``store`` (0 without one)."""
    if store is None:
        return 0.0
    wal = store.with_name(store.name + "-wal")
    return wal.stat().st_size / 2**20 if wal.exists() else 0.0


def run_latency(mode: str, warmup: int, timed: int, seed: int, store_dir: str) -> Record:
    """Route ``warmup + timed`` webhook leads through one router; time the last ``timed``.

    Each timed call records its wall time (``perf_counter_ns``, the measurement), whether
    a garbage collection ran during it, and the calling thread's CPU time
    (``thread_time_ns``, read outside the wall-clock window): wall minus CPU is time
    spent off the CPU (I/O, fsync, locks, or other processes running).
    """
    managers, hours = latency_team(seed)
    leads, times = latency_leads(warmup + timed, seed)
    total_capacity = sum(mg["max_active_leads"] - mg["active_leads"] for mg in managers)
    keep_open = int(KEEP_OPEN_SHARE * total_capacity)
    rng = np.random.default_rng(seed + 2)
    outcomes = rng.choice(len(OUTCOMES), size=warmup + timed, p=OUTCOME_SHARES)
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    with tempfile.TemporaryDirectory(dir=store_dir, prefix="fairlead-router-") as tmp:
        store = None if mode.startswith("memory") else Path(tmp) / "router.db"
        durability: Literal["normal", "full"] = "full" if mode == "sqlite-full" else "normal"
        model = latency_model(managers, seed) if mode == "memory-model" else None
        router = fl.Router(
            managers,
            LATENCY_POLICY,
            model=model,
            hours=hours,
            store=store,
            durability=durability,
        )
        watch = GcWatch()
        gc.callbacks.append(watch)
        lat = np.zeros(timed, dtype=np.int64)
        cpu = np.zeros(timed, dtype=np.int64)
        gc_hit = np.zeros(timed, dtype=np.bool_)
        open_leads: collections.deque[str] = collections.deque()
        waiting = released = 0
        on_shift: list[float] = []
        wal_mib = [0.0]
        rss_start = status_mib("VmRSS")
        loop_start = 0
        perf, thread = time.perf_counter_ns, time.thread_time_ns
        try:
            for k, (lead, now) in enumerate(zip(leads, times, strict=True)):
                if k == warmup:
                    watch.reset()
                    rss_start = status_mib("VmRSS")
                    loop_start = perf()
                before = watch.count
                cpu_start = thread()
                start = perf()
                decision = router.route(lead, now)
                end = perf()
                cpu_end = thread()
                if k >= warmup:
                    lat[k - warmup] = end - start
                    cpu[k - warmup] = cpu_end - cpu_start
                    gc_hit[k - warmup] = watch.count != before
                if decision.manager_id is None:
                    waiting += 1
                else:
                    open_leads.append(decision.lead_id)
                while len(open_leads) > keep_open:  # not timed
                    router.release(open_leads.popleft(), OUTCOMES[int(outcomes[k])], now)
                    released += 1
                if k >= warmup and (k - warmup) % 1000 == 0:  # not timed
                    status = router.status(now)
                    on_shift.append(sum(s.available for s in status) / len(status))
                    wal_mib.append(_wal_mib(store))
            loop_ns = perf() - loop_start
            wal_mib.append(_wal_mib(store))
        finally:
            gc.callbacks.remove(watch)
            router.close()
        store_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir()) if store else 0

    us, cpu_us = lat / 1000.0, cpu / 1000.0
    off_us = np.maximum(us - cpu_us, 0.0)
    slow = us > 1000.0
    top = np.argsort(us)[-5:][::-1]
    return {
        "mode": mode,
        "warmup": warmup,
        "timed": timed,
        "latency_us": _percentiles(us),
        "max_us": float(us.max()),
        "mean_us": float(us.mean()),
        "throughput_per_s": 1e6 / float(us.mean()),
        "loop_per_s": timed / (loop_ns / 1e9),
        "cpu_latency_us": _percentiles(cpu_us),
        "gc_hit_share": float(gc_hit.mean()),
        "gc_collections": watch.by_generation,
        "gc_ms": watch.ns / 1e6,
        "no_gc_latency_us": _percentiles(us[~gc_hit]),
        "gc_hit_p50_us": float(np.median(us[gc_hit])) if gc_hit.any() else None,
        "slowest": [
            {"us": float(us[i]), "cpu_us": float(cpu_us[i]), "gc": bool(gc_hit[i])} for i in top
        ],
        "over_1ms": int(slow.sum()),
        "over_1ms_off_cpu_share": float(off_us[slow].sum() / us[slow].sum()) if slow.any() else 0.0,
        "over_1ms_gc": int((slow & gc_hit).sum()),
        "waiting": waiting,
        "released": released,
        "keep_open": keep_open,
        "capacity": total_capacity,
        "on_shift_min": min(on_shift),
        "on_shift_mean": float(np.mean(on_shift)),
        "simulated_hours": (times[-1] - times[0]).total_seconds() / 3600,
        "rss_start_mib": rss_start,
        "peak_rss_mib": peak_rss_mib(),
        "store_mib": store_bytes / 2**20,
        "wal_max_mib": max(wal_mib),
        "load_start": load_start,
        "load_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


# ======================================================================= latency (parent)


def spawn_latency(mode: str, args: argparse.Namespace) -> Record:
    """Run one store's latency in a fresh interpreter; its record (or an error)."""
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--latency-child",
        mode,
        "--warmup",
        str(args.warmup),
        "--timed",
        str(args.timed),
        "--seed",
        str(args.seed),
        "--store-dir",
        args.store_dir,
    ]
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"mode": mode, "error": f"timed out after {CHILD_TIMEOUT_S:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"mode": mode, "error": f"exit {done.returncode}: {tail}"}
    record: Record = json.loads(lines[-1])
    return record


def source_state() -> str:
    """Git commit of the checkout this script lives in, and whether ``src`` has edits."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' with uncommitted src changes' if dirty else ''}"


def file_system(path: str) -> str:
    """File system type of ``path`` (from ``/proc/mounts``), or ``"unknown"``."""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            rows = [line.split() for line in mounts]
    except OSError:
        return "unknown"
    real = os.path.realpath(path)
    best, kind = "", "unknown"
    for row in rows:
        if len(row) < 3:
            continue
        point = row[1]
        inside = real == point or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, row[2]
    return kind


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _load(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def latency_report(records: Sequence[Record]) -> tuple[list[str], list[tuple[str, bool | None]]]:
    """Table lines and verdicts (``None``: reported, no target)."""
    header = (
        f"{'store':<28} {'routes':>6}  {'p50 µs':>7} {'p90 µs':>7} {'p99 µs':>7}"
        f" {'p99.9 µs':>8} {'max µs':>7}  {'routes/s':>8} {'loop/s':>6}  {'p99 CPU':>7}"
        f"  {'GC hit':>6} {'p99 noGC':>8} {'p99.9 noGC':>10}  {'waiting':>7} {'on shift':>8}"
        f"  {'RSS MiB':>7} {'WAL max':>7} {'load':>7}"
    )
    lines = [header, "-" * len(header)]
    verdicts: list[tuple[str, bool | None]] = []
    for rec in records:
        mode = rec["mode"]
        if rec.get("error"):
            lines.append(f"{MODE_LABEL[mode]:<28} ERROR {rec['error']}")
            if mode in P99_TARGET_US:
                verdicts.append((f"latency {MODE_LABEL[mode]}: {rec['error']}", False))
            continue
        p, q, c = rec["latency_us"], rec["no_gc_latency_us"], rec["cpu_latency_us"]
        shift = f"{rec['on_shift_min']:.0%}-{rec['on_shift_mean']:.0%}"
        load = f"{_load(rec['load_start'])}/{_load(rec['load_end'])}"
        wal = f"{rec['wal_max_mib']:.0f}" if not rec["mode"].startswith("memory") else "-"
        lines.append(
            f"{MODE_LABEL[mode]:<28} {rec['timed']:>6}  {p['p50']:>7.1f} {p['p90']:>7.1f}"
            f" {p['p99']:>7.1f} {p['p99.9']:>8.1f} {rec['max_us']:>7.0f}"
            f"  {rec['throughput_per_s']:>8.0f} {rec['loop_per_s']:>6.0f}  {c['p99']:>7.1f}"
            f"  {rec['gc_hit_share']:>6.2%} {q['p99']:>8.1f} {q['p99.9']:>10.1f}"
            f"  {rec['waiting']:>7} {shift:>8}  {rec['peak_rss_mib']:>7.0f} {wal:>7} {load:>7}"
        )
        target = P99_TARGET_US.get(mode)
        p99 = p["p99"]
        if target is None:
            verdicts.append((f"latency {MODE_LABEL[mode]}: p99 {_us(p99)} (no target)", None))
        else:
            text = (
                f"latency {MODE_LABEL[mode]}: p99 {_us(p99)} < {_us(target)}"
                f" ({rec['timed']} timed routes)"
            )
            verdicts.append((text, bool(p99 < target)))
    lines.append("")
    lines.append(
        "routes/s = 1 / mean route time (one thread); loop/s = timed routes per second of the "
        "whole loop (releases and status samples included); p99 CPU = the calling thread's CPU "
        "time per route; GC hit = share of routes during which a garbage collection ran, noGC = "
        "percentiles without them; on shift = managers available (min-mean, sampled every 1000 "
        "routes); RSS = peak RSS of the store's process; WAL max = largest write-ahead log seen "
        "(MiB); load = 1-minute load average at start/end"
    )
    for rec in records:
        if rec.get("error"):
            continue
        slow = ", ".join(
            f"{s['us']:.0f}" + (" GC" if s["gc"] else "") + f" (CPU {s['cpu_us']:.0f})"
            for s in rec["slowest"]
        )
        gen = rec["gc_collections"]
        gc_p50 = rec["gc_hit_p50_us"]
        lines.append(
            f"  {MODE_LABEL[rec['mode']]}: {rec['over_1ms']} routes > 1 ms "
            f"({rec['over_1ms_off_cpu_share']:.0%} of their time off the CPU, "
            f"{rec['over_1ms_gc']} with a GC); slowest µs {slow}; GC gen0/1/2 "
            f"{gen[0]}/{gen[1]}/{gen[2]} taking {rec['gc_ms']:.0f} ms"
            + (f", median route with a GC {gc_p50:.0f} µs" if gc_p50 is not None else "")
            + f"; {rec['released']} releases, <= {rec['keep_open']} of {rec['capacity']} "
            f"places held, {rec['simulated_hours']:.1f} h simulated; RSS at the first timed "
            f"route {_mib(rec['rss_start_mib'])} MiB; store file {rec['store_mib']:.1f} MiB "
            "after close"
        )
    return lines, verdicts


def _us(value: float) -> str:
    return f"{value / 1000:.2f} ms" if value >= 1000 else f"{value:.1f} µs"


# ================================================================================ quality


@dataclass(frozen=True)
class QualityCase:
    """One quality instance: family, size, capacity slack and seed."""

    family: str
    n: int
    m: int
    slack: float
    seed: int

    @property
    def group(self) -> tuple[str, int, int, float]:
        """The seeds of a group are summarized together."""
        return (self.family, self.n, self.m, self.slack)


def apportion(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing to ``total`` (largest remainder)."""
    exact = weights / weights.sum() * total
    out: np.ndarray = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    if short > 0:
        out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def draw_values(family: str, rows: int, skill: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A (rows, m) value matrix of the family (``skill`` is used by ``product`` only)."""
    m = skill.size
    if family == "uniform":
        uniform: np.ndarray = rng.random((rows, m))
        return uniform
    quality = rng.beta(2.0, 5.0, size=rows)
    noise = rng.uniform(0.9, 1.1, size=(rows, m))
    product: np.ndarray = np.clip(quality[:, None] * skill[None, :] * noise, 0.0, 1.0)
    return product


def make_instance(case: QualityCase) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values in arrival order (n, m), history sample (n / 10, m), capacities (m,)."""
    rng = np.random.default_rng([case.seed, case.n, case.m, FAMILIES.index(case.family)])
    skill = rng.uniform(0.3, 1.0, size=case.m)
    weights = rng.uniform(0.5, 1.5, size=case.m)
    capacity = apportion(weights, round(case.slack * case.n))
    values = draw_values(case.family, case.n, skill, rng)
    values = values[rng.permutation(case.n)]  # random arrival order
    history = draw_values(case.family, case.n // HISTORY_SHARE, skill, rng)
    return values, history, capacity


def simulate(
    values: np.ndarray,
    capacity: np.ndarray,
    history: np.ndarray | None,
    reprice_at: Sequence[float],
) -> Record:
    """Route every lead once through a fresh router; value, loads and checks."""
    n, m = values.shape
    managers = [{"id": f"m{j:03d}", "max_active_leads": int(capacity[j])} for j in range(m)]
    router = fl.Router(managers, QUALITY_POLICY, share_half_life=None)
    index = {mid: j for j, mid in enumerate(router.manager_ids_)}
    fit_s = 0.0
    if history is not None:
        past = [{"id": f"h{i}", "score": 0.5} for i in range(history.shape[0])]
        start = time.perf_counter()
        router.fit(past, values=history, capacity=capacity / HISTORY_SHARE)
        fit_s = time.perf_counter() - start
    leads = [{"id": f"q{i}", "score": 0.5} for i in range(n)]
    checkpoints = {round(f * n) for f in reprice_at}
    reprice_s: list[float] = []
    loads = np.zeros(m, dtype=np.int64)
    total, unrouted = 0.0, 0
    route_ns = 0
    for i in range(n):
        now = START + timedelta(seconds=i)
        if i in checkpoints and 0 < i < n:
            room = np.array([s.capacity - s.open for s in router.status(now)])
            window = np.maximum(room, 0.0) * i / (n - i)
            start = time.perf_counter()
            router.reprice(leads[:i], values=values[:i], capacity=window)
            reprice_s.append(time.perf_counter() - start)
        start_ns = time.perf_counter_ns()
        decision = router.route(leads[i], now, value=values[i])
        route_ns += time.perf_counter_ns() - start_ns
        if decision.manager_id is None:
            unrouted += 1
            continue
        j = index[decision.manager_id]
        loads[j] += 1
        total += float(values[i, j])
    status = router.status(START + timedelta(seconds=n))
    open_now = np.array([s.open for s in status])
    router.close()
    return {
        "objective": total,
        "unrouted": unrouted,
        "over_capacity": int((loads > capacity).sum()),
        "status_agrees": bool(np.array_equal(open_now, loads.astype(np.float64))),
        "fit_s": fit_s,
        "reprice_s": reprice_s,
        "route_us": route_ns / 1000 / n,
    }


def run_quality(case: QualityCase) -> Record:
    """Hindsight optimum and the three online strategies on one instance."""
    values, history, capacity = make_instance(case)
    start = time.perf_counter()
    problem = fl.AssignmentProblem(value=values, capacity=capacity, allow_unassigned=True)
    best = fl.solve(problem, method="sifting")
    solve_s = time.perf_counter() - start
    record: Record = {
        "case": asdict(case),
        "optimum": best.objective,
        "optimum_status": best.status.name,
        "optimum_s": solve_s,
        "capacity_total": int(capacity.sum()),
    }
    runs = {
        "greedy": simulate(values, capacity, None, ()),
        "fixed": simulate(values, capacity, history, ()),
        "reprice": simulate(values, capacity, history, REPRICE_AT),
    }
    for run in runs.values():
        run["ratio"] = run["objective"] / best.objective if best.objective > 0 else float("nan")
    record["runs"] = runs
    return record


def quality_cases(args: argparse.Namespace) -> list[QualityCase]:
    """Every family x size x slack x seed of the run."""
    return [
        QualityCase(family, args.n, m, slack, args.seed + s)
        for family in FAMILIES
        for m in args.managers
        for slack in SLACKS
        for s in range(args.seeds)
    ]


def quality_report(
    records: Sequence[Record],
) -> tuple[list[str], list[tuple[str, bool | None]], Record]:
    """Table lines, verdicts and the headline numbers of the quality part."""
    groups: dict[tuple[str, int, int, float], list[Record]] = {}
    for rec in records:
        groups.setdefault(QualityCase(**rec["case"]).group, []).append(rec)
    header = (
        f"{'family':<8} {'n':>6} {'m':>4} {'slack':>5} {'seeds':>5}"
        + "".join(f"  {name + ' mean/min':>19}" for name in STRATEGIES)
        + f"  {'over c_j':>8} {'unrouted':>8}  {'opt s':>5} {'fit s':>5} {'reprice s':>16}"
        f" {'route µs':>8}"
    )
    lines = [header, "-" * len(header)]
    verdicts: list[tuple[str, bool | None]] = []
    worst: dict[str, float] = {}
    by_family: dict[tuple[str, str], list[float]] = {}
    for key, recs in groups.items():
        family, n, m, slack = key
        cells = []
        for name in STRATEGIES:
            ratios = [r["runs"][name]["ratio"] for r in recs]
            cells.append(f"{np.mean(ratios):.4f}/{min(ratios):.4f}")
            worst[name] = min(worst.get(name, np.inf), *ratios)
            by_family.setdefault((family, name), []).extend(ratios)
        runs = [r["runs"][s] for r in recs for s in STRATEGIES]
        over = sum(run["over_capacity"] for run in runs)
        unrouted = sum(run["unrouted"] for run in runs)
        agrees = all(run["status_agrees"] for run in runs)
        reprices = [t for r in recs for t in r["runs"]["reprice"]["reprice_s"]]
        spread = f"{min(reprices):.2f}-{max(reprices):.2f}" if reprices else "-"
        lines.append(
            f"{family:<8} {n:>6} {m:>4} {slack:>5.1f} {len(recs):>5}"
            + "".join(f"  {c:>19}" for c in cells)
            + f"  {over:>8} {unrouted:>8}  {np.mean([r['optimum_s'] for r in recs]):>5.2f}"
            f" {np.mean([r['runs']['fixed']['fit_s'] for r in recs]):>5.2f} {spread:>16}"
            f" {np.mean([run['route_us'] for run in runs]):>8.1f}"
        )
        label = f"quality {family} n={n} m={m} slack={slack:.1f}"
        rep = [r["runs"]["reprice"]["ratio"] for r in recs]
        optimal = all(r["optimum_status"] == "OPTIMAL" for r in recs)
        cap_ok = over == 0 and agrees and (slack < 1.0 or unrouted == 0)
        text = (
            f"{label}: reprice min {min(rep):.4f} >= {RATIO_TARGET} over {len(recs)} seed(s); "
            f"no manager above c_j in any strategy ({over} over"
            + (", every lead routed" if slack >= 1.0 else "")
            + ("" if agrees else ", status().open DISAGREES with the decisions")
            + f"); hindsight {'OPTIMAL' if optimal else 'NOT OPTIMAL'}"
            + f"  (greedy min {min(r['runs']['greedy']['ratio'] for r in recs):.4f}, fixed min "
            f"{min(r['runs']['fixed']['ratio'] for r in recs):.4f}: no target)"
        )
        verdicts.append((text, bool(min(rep) >= RATIO_TARGET and cap_ok and optimal)))
    lines.append("")
    lines.append(
        "ratio = online value / hindsight optimum (sifting, allow_unassigned); over c_j = "
        "strategy runs in which some manager got more than c_j leads; unrouted = leads left "
        "waiting; opt s = hindsight solve; fit s = fit on the n/10 history; reprice s = the "
        "four re-pricings (min-max); route µs = mean route() with value= rows"
    )
    headline: Record = {
        "worst": worst,
        "range": {
            f"{family} {name}": (float(min(v)), float(max(v)))
            for (family, name), v in by_family.items()
        },
        "instances": len(records),
    }
    return lines, verdicts, headline


# =================================================================================== main


def parse_managers(text: str) -> list[int]:
    """Comma-separated manager counts."""
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"manager counts must be integers, got {text!r}") from None
    if not out or min(out) < 1:
        raise argparse.ArgumentTypeError(f"manager counts must be >= 1, got {text!r}")
    return out


def _verdict_word(ok: bool | None) -> str:
    return "REPORT" if ok is None else "PASS" if ok else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; run the latency and quality parts, or one latency child."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 5000 timed routes (2000 warm-up), n=5000, one seed",
    )
    parser.add_argument(
        "--part", choices=("all", "latency", "quality"), default="all", help="what to run"
    )
    parser.add_argument("--warmup", type=int, default=None, help="untimed routes (default 5000)")
    parser.add_argument("--timed", type=int, default=None, help="timed routes (default 20000)")
    parser.add_argument(
        "--store-dir",
        default=tempfile.gettempdir(),
        help="directory of the SQLite files (default: the system temporary directory)",
    )
    parser.add_argument("--n", type=int, default=None, help="leads per quality instance (10000)")
    parser.add_argument(
        "--managers",
        type=parse_managers,
        default=[50, 200],
        help="comma-separated manager counts of the quality instances (default 50,200)",
    )
    parser.add_argument("--seeds", type=int, default=None, help="seeds per quality group (3)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="quality worker processes"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--latency-child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.warmup = args.warmup if args.warmup is not None else (2000 if args.quick else 5000)
    args.timed = args.timed if args.timed is not None else (5000 if args.quick else 20000)
    args.n = args.n if args.n is not None else (5000 if args.quick else 10000)
    args.seeds = args.seeds if args.seeds is not None else (1 if args.quick else 3)
    if min(args.warmup, args.timed - 1, args.n - 1, args.seeds - 1, args.jobs - 1) < 0:
        parser.error("--warmup >= 0, --timed >= 1, --n >= 1, --seeds >= 1, --jobs >= 1")

    if args.latency_child is not None:
        record = run_latency(args.latency_child, args.warmup, args.timed, args.seed, args.store_dir)
        print(json.dumps(record))
        return 0

    wall = time.perf_counter()
    info = machine_info("numpy", "scipy", "pydantic", "fairlead")
    print("fairlead online router: Router.route latency, and quality against the hindsight optimum")
    print(
        f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}, pydantic {info['pydantic']}, "
        f"fairlead {info['fairlead']} (git {source_state()}), "
        f"SQLite {sqlite3.sqlite_version}" + ("  [--quick]" if args.quick else "")
    )
    print(flush=True)
    verdicts: list[tuple[str, bool | None]] = []
    payload: Record = {"machine": info, "settings": {k: v for k, v in vars(args).items()}}
    lat_records: list[Record] = []
    quality_headline: Record | None = None

    if args.part in ("all", "latency"):
        print(
            f"== 1. latency of Router.route: {LATENCY_MANAGERS} managers in {len(ZONES)} time "
            f"zones with working hours, balance band ±{LATENCY_POLICY['balance_tolerance']:.0%}, "
            "qualification and hot-lead level, webhook dicts, default value model (one row: a "
            f"ConversionModel fitted on {MODEL_HISTORY} rows of history)"
        )
        print(
            f"   {args.warmup} warm-up + {args.timed} timed routes per store, each timed alone "
            "(perf_counter_ns), GC on, releases interleaved (untimed), one subprocess per store; "
            f"SQLite files in {args.store_dir} ({file_system(args.store_dir)})",
            flush=True,
        )
        lat_records = [spawn_latency(mode, args) for mode in MODES]
        lines, lat_verdicts = latency_report(lat_records)
        print("\n".join(lines))
        print(flush=True)
        verdicts += lat_verdicts
        payload["latency"] = lat_records

    if args.part in ("all", "quality"):
        cases = quality_cases(args)
        print(
            f"== 2. quality, random arrival order, vs the hindsight optimum: "
            f"{len(cases)} instances (families {', '.join(FAMILIES)}; n={args.n}; "
            f"m={', '.join(map(str, args.managers))}; slack {', '.join(map(str, SLACKS))}; "
            f"{args.seeds} seed(s)), {args.jobs} worker(s)"
        )
        print(
            "   greedy = zero prices; fixed = prices from fit on an n/10 history sample "
            "(capacity c/10); reprice = fixed + reprice at "
            + ", ".join(f"{f:.0%}" for f in REPRICE_AT)
            + " of arrivals on the leads seen (capacity = room x seen / remaining)",
            flush=True,
        )
        start = time.perf_counter()
        if args.jobs > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                q_records = list(pool.map(run_quality, cases))
        else:
            q_records = [run_quality(case) for case in cases]
        lines, q_verdicts, quality_headline = quality_report(q_records)
        print("\n".join(lines))
        print(f"   quality part: {time.perf_counter() - start:.0f} s")
        print(flush=True)
        verdicts += q_verdicts
        payload["quality"] = q_records

    for text, ok in verdicts:
        print(f"verdict {text}: {_verdict_word(ok)}")
    print()

    print("== summary")
    for rec in lat_records:
        if rec.get("error"):
            print(f"  route latency {MODE_LABEL[rec['mode']]}: ERROR {rec['error']}")
            continue
        p = rec["latency_us"]
        target = P99_TARGET_US.get(rec["mode"])
        print(
            f"  route latency, {LATENCY_MANAGERS} managers, {MODE_LABEL[rec['mode']]}: "
            f"p50 {_us(p['p50'])}, p90 {_us(p['p90'])}, p99 {_us(p['p99'])}, "
            f"p99.9 {_us(p['p99.9'])}, {rec['throughput_per_s']:,.0f} routes/s"
            + (f" (target p99 < {_us(target)})" if target else " (no target)")
            + f"; p99 CPU time {_us(rec['cpu_latency_us']['p99'])}; GC in "
            f"{rec['gc_hit_share']:.1%} of routes; peak RSS {rec['peak_rss_mib']:.0f} MiB"
            + (
                f"; WAL up to {rec['wal_max_mib']:.0f} MiB"
                if not rec["mode"].startswith("memory")
                else ""
            )
        )
    if quality_headline is not None:
        rng_ = quality_headline["range"]
        for family in FAMILIES:
            parts = [
                f"{name} {rng_[f'{family} {name}'][0]:.3f}-{rng_[f'{family} {name}'][1]:.3f}"
                for name in STRATEGIES
                if f"{family} {name}" in rng_
            ]
            print(f"  quality vs hindsight optimum, {family}: " + ", ".join(parts))
        worst = quality_headline["worst"]
        print(
            f"  worst instance of {quality_headline['instances']}: "
            + ", ".join(f"{name} {worst[name]:.4f}" for name in STRATEGIES)
            + f" (target reprice >= {RATIO_TARGET})"
        )
    failed = sum(ok is False for _, ok in verdicts)
    passed = sum(ok is True for _, ok in verdicts)
    print(
        f"  verdicts: {passed} PASS, {failed} FAIL; peak RSS of this process "
        f"{peak_rss_mib():.0f} MiB; {time.perf_counter() - wall:.0f} s in all"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2, default=str)
            out.write("\n")
        print(f"results written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
