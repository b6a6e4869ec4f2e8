"""How fairlead's exact solver scales, against a bare OR-Tools call on the same instance.

For each size ``n x m`` (leads x managers) one random capacitated instance is drawn:
values uniform in [0, 1) from ``numpy.random.default_rng(seed)``, every pair eligible,
``ceil(1.1 * n / m)`` places per manager (feasible, with slack). On it the script times

* ``ortools``: a bare ``SimpleMinCostFlow``: arcs added in bulk from numpy, costs
  ``-rint(value * scale)`` with fairlead's own scale (``fairlead._flow.value_scale`` of
  the ``n + m + 1`` nodes, as ``fairlead._flow.build_network`` computes it),
  supplies, ``solve()``, status check, ``flows()`` and the assignment extracted. The
  clock runs from the value matrix to the assignment.
* ``fairlead``: ``fl.solve(fl.AssignmentProblem(value=V, capacity=c),
  method="min_cost_flow")``, end to end (problem construction and validation included).

Both build the same network (lead -> manager arcs of capacity 1, manager -> sink arcs
of capacity c), so the ratio fairlead / ortools is fairlead's overhead. The two
objectives must agree to a relative 1e-9.

Every (size, variant) runs in a fresh subprocess so its peak RSS (``ru_maxrss``, read in
the child at the end) is its own; a ``baseline`` child that only imports numpy, OR-Tools
and fairlead and draws the value matrix gives the floor, so peak - baseline is the
solver's own memory. On Linux a child's ``ru_maxrss`` also covers the memory of the
process it was started from (it survives ``exec``), so this parent never imports numpy
and stays far below any child; its own peak is printed as a check.

Each timing is repeated ``--repeat`` times in its subprocess and the median reported.
Targets, per size: fairlead / ortools <= 1.5, fairlead's peak RSS < 2 GiB (the target is
set for 100k x 50; smaller sizes meet it trivially) and agreeing objectives.

Run (about 30 s on 2 cores; exit status 1 when a verdict is FAIL)::

    python benchmarks/solver_scaling.py
    python benchmarks/solver_scaling.py --sizes 10000x50 --repeat 5 --json results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from _machine import machine_info as shared_machine_info

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]

RATIO_TARGET = 1.5
RSS_TARGET_MIB = 2048.0
OBJECTIVE_RTOL = 1e-9
CAPACITY_SLACK = 1.1
VARIANTS = ("baseline", "ortools", "fairlead")
CHILD_TIMEOUT_S = 900.0

Record = dict[str, Any]


# --------------------------------------------------------------------------- child side


def _peak_rss_mib() -> float:
    """Peak RSS of this process from ``getrusage`` (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def _vm_hwm_mib() -> float | None:
    """High-water RSS of the current address space (Linux ``VmHWM``), reset by ``exec``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def make_instance(n: int, m: int, seed: int) -> tuple[FloatArray, IntArray]:
    """Random capacitated instance: values U[0, 1), ``ceil(1.1 n / m)`` places each."""
    import numpy as np

    value = np.random.default_rng(seed).random((n, m))
    capacity = np.full(m, math.ceil(CAPACITY_SLACK * n / m), dtype=np.int64)
    return value, capacity


def bare_ortools(value: FloatArray, capacity: IntArray) -> tuple[IntArray | None, str, Record]:
    """Solve the instance with a bare ``SimpleMinCostFlow``; returns (assignment, status, phases).

    The network is fairlead's: one node per lead, one per manager and a sink; lead ``i``
    sends one unit to manager ``j`` at cost ``-rint(value[i, j] * scale)``; manager ``j``
    passes at most ``capacity[j]`` units to the sink, which absorbs all ``n``.
    """
    import numpy as np
    from ortools.graph.python import min_cost_flow

    from fairlead._flow import value_scale

    start = time.perf_counter()
    n, m = value.shape
    sink = n + m
    # Exactly fairlead's scale: build_network passes the node count of the network it
    # lays out, here n + m + 1 (leads, managers, sink; no pool node).
    scale = value_scale(value, n + m + 1)
    tails = np.repeat(np.arange(n, dtype=np.int32), m)
    heads = np.tile(np.arange(n, n + m, dtype=np.int32), n)
    costs = -np.rint(value.ravel() * scale).astype(np.int64)
    smcf = min_cost_flow.SimpleMinCostFlow()
    arcs = smcf.add_arcs_with_capacity_and_unit_cost(
        tails, heads, np.ones(n * m, dtype=np.int64), costs
    )
    del costs
    smcf.add_arcs_with_capacity_and_unit_cost(
        np.arange(n, n + m, dtype=np.int32),
        np.full(m, sink, dtype=np.int32),
        capacity.astype(np.int64),
        np.zeros(m, dtype=np.int64),
    )
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    smcf.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int32), supplies)
    built = time.perf_counter()
    status = smcf.solve()
    solved = time.perf_counter()
    phases: Record = {"build": built - start, "solve": solved - built}
    if status != smcf.OPTIMAL:
        return None, str(status.name), phases
    used = np.asarray(smcf.flows(arcs)) > 0
    manager_of = np.full(n, -1, dtype=np.int64)
    manager_of[tails[used]] = heads[used] - n
    phases["extract"] = time.perf_counter() - solved
    return manager_of, "OPTIMAL", phases


def fairlead_solve(value: FloatArray, capacity: IntArray) -> tuple[IntArray | None, str, Record]:
    """Solve the instance with ``fl.solve(..., method="min_cost_flow")``, end to end."""
    import fairlead as fl

    start = time.perf_counter()
    problem = fl.AssignmentProblem(value=value, capacity=capacity)
    built = time.perf_counter()
    solution = fl.solve(problem, method="min_cost_flow")
    end = time.perf_counter()
    phases: Record = {"problem": built - start}
    phases.update(solution.timings)
    # Solver.solve's own work around run(): option check, objective and loads.
    phases["package"] = solution.wall_time - sum(solution.timings.values())
    phases["fl.solve"] = end - built
    if solution.status is not fl.SolveStatus.OPTIMAL:
        return None, solution.status.name, phases
    return solution.manager_of, "OPTIMAL", phases


def _check_assignment(manager_of: IntArray, capacity: IntArray) -> str | None:
    import numpy as np

    if np.any(manager_of < 0):
        return f"{int(np.count_nonzero(manager_of < 0))} leads unassigned"
    loads = np.bincount(manager_of, minlength=capacity.size)
    if np.any(loads > capacity):
        return f"manager {int(np.argmax(loads - capacity))} over capacity"
    return None


def run_case(variant: str, n: int, m: int, seed: int, repeat: int) -> Record:
    """Child process body: time one variant on one size, then read the peak RSS."""
    import numpy as np
    import ortools.graph.python.min_cost_flow  # noqa: F401  (baseline: imported everywhere)

    import fairlead  # noqa: F401

    value, capacity = make_instance(n, m, seed)
    record: Record = {"variant": variant, "n": n, "m": m, "seed": seed, "repeat": repeat}
    if variant != "baseline":
        solve = bare_ortools if variant == "ortools" else fairlead_solve
        times: list[float] = []
        runs: list[Record] = []
        manager_of: IntArray | None = None
        status, error = "OPTIMAL", None
        for _ in range(repeat):
            manager_of = None  # free the previous result before the next run
            start = time.perf_counter()
            try:
                manager_of, status, phases = solve(value, capacity)
            except Exception as exc:  # report any failure instead of dying
                status, error, phases = "ERROR", f"{type(exc).__name__}: {exc}", {}
            times.append(time.perf_counter() - start)
            runs.append(phases)
            if manager_of is None:
                break
        if manager_of is not None:
            error = _check_assignment(manager_of, capacity)
            status = "INVALID" if error else status
        elif error is None:
            error = f"solve ended with status {status}"
        record.update(
            status=status,
            error=error,
            times=times,
            seconds=statistics.median(times),
            phases={k: statistics.median(r[k] for r in runs if k in r) for k in runs[-1]},
            objective=(
                float(value[np.arange(n), manager_of].sum()) if manager_of is not None else None
            ),
        )
    record["peak_rss_mib"] = _peak_rss_mib()
    record["vm_hwm_mib"] = _vm_hwm_mib()
    return record


# -------------------------------------------------------------------------- parent side


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """Parse ``"10000x50,100000x50"`` into ``[(10000, 50), (100000, 50)]``."""
    sizes = []
    for item in text.split(","):
        try:
            n_text, m_text = item.strip().lower().split("x")
            n, m = int(n_text), int(m_text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"size {item!r} is not NxM, e.g. 10000x50") from None
        if n < 1 or m < 1:
            raise argparse.ArgumentTypeError(f"size {item!r} needs n >= 1 and m >= 1")
        sizes.append((n, m))
    return sizes


def default_repeat(n: int, m: int) -> int:
    """Repeats when ``--repeat`` is not given: 5 up to 1M pairs, 3 above."""
    return 5 if n * m <= 1_000_000 else 3


def spawn_case(variant: str, n: int, m: int, seed: int, repeat: int) -> Record:
    """Run one (size, variant) in a fresh interpreter and parse its JSON line."""
    cmd = [sys.executable, os.path.abspath(__file__), "--case", variant]
    cmd += ["--sizes", f"{n}x{m}", "--seed", str(seed), "--repeat", str(repeat)]
    failed: Record = {"variant": variant, "n": n, "m": m, "status": "CRASHED", "seconds": None}
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return failed | {"status": "TIMEOUT", "error": f"no result after {CHILD_TIMEOUT_S:g} s"}
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return failed | {"error": f"exit code {proc.returncode}: " + " | ".join(tail)}
    record: Record = json.loads(lines[-1])
    return record


def compare(n: int, m: int, cases: dict[str, Record]) -> Record:
    """Ratio, objective agreement and verdict for one size."""
    ort, fl_ = cases["ortools"], cases["fairlead"]
    ok = ort.get("status") == "OPTIMAL" and fl_.get("status") == "OPTIMAL"
    ratio = fl_["seconds"] / ort["seconds"] if ok and ort["seconds"] > 0 else None
    rel_diff = None
    if ok and ort["objective"] is not None and fl_["objective"] is not None:
        a, b = ort["objective"], fl_["objective"]
        rel_diff = abs(a - b) / max(abs(a), abs(b), 1e-300)
    rss = fl_.get("peak_rss_mib")
    checks = {
        "ratio": ratio is not None and ratio <= RATIO_TARGET,
        "rss": rss is not None and fl_.get("status") == "OPTIMAL" and rss < RSS_TARGET_MIB,
        "objectives": rel_diff is not None and rel_diff <= OBJECTIVE_RTOL,
    }
    return {
        "n": n,
        "m": m,
        "repeat": ort.get("repeat"),
        "cases": cases,
        "ratio": ratio,
        "objective_rel_diff": rel_diff,
        "checks": checks,
        "verdict": "PASS" if all(checks.values()) else "FAIL",
    }


def _mib(case: Record, base: Record) -> str:
    peak, floor = case.get("peak_rss_mib"), base.get("peak_rss_mib")
    if peak is None:
        return "-"
    extra = f" (+{peak - floor:.0f})" if floor is not None else ""
    return f"{peak:.0f}{extra}"


def _secs(case: Record) -> str:
    return f"{case['seconds']:.3f}" if case.get("status") == "OPTIMAL" else str(case["status"])


def _passfail(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def report(results: Sequence[Record]) -> list[str]:
    """The table, the phase breakdowns, the failures and one verdict line per size."""
    header = (
        f"{'n':>7} {'m':>4} {'rep':>3}  {'ortools s':>14}  {'fairlead s':>14}  {'ratio':>5}"
        f"  {'base MiB':>8}  {'ortools MiB (+own)':>18}  {'fairlead MiB (+own)':>19}  objectives"
    )
    lines = [header, "-" * len(header)]
    for row in results:
        base, ort, fl_ = (row["cases"][v] for v in VARIANTS)
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        if row["objective_rel_diff"] is None:
            agree = "n/a (no optimal pair)"
        else:
            word = "agree" if row["checks"]["objectives"] else "DIFFER"
            agree = f"{word} (rel {row['objective_rel_diff']:.1e})"
        base_mib = "-" if base.get("peak_rss_mib") is None else f"{base['peak_rss_mib']:.0f}"
        lines.append(
            f"{row['n']:>7} {row['m']:>4} {row['repeat']!s:>3}  {_secs(ort):>14}  {_secs(fl_):>14}"
            f"  {ratio:>5}  {base_mib:>8}  {_mib(ort, base):>18}  {_mib(fl_, base):>19}  {agree}"
        )
    lines.append("")
    lines.append("phase medians, seconds (fairlead 'package' = objective/loads/options in solve):")
    for row in results:
        for variant in ("ortools", "fairlead"):
            case = row["cases"][variant]
            phases = ", ".join(f"{k} {v:.3f}" for k, v in (case.get("phases") or {}).items())
            runs = ", ".join(f"{t:.3f}" for t in case.get("times") or [])
            lines.append(
                f"  {row['n']}x{row['m']} {variant:<8} runs [{runs}]  {phases or '(none)'}"
            )
    errors = [
        f"  {row['n']}x{row['m']} {v}: {row['cases'][v]['error']}"
        for row in results
        for v in VARIANTS
        if row["cases"][v].get("error")
    ]
    if errors:
        lines += ["", "failures:", *errors]
    lines.append("")
    for row in results:
        fl_ = row["cases"]["fairlead"]
        checks = row["checks"]
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        rss = fl_.get("peak_rss_mib")
        rss_text = "n/a" if rss is None else f"{rss:.0f} MiB"
        if fl_.get("status") != "OPTIMAL":
            rss_text += f" (run ended {fl_.get('status')})"
        lines.append(
            f"verdict {row['n']}x{row['m']}: {row['verdict']}  "
            f"[ratio {ratio} <= {RATIO_TARGET}: {_passfail(checks['ratio'])}; "
            f"fairlead peak RSS {rss_text} < {RSS_TARGET_MIB:.0f} MiB: "
            f"{_passfail(checks['rss'])}; "
            f"objectives agree to {OBJECTIVE_RTOL:g}: {_passfail(checks['objectives'])}]"
        )
    return lines


def machine_info() -> Record:
    """Cores, platform and versions."""
    return shared_machine_info("numpy", "ortools", "fairlead")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line; run as the parent, or as one child with ``--case``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("10000x50,100000x50"),
        help="comma-separated NxM sizes (leads x managers), default 10000x50,100000x50",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed runs per case, median reported (default: 5 up to 1M pairs, else 3)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the value matrix")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--case", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be >= 1")

    if args.case is not None:  # child: one size, one variant, one JSON line
        (n, m), *_ = args.sizes
        repeat = args.repeat if args.repeat is not None else default_repeat(n, m)
        print(json.dumps(run_case(args.case, n, m, args.seed, repeat)))
        return 0

    info = machine_info()
    print("fairlead solver scaling: bare OR-Tools SimpleMinCostFlow vs fl.solve(min_cost_flow)")
    print(
        f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        f"numpy {info['numpy']}, ortools {info['ortools']}, fairlead {info['fairlead']}"
    )
    print(
        f"instances: value ~ U[0,1) from default_rng({args.seed}), all pairs eligible, "
        f"capacity ceil({CAPACITY_SLACK} n/m) per manager; one subprocess per case, "
        "median time, peak RSS = child's ru_maxrss"
    )
    print(flush=True)

    results = []
    for n, m in args.sizes:
        repeat = args.repeat if args.repeat is not None else default_repeat(n, m)
        cases = {variant: spawn_case(variant, n, m, args.seed, repeat) for variant in VARIANTS}
        results.append(compare(n, m, cases))

    for line in report(results):
        print(line)
    parent_peak = _peak_rss_mib()
    floors = [r["cases"]["baseline"].get("peak_rss_mib") for r in results]
    smallest = min((f for f in floors if f is not None), default=float("inf"))
    note = "below" if parent_peak < smallest else "NOT below (children's ru_maxrss may be inflated)"
    print(f"parent peak RSS {parent_peak:.0f} MiB, {note} every child's baseline")

    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "sizes": [f"{n}x{m}" for n, m in args.sizes],
                "repeat": args.repeat,
                "seed": args.seed,
                "capacity_slack": CAPACITY_SLACK,
                "targets": {
                    "ratio_max": RATIO_TARGET,
                    "peak_rss_mib_max": RSS_TARGET_MIB,
                    "objective_rtol": OBJECTIVE_RTOL,
                },
            },
            "parent_peak_rss_mib": parent_peak,
            "results": results,
        }
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
        print(f"results written to {args.json}")
    return 0 if all(r["verdict"] == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
