"""How fairlead's exact solvers scale, against a bare OR-Tools call on the same instance.

For each case (instance family x size ``n x m``, leads x managers, x value storage) one
random capacitated instance is drawn from ``numpy.random.default_rng(seed)``.

Instance families (``--families``, default ``uniform,tight,skill``):

* ``uniform`` (the default family; the speed targets apply to it): values U[0, 1),
  ``ceil(1.1 n / m)`` places per manager (feasible, with slack). With that slack few
  leads miss their first choice; at 100000x50 none does, so the best assignment is
  every lead at its best manager.
* ``tight``: values U[0, 1) (the very matrix ``uniform`` draws), ``ceil(n / m)`` places
  per manager: every manager nearly full.
* ``skill``: ``v_ij = q_i * s_j * exp(N(0, 0.2))`` with lead quality ``q_i ~ Beta(2, 8)``
  and manager skill ``s_j = linspace(0.6, 1.4, m)``, ``ceil(1.05 n / m)`` places per
  manager: every lead prefers the best managers, so the capacities bind hard.

Value storage: dense ``--dtype float64`` (default) or ``float32``; a ``--density d`` below
1 draws a ``scipy.sparse`` CSR matrix instead, whose stored entries are the eligible
pairs: ``scipy.sparse.random_array((rows, m), density=d, format="csr", dtype=...,
rng=default_rng(seed))``, values U[0, 1), drawn for blocks of rows of about 4M pairs
and stacked (a single call over all pairs holds a 1.6 GB permutation at 1M x 200, a
transient that would hide the solvers' memory under the baseline); a lead left without
any pair gets one random pair; ``skill`` overwrites the stored values with its formula.
Capacities are the family's. Every array is passed read-only, so ``AssignmentProblem``
keeps a dense matrix without copying it.

Variants, each timed end to end from the value matrix to the assignment:

* ``ortools``: a bare ``SimpleMinCostFlow``: one arc per eligible pair (every pair when
  dense, the stored ones when sparse) at cost ``-rint(value * scale)`` with fairlead's
  own scale (``fairlead.formulation.scale_for`` of the largest ``|value|`` and the
  ``n + m + 1`` nodes, as fairlead computes it), added in bulk from numpy a block of rows
  at a time; manager -> sink arcs of capacity c; supplies, ``solve()``, status check,
  ``flows()`` and the assignment extracted.
* ``min_cost_flow``: ``fl.solve(fl.AssignmentProblem(value=V, capacity=c),
  method="min_cost_flow")``, problem construction and validation included. It builds
  the same network, so min_cost_flow / ortools is fairlead's overhead.
* ``sifting``: ``fl.solve(fl.AssignmentProblem(value=V, capacity=c), method="sifting")``,
  likewise end to end; its ``solution.gap`` (relative ``bound - objective``, the bound
  an LP dual bound from the manager prices) is recorded as the dual gap.

Every objective is recomputed in float64 from the assignment; every pair of variants
that ran must agree to a relative 1e-9.

Every (case, variant) runs in a fresh subprocess so its peak RSS (``ru_maxrss``, read in
the child at the end) is its own; a ``baseline`` child that only imports numpy, scipy,
OR-Tools and fairlead and draws the instance gives the floor, so peak - baseline is the
solver's own memory. On Linux a child's ``ru_maxrss`` also covers the memory of the
process it was started from (it survives ``exec``), so this parent never imports numpy
and stays far below any child; its own peak is printed as a check.

Each timing is repeated ``--repeat`` times in its subprocess (default 5 up to 1M pairs,
else 3) and the median reported. Targets (one verdict line per case):

* ``uniform``, dense storage: sifting speedup (ortools / sifting) >= 20 at 100000x50 and
  >= 10 at 10000x50, and min_cost_flow / ortools <= 1.5 at every size (other sizes,
  families and sparse storage: both printed, no target);
* every case: sifting's dual gap <= 1e-9, objectives agree to 1e-9 wherever OR-Tools ran,
  every variant that ran ends OPTIMAL;
* normal sizes: peak RSS of both fairlead variants < 2 GiB.

``--large`` adds three cases at 1000000x200, float32, run with ``baseline`` and
``sifting`` only: ``uniform`` dense, ``uniform`` sparse at density 0.1 and ``tight``
dense. Targets: sifting OPTIMAL in < 60 s with a peak RSS < 4096 MiB, dual gap <= 1e-9.
Bare OR-Tools would need 200M arcs there (about 20 GiB and minutes), so it is skipped
and estimated instead: its own RSS and seconds per arc at the largest normal size,
extrapolated linearly, printed as an extrapolation. ``--ortools-large`` (implies
``--large``) runs bare OR-Tools at 1000000x200 as well, if the machine has the memory
(the child timeout is 900 s). ``min_cost_flow`` is never run at 1000000x200: it builds
the same network as bare OR-Tools, plus a dense float64 copy of the values.

Run (exit status 1 when a verdict is FAIL). The default (sizes 10000x50,100000x50 x the
three families, float64) takes about 1.5 minutes on 2 cores; ``--large`` adds about
half a minute and needs about 2 GiB::

    python benchmarks/solver_scaling.py
    python benchmarks/solver_scaling.py --large
    python benchmarks/solver_scaling.py --sizes 10000x50 --families uniform --dtype float32
    python benchmarks/solver_scaling.py --density 0.1 --repeat 3 --json results.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from _machine import machine_info as shared_machine_info
from _machine import max_rss_mib, status_mib

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import scipy.sparse as sp

    FloatArray = npt.NDArray[np.float64]
    IntArray = npt.NDArray[np.int64]
    Value = npt.NDArray[np.float64] | npt.NDArray[np.float32] | sp.csr_array
    Solve = Callable[[Value, IntArray], tuple[IntArray | None, str, "Record", "Record"]]

# Places per manager, in percent of n / m (integers, so the ceiling is exact).
FAMILY_SLACK_PERCENT = {"uniform": 110, "tight": 100, "skill": 105}
FAMILIES = tuple(FAMILY_SLACK_PERCENT)
DEFAULT_FAMILY = "uniform"
SKILL_NOISE = 0.2
SKILL_BETA = (2.0, 8.0)
SKILL_RANGE = (0.6, 1.4)

VARIANTS = ("baseline", "ortools", "min_cost_flow", "sifting")
SOLVERS = VARIANTS[1:]
LARGE_VARIANTS = ("baseline", "sifting")

RATIO_TARGET = 1.5
SPEEDUP_TARGETS = {(10_000, 50): 10.0, (100_000, 50): 20.0}  # uniform, dense
GAP_TARGET = 1e-9
OBJECTIVE_RTOL = 1e-9
RSS_TARGET_MIB = 2048.0
LARGE_N, LARGE_M = 1_000_000, 200
LARGE_TIME_TARGET_S = 60.0
LARGE_RSS_TARGET_MIB = 4096.0
LARGE_DENSITY = 0.1
CHILD_TIMEOUT_S = 900.0
# Pair arcs handed to OR-Tools per call: bounds the numpy temporaries of a large build.
CHUNK_ARCS = 1 << 22

Record = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One instance: family, size, value storage; ``large`` cases skip OR-Tools."""

    family: str
    n: int
    m: int
    dtype: str = "float64"
    density: float = 1.0
    large: bool = False

    @property
    def sparse(self) -> bool:
        """Whether the values are drawn as a CSR matrix."""
        return self.density < 1.0

    @property
    def storage(self) -> str:
        """``float64``, ``float32``, or ``csr d=0.1`` (``f32`` appended for float32)."""
        if not self.sparse:
            return self.dtype
        return f"csr d={self.density:g}" + (" f32" if self.dtype == "float32" else "")

    @property
    def label(self) -> str:
        """``uniform 100000x50 float64``."""
        return f"{self.family} {self.n}x{self.m} {self.storage}"

    def capacity(self) -> int:
        """Places per manager: ``ceil(slack * n / m)``, in exact integer arithmetic."""
        percent = FAMILY_SLACK_PERCENT[self.family]
        return -(-percent * self.n // (100 * self.m))


# --------------------------------------------------------------------------- child side


def make_instance(case: Case, seed: int) -> tuple[Value, IntArray]:
    """The case's value matrix (read-only, dense or CSR) and capacities."""
    import numpy as np
    import scipy.sparse as sp

    n, m = case.n, case.m
    dtype = np.dtype(case.dtype)
    rng = np.random.default_rng(seed)
    capacity = np.full(m, case.capacity(), dtype=np.int64)
    skill = np.linspace(*SKILL_RANGE, m)
    if not case.sparse:
        if case.family == "skill":
            quality = rng.beta(*SKILL_BETA, n)
            dense = rng.standard_normal((n, m), dtype=dtype)
            dense *= SKILL_NOISE
            np.exp(dense, out=dense)
            dense *= quality.astype(dtype)[:, None]
            dense *= skill.astype(dtype)
        else:
            dense = rng.random((n, m), dtype=dtype)
        dense.flags.writeable = False
        return dense, capacity
    # Drawn a block of rows at a time: one random_array call over all n * m pairs
    # samples its positions through a permutation of n * m int64 (1.6 GB at 1M x 200),
    # a transient that would hide the solvers' own memory under the baseline's peak.
    rows_per_block = max(1, CHUNK_ARCS // m)
    csr = sp.vstack(
        [
            sp.random_array(
                (min(rows_per_block, n - start), m),
                density=case.density,
                format="csr",
                dtype=dtype,
                rng=rng,
            )
            for start in range(0, n, rows_per_block)
        ],
        format="csr",
    )
    empty = np.flatnonzero(np.diff(csr.indptr) == 0)
    if empty.size:  # one random eligible pair for every lead that drew none
        coo = csr.tocoo()
        rows = np.concatenate([coo.row, empty])
        cols = np.concatenate([coo.col, rng.integers(0, m, empty.size)])
        data = np.concatenate([coo.data, rng.random(empty.size, dtype=dtype)])
        del coo
        csr = sp.csr_array((data, (rows, cols)), shape=(n, m))
        csr.sum_duplicates()
        csr.sort_indices()
    if case.family == "skill":
        quality = rng.beta(*SKILL_BETA, n)
        rows = np.repeat(np.arange(n), np.diff(csr.indptr))
        noise = np.exp(SKILL_NOISE * rng.standard_normal(csr.nnz))
        csr.data = (quality[rows] * skill[csr.indices] * noise).astype(dtype)
        del rows, noise
    for array in (csr.data, csr.indices, csr.indptr):
        array.flags.writeable = False
    return csr, capacity


def _is_dense(value: Value) -> bool:
    import numpy as np

    return isinstance(value, np.ndarray)


def _row_blocks(value: Value, n: int, m: int) -> list[tuple[int, int]]:
    """Row ranges holding about ``CHUNK_ARCS`` pairs each."""
    per_row = m if _is_dense(value) else max(1, value.nnz // max(n, 1))
    rows = max(1, CHUNK_ARCS // per_row)
    return [(start, min(start + rows, n)) for start in range(0, n, rows)]


def _block_pairs(value: Value, n: int, m: int, start: int, stop: int) -> tuple[Any, Any, Any]:
    """Leads (int32), manager node ids (int32, offset ``n``), values of rows start:stop."""
    import numpy as np

    if _is_dense(value):
        k = stop - start
        tails = np.repeat(np.arange(start, stop, dtype=np.int32), m)
        heads = np.tile(np.arange(n, n + m, dtype=np.int32), k)
        return tails, heads, value[start:stop].ravel()
    lo, hi = int(value.indptr[start]), int(value.indptr[stop])
    counts = np.diff(value.indptr[start : stop + 1])
    tails = np.repeat(np.arange(start, stop, dtype=np.int32), counts)
    heads = value.indices[lo:hi].astype(np.int32) + np.int32(n)
    return tails, heads, value.data[lo:hi]


def bare_ortools(value: Value, capacity: IntArray) -> tuple[IntArray | None, str, Record, Record]:
    """Solve with a bare ``SimpleMinCostFlow``; returns (assignment, status, phases, extras).

    The network is fairlead's: one node per lead, one per manager and a sink; lead ``i``
    sends one unit to each eligible manager ``j`` at cost ``-rint(value[i, j] * scale)``;
    manager ``j`` passes at most ``capacity[j]`` units to the sink, which absorbs all
    ``n``. Pair arcs are added a block of rows at a time, so numpy's temporaries stay
    small next to OR-Tools' own arrays.
    """
    import numpy as np
    from ortools.graph.python import min_cost_flow

    from fairlead.formulation import scale_for

    start = time.perf_counter()
    n, m = value.shape
    sink = n + m
    stored = value if _is_dense(value) else value.data
    top = max(abs(float(stored.max())), abs(float(stored.min()))) if stored.size else 0.0
    # Exactly fairlead's scale: both methods scale by the node count of the network,
    # here n + m + 1 (leads, managers, sink; no pool node).
    scale = scale_for(top, n + m + 1)
    smcf = min_cost_flow.SimpleMinCostFlow()
    blocks = _row_blocks(value, n, m)
    block_pairs = [
        (hi - lo) * m if _is_dense(value) else int(value.indptr[hi] - value.indptr[lo])
        for lo, hi in blocks
    ]
    ones = np.ones(max(block_pairs, default=0), dtype=np.int64)
    first_arcs: list[int] = []
    n_arcs = 0
    for lo, hi in blocks:
        tails, heads, vals = _block_pairs(value, n, m, lo, hi)
        costs = -np.rint(vals.astype(np.float64) * scale).astype(np.int64)
        k = tails.size
        arcs = smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, ones[:k], costs)
        if k and int(arcs[-1]) - int(arcs[0]) != k - 1:
            raise RuntimeError("OR-Tools numbered a block of arcs non-consecutively")
        first_arcs.append(int(arcs[0]) if k else 0)
        n_arcs += k
        del tails, heads, vals, costs, arcs
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
    extras: Record = {"arcs": n_arcs + m}
    if status != smcf.OPTIMAL:
        return None, str(status.name), phases, extras
    manager_of = np.full(n, -1, dtype=np.int64)
    for (lo, hi), first in zip(blocks, first_arcs, strict=True):
        tails, heads, _ = _block_pairs(value, n, m, lo, hi)
        used = np.asarray(smcf.flows(np.arange(first, first + tails.size, dtype=np.int32))) > 0
        manager_of[tails[used]] = heads[used] - n
    phases["extract"] = time.perf_counter() - solved
    return manager_of, "OPTIMAL", phases, extras


def fairlead_solve(
    method: str,
) -> Callable[[Value, IntArray], tuple[IntArray | None, str, Record, Record]]:
    """Solver body for ``fl.solve(..., method=method)``, end to end."""

    def solve(value: Value, capacity: IntArray) -> tuple[IntArray | None, str, Record, Record]:
        import fairlead as fl

        start = time.perf_counter()
        problem = fl.AssignmentProblem(value=value, capacity=capacity)
        built = time.perf_counter()
        solution = fl.solve(problem, method=method)
        end = time.perf_counter()
        phases: Record = {"problem": built - start}
        phases.update(solution.timings)
        # Solver.solve's own work around run(): option check, objective and loads.
        phases["package"] = solution.wall_time - sum(solution.timings.values())
        phases["fl.solve"] = end - built
        extras: Record = {"gap": solution.gap, "bound": solution.bound}
        if solution.status is not fl.SolveStatus.OPTIMAL:
            return None, solution.status.name, phases, extras
        return solution.manager_of, "OPTIMAL", phases, extras

    return solve


def assigned_values(value: Value, manager_of: IntArray) -> tuple[FloatArray, int]:
    """Float64 value of each lead's pair, and how many leads sit at an ineligible pair."""
    import numpy as np

    n = manager_of.size
    if _is_dense(value):
        return value[np.arange(n), manager_of].astype(np.float64), 0
    out = np.zeros(n, dtype=np.float64)
    missing = 0
    rows = 1 << 16
    for start in range(0, n, rows):  # searchsorted over (row, column) keys, a block a time
        stop = min(start + rows, n)
        lo, hi = int(value.indptr[start]), int(value.indptr[stop])
        counts = np.diff(value.indptr[start : stop + 1])
        keys = np.repeat(np.arange(start, stop, dtype=np.int64), counts) * value.shape[1]
        keys += value.indices[lo:hi]
        order = np.argsort(keys, kind="stable")
        wanted = np.arange(start, stop, dtype=np.int64) * value.shape[1] + manager_of[start:stop]
        pos = np.minimum(np.searchsorted(keys[order], wanted), max(keys.size - 1, 0))
        found = keys[order][pos] == wanted if keys.size else np.zeros(stop - start, bool)
        missing += int(np.count_nonzero(~found))
        out[start:stop] = np.where(found, value.data[lo:hi][order][pos], 0.0)
    return out, missing


def _check_assignment(value: Value, manager_of: IntArray, capacity: IntArray) -> str | None:
    import numpy as np

    if np.any(manager_of < 0):
        return f"{int(np.count_nonzero(manager_of < 0))} leads unassigned"
    loads = np.bincount(manager_of, minlength=capacity.size)
    if np.any(loads > capacity):
        return f"manager {int(np.argmax(loads - capacity))} over capacity"
    missing = assigned_values(value, manager_of)[1]
    if missing:
        return f"{missing} leads at a manager they are not eligible for"
    return None


def run_case(variant: str, case: Case, seed: int, repeat: int) -> Record:
    """Child process body: time one variant on one case, then read the peak RSS."""
    import ortools.graph.python.min_cost_flow  # noqa: F401  (baseline: imported everywhere)
    import scipy.sparse  # noqa: F401

    import fairlead  # noqa: F401

    value, capacity = make_instance(case, seed)
    record: Record = {"variant": variant, **asdict(case), "seed": seed, "repeat": repeat}
    if variant != "baseline":
        solve: Solve = bare_ortools if variant == "ortools" else fairlead_solve(variant)
        times: list[float] = []
        runs: list[Record] = []
        gaps: list[float] = []
        manager_of: IntArray | None = None
        status, error, extras = "OPTIMAL", None, {}
        for _ in range(repeat):
            manager_of = None  # free the previous result before the next run
            start = time.perf_counter()
            try:
                manager_of, status, phases, extras = solve(value, capacity)
            except Exception as exc:  # report any failure instead of dying
                status, error, phases = "ERROR", f"{type(exc).__name__}: {exc}", {}
            times.append(time.perf_counter() - start)
            runs.append(phases)
            if extras.get("gap") is not None:
                gaps.append(float(extras["gap"]))
            if manager_of is None:
                break
        objective = None
        if manager_of is not None:
            error = _check_assignment(value, manager_of, capacity)
            status = "INVALID" if error else status
            objective = float(assigned_values(value, manager_of)[0].sum())
        elif error is None:
            error = f"solve ended with status {status}"
        record.update(
            status=status,
            error=error,
            times=times,
            seconds=statistics.median(times),
            phases={k: statistics.median(r[k] for r in runs if k in r) for k in runs[-1]},
            objective=objective,
            gap=max(gaps) if gaps else None,
            arcs=extras.get("arcs"),
        )
    record["peak_rss_mib"] = max_rss_mib()
    record["vm_hwm_mib"] = status_mib("VmHWM")
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


def parse_families(text: str) -> list[str]:
    """Parse ``"uniform,tight"``; every name must be one of :data:`FAMILIES`."""
    names = [item.strip() for item in text.split(",") if item.strip()]
    unknown = [name for name in names if name not in FAMILIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown family {', '.join(unknown) or '(none)'}; choose from {', '.join(FAMILIES)}"
        )
    return names


def parse_densities(text: str) -> list[float]:
    """Parse ``"1,0.1"``: each density in (0, 1]; 1 means dense storage."""
    densities = []
    for item in text.split(","):
        try:
            density = float(item)
        except ValueError:
            raise argparse.ArgumentTypeError(f"density {item!r} is not a number") from None
        if not 0.0 < density <= 1.0:
            raise argparse.ArgumentTypeError(f"density {item!r} must be in (0, 1]")
        densities.append(density)
    return densities


def default_repeat(n: int, m: int) -> int:
    """Repeats when ``--repeat`` is not given: 5 up to 1M pairs, 3 above."""
    return 5 if n * m <= 1_000_000 else 3


def large_cases() -> list[Case]:
    """The ``--large`` cases: 1M x 200 float32, uniform dense and sparse, tight dense."""
    return [
        Case("uniform", LARGE_N, LARGE_M, "float32", 1.0, large=True),
        Case("uniform", LARGE_N, LARGE_M, "float32", LARGE_DENSITY, large=True),
        Case("tight", LARGE_N, LARGE_M, "float32", 1.0, large=True),
    ]


def spawn_case(variant: str, case: Case, seed: int, repeat: int) -> Record:
    """Run one (case, variant) in a fresh interpreter and parse its JSON line."""
    cmd = [sys.executable, os.path.abspath(__file__), "--case", variant]
    cmd += ["--sizes", f"{case.n}x{case.m}", "--families", case.family, "--dtype", case.dtype]
    cmd += ["--density", repr(case.density), "--seed", str(seed), "--repeat", str(repeat)]
    failed: Record = {"variant": variant, **asdict(case), "status": "CRASHED", "seconds": None}
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


def _optimal(case: Record | None) -> bool:
    return case is not None and case.get("status") == "OPTIMAL"


def _rel_diff(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def compare(case: Case, cases: dict[str, Record]) -> Record:
    """Speedup, overhead, objective agreement, checks and verdict for one case."""
    ort, mcf, sift = (cases.get(v) for v in SOLVERS)
    speedup = ort["seconds"] / sift["seconds"] if _optimal(ort) and _optimal(sift) else None
    ratio = mcf["seconds"] / ort["seconds"] if _optimal(ort) and _optimal(mcf) else None
    pairs = {}
    for (a_name, a), (b_name, b) in (
        (("ortools", ort), ("min_cost_flow", mcf)),
        (("ortools", ort), ("sifting", sift)),
        (("min_cost_flow", mcf), ("sifting", sift)),
    ):
        if _optimal(a) and _optimal(b):
            assert a is not None
            assert b is not None
            pairs[f"{b_name} vs {a_name}"] = _rel_diff(a["objective"], b["objective"])
    rel_diff = max(pairs.values()) if pairs else None
    ran = [v for v in SOLVERS if v in cases]
    gap = sift.get("gap") if sift is not None else None

    # Each check: (text, passed); notes are printed without a target.
    checks: list[tuple[str, bool]] = []
    notes: list[str] = []
    dense_uniform = case.family == DEFAULT_FAMILY and not case.sparse
    speed_text = "n/a" if speedup is None else f"{speedup:.1f}"
    ratio_text = "n/a" if ratio is None else f"{ratio:.2f}"
    if case.large:
        time_ok = _optimal(sift) and sift is not None and sift["seconds"] < LARGE_TIME_TARGET_S
        secs = f"{sift['seconds']:.2f} s" if _optimal(sift) and sift is not None else "n/a"
        checks.append((f"sifting {secs} < {LARGE_TIME_TARGET_S:g} s", time_ok))
        rss = sift.get("peak_rss_mib") if sift is not None else None
        rss_text = "n/a" if rss is None else f"{rss:.0f} MiB"
        checks.append(
            (
                f"sifting peak RSS {rss_text} < {LARGE_RSS_TARGET_MIB:.0f} MiB",
                rss is not None and _optimal(sift) and rss < LARGE_RSS_TARGET_MIB,
            )
        )
        if speedup is not None:
            notes.append(f"speedup {speed_text} (no target)")
    else:
        target = SPEEDUP_TARGETS.get((case.n, case.m)) if dense_uniform else None
        if target is not None:
            checks.append(
                (
                    f"sifting speedup {speed_text} >= {target:g}",
                    speedup is not None and speedup >= target,
                )
            )
        else:
            notes.append(f"speedup {speed_text} (no target)")
        if dense_uniform:
            checks.append(
                (
                    f"min_cost_flow / ortools {ratio_text} <= {RATIO_TARGET}",
                    ratio is not None and ratio <= RATIO_TARGET,
                )
            )
        else:
            notes.append(f"min_cost_flow / ortools {ratio_text} (no target)")
        peaks = {v: cases[v].get("peak_rss_mib") for v in ("min_cost_flow", "sifting")}
        rss_text = ", ".join(f"{v} {'n/a' if p is None else f'{p:.0f}'}" for v, p in peaks.items())
        checks.append(
            (
                f"peak RSS {rss_text} < {RSS_TARGET_MIB:.0f} MiB",
                all(
                    p is not None and _optimal(cases[v]) and p < RSS_TARGET_MIB
                    for v, p in peaks.items()
                ),
            )
        )
    gap_text = "n/a" if gap is None else f"{gap:.1e}"
    checks.append((f"dual gap {gap_text} <= {GAP_TARGET:g}", gap is not None and gap <= GAP_TARGET))
    if "ortools" in cases:
        checks.append(
            (
                f"objectives agree to {OBJECTIVE_RTOL:g}",
                len(pairs) == len(ran) * (len(ran) - 1) // 2
                and rel_diff is not None
                and rel_diff <= OBJECTIVE_RTOL,
            )
        )
    checks.append(
        (f"{'/'.join(ran)} OPTIMAL", all(_optimal(cases[v]) for v in ran)),
    )
    return {
        "case": asdict(case),
        "label": case.label,
        "repeat": cases["baseline"].get("repeat") or (sift or {}).get("repeat"),
        "cases": cases,
        "speedup": speedup,
        "ratio": ratio,
        "gap": gap,
        "objective_rel_diff": rel_diff,
        "objective_pairs": pairs,
        "checks": [{"check": text, "pass": ok} for text, ok in checks],
        "notes": notes,
        "verdict": "PASS" if all(ok for _, ok in checks) else "FAIL",
    }


def _mib(case: Record | None, base: Record) -> str:
    if case is None:
        return "skipped"
    peak, floor = case.get("peak_rss_mib"), base.get("peak_rss_mib")
    if peak is None:
        return "-"
    extra = f" (+{peak - floor:.0f})" if floor is not None else ""
    return f"{peak:.0f}{extra}"


def _secs(case: Record | None) -> str:
    if case is None:
        return "skipped"
    return f"{case['seconds']:.3f}" if case.get("status") == "OPTIMAL" else str(case["status"])


def _passfail(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def ortools_estimate(results: Sequence[Record]) -> list[str]:
    """Lines extrapolating bare OR-Tools to the large cases from the largest normal case."""
    measured = [
        row
        for row in results
        if not row["case"]["large"]
        and _optimal(row["cases"].get("ortools"))
        and row["cases"]["ortools"].get("arcs")
        and row["cases"]["baseline"].get("peak_rss_mib") is not None
    ]
    if not measured:
        return ["  (no normal case with an OR-Tools run to extrapolate from)"]
    # The largest size; among equal sizes the default family, dense storage.
    ref = max(
        measured,
        key=lambda r: (
            r["cases"]["ortools"]["arcs"],
            r["case"]["family"] == DEFAULT_FAMILY,
            r["case"]["density"],
        ),
    )
    ort, base = ref["cases"]["ortools"], ref["cases"]["baseline"]
    arcs = ort["arcs"]
    own_bytes = max(ort["peak_rss_mib"] - base["peak_rss_mib"], 0.0) * 2**20 / arcs
    secs_per_arc = ort["seconds"] / arcs
    lines = [
        f"  EXTRAPOLATION, not a measurement: bare OR-Tools on {ref['label']} ({arcs:,} arcs) "
        f"used {own_bytes:.0f} bytes of own RSS and {secs_per_arc * 1e9:.0f} ns per arc; "
        "linearly scaled (min-cost flow time grows faster than linearly, so the time is a "
        "low estimate):"
    ]
    seen = set()
    for row in results:
        if not row["case"]["large"] or "ortools" in row["cases"]:
            continue
        c = row["case"]
        n_arcs = c["n"] * c["m"] if c["density"] >= 1.0 else round(c["n"] * c["m"] * c["density"])
        n_arcs += c["m"]
        key = (c["n"], c["m"], n_arcs)
        if key in seen:
            continue
        seen.add(key)
        where = "dense" if c["density"] >= 1.0 else f"density {c['density']:g}"
        gib = own_bytes * n_arcs / 2**30
        lines.append(
            f"    {c['n']}x{c['m']} {where} ({n_arcs:,} arcs): ~{gib:.1f} GiB own RSS, "
            f"~{secs_per_arc * n_arcs:.0f} s per solve"
        )
    return lines


def report(results: Sequence[Record], ortools_large: bool) -> list[str]:
    """The table, the phase breakdowns, the failures and one verdict line per case."""
    width = max([len(r["case"]["family"]) for r in results] + [7])
    header = (
        f"{'family':<{width}} {'n':>7} {'m':>4} {'storage':<14} {'rep':>3}  {'ortools s':>9}"
        f"  {'min_cost_flow s':>15}  {'sifting s':>9}  {'speedup':>7}  {'dual gap':>8}"
        f"  {'base MiB':>8}  {'ortools MiB (+own)':>18}  {'min_cost_flow MiB (+own)':>24}"
        f"  {'sifting MiB (+own)':>18}  objectives"
    )
    lines = [header, "-" * len(header)]
    for row in results:
        c, cases = row["case"], row["cases"]
        base = cases["baseline"]
        ort, mcf, sift = (cases.get(v) for v in SOLVERS)
        speedup = "n/a" if row["speedup"] is None else f"{row['speedup']:.1f}"
        gap = "n/a" if row["gap"] is None else f"{row['gap']:.1e}"
        if ort is None:
            agree = "n/a (no OR-Tools run)"
        elif row["objective_rel_diff"] is None or not all(
            _optimal(cases.get(v)) for v in SOLVERS if v in cases
        ):
            agree = "n/a (not all OPTIMAL)"
        else:
            word = "agree" if row["objective_rel_diff"] <= OBJECTIVE_RTOL else "DIFFER"
            agree = f"{word} (max rel {row['objective_rel_diff']:.1e})"
        base_mib = "-" if base.get("peak_rss_mib") is None else f"{base['peak_rss_mib']:.0f}"
        storage = row["label"].split(" ", 2)[2]
        lines.append(
            f"{c['family']:<{width}} {c['n']:>7} {c['m']:>4} {storage:<14} {row['repeat']!s:>3}"
            f"  {_secs(ort):>9}  {_secs(mcf):>15}  {_secs(sift):>9}  {speedup:>7}  {gap:>8}"
            f"  {base_mib:>8}  {_mib(ort, base):>18}  {_mib(mcf, base):>24}"
            f"  {_mib(sift, base):>18}  {agree}"
        )
    if any(r["case"]["large"] for r in results):
        lines.append("")
        if ortools_large:
            lines.append(
                f"large cases ({LARGE_N}x{LARGE_M}): bare OR-Tools run (--ortools-large); "
                "min_cost_flow skipped (the same network plus a dense float64 copy)"
            )
        else:
            lines.append(
                f"large cases ({LARGE_N}x{LARGE_M}): bare OR-Tools and min_cost_flow skipped: "
                f"up to {LARGE_N * LARGE_M:,} arcs, too much memory and time for a routine run "
                "(estimate below; --ortools-large runs bare OR-Tools)"
            )
            lines += ortools_estimate(results)
    lines.append("")
    lines.append(
        "phase medians, seconds ('problem' = AssignmentProblem, 'package' = "
        "objective/loads/options in solve):"
    )
    for row in results:
        for variant in SOLVERS:
            case = row["cases"].get(variant)
            if case is None:
                continue
            phases = ", ".join(f"{k} {v:.3f}" for k, v in (case.get("phases") or {}).items())
            runs = ", ".join(f"{t:.3f}" for t in case.get("times") or [])
            lines.append(f"  {row['label']} {variant:<13} runs [{runs}]  {phases or '(none)'}")
    errors = [
        f"  {row['label']} {v}: {case['error']}"
        for row in results
        for v, case in row["cases"].items()
        if case.get("error")
    ]
    if errors:
        lines += ["", "failures:", *errors]
    lines.append("")
    for row in results:
        checks = "; ".join(f"{c['check']}: {_passfail(c['pass'])}" for c in row["checks"])
        notes = f"  ({'; '.join(row['notes'])})" if row["notes"] else ""
        lines.append(f"verdict {row['label']}: {row['verdict']}  [{checks}]{notes}")
    return lines


def machine_info() -> Record:
    """Cores, platform and versions."""
    return shared_machine_info("numpy", "scipy", "ortools", "fairlead")


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
        "--families",
        type=parse_families,
        default=list(FAMILIES),
        help=f"comma-separated instance families, default {','.join(FAMILIES)}",
    )
    parser.add_argument(
        "--dtype",
        choices=("float64", "float32"),
        default="float64",
        help="value dtype of the normal sizes, default float64 (the --large cases use float32)",
    )
    parser.add_argument(
        "--density",
        type=parse_densities,
        default=[1.0],
        help="comma-separated densities; below 1 the values are a sparse CSR matrix "
        "(default 1: dense)",
    )
    parser.add_argument(
        "--large",
        action="store_true",
        help=f"add the {LARGE_N}x{LARGE_M} float32 cases (baseline and sifting only)",
    )
    parser.add_argument(
        "--ortools-large",
        action="store_true",
        help="with --large (implied), also run bare OR-Tools at "
        f"{LARGE_N}x{LARGE_M} (well over 10 GiB, minutes)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed runs per case, median reported (default: 5 up to 1M pairs, else 3)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the instances")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--case", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be >= 1")
    large = args.large or args.ortools_large

    if args.case is not None:  # child: one case, one variant, one JSON line
        (n, m), *_ = args.sizes
        case = Case(args.families[0], n, m, args.dtype, args.density[0])
        repeat = args.repeat if args.repeat is not None else default_repeat(n, m)
        print(json.dumps(run_case(args.case, case, args.seed, repeat)))
        return 0

    info = machine_info()
    print(
        "fairlead solver scaling: bare OR-Tools SimpleMinCostFlow vs "
        "fl.solve(min_cost_flow) vs fl.solve(sifting)"
    )
    print(
        f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}, ortools {info['ortools']}, "
        f"fairlead {info['fairlead']}"
    )
    print(
        f"instances from default_rng({args.seed}): uniform = U[0,1), ceil(1.1 n/m) places; "
        "tight = U[0,1), ceil(n/m); skill = Beta(2,8) x linspace(0.6,1.4,m) x "
        "exp(N(0,0.2)), ceil(1.05 n/m); csr = sparse, stored pairs eligible"
    )
    print(
        "one subprocess per case and variant, median time, peak RSS = child's ru_maxrss, "
        "speedup = ortools / sifting, dual gap = sifting's (bound - objective) / bound"
    )
    print(flush=True)

    plan: list[tuple[Case, tuple[str, ...]]] = [
        (Case(family, n, m, args.dtype, density), VARIANTS)
        for family in args.families
        for n, m in args.sizes
        for density in args.density
    ]
    if large:
        variants = ("baseline", "ortools", "sifting") if args.ortools_large else LARGE_VARIANTS
        plan += [(case, variants) for case in large_cases()]
    results = []
    for case, variants in plan:
        repeat = args.repeat if args.repeat is not None else default_repeat(case.n, case.m)
        cases = {variant: spawn_case(variant, case, args.seed, repeat) for variant in variants}
        results.append(compare(case, cases))

    for line in report(results, args.ortools_large):
        print(line)
    parent_peak = max_rss_mib()
    floors = [r["cases"]["baseline"].get("peak_rss_mib") for r in results]
    smallest = min((f for f in floors if f is not None), default=float("inf"))
    note = "below" if parent_peak < smallest else "NOT below (children's ru_maxrss may be inflated)"
    print(f"parent peak RSS {parent_peak:.0f} MiB, {note} every child's baseline")

    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "sizes": [f"{n}x{m}" for n, m in args.sizes],
                "families": args.families,
                "dtype": args.dtype,
                "densities": args.density,
                "large": large,
                "ortools_large": args.ortools_large,
                "repeat": args.repeat,
                "seed": args.seed,
                "capacity_slack_percent": FAMILY_SLACK_PERCENT,
                "targets": {
                    "ratio_max": RATIO_TARGET,
                    "speedup_min": {f"{n}x{m}": s for (n, m), s in SPEEDUP_TARGETS.items()},
                    "dual_gap_max": GAP_TARGET,
                    "peak_rss_mib_max": RSS_TARGET_MIB,
                    "objective_rtol": OBJECTIVE_RTOL,
                    "large_seconds_max": LARGE_TIME_TARGET_S,
                    "large_peak_rss_mib_max": LARGE_RSS_TARGET_MIB,
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
