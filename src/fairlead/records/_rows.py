"""The row reader: field access over outside rows (a list of dicts or a DataFrame).

:class:`Rows` reads a field of every row as one numpy array, says which record a
row is (``lead 'l-3' (row 3)``, its id read by the id rule) and words errors about
one cell as an :class:`InputError` naming the record, the field and the value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records._cells import is_missing
from fairlead.records._errors import InputError
from fairlead.records._ids import id_problem
from fairlead.records._times import EXPECTED_TIME, read_time

_ABSENT = object()


def is_frame(data: Any) -> bool:
    """Whether ``data`` looks like a pandas DataFrame (without importing pandas).

    Examples
    --------
    >>> is_frame([{"id": 1}]), is_frame({"id": [1]})
    (False, False)
    """
    return hasattr(data, "columns") and hasattr(data, "to_dict")


class Rows:
    """Column access over a list of dict records or a pandas DataFrame, with record names.

    Parameters
    ----------
    records : list of dict or pandas.DataFrame
        One record per row.
    id_field : str, default "id"
        The field holding the record's id, shown in messages (optional in rows).
    kind : str, default "lead"
        What a record is, for messages.

    Raises
    ------
    InputError
        If ``records`` is neither, or a row is not a dict.

    Examples
    --------
    >>> rows = Rows([{"id": 7.0, "source": "web"}, {"id": "l-2"}])
    >>> rows.n, rows.names, rows.column("source", required=False).tolist()
    (2, ['id', 'source'], ['web', None])
    >>> rows.column("source")
    Traceback (most recent call last):
    ...
    fairlead.InputError: lead 'l-2' (row 1): missing field 'source' (use None for an \
unknown value)
    >>> print(rows.error(0, "source", "must be text", 5))
    lead '7' (row 0): 'source' must be text, got 5
    """

    def __init__(self, records: Any, *, id_field: str = "id", kind: str = "lead") -> None:
        self._id_field = id_field
        self.kind = kind
        self.rows: list[Mapping[Any, Any]] | None
        if is_frame(records):
            self.frame: Any = records
            self.rows = None
            self.n = len(records)
            # Fields by name; a DataFrame's labels may be other than text (0, 1, ...).
            self._keys: dict[Any, Any] = {str(c): c for c in records.columns}
            return
        if isinstance(records, Mapping | str | bytes) or not isinstance(records, Sequence):
            raise InputError(
                f"records must be a list of dicts or a DataFrame, got {type(records).__name__}"
            )
        self.frame = None
        self.rows = list(records)
        self.n = len(self.rows)
        self._keys = {}
        for row, item in enumerate(self.rows):
            if not isinstance(item, Mapping):
                raise InputError(
                    f"{kind} row {row} must be a dict, got {type(item).__name__}", row=row
                )
            self._keys.update({k: k for k in item})

    @property
    def names(self) -> list[str]:
        """The fields of the rows, in the order they first appear."""
        return [str(k) for k in self._keys]

    def has(self, name: str) -> bool:
        """Whether any record carries the field."""
        return name in self._keys

    def who(self, row: int) -> str:
        """``lead 'l-3' (row 3)``, or ``lead row 3`` when the record has no id."""
        ident: Any = None
        if self.rows is not None:
            ident = self.rows[row].get(self._id_field)
        elif self.has(self._id_field):
            ident = self.frame[self._keys[self._id_field]].iloc[row]
        if ident is None or is_missing(ident):
            return f"{self.kind} row {row}"
        text, _ = id_problem(ident)
        return f"{self.kind} {text if text is not None else str(ident)!r} (row {row})"

    def error(self, row: int, name: str, message: str, value: Any) -> InputError:
        """An :class:`InputError` about field ``name`` of record ``row``."""
        return InputError(
            f"{self.who(row)}: {name!r} {message}, got {value!r}", row=row, field=name, value=value
        )

    def column(self, name: str, *, required: bool = True) -> np.ndarray[Any, Any]:
        """The field's values, one per row; ``None`` where a record lacks it (if not required)."""
        if self.frame is not None:
            if name not in self._keys:
                if required:
                    columns = ", ".join(sorted(self.names))
                    raise InputError(
                        f"missing field {name!r}: the DataFrame has no such column "
                        f"(columns: {columns})",
                        field=name,
                    )
                return np.full(self.n, None, dtype=object)
            return np.asarray(self.frame[self._keys[name]].to_numpy())
        assert self.rows is not None
        out = np.empty(self.n, dtype=object)
        for row, record in enumerate(self.rows):
            value = record.get(name, _ABSENT)
            if value is _ABSENT:
                if required:
                    raise InputError(
                        f"{self.who(row)}: missing field {name!r} (use None for an unknown value)",
                        row=row,
                        field=name,
                    )
                value = None
            out[row] = value
        return out

    def times(self, name: str) -> npt.NDArray[np.datetime64]:
        """A field of moments as ``datetime64[us]`` (naive UTC), NaT where missing.

        Each value is read by :func:`fairlead.records.read_time`.
        """
        values = self.column(name)
        if values.dtype.kind == "M":
            return values.astype("datetime64[us]")
        stamps: list[datetime | None] = []
        for row, value in enumerate(values):
            try:
                stamps.append(read_time(value))
            except InputError:
                raise self.error(row, name, EXPECTED_TIME, value) from None
        return np.array(stamps, dtype="datetime64[us]")
