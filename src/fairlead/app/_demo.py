"""The method end to end on the embedded demo data: score, plan touches, weigh, assign.

1. Lead scoring: :data:`~fairlead.scoring.DEFAULT_RULES` points, calibrated to a
   conversion probability on the 12-week history; tiers from the points.
2. Client base: RFM segments of each manager's clients and the week's touch plan;
   the clients of a manager who is away go to colleagues with room, and planned
   touches take capacity (``Policy.touch_load``).
3. Manager performance from the history, shrunk towards the team.
4. A conversion model p(lead, manager) learned from the history (manager effects
   per tier, shrunk by empirical Bayes) gives the value of each pair.
5. :func:`fairlead.assign` with that model.

Then the monitoring side: :func:`write_demo_report` writes the head of sales' report
(:func:`fairlead.kpi.report`) for the same team's simulated quarter up to
:data:`~fairlead.datasets.DEMO_NOW`, with its monthly sales plan.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from fairlead import kpi
from fairlead.datasets import DEMO_NOW, Demo, demo_path, load_demo
from fairlead.plan import Plan, PolicyBrokenWarning, assign
from fairlead.scoring import (
    ConversionModel,
    ManagerPerformance,
    RuleScorer,
    TouchPlan,
    manager_performance,
    rfm,
    touch_plan,
)

FEATURES = ("points", "source", "product")
#: The first day of the demo's simulated quarter (``fairlead.sim._demo_quarter.START``):
#: the report covers the quarter; the clients' purchases before it are history.
DEMO_SINCE = datetime(2026, 8, 31)
#: Where ``fairlead demo`` writes the report unless told otherwise (working directory).
DEMO_REPORT = "fairlead-demo-report.html"


@dataclass(frozen=True)
class DemoRun:
    """Everything the demo computed, for printing or for a notebook."""

    demo: Demo
    scorer: RuleScorer
    model: ConversionModel
    performance: ManagerPerformance
    touches: TouchPlan
    segments: dict[str, str]
    leads: list[dict[str, Any]]
    managers: list[dict[str, Any]]
    plan: Plan


def _history_frame(demo: Demo, scorer: RuleScorer) -> dict[str, Any]:
    created = [datetime.fromisoformat(row["created_at"]) for row in demo.history]
    points = scorer.points(demo.history, now=created)
    return {
        "X": {
            "points": points,
            "source": [row["source"] for row in demo.history],
            "product": [row["product"] for row in demo.history],
        },
        "tiers": scorer.tier(demo.history, now=created),
    }


def prepare(demo: Demo | None = None) -> tuple[Demo, RuleScorer, list[dict[str, Any]]]:
    """Fit the rule scorer on the history and score the new leads with it."""
    demo = load_demo() if demo is None else demo
    created = [datetime.fromisoformat(row["created_at"]) for row in demo.history]
    outcome = [row["converted"] for row in demo.history]
    scorer = RuleScorer().fit(demo.history, outcome, now=created)
    points = scorer.points(demo.lead_activity, now=demo.now)
    score = scorer.predict_proba(demo.lead_activity, now=demo.now)
    tier = scorer.tier(demo.lead_activity, now=demo.now)
    base = {row["id"]: row for row in demo.leads}
    leads = []
    for k, activity in enumerate(demo.lead_activity):
        lead = dict(base[activity["id"]])
        lead.update(score=float(score[k]), tier=str(tier[k]), points=float(points[k]))
        leads.append(lead)
    return demo, scorer, leads


def run_demo(method: str = "auto", demo: Demo | None = None) -> DemoRun:
    """Run the whole method on the demo data (see the module docstring).

    Examples
    --------
    >>> from fairlead.app._demo import run_demo
    >>> run = run_demo()
    >>> run.plan.status.value, len(run.plan.unassigned)
    ('optimal', 0)
    """
    demo, scorer, leads = prepare(demo)
    history = _history_frame(demo, scorer)
    who = [row["manager_id"] for row in demo.history]
    outcome = [row["converted"] for row in demo.history]
    model = ConversionModel().fit(history["X"], outcome, managers=who, segments=history["tiers"])

    transactions = {
        key: [row[key] for row in demo.transactions] for key in ("customer_id", "date", "amount")
    }
    table = rfm(transactions, now=demo.now.date())
    owners = {row["customer_id"]: row["manager_id"] for row in demo.clients}
    last_contact = {row["customer_id"]: row["last_contact"] for row in demo.clients}
    # The team and policy that assign() gets below: an away manager's clients are
    # covered by colleagues, within the touches each one's free capacity holds.
    touches = touch_plan(
        table,
        owners=owners,
        last_contact=last_contact,
        now=demo.now,
        managers=demo.managers,
        policy=demo.policy,
    )
    per_manager = touches.per_manager()

    performance = manager_performance(
        {
            "manager_id": who,
            "converted": outcome,
            "deal_value": [row["deal_value"] for row in demo.history],
            "first_response_minutes": [row["first_response_minutes"] for row in demo.history],
        },
        deal_value="deal_value",
        response_minutes="first_response_minutes",
    )
    index = performance.as_mapping()
    managers = [
        {**mg, "planned_touches": per_manager.get(mg["id"], 0), "performance": index.get(mg["id"])}
        for mg in demo.managers
    ]
    with warnings.catch_warnings():
        # a method that breaks the policy is reported by the demo itself
        warnings.simplefilter("ignore", PolicyBrokenWarning)
        plan = assign(leads, managers, policy=demo.policy, model=model, method=method)
    segments = dict(
        zip(table["customer_id"].tolist(), np.asarray(table["segment"]).tolist(), strict=True)
    )
    return DemoRun(
        demo=demo,
        scorer=scorer,
        model=model,
        performance=performance,
        touches=touches,
        segments=segments,
        leads=leads,
        managers=managers,
        plan=plan,
    )


@dataclass(frozen=True)
class DemoReport:
    """The demo quarter's report as written: where, and what it covers (from ``since``)."""

    path: Path
    log: kpi.EventLog
    since: datetime = DEMO_SINCE


def write_demo_report(
    path: str | os.PathLike[str] = DEMO_REPORT, *, lang: str = "en", demo: Demo | None = None
) -> DemoReport:
    """Write the report of the demo team's simulated quarter (weekly, with its plan).

    The event log and the monthly sales plan are the embedded ``demo_events.csv`` and
    ``demo_sales_plan.csv``; the team (names, capacity) and policy are the demo's. The
    report covers the quarter from :data:`DEMO_SINCE`; the clients' purchases before
    it are history (which clients were active when the quarter began).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fairlead.app._demo import write_demo_report
    >>> done = write_demo_report(pathlib.Path(tempfile.mkdtemp()) / "report.html")
    >>> done.path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    True
    """
    demo = load_demo() if demo is None else demo
    log = kpi.read_events(demo_path("demo_events.csv"), now=DEMO_NOW)
    plan = kpi.read_sales_plan(demo_path("demo_sales_plan.csv"))
    kpi.report(
        log,
        plan,
        period="week",
        lang=lang,
        managers=demo.managers,
        policy=demo.policy,
        now=DEMO_NOW,
        since=DEMO_SINCE,
        out=path,
    )
    return DemoReport(Path(os.path.abspath(path)), log)
