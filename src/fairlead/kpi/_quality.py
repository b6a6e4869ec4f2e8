"""The data-quality rules of the event log: what is counted and reported, never silently fixed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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


def duplicate_rows(fields: dict[str, Any], locator: Locator) -> tuple[Any, Finding | None]:
    """Rows to keep, and the finding about exact duplicates.

    Two rows are the same event when every column is equal; with ``event_id`` given,
    rows with the same id must be equal in every column, or the log is refused,
    naming both rows.
    """
    n = int(fields["kind"].size)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep, None
    keys = _signature(fields)
    event_id = fields["event_id"]
    has_id = event_id != None  # noqa: E711
    if has_id.any():
        ids = _text_codes(event_id)
        order = np.lexsort((np.arange(n), ids))
        same_id = (ids[order][1:] == ids[order][:-1]) & has_id[order][1:]
        if same_id.any():
            same_row = _same_as_previous(keys, order)
            clash = np.flatnonzero(same_id & ~same_row)
            if clash.size:
                first, second = int(order[clash[0]]), int(order[clash[0] + 1])
                raise locator.error(
                    second,
                    "event_id",
                    f"the same event id as {locator.where(first)} with other content",
                    event_id[second],
                )
    # Exact duplicates, with or without event ids: sort by every key, compare neighbours.
    order = np.lexsort((np.arange(n), *reversed(keys)))
    same = _same_as_previous((*keys, _text_codes(event_id)), order)
    dropped = order[1:][same]
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
