"""Why a batch has no plan, in the words of the policy's rules.

The numeric diagnosis (:func:`fairlead.diagnose.diagnose`) names leads and manager
bounds of the :class:`~fairlead.core.AssignmentProblem` -- ``capacity``,
``min_load``, ``max_value`` -- and cannot tell why a pair is not eligible or where a
bound came from. Here each is traced back to the policy rule that made it:

=================  ==================================================================
rule               what it does
=================  ==================================================================
qualification      a lead goes only to a manager with its product among their skills
                   (``qualification_required``)
hot-lead level     a hot lead goes only to a manager at or above ``hot_min_level``
availability       a manager with ``available=false`` takes no lead
capacity           room is ``max_active_leads - active_leads - portfolio/touch load``
balance band       each manager's load within ``balance_tolerance`` of their target
                   share (``target_share``)
value band         each manager's expected value within ``value_tolerance`` of their
                   share of the plan's value
=================  ==================================================================

Two checks need no numeric diagnosis: every manager unavailable, and leads that no
manager with room may take (for each, which rule keeps each manager away). Otherwise
the diagnosis's leads and bounds are put in these words, with its numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from fairlead.core import AssignmentProblem, BoolArray, IntArray
from fairlead.diagnose import UNKNOWN_REASON, Diagnosis, diagnose
from fairlead.policy import Built
from fairlead.records import Lead, Manager, Policy, Tier

#: The rules an infeasible plan can name, in the order they are named.
RULES = (
    "qualification",
    "hot_lead_level",
    "availability",
    "capacity",
    "balance_band",
    "value_band",
)
_SHOWN = 5
_CAPACITY = "capacity (max_active_leads - active_leads - portfolio/touch load)"
_TOL = 1e-9

# The problem's field names, as a head of sales reads them (longest first).
_FIELD_WORDS = (
    ("capacity/max_load", "room"),
    ("max_load", "balance band maximum"),
    ("min_load", "balance band minimum"),
    ("max_value", "value band maximum"),
    ("min_value", "value band minimum"),
    ("capacity", "room"),
    ("allow_unassigned=True", "allow_unassigned=true"),
)


@dataclass(frozen=True)
class Why:
    """An infeasible batch in the policy's words.

    Attributes
    ----------
    message : str
        The rules that clash, with ids and numbers.
    rules : tuple of str
        The rules named, from :data:`RULES`.
    lead_ids, manager_ids : tuple of str
        The leads and managers the message is about.
    detail : str
        The numeric diagnosis, in the problem's own terms.
    """

    message: str
    rules: tuple[str, ...]
    lead_ids: tuple[str, ...] = ()
    manager_ids: tuple[str, ...] = ()
    detail: str = ""


@dataclass
class _Words:
    """Clauses collected for one message, with the rules and ids they name."""

    clauses: list[str] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    managers: set[int] = field(default_factory=set)
    leads: set[int] = field(default_factory=set)

    def add(
        self,
        rule: str,
        text: str,
        managers: Sequence[int] | IntArray = (),
        leads: Sequence[int] | IntArray = (),
    ) -> None:
        self.clauses.append(text)
        if rule:
            self.rules.add(rule)
        self.managers.update(int(j) for j in managers)
        self.leads.update(int(i) for i in leads)

    def ordered_rules(self) -> tuple[str, ...]:
        return tuple(r for r in RULES if r in self.rules)


@dataclass(frozen=True)
class Batch:
    """What the words are made of: the records, the policy and the built problem."""

    leads: Sequence[Lead]
    managers: Sequence[Manager]
    tiers: Sequence[Tier]
    policy: Policy
    built: Built

    @property
    def problem(self) -> AssignmentProblem:
        return self.built.problem


def why_infeasible(batch: Batch, solver_message: str, *, time_limit: float = 10.0) -> Why:
    """Why no plan satisfies the policy, naming the rules involved and the ids.

    ``solver_message`` is the solver's own sentence, used only when the numeric
    diagnosis finds nothing more specific within ``time_limit`` seconds.
    """
    found = _everyone_unavailable(batch) or _leads_nobody_may_take(batch)
    if found is not None:
        return found
    try:
        diagnosis = diagnose(batch.problem, time_limit=time_limit)
    except TimeoutError:
        diagnosis = None
    if diagnosis is None:
        return _rules_in_force(batch, solver_message)
    return _from_diagnosis(batch, diagnosis)


# ------------------------------------------------------------------------ names and lists


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOWN])
    more = len(items) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _ids(batch: Batch, managers: Sequence[int] | IntArray) -> list[str]:
    return [repr(batch.managers[int(j)].id) for j in managers]


def _with_levels(batch: Batch, managers: Sequence[int] | IntArray) -> list[str]:
    return [
        f"{batch.managers[int(j)].id!r} ({batch.managers[int(j)].level.value})" for j in managers
    ]


def _lead_words(batch: Batch, leads: IntArray, *, detail: bool = False) -> str:
    if leads.size == 1:
        i = int(leads[0])
        lead = batch.leads[i]
        facts = [batch.tiers[i].value]
        if detail and lead.product is not None and batch.policy.qualification_required:
            facts.append(f"product {lead.product!r}")
        if not batch.problem.unit_weights:
            facts.append(f"workload {_workload(batch, i)}")
        return f"lead {lead.id!r} ({', '.join(facts)})"
    names = [repr(batch.leads[int(i)].id) for i in leads]
    return f"{leads.size} leads ({_listed(names)})"


def _workload(batch: Batch, i: int) -> str:
    w = batch.problem.weight_matrix()[i]
    return f"{w[0]:g}" if np.all(w == w[0]) else f"{w.min():g} to {w.max():g}"


def _band_words(policy: Policy) -> str:
    tol = "none" if policy.balance_tolerance is None else f"{policy.balance_tolerance:g}"
    return f"the balance band (balance_tolerance={tol}, target_share={policy.target_share!r})"


def _hot_words(policy: Policy) -> str:
    level = policy.hot_min_level.value if policy.hot_min_level is not None else None
    return f"the hot-lead level rule (hot_min_level={level!r})"


def _qualification_words() -> str:
    return "qualification (qualification_required=true)"


def _skills_words(batch: Batch, leads: IntArray) -> str:
    products = sorted({p for i in leads.tolist() if (p := batch.leads[i].product) is not None})
    if len(products) == 1:
        return f"no skill {products[0]!r}"
    return f"no skill among {', '.join(repr(p) for p in products[:_SHOWN])}"


def _skills_words_of(batch: Batch, managers: IntArray, leads: IntArray) -> str:
    """What ``managers`` lack for ``leads``: the products none of them sells."""
    sold = set().union(*(batch.managers[int(j)].skills for j in managers))
    products = sorted(
        {p for i in leads.tolist() if (p := batch.leads[i].product) is not None} - sold
    )
    if not products:  # each lead is kept from some of them only
        return _skills_words(batch, leads)
    if len(products) == 1:
        return f"no skill {products[0]!r}"
    return f"no skill among {', '.join(repr(p) for p in products[:_SHOWN])}"


def _is_are(k: int) -> str:
    return "is" if k == 1 else "are"


def _has_have(k: int) -> str:
    return "has" if k == 1 else "have"


def _busy(batch: Batch, j: int) -> float:
    """Open work that takes room: the portfolio and planned touches, as CapacityPlan counts it."""
    mg, policy = batch.managers[j], batch.policy
    load = mg.portfolio_size * policy.portfolio_load + mg.planned_touches * policy.touch_load
    return float(math.floor(load + 1e-9))


def _room_item(batch: Batch, j: int, *, amount: bool = True) -> str:
    """A manager's room, with the numbers it comes from."""
    mg = batch.managers[j]
    free = float(batch.built.capacity.free[j])
    parts = f"({mg.max_active_leads} - {mg.active_leads} - {_busy(batch, j):g})"
    return f"{mg.id!r} {free:g} {parts}" if amount else f"{mg.id!r} {parts}"


# ------------------------------------------------------------------------ the quick checks


def _everyone_unavailable(batch: Batch) -> Why | None:
    problem = batch.problem
    if problem.n_leads == 0 or problem.allow_unassigned:
        return None
    off = batch.built.exclusions.unavailable
    if not off.all():
        return None
    every = np.arange(len(batch.managers))
    names = _listed(_ids(batch, every))
    if every.size == 1:
        text = f"the only manager, {names}, is unavailable (available=false)"
    else:
        text = f"all {every.size} managers are unavailable (available=false): {names}"
    return Why(
        message=text,
        rules=("availability",),
        manager_ids=tuple(mg.id for mg in batch.managers),
        detail=f"{problem.n_leads} leads must be assigned, and no manager is available",
    )


def _fits(batch: Batch) -> BoolArray:
    """Pairs whose lead fits the manager's free capacity (unavailable managers have none).

    Broadcast from the per-manager room: no (n, m) float array unless the workloads
    already are one.
    """
    free = batch.built.capacity.free
    slack = free + _TOL * np.maximum(1.0, np.abs(free))
    weight = batch.problem.weight
    n = batch.problem.n_leads
    if batch.problem.unit_weights:
        fits: BoolArray = np.broadcast_to(slack[None, :] >= 1.0, (n, free.size))
        return fits
    if weight.ndim == 1:
        fits = weight[:, None] <= slack[None, :]
        return fits
    fits = weight <= slack[None, :]
    return fits


def _leads_nobody_may_take(batch: Batch) -> Why | None:
    """Leads that no manager with room may take, and the rule keeping each manager away."""
    problem = batch.problem
    if problem.allow_unassigned or problem.n_leads == 0:
        return None
    fits = _fits(batch)
    stranded = np.flatnonzero(~(problem.eligible & fits).any(axis=1))
    if stranded.size == 0:
        return None
    rules = batch.built.exclusions
    off = rules.unavailable
    fit = fits[stranded]
    no_room = ~off & ~fit.any(axis=0)
    with_room = ~off & ~no_room
    qual = rules.qualification(stranded) & fit
    hot = rules.hot_level(stranded) & fit & ~qual
    words = _Words()
    every = " every manager with room:" if with_room.sum() > 0 else ""
    by_qual = np.flatnonzero(qual.any(axis=0) & with_room)
    by_hot = np.flatnonzero(hot.any(axis=0) & with_room)
    if by_qual.size:
        scope = every if np.array_equal(by_qual, np.flatnonzero(with_room)) else ""
        names = _listed(_ids(batch, by_qual))
        words.add(
            "qualification",
            f"{_qualification_words()} excludes{scope} {names} ({_skills_words(batch, stranded)})",
            by_qual,
        )
    if by_hot.size:
        scope = every if np.array_equal(by_hot, np.flatnonzero(with_room)) else ""
        names = _listed(_with_levels(batch, by_hot))
        words.add("hot_lead_level", f"{_hot_words(batch.policy)} excludes{scope} {names}", by_hot)
    gone = np.flatnonzero(off)
    if gone.size:
        names = _listed(_ids(batch, gone))
        words.add(
            "availability", f"{names} {_is_are(gone.size)} unavailable (available=false)", gone
        )
    full = np.flatnonzero(no_room)
    if full.size:
        if problem.unit_weights:
            items = _listed([_room_item(batch, int(j), amount=False) for j in full])
            words.add("capacity", f"{_CAPACITY} leaves no room at {items}", full)
        else:
            items = _listed([_room_item(batch, int(j)) for j in full])
            words.add("capacity", f"{_CAPACITY} leaves too little room at {items}", full)
    one = stranded.size == 1
    head = f"{_lead_words(batch, stranded, detail=True)} {_has_have(stranded.size)} no manager "
    head += "it may go to" if one else "they may go to"
    return Why(
        message=f"{head}: " + "; ".join(words.clauses),
        rules=words.ordered_rules(),
        lead_ids=tuple(batch.leads[int(i)].id for i in stranded),
        manager_ids=tuple(batch.managers[j].id for j in sorted(words.managers)),
    )


# ------------------------------------------------------------------------ the numeric diagnosis


def _bound_words(batch: Batch, diagnosis: Diagnosis, words: _Words) -> None:
    """Each named manager bound traced to its rule: availability, capacity, the bands."""
    problem = batch.problem
    off = batch.built.exclusions.unavailable
    free = batch.built.capacity.free
    hard_band = problem.load_penalty is None
    gone: list[int] = []
    room: list[int] = []
    capped: list[int] = []
    lows: list[int] = []
    values: list[str] = []
    value_managers: list[int] = []
    for kind, j in diagnosis.bounds:
        mg = batch.managers[j]
        if kind == "capacity":
            if off[j]:
                gone.append(j)
            elif hard_band and problem.max_load[j] < free[j] - _TOL * max(1.0, free[j]):
                capped.append(j)
            else:
                room.append(j)
        elif kind == "min_load":
            lows.append(j)
        elif kind == "min_value" and problem.min_value is not None:
            values.append(f"{mg.id!r} for an expected value of at least {problem.min_value[j]:.6g}")
            value_managers.append(j)
        elif kind == "max_value" and problem.max_value is not None:
            values.append(f"{mg.id!r} for an expected value of at most {problem.max_value[j]:.6g}")
            value_managers.append(j)
    if gone:
        names = _listed(_ids(batch, gone))
        words.add(
            "availability", f"{names} {_is_are(len(gone))} unavailable (available=false)", gone
        )
    if room:
        total = float(free[room].sum())
        items = _listed([_room_item(batch, j) for j in room])
        words.add("capacity", f"{_CAPACITY} leaves room for {total:g}: {items}", room)
    if capped:
        items = _listed([f"{batch.managers[j].id!r} at {problem.max_load[j]:g}" for j in capped])
        words.add("balance_band", f"{_band_words(batch.policy)} caps {items}", capped)
    if lows:
        items = _listed([f"{batch.managers[j].id!r} {problem.min_load[j]:g}" for j in lows])
        words.add("balance_band", f"{_band_words(batch.policy)} asks at least {items}", lows)
    if values:
        tol = batch.policy.value_tolerance
        text = f"the value band (value_tolerance={tol:g}) asks {_listed(values)}"
        words.add("value_band", text, value_managers)


def _kept_from_others(batch: Batch, leads: IntArray, inside: IntArray, words: _Words) -> None:
    """Rules that keep ``leads`` from every manager outside ``inside``."""
    outside = np.setdiff1d(np.arange(len(batch.managers)), inside)
    if leads.size == 0 or outside.size == 0:
        return
    rules = batch.built.exclusions
    qual = rules.qualification(leads)[:, outside]
    hot = rules.hot_level(leads)[:, outside] & ~qual
    for rule, mask in (("qualification", qual), ("hot_lead_level", hot)):
        kept = mask.any(axis=1)
        if not kept.any():
            continue
        some = leads[kept]
        by = outside[mask.any(axis=0)]
        if kept.all():
            who = "it" if leads.size == 1 else "them"
        else:
            who = _listed([repr(batch.leads[int(i)].id) for i in some])
        if rule == "qualification":
            names = _listed(_ids(batch, by))
            text = f"{_qualification_words()} keeps {who} from {names} "
            text += f"({_skills_words_of(batch, by, some)})"
        else:
            text = f"{_hot_words(batch.policy)} keeps {who} from "
            text += _listed(_with_levels(batch, by))
        words.add(rule, text, by)


def _kept_leads_away(batch: Batch, managers: IntArray, words: _Words) -> None:
    """Rules that keep the other leads from ``managers`` (why their lower bounds starve)."""
    problem = batch.problem
    away = np.flatnonzero(~problem.eligible[:, managers].any(axis=1))
    if away.size == 0:
        return
    rules = batch.built.exclusions
    qual = rules.qualification(away)[:, managers].any(axis=1)
    hot = rules.hot_level(away)[:, managers].any(axis=1) & ~qual
    who = _listed(_ids(batch, managers))
    for rule, hit, text in (
        ("qualification", qual, _qualification_words()),
        ("hot_lead_level", hot, _hot_words(batch.policy)),
    ):
        chosen = away[hit]
        if chosen.size:
            names = _listed([repr(batch.leads[int(i)].id) for i in chosen])
            count = "1 lead" if chosen.size == 1 else f"{chosen.size} leads"
            if rule == "qualification":
                extra = f" ({_skills_words_of(batch, managers, chosen)})"
            else:
                count = count.replace("lead", "hot lead")
                extra = ""
            words.add(rule, f"{text} keeps {count} ({names}) from {who}{extra}", leads=chosen)


def _manager_group(batch: Batch, managers: IntArray) -> str:
    names = _ids(batch, managers)
    return names[0] if managers.size == 1 else f"the {managers.size} managers {_listed(names)}"


def _from_diagnosis(batch: Batch, diagnosis: Diagnosis) -> Why:
    """The diagnosis's leads and bounds traced to the rules, its numbers in a head sentence."""
    head = _lead_room_head(batch, diagnosis) or _band_floor_head(batch, diagnosis)
    words = _Words()
    leads = diagnosis.leads
    managers = np.array(diagnosis.managers, dtype=np.int64)
    if head is not None and leads.size:
        # leads confined to a few managers: first why they cannot go elsewhere, then
        # why those managers lack room
        _kept_from_others(batch, leads, managers, words)
        _bound_words(batch, diagnosis, words)
    elif head is not None:
        # the band's floor starves managers: the head names the band; then which
        # rules keep the other leads from them
        _bound_words(batch, diagnosis, _Words())
        _kept_leads_away(batch, managers, words)
        words.rules.add("balance_band")
        words.managers.update(managers.tolist())
    else:
        head = "these rules cannot all hold together"
        if leads.size:
            head += f" for {_lead_words(batch, leads)}"
        _bound_words(batch, diagnosis, words)
        if leads.size:
            _kept_from_others(batch, leads, managers, words)
        elif managers.size:
            _kept_leads_away(batch, managers, words)
        words.add("", f"in numbers: {_policy_terms(diagnosis.message)}")
    text = head + (": " + "; ".join(words.clauses) if words.clauses else "")
    named_leads = np.union1d(leads, sorted(words.leads)).astype(np.int64)
    named = np.union1d(managers, sorted(words.managers)).astype(np.int64)
    return Why(
        message=text,
        rules=words.ordered_rules(),
        lead_ids=tuple(batch.leads[int(i)].id for i in named_leads),
        manager_ids=tuple(batch.managers[int(j)].id for j in named),
        detail=diagnosis.message,
    )


def _lead_room_head(batch: Batch, diagnosis: Diagnosis) -> str | None:
    """Whole leads that the named managers lack room for: how many, and the shortfall."""
    problem = batch.problem
    leads = diagnosis.leads
    managers = np.array(diagnosis.managers, dtype=np.int64)
    kinds = {kind for kind, _ in diagnosis.bounds}
    if not (leads.size and managers.size and kinds == {"capacity"} and problem.unit_weights):
        return None
    upper = problem.hard_upper_load[managers]
    room = int(np.floor(upper + _TOL * np.maximum(1.0, upper)).sum())
    short = int(leads.size) - room
    if short <= 0:
        return None
    if leads.size == problem.n_leads and managers.size == problem.n_managers:
        return (
            f"{leads.size} leads must be assigned, but the managers have room for {room} in "
            f"total; short by {short} (or set allow_unassigned=true)"
        )
    who = _manager_group(batch, managers)
    return (
        f"{_lead_words(batch, leads)} may only go to {who}, which "
        f"{_has_have(managers.size)} room for {room}; short by {short}"
    )


def _band_floor_head(batch: Batch, diagnosis: Diagnosis) -> str | None:
    """The balance band's floor of some managers above the leads that may go to them."""
    problem = batch.problem
    managers = np.array(diagnosis.managers, dtype=np.int64)
    kinds = {kind for kind, _ in diagnosis.bounds}
    if diagnosis.leads.size or kinds != {"min_load"} or not problem.unit_weights:
        return None
    need = sum(math.ceil(problem.min_load[j] - _TOL) for j in managers.tolist())
    have = int(problem.eligible[:, managers].any(axis=1).sum())
    if need <= have:
        return None
    who = "it" if managers.size == 1 else "any of them"
    return (
        f"{_band_words(batch.policy)} asks {_manager_group(batch, managers)} for at least "
        f"{need} leads in total, but only {have} leads may go to {who}; short by {need - have}"
    )


def _policy_terms(message: str) -> str:
    """A numeric sentence with the problem's field names in the policy's words."""
    for word, plain in _FIELD_WORDS:
        message = re.sub(rf"(?<![\w/]){re.escape(word)}(?![\w/])", plain, message)
    return message


def _rules_in_force(batch: Batch, solver_message: str) -> Why:
    """When no smaller clash was isolated: every rule of the policy that constrains the batch."""
    policy, problem = batch.policy, batch.problem
    named: list[tuple[str, str]] = []
    if policy.qualification_required and any(lead.product for lead in batch.leads):
        named.append(("qualification", _qualification_words()))
    hard_hot = policy.hot_rule == "hard" and policy.hot_min_level is not None
    if hard_hot and any(t is Tier.HOT for t in batch.tiers):
        named.append(("hot_lead_level", _hot_words(policy)))
    off = batch.built.exclusions.unavailable
    if off.any():
        names = _listed(_ids(batch, np.flatnonzero(off)))
        named.append(("availability", f"availability ({names} unavailable)"))
    named.append(("capacity", _CAPACITY))
    if policy.balance_tolerance is not None and problem.load_penalty is None:
        named.append(("balance_band", _band_words(policy)))
    if policy.value_tolerance is not None and problem.value_penalty is None:
        named.append(("value_band", f"the value band (value_tolerance={policy.value_tolerance:g})"))
    reason = solver_message or UNKNOWN_REASON
    text = (
        "these rules cannot all hold together: "
        + "; ".join(words for _, words in named)
        + f" ({_policy_terms(reason)})"
    )
    return Why(message=text, rules=tuple(rule for rule, _ in named), detail=reason)
