"""Pareto picture of a comparison: conversions against unfairness (needs the ``plot`` extra)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fairlead.sim._compare import Comparison, Interval
from fairlead.sim._result import METRICS


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


def _check_fronts(comparisons: Mapping[str, Comparison], fronts: object) -> dict[str, list[str]]:
    """``fronts`` as lists of names known to their comparison, or a ValueError listing them."""
    if not isinstance(fronts, Mapping):
        raise ValueError(
            f"fronts must be a dict of comparison label to a list of strategy names, "
            f"got {type(fronts).__name__}"
        )
    checked: dict[str, list[str]] = {}
    for label, names in fronts.items():
        if label not in comparisons:
            raise ValueError(
                f"fronts has label {label!r}, which is not a comparison; "
                f"known labels: {list(comparisons)}"
            )
        if isinstance(names, str | bytes) or not isinstance(names, Sequence):
            raise ValueError(f"fronts[{label!r}] must be a list of strategy names, got {names!r}")
        known = comparisons[label].strategies
        for name in names:
            if name not in known:
                raise ValueError(
                    f"fronts[{label!r}] names strategy {name!r}, which comparison "
                    f"{label!r} does not have; known: {list(known)}"
                )
        checked[label] = list(names)
    return checked


def _check_path(path: str | Path, formats: Mapping[str, str]) -> Path:
    """Where to write: a file path with a supported suffix (``.png`` added when none)."""
    out = Path(path)
    if out.is_dir():
        raise ValueError(f"path must be a file to write, got the folder '{out}'")
    if not out.suffix:
        out = out.with_name(out.name + ".png")
        if out.is_dir():
            raise ValueError(f"path must be a file to write, got the folder '{out}'")
    kind = out.suffix[1:].lower()
    if kind not in formats:
        raise ValueError(
            f"path has suffix {out.suffix!r}, which matplotlib cannot write; "
            f"supported: {', '.join('.' + k for k in sorted(formats))}"
        )
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(f"cannot write '{out}': '{parent}' is a file, not a folder")
            break
    return out


def plot_pareto(
    comparisons: Mapping[str, Comparison],
    path: str | Path,
    *,
    fronts: Mapping[str, Sequence[str]],
    x: str = "count_gini",
    y: str = "conversions",
    title: str = "Conversions against fairness",
) -> Path:
    """Write a picture (PNG by default): each strategy at (mean ``x``, mean ``y``) with 95 % CIs.

    Parameters
    ----------
    comparisons : dict of label to Comparison
        One or more comparisons (for example learned and oracle knowledge); each gets its
        own colour.
    path : str or Path
        Where to write the picture; parent folders are created. Its suffix chooses the
        format (any that matplotlib writes: ``.png``, ``.pdf``, ``.svg`` ...); a path
        without one gets ``.png``.
    fronts : dict of label to sequence of str
        For each comparison label, the strategies joined by a line (a sweep of the fair
        band, from tight to loose); the other strategies are drawn as single points.
        Labels and names must be those of ``comparisons``.
    x, y : str
        Metrics on the axes (keys of :data:`fairlead.sim.METRICS`).
    title : str

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ValueError
        For no comparisons, a comparison without strategies, an unknown label, strategy
        or metric, a folder or an unsupported suffix as ``path``, or a file in the way of
        its parent folders.
    """
    if not isinstance(comparisons, Mapping) or not comparisons:
        raise ValueError("comparisons must be a non-empty dict of label to Comparison")
    for label, comparison in comparisons.items():
        if not isinstance(comparison, Comparison):
            raise ValueError(
                f"comparisons[{label!r}] must be a Comparison, got {type(comparison).__name__}"
            )
        if not comparison.strategies:
            raise ValueError(f"comparison {label!r} has no strategies to plot")
    for axis, metric in (("x", x), ("y", y)):
        if metric not in METRICS:
            raise ValueError(f"{axis} must be one of {list(METRICS)}, got {metric!r}")
    checked_fronts = _check_fronts(comparisons, fronts)
    plt = _pyplot()
    from matplotlib.backend_bases import FigureCanvasBase

    out = _check_path(path, FigureCanvasBase.get_supported_filetypes())
    fig, ax = plt.subplots(figsize=(8.5, 5.5), dpi=120)
    markers = "osD^vP*X"
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for k, (label, comparison) in enumerate(comparisons.items()):
        color = colors[k % len(colors)]
        front = checked_fronts.get(label, [])
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
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out)
    finally:
        plt.close(fig)
    return out
