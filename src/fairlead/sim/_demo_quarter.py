"""The demo bank team's simulated quarter: ``python -m fairlead.sim._demo_quarter``.

Writes ``demo_events.csv`` (the event log of ``docs/kpi.md``) and
``demo_sales_plan.csv`` (a monthly revenue plan per manager) into the
:mod:`fairlead.datasets` folder, byte for byte the same from the same seed.

The world is the demo team of :func:`fairlead.datasets.load_demo` as far as the
simulator can hold it:

- the 8 managers ``m-1`` ... ``m-8`` with their products (``skills``: who is
  qualified for what), their levels (the simulator knows junior, middle and senior; the
  trainee counts as a junior whose hidden skill is a further 15 % lower), their
  portfolios (``portfolio_size`` existing clients, ids ``c-1-001`` ... as in
  ``demo_clients.csv``) and their capacity (``max_active_leads`` less the slots the
  clients take at the demo policy's ``portfolio_load``);
- everyone in company time (UTC), full time, with the simulator's random sick days and
  vacations; ``m-8`` is also away from Monday 2026-11-23 on (as in the demo batch of
  :data:`fairlead.datasets.DEMO_NOW`);
- the demo's products and their median deal values (mortgage 9,000, loans 2,500, cards
  400, insurance 1,200) and sources (referral, website, partner, paid ads, cold call);
  :data:`LEADS_PER_WEEKDAY` leads a weekday, a fifth as many on weekend days; a lead
  stays open a week (median) once assigned.

The clients' purchases begin :data:`fairlead.sim._events.HISTORY_DAYS` days before
the quarter (``event_log``'s purchase history), so the log starts in March 2026; a
report of the quarter passes ``since=START`` and reads those purchases as history.

The strategy is :class:`fairlead.sim.FairleadBatch` (a solve every minute, ±10 % band,
the oracle's conversion chances), named ``fairlead`` in the log. The run covers the 13
weeks from Monday 2026-08-31; the log stops at ``DEMO_NOW`` (Friday 2026-11-27 08:00),
so November is still in progress. The team starts with no open leads, so little
closes in the first week of September. The plan for 2026-09 to 2026-11 is each manager's
mean monthly won amount over September to November (every close up to 2026-12-01,
past ``DEMO_NOW``), times a factor of their own
between 0.8 and 1.25 (some are set above what they sell, some below) and a month
factor within ±5 %, rounded to whole thousands.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from fairlead.sim._config import SimConfig
from fairlead.sim._engine import simulate
from fairlead.sim._events import EVENT_COLUMNS, NUMBER_COLUMNS, event_log
from fairlead.sim._strategies import FairleadBatch
from fairlead.sim._world import (
    SLOT_MINUTES,
    SLOTS_PER_DAY,
    Schedule,
    Team,
    World,
    check_seed,
    make_schedule,
    make_stream,
)

SEED = 20261127
START = datetime(2026, 8, 31)
WEEKS = 13
#: The end of the last planned month: wins up to here set the plan.
PLAN_END = datetime(2026, 12, 1)
MONTHS = ("2026-09", "2026-10", "2026-11")
LEADS_PER_WEEKDAY = 22.0
#: The vacation of ``m-8``: from this day of the run (Monday 2026-11-23) on.
AWAY_MANAGER, AWAY_FROM_DAY = "m-8", 84
PRODUCTS = ("mortgage", "loans", "cards", "insurance")
LEVELS = {"trainee": 0, "junior": 0, "middle": 1, "senior": 2}
TRAINEE_SKILL = 0.85
#: Digits kept when a number is written (money in whole units).
DECIMALS = {"score": 3, "deal_value": 0, "win_probability": 3, "amount": 0, "csat": 0, "nps": 0}

CONFIG = SimConfig(
    n_managers=8,
    weeks=WEEKS,
    leads_per_weekday=LEADS_PER_WEEKDAY,
    weekend_factor=0.2,
    products=PRODUCTS,
    product_shares=(0.2, 0.3, 0.35, 0.15),
    deal_value_median=(9000.0, 2500.0, 400.0, 1200.0),
    deal_value_sigma=0.4,
    product_lift=(0.7, 0.9, 1.1, 1.0),
    senior_only_products=(),
    sources=("referral", "website", "partner", "paid_ads", "cold_call"),
    source_shares=(0.15, 0.30, 0.15, 0.25, 0.15),
    source_lift=(1.6, 1.2, 1.3, 0.9, 0.5),
    base_rate=0.3,
    timezones=(0,),
    timezone_weights=(1.0,),
    part_time_share=0.0,
    open_days_median=7.0,
    open_days_sigma=0.6,
)


def _team(config: SimConfig, rng: np.random.Generator) -> Team:
    """The demo managers as the simulator's team (ids, levels, products, capacity)."""
    from fairlead.datasets import load_demo

    demo = load_demo()
    managers = demo.managers
    level_name = [str(row["level"]) for row in managers]
    level = np.array([LEVELS[name] for name in level_name], dtype=np.int64)
    portfolio = np.array([int(row["portfolio_size"]) for row in managers], dtype=np.int64)
    slots = np.array([int(row["max_active_leads"]) for row in managers], dtype=np.float64)
    capacity = np.maximum(slots - np.floor(portfolio * demo.policy.portfolio_load), 1)
    qualified = np.array([[p in row["skills"] for p in PRODUCTS] for row in managers])
    m = len(managers)
    level_lift = np.array([config.level_lift_hot, config.level_lift_warm, config.level_lift_cold]).T
    sigma = config.product_skill_sigma
    skill = np.exp(rng.normal(0.0, sigma, size=(m, len(PRODUCTS))) - sigma**2 / 2)
    skill *= np.where(np.array(level_name) == "trainee", TRAINEE_SKILL, 1.0)[:, None]
    lift = skill[:, :, None] * level_lift[level][:, None, :]
    low, high = config.response_median_minutes
    return Team(
        ids=tuple(str(row["id"]) for row in managers),
        level=level,
        capacity=capacity.astype(np.int64),
        portfolio=portfolio,
        qualified=qualified,
        lift=lift.reshape(m, -1),
        response_median=rng.uniform(low, high, size=m),
        timezone=np.zeros(m, dtype=np.int64),
        part_time=np.zeros(m, dtype=bool),
    )


def _away(schedule: Schedule, manager: int, from_day: int) -> Schedule:
    """``schedule`` with ``manager`` absent from ``from_day`` on (company time is local)."""
    absent = schedule.absent_days.copy()
    absent[from_day:, manager] = True
    on_shift = schedule.on_shift.copy()
    on_shift[from_day * SLOTS_PER_DAY :, manager] = False
    worked = np.zeros_like(schedule.worked_before)
    np.cumsum(on_shift * float(SLOT_MINUTES), axis=0, out=worked[1:])
    return replace(schedule, on_shift=on_shift, worked_before=worked, absent_days=absent)


def demo_world(seed: int = SEED) -> World:
    """The demo team over the 13 weeks from 2026-08-31, with its lead stream.

    Examples
    --------
    >>> world = demo_world()
    >>> world.team.ids[0], world.team.size, world.config.weeks
    ('m-1', 8, 13)
    """
    seed = check_seed(seed)
    team_rng, schedule_rng, stream_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)
    )
    team = _team(CONFIG, team_rng)
    schedule = make_schedule(CONFIG, team, WEEKS, schedule_rng)
    schedule = _away(schedule, team.ids.index(AWAY_MANAGER), AWAY_FROM_DAY)
    stream = make_stream(CONFIG, WEEKS, stream_rng)
    return World(config=CONFIG, team=team, schedule=schedule, stream=stream, seed=seed)


def _plan(log: dict[str, np.ndarray], ids: tuple[str, ...], seed: int) -> list[dict[str, Any]]:
    """A monthly revenue plan per manager near what each sold (see the module docs)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x91A4]))
    won = log["type"] == "won"
    month = np.array([at[:7] for at in log["at"][won]], dtype=object)
    who = log["manager_id"][won]
    amount = log["amount"][won]
    factor = rng.permutation(np.linspace(0.8, 1.25, len(ids)))
    drift = rng.uniform(0.95, 1.05, size=(len(MONTHS), len(ids)))
    rows = []
    for k, period in enumerate(MONTHS):
        for j, manager in enumerate(ids):
            mean = amount[(who == manager) & np.isin(month, MONTHS)].sum() / len(MONTHS)
            revenue = max(1000, round(mean * factor[j] * drift[k, j] / 1000.0) * 1000)
            rows.append({"period": period, "manager_id": manager, "revenue": revenue})
    return rows


def demo_quarter(seed: int = SEED) -> tuple[dict[str, np.ndarray], list[dict[str, Any]]]:
    """The demo team's simulated quarter: the event log up to ``DEMO_NOW`` and the plan.

    Returns
    -------
    events : dict of str to ndarray
        The columns of :func:`event_log`.
    plan : list of dict
        ``period`` (``2026-09`` ...), ``manager_id`` and ``revenue`` for each month and
        manager.

    Examples
    --------
    >>> events, plan = demo_quarter()
    >>> events["at"][-1] <= "2026-11-27T08:00:00Z", len(plan)
    (True, 24)
    >>> plan[0]["period"], plan[0]["manager_id"]
    ('2026-09', 'm-1')
    """
    from fairlead.datasets import DEMO_NOW

    world = demo_world(seed)
    record = simulate(world, FairleadBatch(name="fairlead"))
    full = event_log(record, start=START, seed=seed, until=PLAN_END)
    events = event_log(record, start=START, seed=seed, until=DEMO_NOW)
    return events, _plan(full, world.team.ids, seed)


def _cell(name: str, value: Any) -> str:
    if name in NUMBER_COLUMNS:
        return "" if math.isnan(value) else f"{value:.{DECIMALS[name]}f}"
    if value is None:
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def events_csv(events: dict[str, np.ndarray]) -> str:
    """The event log as CSV text: the columns of ``docs/kpi.md``, empty cells missing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EVENT_COLUMNS)
    columns = [events[name].tolist() for name in EVENT_COLUMNS]
    for row in zip(*columns, strict=True):
        writer.writerow([_cell(name, v) for name, v in zip(EVENT_COLUMNS, row, strict=True)])
    return out.getvalue()


def plan_csv(plan: list[dict[str, Any]]) -> str:
    """The sales plan as CSV text: ``period,manager_id,revenue``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, ["period", "manager_id", "revenue"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(plan)
    return out.getvalue()


def write_demo_quarter(folder: Path | None = None, seed: int = SEED) -> list[Path]:
    """Write ``demo_events.csv`` and ``demo_sales_plan.csv`` (default: the datasets folder)."""
    from fairlead.datasets import demo_path

    events, plan = demo_quarter(seed)
    paths = [demo_path("demo_events.csv"), demo_path("demo_sales_plan.csv")]
    if folder is not None:
        paths = [folder / path.name for path in paths]
    for path, text in zip(paths, (events_csv(events), plan_csv(plan)), strict=True):
        path.write_bytes(text.encode("utf-8"))
    return paths


if __name__ == "__main__":
    for written in write_demo_quarter():
        print(written)
