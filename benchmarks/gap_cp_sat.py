"""cp_sat on the generalized assignment benchmarks (Chu & Beasley 1997, OR-Library).

Target: on the Chu-Beasley type c instances (``chu1997/c05100`` ... ``c20200``, costs
to minimize), ``fl.solve(problem, method="cp_sat", time_limit=30)`` finds a cost
within 0.5 % of the optimum. Optima are the ones listed in the data folder's
README (fontanf's table, re-proved there with HiGHS). With ``--all`` the types a and b
run the same way, and OR-Library gap1 ... gap12 (60 small instances, maximized) are
summarized per file against their published optima.

Per instance: size (agents x jobs), optimum, cost found, relative gap to the
optimum, the gap cp_sat itself proves (``Solution.gap``, from CP-SAT's bound),
status, wall time of ``fl.solve`` (model building included) and peak RSS. Each
instance runs in a fresh subprocess, so its peak RSS (``VmHWM``, reset by ``exec``)
is its own; the ``baseline`` line is a child that only imports fairlead, OR-Tools and
numpy and reads the instance -- the difference is the solve's memory. Every
solution is checked against every constraint (``fairlead.core.violations``).

Run (about 1-2 min on 2 cores; ``--all`` about 2-3 min; exit status 1 on a FAIL)::

    python benchmarks/gap_cp_sat.py
    python benchmarks/gap_cp_sat.py --time-limit 10 --all
    FAIRLEAD_GAP_DATA=/path/to/gap python benchmarks/gap_cp_sat.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _machine import peak_rss_mib, version
from fairlead.datasets import ORLIB_OPTIMA

GAP_TARGET = 0.005  # 0.5 %
CHILD_SLACK_S = 120.0  # a child gets the time limit plus this before it is killed

# Optimal costs (minimization), from the data folder's README.
CHU_BEASLEY = {
    "a": {"a05100": 1698, "a05200": 3235, "a10100": 1360, "a10200": 2623, "a20100": 1158,
          "a20200": 2339},
    "b": {"b05100": 1843, "b05200": 3552, "b10100": 1407, "b10200": 2827, "b20100": 1166,
          "b20200": 2339},
    "c": {"c05100": 1931, "c05200": 3456, "c10100": 1402, "c10200": 2806, "c20100": 1243,
          "c20200": 2391},
}  # fmt: skip

Record = dict[str, Any]


# --------------------------------------------------------------------------- child side


def child(path: str, indices: list[int], time_limit: float, workers: int | None) -> None:
    """Solve instances of one file; print one JSON record per instance, then the RSS."""
    import fairlead as fl
    import fairlead.solvers.cp_sat
    from fairlead.core import violations
    from fairlead.datasets import read_gap

    for index in indices:
        problem = read_gap(path, index=index)
        if time_limit <= 0:  # baseline: read the instance, do not solve
            print(json.dumps({"index": index}), flush=True)
            continue
        options: Record = {"time_limit": time_limit}
        if workers is not None:
            options["workers"] = workers
        start = time.perf_counter()
        sol = fl.solve(problem, method="cp_sat", **options)
        elapsed = time.perf_counter() - start
        broken = violations(problem, sol.manager_of) if sol.status.has_solution else []
        record = {
            "index": index,
            "m": problem.n_managers,
            "n": problem.n_leads,
            "status": sol.status.name,
            "objective": sol.objective if sol.status.has_solution else None,
            "proven_gap": sol.gap,
            "seconds": elapsed,
            "broken": broken[:3],
        }
        print(json.dumps(record), flush=True)
    print(json.dumps({"rss_mib": peak_rss_mib()}), flush=True)


# -------------------------------------------------------------------------- parent side


def run_child(
    path: Path, indices: list[int], time_limit: float, workers: int | None
) -> tuple[list[Record], float | None]:
    command = [sys.executable, __file__, "--child", str(path), "--time-limit", str(time_limit)]
    command += ["--indices", ",".join(map(str, indices))]
    if workers is not None:
        command += ["--workers", str(workers)]
    budget = (max(time_limit, 0.0) + CHILD_SLACK_S) * max(1, len(indices))
    done = subprocess.run(command, capture_output=True, text=True, timeout=budget, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child for {path} failed:\n{done.stderr}")
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return lines[:-1], lines[-1]["rss_mib"]


def relative(found: float, best: float) -> float:
    return abs(found - best) / max(abs(best), 1e-12)


def percent(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.3f} %"


HEADER = (
    f"{'instance':<9} {'m x n':>7} {'optimum':>8} {'cost':>8} {'gap to opt':>10} "
    f"{'proven gap':>10} {'status':>9} {'time s':>7} {'peak RSS':>9}"
)


def chu_beasley(data: Path, kind: str, time_limit: float, workers: int | None) -> tuple[int, int]:
    """Run one type; print a row and a verdict per instance. Returns (passed, total)."""
    print(f"\nChu & Beasley type {kind} (minimize cost), time limit {time_limit:g} s")
    print(HEADER)
    passed = 0
    total = len(CHU_BEASLEY[kind])
    for name, optimum in CHU_BEASLEY[kind].items():
        [record], rss = run_child(data / "chu1997" / name, [0], time_limit, workers)
        cost = None if record["objective"] is None else -record["objective"]
        gap = None if cost is None else relative(cost, optimum)
        ok = (
            gap is not None
            and gap <= GAP_TARGET
            and not record["broken"]
            and record["seconds"] <= time_limit + 5.0
        )
        passed += ok
        size = f"{record['m']}x{record['n']}"
        cost_text = "-" if cost is None else f"{cost:g}"
        print(
            f"{name:<9} {size:>7} {optimum:>8} {cost_text:>8} {percent(gap):>10} "
            f"{percent(record['proven_gap']):>10} {record['status']:>9} "
            f"{record['seconds']:>7.2f} {rss:>5.0f} MiB"
        )
        if record["broken"]:
            print(f"          broken: {record['broken']}")
        verdict = "PASS" if ok else "FAIL"
        print(f"          {name}: <= 0.5 % gap within {time_limit:g} s: {verdict}")
    verdict = "PASS" if passed == total else "FAIL"
    print(
        f"overall type {kind}: {passed}/{total} instances <= 0.5 % gap within "
        f"{time_limit:g} s: {verdict}"
    )
    return passed, total


def orlib(data: Path, time_limit: float, workers: int | None) -> tuple[int, int]:
    """OR-Library gap1 ... gap12 (maximize), one summary row per file."""
    print(f"\nOR-Library gap1-gap12 (maximize profit), time limit {time_limit:g} s each")
    print(
        f"{'file':<7} {'m x n':>6} {'optimal':>8} {'at optimum':>10} {'worst gap':>10} "
        f"{'time s':>7} {'slowest':>8} {'peak RSS':>9}"
    )
    passed = total = 0
    for number, optima in ORLIB_OPTIMA.items():
        records, rss = run_child(
            data / "orlib" / f"gap{number}.txt", list(range(len(optima))), time_limit, workers
        )
        at_optimum = proven = 0
        worst = 0.0
        for record, optimum in zip(records, optima, strict=True):
            found = record["objective"]
            gap = 1.0 if found is None else relative(found, optimum)
            worst = max(worst, gap)
            at_optimum += gap <= 1e-12 and not record["broken"]
            proven += record["status"] == "OPTIMAL"
        seconds = [r["seconds"] for r in records]
        size = f"{records[0]['m']}x{records[0]['n']}"
        print(
            f"gap{number:<4} {size:>6} {proven:>5}/{len(optima)} {at_optimum:>7}/{len(optima)} "
            f"{percent(worst):>10} {sum(seconds):>7.2f} {max(seconds):>8.2f} {rss:>5.0f} MiB"
        )
        passed += at_optimum
        total += len(optima)
    verdict = "PASS" if passed == total else "FAIL"
    print(f"OR-Library: {passed}/{total} instances at the published optimum: {verdict}")
    return passed, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per instance")
    parser.add_argument("--workers", type=int, default=None, help="CP-SAT workers (default: all)")
    parser.add_argument("--all", action="store_true", help="also types a, b and gap1-gap12")
    parser.add_argument("--data", type=Path, default=None, help="the GAP data folder")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--indices", default="0", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        indices = [int(k) for k in args.indices.split(",")]
        child(args.child, indices, args.time_limit, args.workers)
        return 0

    data = args.data or Path(
        os.environ.get("FAIRLEAD_GAP_DATA")
        or Path(__file__).resolve().parents[2] / "shared/data/gap"
    )
    if not (data / "chu1997").is_dir():
        print(f"GAP data not found at {data}; pass --data or set FAIRLEAD_GAP_DATA")
        return 2
    print(
        f"fairlead {version('fairlead')}, ortools {version('ortools')}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"workers {args.workers or os.cpu_count()}"
    )
    _, baseline = run_child(data / "chu1997" / "c20200", [0], 0.0, None)
    print(f"baseline peak RSS (imports + one instance read): {baseline:.0f} MiB")

    start = time.perf_counter()
    kinds = ["c", "a", "b"] if args.all else ["c"]
    results = [chu_beasley(data, kind, args.time_limit, args.workers) for kind in kinds]
    ok = all(passed == total for passed, total in results)
    if args.all:
        passed, total = orlib(data, args.time_limit, args.workers)
        ok = ok and passed == total
    print(
        f"total wall time {time.perf_counter() - start:.0f} s; overall: {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
