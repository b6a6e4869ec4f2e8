"""How fast ConversionModel.predict_proba scores a batch: 100,000 leads x 100 managers.

A history is simulated (seeded): ``--history`` rows (default 20,000) with four numeric
features (standard normal) and two text features (``channel``, 4 values; ``product``,
5 values), ``--managers`` managers (default 100) with unequal volumes, a true
log-odds lift per manager and tier ``~ N(0, 0.4**2)`` and outcomes drawn from
``sigmoid(base logit + lift)``. ``ConversionModel()`` is fitted on it with its
defaults (logistic base model, 3 segments derived from the base probability,
empirical-Bayes shrinkage).

Then ``predict_proba(leads, managers=all ids)`` scores ``--leads`` new leads (default
100,000), given as a mapping of column name to numpy array, ``--repeat`` times
(default 5); the median is reported with the phases measured separately (base model
alone, and the rest: segment lookup, gather of the effect table, expit).

Correctness on a slice of the first ``--check`` leads (default 40) with every manager,
against two references: the public API called once per (lead, manager) pair with a
single row and a single manager, and a scalar re-computation from the learned
attributes (encoder means, scales and categories, ``coef_``, ``intercept_``,
``segment_edges_``, ``effect_``) with ``math.exp``; both must agree with the batch to
1e-12.

Targets: median < 1 s; the slice agrees; peak RSS below 1 GiB (the (n, m) result is
76 MiB in float64; the gather, the logits and the result make about three such arrays,
plus the interpreter, numpy and scipy at ~150 MiB).

Run (about 3 s on 2 cores; exit status 1 when a verdict is FAIL)::

    python benchmarks/scoring_speed.py
    python benchmarks/scoring_speed.py --leads 200000 --managers 50 --repeat 7
"""

from __future__ import annotations

import argparse
import bisect
import math
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from _machine import machine_info as shared_machine_info
from _machine import max_rss_mib
from fairlead.scoring import ConversionModel, LogisticModel

FloatArray = npt.NDArray[np.float64]
Columns = dict[str, npt.NDArray[Any]]

TIME_TARGET_S = 1.0
RSS_TARGET_MIB = 1024.0
MATCH_TOL = 1e-12
LIFT_SD = 0.4
CHANNELS = ("web", "phone", "branch", "partner")
PRODUCTS = ("cards", "loans", "mortgage", "deposits", "insurance")
COEF = np.array([0.8, -0.5, 0.3, 0.0])
CHANNEL_EFFECT = np.array([0.0, 0.4, 0.7, -0.3])
PRODUCT_EFFECT = np.array([0.2, 0.0, -0.6, 0.3, -0.2])


def make_leads(n: int, rng: np.random.Generator) -> tuple[Columns, FloatArray]:
    """``n`` leads as columns, and their true base log-odds."""
    numeric = rng.normal(size=(n, COEF.size))
    channel = rng.integers(0, len(CHANNELS), size=n)
    product = rng.integers(0, len(PRODUCTS), size=n)
    logit = -2.2 + numeric @ COEF + CHANNEL_EFFECT[channel] + PRODUCT_EFFECT[product]
    columns: Columns = {f"x{k}": numeric[:, k].copy() for k in range(COEF.size)}
    columns["channel"] = np.asarray(CHANNELS)[channel]
    columns["product"] = np.asarray(PRODUCTS)[product]
    return columns, logit


def simulate_history(
    n: int, m: int, rng: np.random.Generator
) -> tuple[Columns, FloatArray, npt.NDArray[np.str_]]:
    """History rows, outcomes and who worked each (unequal volumes, lifts by tier)."""
    columns, logit = make_leads(n, rng)
    ids = np.array([f"m{j:03d}" for j in range(m)])
    volume = rng.lognormal(0.0, 0.8, size=m)
    who = rng.choice(m, size=n, p=volume / volume.sum())
    tier = np.searchsorted(np.quantile(logit, [1 / 3, 2 / 3]), logit, side="right")
    lift = rng.normal(0.0, LIFT_SD, size=(3, m))
    p = 1.0 / (1.0 + np.exp(-(logit + lift[tier, who])))
    y = (rng.random(n) < p).astype(np.float64)
    return columns, y, ids[who]


def reference_pair(model: ConversionModel, row: dict[str, Any], column: int) -> float:
    """p(lead, manager) recomputed with scalars from the learned attributes."""
    base_model = model.base_model_
    assert isinstance(base_model, LogisticModel)
    encoder = base_model.encoder_
    z = base_model.intercept_
    k = 0
    for name in encoder.names:
        if name in encoder.categories:
            for category in encoder.categories[name]:
                z += float(base_model.coef_[k]) * (1.0 if str(row[name]) == category else 0.0)
                k += 1
        else:
            z += float(base_model.coef_[k]) * (
                (float(row[name]) - encoder.means[name]) / encoder.scales[name]
            )
            k += 1
    base = min(max(1.0 / (1.0 + math.exp(-z)), 1e-6), 1 - 1e-6)
    assert model.segment_edges_ is not None
    segment = bisect.bisect_right(model.segment_edges_.tolist(), base)
    effect = float(model.effect_[segment, column])
    return 1.0 / (1.0 + math.exp(-(math.log(base / (1.0 - base)) + effect)))


def check_slice(
    model: ConversionModel, leads: Columns, ids: Sequence[str], batch: FloatArray, count: int
) -> tuple[float, float, int]:
    """Max |batch - per-pair API| and |batch - scalar reference| on the first ``count`` leads."""
    position = {m: k for k, m in enumerate(model.manager_ids_.tolist())}
    api_diff = ref_diff = 0.0
    pairs = 0
    for i in range(count):
        one = {name: values[i : i + 1] for name, values in leads.items()}
        row = {name: values[i] for name, values in leads.items()}
        for j, mid in enumerate(ids):
            single = float(model.predict_proba(one, managers=[mid])[0, 0])
            api_diff = max(api_diff, abs(single - batch[i, j]))
            ref_diff = max(ref_diff, abs(reference_pair(model, row, position[mid]) - batch[i, j]))
            pairs += 1
    return api_diff, ref_diff, pairs


def machine_info() -> dict[str, Any]:
    """Cores, platform and versions."""
    return shared_machine_info("numpy", "scipy", "fairlead")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run, print, return 1 on a FAIL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leads", type=int, default=100_000, help="leads to score (100000)")
    parser.add_argument("--managers", type=int, default=100, help="managers (100)")
    parser.add_argument("--history", type=int, default=20_000, help="history rows (20000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs, median (5)")
    parser.add_argument("--check", type=int, default=40, help="leads in the checked slice (40)")
    parser.add_argument("--seed", type=int, default=0, help="seed (0)")
    args = parser.parse_args(argv)
    for name in ("leads", "managers", "history", "repeat", "check"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1")
    args.check = min(args.check, args.leads)

    info = machine_info()
    print("fairlead ConversionModel.predict_proba speed")
    print(
        f"machine: {info['cores']} cores, {info['platform']}, Python {info['python']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}, fairlead {info['fairlead']}"
    )
    history_rng, leads_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(args.seed).spawn(2)
    )
    X, y, who = simulate_history(args.history, args.managers, history_rng)
    start = time.perf_counter()
    model = ConversionModel().fit(X, y, managers=who)
    fit_seconds = time.perf_counter() - start
    ids = model.manager_ids_.tolist()
    leads, _ = make_leads(args.leads, leads_rng)
    print(
        f"history: {args.history} simulated rows, {len(ids)} managers (rows per manager "
        f"{int(model.trials_.sum(0).min())}-{int(model.trials_.sum(0).max())}), "
        f"{y.mean():.1%} converted; fit {fit_seconds:.2f} s; seed {args.seed}"
    )
    print(
        f"batch: {args.leads} leads x {len(ids)} managers = {args.leads * len(ids):,} pairs, "
        f"features {model.feature_names_} as a dict of numpy arrays"
    )
    print(flush=True)

    rss_before = max_rss_mib()
    times: list[float] = []
    base_times: list[float] = []
    P = np.empty((0, 0))
    for _ in range(args.repeat):
        del P  # free the previous result before the next run
        start = time.perf_counter()
        P = model.predict_proba(leads, managers=ids)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        model.base_model_.predict_proba(leads)
        base_times.append(time.perf_counter() - start)
    rss_after = max_rss_mib()
    median = statistics.median(times)
    base_median = statistics.median(base_times)
    shape_ok = P.shape == (args.leads, len(ids)) and bool(
        np.all(np.isfinite(P)) and np.all((P > 0) & (P < 1))
    )

    start = time.perf_counter()
    api_diff, ref_diff, pairs = check_slice(model, leads, ids, P, args.check)
    check_seconds = time.perf_counter() - start

    header = f"{'n':>8} {'m':>4} {'runs':>4}  {'median s':>8}  {'min s':>6}  {'max s':>6}  "
    header += f"{'base model s':>12}  {'rest s':>6}  {'pairs/s':>9}"
    print(header)
    print("-" * len(header))
    print(
        f"{args.leads:>8} {len(ids):>4} {args.repeat:>4}  {median:>8.3f}  {min(times):>6.3f}  "
        f"{max(times):>6.3f}  {base_median:>12.3f}  {median - base_median:>6.3f}  "
        f"{args.leads * len(ids) / median:>9.2e}"
    )
    print(f"runs [{', '.join(f'{t:.3f}' for t in times)}] s")
    print(
        f"result {P.shape} {P.dtype} ({P.nbytes / 2**20:.0f} MiB), finite and in (0, 1): {shape_ok}"
    )
    print(
        f"slice check ({args.check} leads x {len(ids)} managers = {pairs} pairs, "
        f"{check_seconds:.1f} s): max |batch - per-pair API| {api_diff:.1e}, "
        f"max |batch - scalar reference| {ref_diff:.1e}"
    )
    print(
        f"peak RSS {rss_after:.0f} MiB (before scoring {rss_before:.0f} MiB, "
        f"+{rss_after - rss_before:.0f} MiB while scoring)"
    )
    print()
    checks = [
        (f"median {median:.3f} s < {TIME_TARGET_S:g} s", median < TIME_TARGET_S),
        (
            f"slice agrees to {MATCH_TOL:g} (API {api_diff:.1e}, reference {ref_diff:.1e}) "
            "and the result has the right shape, finite, in (0, 1)",
            api_diff <= MATCH_TOL and ref_diff <= MATCH_TOL and shape_ok,
        ),
        (f"peak RSS {rss_after:.0f} MiB < {RSS_TARGET_MIB:.0f} MiB", rss_after < RSS_TARGET_MIB),
    ]
    for line, ok in checks:
        print(f"verdict: {'PASS' if ok else 'FAIL'}  {line}")
    failed = not all(ok for _, ok in checks)
    print(f"overall: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
