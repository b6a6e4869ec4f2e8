"""The report's alerts: what needs the head of sales' attention, most urgent first.

Each :class:`~fairlead.kpi._alerts.Alert` is one line: how urgent, and its own
sentence in the page's language. The line carries ``data-metric="alert:<kind>"``, the
manager, the period judged and the alert's first figure (``data-value``); the list
carries the count.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from fairlead.kpi._alerts import Alert
from fairlead.kpi._report_model import ALL, Cell, Item, Items, Section, Text
from fairlead.kpi._report_page import Page

#: How each severity is shown: its word's key and its colour.
SEVERITY = {"high": ("severity_high", "bad"), "medium": ("severity_medium", "warn")}


def alert_counts(found: Sequence[Alert]) -> tuple[int, int]:
    """How many alerts, and how many urgent ones.

    Examples
    --------
    >>> alert_counts([])
    (0, 0)
    """
    return len(found), sum(a.severity == "high" for a in found)


def alerts_section(page: Page, found: Sequence[Alert]) -> Section:
    """The alerts as a list, most urgent first (the order :func:`alerts` gives)."""
    w = page.words
    if not found:
        section = Section("alerts", w["alerts"])
        section.blocks.append(Text(w["alerts_none"], tone="good"))
        return section
    section = Section("alerts", w["alerts"], w["alerts_intro"])
    items = []
    for alert in found:
        key, tone = SEVERITY.get(alert.severity, ("severity_low", ""))
        figure = next(iter(alert.figures.values()), math.nan) if alert.figures else math.nan
        cell = Cell(
            alert.message(w.lang),
            f"alert:{alert.kind}",
            alert.manager_id or "",
            alert.period or ALL,
            float(figure),
        )
        items.append(Item((cell,), label=w[key], tone=tone))
    section.blocks.append(Items(tuple(items), name="alerts"))
    return section
