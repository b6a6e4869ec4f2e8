"""What the dashboard's template draws: figures that carry their exact value, and blocks.

Every figure on the page is a :class:`Cell`: the text shown, and where it comes from
(the API's figure, the manager, the period) with the exact value, which the template
writes as ``data-metric``, ``data-manager``, ``data-period`` and ``data-value``, as
the ``fairlead report`` page does, so a test (or a curious reader) can compare the page
with the API's JSON.

``data-metric`` names: a KPI's own name (``leads_received``, from ``/v1/kpi``);
``status:<field>`` (``/v1/status``); ``overdue:<field>`` (``/v1/sla/overdue``);
``plan:<field>`` (the ``fact`` rows of ``/v1/plan``); ``alert:<kind>``
(``/v1/alerts``); ``fair_leads`` (target share x the team's leads received);
``outbox:<status>`` and ``inbox:<status>`` (the ``outbox`` and ``inbox`` of
``/v1/connectors/<crm>``, ``data-manager`` the CRM).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: ``data-manager`` of the team's figures.
TEAM = ""
#: ``data-period`` of a figure taken at the page's moment (live status, late leads).
NOW = "now"


def exact(value: float | None) -> str:
    """A number as ``data-value`` holds it: ``repr`` of the float, ``NaN`` for no data.

    Examples
    --------
    >>> exact(0.1 + 0.2), exact(None), exact(3)
    ('0.30000000000000004', 'NaN', '3.0')
    """
    if value is None or math.isnan(float(value)):
        return "NaN"
    number = float(value)
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return repr(number)


@dataclass(frozen=True)
class Cell:
    """One figure or label of the page.

    Attributes
    ----------
    text : str
        What is shown, formatted for the language.
    metric : str or None
        The figure's name (see the module); None for a label.
    manager : str
        Manager id, or :data:`TEAM`.
    period : str
        The period's first day (as ``/v1/kpi`` rows give it), the plan period, or
        :data:`NOW`.
    value : float or None
        The exact value (None: no data).
    tone : str
        ``""``, ``"good"``, ``"bad"`` or ``"warn"``.
    title : str
        A tooltip (what a derived figure is made of).
    meter : tuple of float, optional
        ``(value, most)``: drawn as a gauge beside the text.
    lead : str
        The lead a figure is about (``data-lead``), for late leads.
    """

    text: str
    metric: str | None = None
    manager: str = TEAM
    period: str = NOW
    value: float | None = None
    tone: str = ""
    title: str = ""
    meter: tuple[float, float] | None = None
    lead: str = ""

    @property
    def data_value(self) -> str:
        """The exact value for the ``data-value`` attribute."""
        return exact(self.value)


@dataclass(frozen=True)
class Column:
    """A table's column: heading, what it means, and whether it holds numbers."""

    label: str
    explanation: str = ""
    numeric: bool = True


@dataclass
class Table:
    """Rows of cells under columns; ``total`` is the team's row, drawn as the footer."""

    name: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    total: list[Cell] | None = None
    kind: str = "table"


@dataclass(frozen=True)
class Card:
    """A headline figure: label, the figure, a line of detail."""

    label: str
    figure: Cell
    detail: tuple[Cell, ...] = ()
    tone: str = ""


@dataclass
class Cards:
    """A row of cards."""

    cards: list[Card]
    kind: str = "cards"


@dataclass(frozen=True)
class Item:
    """A line of a list: a tag and the figures or words that follow it."""

    tag: str
    parts: tuple[Cell, ...]
    tone: str = ""


@dataclass
class Items:
    """A list of lines (late leads, alerts)."""

    name: str
    items: list[Item]
    kind: str = "items"


@dataclass
class Text:
    """A paragraph."""

    text: str
    tone: str = ""
    kind: str = "text"


@dataclass
class Action:
    """A button that posts a form to the page's own server (same site only)."""

    path: str
    label: str
    fields: dict[str, str] = field(default_factory=dict)
    kind: str = "action"


Block = Table | Cards | Items | Text | Action


@dataclass
class Section:
    """A part of the page with its own heading (and anchor ``key``)."""

    key: str
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)
