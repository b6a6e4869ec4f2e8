"""Files out, and a plan from files: what the command line reads and writes.

Outputs are written atomically: to a temporary file in the same directory, then
renamed over the target, so an error never leaves a half-written file. A target that
is a symbolic link is written through: the file it points to is replaced, the link
stays.

CSV output is made safe to open in a spreadsheet (OWASP, "CSV Injection"): a text
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
read as a formula, so it is written with a single quote ``'`` in front. Numbers are
written as they are (``-0.5`` stays a number), and JSON output is never changed.
Reading such a file back does not remove the quote.
"""

from __future__ import annotations

import contextlib
import json
import numbers
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from fairlead.plan import Plan, assign
from fairlead.records import (
    Format,
    InputError,
    Lead,
    PathLike,
    Policy,
    coerce_table,
    file_format,
    locate_in_table,
    read_managers,
    read_policy,
    read_table,
    write_text_atomic,
)


def assign_files(
    leads: PathLike,
    managers: PathLike,
    policy: PathLike | None = None,
    *,
    method: str = "auto",
) -> Plan:
    """Read leads, managers and a policy from files and run :func:`fairlead.assign`.

    Raises
    ------
    FileError
        For a file that cannot be read or holds a bad record or setting, naming the
        file, line (or JSON item), column (or field) and value.
    InfeasibleError
        When no assignment satisfies the policy.
    """
    lead_table = read_table(leads)
    lead_records = coerce_table(lead_table, Lead, "lead")
    manager_records = read_managers(managers)
    rules = read_policy(policy) if policy is not None else Policy()
    try:
        return assign(lead_records, manager_records, policy=rules, method=method)
    except InputError as exc:
        # Records were validated above; what is left is about a lead's row (e.g. its
        # product is no manager's skill).
        if exc.row is None:
            raise
        raise locate_in_table(exc, lead_table, Lead, "lead") from None


# --------------------------------------------------------------------------- writing


# A spreadsheet reads a cell that starts with one of these as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    r"""A text cell as written to CSV: a quote in front if it would start a formula.

    Examples
    --------
    >>> defuse("=HYPERLINK(1)"), defuse("-x"), defuse("\tx"), defuse("l-1")
    ("'=HYPERLINK(1)", "'-x", "'\tx", 'l-1')
    """
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return _cell(value.value)
    # Only text is defused: a number such as -0.5 must stay a number.
    if isinstance(value, numbers.Number):
        return str(value)
    if isinstance(value, set | frozenset):
        return defuse(";".join(sorted(str(v) for v in value)))
    return defuse(str(value))


# Python's csv writer, ending lines with "\n", leaves a bare "\r" unquoted, and a
# reader then splits the record there: quote every cell holding one.
_QUOTE = re.compile(r'[",\r\n]')


def _csv_line(cells: Iterable[str]) -> str:
    row = ['"' + c.replace('"', '""') + '"' if _QUOTE.search(c) else c for c in cells]
    # A lone empty cell would be a blank line, which readers skip.
    return ('""' if row == [""] else ",".join(row)) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(str(v) for v in value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} value {value!r} to JSON")


def render_records(records: Sequence[Mapping[str, Any]], format: Format) -> str:
    """The text of a CSV or JSON file holding ``records``.

    CSV columns are the keys in order of first appearance; ``None`` becomes an empty
    cell and booleans ``true`` / ``false``. A text cell that a spreadsheet would take
    for a formula (it starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return)
    gets a ``'`` in front; numbers and JSON are written as they are.

    Examples
    --------
    >>> print(render_records([{"lead_id": "l-1", "manager_id": None}], "csv"), end="")
    lead_id,manager_id
    l-1,
    >>> print(render_records([{"lead_id": "=1+1", "value": -0.5}], "csv"), end="")
    lead_id,value
    '=1+1,-0.5
    """
    if format == "json":
        text = json.dumps(
            [dict(r) for r in records],
            indent=2,
            ensure_ascii=False,
            allow_nan=False,
            default=_json_default,
        )
        return text + "\n"
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    lines = [_csv_line(_cell(name) for name in columns)]
    lines += [_csv_line(_cell(record.get(name)) for name in columns) for record in records]
    return "".join(lines)


def same_file(a: PathLike, b: PathLike) -> bool:
    """Whether two paths name one file: the same inode, or the same resolved path.

    ``./x/../x/leads.csv``, a symbolic link to ``x/leads.csv`` and a hard link to it
    all name ``x/leads.csv``; a path that does not exist yet is compared by its
    resolved spelling.

    Examples
    --------
    >>> same_file("x/leads.csv", "./x/../x/leads.csv"), same_file("a.csv", "b.csv")
    (True, False)
    """
    with contextlib.suppress(OSError, ValueError):
        if os.path.samefile(a, b):
            return True
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError):  # e.g. a loop of symbolic links
        return os.path.abspath(a) == os.path.abspath(b)


def write_records(path: PathLike, records: Sequence[Mapping[str, Any]]) -> None:
    """Write records to a CSV or JSON file (format by suffix), atomically."""
    write_text_atomic(path, render_records(records, file_format(path)))


def write_plan(path: PathLike, plan: Plan) -> None:
    """Write one row per lead of ``plan`` (:meth:`Plan.to_records`) to a CSV or JSON file."""
    write_records(path, plan.to_records())
