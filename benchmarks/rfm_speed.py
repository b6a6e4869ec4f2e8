"""Speed of ``rfm()`` and ``clv_summary()`` on the CDNOW transaction log.

The log is the CDNOW master file shipped inside the ``lifetimes`` package (69,659
purchases of 23,570 customers, January 1997 to June 1998), read by path with
pandas (customer ids and dates as strings, dates ``YYYYMMDD``). On it the script
times, each as the median of ``--repeat`` runs (default 5):

* ``rfm`` with a DataFrame in (and out), and with a dict of numpy arrays (the
  numpy-only path);
* ``clv_summary`` likewise, with ``observation_end="1998-06-30"``;
* the reference: ``lifetimes.utils.summary_data_from_transaction_data`` on the same
  DataFrame and options, and the ratio fairlead / lifetimes. The two summaries must
  be equal float for float.

It prints the process's peak RSS (``ru_maxrss``) at the end. Target: ``rfm`` on the
DataFrame under 0.5 s; the exit status is 1 when it is missed or the summaries differ.

Run::

    python benchmarks/rfm_speed.py
    python benchmarks/rfm_speed.py --repeat 9
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from _machine import max_rss_mib
from fairlead.scoring import clv_summary, rfm

TARGET_S = 0.5
OBSERVATION_END = "1998-06-30"


def load_cdnow() -> pd.DataFrame:
    path = importlib.metadata.distribution("lifetimes").locate_file(
        "lifetimes/datasets/CDNOW_master.txt"
    )
    return pd.read_csv(str(path), sep=r"\s+", dtype={"customer_id": str, "date": str})


def lifetimes_summary() -> Callable[..., pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes imports trip pandas deprecations
        from lifetimes.utils import (  # type: ignore[import-untyped]
            summary_data_from_transaction_data,
        )

    def run(frame: pd.DataFrame) -> pd.DataFrame:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            summary: pd.DataFrame = summary_data_from_transaction_data(
                frame,
                "customer_id",
                "date",
                monetary_value_col="dollar_value",
                observation_period_end=OBSERVATION_END,
            )
            return summary

    return run


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median)")
    args = parser.parse_args(argv)

    frame = load_cdnow()
    arrays = {name: frame[name].to_numpy() for name in frame.columns}
    rows = len(frame)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"lifetimes {importlib.metadata.version('lifetimes')}, {platform.machine()}"
    )
    print(f"CDNOW: {rows:,} rows, {frame['customer_id'].nunique():,} customers")

    t_rfm, table = median_time(lambda: rfm(frame, amount="dollar_value"), args.repeat)
    t_rfm_np, _ = median_time(lambda: rfm(arrays, amount="dollar_value"), args.repeat)

    def ours_frame() -> pd.DataFrame:
        return clv_summary(frame, amount="dollar_value", observation_end=OBSERVATION_END)

    def ours_arrays() -> dict[str, Any]:
        return clv_summary(arrays, amount="dollar_value", observation_end=OBSERVATION_END)

    reference = lifetimes_summary()
    t_clv, ours = median_time(ours_frame, args.repeat)
    t_clv_np, _ = median_time(ours_arrays, args.repeat)
    t_ref, theirs = median_time(lambda: reference(frame), args.repeat)
    try:
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
        equal = True
    except AssertionError:
        equal = False

    print(f"{'step':<46} {'median s':>10}")
    print(f"{'rfm (DataFrame)':<46} {t_rfm:>10.4f}")
    print(f"{'rfm (dict of numpy arrays)':<46} {t_rfm_np:>10.4f}")
    print(f"{'clv_summary (DataFrame)':<46} {t_clv:>10.4f}")
    print(f"{'clv_summary (dict of numpy arrays)':<46} {t_clv_np:>10.4f}")
    print(f"{'lifetimes summary_data_from_transaction_data':<46} {t_ref:>10.4f}")
    print(f"clv_summary / lifetimes: {t_clv / t_ref:.2f}")
    print(f"clv_summary equals lifetimes exactly ({len(ours):,} customers): {equal}")
    print(f"segments: {table['segment'].value_counts().to_dict()}")
    peak_mib = max_rss_mib()
    print(f"peak RSS: {peak_mib:.0f} MiB")
    ok = t_rfm < TARGET_S
    verdict = "PASS" if ok else "FAIL"
    print(f"rfm on CDNOW ({rows:,} rows): {t_rfm:.3f} s (target < {TARGET_S} s): {verdict}")
    return 0 if ok and equal else 1


if __name__ == "__main__":
    sys.exit(main())
