"""The demo team in an empty database: the demo bank's managers, policy and quarter.

So that ``fairlead serve`` with no configuration (``make serve``) answers at once:
the team ``demo`` gets the managers and policy of :func:`fairlead.datasets.load_demo`
and, for its dashboard, the KPI log and sales plan of the demo quarter.
"""

from __future__ import annotations

import csv
import json
import time
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from fairlead.datasets import demo_path, load_demo
from fairlead.kpi import COLUMNS
from fairlead.records import Manager
from fairlead.service._event_log import record
from fairlead.service._tables import sales_plans
from fairlead.service._teams import create_team, team_ids

DEMO_TEAM = "demo"
_NUMBERS = ("score", "deal_value", "win_probability", "amount")
_WHOLE = ("csat", "nps")


def _event(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in COLUMNS:
        text = row.get(name, "")
        if text == "":
            continue
        if name == "at":
            out[name] = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        elif name in _NUMBERS:
            out[name] = float(text)
        elif name in _WHOLE:
            out[name] = int(text)
        elif name == "complaint":
            out[name] = text.strip().lower() in ("1", "true", "yes")
        else:
            out[name] = text
    return out


def seed_demo(conn: Connection) -> bool:
    """Add the demo team if the database has no team; whether it was added."""
    if team_ids(conn):
        return False
    demo = load_demo()
    create_team(
        conn,
        DEMO_TEAM,
        name="Demo bank: retail sales",
        timezone="Europe/Moscow",
        managers=[Manager(**raw) for raw in demo.managers],
        policy=demo.policy,
    )
    with demo_path("demo_events.csv").open(encoding="utf-8", newline="") as f:
        rows = [_event(r) for r in csv.DictReader(f)]
    for start in range(0, len(rows), 5000):
        record(conn, DEMO_TEAM, rows[start : start + 5000])
    with demo_path("demo_sales_plan.csv").open(encoding="utf-8", newline="") as f:
        plan = [dict(r) for r in csv.DictReader(f)]
    conn.execute(
        sales_plans.insert().values(
            tenant_id=DEMO_TEAM, version=1, rows=json.dumps(plan), created_at=time.time()
        )
    )
    return True
