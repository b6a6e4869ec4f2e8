"""Event logs from files: CSV or JSON, through the package's input layer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from fairlead.kpi._cells import Locator, ObjectArray
from fairlead.kpi._log import EventLog, build_log
from fairlead.records import PathLike, Table, file_format, parse_table, read_text


def read_events(path: PathLike, *, now: Any = None) -> EventLog:
    r"""Read an event log from a CSV or JSON file (the format follows the suffix).

    Errors name the file, the line, the column and the value (``docs/kpi.md`` lists
    the columns and the rules).

    Parameters
    ----------
    path : str or Path
    now : datetime or str, optional
        The moment the log was taken: an event after it is refused.

    Returns
    -------
    EventLog

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "events.csv").write_text(
    ...     "type,at,lead_id,manager_id,csat\n"
    ...     "created,2026-11-02T09:00,l-1,,\n"
    ...     "assigned,2026-11-02T09:01,l-1,m-1,\n"
    ...     "feedback,2026-11-09T10:00,l-1,,7\n")
    >>> try:
    ...     read_events(folder / "events.csv")
    ... except Exception as exc:
    ...     print(exc.line, exc.field, exc.value, "|", str(exc).split(": ")[1])
    4 csat 7 | must be a whole number from 1 to 5, got '7'
    """
    table, columns = file_columns(path)
    locator = Locator(table.source, table.lines, items=table.format == "json")
    return build_log(columns, locator, now=now, source=table.source)


def file_columns(path: PathLike) -> tuple[Table, dict[str, ObjectArray]]:
    """A CSV or JSON file's records as columns (every key of any record; None where absent)."""
    table = parse_table(read_text(path), source=Path(path).name, format=file_format(path))
    names: list[str] = list(table.columns or ())
    for record in table.records:
        for key in record:
            if key not in names:
                names.append(key)
    columns: dict[str, ObjectArray] = {}
    for key in names:
        values = np.empty(len(table.records), dtype=object)
        values[:] = [record.get(key) for record in table.records]
        columns[key] = values
    return table, columns
