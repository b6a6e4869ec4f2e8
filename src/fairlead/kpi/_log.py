"""The event log: every row validated once, stored as numpy columns, sorted by time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

import fairlead.kpi._schema as schema
from fairlead.kpi._cells import (
    BoolArray,
    FloatArray,
    Int64Array,
    Locator,
    ObjectArray,
    present,
    read_flag_column,
    read_id_column,
    read_label_column,
    read_number_column,
    read_text_column,
    read_time_column,
)
from fairlead.kpi._quality import DataQuality, Finding, duplicate_rows, find_issues, take_rows
from fairlead.records import InputError, epoch_seconds, read_time


@dataclass(frozen=True, repr=False)
class EventLog:
    """What a CRM knows about each lead and client over time, validated and sorted.

    Build one with :func:`read_events` (a CSV or JSON file) or
    :meth:`EventLog.from_records` (a list of dicts or a pandas DataFrame). Rows are
    sorted by time; rows at the same moment keep a lead's life order (see
    ``docs/kpi.md``). Duplicates are dropped and reported in :attr:`quality`.

    Attributes
    ----------
    kind : ndarray of int8
        Event type code per row: index into :data:`EVENT_TYPES`.
    at : ndarray of int64
        Moment of each row, whole seconds since the epoch (UTC).
    lead, client, manager : ndarray of int64
        Codes into :attr:`lead_ids`, :attr:`client_ids`, :attr:`manager_ids`; -1 when
        the row has none.
    lead_ids, client_ids, manager_ids : tuple of str
    labels : dict
        Label column name → (codes, names): ``source``, ``product``, ``segment``,
        ``tier``, ``method``, ``stage``; code -1 where not given.
    numbers : dict
        Number column name → float array, NaN where not given: ``score``,
        ``deal_value``, ``win_probability``, ``amount``, ``csat``, ``nps``.
    complaint : ndarray of int8
        1 yes, 0 no, -1 not given.
    texts : dict
        ``assigned_by`` and ``reason`` as object arrays (None where not given).
    event_id : ndarray of object
    row : ndarray of int64
        Row of each event in the input (0-based), for messages.
    source : str
        Where the rows came from.
    quality : DataQuality
        What the data-quality rules found.
    """

    kind: npt.NDArray[np.int8]
    at: Int64Array
    lead: Int64Array
    client: Int64Array
    manager: Int64Array
    lead_ids: tuple[str, ...]
    client_ids: tuple[str, ...]
    manager_ids: tuple[str, ...]
    labels: dict[str, tuple[Int64Array, tuple[str, ...]]]
    numbers: dict[str, FloatArray]
    complaint: npt.NDArray[np.int8]
    texts: dict[str, ObjectArray]
    event_id: ObjectArray
    row: Int64Array
    source: str = "events"
    quality: DataQuality = field(default_factory=DataQuality)

    def __len__(self) -> int:
        return int(self.kind.size)

    def __repr__(self) -> str:
        return (
            f"EventLog({len(self)} events, {len(self.lead_ids)} leads, "
            f"{len(self.manager_ids)} managers, {len(self.client_ids)} clients)"
        )

    @property
    def start(self) -> datetime | None:
        """The first moment in the log (naive UTC), or None for an empty log."""
        return _moment(int(self.at[0])) if len(self) else None

    @property
    def end(self) -> datetime | None:
        """The last moment in the log (naive UTC), or None for an empty log."""
        return _moment(int(self.at[-1])) if len(self) else None

    def label(self, column: str) -> tuple[Int64Array, tuple[str, ...]]:
        """Codes and names of a label column."""
        return self.labels[column]

    def count(self, event_type: str) -> int:
        """How many rows of one type the log holds.

        Examples
        --------
        >>> log = EventLog.from_records([
        ...     {"type": "created", "at": "2026-11-02T09:00", "lead_id": "l-1"},
        ...     {"type": "assigned", "at": "2026-11-02T09:01", "lead_id": "l-1",
        ...      "manager_id": "m-1"},
        ... ])
        >>> log.count("assigned"), log.manager_ids
        (1, ('m-1',))
        """
        return int(np.count_nonzero(self.kind == schema.TYPE_CODE[event_type]))

    @classmethod
    def from_records(cls, records: Any, *, now: Any = None, source: str = "events") -> EventLog:
        """A log from a list of dicts or a pandas DataFrame (one row per event).

        Parameters
        ----------
        records : list of dict or pandas.DataFrame
            Columns as in ``docs/kpi.md``; a column outside the schema is refused.
        now : datetime or str, optional
            The moment the log was taken: an event after it is refused.
        source : str
            Name shown in messages.
        """
        return build_log(_columns_of(records), Locator(source), now=now, source=source)

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, Any], *, now: Any = None, source: str = "events"
    ) -> EventLog:
        """A log from a mapping of column name → sequence of values (all one length)."""
        arrays = {str(k): _as_array(v, str(k)) for k, v in columns.items()}
        return build_log(arrays, Locator(source), now=now, source=source)


def _moment(seconds: int) -> datetime:
    return np.datetime64(seconds, "s").astype(datetime)  # type: ignore[no-any-return]


def _as_array(values: Any, name: str) -> ObjectArray:
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise InputError(f"column {name!r} must be one-dimensional, got shape {values.shape}")
        return values
    if hasattr(values, "to_numpy"):
        return np.asarray(values.to_numpy())
    if isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise InputError(f"column {name!r} must be a sequence of values, got {values!r}")
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    return array


def _columns_of(records: Any) -> dict[str, ObjectArray]:
    from fairlead.records import Rows

    rows = Rows(records, id_field="event_id", kind="event")
    return {name: rows.column(name, required=False) for name in rows.names}


def _check_names(columns: Mapping[str, ObjectArray], locator: Locator) -> int:
    # A file's message starts with its name: "events.csv: column 'foo' is not ...".
    where = f"{locator.source}: " if locator.lines is not None else ""
    unknown = [name for name in columns if name not in schema.COLUMNS]
    if unknown:
        known = ", ".join(schema.COLUMNS)
        raise InputError(
            f"{where}column {unknown[0]!r} is not part of the event log (columns: {known})",
            field=unknown[0],
            value=unknown[0],
        )
    for name in ("type", "at"):
        if name not in columns:
            raise InputError(f"{where}the event log needs a column {name!r}", field=name)
    sizes = {name: int(v.size) for name, v in columns.items()}
    if len(set(sizes.values())) > 1:
        raise InputError(f"the event log's columns differ in length: {sizes}")
    return next(iter(sizes.values()))


def build_log(
    columns: Mapping[str, ObjectArray], locator: Locator, *, now: Any, source: str
) -> EventLog:
    """Validate the columns and build the sorted, de-duplicated :class:`EventLog`."""
    n = _check_names(columns, locator)
    given = {name: present(values) for name, values in columns.items()}
    all_rows = np.arange(n, dtype=np.int64)

    kind_given = given["type"]
    if not kind_given.all():
        raise locator.error(int(np.flatnonzero(~kind_given)[0]), "type", "an event needs a type")
    kind = _read_types(columns["type"], locator)
    _check_uses(kind, given, columns, locator)

    def rows_of(name: str) -> Int64Array:
        return all_rows[given[name]] if name in given else all_rows[:0]

    def values_of(name: str) -> ObjectArray:
        return columns[name][given[name]]

    if not given["at"].all():
        raise locator.error(int(np.flatnonzero(~given["at"])[0]), "at", "an event needs a moment")
    at = read_time_column(columns["at"], all_rows, locator, "at")
    if now is not None:
        limit = read_time(now, "now")
        assert limit is not None
        late = at > epoch_seconds(limit)
        if late.any():
            k = int(np.flatnonzero(late)[0])
            raise locator.error(
                k,
                "at",
                f"is after now ({limit.isoformat()}): the log cannot know the future",
                columns["at"][k],
            )

    ids: dict[str, tuple[Int64Array, tuple[str, ...]]] = {}
    for name in ("lead_id", "client_id", "manager_id"):
        codes = np.full(n, -1, dtype=np.int64)
        names: tuple[str, ...] = ()
        if name in columns and given[name].any():
            found, names = read_id_column(values_of(name), rows_of(name), locator, name)
            codes[given[name]] = found
        ids[name] = (codes, names)

    labels: dict[str, tuple[Int64Array, tuple[str, ...]]] = {}
    for name in schema.LABEL_COLUMNS:
        codes = np.full(n, -1, dtype=np.int64)
        names = ()
        if name in columns and given[name].any():
            found, names = read_label_column(values_of(name), rows_of(name), locator, name)
            codes[given[name]] = found
        labels[name] = (codes, names)

    numbers: dict[str, FloatArray] = {}
    for name in schema.NUMBER_COLUMNS:
        out = np.full(n, np.nan)
        if name in columns and given[name].any():
            out[given[name]] = read_number_column(
                values_of(name), rows_of(name), locator, name, schema.COLUMNS[name]
            )
        numbers[name] = out

    complaint = np.full(n, -1, dtype=np.int8)
    if "complaint" in columns and given["complaint"].any():
        complaint[given["complaint"]] = read_flag_column(
            values_of("complaint"), rows_of("complaint"), locator, "complaint"
        )

    texts: dict[str, ObjectArray] = {}
    for name in (*schema.TEXT_COLUMNS, "event_id"):
        out_text = np.full(n, None, dtype=object)
        if name in columns and given[name].any():
            out_text[given[name]] = read_text_column(values_of(name), rows_of(name), locator, name)
        texts[name] = out_text
    event_id = texts.pop("event_id")

    fields: dict[str, Any] = {
        "kind": kind,
        "at": at,
        "lead": ids["lead_id"][0],
        "client": ids["client_id"][0],
        "manager": ids["manager_id"][0],
        "labels": labels,
        "numbers": numbers,
        "complaint": complaint,
        "texts": texts,
        "event_id": event_id,
        "row": all_rows,
    }
    keep, duplicates = duplicate_rows(fields, locator)
    # By moment, then life order; a stable sort keeps the input order of equal rows.
    # (Moments are within datetime's years 1-9999, so the key cannot overflow.)
    order = np.argsort(at[keep] * len(schema.EVENT_TYPES) + kind[keep], kind="stable")
    chosen = np.flatnonzero(keep)[order]
    out_of_order = int(np.count_nonzero(np.diff(at) < 0))
    sorted_fields = take_rows(fields, chosen)
    log = EventLog(
        lead_ids=ids["lead_id"][1],
        client_ids=ids["client_id"][1],
        manager_ids=ids["manager_id"][1],
        source=source,
        **sorted_fields,
    )
    findings: list[Finding] = []
    if out_of_order:
        findings.append(Finding.rows_out_of_order(out_of_order))
    if duplicates is not None:
        findings.append(duplicates)
    findings.extend(find_issues(log.kind, log.lead, log.at, log.lead_ids))
    return _with_quality(log, DataQuality(tuple(findings), events=len(log), rows=n))


def _with_quality(log: EventLog, quality: DataQuality) -> EventLog:
    object.__setattr__(log, "quality", quality)
    return log


def _read_types(values: ObjectArray, locator: Locator) -> npt.NDArray[np.int8]:
    rows = np.arange(values.size, dtype=np.int64)
    codes, names = read_label_column(values, rows, locator, "type")
    table = np.empty(len(names), dtype=np.int8)
    for code, name in enumerate(names):
        key = name.strip().casefold().replace(" ", "_").replace("-", "_")
        if key not in schema.TYPE_CODE:
            bad = int(np.flatnonzero(codes == code)[0])
            raise locator.error(
                bad, "type", f"must be one of {', '.join(schema.EVENT_TYPES)}", values[bad]
            )
        table[code] = schema.TYPE_CODE[key]
    return table[codes]


def _a(column: str) -> str:
    """``a lead_id``, ``an amount``, ``an 'assigned'`` (quotes looked through)."""
    return f"{'an' if column.lstrip(chr(39))[:1] in tuple('aeiou') else 'a'} {column}"


def _check_uses(
    kind: npt.NDArray[np.int8],
    given: Mapping[str, BoolArray],
    columns: Mapping[str, ObjectArray],
    locator: Locator,
) -> None:
    """A value in a column the row's type does not use, or a needed one missing: refused."""
    first: tuple[int, str, str, Any] | None = None

    def note(rows: Int64Array, column: str, problem: str, with_value: bool) -> None:
        nonlocal first
        if rows.size and (first is None or int(rows[0]) < first[0]):
            k = int(rows[0])
            value = columns[column][k] if with_value else None
            first = (k, column, problem, value)

    for column in schema.COLUMNS:
        allowed = schema.ALLOWED_BY_TYPE[column][kind]
        required = schema.REQUIRED_BY_TYPE[column][kind]
        has = given.get(column)
        if has is None:
            missing = np.flatnonzero(required)
            if missing.size:
                name = schema.EVENT_TYPES[kind[missing[0]]]
                note(missing, column, f"{_a(repr(name))} event needs {_a(column)}", False)
            continue
        extra = np.flatnonzero(has & ~allowed)
        if extra.size:
            name = schema.EVENT_TYPES[kind[extra[0]]]
            note(extra, column, f"{_a(repr(name))} event has no {column}", True)
        missing = np.flatnonzero(required & ~has)
        if missing.size:
            name = schema.EVENT_TYPES[kind[missing[0]]]
            note(missing, column, f"{_a(repr(name))} event needs {_a(column)}", False)
    for type_name, options in schema.ONE_OF:
        of_type = kind == schema.TYPE_CODE[type_name]
        has_any = np.zeros(kind.size, dtype=bool)
        for column in options:
            if column in given:
                has_any |= given[column]
        lacking = np.flatnonzero(of_type & ~has_any)
        if lacking.size:
            words = " or ".join(options)
            note(lacking, options[0], f"{_a(repr(type_name))} event needs {words}", False)
    if first is not None:
        row, column, problem, value = first
        raise locator.error(row, column, problem, value)
