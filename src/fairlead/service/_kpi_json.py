"""The KPI API's answers as JSON, built once for ``/v1/...`` and for the dashboard.

The dashboard draws its figures from these very dicts, so the page and the API cannot
disagree. JSON has no NaN: a figure with no data is ``null``; dates are ISO text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

import fairlead.kpi as kpi
from fairlead.service._errors import ApiError
from fairlead.service._kpi_plans import PlanVersion
from fairlead.service._kpi_sources import Sources


def plain(value: Any) -> Any:
    """A value as JSON carries it: NaN and infinities ``null``, dates ISO, numpy plain.

    Examples
    --------
    >>> from datetime import date
    >>> plain({"a": float("nan"), "b": [np.float64(1.5), date(2026, 11, 23)], "c": (1,)})
    {'a': None, 'b': [1.5, '2026-11-23'], 'c': [1]}
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def plain_dict(value: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`plain` of a mapping, typed as the dict it gives."""
    out: dict[str, Any] = plain(value)
    return out


def both(texts: Any) -> dict[str, str]:
    """``{"en": ..., "ru": ...}`` of anything with ``text(lang)`` or ``message(lang)``."""
    read = getattr(texts, "message", None) or texts.text
    return {"en": str(read("en")), "ru": str(read("ru"))}


def metric_dict(metric: kpi.Metric) -> dict[str, Any]:
    """A metric as people read it: unit, name and explanation in English and Russian."""
    return {
        "unit": metric.unit,
        "label": {"en": metric.label("en"), "ru": metric.label("ru")},
        "explain": {"en": metric.explain("en"), "ru": metric.explain("ru")},
        "team": metric.team,
        "better": metric.better,
    }


def kpi_body(
    kpis: kpi.Kpis,
    src: Sources,
    *,
    since: datetime | None = None,
    metrics: Sequence[str] | None = None,
    managers: Sequence[str] | None = None,
    last: int | None = None,
) -> dict[str, Any]:
    """``GET /v1/kpi``: one row per (period, manager) and the team's rows, and the metrics.

    Parameters
    ----------
    kpis : fairlead.kpi.Kpis
    src : Sources
    since : datetime, optional
        As asked (echoed).
    metrics, managers : sequence of str, optional
        Only these metrics (422 for one the KPIs do not have) and only these managers'
        rows (404 for one they do not know); the team's rows are left out when
        managers are named.
    last : int, optional
        Only the latest ``last`` periods.
    """
    names = list(kpis.metrics) if not metrics else list(dict.fromkeys(metrics))
    described = {name: metric_dict(kpis.describe(name)) for name in names}
    if managers:
        for manager in managers:
            if manager not in kpis.manager_ids:
                known = ", ".join(kpis.manager_ids) or "none yet"
                raise ApiError(
                    404,
                    f"no manager {manager!r} in the team's KPIs (managers: {known})",
                    field="manager_id",
                    ident=manager,
                    value=manager,
                )
    dates = kpis.periods.dates()
    kept = dates[-last:] if last else dates
    wanted = set(kept)
    who = None if not managers else set(managers)
    rows = [
        {"period": r["period"], "manager_id": r["manager_id"], **{n: r[n] for n in names}}
        for r in kpis.to_records()
        if r["period"] in wanted
        and (who is None or (r["manager_id"] is not None and r["manager_id"] in who))
    ]
    return plain_dict(
        {
            "team": src.setup.tenant_id,
            "period": kpis.period,
            "now": src.now,
            "since": since,
            "timezone": src.setup.timezone,
            "periods": list(kept),
            "managers": [{"id": m, "name": src.name(m)} for m in kpis.manager_ids],
            "metrics": described,
            "rows": rows,
        }
    )


def fact_rows(decomposition: kpi.Decomposition) -> list[dict[str, Any]]:
    """Plan against fact per plan period, for the team (``manager_id`` null) and each manager.

    A period under way counts what is won so far and what the open deals and leads
    should bring (``expected``); a past period its revenue; a period to come its plan.
    """
    out: list[dict[str, Any]] = []
    for chain in decomposition.chains:
        check = chain.check
        row: dict[str, Any] = {
            "period": chain.period,
            "manager_id": chain.manager_id,
            "name": chain.name,
            "state": "future" if check is None else check.state,
            "plan": chain.revenue,
        }
        if check is None:
            row.update(dict.fromkeys(("won", "pipeline", "fresh", "expected", "gap", "attainment")))
        else:
            row.update(
                won=check.won,
                pipeline=check.pipeline,
                fresh=check.fresh,
                expected=check.expected,
                gap=check.gap,
                attainment=check.won / check.plan if check.plan > 0 else None,
                text=both(check),
            )
        out.append(plain_dict(row))
    return out


def plan_body(
    version: PlanVersion, kpis: kpi.Kpis, decomposition: kpi.Decomposition, src: Sources
) -> dict[str, Any]:
    """``GET /v1/plan``: the plan, its breakdown into deals and leads, plan against fact."""
    return plain_dict(
        {
            "version": version.version,
            "created_at": version.created_at,
            "kind": version.plan.kind,
            "rows": version.plan.to_records(),
            "period": kpis.period,
            "now": src.now,
            "split": decomposition.split,
            "history_days": decomposition.history_days,
            "decomposition": decomposition.to_records(),
            "chains": [
                {
                    "period": c.period,
                    "manager_id": c.manager_id,
                    "name": c.name,
                    "text": both(c),
                }
                for c in decomposition.chains
            ],
            "fact": fact_rows(decomposition),
            "notes": [{"en": en, "ru": ru} for en, ru in decomposition.notes],
        }
    )


def rating_body(rated: kpi.Rating, src: Sources) -> dict[str, Any]:
    """``GET /v1/rating``: the managers best first, each part's score and figure."""
    rows = []
    for record, row in zip(rated.to_records(), rated.rows, strict=True):
        rows.append({**record, "name": src.name(row.manager_id), "note_ru": row.note("ru")})
    return plain_dict(
        {
            "now": src.now,
            "window": {"start": rated.start, "end": rated.end},
            "weights": rated.weights,
            "team": rated.team,
            "rows": rows,
            "notes": [{"en": en, "ru": ru} for en, ru in rated.notes],
        }
    )


def alert_dict(alert: kpi.Alert) -> dict[str, Any]:
    """One alert: what, how urgent, whom it concerns, its figures, and the sentence."""
    return plain_dict(
        {
            "kind": alert.kind,
            "severity": alert.severity,
            "manager_id": alert.manager_id,
            "name": alert.name,
            "lead_ids": list(alert.lead_ids),
            "figures": dict(alert.figures),
            "period": alert.period,
            "unit": alert.unit,
            "message": both(alert),
        }
    )
