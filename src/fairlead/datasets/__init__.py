"""Small embedded data sets for the demo, the examples and the docs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from pydantic import BaseModel

from fairlead._io import Table, coerce_table, parse_policy, parse_table
from fairlead._models import Lead, Manager, Policy

__all__ = ["Demo", "load_demo"]


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
        The team's rules (``demo_policy.json``): shares by free capacity, a ±25 %
        balance band, hot leads only to middle or senior managers, product skills
        required, each existing client taking 0.1 of a lead's capacity.
    """

    leads: list[dict[str, Any]] = field(repr=False)
    managers: list[dict[str, Any]] = field(repr=False)
    policy: Policy

    def __repr__(self) -> str:
        return f"Demo({len(self.leads)} leads, {len(self.managers)} managers)"


def _read(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


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
    ('l-001', 0.563, 'Anna Petrova')
    >>> plan = fl.assign(demo.leads, demo.managers, policy=demo.policy)
    >>> plan.status.value, len(plan.unassigned), round(plan.expected_value, 2)
    ('optimal', 0, 69.08)
    """
    leads = parse_table(_read("demo_leads.csv"), source="demo_leads.csv", format="csv")
    managers = parse_table(_read("demo_managers.csv"), source="demo_managers.csv", format="csv")
    policy = parse_policy(_read("demo_policy.json"), source="demo_policy.json")
    return Demo(
        leads=_rows(coerce_table(leads, Lead, "lead"), leads),
        managers=_rows(coerce_table(managers, Manager, "manager"), managers),
        policy=policy,
    )
