"""The store's books: what its leads table says each manager holds, against the state.

The state counts what the leads table records, so on opening a store the one is
recounted from the other (:func:`read_books`, :func:`audit`). A manager may hold
leads from outside the router (``Manager.active_leads``), and one who rejoins the
team finds rows of their earlier time: the *baseline* of each manager, kept in the
meta table, is what the state holds beyond the rows. It is set when a manager joins
(and moved when a load would go below zero); between those moments the identities

* open workload = baseline + workload of the open rows they hold,
* routed + reassigned in - reassigned out = baseline + rows they hold,
* released (won) = baseline + their released (won) rows,
* decisions = rows + reassignments,

hold exactly (the loads up to rounding), whatever was routed, released or moved.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from fairlead.router._state import RouterState

#: What a baseline holds for a manager, in this order.
BASE_FIELDS = ("open", "held", "released", "won")
#: Manager id -> the baseline of each of :data:`BASE_FIELDS`.
Baseline = dict[str, list[float]]
#: Problems named in one message at most; the rest are counted.
SHOWN = 8
#: Lead rows named in the books as not what a router writes, at most.
ODD_ROWS = 5


@dataclass
class Tally:
    """One manager's rows in the leads table.

    Attributes
    ----------
    held : int
        Leads they hold or held until release (their current manager is them).
    open : int
        Of those, the ones not released.
    work : float
        Workload of the open ones, as charged when they got them.
    released, won : int
        Leads released while theirs; of those, won.
    """

    held: int = 0
    open: int = 0
    work: float = 0.0
    released: int = 0
    won: int = 0


@dataclass
class Books:
    """What the leads table says: totals and each manager's :class:`Tally`.

    Attributes
    ----------
    rows : int
        Leads recorded (each once, whatever happened to it).
    reassignments : int
        Moves of overdue leads, summed over the rows.
    by_manager : dict of str to Tally
        Rows by their current manager.
    odd : list of str
        Rows that are not what a router writes, in words (a few at most).
    first : dict of str to str
        One lead id of each manager not in ``known`` (see :func:`read_books`).
    """

    rows: int = 0
    reassignments: int = 0
    by_manager: dict[str, Tally] = field(default_factory=dict)
    odd: list[str] = field(default_factory=list)
    first: dict[str, str] = field(default_factory=dict)

    def open_text(self) -> str:
        """Open leads by manager, as ``'a' 50, 'b' 48``."""
        held = [(mid, t.open) for mid, t in sorted(self.by_manager.items()) if t.open]
        return ", ".join(f"{mid!r} {n}" for mid, n in held) or "none"


#: Rows no router writes: a manager id that is not text, an unknown kind, a kind that
#: does not match the manager (waiting exactly when nobody holds it), a bad workload.
_ODD_WHERE = """typeof(manager_id) NOT IN ('text', 'null')
   OR kind NOT IN ('routed', 'reassigned', 'waiting')
   OR (manager_id IS NULL) != (kind = 'waiting')
   OR typeof(work) NOT IN ('real', 'integer') OR work < 0"""
#: The one pass over the leads table: each manager's rows (``NULL``: waiting ones).
_BY_MANAGER = f"""
SELECT manager_id, count(*), total(released_at IS NULL),
       total(CASE WHEN released_at IS NULL THEN work END),
       total(released_at IS NOT NULL), total(released_at IS NOT NULL AND outcome = 'won'),
       total(reassignments), total({_ODD_WHERE})
FROM leads GROUP BY manager_id
"""
_ODD = f"""
SELECT lead_id, manager_id, kind, work, typeof(manager_id), typeof(work) FROM leads
WHERE {_ODD_WHERE} LIMIT {ODD_ROWS}
"""


def read_books(db: sqlite3.Connection, known: Iterable[str] = ()) -> Books:
    """Count the leads table in one pass grouped by manager; name the odd rows, if any.

    Managers not in ``known`` get one of their lead ids named (another pass, only
    then). The records of the leads (their JSON) are not read: one that cannot be is
    reported when the router reads it.
    """
    books = Books()
    odd = 0
    for mid, held, open_, work, released, won, moves, bad in db.execute(_BY_MANAGER):
        books.rows += int(held)
        books.reassignments += int(moves)
        odd += int(bad)
        if mid is None:
            continue
        books.by_manager[str(mid)] = Tally(
            held=int(held),
            open=int(open_),
            work=float(work),
            released=int(released),
            won=int(won),
        )
    strangers = set(books.by_manager) - set(known)
    for mid in sorted(strangers)[:SHOWN]:
        row = db.execute("SELECT min(lead_id) FROM leads WHERE manager_id = ?", (mid,)).fetchone()
        books.first[mid] = str(row[0])
    if not odd:
        return books
    for lead_id, mid, kind, work, mid_type, work_type in db.execute(_ODD):
        if mid_type not in ("text", "null"):
            books.odd.append(f"lead {lead_id!r} has a manager id of type {mid_type}: {mid!r}")
        elif work_type not in ("real", "integer") or work < 0:
            books.odd.append(f"lead {lead_id!r} has a workload of {work!r}")
        else:
            who = "no manager" if mid is None else f"manager {mid!r}"
            books.odd.append(f"lead {lead_id!r} has kind {kind!r} and {who}")
    if odd > len(books.odd):
        books.odd.append(f"{odd - len(books.odd)} more such row(s)")
    return books


def audit(
    state: RouterState,
    ids: Sequence[str],
    known: set[str],
    baseline: Baseline,
    books: Books,
) -> list[str]:
    """Everything in which the state and the leads table disagree, in words.

    Parameters
    ----------
    state : RouterState
        The stored state, for the stored team ``ids``.
    ids : sequence of str
        The team the state is for.
    known : set of str
        Every manager ever on the team (rows of those who left are not damage).
    baseline : dict of str to list of float
        Each manager's :data:`BASE_FIELDS`.
    books : Books
        The recount of the leads table.
    """
    problems = list(books.odd) + state_problems(state, ids)
    for mid, tally in sorted(books.by_manager.items()):
        if mid not in known and mid not in ids:
            first = books.first.get(mid, "?")
            more = f" and {tally.held - 1} more" if tally.held > 1 else ""
            problems.append(f"lead {first!r}{more} is held by {mid!r}, who was never on the team")
    counted = books.rows + books.reassignments
    if state.decisions != counted:
        problems.append(
            f"the state counts {state.decisions} decision(s), but the leads table holds "
            f"{books.rows} lead(s) and {books.reassignments} reassignment(s)"
        )
    for j, mid in enumerate(ids):
        tally = books.by_manager.get(mid, Tally())
        base = baseline.get(mid, [0.0] * len(BASE_FIELDS))
        outside = f", {base[0]:g} of it from outside the router" if base[0] else ""
        if not close(state.open[j], base[0] + tally.work):
            problems.append(
                f"manager {mid!r} holds {tally.open} open lead(s) in the leads table, a "
                f"workload of {base[0] + tally.work:g}{outside}, but the state says "
                f"{state.open[j]:g}"
            )
        held = state.routed[j] + state.reassigned_in[j] - state.reassigned_out[j]
        if not close(held, base[1] + tally.held):
            problems.append(
                f"manager {mid!r} holds {base[1] + tally.held:g} lead(s) in the leads table, "
                f"but the state counts {held:g} (routed {state.routed[j]:g} + reassigned in "
                f"{state.reassigned_in[j]:g} - out {state.reassigned_out[j]:g})"
            )
        for k, name, count in ((2, "released", tally.released), (3, "won", tally.won)):
            got = float(getattr(state, name)[j])
            if not close(got, base[k] + count):
                problems.append(
                    f"manager {mid!r} has {base[k] + count:g} {name} lead(s) in the leads "
                    f"table, but the state counts {got:g}"
                )
    return problems


def state_problems(state: RouterState, ids: Sequence[str]) -> list[str]:
    """Values of the state no router writes: not finite, negative counts, flags not 0 or 1."""
    problems = []
    for name in ("open", "received", "target", "missed", "owed", "owed_since", "owed_until",
                 "prices"):  # fmt: skip
        values = getattr(state, name)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            j = int(bad[0])
            problems.append(f"its state holds {name} = {values[j]} for manager {ids[j]!r}")
    for name in ("open", "routed", "reassigned_in", "reassigned_out", "won", "released"):
        values = getattr(state, name)
        bad = np.flatnonzero((values < -1e-9) | ((values != np.round(values)) & (name != "open")))
        if bad.size:
            j = int(bad[0])
            problems.append(f"its state holds {name} = {values[j]:g} for manager {ids[j]!r}")
    for name in ("away", "paused"):
        values = getattr(state, name)
        bad = np.flatnonzero((values != 0.0) & (values != 1.0))
        if bad.size:
            j = int(bad[0])
            problems.append(f"its state holds {name} = {values[j]:g} for manager {ids[j]!r}")
    if not (math.isfinite(state.clock) or state.clock == -math.inf):
        problems.append(f"its state clock is {state.clock}")
    if not math.isfinite(state.unassigned_price):
        problems.append(f"its state holds unassigned_price = {state.unassigned_price}")
    if state.decisions < 0:
        problems.append(f"its state counts {state.decisions} decisions")
    return problems


def summary(problems: Sequence[str]) -> str:
    """Problems joined for one message, the first :data:`SHOWN` of them named."""
    text = "; ".join(problems[:SHOWN])
    if len(problems) > SHOWN:
        text += f"; and {len(problems) - SHOWN} more"
    return text


def close(a: float, b: float) -> bool:
    """Equal up to the rounding of sums of workloads."""
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(a)), abs(float(b)))


# -- the baseline --------------------------------------------------------------------------


def dumps_baseline(baseline: Baseline) -> str:
    """The baseline as stored in the meta table."""
    return json.dumps(baseline, sort_keys=True)


def loads_baseline(text: str | None) -> Baseline:
    """The baseline from the meta table (a ValueError if it is not one)."""
    try:
        raw = json.loads(text) if text is not None else None
    except ValueError:
        raw = None
    ok = isinstance(raw, dict) and all(
        isinstance(v, list)
        and len(v) == len(BASE_FIELDS)
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
        for v in raw.values()
    )
    if not ok or not isinstance(raw, dict):
        raise ValueError(
            "its baseline (meta 'baseline') must map manager ids to 4 numbers, "
            f"got {'nothing' if text is None else repr(text[:60])}"
        )
    return {str(k): [float(x) for x in v] for k, v in raw.items()}


def joining_baseline(open_load: float, tally: Tally | None) -> list[float]:
    """The baseline of a manager who joins with ``open_load``, given their earlier rows."""
    t = tally or Tally()
    return [open_load - t.work, -float(t.held), -float(t.released), -float(t.won)]
