"""``compute()``: the arguments checked, the clocks and the grid set, every KPI family run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from fairlead.kpi._clock import Clock
from fairlead.kpi._context import Context
from fairlead.kpi._kpis import Kpis
from fairlead.kpi._leads import lead_table
from fairlead.kpi._log import EventLog
from fairlead.kpi._measure import measure
from fairlead.kpi._metrics import DEFAULT_BANDS
from fairlead.kpi._periods import Period, Periods, check_period, period_grid, period_start
from fairlead.kpi._settings import read_settings
from fairlead.records import InputError, epoch_seconds, read_time


def compute(
    log: EventLog,
    period: str = "week",
    *,
    now: Any = None,
    managers: Any = None,
    target_share: Mapping[str, float] | None = None,
    timezone: str = "UTC",
    timezones: Mapping[str, str] | None = None,
    funnel: Sequence[str] | None = None,
    sla_bands: Sequence[float] = DEFAULT_BANDS,
    churn_days: float = 90,
    interval: float = 0.9,
    since: Any = None,
) -> Kpis:
    """Every KPI of :data:`METRICS` per period and manager, and for the team.

    Each event counts in the period of its manager's local time. Leads received,
    contacted, waiting, their stages and conversion go by the period of the lead's
    assignment to the manager (a lead assigned twice is received by each manager it
    was given to); won, lost and revenue by the period of the close, for the manager
    who held the lead; response times by the period of the assignment the first
    contact answered. ``docs/kpi.md`` and each metric's explanation
    (:meth:`Metric.explain`) give the definitions.

    Parameters
    ----------
    log : EventLog
    period : {"day", "week", "month"}, default "week"
        Weeks start on Monday.
    now : datetime or str, optional
        The moment the KPIs are taken (UTC when naive): the last period is the one
        holding it, leads are "waiting" as of it. Default: the log's last event. An
        event after it is refused.
    managers : list of Manager or dict, or DataFrame, optional
        The team (``fairlead.Manager`` fields): ``max_active_leads`` gives the target
        shares (unless ``target_share``) and the limit for ``overload_days``;
        ``active_leads`` (open leads now) completes the open leads the log cannot
        show. Managers here without events get empty rows. None: equal shares, no
        overload figure.
    target_share : mapping, optional
        Manager id -> share (normalised to sum 1; managers not named get 0).
    timezone : str, default "UTC"
        The team's IANA time zone.
    timezones : mapping, optional
        Manager id -> IANA time zone of that manager's own clock.
    funnel : sequence of str, optional
        The stages in order; default by how many leads reached each (most first).
    sla_bands : sequence of float, default (5, 15, 60)
        Minutes: first responses within 5, within 15, within 60, later.
    churn_days : float, default 90
        A client without a purchase for this long is churned.
    interval : float, default 0.9
        Certainty of the conversion range (``conversion_low`` / ``_high``).
    since : datetime or str, optional
        The first moment the KPIs cover (UTC when naive): the grid starts with the
        period holding it (on the earliest manager's clock; give a period's first day
        to cover whole periods). Default: the log's first event. Events before it are
        history: they set what was true at the start (clients active then for
        retention, the leads open then and who held them for the pipeline and
        workload) and the rates :func:`decompose` and :func:`rating` read, but no
        period before it is shown and nothing before it counts in a period.

    Returns
    -------
    Kpis

    Raises
    ------
    InputError
        Naming the argument and the value: unknown period, a funnel stage no event
        has, a band at or below 0, a manager in ``timezones`` or ``target_share``
        that is in neither the log nor ``managers``, shares that do not add up to
        more than 0, an event after ``now``, ``since`` after ``now``.

    Examples
    --------
    >>> from fairlead import kpi
    >>> log = kpi.EventLog.from_records([
    ...     {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l1"},
    ...     {"type": "assigned", "at": "2026-11-02T09:03", "lead_id": "l1", "manager_id": "a"},
    ...     {"type": "created", "at": "2026-11-02T10:00", "lead_id": "l2"},
    ...     {"type": "assigned", "at": "2026-11-02T10:01", "lead_id": "l2", "manager_id": "b"},
    ...     {"type": "contacted", "at": "2026-11-02T10:21", "lead_id": "l2"},
    ... ])
    >>> kpis = kpi.compute(log, "week", timezones={"b": "Europe/Moscow"})
    >>> kpis.value("leads_received"), kpis.value("leads_waiting", "a")
    (2.0, 1.0)
    >>> kpis.value("response_p50", "b"), kpis.value("sla_15_60")
    (20.0, 1.0)
    >>> later = kpi.compute(log, "week", now="2026-11-10", since="2026-11-09")
    >>> later.periods.label(0), later.value("leads_received"), later.value("peak_open", "a")
    ('2026-11-09', 0.0, 1.0)
    >>> kpi.compute(log, "year")
    Traceback (most recent call last):
    ...
    fairlead.InputError: period must be one of day, week, month, got 'year'
    """
    if not isinstance(log, EventLog):
        raise InputError(
            f"log must be an EventLog (kpi.read_events or EventLog.from_records), got "
            f"{type(log).__name__}",
            field="log",
        )
    kind = check_period(period)
    settings, manager_ids = read_settings(
        log,
        managers=managers,
        target_share=target_share,
        funnel=funnel,
        sla_bands=sla_bands,
        churn_days=churn_days,
        interval=interval,
        timezone=timezone,
        timezones=timezones,
    )
    moment, seconds = _now(log, now)
    first = _since(since, seconds) if since is not None else None
    if first is None:
        first = int(log.at[0]) if len(log) else seconds
    lo = min(first, int(log.at[0])) if len(log) else first
    clock = Clock(manager_ids, timezone=timezone, timezones=timezones, lo=lo, hi=seconds)
    ctx = Context(
        log=log,
        leads=lead_table(log, funnel=settings.funnel),
        manager_ids=manager_ids,
        periods=_grid(clock, first, seconds, kind),
        clock=clock,
        now=seconds,
        settings=settings,
    )
    found = measure(ctx)
    return Kpis(
        period=kind,
        periods=ctx.periods,
        manager_ids=manager_ids,
        by_manager=found.by_manager,
        team=found.team,
        funnel=settings.funnel,
        now=moment,
        leads=ctx.leads,
        log=log,
        context=ctx,
    )


def _now(log: EventLog, now: Any) -> tuple[datetime, int]:
    if now is None:
        if not len(log):
            raise InputError("the event log is empty: give now", field="now")
        seconds = int(log.at[-1])
        return np.datetime64(seconds, "s").astype(datetime), seconds
    moment = read_time(now, "now", field="now")
    if moment is None:
        raise InputError(f"now must be a moment, got {now!r}", field="now", value=now)
    seconds = int(np.floor(epoch_seconds(moment)))
    if len(log) and int(log.at[-1]) > seconds:
        last = np.datetime64(int(log.at[-1]), "s")
        raise InputError(
            f"now ({moment.isoformat()}) is before the log's last event ({last}): the log "
            "cannot know the future",
            field="now",
            value=now,
        )
    return moment, seconds


def _since(since: Any, now: int) -> int:
    """``since`` as epoch seconds; an InputError when it is not a moment or after now."""
    moment = read_time(since, "since", field="since")
    if moment is None:
        raise InputError(f"since must be a moment, got {since!r}", field="since", value=since)
    seconds = int(np.floor(epoch_seconds(moment)))
    if seconds > now:
        raise InputError(
            f"since ({moment.isoformat()}) is after now ({np.datetime64(now, 's')}): the "
            "KPIs would cover nothing",
            field="since",
            value=since,
        )
    return seconds


def _grid(clock: Clock, first: int, now: int, kind: Period) -> Periods:
    """From the period of ``first`` (since, or the first event) to the period of now.

    On every clock used: the first period holds ``first`` on the earliest clock.
    """
    moments = np.array([first, now], dtype=np.int64)
    local = np.stack([moments + clock.offsets(moments, k) for k in range(len(clock.names))])
    ends = np.array([local[:, 0].min(), local[:, 1].max()])
    return period_grid(period_start(ends, kind), kind)
