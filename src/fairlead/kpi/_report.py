"""The head of sales' report: one self-contained HTML page from an event log.

:func:`report` computes the KPIs, breaks the sales plan down, rates the managers and
finds what needs attention, then draws it all on one page (Jinja2 template, inline
CSS, matplotlib plots as inline SVG; no script, nothing fetched from the network).
The page speaks English or Russian.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from fairlead.kpi._log import EventLog
from fairlead.kpi._periods import check_period
from fairlead.kpi._read import read_events
from fairlead.kpi._report_format import check_lang
from fairlead.kpi._report_words import Words
from fairlead.records import (
    InputError,
    Manager,
    PathLike,
    coerce_policy,
    coerce_records,
    write_text_atomic,
)

#: What the report needs beyond fairlead's own dependencies.
EXTRA = "pip install 'fairlead[report]'"


def _needs() -> None:
    try:
        import jinja2  # noqa: F401
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise ImportError(
            f"the report needs jinja2 and matplotlib ({exc.name} is missing): {EXTRA}"
        ) from None


def _log_of(log: EventLog | PathLike, now: Any) -> EventLog:
    if isinstance(log, EventLog):
        return log
    if isinstance(log, str | os.PathLike):
        return read_events(log, now=now)
    raise InputError(
        f"log must be an EventLog or the path of an event log file, got {type(log).__name__}",
        field="log",
    )


def _managers_of(managers: Any) -> list[Manager] | None:
    if managers is None:
        return None
    return coerce_records(managers, Manager, "manager")


def report(
    log: EventLog | PathLike,
    plan: Any = None,
    *,
    period: str = "week",
    lang: str = "en",
    managers: Any = None,
    policy: Any = None,
    now: Any = None,
    since: Any = None,
    timezone: str = "UTC",
    timezones: Mapping[str, str] | None = None,
    out: PathLike | None = None,
) -> str:
    """The head of sales' report as one self-contained HTML page.

    The page holds: the headline figures and the team by period, what needs
    attention (alerts), plan and fact per manager, what the plan takes (the plan
    broken down into deals and leads), the funnel, first-contact times, leads and
    value against each manager's fair share over the periods, the rating, client
    satisfaction and retention, data-quality findings and a glossary of every
    column. Every figure carries ``data-metric``, ``data-manager`` (empty for the
    team), ``data-period`` (the period's first day, or ``all``) and ``data-value``
    (the exact value) attributes.

    Parameters
    ----------
    log : EventLog or str or Path
        The event log, or the path of a CSV / JSON event log (``docs/kpi.md``).
    plan : SalesPlan or str or Path or list of dict, optional
        The sales plan (``period``, ``manager_id``, ``revenue``), or its file.
        Without one the page shows the fact only.
    period : {"day", "week", "month"}
        The periods of the page's tables and plots.
    lang : {"en", "ru"}
        The page's language.
    managers : list of Manager or dict, or DataFrame, optional
        The team: names shown beside the ids, capacity for fair shares and overload.
    policy : Policy or dict, optional
        Rating weights, the balance band of the alerts (default: ``Policy()``).
    now : datetime or str, optional
        The report's moment (default: the last event of the log).
    since : datetime or str, optional
        The first moment the report covers (default: the log's first event); the
        events before it are history (the clients active at the start, the rates the
        plan's breakdown reads), see :func:`fairlead.kpi.compute`.
    timezone : str
        The team's time zone (IANA name).
    timezones : mapping, optional
        Manager id → the manager's own time zone.
    out : str or Path, optional
        When given, the page is also written there atomically.

    Returns
    -------
    str
        The HTML text.

    Raises
    ------
    InputError
        For a bad argument (period, language, time zone, ``since`` after ``now``, a
        plan or team that does not fit the log), naming it.
    FileError
        When a file cannot be read, or ``out`` cannot be written.
    ImportError
        When jinja2 or matplotlib is missing (``pip install 'fairlead[report]'``).

    Examples
    --------
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1", "deal_value": 900},
    ...     {"type": "assigned", "at": "2026-11-02T09:02", "lead_id": "l-1", "manager_id": "m-1"},
    ...     {"type": "contacted", "at": "2026-11-02T09:06", "lead_id": "l-1"},
    ...     {"type": "won", "at": "2026-11-04T15:00", "lead_id": "l-1", "amount": 1000},
    ... ])
    >>> html = report(log, lang="ru")
    >>> html.startswith("<!DOCTYPE html>"), '<html lang="ru">' in html
    (True, True)
    >>> 'data-metric="revenue" data-manager="" data-period="all" data-value="1000.0"' in html
    True
    """
    words = Words(_lang(lang))
    kind = check_period(period)
    _needs()
    from fairlead.kpi._report_build import build

    events = _log_of(log, now)
    team = _managers_of(managers)
    rules = coerce_policy(policy)
    html = build(
        events,
        plan,
        period=kind,
        words=words,
        managers=team,
        policy=rules,
        now=now,
        since=since,
        timezone=timezone,
        timezones=timezones,
    )
    if out is not None:
        write_text_atomic(out, html)
    return html


def _lang(lang: Any) -> str:
    try:
        return check_lang(lang)
    except ValueError:
        raise InputError(
            f"lang must be 'en' or 'ru', got {lang!r}", field="lang", value=lang
        ) from None
