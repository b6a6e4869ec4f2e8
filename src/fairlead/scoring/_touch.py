"""The touch plan: which existing clients each manager should contact, and why.

From an RFM table (:func:`fairlead.scoring._rfm.rfm`) the plan takes each
client's segment; from the CRM, the client's owner (a manager) and the date of the
last contact. Rules held as data say which segments need a touch after how many
silent days, with what action and priority. The result lists, per manager, the
clients to contact in the coming week, most urgent first.

Given the team (:class:`fairlead.Manager` records), the plan also says who can make
the touches: an owner who is away is covered by an available colleague with room
(:mod:`fairlead.scoring._touch_cover`), each manager's list stays within the touches
their free capacity holds, and what nobody can take is reported as not planned.
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
    InputError,
    Manager,
    Policy,
    as_array,
    check_column_name,
    is_frame,
    label_key,
    parse_date,
    parse_dates,
    read_columns,
    read_id,
)
from fairlead.records import py_value as _py
from fairlead.scoring._purchases import TextArray, read_customer_ids
from fairlead.scoring._touch_cover import NO_LIMIT, allocate, clients, read_team, touches

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
    "owner_id",
    "customer",
    "segment",
    "reason_code",
    "action",
    "days_silent",
    "priority",
    "last_contact",
    "due",
    "why",
    "note",
)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


@dataclass(frozen=True)
class TouchRule:
    """Contact clients of ``segment`` once they have been silent ``min_days_silent`` days.

    Parameters
    ----------
    segment : str
        RFM segment the rule applies to, e.g. ``"at_risk"``. Segment names match
        by the label rule (:func:`fairlead.records.label_key`): ``"At_Risk "``
        in the RFM table is ``"at_risk"`` here. Kept without outer spaces.
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
    fairlead.InputError: min_days_silent of the touch rule for 'at_risk' must be an integer >= 0, \
got -1
    """

    segment: str
    min_days_silent: int
    reason_code: str
    action: str
    priority: int

    def __post_init__(self) -> None:
        if not isinstance(self.segment, str) or not self.segment.strip():
            raise InputError(
                f"segment of a touch rule must be a non-empty string, got {self.segment!r}",
                field="segment",
                value=self.segment,
            )
        object.__setattr__(self, "segment", self.segment.strip())
        owner = f"the touch rule for {self.segment!r}"
        if not _is_int(self.min_days_silent) or self.min_days_silent < 0:
            raise InputError(
                f"min_days_silent of {owner} must be an integer >= 0, got {self.min_days_silent!r}",
                field="min_days_silent",
                value=self.min_days_silent,
            )
        if not isinstance(self.reason_code, str) or not self.reason_code:
            raise InputError(
                f"reason_code of {owner} must be a non-empty string, got {self.reason_code!r}",
                field="reason_code",
                value=self.reason_code,
            )
        if not isinstance(self.action, str):
            raise InputError(
                f"action of {owner} must be a string, got {self.action!r}",
                field="action",
                value=self.action,
            )
        if not _is_int(self.priority) or self.priority < 1:
            raise InputError(
                f"priority of {owner} must be an integer >= 1, got {self.priority!r}",
                field="priority",
                value=self.priority,
            )


@dataclass(frozen=True)
class TouchRules:
    """A table of :class:`TouchRule`, checked when made.

    A segment may have several rules with different thresholds (an escalation
    ladder); a client gets the rule with the largest threshold it has reached.
    Segments without a rule are never due. Segment names are compared by the
    label rule (:func:`fairlead.records.label_key`).

    Raises
    ------
    InputError
        If an item is not a :class:`TouchRule` or two rules share a segment (by the
        label rule) and a threshold.

    Examples
    --------
    >>> rules = TouchRules([
    ...     TouchRule("at_risk", 14, "win_back", "Call with a personal offer", priority=1),
    ...     TouchRule("at_risk", 60, "escalate", "Visit with the sales lead", priority=1),
    ... ])
    >>> [r.reason_code for r in rules.for_segment("At_Risk ")]
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
                raise InputError(
                    f"rule {k} of the touch rules must be a TouchRule, got {kind}", row=k
                )
            key = (label_key(rule.segment), int(rule.min_days_silent))
            if key in seen:
                first = rules[seen[key]].segment
                also = "" if first == rule.segment else f" (written {first!r} in rule {seen[key]})"
                raise InputError(
                    f"touch rules {seen[key]} and {k} both apply to segment {rule.segment!r}"
                    f"{also} after {rule.min_days_silent} silent days; keep one",
                    row=k,
                    field="segment",
                    value=rule.segment,
                )
            seen[key] = k

    @property
    def segments(self) -> tuple[str, ...]:
        """Segments with at least one rule, in the order of the rules (one spelling each)."""
        first: dict[str, str] = {}
        for rule in self.rules:
            first.setdefault(label_key(rule.segment), rule.segment)
        return tuple(first.values())

    def for_segment(self, segment: str) -> tuple[TouchRule, ...]:
        """The rules of one segment, largest threshold first (the order they are tried).

        ``segment`` matches by the label rule: ``"At_Risk"`` finds the ``"at_risk"`` rules.
        """
        key = label_key(segment)
        own = [rule for rule in self.rules if label_key(rule.segment) == key]
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

    ``customer`` is the client's id as text (the id rule, as for ``owner_id``).
    ``segment`` is the client's segment as the RFM table spells it (outer spaces
    trimmed). ``days_silent`` and ``last_contact`` are ``None`` for a client never
    contacted (always due once its segment has a rule). ``due`` is the day the
    client became (or becomes, within the horizon) due. ``why`` says why the client
    is due.

    ``owner_id`` is the client's owner as text (read by
    :func:`fairlead.records.read_id`: ``7`` and ``7.0`` are ``"7"``), ``None`` for a
    client without owner. ``manager_id`` is who makes the touch this week: the owner,
    a colleague covering for an owner who is away, or ``None`` when nobody does (a
    client without owner, or a touch not planned). ``note`` says why the touch is
    not the owner's own: ``"m-8 is away; m-7 covers"``, ``"not planned: ..."``;
    empty otherwise.
    """

    manager_id: Any  # str, or None when nobody makes the touch this week
    customer: str
    segment: str
    reason_code: str
    action: str
    days_silent: int | None
    priority: int
    last_contact: _dt.date | None
    due: _dt.date
    why: str
    owner_id: Any = None  # str, or None for a client without owner
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The task as a plain dict (keys in :data:`TASK_FIELDS` order)."""
        return {name: getattr(self, name) for name in TASK_FIELDS}


@dataclass(frozen=True)
class TouchPlan:
    """The touch plan: tasks per manager, sorted by manager, priority, then days silent.

    Attributes
    ----------
    tasks : tuple of TouchTask
        Clients to contact, by the manager making the touch, then priority (1
        first), then days silent (longest silence first; never contacted before
        any), then customer id. Never a manager who is away.
    unowned : tuple of TouchTask
        Clients that are due but have no owner (``manager_id`` is ``None``),
        in the same order; they need an owner before anyone can call.
    over_cap : tuple of TouchTask
        Due clients of an available owner left out of the owner's list, the least
        urgent ones, by ``max_per_manager`` or the owner's room for touches; for
        the following week. They are also in ``not_planned``.
    managers : tuple of str
        Every manager that owns a client or is on the team (ids as text), sorted.
    now : datetime.date
        The day the plan was made for.
    not_planned : tuple of TouchTask
        Due clients with an owner that nobody can contact this week, by owner id,
        then urgency; ``manager_id`` is ``None`` and ``note`` says why (the owner is
        away and no colleague has room, or the owner's list is full).
    away : tuple of str
        Managers on the team who are not available this week; their clients are
        covered by colleagues.
    not_on_team : tuple of str
        Owners of clients who are not on the team given to :func:`touch_plan` (e.g.
        they left); their clients are covered too, and need a new owner.
    """

    tasks: tuple[TouchTask, ...]
    unowned: tuple[TouchTask, ...]
    over_cap: tuple[TouchTask, ...]
    managers: tuple[str, ...]
    now: _dt.date
    not_planned: tuple[TouchTask, ...] = ()
    away: tuple[str, ...] = ()
    not_on_team: tuple[str, ...] = ()

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
        InputError
            If no client is owned by ``manager_id``.
        """
        manager_id = read_id(manager_id, "manager id")
        if manager_id not in self.managers:
            known = ", ".join(repr(m) for m in self.managers[:10])
            more = ", ..." if len(self.managers) > 10 else ""
            raise InputError(
                f"manager {manager_id!r} owns no client in this plan; managers: {known}{more}",
                field="manager_id",
                value=manager_id,
            )
        return tuple(task for task in self.tasks if task.manager_id == manager_id)

    def covers(self) -> dict[str, dict[str, int]]:
        """How many clients of each owner who is away each colleague covers.

        Returns
        -------
        dict
            ``{owner: {covering manager: clients}}``, owners and colleagues by id.
        """
        out: dict[str, dict[str, int]] = {}
        for task in self.tasks:
            if task.manager_id != task.owner_id:
                by = out.setdefault(task.owner_id, {})
                by[task.manager_id] = by.get(task.manager_id, 0) + 1
        return {owner: dict(sorted(by.items())) for owner, by in sorted(out.items())}

    def notes(self) -> list[str]:
        """What a head of sales should know beyond the lists, one sentence a line.

        Who covers for whom, which touches are not planned and why, and how many due
        clients have no owner; empty when every owner makes their own touches.

        Examples
        --------
        >>> plan = touch_plan(
        ...     {"customer_id": ["a", "b", "c"], "segment": ["at_risk"] * 3},
        ...     owners={"a": "ann", "b": "bob", "c": "bob"},
        ...     last_contact={},
        ...     now="2024-03-18",
        ...     managers=[
        ...         {"id": "ann", "max_active_leads": 10, "active_leads": 9},
        ...         {"id": "bob", "max_active_leads": 10, "available": False},
        ...     ],
        ...     policy={"touch_load": 0.5},  # ann's one free slot holds two touches
        ... )
        >>> plan.notes()
        ['bob is away: ann covers 1 client; 1 not planned, nobody has room left']
        """
        lines = []
        covers = self.covers()
        absent = set(self.away) | set(self.not_on_team)
        waiting: dict[str, int] = {}
        full: dict[tuple[str, str], int] = {}
        for task in self.not_planned:
            if task.owner_id in absent:
                waiting[task.owner_id] = waiting.get(task.owner_id, 0) + 1
            else:
                key = (task.owner_id, task.note.removeprefix("not planned: "))
                full[key] = full.get(key, 0) + 1
        for owner in sorted(set(covers) | set(waiting)):
            by = sorted(covers.get(owner, {}).items(), key=lambda item: (-item[1], item[0]))
            line = f"{owner} is away: " if owner in self.away else f"{owner} is not on the team: "
            # A long list of colleagues would bury the line: the three biggest, then the rest.
            line += ", ".join(f"{who} covers {clients(n)}" for who, n in by[:3])
            if len(by) > 3:
                rest = sum(n for _, n in by[3:])
                more = "1 more colleague covers" if len(by) == 4 else f"{len(by) - 3} more cover"
                line += f"; {more} {clients(rest)}"
            if owner in waiting:
                line += "; " if by else ""
                line += f"{waiting[owner]} not planned, nobody has room left"
            if owner in self.not_on_team:
                line += "; their clients need a new owner"
            lines.append(line)
        for (owner, reason), n in sorted(full.items()):
            lines.append(f"{touches(n)} with {owner}'s clients not planned: {reason}")
        if self.unowned:
            lines.append(
                f"{clients(len(self.unowned))} due without an owner: "
                "assign one before anyone can call"
            )
        return lines

    def to_records(
        self, *, include_unowned: bool = False, include_not_planned: bool = False
    ) -> list[dict[str, Any]]:
        """One dict per task (then the unowned and the not planned ones, when asked for)."""
        tasks = self.tasks
        if include_unowned:
            tasks += self.unowned
        if include_not_planned:
            tasks += self.not_planned
        return [task.to_dict() for task in tasks]

    def to_frame(
        self, *, include_unowned: bool = False, include_not_planned: bool = False
    ) -> pd.DataFrame:
        """The tasks as a pandas DataFrame (needs the ``pandas`` extra)."""
        try:
            import pandas as pd
        except ImportError:  # pragma: no cover - pandas is installed for the tests
            raise ImportError(
                "TouchPlan.to_frame() needs pandas: pip install 'fairlead[pandas]'"
            ) from None
        records = self.to_records(
            include_unowned=include_unowned, include_not_planned=include_not_planned
        )
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
        raise InputError(
            f"{name} must be a mapping (or a pandas Series) from customer to value, "
            f"got {type(data).__name__}",
            field=name,
        )
    keys = np.empty(len(data), dtype=object)
    keys[:] = list(data.keys())
    values = np.empty(len(data), dtype=object)
    values[:] = list(data.values())
    return as_array(keys, f"{name} keys"), values


def _client_keys(raw: npt.NDArray[Any], name: str) -> TextArray:
    """The clients ``owners`` or ``last_contact`` name, by the id rule; each once."""
    keys = read_customer_ids(raw, f"{name} key")
    if len(keys) > 1:
        order = np.argsort(keys, kind="stable")
        twice = np.flatnonzero(keys[order][1:] == keys[order][:-1])
        if len(twice):
            # Two spellings of one id (7 and "7", "a" and " a "): which one is meant?
            first, second = int(order[twice[0]]), int(order[twice[0] + 1])
            raise InputError(
                f"{name} names customer {str(keys[first])!r} twice, as "
                f"{_py(raw[first])!r} and {_py(raw[second])!r}; give each client once",
                field=name,
                value=_py(raw[second]),
            )
    return keys


def _locate(keys: TextArray, ids: TextArray) -> IntArray:
    """Position of each key among ``ids`` (unique), -1 where absent."""
    where = np.full(len(keys), -1, dtype=np.int64)
    if not len(keys) or not len(ids):
        return where
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    pos = np.clip(np.searchsorted(sorted_ids, keys), 0, len(ids) - 1)
    found = sorted_ids[pos] == keys
    where[found] = order[pos[found]]
    return where


def _unknown(name: str, keys: TextArray, where: IntArray) -> None:
    absent = np.flatnonzero(where < 0)
    if len(absent):
        shown = str(keys[absent[0]])
        more = f" (and {len(absent) - 1} more)" if len(absent) > 1 else ""
        raise InputError(
            f"{name} names customer {shown!r} that is not in the RFM table{more}",
            field=name,
            value=shown,
        )


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
        shown = _py(value)
        raise InputError(f"{name} must be an integer >= 0, got {shown!r}", field=name, value=shown)
    return int(value)


# --------------------------------------------------------------------------- the plan


def touch_plan(
    table: pd.DataFrame | Mapping[str, Any],
    *,
    owners: Mapping[Any, Any] | pd.Series,
    last_contact: Mapping[Any, Any] | pd.Series,
    now: DateLike,
    managers: Sequence[Manager | Mapping[str, Any]] | pd.DataFrame | None = None,
    policy: Policy | Mapping[str, Any] | None = None,
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
        Client ids here and in ``owners`` and ``last_contact`` follow the id rule
        (:func:`fairlead.records.read_id`): ``7``, ``7.0`` and ``" 7 "`` are the
        client ``"7"``. Segments match the rules by the label rule
        (:func:`fairlead.records.label_key`): ``"At_Risk "`` is ``"at_risk"``.
    owners : mapping or Series
        Client -> manager id. A missing or ``None`` owner leaves the client unowned.
    last_contact : mapping or Series
        Client -> date of the last contact, on or before ``now``. A client absent
        or ``None`` here was never contacted, and is due as soon as its segment
        has a rule.
    now : date-like
        The day the plan is made (days silent count up to it).
    managers : sequence of Manager or dict, or DataFrame, optional
        The team this week, as :func:`fairlead.assign` takes it. A manager who is
        not ``available`` (or an owner missing from the team) makes no touch: their
        due clients are covered by available colleagues with room, the most urgent
        first, each by whoever has the most room left, and the task's ``note`` says
        so (``"m-8 is away; m-7 covers"``). Nobody gets more touches than their
        free capacity holds (:func:`~fairlead.scoring._touch_cover.touch_room`).
        Without a team every owner is taken to be in and without limit, since the
        plan cannot know better.
    policy : Policy or dict, optional
        Its ``touch_load`` and ``portfolio_load`` turn free lead slots into room for
        touches (default :class:`fairlead.Policy`); pass the policy given to
        :func:`fairlead.assign`.
    rules : TouchRules or sequence of TouchRule, default DEFAULT_TOUCH_RULES
        Which segments need a touch after how many silent days.
    max_per_manager : int, optional
        Cap on each manager's list, covers included; the most urgent tasks are
        kept, the rest are not planned (``over_cap`` and ``not_planned``).
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
    InputError
        If ``owners`` or ``last_contact`` name a client missing from the table or
        one client twice, a client or manager id breaks the id rule, a contact
        date is unreadable or after ``now``, the table lacks a column or lists a
        client twice, an option is out of range, or a manager record or the
        policy is invalid. The message names the field, the client and the value.

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

    With the team, bob's absence shows: cid, who has room, covers his client.

    >>> team = [
    ...     {"id": "ann", "max_active_leads": 20, "active_leads": 20},
    ...     {"id": "bob", "max_active_leads": 20, "available": False},
    ...     {"id": "cid", "max_active_leads": 20, "active_leads": 5},
    ... ]
    >>> plan = touch_plan(
    ...     table,
    ...     owners={"a": "ann", "b": "ann", "c": "bob", "d": "bob"},
    ...     last_contact={"a": "2024-03-01", "b": "2024-01-15", "c": "2024-03-10"},
    ...     now="2024-03-18",
    ...     managers=team,
    ... )
    >>> [(t.manager_id, t.customer, t.note) for t in plan.tasks]
    [('cid', 'd', 'bob is away; cid covers')]
    >>> [(t.owner_id, t.customer, t.note) for t in plan.not_planned]
    [('ann', 'a', 'not planned: ann has no room for touches this week'), \
('ann', 'b', 'not planned: ann has no room for touches this week')]
    >>> plan.per_manager()
    {'ann': 0, 'bob': 0, 'cid': 1}
    """
    rule_table = rules if isinstance(rules, TouchRules) else _rules(rules)
    cap = None if max_per_manager is None else _count(max_per_manager, "max_per_manager")
    horizon = _count(horizon_days, "horizon_days")
    ids, segments = _read_table(table, customer)
    today = int(parse_date(now, "now").astype("datetime64[D]").astype(np.int64))
    n = len(ids)

    def who(k: int) -> str:
        return f"customer {str(ids[k])!r}"

    # owners -> manager code per client (-1: unowned); the team's ids share the codes
    raw_owner_keys, owner_values = _pairs(owners, "owners")
    owner_keys = _client_keys(raw_owner_keys, "owners")
    at = _locate(owner_keys, ids)
    _unknown("owners", owner_keys, at)
    values = [_py(v) for v in owner_values.tolist()]
    present = [not _missing_manager(v) for v in values]
    owner_ids = [
        read_id(v, f"owners: manager id of customer {str(owner_keys[k])!r}", field="owners")
        for k, (v, ok) in enumerate(zip(values, present, strict=True))
        if ok
    ]
    team = None if managers is None else read_team(managers, policy)
    team_ids = [] if team is None else list(team.ids)
    roster, codes = _factorize(owner_ids + team_ids)
    manager = np.full(n, -1, dtype=np.int64)
    manager[at[np.array(present, dtype=np.bool_)]] = codes[: len(owner_ids)]

    # who can make touches and how many: without a team, every owner, up to the cap
    limit = NO_LIMIT if cap is None else cap
    off_team = np.zeros(len(roster), dtype=np.bool_)  # owners the team list lacks
    if team is None:
        can_call = np.ones(len(roster), dtype=np.bool_)
        room = np.full(len(roster), limit, dtype=np.int64)
    else:
        on_team = codes[len(owner_ids) :]
        can_call = np.zeros(len(roster), dtype=np.bool_)
        can_call[on_team] = team.available
        room = np.zeros(len(roster), dtype=np.int64)
        room[on_team] = np.minimum(team.room, limit)
        off_team[codes[: len(owner_ids)]] = True
        off_team[on_team] = False

    # last contact -> day per client (never contacted: NaT)
    raw_contact_keys, contact_values = _pairs(last_contact, "last_contact")
    contact_keys = _client_keys(raw_contact_keys, "last_contact")
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
    # Contact dates count by day, so a clock a few minutes ahead stays on today:
    # a later day is a data error, as a purchase after ``now`` is for rfm().
    late = ~never & (contact_day > today)
    if late.any():
        k = int(np.flatnonzero(late)[0])
        given = int(np.flatnonzero(where == k)[0])
        raise InputError(
            f"last_contact of {who(k)} is {_as_date(contact_day[k])}, after now "
            f"({_as_date(today)}); contact dates cannot be in the future",
            row=given,
            field="last_contact",
            value=_py(contact_values[given]),
        )
    silent = np.where(never, 0, today - contact_day)

    # the rule of each client: per segment (by the label rule), the largest threshold
    # reached; keys are made once per distinct segment, matched per rule for all clients
    distinct, segment_code = np.unique(segments, return_inverse=True)
    segment_keys = np.array([label_key(str(name)) for name in distinct], dtype=np.str_)
    client_key = segment_keys[segment_code.ravel()] if n else np.empty(0, dtype=np.str_)
    chosen = np.full(n, -1, dtype=np.int64)
    order = sorted(range(len(rule_table.rules)), key=lambda k: -rule_table.rules[k].min_days_silent)
    for k in order:
        rule = rule_table.rules[k]
        hit = (
            (chosen < 0)
            & (client_key == label_key(rule.segment))
            & (never | (silent + horizon >= rule.min_days_silent))
        )
        chosen[hit] = k
    due = np.flatnonzero(chosen >= 0)
    thresholds = np.array([r.min_days_silent for r in rule_table.rules], dtype=np.int64)
    priorities = np.array([r.priority for r in rule_table.rules], dtype=np.int64)

    rank_of_id = np.empty(n, dtype=np.int64)
    rank_of_id[np.argsort(ids, kind="stable")] = np.arange(n)
    longest = np.where(never, np.iinfo(np.int64).max, silent)
    due = due[np.lexsort((rank_of_id[due], -longest[due], priorities[chosen[due]]))]
    owned = due[manager[due] >= 0]  # most urgent first
    unowned = due[manager[due] < 0]
    maker = np.full(n, -1, dtype=np.int64)
    maker[owned] = allocate(manager[owned], can_call, room)
    planned = owned[maker[owned] >= 0]
    planned = planned[np.argsort(maker[planned], kind="stable")]  # urgency kept within
    waiting = owned[maker[owned] < 0]
    waiting = waiting[np.argsort(manager[waiting], kind="stable")]
    over = waiting[can_call[manager[waiting]]]

    def note(k: int) -> str:
        own, by = int(manager[k]), int(maker[k])
        if own < 0 or own == by:
            return ""
        status = "is not on the team" if off_team[own] else "is away"
        if by >= 0:
            return f"{roster[own]} {status}; {roster[by]} covers"
        if not can_call[own]:
            return f"not planned: {roster[own]} {status} and nobody has room left this week"
        if room[own] == limit and cap is not None:
            return f"not planned: over the cap of {touches(cap)} per manager this week"
        if room[own] == 0:
            return f"not planned: {roster[own]} has no room for touches this week"
        return f"not planned: {roster[own]} has room for {touches(int(room[own]))} this week"

    def task(k: int) -> TouchTask:
        rule = rule_table.rules[int(chosen[k])]
        client = str(ids[k])
        segment = str(segments[k]).strip()  # the client's own spelling, for display
        if never[k]:
            days, last, when = None, None, today
            words = f"{segment} client, never contacted (rule: {rule.min_days_silent}+ days)"
        else:
            days = int(silent[k])
            last = _as_date(contact_day[k])
            when = max(today, int(contact_day[k]) + int(thresholds[chosen[k]]))
            words = (
                f"{segment} client, no contact for {days} days (rule: {rule.min_days_silent}+ days)"
            )
            if when > today:
                words += f", due on {_as_date(when)}"
        owner, by = int(manager[k]), int(maker[k])
        return TouchTask(
            manager_id=roster[by] if by >= 0 else None,
            customer=client,
            segment=segment,
            reason_code=rule.reason_code,
            action=rule.action,
            days_silent=days,
            priority=rule.priority,
            last_contact=last,
            due=_as_date(when),
            why=words,
            owner_id=roster[owner] if owner >= 0 else None,
            note=note(k),
        )

    not_planned = tuple(task(int(k)) for k in waiting)
    over_set = set(over.tolist())
    return TouchPlan(
        tasks=tuple(task(int(k)) for k in planned),
        unowned=tuple(task(int(k)) for k in unowned),
        over_cap=tuple(
            t for t, k in zip(not_planned, waiting.tolist(), strict=True) if k in over_set
        ),
        managers=roster,
        now=_as_date(today),
        not_planned=not_planned,
        away=()
        if team is None
        else tuple(np.array(team.ids, dtype=object)[~team.available].tolist()),
        not_on_team=tuple(np.array(roster, dtype=object)[off_team].tolist()),
    )


def _rules(rules: Any) -> TouchRules:
    if isinstance(rules, Sequence) and not isinstance(rules, str):
        return TouchRules(tuple(rules))
    kind = type(rules).__name__
    raise InputError(
        f"rules must be TouchRules or a sequence of TouchRule, got {kind}", field="rules"
    )


def _read_table(table: Any, customer: str) -> tuple[TextArray, TextArray]:
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
    ids = read_customer_ids(raw_ids, name)
    raw_segments = columns["segment"]
    if raw_segments.dtype.kind == "U":
        segments = raw_segments
    else:
        bad = [k for k, v in enumerate(raw_segments.tolist()) if not isinstance(v, str)]
        if bad:
            k = bad[0]
            value = _py(raw_segments[k])
            raise InputError(
                f"segment of customer {str(ids[k])!r} must be a string, got {value!r}",
                row=k,
                field="segment",
                value=value,
            )
        segments = raw_segments.astype(np.str_)
    unique, counts = np.unique(ids, return_counts=True)
    twice = counts > 1
    if twice.any():
        k = int(np.flatnonzero(twice)[0])
        raise InputError(
            f"customer {str(unique[k])!r} appears {int(counts[k])} times in the RFM table; "
            "one row per client is needed",
            field=name,
            value=str(unique[k]),
        )
    return ids, segments
