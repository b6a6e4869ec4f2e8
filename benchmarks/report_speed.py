"""Speed and size of the head of sales' report: 100 managers, 13 weeks.

The event log is a simulated quarter (``fairlead.sim``, seeded): 100 managers with
their capacities, round robin, 13 weeks from Monday 2026-08-31 at 300 leads a working
day, told as an event log (leads created, assigned, contacted, staged, closed,
feedback; existing clients' touches and purchases). The sales plan gives each manager
a monthly revenue for September to November near what they sell.

The script times, each as the median of ``--repeat`` runs (default 3):

* the reference: ``kpi.compute(log, "week", managers=...)`` alone (every KPI);
* ``kpi.report(log, plan, managers=..., period="week")``: KPIs, the plan's breakdown,
  rating, alerts, eight plots and the page (English), and the ratio report / compute;

and prints the page's size and the process's peak RSS. Targets: the report under
10 s and the page under 2 MB; the exit status is 1 when one is missed.

Run::

    python benchmarks/report_speed.py
    python benchmarks/report_speed.py --managers 200 --repeat 1 --out build/big.html
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from _machine import machine_info, peak_rss_mib
from fairlead import kpi
from fairlead.sim import RoundRobin, SimConfig, event_log, make_world, simulate

TARGET_S = 10.0
TARGET_BYTES = 2_000_000
START = datetime(2026, 8, 31)
WEEKS = 13
MONTHS = ("2026-09", "2026-10", "2026-11")


def make_data(
    managers: int, seed: int
) -> tuple[kpi.EventLog, list[dict[str, Any]], list[dict[str, Any]]]:
    """The simulated log, the team (ids, names, capacities) and a monthly plan."""
    config = SimConfig(n_managers=managers, weeks=WEEKS, leads_per_weekday=3.0 * managers)
    world = make_world(config, seed=seed)
    record = simulate(world, RoundRobin())
    log = kpi.EventLog.from_columns(event_log(record, start=START, seed=seed))
    team = [
        {"id": m, "name": f"Manager {m}", "max_active_leads": int(max(c, 1))}
        for m, c in zip(world.team.ids, world.team.capacity.tolist(), strict=True)
    ]
    rng = np.random.default_rng(seed)
    won = log.kind == kpi.EVENT_TYPES.index("won")
    revenue = np.zeros(len(log.manager_ids))
    np.add.at(
        revenue,
        log.manager[won & (log.manager >= 0)],
        np.nan_to_num(log.numbers["amount"][won & (log.manager >= 0)]),
    )
    monthly = revenue / 3.0 * rng.uniform(0.8, 1.25, size=revenue.size)
    plan = [
        {"period": month, "manager_id": m, "revenue": round(float(v), -2)}
        for month in MONTHS
        for m, v in zip(log.manager_ids, monthly.tolist(), strict=True)
    ]
    return log, team, plan


def median_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managers", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the page here")
    args = parser.parse_args()

    print("machine:", machine_info("numpy", "matplotlib", "jinja2"))
    start = time.perf_counter()
    log, team, plan = make_data(args.managers, args.seed)
    print(
        f"data: {log!r}, {len(plan)} plan rows (simulated in {time.perf_counter() - start:.1f} s)"
    )
    compute_s, _ = median_time(lambda: kpi.compute(log, "week", managers=team), args.repeat)
    report_s, html = median_time(
        lambda: kpi.report(log, plan, period="week", managers=team), args.repeat
    )
    size = len(html.encode("utf-8"))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(html, encoding="utf-8")
    print(f"kpi.compute (reference): {compute_s:.2f} s (median of {args.repeat})")
    print(
        f"kpi.report: {report_s:.2f} s (median of {args.repeat}), "
        f"{report_s / compute_s:.1f} x compute; page {size / 1e6:.2f} MB; "
        f"peak RSS {peak_rss_mib():.0f} MiB"
    )
    ok = report_s < TARGET_S and size < TARGET_BYTES
    print(
        f"targets: report < {TARGET_S:.0f} s, page < {TARGET_BYTES / 1e6:.0f} MB: "
        + ("met" if ok else "MISSED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
