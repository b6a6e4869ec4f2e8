"""Each lead's life read off the event log: created, assigned, contacted, stages, closed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import FloatArray, Int64Array
from fairlead.kpi._log import EventLog
from fairlead.records import InputError, label_key

_NONE = np.iinfo(np.int64).max


@dataclass(frozen=True)
class Leads:
    """One entry per lead of the log (index = code into ``log.lead_ids``).

    Times are seconds since the epoch (UTC), NaN when the event did not happen.

    Attributes
    ----------
    created_at, assigned_at : ndarray
        Creation and first assignment.
    owner : ndarray of int64
        Manager of the last assignment (-1: never assigned).
    first_owner : ndarray of int64
    assignments : ndarray of int64
        How many times the lead was assigned.
    contacted_at : ndarray
        First contact.
    response_from : ndarray
        The assignment the first contact answered (the last one before it); NaN
        when the contact came before any assignment.
    responder : ndarray of int64
        Manager who held the lead at the first contact (-1: nobody).
    stage : ndarray of int64
        Furthest funnel stage reached (index into :attr:`funnel`; -1: none). A won
        lead has passed every stage.
    closed_at : ndarray
        First close.
    outcome : ndarray of int8
        1 won, 0 lost, -1 open.
    closer : ndarray of int64
        Manager who held the lead when it closed.
    amount : ndarray
        Won amount (the ``won`` row's, else the lead's deal value); NaN if not won.
    deal_value, score, win_probability : ndarray
        From the ``created`` row and the last ``assigned`` row.
    source, product, segment, tier, method : ndarray of int64
        Label codes (-1 not given); ``method`` of the last assignment.
    client : ndarray of int64
    funnel : tuple of str
        The stages in funnel order.
    """

    created_at: FloatArray
    assigned_at: FloatArray
    owner: Int64Array
    first_owner: Int64Array
    assignments: Int64Array
    contacted_at: FloatArray
    response_from: FloatArray
    responder: Int64Array
    stage: Int64Array
    closed_at: FloatArray
    outcome: np.ndarray[tuple[int], np.dtype[np.int8]]
    closer: Int64Array
    amount: FloatArray
    deal_value: FloatArray
    score: FloatArray
    win_probability: FloatArray
    source: Int64Array
    product: Int64Array
    segment: Int64Array
    tier: Int64Array
    method: Int64Array
    client: Int64Array
    funnel: tuple[str, ...]

    @property
    def size(self) -> int:
        """Number of leads."""
        return int(self.owner.size)


def _first(log: EventLog, code: int, n: int) -> tuple[Int64Array, Int64Array]:
    """Per lead: row of the first event of a type (or -1) and its moment (or _NONE)."""
    rows = np.flatnonzero((log.kind == code) & (log.lead >= 0))
    row = np.full(n, -1, dtype=np.int64)
    # Rows are sorted by time: a lead's first row is its earliest.
    leads, first = np.unique(log.lead[rows], return_index=True)
    row[leads] = rows[first]
    at = np.full(n, _NONE, dtype=np.int64)
    at[leads] = log.at[row[leads]]
    return row, at


def _last(log: EventLog, code: int, n: int) -> Int64Array:
    rows = np.flatnonzero((log.kind == code) & (log.lead >= 0))
    row = np.full(n, -1, dtype=np.int64)
    # The first occurrence in the reversed rows is the lead's last row.
    leads, first = np.unique(log.lead[rows][::-1], return_index=True)
    row[leads] = rows[::-1][first]
    return row


class Owners:
    """Who held each lead at a given moment: the manager of its last assignment before it.

    Examples
    --------
    >>> log = EventLog.from_records([
    ...     {"type": "assigned", "at": "2026-11-02T09:00", "lead_id": "l", "manager_id": "a"},
    ...     {"type": "assigned", "at": "2026-11-02T12:00", "lead_id": "l", "manager_id": "b"},
    ... ])
    >>> owners = Owners(log)
    >>> import numpy as np
    >>> t = log.at[0] + np.array([-60, 60, 4 * 3600])
    >>> [log.manager_ids[k] if k >= 0 else None for k in owners.at(np.zeros(3, int), t)[0]]
    [None, 'a', 'b']
    """

    def __init__(self, log: EventLog) -> None:
        rows = np.flatnonzero((log.kind == schema.ASSIGNED) & (log.lead >= 0))
        self._t0 = int(log.at.min()) if len(log) else 0
        self._span = int(log.at.max()) - self._t0 + 2 if len(log) else 2
        key = log.lead[rows] * self._span + (log.at[rows] - self._t0)
        order = np.argsort(key, kind="stable")
        self._key = key[order]
        self._lead = log.lead[rows][order]
        self._manager = log.manager[rows][order]
        self._at = log.at[rows][order]

    def at(self, leads: Int64Array, moments: Int64Array) -> tuple[Int64Array, Int64Array]:
        """Manager holding each lead at each moment (-1 none) and when they got it."""
        if self._key.size == 0:  # no assignment in the log: nobody holds anything
            return np.full(leads.size, -1, dtype=np.int64), np.full(leads.size, _NONE)
        # A moment outside the log's span is read at its edge, so a key never reaches
        # into the range of the next or previous lead.
        key = leads * self._span + np.clip(moments - self._t0, -1, self._span - 2)
        k = np.searchsorted(self._key, key, side="right") - 1
        ok = k >= 0
        ok[ok] = self._lead[k[ok]] == leads[ok]
        manager = np.where(ok, self._manager[np.maximum(k, 0)], -1) if k.size else k
        since = np.where(ok, self._at[np.maximum(k, 0)], _NONE) if k.size else k
        return manager.astype(np.int64), since.astype(np.int64)


def funnel_order(log: EventLog, funnel: Sequence[str] | None) -> tuple[Int64Array, tuple[str, ...]]:
    """Map each stage label code to its funnel position, and the funnel's stage names.

    With ``funnel`` given, its stages in its order (a stage in the log but not in the
    funnel is an error naming it). Without, stages ordered by how many leads reached
    them, most first (a funnel narrows); ties by the moment each was first reached,
    then by name, so the order of the log's rows does not matter.
    """
    codes, names = log.labels["stage"]
    position = np.full(len(names), -1, dtype=np.int64)
    if funnel is not None:
        keys = [label_key(str(s)) for s in funnel]
        if len(set(keys)) != len(keys):
            raise InputError(f"funnel names a stage twice: {list(funnel)}", field="funnel")
        for code, name in enumerate(names):
            key = label_key(name)
            if key not in keys:
                raise InputError(
                    f"stage {name!r} of the event log is not in the funnel {list(funnel)}",
                    field="funnel",
                    value=name,
                )
            position[code] = keys.index(key)
        return position, tuple(str(s) for s in funnel)
    rows = codes >= 0
    pairs = np.unique(np.stack([log.lead[rows], codes[rows]]), axis=1) if rows.any() else None
    reach = (
        np.bincount(pairs[1], minlength=len(names))
        if pairs is not None
        else np.zeros(len(names), dtype=np.int64)
    )
    # Ties: the stage reached first in time, then by name (never by the rows' order).
    first = np.full(len(names), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, codes[rows], log.at[rows])
    by_name = np.argsort(np.argsort(np.array([label_key(n) for n in names], dtype=object)))
    order = np.lexsort((by_name, first, -reach))
    position[order] = np.arange(len(names))
    return position, tuple(names[k] for k in order)


def lead_table(log: EventLog, *, funnel: Sequence[str] | None = None) -> Leads:
    """Each lead's life (see :class:`Leads`).

    Examples
    --------
    >>> log = EventLog.from_records([
    ...     {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l", "deal_value": 900},
    ...     {"type": "assigned", "at": "2026-11-02T09:02", "lead_id": "l", "manager_id": "a"},
    ...     {"type": "contacted", "at": "2026-11-02T09:12", "lead_id": "l"},
    ...     {"type": "won", "at": "2026-11-05T15:00", "lead_id": "l"},
    ... ])
    >>> t = lead_table(log)
    >>> (t.contacted_at - t.response_from)[0] / 60, t.outcome[0], t.amount[0]
    (np.float64(10.0), np.int8(1), np.float64(900.0))
    """
    n = len(log.lead_ids)
    owners = Owners(log)

    def seconds(at: Int64Array) -> FloatArray:
        return np.where(at == _NONE, np.nan, at.astype(np.float64))

    created_row, created = _first(log, schema.CREATED, n)
    assigned_row, assigned = _first(log, schema.ASSIGNED, n)
    last_assigned = _last(log, schema.ASSIGNED, n)
    contact_row, contacted = _first(log, schema.CONTACTED, n)

    lead_codes = np.arange(n, dtype=np.int64)
    has_contact = contact_row >= 0
    responder, since = owners.at(lead_codes, np.where(has_contact, contacted, 0))
    responder = np.where(has_contact, responder, -1)
    # A contact row naming its manager says who answered.
    named = has_contact & (log.manager[np.maximum(contact_row, 0)] >= 0)
    responder = np.where(named, log.manager[np.maximum(contact_row, 0)], responder)
    response_from = np.where(has_contact & (since != _NONE), since, _NONE)

    closes = np.flatnonzero(
        ((log.kind == schema.WON) | (log.kind == schema.LOST)) & (log.lead >= 0)
    )
    close_row = np.full(n, -1, dtype=np.int64)
    leads_closed, first = np.unique(log.lead[closes], return_index=True)
    close_row[leads_closed] = closes[first]
    closed = np.where(close_row >= 0, log.at[np.maximum(close_row, 0)], _NONE)
    outcome = np.full(n, -1, dtype=np.int8)
    is_closed = close_row >= 0
    outcome[is_closed] = (log.kind[close_row[is_closed]] == schema.WON).astype(np.int8)
    closer, _ = owners.at(lead_codes, np.where(is_closed, closed, 0))
    named_close = is_closed & (log.manager[np.maximum(close_row, 0)] >= 0)
    closer = np.where(named_close, log.manager[np.maximum(close_row, 0)], closer)
    closer = np.where(is_closed, closer, -1)

    def from_row(values: np.ndarray, rows: Int64Array, missing: float | int) -> np.ndarray:
        return np.where(rows >= 0, values[np.maximum(rows, 0)], missing)

    deal_value = from_row(log.numbers["deal_value"], created_row, np.nan)
    won_amount = from_row(log.numbers["amount"], close_row, np.nan)
    amount = np.where(outcome == 1, np.where(np.isnan(won_amount), deal_value, won_amount), np.nan)

    position, stages = funnel_order(log, funnel)
    stage_codes = log.labels["stage"][0]
    stage = np.full(n, -1, dtype=np.int64)
    rows = (stage_codes >= 0) & (log.lead >= 0)
    if rows.any():
        np.maximum.at(stage, log.lead[rows], position[stage_codes[rows]])
    stage = np.where(outcome == 1, len(stages) - 1, stage)

    first_owner = from_row(log.manager, assigned_row, -1)
    owner = from_row(log.manager, last_assigned, -1)
    count = np.bincount(log.lead[(log.kind == schema.ASSIGNED) & (log.lead >= 0)], minlength=n)
    return Leads(
        created_at=seconds(created),
        assigned_at=seconds(assigned),
        owner=owner.astype(np.int64),
        first_owner=first_owner.astype(np.int64),
        assignments=count.astype(np.int64),
        contacted_at=seconds(contacted),
        response_from=seconds(response_from),
        responder=responder.astype(np.int64),
        stage=stage,
        closed_at=seconds(closed),
        outcome=outcome,
        closer=closer.astype(np.int64),
        amount=amount,
        deal_value=deal_value,
        score=from_row(log.numbers["score"], created_row, np.nan),
        win_probability=from_row(log.numbers["win_probability"], last_assigned, np.nan),
        source=from_row(log.labels["source"][0], created_row, -1).astype(np.int64),
        product=from_row(log.labels["product"][0], created_row, -1).astype(np.int64),
        segment=from_row(log.labels["segment"][0], created_row, -1).astype(np.int64),
        tier=from_row(log.labels["tier"][0], created_row, -1).astype(np.int64),
        method=from_row(log.labels["method"][0], last_assigned, -1).astype(np.int64),
        client=from_row(log.client, created_row, -1).astype(np.int64),
        funnel=stages,
    )
