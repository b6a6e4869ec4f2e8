"""Small embedded data sets for the demo, the examples and the docs.

The demo files (:data:`DEMO_FILES`, each found with :func:`demo_path`) are a fictional
bank's retail sales team: what :func:`load_demo` reads (managers, policy, new leads and
their activity, 12 weeks of worked leads, the client base), and a simulated quarter of
the same team for monitoring (``docs/kpi.md``):

- ``demo_events.csv``: the event log of the 13 weeks from Monday 2026-08-31 up to
  :data:`DEMO_NOW` (November still in progress): leads created, assigned, contacted,
  moved through the funnel (qualified, meeting, proposal), won or lost, client
  feedback, and the managers' existing clients (planned and done touches,
  purchases, the purchases from 180 days before the quarter: pass
  ``since="2026-08-31"`` to :func:`fairlead.kpi.compute` for the quarter alone).
  Columns in the order of ``docs/kpi.md``, times in UTC.
- ``demo_sales_plan.csv``: a monthly revenue plan per manager, ``period,manager_id,
  revenue`` for 2026-09, 2026-10 and 2026-11.

Both come from ``python -m fairlead.sim._demo_quarter`` (the simulator's assumptions are
stated in ``fairlead.sim``'s ``event_log`` and ``demo_quarter``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from fairlead.datasets._bank import BankMarketing, load_bank_marketing
from fairlead.datasets._gap import ORLIB_OPTIMA, read_gap
from fairlead.records import Lead, Manager, Policy, Table, coerce_table, parse_policy, parse_table

__all__ = [
    "DEMO_FILES",
    "DEMO_NOW",
    "ORLIB_OPTIMA",
    "BankMarketing",
    "Demo",
    "demo_path",
    "load_bank_marketing",
    "load_demo",
    "read_gap",
]

DEMO_NOW = datetime(2026, 11, 27, 8, 0)
"""When the demo batch is assigned (the demo data were generated relative to it)."""

DEMO_FILES: tuple[str, ...] = (
    "demo_clients.csv",
    "demo_events.csv",
    "demo_history.csv",
    "demo_lead_activity.csv",
    "demo_leads.csv",
    "demo_managers.csv",
    "demo_policy.json",
    "demo_sales_plan.csv",
    "demo_transactions.csv",
)
"""The embedded demo files, by name (see :func:`demo_path`)."""


@dataclass(frozen=True)
class Demo:
    """The demo data: a fictional bank's retail sales team and a batch of new leads.

    Attributes
    ----------
    leads : list of dict
        200 leads, one dict per row of ``demo_leads.csv``: ``id``, ``score``,
        ``product``, ``source``, ``deal_value``, ``created_at``.
    managers : list of dict
        8 managers, one dict per row of ``demo_managers.csv``: ``id``, ``name``,
        ``skills``, ``level``, ``max_active_leads``, ``active_leads``,
        ``portfolio_size``, ``available`` (one of them is away).
    policy : Policy
        The team's rules (``demo_policy.json``): shares by free capacity, a ±10 %
        balance band, hot leads only to middle or senior managers, product skills
        required, each existing client taking 0.1 of a lead's capacity and each
        planned touch 0.25.
    history : list of dict
        2,400 leads worked in the 12 weeks before (``demo_history.csv``): their
        activity (source, product, response time, events, purchases, contacts), the
        manager who worked each, the outcome, deal value and first-response time.
    lead_activity : list of dict
        The activity of the 200 new leads, as the rule scorer reads it.
    transactions : list of dict
        Purchases of the team's existing clients (``customer_id``, ``date``, ``amount``).
    clients : list of dict
        Each client's owner (``manager_id``) and ``last_contact`` date.
    now : datetime
        The moment the demo batch is assigned.

    Notes
    -----
    The same team's simulated quarter up to ``now`` is embedded too, for monitoring:
    ``demo_events.csv`` (the event log of ``docs/kpi.md``) and ``demo_sales_plan.csv``
    (monthly revenue plan per manager); :func:`demo_path` gives their paths.
    """

    leads: list[dict[str, Any]] = field(repr=False)
    managers: list[dict[str, Any]] = field(repr=False)
    policy: Policy
    history: list[dict[str, Any]] = field(repr=False, default_factory=list)
    lead_activity: list[dict[str, Any]] = field(repr=False, default_factory=list)
    transactions: list[dict[str, Any]] = field(repr=False, default_factory=list)
    clients: list[dict[str, Any]] = field(repr=False, default_factory=list)
    now: datetime = DEMO_NOW

    def __repr__(self) -> str:
        return f"Demo({len(self.leads)} leads, {len(self.managers)} managers)"


def demo_path(name: str) -> Path:
    """The path of an embedded demo file, one of :data:`DEMO_FILES`.

    Parameters
    ----------
    name : str
        The file's name, e.g. ``"demo_events.csv"``.

    Raises
    ------
    ValueError
        If ``name`` is not an embedded file; the message lists them.

    Examples
    --------
    >>> from fairlead.datasets import demo_path
    >>> path = demo_path("demo_events.csv")
    >>> path.name, path.is_file()
    ('demo_events.csv', True)
    >>> demo_path("events.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: no embedded file 'events.csv'; the demo files are demo_clients.csv, ...
    """
    if not isinstance(name, str) or name not in DEMO_FILES:
        raise ValueError(f"no embedded file {name!r}; the demo files are " + ", ".join(DEMO_FILES))
    return Path(__file__).parent / name


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def _cell(text: str) -> Any:
    """A CSV cell as a number when it reads as one; empty cells are missing."""
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _plain_rows(name: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(_read(name)))
    return [{key: _cell(value) for key, value in row.items()} for row in reader]


def _rows(records: Sequence[BaseModel], table: Table) -> list[dict[str, Any]]:
    columns = set(table.columns or ())
    return [record.model_dump(include=columns) for record in records]


def load_demo() -> Demo:
    """Load the embedded demo data set (a new copy on each call).

    The records are plain dicts with the values typed as :class:`fairlead.Lead` and
    :class:`fairlead.Manager` read them (``score`` a float, ``level`` a
    :class:`fairlead.Level`, ``skills`` a frozenset ...): pass them to
    :func:`fairlead.assign` as they are, or to ``pandas.DataFrame``.

    Returns
    -------
    Demo
        ``leads`` (200 dicts), ``managers`` (8 dicts) and the ``policy``.

    Examples
    --------
    >>> import fairlead as fl
    >>> from fairlead.datasets import load_demo
    >>> demo = load_demo(); len(demo.leads), len(demo.managers)
    (200, 8)
    >>> demo.leads[0]["id"], demo.leads[0]["score"], demo.managers[0]["name"]
    ('l-001', 0.208, 'Anna Petrova')
    >>> plan = fl.assign(demo.leads, demo.managers, policy=demo.policy)
    >>> plan.status.value, len(plan.unassigned), round(plan.expected_value, 2)
    ('optimal', 0, 47.11)
    """
    leads = parse_table(_read("demo_leads.csv"), source="demo_leads.csv", format="csv")
    managers = parse_table(_read("demo_managers.csv"), source="demo_managers.csv", format="csv")
    policy = parse_policy(_read("demo_policy.json"), source="demo_policy.json")
    return Demo(
        leads=_rows(coerce_table(leads, Lead, "lead"), leads),
        managers=_rows(coerce_table(managers, Manager, "manager"), managers),
        policy=policy,
        history=_plain_rows("demo_history.csv"),
        lead_activity=_plain_rows("demo_lead_activity.csv"),
        transactions=_plain_rows("demo_transactions.csv"),
        clients=_plain_rows("demo_clients.csv"),
    )
