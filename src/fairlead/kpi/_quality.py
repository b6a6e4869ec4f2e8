"""The data-quality rules of the event log: what is counted and reported, never silently fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import Int64Array, Locator

#: How many ids a finding lists as examples.
EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One data-quality rule that fired: what, how often, examples, and what was done.

    Attributes
    ----------
    code : str
        ``rows_out_of_order``, ``duplicate_events``, ``unknown_leads``,
        ``contact_before_assignment``, ``contact_without_assignment``,
        ``closed_twice``.
    count : int
        Rows or leads concerned.
    examples : tuple of str
        A few of the lead ids (or event ids / lines) concerned.
    message : str
        In words, with what fairlead did about it.
    """

    code: str
    count: int
    examples: tuple[str, ...]
    message: str

    @classmethod
    def rows_out_of_order(cls, count: int) -> Finding:
        """Rows whose moment is earlier than the row before them in the input."""
        return cls(
            "rows_out_of_order",
            count,
            (),
            f"{count} rows come earlier in time than the row before them; "
            "the log was sorted by time",
        )


@dataclass(frozen=True)
class DataQuality:
    """Everything the data-quality rules found in one event log.

    Examples
    --------
    >>> DataQuality().ok
    True
    """

    findings: tuple[Finding, ...] = ()
    events: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        """Whether no rule fired."""
        return not self.findings

    def get(self, code: str) -> Finding | None:
        """The finding with this code, or None."""
        return next((f for f in self.findings if f.code == code), None)

    def __str__(self) -> str:
        if self.ok:
            return f"{self.events} events, no data-quality findings"
        lines = [f"{self.events} events from {self.rows} rows; data-quality findings:"]
        lines += [f"- {f.message}" for f in self.findings]
        return "\n".join(lines)


def _signature(fields: dict[str, Any]) -> tuple[np.ndarray[Any, Any], ...]:
    """Every column of each row as integer keys (event ids apart)."""
    keys: list[np.ndarray[Any, Any]] = [fields["kind"].astype(np.int64), fields["at"]]
    keys += [fields[name] for name in ("lead", "client", "manager")]
    keys += [codes for codes, _ in fields["labels"].values()]
    # NaN has one bit pattern after nan_to_num's placeholder; -0.0 and 0.0 are one number.
    for values in fields["numbers"].values():
        clean = np.where(np.isnan(values), np.inf, values) + 0.0
        keys.append(clean.view(np.int64))
    keys.append(fields["complaint"].astype(np.int64))
    for values in fields["texts"].values():
        keys.append(_text_codes(values))
    return tuple(keys)


def _text_codes(values: np.ndarray[Any, Any]) -> Int64Array:
    filled = np.where(values == None, "\x00", values).astype(str)  # noqa: E711
    _, inverse = np.unique(filled, return_inverse=True)
    return inverse.astype(np.int64).ravel()


def _same_as_previous(keys: tuple[np.ndarray[Any, Any], ...], order: Int64Array) -> Any:
    same = np.ones(max(order.size - 1, 0), dtype=bool)
    for key in keys:
        k = key[order]
        same &= k[1:] == k[:-1]
    return same


_MIX = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(31)


def _hash_of_rows(fields: dict[str, Any], *, with_id: bool) -> npt.NDArray[np.uint64]:
    """A 64-bit hash of every column of each row: equal rows have equal hashes."""
    columns: list[np.ndarray[Any, Any]] = [fields["kind"].astype(np.int64), fields["at"]]
    columns += [fields[name] for name in ("lead", "client", "manager")]
    columns += [codes for codes, _ in fields["labels"].values()]
    for values in fields["numbers"].values():
        columns.append((np.where(np.isnan(values), np.inf, values) + 0.0).view(np.int64))
    columns.append(fields["complaint"].astype(np.int64))
    texts = list(fields["texts"].values()) + ([fields["event_id"]] if with_id else [])
    # A text column empty in every row tells no rows apart: left out.
    columns += [_text_hashes(values) for values in texts if (values != None).any()]  # noqa: E711
    return _mix(columns)


def _text_hashes(values: np.ndarray[Any, Any]) -> Int64Array:
    return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=values.size)


def _mix(columns: list[np.ndarray[Any, Any]]) -> npt.NDArray[np.uint64]:
    out = np.zeros(columns[0].size, dtype=np.uint64)
    for column in columns:
        out = (out ^ np.ascontiguousarray(column, dtype=np.int64).view(np.uint64)) * _MIX
        out ^= out >> _SHIFT
    return out


def _shared(hashes: npt.NDArray[Any]) -> Int64Array:
    """Rows whose hash another row has too, in row order."""
    order = np.argsort(hashes, kind="stable")
    ordered = hashes[order]
    same = ordered[1:] == ordered[:-1]
    flag = np.zeros(hashes.size, dtype=bool)
    flag[order[1:][same]] = True
    flag[order[:-1][same]] = True
    return np.flatnonzero(flag)


def take_rows(fields: dict[str, Any], rows: Int64Array) -> dict[str, Any]:
    """The log's columns (codes, numbers, labels, texts) at ``rows``."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "labels":
            out[name] = {k: (codes[rows], names) for k, (codes, names) in value.items()}
        elif isinstance(value, dict):
            out[name] = {k: v[rows] for k, v in value.items()}
        else:
            out[name] = value[rows]
    return out


def _same_id_same_content(part: dict[str, Any], locator: Locator) -> None:
    """Refuse two rows with one event id and different content, naming both rows."""
    event_id, row = part["event_id"], part["row"]
    ids = _text_codes(event_id)
    order = np.lexsort((row, ids))
    same_id = ids[order][1:] == ids[order][:-1]
    if not same_id.any():
        return
    same_row = _same_as_previous(_signature(part), order)
    clash = np.flatnonzero(same_id & ~same_row)
    if clash.size:
        first, second = int(row[order[clash[0]]]), int(row[order[clash[0] + 1]])
        raise locator.error(
            second,
            "event_id",
            f"the same event id as {locator.where(first)} with other content",
            event_id[order[clash[0] + 1]],
        )


def duplicate_rows(fields: dict[str, Any], locator: Locator) -> tuple[Any, Finding | None]:
    """Rows to keep, and the finding about exact duplicates.

    Two rows are the same event when every column is equal; with ``event_id`` given,
    rows with the same id must be equal in every column, or the log is refused,
    naming both rows. Rows are first matched by a hash of their columns; only rows
    whose hash repeats are compared column by column.
    """
    n = int(fields["kind"].size)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep, None
    event_id = fields["event_id"]
    has_id = event_id != None  # noqa: E711
    if has_id.any():
        with_id = np.flatnonzero(has_id)
        rows = with_id[_shared(_text_hashes(event_id[with_id]))]
        if rows.size:
            _same_id_same_content(take_rows(fields, rows), locator)
    rows = _shared(_hash_of_rows(fields, with_id=True))
    if rows.size == 0:
        return keep, None
    # Exact duplicates, with or without event ids: sort by every key, compare neighbours.
    part = take_rows(fields, rows)
    keys = (*_signature(part), _text_codes(part["event_id"]))
    order = np.lexsort((np.arange(rows.size), *reversed(keys)))
    same = _same_as_previous(keys, order)
    dropped = rows[order[1:][same]]
    if dropped.size == 0:
        return keep, None
    keep[dropped] = False
    lines = tuple(locator.where(int(k)) for k in np.sort(dropped)[:EXAMPLES])
    count = int(dropped.size)
    return keep, Finding(
        "duplicate_events",
        count,
        lines,
        f"{count} rows repeat an earlier row exactly (e.g. {lines[0]}); each event was "
        "counted once",
    )


def _lead_examples(lead_ids: tuple[str, ...], leads: Int64Array) -> tuple[str, ...]:
    return tuple(lead_ids[int(k)] for k in leads[:EXAMPLES])


def _first_time(kind: Any, lead: Int64Array, at: Int64Array, n_leads: int, code: int) -> Any:
    """Per lead: the first moment of an event type, or a huge number when there is none."""
    out = np.full(n_leads, np.iinfo(np.int64).max, dtype=np.int64)
    rows = (kind == code) & (lead >= 0)
    np.minimum.at(out, lead[rows], at[rows])
    return out


def find_issues(
    kind: Any, lead: Int64Array, at: Int64Array, lead_ids: tuple[str, ...]
) -> list[Finding]:
    """The rules that need the whole log: unknown leads, contact order, double closes.

    ``kind``, ``lead`` and ``at`` are the log's columns (type codes, lead codes into
    ``lead_ids``, epoch seconds).
    """
    found: list[Finding] = []
    n_leads = len(lead_ids)
    if n_leads == 0:
        return found
    none = np.iinfo(np.int64).max
    lead_rows = lead >= 0
    created = np.zeros(n_leads, dtype=bool)
    created[lead[lead_rows & (kind == schema.CREATED)]] = True
    seen = np.zeros(n_leads, dtype=bool)
    seen[lead[lead_rows]] = True
    unknown = np.flatnonzero(seen & ~created)
    if unknown.size:
        found.append(
            Finding(
                "unknown_leads",
                int(unknown.size),
                _lead_examples(lead_ids, unknown),
                f"{unknown.size} leads have events but no 'created' row (e.g. "
                f"{lead_ids[int(unknown[0])]!r}): kept as leads created before the log "
                "starts, without a time to assign",
            )
        )
    assigned = _first_time(kind, lead, at, n_leads, schema.ASSIGNED)
    contacted = _first_time(kind, lead, at, n_leads, schema.CONTACTED)
    has_contact = contacted != none
    without = np.flatnonzero(has_contact & (assigned == none))
    before = np.flatnonzero(has_contact & (assigned != none) & (contacted < assigned))
    if before.size:
        found.append(
            Finding(
                "contact_before_assignment",
                int(before.size),
                _lead_examples(lead_ids, before),
                f"{before.size} leads were contacted before they were assigned (e.g. "
                f"{lead_ids[int(before[0])]!r}): their response time cannot be "
                "measured and is left out",
            )
        )
    if without.size:
        found.append(
            Finding(
                "contact_without_assignment",
                int(without.size),
                _lead_examples(lead_ids, without),
                f"{without.size} leads were contacted but never assigned (e.g. "
                f"{lead_ids[int(without[0])]!r}): their response time is left out",
            )
        )
    closes = lead_rows & ((kind == schema.WON) | (kind == schema.LOST))
    per_lead = np.bincount(lead[closes], minlength=n_leads)
    twice = np.flatnonzero(per_lead > 1)
    if twice.size:
        found.append(
            Finding(
                "closed_twice",
                int(twice.size),
                _lead_examples(lead_ids, twice),
                f"{twice.size} leads were closed more than once (e.g. "
                f"{lead_ids[int(twice[0])]!r}): the first close counts",
            )
        )
    return found
