"""The report's plots: matplotlib figures as SVG text to put inside the page.

Each function takes plain numbers and the words to print, and returns the ``<svg>``
element as text. Text is drawn as outlines (DejaVu Sans, which ships with matplotlib
and has Cyrillic), so the page needs no font and no network; the output is the same
byte for byte for the same input (fixed hash salt, no date). Ids inside each SVG get
the plot's own prefix, so several plots live on one page without clashing.

Matplotlib is only imported here, and this module only when a report is drawn.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

import matplotlib as mpl
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

FloatArray = npt.NDArray[np.float64]

#: Width of every plot, inches (fits a laptop screen and an A4 page).
WIDTH = 7.5
#: Colours: plan (grey), fact (blue), and the SLA bands from fast to slow.
PLAN, FACT, TEAM = "#b8bec6", "#2f6db5", "#26323f"
BAND_COLOURS = ("#2e9d5b", "#9ccf6e", "#f2c14e", "#d9534f", "#8c2d2a")
_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "fairlead-report",
    "svg.image_inline": True,
    "image.interpolation": "nearest",
}
_LABEL_CHARS = 28

Number = Callable[[float], str]


@contextmanager
def _style() -> Iterator[None]:
    with mpl.rc_context(cast("dict[Any, Any]", _RC)):
        yield


def short(name: str, limit: int = _LABEL_CHARS) -> str:
    """A label cut to ``limit`` characters (with an ellipsis) for an axis.

    Examples
    --------
    >>> short("Anna Petrova"), short("x" * 40, 10)
    ('Anna Petrova', 'xxxxxxxxx…')
    """
    return name if len(name) <= limit else name[: limit - 1] + "…"


_ID = re.compile(r'\bid="([^"]+)"')


def to_svg(fig: Figure, prefix: str, title: str) -> str:
    """The figure as an ``<svg>`` element for an HTML page.

    The XML prologue, the metadata and comments are dropped; every id gets
    ``prefix``; the element gets ``role="img"`` and ``title`` as its accessible name.

    Examples
    --------
    >>> with _style():
    ...     fig = Figure(figsize=(2, 1))
    ...     _ = fig.subplots().plot([0, 1], [1, 0])
    ...     text = to_svg(fig, "demo", "A line")
    >>> text.startswith('<svg class="plot" role="img" aria-label="A line"'), "http" in text
    (True, False)
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    ids = set(_ID.findall(text))
    for name in sorted(ids, key=len, reverse=True):
        text = text.replace(f'id="{name}"', f'id="{prefix}-{name}"')
        text = text.replace(f'href="#{name}"', f'href="#{prefix}-{name}"')
        text = text.replace(f"url(#{name})", f"url(#{prefix}-{name})")
    label = (
        title.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )
    return text.replace("<svg", f'<svg class="plot" role="img" aria-label="{label}"', 1).strip()


def _formatter(number: Number) -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: number(float(x)))


def _hbars(
    ax: Axes,
    y: FloatArray,
    width: FloatArray,
    *,
    left: FloatArray | None = None,
    height: float = 0.7,
    color: str,
    label: str | None = None,
) -> None:
    """Horizontal bars as one collection (much faster than ``barh`` for many rows)."""
    start = np.zeros_like(width) if left is None else left
    x0, x1 = start, start + np.nan_to_num(width)
    y0, y1 = y - height / 2, y + height / 2
    corners = np.stack(
        [
            np.stack([x0, y0], 1),
            np.stack([x1, y0], 1),
            np.stack([x1, y1], 1),
            np.stack([x0, y1], 1),
        ],
        axis=1,
    )
    ax.add_collection(PolyCollection(list(corners), facecolors=color, linewidths=0, label=label))
    ax.update_datalim(np.concatenate([corners.reshape(-1, 2), [[0.0, 0.0]]]))
    ax.autoscale_view()


def _period_ticks(ax: Axes, labels: Sequence[str]) -> None:
    """Period labels on the x axis, thinned to about 16 so they never overlap."""
    step = max(1, -(-len(labels) // 16))
    where = list(range(0, len(labels), step))
    shown = [labels[k] for k in where]
    ax.set_xticks(where, shown, rotation=45 if len(shown) > 8 else 0, ha="right")


def _height(rows: int, per_row: float = 0.28, least: float = 2.2, most: float = 30.0) -> float:
    return float(min(most, max(least, 0.9 + per_row * rows)))


def plan_fact(
    names: Sequence[str],
    plan: FloatArray,
    fact: FloatArray,
    *,
    words: dict[str, str],
    number: Number,
) -> str:
    """Horizontal bars: each manager's plan (grey) and fact (blue) for the plan period."""
    with _style():
        fig = Figure(figsize=(WIDTH, _height(len(names))))
        ax = fig.subplots()
        y = np.arange(len(names), dtype=np.float64)
        _hbars(ax, y - 0.2, plan, height=0.4, color=PLAN, label=words["plan"])
        _hbars(ax, y + 0.2, fact, height=0.4, color=FACT, label=words["fact"])
        ax.set_yticks(y, [short(n) for n in names])
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(_formatter(number))
        ax.set_title(words["title"], loc="left", pad=22)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, frameon=False)
        ax.grid(axis="x", color="#e3e6ea")
        ax.set_axisbelow(True)
        return to_svg(fig, "plan-fact", words["title"])


def revenue_by_period(
    labels: Sequence[str],
    revenue: FloatArray,
    plan: FloatArray | None,
    *,
    words: dict[str, str],
    number: Number,
) -> str:
    """Bars of the team's revenue per period, the plan per period as a line."""
    with _style():
        fig = Figure(figsize=(WIDTH, 2.6))
        ax = fig.subplots()
        x = np.arange(len(labels))
        ax.bar(x, np.nan_to_num(revenue), color=FACT, label=words["fact"], width=0.7)
        if plan is not None and np.isfinite(plan).any():
            ax.step(
                np.r_[x - 0.5, x[-1] + 0.5],
                np.r_[plan, plan[-1]],
                where="post",
                color=TEAM,
                linewidth=1.5,
                label=words["plan"],
            )
        _period_ticks(ax, labels)
        ax.yaxis.set_major_formatter(_formatter(number))
        ax.set_title(words["title"], loc="left")
        ax.legend(loc="upper left", frameon=False, ncols=2)
        ax.grid(axis="y", color="#e3e6ea")
        ax.set_axisbelow(True)
        return to_svg(fig, "revenue", words["title"])


def funnel(
    stages: Sequence[str],
    counts: FloatArray,
    *,
    words: dict[str, str],
    number: Number,
    percent: Number,
) -> str:
    """The funnel as centred bars, each with its count and its share of the first step."""
    with _style():
        fig = Figure(figsize=(WIDTH, _height(len(stages), 0.42, 2.0)))
        ax = fig.subplots()
        y = np.arange(len(stages), dtype=np.float64)
        widths = np.nan_to_num(counts)
        top = widths[0] if widths.size and widths[0] > 0 else 1.0
        _hbars(ax, y, widths, left=-widths / 2, color=FACT)
        for k, width in enumerate(widths):
            share = width / top
            ax.text(
                top * 0.52,
                k,
                f"{number(width)}  ({percent(share)})",
                va="center",
                ha="left",
                fontsize=8.5,
            )
        ax.set_yticks(y, [short(s) for s in stages])
        ax.invert_yaxis()
        ax.set_xlim(-top * 0.52, top * 0.95)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.set_title(words["title"], loc="left")
        return to_svg(fig, "funnel", words["title"])


def response_histogram(
    minutes: FloatArray,
    bands: Sequence[float],
    *,
    words: dict[str, str],
    band_labels: Sequence[str],
) -> str:
    """How many first contacts came after how long: log-scale bins, SLA bands shaded."""
    with _style():
        fig = Figure(figsize=(WIDTH, 2.8))
        ax = fig.subplots()
        values = minutes[np.isfinite(minutes)]
        values = np.clip(values, 0.5, None)
        top = float(max(values.max() if values.size else 1.0, bands[-1] * 4))
        edges = np.geomspace(0.5, top * 1.01, 40)
        ax.set_xscale("log")
        limits = [0.5, *bands, top * 1.01]
        for k in range(len(limits) - 1):
            ax.axvspan(
                limits[k],
                limits[k + 1],
                color=BAND_COLOURS[min(k, len(BAND_COLOURS) - 1)],
                alpha=0.13,
                linewidth=0,
                label=band_labels[k],
            )
        ax.hist(values, bins=edges.tolist(), color=TEAM)
        ticks = [t for t in (1, 5, 15, 60, 240, 1440, 10080) if t <= top]
        ax.set_xticks(ticks, [words.get(f"tick_{t}", str(t)) for t in ticks])
        ax.set_xlabel(words["x"])
        ax.set_ylabel(words["y"])
        ax.set_title(words["title"], loc="left")
        ax.legend(loc="upper right", frameon=False, fontsize=8)
        return to_svg(fig, "response", words["title"])


def band_bars(
    names: Sequence[str],
    shares: FloatArray,
    *,
    words: dict[str, str],
    band_labels: Sequence[str],
    percent: Number,
) -> str:
    """Stacked bars: each manager's first contacts by SLA band (shares summing to 1)."""
    with _style():
        fig = Figure(figsize=(WIDTH, _height(len(names), 0.26)))
        ax = fig.subplots()
        y = np.arange(len(names), dtype=np.float64)
        left = np.zeros(len(names))
        clean = np.nan_to_num(shares)
        for k in range(clean.shape[1]):
            _hbars(
                ax,
                y,
                clean[:, k],
                left=left.copy(),
                color=BAND_COLOURS[min(k, len(BAND_COLOURS) - 1)],
                label=band_labels[k],
            )
            left += clean[:, k]
        ax.set_yticks(y, [short(n) for n in names])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_formatter(percent))
        ax.set_title(words["title"], loc="left")
        ax.legend(
            loc="upper center", bbox_to_anchor=(0.5, -0.08), ncols=len(band_labels), frameon=False
        )
        return to_svg(fig, "bands", words["title"])


_DIVERGING = LinearSegmentedColormap.from_list(
    "fairlead-share", ["#c0392b", "#f6d6d2", "#f7f7f7", "#d2e3f3", "#2f6db5"]
)


def share_heatmap(
    names: Sequence[str],
    periods: Sequence[str],
    ratios: FloatArray,
    *,
    words: dict[str, str],
    ratio: Number,
    prefix: str,
) -> str:
    """Managers (rows) by periods (columns): received / target share, 1 = on target.

    Below target is red, above is blue, on target white; with few managers each cell
    shows its number.
    """
    with _style():
        n, k = len(names), len(periods)
        fig = Figure(figsize=(WIDTH, _height(n, 0.26, 2.4)))
        ax = fig.subplots()
        data = np.ma.masked_invalid(ratios)
        norm = TwoSlopeNorm(vcenter=1.0, vmin=0.0, vmax=2.0)
        image = ax.imshow(
            np.clip(data, 0.0, 2.0), aspect="auto", cmap=_DIVERGING, norm=norm, resample=False
        )
        if n * k <= 200:  # numbers in the cells only while they stay readable (and small)
            for i in range(n):
                for j in range(k):
                    if np.isfinite(ratios[i, j]):
                        ax.text(j, i, ratio(ratios[i, j]), ha="center", va="center", fontsize=7)
        ax.set_yticks(np.arange(n), [short(s) for s in names])
        _period_ticks(ax, periods)
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
        bar.set_ticks([0.0, 0.5, 1.0, 1.5, 2.0])
        bar.ax.yaxis.set_major_formatter(_formatter(ratio))
        bar.outline.set_visible(False)
        ax.set_title(words["title"], loc="left")
        return to_svg(fig, prefix, words["title"])


def lines(
    labels: Sequence[str],
    series: dict[str, FloatArray],
    *,
    words: dict[str, str],
    number: Number,
    prefix: str,
    ylim: tuple[float, float] | None = None,
) -> str:
    """A few named series over the periods (e.g. the team's Gini and Jain)."""
    with _style():
        fig = Figure(figsize=(WIDTH, 2.4))
        ax = fig.subplots()
        x = np.arange(len(labels))
        colours = (FACT, "#d9822b", TEAM, "#2e9d5b")
        for k, (name, values) in enumerate(series.items()):
            ax.plot(x, values, marker="o", markersize=3, color=colours[k % 4], label=name)
        _period_ticks(ax, labels)
        ax.yaxis.set_major_formatter(_formatter(number))
        if ylim is not None:
            ax.set_ylim(*ylim)
        ax.set_title(words["title"], loc="left", pad=22)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=len(series), frameon=False)
        ax.grid(axis="y", color="#e3e6ea")
        return to_svg(fig, prefix, words["title"])
