"""The touch plan: which existing clients each manager should contact, and why.

From an RFM table (:func:`fairlead.scoring._rfm.rfm`) the plan takes each
client's segment; from the CRM, the client's owner (a manager) and the date of the
last contact. Rules held as data say which segments need a touch after how many
silent days, with what action and priority. The result lists, per manager, the
clients to contact in the coming week, most urgent first.
"""

from __future__ import annotations

import datetime as _dt
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from fairlead.records import (
    DateLike,
    as_array,
    check_column_name,
    customer_ids,
    is_frame,
    parse_date,
    parse_dates,
    read_columns,
    read_id,
)
from fairlead.records import py_value as _py

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_TOUCH_RULES",
    "TouchPlan",
    "TouchRule",
    "TouchRules",
    "TouchTask",
    "touch_plan",
]

IntArray = npt.NDArray[np.int64]
TASK_FIELDS = (
    "manager_id",
    "customer",
    "segment",
    "reason_code",
    "action",
    "days_silent",
    "priority",
    "last_contact",
    "due",
    "why",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class TouchRule:
    """Contact clients of ``segment`` once they have been silent ``min_days_silent`` days.

    Parameters
    ----------
    segment : str
        RFM segment the rule applies to, e.g. ``"at_risk"``.
    min_days_silent : int
        Days without contact (``>= 0``) after which the client is due.
    reason_code : str
        Short machine-readable reason, e.g. ``"win_back"``.
    action : str
        What the manager should do, in words.
    priority : int
        1 is the most urgent; larger numbers come later in a manager's list.

    Examples
    --------
    >>> rule = TouchRule("at_risk", 14, "win_back", "Call with a personal offer", priority=1)
    >>> rule.reason_code, rule.min_days_silent
    ('win_back', 14)
    >>> TouchRule("at_risk", -1, "win_back", "Call", priority=1)
    Traceback (most recent call last):
    ...
    ValueError: min_days_silent of the touch rule for 'at_risk' must be an integer >= 0, got -1
    """

    segment: str
    min_days_silent: int
    reason_code: str
    action: str
    priority: int

    def __post_init__(self) -> None:
        if not isinstance(self.segment, str) or not self.segment:
            raise ValueError(
                f"segment of a touch rule must be a non-empty string, got {self.segment!r}"
            )
        owner = f"the touch rule for {self.segment!r}"
        if not _is_int(self.min_days_silent) or self.min_days_silent < 0:
            raise ValueError(
                f"min_days_silent of {owner} must be an integer >= 0, got {self.min_days_silent!r}"
            )
        if not isinstance(self.reason_code, str) or not self.reason_code:
            raise ValueError(
                f"reason_code of {owner} must be a non-empty string, got {self.reason_code!r}"
            )
        if not isinstance(self.action, str):
            raise ValueError(f"action of {owner} must be a string, got {self.action!r}")
        if not _is_int(self.priority) or self.priority < 1:
            raise ValueError(f"priority of {owner} must be an integer >= 1, got {self.priority!r}")


@dataclass(frozen=True)
class TouchRules:
    """A table of :class:`TouchRule`, checked when made.

    A segment may have several rules with different thresholds (an escalation
    ladder); a client gets the rule with the largest threshold it has reached.
    Segments without a rule are never due.

    Raises
    ------
    ValueError
        If an item is not a :class:`TouchRule` or two rules share a segment and a
        threshold.

    Examples
    --------
    >>> rules = TouchRules([
    ...     TouchRule("at_risk", 14, "win_back", "Call with a personal offer", priority=1),
    ...     TouchRule("at_risk", 60, "escalate", "Visit with the sales lead", priority=1),
    ... ])
    >>> [r.reason_code for r in rules.for_segment("at_risk")]
    ['escalate', 'win_back']
    """

    rules: tuple[TouchRule, ...]

    def __init__(self, rules: Iterable[TouchRule]) -> None:
        rules = tuple(rules)
        object.__setattr__(self, "rules", rules)
        seen: dict[tuple[str, int], int] = {}
        for k, rule in enumerate(rules):
            if not isinstance(rule, TouchRule):
                kind = type(rule).__name__
                raise ValueError(f"rule {k} of the touch rules must be a TouchRule, got {kind}")
            key = (rule.segment, int(rule.min_days_silent))
            if key in seen:
                raise ValueError(
                    f"touch rules {seen[key]} and {k} both apply to segment {rule.segment!r} "
                    f"after {rule.min_days_silent} silent days; keep one"
                )
            seen[key] = k

    @property
    def segments(self) -> tuple[str, ...]:
        """Segments with at least one rule, in the order of the rules."""
        return tuple(dict.fromkeys(rule.segment for rule in self.rules))

    def for_segment(self, segment: str) -> tuple[TouchRule, ...]:
        """The rules of one segment, largest threshold first (the order they are tried)."""
        own = [rule for rule in self.rules if rule.segment == segment]
        return tuple(sorted(own, key=lambda rule: -rule.min_days_silent))

    def __iter__(self) -> Iterator[TouchRule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)


DEFAULT_TOUCH_RULES = TouchRules(
    (
        TouchRule(
            "cant_lose",
            14,
            "win_back",
            "Call personally with a tailored win-back offer; they used to buy the most",
            priority=1,
        ),
        TouchRule(
            "at_risk",
            14,
            "win_back",
            "Personal win-back offer: call, ask what changed, propose a tailored deal",
            priority=1,
        ),
        TouchRule(
            "new_customers",
            7,
            "onboarding",
            "Onboarding call: check the first order went well, introduce the range",
            priority=2,
        ),
        TouchRule(
            "champions",
            30,
            "loyalty",
            "Loyalty touch: thank them, offer early access, ask for a referral",
            priority=2,
        ),
        TouchRule(
            "loyal_customers",
            30,
            "upsell",
            "Upsell: propose a higher tier or a complementary product",
            priority=2,
        ),
        TouchRule(
            "need_attention",
            21,
            "reactivation",
            "Reactivation: a limited-time offer built on past purchases",
            priority=3,
        ),
        TouchRule(
            "about_to_sleep",
            21,
            "reactivation",
            "Reactivation: share popular products and a discount before they lapse",
            priority=3,
        ),
        TouchRule(
            "potential_loyalists",
            30,
            "nurture",
            "Nurture: recommend products, offer a membership or loyalty programme",
            priority=3,
        ),
        TouchRule(
            "promising",
            21,
            "nurture",
            "Nurture: follow up on the first purchase, build awareness of the range",
            priority=3,
        ),
        TouchRule(
            "hibernating",
            90,
            "last_chance",
            "Last-chance offer; archive the client if there is no response",
            priority=4,
        ),
    )
)
"""Default rules for the default RFM segments (priority 1 = most urgent)::

    segment               silent days  reason        priority
    cant_lose, at_risk    >= 14        win_back      1
    new_customers         >= 7         onboarding    2
    champions             >= 30        loyalty       2
    loyal_customers       >= 30        upsell        2
    need_attention,
    about_to_sleep        >= 21        reactivation  3
    potential_loyalists   >= 30        nurture       3
    promising             >= 21        nurture       3
    hibernating           >= 90        last_chance   4
"""


@dataclass(frozen=True)
class TouchTask:
    """One client to contact: who, by whom, why, and how urgently.

    ``days_silent`` and ``last_contact`` are ``None`` for a client never contacted
    (always due once its segment has a rule). ``due`` is the day the client became
    (or becomes, within the horizon) due. ``manager_id`` is the owner's id as text
    (read by :func:`fairlead.records.read_id`: ``7`` and ``7.0`` are ``"7"``), or
    ``None`` for a client without owner.
    """

    manager_id: Any  # str, or None for a client without owner
    customer: Any
    segment: str
    reason_code: str
    action: str
    days_silent: int | None
    priority: int
    last_contact: _dt.date | None
    due: _dt.date
    why: str

    def to_dict(self) -> dict[str, Any]:
        """The task as a plain dict (keys in :data:`TASK_FIELDS` order)."""
        return {name: getattr(self, name) for name in TASK_FIELDS}


@dataclass(frozen=True)
class TouchPlan:
    """The touch plan: tasks per manager, sorted by manager, priority, then days silent.

    Attributes
    ----------
    tasks : tuple of TouchTask
        Clients to contact, by manager id, then priority (1 first), then days silent
        (longest silence first; never contacted before any), then customer id.
    unowned : tuple of TouchTask
        Clients that are due but have no owner (``manager_id`` is ``None``),
        in the same order; they need an owner before anyone can call.
    over_cap : tuple of TouchTask
        Due tasks left out of a manager's list by ``max_per_manager`` (the least
        urgent ones), for the following week.
    managers : tuple of str
        Every manager that owns a client (ids as text), sorted.
    now : datetime.date
        The day the plan was made for.
    """

    tasks: tuple[TouchTask, ...]
    unowned: tuple[TouchTask, ...]
    over_cap: tuple[TouchTask, ...]
    managers: tuple[str, ...]
    now: _dt.date

    def per_manager(self) -> dict[str, int]:
        """Number of tasks of every manager (0 for those with none), by manager id."""
        counts = dict.fromkeys(self.managers, 0)
        for task in self.tasks:
            if task.manager_id is not None:  # always: the tasks are the owned ones
                counts[task.manager_id] += 1
        return counts

    def for_manager(self, manager_id: Any) -> tuple[TouchTask, ...]:
        """The tasks of one manager, most urgent first.

        ``manager_id`` is read by the id rule: ``7``, ``7.0`` and ``"7"`` are one id.

        Raises
        ------
        ValueError
            If no client is owned by ``manager_id``.
        """
        manager_id = read_id(manager_id, "manager id")
        if manager_id not in self.managers:
            known = ", ".join(repr(m) for m in self.managers[:10])
            more = ", ..." if len(self.managers) > 10 else ""
            raise ValueError(
                f"manager {manager_id!r} owns no client in this plan; managers: {known}{more}"
            )
        return tuple(task for task in self.tasks if task.manager_id == manager_id)

    def to_records(self, *, include_unowned: bool = False) -> list[dict[str, Any]]:
        """One dict per task (the unowned ones last, when asked for)."""
        tasks = self.tasks + self.unowned if include_unowned else self.tasks
        return [task.to_dict() for task in tasks]

    def to_frame(self, *, include_unowned: bool = False) -> pd.DataFrame:
        """The tasks as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is installed for the tests
            raise ImportError(
                "TouchPlan.to_frame() needs pandas: pip install 'fairlead[pandas]'"
            ) from None
        records = self.to_records(include_unowned=include_unowned)
        frame = pd.DataFrame.from_records(records, columns=list(TASK_FIELDS))
        frame["days_silent"] = pd.array([r["days_silent"] for r in records], dtype="Int64")
        return frame

    def __iter__(self) -> Iterator[TouchTask]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


# --------------------------------------------------------------------------- inputs


def _pairs(data: Any, name: str) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Keys and values of a mapping or a pandas Series, as arrays."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(data, pd.Series):
        return as_array(data.index, f"{name} keys"), as_array(data, name)
    if not isinstance(data, Mapping):
        raise ValueError(
            f"{name} must be a mapping (or a pandas Series) from customer to value, "
            f"got {type(data).__name__}"
        )
    keys = np.empty(len(data), dtype=object)
    keys[:] = list(data.keys())
    values = np.empty(len(data), dtype=object)
    values[:] = list(data.values())
    return as_array(keys, f"{name} keys"), values


def _locate(keys: npt.NDArray[Any], ids: npt.NDArray[Any]) -> IntArray:
    """Position of each key among ``ids`` (unique), -1 where absent."""
    where = np.full(len(keys), -1, dtype=np.int64)
    if not len(keys) or not len(ids):
        return where
    kinds = {keys.dtype.kind, ids.dtype.kind}
    if kinds <= {"U"} or kinds <= set("iuf"):
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        pos = np.clip(np.searchsorted(sorted_ids, keys), 0, len(ids) - 1)
        found = sorted_ids[pos] == keys
        where[found] = order[pos[found]]
        return where
    if "O" not in kinds:
        return where  # strings never equal numbers
    index = {_key(v): k for k, v in enumerate(ids.tolist())}
    for k, value in enumerate(keys.tolist()):
        where[k] = index.get(_key(value), -1)
    return where


def _key(value: Any) -> Any:
    return (type(value) is str, value)


def _unknown(name: str, keys: npt.NDArray[Any], where: IntArray) -> None:
    absent = np.flatnonzero(where < 0)
    if len(absent):
        shown = _py(keys[absent[0]])
        more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
        raise ValueError(f"{name} names customer {shown!r} that is not in the RFM table{more}")


def _factorize(values: list[Any]) -> tuple[tuple[Any, ...], IntArray]:
    """Sorted distinct values and the code of each (values of one kind sort naturally)."""
    distinct = set(values)
    try:
        ordered = sorted(distinct)
    except TypeError:
        ordered = sorted(distinct, key=lambda v: (type(v).__name__, str(v)))
    code = {v: k for k, v in enumerate(ordered)}
    return tuple(ordered), np.fromiter((code[v] for v in values), np.int64, len(values))


def _missing_manager(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return bool(np.isnan(value))
    return type(value).__name__ in ("NAType", "NaTType")


def _as_date(day: int) -> _dt.date:
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))


def _count(value: Any, name: str) -> int:
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be an integer >= 0, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- the plan


def touch_plan(
    table: pd.DataFrame | Mapping[str, Any],
    *,
    owners: Mapping[Any, Any] | pd.Series,
    last_contact: Mapping[Any, Any] | pd.Series,
    now: DateLike,
    rules: TouchRules | Sequence[TouchRule] = DEFAULT_TOUCH_RULES,
    max_per_manager: int | None = None,
    horizon_days: int = 0,
    customer: str = "customer_id",
) -> TouchPlan:
    """Which existing clients each manager should contact, and why.

    Parameters
    ----------
    table : DataFrame or mapping
        An RFM table (:func:`rfm` output): one row per client with a ``segment``.
        The client ids are the ``customer`` column, or the DataFrame's index.
    owners : mapping or Series
        Client -> manager id. A missing or ``None`` owner leaves the client unowned.
    last_contact : mapping or Series
        Client -> date of the last contact. A client absent or ``None`` here was
        never contacted, and is due as soon as its segment has a rule.
    now : date-like
        The day the plan is made (days silent count up to it).
    rules : TouchRules or sequence of TouchRule, default DEFAULT_TOUCH_RULES
        Which segments need a touch after how many silent days.
    max_per_manager : int, optional
        Cap on each manager's list; the most urgent tasks are kept, the rest go to
        ``over_cap``.
    horizon_days : int, default 0
        Also include clients who become due within this many days (7 plans the
        whole coming week); ``due`` says when.
    customer : str, default "customer_id"
        Name of the client-id column of a mapping table.

    Returns
    -------
    TouchPlan

    Raises
    ------
    ValueError
        If ``owners`` or ``last_contact`` name a client missing from the table, a
        contact date is unreadable or after ``now``, the table lacks a column or
        lists a client twice, or an option is out of range.

    Examples
    --------
    >>> table = {
    ...     "customer_id": ["a", "b", "c", "d", "e"],
    ...     "segment": ["at_risk", "champions", "at_risk", "hibernating", "new_customers"],
    ... }
    >>> plan = touch_plan(
    ...     table,
    ...     owners={"a": "ann", "b": "ann", "c": "bob", "d": "bob"},
    ...     last_contact={"a": "2024-03-01", "b": "2024-01-15", "c": "2024-03-10"},
    ...     now="2024-03-18",
    ... )
    >>> [(t.manager_id, t.customer, t.reason_code, t.days_silent) for t in plan.tasks]
    [('ann', 'a', 'win_back', 17), ('ann', 'b', 'loyalty', 63), ('bob', 'd', 'last_chance', None)]
    >>> plan.per_manager()
    {'ann': 2, 'bob': 1}
    >>> [(t.customer, t.reason_code) for t in plan.unowned]
    [('e', 'onboarding')]
    >>> plan.tasks[0].why
    'at_risk client, no contact for 17 days (rule: 14+ days)'
    """
    rule_table = rules if isinstance(rules, TouchRules) else _rules(rules)
    cap = None if max_per_manager is None else _count(max_per_manager, "max_per_manager")
    horizon = _count(horizon_days, "horizon_days")
    ids, segments = _read_table(table, customer)
    today = int(parse_date(now, "now").astype("datetime64[D]").astype(np.int64))
    n = len(ids)

    def who(k: int) -> str:
        return f"customer {_py(ids[k])!r}"

    # owners -> manager code per client (-1: unowned)
    owner_keys, owner_values = _pairs(owners, "owners")
    owner_keys = customer_ids(owner_keys, "owners key")
    at = _locate(owner_keys, ids)
    _unknown("owners", owner_keys, at)
    values = [_py(v) for v in owner_values.tolist()]
    present = [not _missing_manager(v) for v in values]
    owner_ids = [
        read_id(v, f"owners: manager id of customer {_py(owner_keys[k])!r}", field="owners")
        for k, (v, ok) in enumerate(zip(values, present, strict=True))
        if ok
    ]
    managers, codes = _factorize(owner_ids)
    manager = np.full(n, -1, dtype=np.int64)
    manager[at[np.array(present, dtype=np.bool_)]] = codes

    # last contact -> day per client (never contacted: NaT)
    contact_keys, contact_values = _pairs(last_contact, "last_contact")
    contact_keys = customer_ids(contact_keys, "last_contact key")
    where = _locate(contact_keys, ids)
    _unknown("last_contact", contact_keys, where)
    stamps = parse_dates(
        as_array(contact_values, "last_contact"),
        "last_contact",
        lambda k: who(int(where[k])),
        allow_missing=True,
    )
    contact_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    known = ~np.isnat(stamps)
    contact_day[where[known]] = stamps[known].astype("datetime64[D]").astype(np.int64)
    never = contact_day == np.iinfo(np.int64).min
    late = ~never & (contact_day > today)
    if late.any():
        k = int(np.flatnonzero(late)[0])
        raise ValueError(
            f"last_contact of {who(k)} is {_as_date(contact_day[k])}, after now "
            f"({_as_date(today)}); contact dates cannot be in the future"
        )
    silent = np.where(never, 0, today - contact_day)

    # the rule of each client: per segment, the largest threshold reached
    chosen = np.full(n, -1, dtype=np.int64)
    order = sorted(range(len(rule_table.rules)), key=lambda k: -rule_table.rules[k].min_days_silent)
    for k in order:
        rule = rule_table.rules[k]
        hit = (
            (chosen < 0)
            & (segments == rule.segment)
            & (never | (silent + horizon >= rule.min_days_silent))
        )
        chosen[hit] = k
    due = np.flatnonzero(chosen >= 0)
    thresholds = np.array([r.min_days_silent for r in rule_table.rules], dtype=np.int64)
    priorities = np.array([r.priority for r in rule_table.rules], dtype=np.int64)

    rank_of_id = np.empty(n, dtype=np.int64)
    rank_of_id[np.argsort(ids, kind="stable")] = np.arange(n)
    longest = np.where(never, np.iinfo(np.int64).max, silent)
    sort = np.lexsort((rank_of_id[due], -longest[due], priorities[chosen[due]], manager[due]))
    due = due[sort]
    owned = due[manager[due] >= 0]
    unowned = due[manager[due] < 0]
    dropped = owned[:0]
    if cap is not None and len(owned):
        group = manager[owned]
        starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        sizes = np.diff(np.append(starts, len(owned)))
        position = np.arange(len(owned)) - np.repeat(starts, sizes)
        dropped = owned[position >= cap]
        owned = owned[position < cap]

    def task(k: int) -> TouchTask:
        rule = rule_table.rules[int(chosen[k])]
        client = _py(ids[k])
        if never[k]:
            days, last, when = None, None, today
            words = f"{rule.segment} client, never contacted (rule: {rule.min_days_silent}+ days)"
        else:
            days = int(silent[k])
            last = _as_date(contact_day[k])
            when = max(today, int(contact_day[k]) + int(thresholds[chosen[k]]))
            words = (
                f"{rule.segment} client, no contact for {days} days "
                f"(rule: {rule.min_days_silent}+ days)"
            )
            if when > today:
                words += f", due on {_as_date(when)}"
        code = int(manager[k])
        return TouchTask(
            manager_id=managers[code] if code >= 0 else None,
            customer=client,
            segment=rule.segment,
            reason_code=rule.reason_code,
            action=rule.action,
            days_silent=days,
            priority=rule.priority,
            last_contact=last,
            due=_as_date(when),
            why=words,
        )

    return TouchPlan(
        tasks=tuple(task(int(k)) for k in owned),
        unowned=tuple(task(int(k)) for k in unowned),
        over_cap=tuple(task(int(k)) for k in dropped),
        managers=managers,
        now=_as_date(today),
    )


def _rules(rules: Any) -> TouchRules:
    if isinstance(rules, Sequence) and not isinstance(rules, str):
        return TouchRules(tuple(rules))
    kind = type(rules).__name__
    raise ValueError(f"rules must be TouchRules or a sequence of TouchRule, got {kind}")


def _read_table(table: Any, customer: str) -> tuple[npt.NDArray[Any], npt.NDArray[np.str_]]:
    """Client ids and segments of an RFM table; ids must be unique."""
    check_column_name("customer", customer)
    if is_frame(table) and customer not in table.columns:
        columns, _ = read_columns(table, {"segment": "segment"}, what="the RFM table", options=())
        raw_ids = as_array(table.index, "RFM table index")
        name = "RFM table index"
    else:
        columns, _ = read_columns(
            table,
            {"customer": customer, "segment": "segment"},
            what="the RFM table",
            options=("customer",),
        )
        raw_ids = columns[customer]
        name = customer
    ids = customer_ids(raw_ids, name)
    raw_segments = columns["segment"]
    bad = [k for k, v in enumerate(raw_segments.tolist()) if not isinstance(v, str)]
    if bad:
        k = bad[0]
        raise ValueError(
            f"segment of customer {_py(ids[k])!r} must be a string, got {_py(raw_segments[k])!r}"
        )
    segments = raw_segments.astype(np.str_)
    unique, counts = np.unique(ids, return_counts=True)
    twice = counts > 1
    if twice.any():
        k = int(np.flatnonzero(twice)[0])
        raise ValueError(
            f"customer {_py(unique[k])!r} appears {int(counts[k])} times in the RFM table; "
            "one row per client is needed"
        )
    return ids, segments
