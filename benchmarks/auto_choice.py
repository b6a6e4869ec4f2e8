"""Which exact method reaches the best objective fastest, by problem shape: ``auto``'s rules.

For each case (size ``n x m``, leads x managers, x policy feature x value family) one
random instance is drawn from ``numpy.random.default_rng(seed)``, and every candidate
method that accepts it is run with its default options, as ``method="auto"`` would run
it (``cp_sat`` 30 s, ``lp_round`` 60 s; ``--quick``: 3 s and 5 s).

Value families:

* ``uniform``: values U[0, 1).
* ``correlated``: ``v_ij = q_i * s_j * exp(N(0, 0.2))`` with lead quality
  ``q_i ~ Beta(2, 8)`` and manager skill ``s_j = linspace(0.8, 1.2, m)``: every lead
  prefers the same managers, so bands bind hard.

Policy features (``t = n / m`` leads per manager):

* ``plain``: capacity ``ceil(1.1 t)``.
* ``count``: a count band, ``min_load = floor(0.9 t)``, ``max_load = ceil(1.1 t)``
  (capacity ``ceil(1.2 t)``).
* ``value``: a value band, each manager's value within ±5 % (``uniform``; ±10 % for
  ``correlated``, where ±5 % leaves no assignment) of ``1 / m`` of the optimum without
  it (as :func:`fairlead.assign` builds it), capacity ``ceil(1.1 t)``.
* ``both``: the count band and the value band (taken from the optimum with the count
  band).
* ``weights``: lead workloads 1, 2 or 3, capacity ``ceil(1.1 W / m)`` for a total
  workload ``W`` (the generalized assignment problem).
* ``minloads``: ``min_load = floor(0.95 t)`` only, capacity ``ceil(1.3 t)``.
* ``unassigned``: ``allow_unassigned`` with capacity ``floor(0.9 t)``: a tenth of the
  leads stay out.

Candidates: ``sifting``, ``min_cost_flow``, ``cp_sat`` and ``lp_round``, each where it
applies (the flow methods take unit workloads without value bands; ``lp_round`` refuses
``allow_unassigned``). A method *reaches the best* when its objective is within a
relative ``1e-5`` (0.001 %) of the best objective any method found on that case; the
winner is the fastest that does. Per case the script prints, for every method, its
seconds, its shortfall from the best objective, its status and the peak memory of the
solve (``VmHWM`` reset through ``/proc/self/clear_refs`` before each method, minus the
RSS before it; Linux only, else ``-``), then the winner, the seconds of each method as a
ratio to the winner's (the reference, measured in the same run), and the method
``auto`` picks (``fairlead.solvers._auto.choose_method``) with whether it reaches the
best within 3 times the winner's seconds (+0.05 s). The last table gives, per problem
shape, value family and size, the winners and each method's median seconds.

Every case of one size runs in one fresh subprocess (its imports and instance are its
own); every solution is checked against every hard constraint.

Run (exit status 1 when ``auto`` misses the best objective or is more than 3 times
slower than the winner on a case some method solved)::

    python benchmarks/auto_choice.py --quick       # under 2 minutes on 2 cores
    python benchmarks/auto_choice.py               # about 25 minutes
    python benchmarks/auto_choice.py --sizes 2000x20 --features value,both --values uniform
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from _machine import machine_info, peak_rss_mib, status_mib

FEATURES = ("plain", "count", "value", "both", "weights", "minloads", "unassigned")
VALUES = ("uniform", "correlated")
METHODS = ("sifting", "min_cost_flow", "cp_sat", "lp_round")
SIZES = "200x5,1000x10,2000x20,10000x50"
QUICK_SIZES = "300x6,2000x20"
# --quick gives cp_sat and lp_round these instead of their defaults (30 s, 60 s): enough
# to see who proves or reaches the optimum early, short enough to stay under 2 minutes.
QUICK_CP_SAT_LIMIT = 3.0
QUICK_LP_ROUND_LIMIT = 5.0
QUICK_LIMITS = {"cp_sat": QUICK_CP_SAT_LIMIT, "lp_round": QUICK_LP_ROUND_LIMIT}
REACH_RTOL = 1e-5
# The value band's tolerance per family: with correlated values every manager's share
# is harder to reach, and ±5 % leaves no assignment at all.
VALUE_TOLERANCE = {"uniform": 0.05, "correlated": 0.1}
AUTO_SLOWDOWN = 3.0
AUTO_SLACK_S = 0.05  # timings this short are noise
CHILD_TIMEOUT_S = 3600.0

Record = dict[str, Any]


# --------------------------------------------------------------------------- child side


def instance(n: int, m: int, feature: str, values: str, seed: int) -> Any:
    """The case's AssignmentProblem."""
    import numpy as np

    import fairlead as fl

    rng = np.random.default_rng(seed)
    if values == "uniform":
        value = rng.random((n, m))
    else:
        quality = rng.beta(2.0, 8.0, n)
        skill = np.linspace(0.8, 1.2, m)
        value = quality[:, None] * skill[None, :] * np.exp(rng.normal(0.0, 0.2, (n, m)))
    t = n / m
    args: dict[str, Any] = {"value": value, "capacity": np.full(m, math.ceil(1.1 * t))}
    if feature in ("count", "both"):
        args.update(
            capacity=np.full(m, math.ceil(1.2 * t)),
            min_load=np.full(m, math.floor(0.9 * t)),
            max_load=np.full(m, math.ceil(1.1 * t)),
        )
    elif feature == "weights":
        weight = rng.choice(np.array([1.0, 2.0, 3.0]), n)
        args.update(weight=weight, capacity=np.full(m, math.ceil(1.1 * weight.sum() / m)))
    elif feature == "minloads":
        args.update(
            capacity=np.full(m, math.ceil(1.3 * t)), min_load=np.full(m, math.floor(0.95 * t))
        )
    elif feature == "unassigned":
        args.update(capacity=np.full(m, math.floor(0.9 * t)), allow_unassigned=True)
    if feature in ("value", "both"):
        # The value band as assign() builds it: a share of the optimum without the band.
        reference = fl.solve(fl.AssignmentProblem(**args), method="sifting").objective
        share, tol = reference / m, VALUE_TOLERANCE[values]
        args.update(
            min_value=np.full(m, share * (1.0 - tol)),
            max_value=np.full(m, share * (1.0 + tol)),
        )
    return fl.AssignmentProblem(**args)


def applies(method: str, problem: Any) -> bool:
    """Whether ``method`` accepts ``problem``."""
    flow = problem.unit_weights and not problem.has_value_bounds
    if method in ("sifting", "min_cost_flow"):
        return bool(flow)
    if method == "lp_round":
        return not problem.allow_unassigned
    return True


def reset_peak() -> bool:
    """Reset this process's peak RSS (Linux); whether it could."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def run_method(problem: Any, method: str, quick: bool) -> Record:
    import fairlead as fl
    from fairlead.core import violations

    options: dict[str, Any] = {}
    if quick and method in QUICK_LIMITS:
        options["time_limit"] = QUICK_LIMITS[method]
    measured = reset_peak()
    before = status_mib("VmRSS")
    start = time.perf_counter()
    solution = fl.solve(problem, method=method, **options)
    seconds = time.perf_counter() - start
    peak = status_mib("VmHWM")
    own = max(peak - before, 0.0) if measured and peak is not None and before is not None else None
    ok = solution.status.has_solution and not violations(problem, solution.manager_of)
    return {
        "method": method,
        "seconds": seconds,
        "objective": solution.objective if ok else None,
        "status": solution.status.value,
        "peak_mib": own,
    }


def child(n: int, m: int, features: list[str], values: list[str], seed: int, quick: bool) -> None:
    """Run every case of one size; print one JSON record per case, then the peak RSS."""
    from fairlead.solvers._auto import choose_method

    for family in values:
        for feature in features:
            problem = instance(n, m, feature, family, seed)
            runs = [
                run_method(problem, method, quick) for method in METHODS if applies(method, problem)
            ]
            record = {
                "n": n,
                "m": m,
                "feature": feature,
                "values": family,
                "pairs": problem.n_pairs,
                "auto": choose_method(problem)[0],
                "runs": runs,
            }
            print(json.dumps(record), flush=True)
    print(json.dumps({"peak_rss_mib": peak_rss_mib()}), flush=True)


# --------------------------------------------------------------------------- parent side


def verdict(record: Record) -> Record:
    """The best objective, the winner, and how ``auto``'s pick fares."""
    found = [r["objective"] for r in record["runs"] if r["objective"] is not None]
    best = max(found) if found else None
    reach = []
    for r in record["runs"]:
        short = None
        if best is not None and r["objective"] is not None:
            short = (best - r["objective"]) / max(abs(best), 1e-12)
        r["short"] = short
        if short is not None and short <= REACH_RTOL:
            reach.append(r)
    winner = min(reach, key=lambda r: r["seconds"]) if reach else None
    auto = next((r for r in record["runs"] if r["method"] == record["auto"]), None)
    # None: no method found a plan within its time limit, nothing to miss
    auto_ok = (
        None
        if winner is None
        else auto is not None
        and auto in reach
        and auto["seconds"] <= AUTO_SLOWDOWN * winner["seconds"] + AUTO_SLACK_S
    )
    return {**record, "winner": None if winner is None else winner["method"], "auto_ok": auto_ok}


def shape(record: Record) -> str:
    """The problem shape ``auto`` decides on."""
    if record["feature"] in ("value", "both"):
        return "value band"
    if record["feature"] == "weights":
        return "weighted leads"
    return "unit workloads, no value band"


def print_case(record: Record) -> None:
    winner = next((r for r in record["runs"] if r["method"] == record["winner"]), None)
    ref = winner["seconds"] if winner is not None else None
    head = (
        f"{record['n']:>6}x{record['m']:<3} {record['feature']:<10} {record['values']:<10} "
        f"{record['pairs']:>9,}"
    )
    print(head)
    for r in record["runs"]:
        short = "-" if r["short"] is None else f"{100 * r['short']:.4f} %"
        ratio = "-" if ref is None else f"{r['seconds'] / max(ref, 1e-9):.1f}x"
        peak = "-" if r["peak_mib"] is None else f"{r['peak_mib']:.0f}"
        mark = " <- best, fastest" if r["method"] == record["winner"] else ""
        print(
            f"    {r['method']:<14} {r['seconds']:>8.2f} s {ratio:>8} {short:>11} "
            f"{r['status']:<10} {peak:>6} MiB{mark}"
        )
    verdicts = {True: "reaches the best", False: "MISSES (slower or worse)"}
    ok = verdicts.get(record["auto_ok"], "no method found a plan in time")
    print(f"    auto picks {record['auto']}: {ok}")


def print_summary(records: list[Record]) -> None:
    """Per problem shape, value family and size: the winners, each method's median seconds."""
    groups: dict[tuple[str, str, int], list[Record]] = {}
    for r in records:
        groups.setdefault((shape(r), r["values"], r["pairs"]), []).append(r)
    print("by problem shape, values and size: winners (cases), median seconds per method")
    print(f"  {'shape':<30} {'values':<10} {'pairs':>9}  {'winners':<28} median seconds")
    for (kind, family, pairs), group in sorted(groups.items()):
        counts = Counter(r["winner"] or "none" for r in group)
        won = ", ".join(f"{name} {k}" for name, k in counts.most_common())
        times: dict[str, list[float]] = {}
        for r in group:
            for run in r["runs"]:
                times.setdefault(run["method"], []).append(run["seconds"])
        medians = ", ".join(
            f"{name} {statistics.median(ts):.2f}" for name, ts in sorted(times.items())
        )
        print(f"  {kind:<30} {family:<10} {pairs:>9,}  {won:<28} {medians}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="two small sizes, shorter time limits")
    parser.add_argument("--sizes", help=f"n x m list (default {SIZES}; --quick {QUICK_SIZES})")
    parser.add_argument("--features", default=",".join(FEATURES))
    parser.add_argument("--values", default=",".join(VALUES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    features = args.features.split(",")
    families = args.values.split(",")
    if args.child:
        n, m = (int(x) for x in args.child.split("x"))
        child(n, m, features, families, args.seed, args.quick)
        return 0

    sizes = args.sizes or (QUICK_SIZES if args.quick else SIZES)
    info = machine_info("numpy", "scipy", "ortools", "highspy", "fairlead")
    print("fairlead auto_choice: which method reaches the best objective fastest")
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    limits = (
        f"cp_sat {QUICK_CP_SAT_LIMIT:g} s, lp_round {QUICK_LP_ROUND_LIMIT:g} s (--quick)"
        if args.quick
        else "cp_sat 30 s, lp_round 60 s (their defaults)"
    )
    print(
        f"time limits: {limits}; best = within {REACH_RTOL:g} (relative) of the "
        "best objective found; ratio = seconds / the winner's seconds"
    )
    print(f"{'case':<36} {'pairs':>9}")
    started = time.perf_counter()
    records: list[Record] = []
    for size in sizes.split(","):
        command = [
            sys.executable,
            __file__,
            "--child",
            size,
            "--features",
            ",".join(features),
            "--values",
            ",".join(families),
            "--seed",
            str(args.seed),
        ]
        if args.quick:
            command.append("--quick")
        with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                data = json.loads(line)
                if "runs" not in data:
                    print(f"  {size}: child peak RSS {data['peak_rss_mib']:.0f} MiB")
                    continue
                record = verdict(data)
                records.append(record)
                print_case(record)
            if proc.wait(timeout=CHILD_TIMEOUT_S) != 0:
                print(f"  {size}: the child failed with status {proc.returncode}")
                return 1
    print()
    print_summary(records)
    missed = [r for r in records if r["auto_ok"] is False]
    decided = [r for r in records if r["auto_ok"] is not None]
    print(
        f"auto reaches the best within {AUTO_SLOWDOWN:g}x the winner's time (+{AUTO_SLACK_S:g} s) "
        f"on {len(decided) - len(missed)} of the {len(decided)} cases some method solved "
        f"({len(records) - len(decided)} unsolved in time); "
        f"{time.perf_counter() - started:.0f} s in all; parent peak RSS {peak_rss_mib():.0f} MiB"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(records, f, indent=2)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
