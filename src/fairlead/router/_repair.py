"""Repairing a router store: the state recomputed from the leads table, each change said.

A router refuses a store whose books do not add up (``docs/store.md``). The leads
table is the record of every decision; :func:`repair_store` takes it as the truth,
recomputes from it what the state counts, keeps what it cannot recount (fair shares,
prices, catch-up) when the state is readable, and reports every change it made.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from fairlead.records import Manager, Policy, coerce_policy, coerce_records
from fairlead.router._books import (
    Baseline,
    Books,
    Tally,
    dumps_baseline,
    joining_baseline,
    loads_baseline,
    read_books,
)
from fairlead.router._errors import DamagedStoreError, StoreError
from fairlead.router._format import COLUMNS, INDEXES, TABLES, columns, mark
from fairlead.router._inputs import (
    coerce_catch_up,
    instant,
    optional_seconds,
    sla_seconds,
    store_path,
)
from fairlead.router._settings import (
    dumps,
    loads,
    setting_changes,
    settings_record,
    team_changes,
    team_record,
)
from fairlead.router._state import CatchUp, RouterState
from fairlead.router._store import SqliteStore, _entry, dumps_ids, loads_ids
from fairlead.router._team import TeamTables

#: Leads named in one line of the report at most.
_NAMED = 5
#: What a rebuilt state is made of, for the report.
_REBUILT = (
    "rebuilt from the leads table (routed counts are the leads each manager holds, "
    "reassignment counts restart at zero, fair shares equal the fair counts, prices are "
    "zero: call reprice())"
)


@dataclass(frozen=True)
class StoreRepair:
    """What :func:`repair_store` found wrong and changed, in words.

    Attributes
    ----------
    path : str
        The store.
    changes : tuple of str
        Each change, with the ids and numbers involved; empty when the store's books
        added up and its settings were those given.
    written : bool
        Whether the changes were written (``False`` for a dry run, or nothing to do).
    """

    path: str
    changes: tuple[str, ...]
    written: bool

    @property
    def changed(self) -> bool:
        """Whether anything was (or, in a dry run, would be) changed."""
        return bool(self.changes)

    def __str__(self) -> str:
        if not self.changes:
            return f"the router store {self.path!r} needs no repair"
        verb = "repaired" if self.written else "would repair"
        lines = [f"{verb} the router store {self.path!r}: {len(self.changes)} change(s)"]
        return "\n".join([*lines, *(f"  - {change}" for change in self.changes)])


def repair_store(
    path: str | Path,
    managers: Any,
    policy: Policy | Mapping[str, Any] | None = None,
    *,
    catch_up: CatchUp | Mapping[str, Any] | None = None,
    sla: timedelta | Mapping[Any, timedelta] | None = None,
    share_half_life: timedelta | None = timedelta(days=30),
    max_hold: timedelta | None = timedelta(hours=3),
    dry_run: bool = False,
) -> StoreRepair:
    """Recompute a router store's state from its leads table, and say what changed.

    The leads table records every decision (who holds each lead, since when, whether
    it was released and how), so a router's open loads and counts follow from it.
    Repairing takes it as the truth:

    * missing tables are created (a missing leads table means its decisions are
      lost: the report says so); a store of an earlier fairlead gets each open lead's
      workload and the format marks;
    * a lead held by a manager never on the team goes back to the waiting queue;
    * open workloads, routed / released / won counts and the number of decisions are
      recounted from the rows, on top of each manager's load from outside the router
      (kept in the store; ``active_leads`` when it is lost);
    * a state that cannot be read (or is missing) is rebuilt: fair counts from the
      leads held (decayed by ``share_half_life``), fair shares equal to them, pauses
      from the event log, prices zero (call :meth:`Router.reprice`);
    * the team and settings become those given (as ``Router(..., reconfigure=True)``).

    It all happens in one transaction, logged in the store's event log as a
    ``repair`` line. A file that is not a router store, or of a newer format, is
    refused (:class:`StoreError`); rows that cannot be read at all are named, to be
    fixed or deleted by hand (:class:`DamagedStoreError`).

    Parameters
    ----------
    path : str or Path
        The SQLite file of the router store.
    managers, policy, catch_up, sla, share_half_life, max_hold
        The team and settings the store is for, as :class:`Router` takes them.
    dry_run : bool, default False
        Report what would change, and write nothing.

    Returns
    -------
    StoreRepair
        The changes, in words.

    Examples
    --------
    >>> import sqlite3, tempfile
    >>> from contextlib import closing
    >>> from datetime import datetime, timezone
    >>> import fairlead as fl
    >>> from fairlead.router import DamagedStoreError, repair_store
    >>> team = [{"id": "a", "max_active_leads": 5}, {"id": "b", "max_active_leads": 5}]
    >>> now = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    >>> path = tempfile.mkdtemp() + "/router.db"
    >>> with fl.Router(team, store=path) as router:
    ...     router.route({"id": "l-1", "score": 0.5}, now).manager_id
    'a'
    >>> with closing(sqlite3.connect(path)) as db, db:
    ...     _ = db.execute("UPDATE leads SET manager_id = 'ghost'")
    >>> try:
    ...     fl.Router(team, store=path)
    ... except DamagedStoreError as exc:
    ...     print(str(exc).split(";")[0].split(": ", 1)[1])
    lead 'l-1' is held by 'ghost', who was never on the team
    >>> print(repair_store(path, team))  # doctest: +ELLIPSIS
    repaired the router store '...router.db': 2 change(s)
      - lead 'l-1' was held by 'ghost', never on the team: back in the waiting queue
      - manager 'a': open workload 1 -> 0, leads held 1 -> 0
    >>> with fl.Router(team, store=path) as router:
    ...     router.waiting()
    ['l-1']
    """
    where = store_path(path)
    if where is None or not os.path.isfile(where) or os.path.getsize(where) == 0:
        raise StoreError(f"there is no router store at {where!r} to repair", path=where)
    records: list[Manager] = coerce_records(managers, Manager, "manager")
    rules = coerce_policy(policy)
    team = TeamTables(records, rules, None)
    settings = settings_record(
        rules,
        coerce_catch_up(catch_up),
        sla_seconds(sla),
        optional_seconds(share_half_life, "share_half_life"),
        optional_seconds(max_hold, "max_hold"),
    )
    store = SqliteStore(where, unmarked=True)
    try:
        db = store.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if store.kind() == "new":
                raise StoreError(f"there is no router store at {where!r} to repair", path=where)
            job = _Repair(store, team, records, settings)
            changes = job.run()
            if changes and not dry_run:
                job.write(changes)
                db.execute("COMMIT")
            else:
                db.execute("ROLLBACK")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise StoreError(f"cannot repair the router store {where!r}: {exc}", path=where) from None
    finally:
        store.close()
    return StoreRepair(where, tuple(changes), written=bool(changes) and not dry_run)


class _Repair:
    """One repair: what was read, what it becomes, and the changes in words."""

    def __init__(
        self,
        store: SqliteStore,
        team: TeamTables,
        records: list[Manager],
        settings: dict[str, Any],
    ) -> None:
        self.store, self.db, self.team = store, store.db, team
        self.ids = team.ids
        self.records = records
        self.settings = settings
        self.roster = team_record(records)
        self.changes: list[str] = []
        self.state = RouterState.empty(len(self.ids))
        self.baseline: Baseline = {}
        self.known: set[str] = set()
        self.version = 0
        self.generation = 0
        self.unmarked = False

    # -- reading ----------------------------------------------------------------------

    def run(self) -> list[str]:
        """Read, fix the rows, recount; returns the changes (nothing is written yet)."""
        self.unmarked = int(self.db.execute("PRAGMA user_version").fetchone()[0]) < 1
        self._tables()
        meta = self._meta()
        stored_ids = meta["ids"]
        self.known = meta["known"] | set(stored_ids or ()) | set(self.ids)
        state = self._stored_state(stored_ids)
        self._unreadable()
        self._rows()
        books = read_books(self.db, self.known)
        fresh_open = np.array([mg.active_leads for mg in self.records], dtype=np.float64)
        fresh_paused = np.array([not mg.available for mg in self.records], dtype=np.float64)
        if state is not None and stored_ids is not None:
            before = state.remap(stored_ids, self.ids) if stored_ids != self.ids else state
            newcomers = [j for j, mid in enumerate(self.ids) if mid not in stored_ids]
            before.open[newcomers] = fresh_open[newcomers]
            before.paused[newcomers] = fresh_paused[newcomers]
            after = before.copy()
        else:
            before = None
            after = self._rebuilt(fresh_paused)
        self.baseline = self._baseline(meta["baseline"], stored_ids, before, books, fresh_open)
        self._recount(after, books)
        if before is not None:
            self._compare(before, after)
        else:
            loads = [f"{mid!r} {after.open[j]:g}" for j, mid in enumerate(self.ids)]
            more = f" and {len(loads) - _NAMED} more" if len(loads) > _NAMED else ""
            self.changes.append(
                f"open workloads recounted: {', '.join(loads[:_NAMED])}{more}; "
                f"{after.decisions} decision(s)"
            )
        self.state = after
        self._setup_changes(meta, stored_ids)
        return self.changes

    def _tables(self) -> None:
        """Missing tables created; the workload column added to an earlier store's leads."""
        for table, statement in TABLES.items():
            found = columns(self.db, table)
            if not found:
                self.db.execute(statement)
                lost = " (the decisions it held are lost)" if table == "leads" else ""
                self.changes.append(f"its table {table!r} was missing: created empty{lost}")
            elif table == "leads" and found == COLUMNS["leads"][:-1]:
                self.db.execute("ALTER TABLE leads ADD COLUMN work REAL NOT NULL DEFAULT -1")
                self.changes.append(
                    "its leads had no workload column (a store of an earlier fairlead): "
                    "added, each open lead's workload computed from the team given"
                )
            elif found != COLUMNS[table]:
                raise self.store.damaged(
                    f"its table {table!r} has the columns ({', '.join(found)}), not "
                    f"({', '.join(COLUMNS[table])}); it cannot be repaired: move the file "
                    "aside and start a new store"
                )
        for statement in INDEXES:
            self.db.execute(statement)

    def _meta(self) -> dict[str, Any]:
        """The meta table, each record read or reported lost."""
        store, out = self.store, {}

        def read(key: str, what: str, reader: Any, default: Any) -> Any:
            text = store.meta(key)
            if text is None and self.unmarked and key != "manager_ids":
                return default  # an earlier fairlead did not keep it
            try:
                return reader(text)
            except ValueError as exc:
                if what:  # the baseline is reported with what replaces it (_baseline)
                    self.changes.append(f"its {what} could not be read ({exc}): set anew")
                return default

        out["ids"] = read("manager_ids", "team", loads_ids, None)
        out["known"] = set(read("known_ids", "list of known managers", loads_ids, []))
        out["baseline"] = read("baseline", "", loads_baseline, None)
        out["settings"] = read("settings", "settings", lambda t: loads(t, "settings"), None)
        out["team"] = read("team", "team attributes", lambda t: loads(t, "team"), None)
        generation = store.meta("generation")
        out["generation"] = int(generation) if generation and generation.isdigit() else 0
        self.generation = out["generation"]
        return out

    def _stored_state(self, stored_ids: list[str] | None) -> RouterState | None:
        """The stored state, or ``None`` (reported) when it is missing or unreadable."""
        try:
            loaded = self.store.load_state()
        except DamagedStoreError as exc:
            self.changes.append(f"its state row could not be read ({_detail(exc)}): {_REBUILT}")
            return None
        if loaded is None:
            self.changes.append(f"its state row was missing: {_REBUILT}")
            return None
        self.version, data = loaded
        if stored_ids is None:
            self.changes.append(f"its state could not be read without its team: {_REBUILT}")
            return None
        try:
            return RouterState.from_bytes(data, len(stored_ids))
        except ValueError as exc:
            self.changes.append(f"its state could not be read ({exc}): {_REBUILT}")
            return None

    # -- fixing the rows ---------------------------------------------------------------

    def _rows(self) -> None:
        """Strangers' leads back to the queue; kinds and workloads made consistent."""
        db = self.db
        known = dumps_ids(sorted(self.known))
        strangers = db.execute(
            "SELECT lead_id, manager_id, released_at IS NULL FROM leads "
            "WHERE manager_id IS NOT NULL AND manager_id NOT IN (SELECT value FROM json_each(?)) "
            "ORDER BY seq",
            (known,),
        ).fetchall()
        for lead_id, manager, pending in strangers:
            where = "back in the waiting queue" if pending else "kept released, with no manager"
            db.execute(
                "UPDATE leads SET manager_id = NULL, kind = 'waiting', work = 0, due_at = NULL, "
                "offered_at = NULL, reason = ? WHERE lead_id = ?",
                (f"put back by repair_store: its manager {manager!r} was never on the team",
                 lead_id),
            )  # fmt: skip
            self.changes.append(
                f"lead {lead_id!r} was held by {manager!r}, never on the team: {where}"
            )
        self._fix_kinds()
        self._fix_work()

    def _fix_kinds(self) -> None:
        rules = (
            ("waiting", "manager_id IS NULL AND kind != 'waiting'"),
            ("routed", "manager_id IS NOT NULL AND kind NOT IN ('routed', 'reassigned')"),
        )
        for kind, where in rules:
            ids = [r[0] for r in self.db.execute(f"SELECT lead_id FROM leads WHERE {where}")]
            if ids:
                self.db.execute(f"UPDATE leads SET kind = '{kind}' WHERE {where}")
                self.changes.append(f"{_leads(ids)}: kind set to {kind!r}, as their manager says")

    def _fix_work(self) -> None:
        """Workloads of open held leads that are missing or not numbers, from the team."""
        db = self.db
        db.execute("UPDATE leads SET work = 0 WHERE manager_id IS NULL AND work != 0")
        rows = db.execute(
            "SELECT lead_id, manager_id, CASE WHEN json_valid(lead) "
            "THEN json_extract(lead, '$.effort') END FROM leads "
            "WHERE manager_id IS NOT NULL AND (typeof(work) NOT IN ('real', 'integer') "
            "OR work < 0)"
        ).fetchall()
        factor = dict(zip(self.ids, self.team.effort_factor.tolist(), strict=True))
        fixed = []
        for lead_id, manager, effort in rows:
            if not isinstance(effort, int | float):
                continue  # an unreadable record: named by _unreadable
            work = float(effort) * factor.get(manager, 1.0)
            db.execute("UPDATE leads SET work = ? WHERE lead_id = ?", (work, lead_id))
            fixed.append(lead_id)
        if fixed and not any("workload column" in c for c in self.changes):
            self.changes.append(f"{_leads(fixed)}: workload computed from the team given")

    def _unreadable(self) -> None:
        """Rows no router can read: named, to be fixed by hand (nothing is guessed)."""
        bad = []
        query = f"SELECT {', '.join(COLUMNS['leads'])}, json_valid(lead) FROM leads"
        for *row, valid in self.db.execute(query):
            try:
                _entry(tuple(row))
                if not valid:
                    raise ValueError("its record is not JSON")
            except (TypeError, ValueError) as exc:
                bad.append(f"the row of lead {row[0]!r} cannot be read ({exc})")
            if len(bad) >= _NAMED:
                break
        if bad:
            raise self.store.damaged(
                "; ".join(bad) + ". These rows cannot be repaired automatically: fix or "
                "delete them by hand (sqlite3), then repair again"
            )

    # -- the state ---------------------------------------------------------------------

    def _rebuilt(self, paused: np.ndarray) -> RouterState:
        """A state from the rows alone: clock, decayed fair counts, shares, pauses."""
        db, ids = self.db, self.ids
        state = RouterState.empty(len(ids))
        clock = db.execute(
            "SELECT max(coalesce(max(routed_at), 0), coalesce(max(released_at), 0), "
            "coalesce(max(contacted_at), 0)) FROM leads"
        ).fetchone()[0]
        last_event = db.execute("SELECT max(at) FROM events").fetchone()[0]
        moments = [float(x) for x in (clock, last_event) if x]
        state.clock = max(moments) if moments else -np.inf
        half_life = self.settings["share_half_life"]
        index = {mid: j for j, mid in enumerate(ids)}
        held = db.execute(
            "SELECT manager_id, routed_at FROM leads WHERE manager_id IS NOT NULL"
        ).fetchall()
        for manager, routed_at in held:
            j = index.get(manager)
            if j is None:
                continue
            age = max(state.clock - float(routed_at), 0.0)
            state.received[j] += 1.0 if half_life is None else 0.5 ** (age / half_life)
        state.target = state.received.copy()
        state.paused = paused.copy()
        for manager, kind in db.execute(
            "SELECT manager_id, kind FROM events WHERE kind IN ('pause', 'resume') ORDER BY seq"
        ):
            if manager in index:
                state.paused[index[manager]] = float(kind == "pause")
        return state

    def _baseline(
        self,
        stored: Baseline | None,
        stored_ids: list[str] | None,
        before: RouterState | None,
        books: Books,
        fresh_open: np.ndarray,
    ) -> Baseline:
        """Each manager's load and counts from outside the rows, kept or set anew."""
        out: Baseline = {}
        from_state: list[str] = []
        from_records: list[str] = []
        for j, mid in enumerate(self.ids):
            tally = books.by_manager.get(mid, Tally())
            member = stored_ids is not None and mid in stored_ids
            if member and stored is not None and mid in stored:
                out[mid] = list(stored[mid])
            elif member and before is not None:
                held = before.routed[j] + before.reassigned_in[j] - before.reassigned_out[j]
                out[mid] = [
                    float(before.open[j]) - tally.work,
                    float(held) - tally.held,
                    float(before.released[j]) - tally.released,
                    float(before.won[j]) - tally.won,
                ]
                from_state.append(repr(mid))
            elif before is not None:  # joins now, as a reopened router would take them
                out[mid] = joining_baseline(float(fresh_open[j]), tally)
            else:
                out[mid] = [float(fresh_open[j]), 0.0, 0.0, 0.0]
                from_records.append(f"{mid!r} {fresh_open[j]:g}")
            if out[mid][0] + tally.work < 0.0:
                out[mid][0] = -tally.work
        if (from_state or from_records) and stored is None and not self.unmarked:
            taken = [
                *([f"from the state for {', '.join(from_state)}"] if from_state else []),
                *([f"as active_leads: {', '.join(from_records)}"] if from_records else []),
            ]
            self.changes.append(
                "the loads each manager holds from outside the router were lost; taken "
                + "; ".join(taken)
            )
        return out

    def _recount(self, state: RouterState, books: Books) -> None:
        """Open loads and counts from the rows on top of the baseline."""
        for j, mid in enumerate(self.ids):
            tally = books.by_manager.get(mid, Tally())
            base = self.baseline[mid]
            state.open[j] = base[0] + tally.work
            routed = base[1] + tally.held - state.reassigned_in[j] + state.reassigned_out[j]
            if routed < 0:  # moves the state counted that the rows do not show
                base[1] -= routed
                routed = 0.0
            state.routed[j] = routed
            state.released[j] = base[2] + tally.released
            state.won[j] = base[3] + tally.won
        state.decisions = books.rows + books.reassignments

    def _compare(self, before: RouterState, after: RouterState) -> None:
        names = (("open", "open workload"), ("routed", "routed"), ("released", "released"),
                 ("won", "won"))  # fmt: skip
        for j, mid in enumerate(self.ids):
            moved = [
                f"{label} {getattr(before, name)[j]:g} -> {getattr(after, name)[j]:g}"
                for name, label in names
                if getattr(before, name)[j] != getattr(after, name)[j]
            ]
            held_before = before.routed[j] + before.reassigned_in[j] - before.reassigned_out[j]
            held_after = after.routed[j] + after.reassigned_in[j] - after.reassigned_out[j]
            if held_before != held_after:
                moved = [m for m in moved if not m.startswith("routed")]
                moved.append(f"leads held {held_before:g} -> {held_after:g}")
            if moved:
                self.changes.append(f"manager {mid!r}: " + ", ".join(moved))
        if before.decisions != after.decisions:
            self.changes.append(f"decisions {before.decisions} -> {after.decisions}")

    def _setup_changes(self, meta: dict[str, Any], stored_ids: list[str] | None) -> None:
        """The team and settings given, against those stored."""
        if meta["settings"] is not None:
            changed = setting_changes(meta["settings"], self.settings)
            if changed:
                self.changes.append("settings now those given: " + "; ".join(changed))
        if meta["team"] is not None and stored_ids is not None:
            moved = team_changes(meta["team"], stored_ids, self.roster, self.ids)
            if moved:
                self.changes.append("team now the one given: " + "; ".join(moved))
        if self.unmarked:
            self.changes.append("marked as a fairlead router store (format 1)")

    # -- writing -----------------------------------------------------------------------

    def write(self, changes: list[str]) -> None:
        """State, team, baseline, settings and marks, and a ``repair`` line in the log."""
        store = self.store
        store.save_state(self.version + 1, self.state.to_bytes())
        store.set_meta("manager_ids", dumps_ids(self.ids))
        store.set_meta("known_ids", dumps_ids(sorted(self.known)))
        store.set_meta("baseline", dumps_baseline(self.baseline))
        store.set_meta("settings", dumps(self.settings))
        store.set_meta("team", dumps(self.roster))
        store.set_meta("generation", str(self.generation + 1))
        store.log(instant(None), "repair", None, None, "; ".join(changes))
        mark(self.db)


def _leads(ids: list[str]) -> str:
    """``lead 'a'`` or ``leads 'a', 'b' and 3 more``."""
    named = ", ".join(map(repr, ids[:_NAMED]))
    more = f" and {len(ids) - _NAMED} more" if len(ids) > _NAMED else ""
    return f"lead {named}" if len(ids) == 1 else f"leads {named}{more}"


def _detail(exc: Exception) -> str:
    """A store error's message without the store's name."""
    return str(exc).split(" is damaged: ", 1)[-1]
