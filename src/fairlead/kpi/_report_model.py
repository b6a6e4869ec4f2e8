"""What the report's template draws: cells that carry their exact value, tables, sections.

Every figure on the page is a :class:`Cell`: the text shown, and where it comes from
(the metric, the manager, the period) with the exact value, which the template writes
as ``data-metric``, ``data-manager``, ``data-period`` and ``data-value`` attributes so
that a test (or a curious reader) can compare the page with the functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

#: ``data-manager`` of the team's figures (no manager id is empty).
TEAM = ""
#: ``data-period`` of a figure over the whole report.
ALL = "all"


def exact(value: float) -> str:
    """A number as ``data-value`` holds it: ``repr`` of the float, ``NaN`` for no data.

    Examples
    --------
    >>> exact(0.1 + 0.2), exact(float("nan")), exact(3)
    ('0.30000000000000004', 'NaN', '3.0')
    """
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


@dataclass(frozen=True)
class Cell:
    """One figure or label of the page.

    Attributes
    ----------
    text : str
        What is shown (already formatted for the language).
    metric : str or None
        The figure's name (``revenue``, ``leads_received`` ...); None for a label.
    manager : str
        Manager id, or :data:`TEAM` for the team.
    period : str
        The period's first day (``2026-11-23``, ``2026-11`` for a month), or
        :data:`ALL` for the whole report.
    value : float
        The exact value.
    tone : str
        ``""``, ``"good"``, ``"bad"`` or ``"warn"``: how the cell is coloured.
    parts : tuple of Cell
        Figures shown inside this one (a range "12-25 %": its two ends), each with
        its own value; ``text`` then joins them.
    """

    text: str
    metric: str | None = None
    manager: str = TEAM
    period: str = ALL
    value: float = math.nan
    tone: str = ""
    parts: tuple[Cell, ...] = ()

    @property
    def data_value(self) -> str:
        """The exact value for the ``data-value`` attribute."""
        return exact(self.value)


@dataclass(frozen=True)
class Column:
    """A column of a table: its key in the words catalogue, heading and explanation."""

    key: str
    label: str
    explanation: str
    numeric: bool = True


@dataclass(frozen=True)
class Table:
    """A table: columns, rows of cells, an optional last row (the team) and a note."""

    kind: ClassVar[str] = "table"

    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    total: tuple[Cell, ...] | None = None
    note: str = ""
    name: str = ""
    explain: bool = True


@dataclass(frozen=True)
class Plot:
    """An inline SVG plot (trusted text made by :mod:`_report_plots`) and its caption."""

    kind: ClassVar[str] = "plot"

    svg: str
    caption: str = ""


@dataclass(frozen=True)
class Card:
    """A headline figure: a label, the figure, and lines under it."""

    label: str
    figure: Cell
    detail: tuple[Cell, ...] = ()
    tone: str = ""


@dataclass(frozen=True)
class Cards:
    """A row of headline figures."""

    kind: ClassVar[str] = "cards"

    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Item:
    """A line of a list: cells shown one after the other, with an optional label."""

    parts: tuple[Cell, ...]
    label: str = ""
    tone: str = ""


@dataclass(frozen=True)
class Items:
    """A list of lines (alerts, data-quality findings, the plan's chain)."""

    kind: ClassVar[str] = "items"

    items: tuple[Item, ...]
    name: str = ""


@dataclass(frozen=True)
class Text:
    """A paragraph."""

    kind: ClassVar[str] = "text"

    text: str
    tone: str = ""


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    kind: ClassVar[str] = "heading"

    text: str


Block = Table | Plot | Cards | Items | Text | Heading


@dataclass
class Section:
    """One section of the page, in the order of its blocks."""

    key: str
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)
