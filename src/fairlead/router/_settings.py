"""What a store remembers of the router that created it: its settings and its team.

A store keeps the rules its state was built under (the policy, the catch-up, the
SLA, the half-life of fair counts, the longest hold) and the team's attributes, as
canonical JSON in its meta table. A router reopening it compares its own: a change of
rules is refused unless asked for, a change of team is recorded (see ``docs/store.md``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel

from fairlead.records import Manager, Policy, Tier
from fairlead.router._state import CatchUp

#: Manager fields that are the state of a moment, not an attribute: a resumed store
#: keeps its own loads and pauses, so they are not compared.
_MOMENT_FIELDS = {"id", "active_leads", "available"}
#: Policy fields that do not change how leads are routed (the KPI rating's weights):
#: changing them does not make a store's state stale.
_NOT_ROUTING = {"rating_weights"}
#: Settings held in seconds, shown as durations.
_DURATIONS = {"share_half_life", "max_hold", "sla"}


def settings_record(
    policy: Policy,
    catch_up: CatchUp,
    sla: dict[Tier, float] | None,
    half_life: float | None,
    max_hold: float | None,
) -> dict[str, Any]:
    """The rules a router's state is built under, as the store reads them back."""
    routing = {k: v for k, v in _record(policy).items() if k not in _NOT_ROUTING}
    record = {
        "policy": routing,
        "catch_up": _record(catch_up),
        "sla": None if sla is None else {tier.value: sla[tier] for tier in Tier if tier in sla},
        "share_half_life": half_life,
        "max_hold": max_hold,
    }
    return _round_trip(record)


def team_record(managers: Sequence[Manager]) -> dict[str, Any]:
    """Each manager's attributes by id (without the loads and pauses of the moment)."""
    return _round_trip(
        {
            mg.id: {k: v for k, v in _record(mg).items() if k not in _MOMENT_FIELDS}
            for mg in managers
        }
    )


def _round_trip(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as it reads back from its JSON (tuples as lists, keys as text).

    So that a router's own settings compare equal to those it stored.
    """
    out: dict[str, Any] = json.loads(dumps(record))
    return out


def _record(model: BaseModel) -> dict[str, Any]:
    """A model's fields as JSON values; sets sorted, so that every process writes the same."""
    out: dict[str, Any] = model.model_dump(mode="json")
    for key, value in out.items():
        if isinstance(getattr(model, key, None), set | frozenset):
            out[key] = sorted(value, key=str)
    return out


def dumps(record: Any) -> str:
    """Canonical JSON: the same record is always the same text."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def loads(text: str | None, what: str) -> Any:
    """A JSON record from the meta table (a ValueError naming ``what`` if it is not one)."""
    if text is None:
        raise ValueError(f"its {what} are missing from the meta table")
    try:
        return json.loads(text)
    except ValueError:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise ValueError(f"its {what} are not JSON: {shown!r}") from None


def setting_changes(stored: dict[str, Any], given: dict[str, Any]) -> list[str]:
    """Each setting that differs, as ``policy balance_tolerance: 0.2 in the store, 0.3 now``."""
    old, new = _flat(stored), _flat(given)
    return [
        f"{key}: {_shown(key, old.get(key))} in the store, {_shown(key, new.get(key))} now"
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key) and not _added_since(key, old, new)
    ]


def _added_since(key: str, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """A policy field the store predates, given at its default: the rules are the same."""
    head, _, name = key.partition(" ")
    if head != "policy" or key in old or name not in Policy.model_fields:
        return False
    default = _round_trip({"v": Policy.model_fields[name].get_default(call_default_factory=True)})
    return bool(new.get(key) == default["v"])


def team_changes(
    stored: dict[str, Any], stored_ids: list[str], given: dict[str, Any], ids: list[str]
) -> list[str]:
    """Who joined, who left, and whose attributes changed, in words."""
    out = []
    joined = [mid for mid in ids if mid not in stored_ids]
    left = [mid for mid in stored_ids if mid not in ids]
    if joined:
        out.append("joined: " + ", ".join(map(repr, joined)))
    if left:
        out.append("left: " + ", ".join(map(repr, left)))
    for mid in ids:
        before = stored.get(mid)
        if mid in joined or not isinstance(before, dict):
            continue
        out += [
            f"{mid!r} {key}: {before.get(key)!r} -> {value!r}"
            for key, value in sorted(given[mid].items())
            if before.get(key) != value
        ]
    return out


def _flat(record: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Nested settings as ``{"policy balance_tolerance": 0.2, "sla hot": 3600.0, ...}``."""
    if isinstance(record, dict) and record:
        out: dict[str, Any] = {}
        for key, value in record.items():
            out.update(_flat(value, (*path, str(key))))
        return out
    return {path[0] if len(path) == 1 else f"{path[0]} {'.'.join(path[1:])}": record}


def _shown(key: str, value: Any) -> str:
    """A setting's value in words: durations as durations, the rest as Python shows it."""
    head = key.split(" ")[0]
    if head in _DURATIONS and isinstance(value, int | float) and not isinstance(value, bool):
        return str(timedelta(seconds=value))
    return repr(value)
