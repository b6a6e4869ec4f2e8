"""A conflicting set in words: the constraints and one or two sentences with the numbers."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Context

import numpy as np

from fairlead.core import AssignmentProblem
from fairlead.diagnose._infeasibility import _names
from fairlead.diagnose._selection import (
    Conflict,
    Constraint,
    Kind,
    _exceeds,
    _Sel,
    _Setup,
    _tol,
)
from fairlead.diagnose._value_reach import _least_value, _most_value
from fairlead.formulation import Bound


def _down(x: float) -> str:
    """``x`` to 6 significant digits, rounded down (for "at least")."""
    return _rounded(x, ROUND_FLOOR)


def _up(x: float) -> str:
    """``x`` to 6 significant digits, rounded up (for "at most")."""
    return _rounded(x, ROUND_CEILING)


def _rounded(x: float, rounding: str) -> str:
    if not math.isfinite(x):
        return f"{x:g}"
    nearest = f"{x:.6g}"
    if abs(float(nearest) - x) <= 1e-9 * max(1.0, abs(x)):  # float noise, not a rounding
        return nearest
    return f"{float(Context(prec=6, rounding=rounding).create_decimal(x)):g}"


def _cap_word(problem: AssignmentProblem, j: int) -> str:
    from_max = problem.load_penalty is None and problem.max_load[j] < problem.capacity[j]
    return "max_load" if from_max else "capacity"


def _text(setup: _Setup, kind: Kind, index: int, bound: float | None = None) -> str:
    problem = setup.problem
    if kind == "assign":
        return f"{problem.lead_name(index)} must be assigned"
    word = _cap_word(problem, index) if kind == "capacity" else kind
    return f"{word} of {problem.manager_name(index)} ({bound:g})"


def _conflict(setup: _Setup, sel: _Sel, *, minimal: bool) -> Conflict:
    items: list[Constraint] = []
    leads = sorted(int(i) for c, r in sel.req.items() for i in setup.members[c][:r])
    items.extend(Constraint("assign", i, _text(setup, "assign", i)) for i in leads)
    order = ("capacity", "min_load", "min_value", "max_value")
    for k in sorted(
        sel.bounds, key=lambda k: (setup.bounds[k].manager, order.index(setup.bounds[k].kind))
    ):
        b = setup.bounds[k]
        items.append(Constraint(b.kind, b.manager, _text(setup, b.kind, b.manager, b.bound)))
    return Conflict(tuple(items), _message(setup, sel, leads), minimal)


def _message(setup: _Setup, sel: _Sel, leads: list[int]) -> str:
    bounds = [setup.bounds[k] for k in sel.bounds]
    managers = sorted({b.manager for b in bounds})
    kinds = {b.kind for b in bounds}
    reason: str | None = None
    if not bounds and len(leads) == 1:
        reason = f"{setup.problem.lead_name(leads[0])} has no eligible manager"
    elif not leads and len(managers) == 1:
        reason = _one_manager(setup, {b.kind: b for b in bounds})
    elif leads and kinds == {"capacity"}:
        reason = _confined(setup, leads, managers)
    elif not leads and kinds == {"min_load"}:
        reason = _min_loads(setup, managers)
    return reason if reason is not None else _generic(setup, sel, leads)


def _generic(setup: _Setup, sel: _Sel, leads: list[int]) -> str:
    parts: list[str] = []
    names = [setup.problem.lead_name(i) for i in leads]
    if len(names) == 1:
        parts.append(f"{names[0]} must be assigned")
    elif names:
        parts.append(f"{len(names)} leads must be assigned ({_names(names)})")
    for k in sorted(sel.bounds, key=lambda k: (setup.bounds[k].manager, setup.bounds[k].kind)):
        b = setup.bounds[k]
        parts.append(_text(setup, b.kind, b.manager, b.bound))
    return "no assignment meets all of these together: " + "; ".join(parts)


def _one_manager(setup: _Setup, own: dict[Kind, Bound]) -> str | None:
    problem = setup.problem
    j = next(iter(own.values())).manager
    name = problem.manager_name(j)
    rows = np.flatnonzero(setup.E[:, j])
    w, v = setup.W[rows, j], setup.V[rows, j]
    unit = bool(np.all(w == 1.0))
    cap, low = own.get("capacity"), own.get("min_load")
    vmin, vmax = own.get("min_value"), own.get("max_value")
    if set(own) == {"min_load"} and low is not None:
        if unit:
            return f"min_load of {name} ({low.bound:g}) exceeds its eligible leads ({rows.size})"
        return (
            f"min_load of {name} ({low.bound:g}) exceeds the total workload of its eligible "
            f"leads ({_up(float(w.sum()))})"
        )
    if set(own) == {"min_value"} and vmin is not None:
        return (
            f"min_value of {name} ({vmin.bound:g}) cannot be reached: its eligible leads are "
            f"worth at most {_up(float(v[v > 0].sum()))} in total"
        )
    if set(own) == {"max_value"} and vmax is not None:
        return (
            f"max_value of {name} ({vmax.bound:g}) cannot be met: its eligible leads are "
            f"worth at least {_down(float(v[v < 0].sum()))} in total"
        )
    if set(own) == {"min_load", "capacity"} and low is not None and cap is not None:
        word = _cap_word(problem, j)
        if unit:
            need = math.ceil(low.bound - _tol(low.bound))
            room = math.floor(cap.bound + _tol(cap.bound))
            return (
                f"min_load of {name} ({low.bound:g}) needs {need} whole leads, but its "
                f"{word} allows {room}"
            )
        return (
            f"min_load of {name} ({low.bound:g}) and its {word} ({cap.bound:g}) cannot both "
            f"hold: no set of its eligible leads has a workload between {low.bound:g} and "
            f"{cap.bound:g}"
        )
    if set(own) == {"min_value", "capacity"} and vmin is not None and cap is not None:
        best = _most_value(setup, j, cap.bound, vmin.bound)
        word = _cap_word(problem, j)
        if best is not None:
            return (
                f"min_value of {name} ({vmin.bound:g}) cannot be reached: its eligible leads "
                f"are worth at most {_up(best)} in total with its {word} {cap.bound:g}"
            )
        return (
            f"min_value of {name} ({vmin.bound:g}) cannot be reached within its {word} "
            f"{cap.bound:g}"
        )
    if set(own) == {"max_value", "min_load"} and vmax is not None and low is not None:
        least = _least_value(setup, j, low.bound, vmax.bound)
        if least is not None:
            return (
                f"max_value of {name} ({vmax.bound:g}) is below what its min_load of "
                f"{low.bound:g} forces (at least {_down(least)})"
            )
        return (
            f"max_value of {name} ({vmax.bound:g}) cannot hold with its min_load of {low.bound:g}"
        )
    if set(own) == {"min_value", "max_value"} and vmin is not None and vmax is not None:
        return (
            f"min_value ({vmin.bound:g}) and max_value ({vmax.bound:g}) of {name} cannot both "
            "hold: no set of its eligible leads has a total value in between"
        )
    texts = [_text(setup, b.kind, j, b.bound) for b in own.values()]
    return (
        f"the bounds of {name} cannot hold together: " + ", ".join(texts) + "; no set of its "
        "eligible leads meets them all"
    )


def _confined(setup: _Setup, leads: list[int], managers: list[int]) -> str | None:
    """Leads that can only go to the named managers, which lack room for them."""
    problem = setup.problem
    inside = np.zeros(setup.m, dtype=np.bool_)
    inside[managers] = True
    outside = (setup.E & ~inside[None, :]).any(axis=1)
    group = np.flatnonzero(setup.E.any(axis=1) & ~outside)
    group = np.union1d(group, np.array(leads, dtype=np.int64))
    upper = problem.hard_upper_load[managers]
    room = float(upper.sum())
    words = {_cap_word(problem, j) for j in managers}
    word = words.pop() if len(words) == 1 else "capacity/max_load"
    m_names = [problem.manager_name(j) for j in managers]
    who = m_names[0] if len(managers) == 1 else f"the {len(managers)} managers ({_names(m_names)})"
    whose = f"whose {word} is" if len(managers) == 1 else f"whose {word} totals"
    l_names = [problem.lead_name(int(i)) for i in group]
    elig = setup.E[group]
    w = np.where(elig, setup.W[group], np.inf)
    lightest = w.min(axis=1)
    demand = float(lightest.sum())
    same = bool(np.all((w == lightest[:, None]) | ~elig))  # one workload per lead
    if len(leads) == 1:
        i = leads[0]
        eligible = np.flatnonzero(setup.E[i]).tolist()
        upper_all = problem.hard_upper_load
        if all(_exceeds(float(setup.W[i, j]), float(upper_all[j])) for j in eligible):
            fits = ", ".join(
                f"{problem.manager_name(j)} ({_cap_word(problem, j)} {upper_all[j]:g})"
                for j in eligible
            )
            w_i = setup.W[i, eligible]
            size = f"{w_i[0]:g}" if np.all(w_i == w_i[0]) else f"at least {w_i.min():g}"
            name = problem.lead_name(i)
            return f"{name} (workload {size}) fits none of its eligible managers: {fits}"
    weights = setup.W[group][elig]
    if weights.size and np.all(weights == weights[0]):  # every lead weighs the same
        w0 = float(weights[0])
        whole = int(sum(math.floor((u + _tol(float(u))) / w0) for u in upper))
        if len(group) > whole:
            if w0 == 1.0:
                room_text = f"{room:g}" if whole == room else f"{room:g} ({whole} whole leads)"
            else:
                room_text = f"{room:g}, room for {whole} leads of workload {w0:g}"
            return (
                f"{len(group)} leads ({_names(l_names)}) can only go to {who}, {whose} "
                f"{room_text}; short by {len(group) - whole}"
            )
    if _exceeds(demand, room):
        load = "a workload of" if same else "a workload of at least"
        return (
            f"{len(group)} leads ({_names(l_names)}) with {load} {_down(demand)} in total can "
            f"only go to {who}, {whose} {room:g}; short by {_down(demand - room)}"
        )
    return (
        f"{len(group)} leads ({_names(l_names)}) can only go to {who}, {whose} {room:g}, "
        "and do not fit there as whole leads"
    )


def _min_loads(setup: _Setup, managers: list[int]) -> str | None:
    """Managers whose min_loads ask for more than the leads eligible for any of them."""
    problem = setup.problem
    lows = problem.min_load[managers]
    pool = setup.E[:, managers].any(axis=1)
    w = np.where(setup.E[:, managers], setup.W[:, managers], 0.0)[pool]
    names = [problem.manager_name(j) for j in managers]
    if np.all(w[setup.E[pool][:, managers]] == 1.0):
        need = int(sum(math.ceil(x - _tol(float(x))) for x in lows))
        have = int(pool.sum())
        if need > have:
            return (
                f"min_load of {len(managers)} managers ({_names(names)}) asks for {need} leads "
                f"in total, but only {have} leads are eligible for any of them; short by "
                f"{need - have}"
            )
        return None
    need_w = float(lows.sum())
    have_w = float(w.max(axis=1).sum())
    if _exceeds(need_w, have_w):
        return (
            f"min_load of {len(managers)} managers ({_names(names)}) asks for a workload of "
            f"{need_w:g} in total, but the leads eligible for any of them weigh at most "
            f"{_up(have_w)}; short by {_down(need_w - have_w)}"
        )
    return None
