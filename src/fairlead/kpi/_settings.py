"""The arguments of :func:`fairlead.kpi.compute` checked once.

Each bad one is an InputError naming the argument and the value.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from fairlead.kpi._cells import FloatArray
from fairlead.kpi._context import Settings
from fairlead.kpi._leads import funnel_order
from fairlead.kpi._log import EventLog
from fairlead.records import InputError, InputWarning, Manager, coerce_records, label_key, read_id


def number(value: Any, what: str) -> float:
    """``value`` as a finite float, or an InputError naming ``what``.

    Examples
    --------
    >>> number("2.5", "churn_days")
    Traceback (most recent call last):
    ...
    fairlead.InputError: churn_days must be a number, got '2.5'
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise InputError(f"{what} must be a number, got {value!r}", field=what, value=value)
    out = float(value)
    if not math.isfinite(out):
        raise InputError(f"{what} must be a finite number, got {value!r}", field=what, value=value)
    return out


def check_bands(bands: Any) -> tuple[float, ...]:
    """Response-time band edges: minutes above 0, increasing.

    Examples
    --------
    >>> check_bands([5, 15, 60])
    (5.0, 15.0, 60.0)
    >>> check_bands([5, -1])
    Traceback (most recent call last):
    ...
    fairlead.InputError: sla_bands must be minutes above 0, got -1
    """
    if isinstance(bands, str | bytes) or not isinstance(bands, Sequence) or not bands:
        raise InputError(
            f"sla_bands must be a list of minutes such as (5, 15, 60), got {bands!r}",
            field="sla_bands",
            value=bands,
        )
    edges = tuple(number(b, "sla_bands") for b in bands)
    for edge, given in zip(edges, bands, strict=True):
        if edge <= 0:
            raise InputError(
                f"sla_bands must be minutes above 0, got {given!r}", field="sla_bands", value=given
            )
    for low, high in pairwise(edges):
        if high <= low:
            raise InputError(
                f"sla_bands must increase, got {high:g} after {low:g}",
                field="sla_bands",
                value=list(bands),
            )
    return edges


def check_funnel(log: EventLog, funnel: Any) -> tuple[np.ndarray[Any, Any], tuple[str, ...]]:
    """Funnel positions of the log's stage codes and the stage names.

    A stage named in ``funnel`` must appear in the log (a misspelt stage would
    otherwise count nothing), and every stage of the log must be in ``funnel``.
    """
    if funnel is not None:
        if isinstance(funnel, str | bytes) or not isinstance(funnel, Sequence):
            raise InputError(
                f"funnel must be a list of stage names in order, got {funnel!r}",
                field="funnel",
                value=funnel,
            )
        in_log = {label_key(name) for name in log.labels["stage"][1]}
        for stage in funnel:
            if not isinstance(stage, str) or label_key(stage) not in in_log:
                known = ", ".join(log.labels["stage"][1]) or "none"
                raise InputError(
                    f"funnel names stage {stage!r}, which no event of the log has "
                    f"(stages in the log: {known})",
                    field="funnel",
                    value=stage,
                )
    return funnel_order(log, funnel)


def _targets(
    target_share: Any, manager_ids: tuple[str, ...], capacity: FloatArray, given: bool
) -> FloatArray:
    n = len(manager_ids)
    if target_share is None:
        if not given:
            return np.full(n, 1.0 / n) if n else np.zeros(0)
        total = float(np.nansum(capacity))
        if total <= 0:
            raise InputError(
                "managers: the managers' max_active_leads add up to 0, so there is no "
                "capacity to share leads by (give target_share)",
                field="managers",
                value=total,
            )
        return np.nan_to_num(capacity, nan=0.0) / total
    if not isinstance(target_share, Mapping):
        raise InputError(
            f"target_share must map manager ids to shares, got {target_share!r}",
            field="target_share",
            value=target_share,
        )
    index = {m: k for k, m in enumerate(manager_ids)}
    out = np.zeros(n)
    for key, share in target_share.items():
        manager = read_id(key, "target_share: manager id", field="target_share")
        if manager not in index:
            raise InputError(
                f"target_share names manager {manager!r}, who is neither in the event log "
                "nor in managers",
                field="target_share",
                value=manager,
            )
        value = number(share, "target_share")
        if value < 0:
            raise InputError(
                f"target_share of {manager!r} must be >= 0, got {share!r}",
                field="target_share",
                value=share,
            )
        out[index[manager]] = value
    if out.sum() <= 0:
        raise InputError(
            f"target_share must give some manager a share above 0, got {dict(target_share)!r}",
            field="target_share",
            value=dict(target_share),
        )
    shares: FloatArray = out / out.sum()
    return shares


def read_settings(
    log: EventLog,
    *,
    managers: Any,
    target_share: Any,
    funnel: Any,
    sla_bands: Any,
    churn_days: Any,
    interval: Any,
    timezone: str,
    timezones: Mapping[str, str] | None,
) -> tuple[Settings, tuple[str, ...]]:
    """The checked settings, and every manager id (the log's, then those only in ``managers``)."""
    records: list[Manager] = []
    if managers is not None:
        with warnings.catch_warnings():
            # Over the limit is what overload_days measures, not a doubtful input here.
            warnings.simplefilter("ignore", InputWarning)
            records = coerce_records(managers, Manager, "manager")
    known = set(log.manager_ids)
    manager_ids = log.manager_ids + tuple(r.id for r in records if r.id not in known)
    index = {m: k for k, m in enumerate(manager_ids)}
    capacity = np.full(len(manager_ids), np.nan)
    active = np.full(len(manager_ids), np.nan)
    for record in records:
        capacity[index[record.id]] = record.max_active_leads
        active[index[record.id]] = record.active_leads
    churn = number(churn_days, "churn_days")
    if churn <= 0:
        raise InputError(
            f"churn_days must be above 0, got {churn_days!r}", field="churn_days", value=churn_days
        )
    certainty = number(interval, "interval")
    if not 0 < certainty < 1:
        raise InputError(
            f"interval must be between 0 and 1 (e.g. 0.9), got {interval!r}",
            field="interval",
            value=interval,
        )
    position, stages = check_funnel(log, funnel)
    settings = Settings(
        funnel=stages,
        stage_position=position,
        sla_bands=check_bands(sla_bands),
        churn_days=churn,
        interval=certainty,
        target=_targets(target_share, manager_ids, capacity, bool(records)),
        capacity=capacity,
        active=active,
        timezone=str(timezone),
        timezones=dict(timezones or {}),
    )
    return settings, manager_ids
