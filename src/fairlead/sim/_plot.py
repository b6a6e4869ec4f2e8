"""Pareto picture of a comparison: conversions against unfairness (needs the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fairlead.sim._compare import Comparison, Interval


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "plot_pareto needs matplotlib, the 'plot' extra: pip install 'fairlead[plot]'"
        ) from None
    return plt


def _point(ax: Any, px: Interval, py: Interval, **style: Any) -> None:
    """One strategy: its means with 95 % intervals on both axes."""
    ax.errorbar(
        px.mean,
        py.mean,
        xerr=[[px.mean - px.low], [px.high - px.mean]],
        yerr=[[py.mean - py.low], [py.high - py.mean]],
        capsize=2,
        **style,
    )


def plot_pareto(
    comparisons: dict[str, Comparison],
    path: str | Path,
    *,
    fronts: dict[str, Sequence[str]],
    x: str = "count_gini",
    y: str = "conversions",
    title: str = "Conversions against fairness",
) -> Path:
    """Write a PNG: each strategy at (mean ``x``, mean ``y``) with 95 % intervals.

    Parameters
    ----------
    comparisons : dict of label to Comparison
        One or more comparisons (for example learned and oracle knowledge); each gets its
        own colour.
    path : str or Path
        Where to write the PNG; parent folders are created.
    fronts : dict of label to sequence of str
        For each comparison label, the strategies joined by a line (a sweep of the fair
        band, from tight to loose); the other strategies are drawn as single points.
    x, y : str
        Metrics on the axes (keys of :data:`fairlead.sim.METRICS`).
    title : str

    Returns
    -------
    Path
        The file written.
    """
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 5.5), dpi=120)
    markers = "osD^vP*X"
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for k, (label, comparison) in enumerate(comparisons.items()):
        color = colors[k % len(colors)]
        front = list(fronts.get(label, ()))
        points = {
            s: (comparison.interval(s, x), comparison.interval(s, y)) for s in comparison.strategies
        }
        if front:
            ax.plot(
                [points[s][0].mean for s in front],
                [points[s][1].mean for s in front],
                "-",
                color=color,
                alpha=0.7,
                label=f"fairlead band sweep ({label})",
            )
        others = [s for s in comparison.strategies if s not in front]
        for s in front:
            px, py = points[s]
            _point(ax, px, py, fmt="o", color=color, ms=4, alpha=0.8)
            ax.annotate(
                s.split()[-1],
                (px.mean, py.mean),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
                color=color,
            )
        for i, s in enumerate(others):
            px, py = points[s]
            _point(
                ax,
                px,
                py,
                fmt=markers[i % len(markers)],
                color=color,
                mfc="white",
                ms=7,
                label=f"{s} ({label})",
            )
    ax.set_xlabel(f"{x} (lower is fairer)")
    ax.set_ylabel(y)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right", ncols=1)
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out
