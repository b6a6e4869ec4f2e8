"""Files in: leads and managers from CSV or JSON, a policy from JSON.

Only the standard library reads and writes here (``csv``, ``json``): pandas is an
optional extra. Every error is a :class:`FileError` whose message names the file,
where in it (the line of a CSV record, the index and line of a JSON item), the
column or field and the offending value::

    leads.csv, line 5, column 'score': Input should be a valid number, ..., got 'abc'

Conventions of the files:

- The format follows the suffix: ``.csv`` (comma-separated, a header line naming
  the columns, UTF-8) or ``.json`` (a list of objects, one per record).
- An empty CSV cell, or ``null`` in JSON, means "not given": the field's default
  applies (a required field then reports the empty cell).
- Ids follow the id rule of :func:`fairlead.records.read_id`: surrounding spaces
  are dropped and a whole JSON number is the integer's text (``123.0`` is ``"123"``).
- JSON is read strictly (:func:`parse_json`): a key given twice in one object, at any
  depth, is refused rather than the last one silently winning, and so are ``NaN``,
  ``Infinity`` and numbers too large for a float (``1e999``). A CSV header that names
  a column twice is refused too.
- Outputs are written atomically: to a temporary file in the same directory, then
  renamed over the target, so an error never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from fairlead.records._errors import InputError
from fairlead.records._inputs import coerce_policy, coerce_records
from fairlead.records._json import JsonIssue, JsonIssueError, path_name, strict_loads
from fairlead.records._models import Lead, Manager, Policy

Format = Literal["csv", "json"]
PathLike = str | os.PathLike[str]
RecordT = TypeVar("RecordT", Lead, Manager)

_FORMATS: dict[str, Format] = {".csv": "csv", ".json": "json"}


class FileError(InputError):
    """A file that cannot be read, parsed, validated or written.

    The message names the file and, when known, the line (``line``), the JSON item
    (``item``, 0-based), the column or field (``field``) and the value (``value``).
    ``row`` is the 0-based index of the record, as in :class:`fairlead.InputError`.
    """

    __module__ = "fairlead.records"

    def __init__(
        self,
        message: str,
        *,
        source: str,
        line: int | None = None,
        item: int | None = None,
        row: int | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message, row=row, field=field, value=value)
        self.source = source
        self.line = line
        self.item = item


@dataclass(frozen=True)
class Table:
    """Records read from a CSV or JSON file, with where each one starts.

    Attributes
    ----------
    source : str
        Name of the file, as shown in messages.
    format : {"csv", "json"}
    records : list of dict
        One dict per record; ``None`` for an empty cell.
    lines : list of int
        Line of the file on which each record starts.
    columns : tuple of str or None
        The header of a CSV file (``None`` for JSON).
    header_line : int
        Line of the CSV header.
    """

    source: str
    format: Format
    records: list[dict[str, Any]]
    lines: list[int]
    columns: tuple[str, ...] | None = None
    header_line: int = 1

    @property
    def noun(self) -> str:
        """What a key is called in this format: ``"column"`` or ``"field"``."""
        return "column" if self.format == "csv" else "field"

    def where(self, row: int) -> str:
        """Where record ``row`` (0-based) is: ``"line 5"`` or ``"item 3 (line 14)"``."""
        if self.format == "csv":
            return f"line {self.lines[row]}"
        return f"item {row} (line {self.lines[row]})"

    def show(self, value: Any) -> str:
        """The value as this format writes it: ``'abc'`` for CSV, ``"abc"`` for JSON."""
        if value is None:
            return "an empty cell" if self.format == "csv" else "null"
        if self.format == "json":
            with contextlib.suppress(TypeError, ValueError):
                return json.dumps(value, ensure_ascii=False)
        return repr(value)


# --------------------------------------------------------------------------- reading


def file_format(path: PathLike, *, allowed: Sequence[Format] = ("csv", "json")) -> Format:
    """The format of ``path`` from its suffix.

    Raises
    ------
    FileError
        For a suffix other than the ``allowed`` ones.

    Examples
    --------
    >>> file_format("leads.CSV")
    'csv'
    >>> file_format("leads.xlsx")
    Traceback (most recent call last):
    ...
    fairlead.records.FileError: leads.xlsx: unknown file type '.xlsx'; use a .csv or .json file
    """
    source = os.fspath(path)
    suffix = Path(source).suffix
    fmt = _FORMATS.get(suffix.lower())
    if fmt is None or fmt not in allowed:
        kinds = " or ".join(f".{a}" for a in allowed)
        what = f"unknown file type {suffix!r}" if suffix else "no file suffix"
        raise FileError(f"{source}: {what}; use a {kinds} file", source=source, value=suffix)
    return fmt


def read_text(path: PathLike) -> str:
    """The UTF-8 text of a file (a byte-order mark is dropped), with readable errors."""
    source = os.fspath(path)
    try:
        data = Path(source).read_bytes()
    except FileNotFoundError:
        raise FileError(f"{source}: no such file", source=source) from None
    except IsADirectoryError:
        raise FileError(f"{source}: is a directory, not a file", source=source) from None
    except PermissionError:
        raise FileError(f"{source}: permission denied", source=source) from None
    except OSError as exc:
        raise FileError(f"{source}: cannot read: {exc.strerror or exc}", source=source) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileError(
            f"{source}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
            "save the file as UTF-8",
            source=source,
            line=line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_table(text: str, *, source: str, format: Format) -> Table:
    r"""Records from the text of a CSV or JSON file.

    Parameters
    ----------
    text : str
        The file's content.
    source : str
        Its name, for messages.
    format : {"csv", "json"}
        CSV: a header line, then one record per line; empty cells become ``None``.
        JSON: a list of objects.

    Returns
    -------
    Table

    Raises
    ------
    FileError
        For an empty file, a CSV without a proper header or with broken quoting,
        invalid JSON, or JSON that is not a list of objects.

    Examples
    --------
    >>> table = parse_table("id,score\nl-1,0.8\n\nl-2,\n", source="leads.csv", format="csv")
    >>> table.records, table.lines
    ([{'id': 'l-1', 'score': '0.8'}, {'id': 'l-2', 'score': None}], [2, 4])
    >>> try:
    ...     parse_table('[{"id": "l-1",}]', source="leads.json", format="json")
    ... except FileError as exc:
    ...     print(exc)
    leads.json, line 1, column 15: invalid JSON: Expecting property name enclosed in double quotes
    """
    if not text.strip():
        raise FileError(f"{source}: empty file", source=source)
    if format == "csv":
        return _parse_csv(text, source)
    return _parse_json_records(text, source)


def _parse_csv(text: str, source: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    columns: list[str] | None = None
    header_line = 0
    records: list[dict[str, Any]] = []
    lines: list[int] = []
    previous = 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            values = [c.strip() for c in cells]
            if not any(values):
                continue
            if columns is None:
                columns, header_line = _check_columns(values, source, start), start
                continue
            records.append(_csv_record(columns, values, source, start))
            lines.append(start)
    except csv.Error as exc:
        line = previous + 1  # where the broken record starts
        raise FileError(
            f"{source}, line {line}: broken CSV: {exc}", source=source, line=line
        ) from None
    if columns is None:  # pragma: no cover - guarded by the empty-text check
        raise FileError(f"{source}: empty file", source=source)
    named = tuple(c for c in columns if c)
    return Table(source, "csv", records, lines, columns=named, header_line=header_line)


def _check_columns(header: list[str], source: str, line: int) -> list[str]:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileError(
                f"{source}, line {line}, column {name!r}: duplicate column name in the header",
                source=source,
                line=line,
                field=name,
                value=name,
            )
        seen.add(name)
    return header


def _csv_record(columns: list[str], values: list[str], source: str, line: int) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for k, value in enumerate(values):
        name = columns[k] if k < len(columns) else ""
        if name:
            record[name] = value or None
        elif value:
            where = (
                f"cell {k + 1}, beyond the {len(columns)} columns of the header"
                if k >= len(columns)
                else f"column {k + 1}, which has no name in the header"
            )
            raise FileError(
                f"{source}, line {line}: value {value!r} in {where}",
                source=source,
                line=line,
                value=value,
            )
    for name in columns[len(values) :]:
        if name:
            record[name] = None
    return record


def _decode(text: str, source: str) -> Any:
    """Strictly parsed JSON; a :class:`FileError` for bad syntax, :class:`JsonIssueError` kept."""
    try:
        return _decode_with(strict_loads, text, source)
    except JsonIssueError:
        # The parse stopped at the issue: a syntax error further on is reported first,
        # as it would be without the strict checks.
        _decode_with(json.loads, text, source)
        raise


def _decode_with(loads: Callable[[str], Any], text: str, source: str) -> Any:
    try:
        return loads(text)
    except JsonIssueError:
        raise
    except ValueError as exc:
        raise _syntax_error(exc, source) from None
    except RecursionError:
        raise FileError(f"{source}: invalid JSON: nested too deeply", source=source) from None


def _syntax_error(exc: ValueError, source: str) -> FileError:
    if isinstance(exc, json.JSONDecodeError):
        return FileError(
            f"{source}, line {exc.lineno}, column {exc.colno}: invalid JSON: {exc.msg}",
            source=source,
            line=exc.lineno,
        )
    # e.g. an integer of more than 4300 digits
    return FileError(f"{source}: invalid JSON: {exc}", source=source)


def _issue_error(issue: JsonIssue, source: str) -> FileError:
    at = f", line {issue.line}" if issue.line is not None else ""
    return FileError(
        f"{source}{at}: {issue.describe()}",
        source=source,
        line=issue.line,
        field=path_name(issue.path) or None,
        value=issue.literal,
    )


def _load_json(text: str, source: str) -> Any:
    try:
        return _decode(text, source)
    except JsonIssueError as exc:
        raise _issue_error(exc.issue, source) from None


def parse_json(text: str, *, source: str) -> Any:
    r"""JSON text from outside, read strictly.

    Unlike :func:`json.loads`, a key given twice in one object (at any depth) is
    refused, not silently replaced by the last, and so are ``NaN``, ``Infinity`` and
    numbers too large for a float.

    Raises
    ------
    FileError
        For invalid JSON (naming line and column), a duplicate key or a number that is
        not finite (naming the line and the key's path).

    Examples
    --------
    >>> parse_json('{"weights": {"hot": 2}}', source="rules.json")
    {'weights': {'hot': 2}}
    >>> try:
    ...     parse_json('{"weights": {\n  "hot": 2,\n  "hot": 3\n}}', source="rules.json")
    ... except FileError as exc:
    ...     print(exc)
    rules.json, line 3: key 'weights.hot' appears twice (first on line 2)
    """
    return _load_json(text, source)


def _json_type(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _item_lines(text: str) -> list[int]:
    """Line on which each item of the (valid) top-level JSON list in ``text`` starts."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = _skip_space(text, 0) + 1  # past "["
    line, counted = 1, 0
    while True:
        pos = _skip_space(text, pos)
        if text.startswith("]", pos):
            return lines
        line += text.count("\n", counted, pos)
        counted = pos
        lines.append(line)
        _, pos = decoder.raw_decode(text, pos)
        pos = _skip_space(text, pos) + 1  # past "," or "]"
        if text[pos - 1] == "]":
            return lines


def _record_issue_error(issue: JsonIssue, text: str, source: str) -> FileError:
    """A duplicate key or bad number in a list of records, naming the item and its id."""
    if not (issue.path and isinstance(issue.path[0], int)):
        return _issue_error(issue, source)
    item = issue.path[0]
    ident = ""
    # The file parses (``_decode`` checked): read it leniently to name the record by id.
    data = _decode_with(json.loads, text, source)
    if isinstance(data, list) and item < len(data) and isinstance(data[item], dict):
        value = data[item].get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            ident = f" (id {value!r})"
    at = f", line {issue.line}" if issue.line is not None else ""
    return FileError(
        f"{source}{at}, item {item}{ident}: {issue.describe(start=1)}",
        source=source,
        line=issue.line,
        item=item,
        row=item,
        field=path_name(issue.path[1:]) or None,
        value=issue.literal,
    )


def _parse_json_records(text: str, source: str) -> Table:
    try:
        data = _decode(text, source)
    except JsonIssueError as exc:
        raise _record_issue_error(exc.issue, text, source) from None
    if not isinstance(data, list):
        raise FileError(
            f"{source}: expected a JSON list of objects (one per record), got {_json_type(data)}",
            source=source,
        )
    lines = _item_lines(text)
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise FileError(
                f"{source}, item {i} (line {lines[i]}): expected an object, got {_json_type(item)}",
                source=source,
                line=lines[i],
                item=i,
                row=i,
                value=item,
            )
    return Table(source, "json", data, lines)


def read_table(path: PathLike) -> Table:
    """Records of a CSV or JSON file (format by suffix); see :func:`parse_table`."""
    fmt = file_format(path)
    return parse_table(read_text(path), source=os.fspath(path), format=fmt)


def read_records(path: PathLike) -> list[dict[str, Any]]:
    """The records of a CSV or JSON file as dicts (empty CSV cells are ``None``)."""
    return read_table(path).records


# ------------------------------------------------------------------------ validation


def _suggest(name: str, options: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(options), n=1, cutoff=0.6)
    if not close:
        close = [o for o in options if o.lower() == name.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _check_header(table: Table, model: type[BaseModel], kind: str) -> None:
    """Reject a CSV header that is no header, or has unknown or missing columns."""
    columns = table.columns or ()
    # ``features`` is a mapping, not a column: a file has no way to fill it.
    fields = [name for name in model.model_fields if name != "features"]
    src, line = table.source, table.header_line
    listing = ", ".join(fields)
    if not any(c in fields for c in columns):
        got = ",".join(columns)
        raise FileError(
            f"{src}, line {line}: expected a header line naming the {kind} columns "
            f"({listing}), got {got!r}",
            source=src,
            line=line,
            value=got,
        )
    for name in columns:
        if name not in fields:
            raise FileError(
                f"{src}, line {line}, column {name!r}: unknown {kind} column"
                f"{_suggest(name, fields)}; {kind} columns are {listing}",
                source=src,
                line=line,
                field=name,
                value=name,
            )
    for name, info in model.model_fields.items():
        if info.is_required() and name not in columns:
            raise FileError(
                f"{src}, line {line}: missing required column {name!r} "
                f"(the header has {', '.join(columns)})",
                source=src,
                line=line,
                field=name,
            )


def _given(record: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Drop empty values of fields that have a default, so the default applies."""
    fields = model.model_fields
    return {
        key: value
        for key, value in record.items()
        if value is not None or key not in fields or fields[key].is_required()
    }


def _first_error(model: type[BaseModel], data: Any) -> dict[str, Any] | None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return dict(exc.errors()[0])
    return None


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def _locate(
    exc: InputError,
    table: Table,
    rows: list[dict[str, Any]],
    model: type[BaseModel],
    kind: str,
) -> FileError:
    """Turn an InputError about record ``exc.row`` into a FileError naming its place."""
    src = table.source
    row = exc.row
    if row is None or not 0 <= row < len(rows):
        return FileError(f"{src}: {exc}", source=src, field=exc.field, value=exc.value)
    where = f"{src}, {table.where(row)}"
    line = table.lines[row]
    item = row if table.format == "json" else None
    error = _first_error(model, rows[row])
    if error is not None:
        field = ".".join(str(part) for part in error["loc"]) or None
        value = error.get("input")
        if field is None:  # a rule across fields: the input is the whole record
            detail, value = _clean(str(error["msg"])), None
        elif error["type"] == "missing":
            detail, value = f"missing required {table.noun}", None
        elif error["type"] == "extra_forbidden":
            hint = _suggest(str(field), list(model.model_fields))
            detail = f"unknown {kind} {table.noun}{hint}, got {table.show(value)}"
        elif value is None:
            detail = f"a value is required, got {table.show(None)}"
        else:
            detail = f"{_clean(str(error['msg']))}, got {table.show(value)}"
    else:
        field, value = exc.field, exc.value
        detail = _without_record_prefix(str(exc), kind, _record_id(model, rows[row]), row)
        if field == "id":
            first = next(
                (k for k in range(row) if _record_id(model, rows[k]) == value),
                None,
            )
            if first is not None:
                detail = (
                    f"duplicate {kind} id {table.show(rows[row].get('id'))}, "
                    f"first on {table.where(first)}"
                )
    at = f", {table.noun} {field!r}" if field else ""
    return FileError(
        f"{where}{at}: {detail}",
        source=src,
        line=line,
        item=item,
        row=row,
        field=field,
        value=value,
    )


def _without_record_prefix(message: str, kind: str, ident: Any, row: int) -> str:
    """Drop the ``lead 'l-7' (row 6): `` prefix: the file location replaces it."""
    for prefix in (f"{kind} {ident!r} (row {row}): ", f"{kind} row {row}: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _record_id(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    try:
        return getattr(model.model_validate(data), "id", None)
    except ValidationError:
        return None


def coerce_table(table: Table, model: type[RecordT], kind: str) -> list[RecordT]:
    r"""Validate the records of ``table`` as ``model`` (``Lead`` or ``Manager``).

    Raises
    ------
    FileError
        Naming the file, the line (or JSON item), the column (or field) and the value
        of the first bad record, or the header's problem.

    Examples
    --------
    >>> from fairlead import Lead
    >>> table = parse_table("id,score\nl-1,0.8\nl-2,abc\n", source="leads.csv", format="csv")
    >>> try:
    ...     coerce_table(table, Lead, "lead")
    ... except FileError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    leads.csv, line 3, column 'score': Input should be a valid number, ..., got 'abc'
    """
    if table.columns is not None:
        _check_header(table, model, kind)
    rows = [_given(record, model) for record in table.records]
    try:
        return coerce_records(rows, model, kind)
    except InputError as exc:
        raise _locate(exc, table, rows, model, kind) from None


def read_leads(path: PathLike) -> list[Lead]:
    """Validated leads from a CSV or JSON file."""
    return coerce_table(read_table(path), Lead, "lead")


def read_managers(path: PathLike) -> list[Manager]:
    """Validated managers from a CSV or JSON file."""
    return coerce_table(read_table(path), Manager, "manager")


def _key_line(text: str, key: str) -> int | None:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def parse_policy(text: str, *, source: str) -> Policy:
    r"""A :class:`Policy` from the text of a JSON object of settings.

    Raises
    ------
    FileError
        For invalid JSON, JSON that is not an object, or a bad setting (naming its
        line, field and value).

    Examples
    --------
    >>> parse_policy('{"balance_tolerance": 0.1}', source="policy.json").balance_tolerance
    0.1
    >>> try:
    ...     parse_policy('{\n  "balance_tolerance": -1\n}', source="policy.json")
    ... except FileError as exc:
    ...     print(exc)  # doctest: +ELLIPSIS
    policy.json, line 2, field 'balance_tolerance': Input should be greater ..., got -1
    """
    if not text.strip():
        raise FileError(f"{source}: empty file", source=source)
    data = _load_json(text, source)
    if not isinstance(data, dict):
        raise FileError(
            f"{source}: expected a JSON object of policy settings, got {_json_type(data)}",
            source=source,
        )
    try:
        return coerce_policy(data)
    except InputError as exc:
        error = _first_error(Policy, data)
        if error is None:  # pragma: no cover - coerce_policy only fails on validation
            raise FileError(f"{source}: {exc}", source=source) from None
        loc = [str(part) for part in error["loc"]]
        if not loc:
            raise FileError(f"{source}: {_clean(str(error['msg']))}", source=source) from None
        field = ".".join(loc)
        line = _key_line(text, loc[0])
        value = error.get("input")
        shown = json.dumps(value) if _jsonable(value) else repr(value)
        if error["type"] == "extra_forbidden":
            hint = _suggest(loc[0], list(Policy.model_fields))
            detail = f"unknown policy field{hint}, got {shown}"
        else:
            detail = f"{_clean(str(error['msg']))}, got {shown}"
        at = f", line {line}" if line is not None else ""
        raise FileError(
            f"{source}{at}, field {field!r}: {detail}",
            source=source,
            line=line,
            field=field,
            value=value,
        ) from None


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def read_policy(path: PathLike) -> Policy:
    """A :class:`Policy` from a JSON file; see :func:`parse_policy`."""
    file_format(path, allowed=("json",))
    return parse_policy(read_text(path), source=os.fspath(path))


def locate_in_table(exc: InputError, table: Table, model: type[RecordT], kind: str) -> FileError:
    """An :class:`InputError` about record ``exc.row`` of ``table`` as a :class:`FileError`.

    For checks made after the records were read (e.g. a lead's product that is no
    manager's skill): the message then names the file, line and column of the row.
    """
    rows = [_given(record, model) for record in table.records]
    return _locate(exc, table, rows, model, kind)
