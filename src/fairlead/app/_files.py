"""Files out, and a plan from files: what the command line reads and writes.

Outputs are written atomically: to a temporary file in the same directory, then
renamed over the target, so an error never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from fairlead.plan import Plan, assign
from fairlead.records import (
    FileError,
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return ";".join(sorted(str(v) for v in value))
    return str(value)


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
    cell and booleans ``true`` / ``false``.

    Examples
    --------
    >>> print(render_records([{"lead_id": "l-1", "manager_id": None}], "csv"), end="")
    lead_id,manager_id
    l-1,
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(_cell(record.get(name)) for name in columns)
    return buffer.getvalue()


def _new_file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_text_atomic(path: PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and :func:`os.replace`.

    On any error the temporary file is removed and ``path`` is left as it was.

    Raises
    ------
    FileError
        When the file cannot be written (missing directory, permissions, ...).
    """
    source = os.fspath(path)
    target = Path(source)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
        tmp = None
    except FileNotFoundError:
        raise FileError(
            f"{source}: cannot write: directory {os.fspath(target.parent)!r} does not exist",
            source=source,
        ) from None
    except IsADirectoryError:
        raise FileError(f"{source}: cannot write: is a directory", source=source) from None
    except OSError as exc:
        raise FileError(f"{source}: cannot write: {exc.strerror or exc}", source=source) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_records(path: PathLike, records: Sequence[Mapping[str, Any]]) -> None:
    """Write records to a CSV or JSON file (format by suffix), atomically."""
    write_text_atomic(path, render_records(records, file_format(path)))


def write_plan(path: PathLike, plan: Plan) -> None:
    """Write one row per lead of ``plan`` (:meth:`Plan.to_records`) to a CSV or JSON file."""
    write_records(path, plan.to_records())
