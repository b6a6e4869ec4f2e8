"""Named columns of a table (pandas DataFrame or mapping of arrays) as numpy arrays.

pandas is imported only when a DataFrame comes in. Customer ids are read here too:
one kind of id (str, int or float), none missing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records._cells import is_missing
from fairlead.records._errors import InputError
from fairlead.records._rows import is_frame


def py_value(value: Any) -> Any:
    """A numpy scalar as the plain Python value (for messages and records)."""
    return value.item() if isinstance(value, np.generic) else value


def infer_dtype(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """An object array of one plain kind (str, int, float) as that numpy dtype."""
    if array.dtype != object or array.size == 0:
        return array
    types = set(map(type, array.ravel()))
    if all(issubclass(t, str) for t in types):
        return array.astype(np.str_)
    if any(issubclass(t, bool | np.bool_) for t in types):
        return array.astype(np.bool_) if len(types) == 1 else array
    if all(issubclass(t, int | np.integer) for t in types):
        try:
            return array.astype(np.int64)
        except OverflowError:
            return array
    if all(issubclass(t, int | float | np.integer | np.floating) for t in types):
        return array.astype(np.float64)
    return array


def as_array(values: Any, name: str) -> npt.NDArray[Any]:
    """One column as a 1-d numpy array; lists of mixed types stay ``object``."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(values, pd.Series | pd.Index):
        return _series_values(values)
    if isinstance(values, np.ndarray):
        array = values
    elif isinstance(values, str | bytes) or not hasattr(values, "__len__"):
        raise InputError(f"column {name!r} must be an array of values, got {type(values).__name__}")
    else:
        try:
            array = np.empty(len(values), dtype=object)
            array[:] = list(values)
        except (ValueError, TypeError) as exc:
            raise InputError(f"column {name!r} must be a 1-d array of values: {exc}") from None
        array = infer_dtype(array)
    if array.ndim != 1:
        raise InputError(f"column {name!r} must be one-dimensional, got shape {array.shape}")
    return array


def _series_values(series: Any) -> npt.NDArray[Any]:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        # The purchase day is the local (wall-clock) day.
        local: Any = series if isinstance(series, pd.Index) else series.dt
        series = local.tz_localize(None)
        dtype = series.dtype
    if (
        isinstance(dtype, pd.api.extensions.ExtensionDtype)
        and pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and series.hasnans
    ):
        return np.asarray(series.to_numpy(dtype=np.float64, na_value=np.nan))
    return infer_dtype(np.asarray(series.to_numpy()))


def check_column_name(role: str, name: Any) -> None:
    """Raise unless ``name`` can name a column: hashable and not ``None``.

    pandas calls an unnamed index ``None``, so a ``None`` name would silently read
    the index; an unhashable one would fail inside pandas.
    """
    try:
        hash(name)
    except TypeError:
        usable = False
    else:
        usable = name is not None
    if not usable:
        raise InputError(f"{role} must be a column name, got {name!r}")


def read_columns(
    data: Any,
    columns: Mapping[str, str],
    *,
    what: str = "transactions",
    options: Iterable[str] | None = None,
) -> tuple[dict[str, npt.NDArray[Any]], bool]:
    """The named columns of a DataFrame or a mapping, as 1-d numpy arrays.

    ``columns`` maps each role (e.g. ``"date"``) to its column name; ``options`` are
    the roles the caller can rename by keyword (default: all), which the message
    about a missing column suggests. Returns the arrays by name and whether
    ``data`` was a DataFrame. A DataFrame column may also be its index when the
    index has that name. Each name must pass :func:`check_column_name`.
    """
    for role, name in columns.items():
        check_column_name(role, name)
    renamable = set(columns) if options is None else set(options)
    names = list(dict.fromkeys(columns.values()))
    frame = is_frame(data)
    if frame:
        available = [str(c) for c in data.columns]
        out: dict[str, npt.NDArray[Any]] = {}
        for name in names:
            if name in data.columns:
                column = data[name]
                if getattr(column, "ndim", 1) != 1:
                    raise InputError(f"more than one column named {name!r} in {what}")
                out[name] = _series_values(column)
            elif data.index.name is not None and data.index.name == name:
                out[name] = _series_values(data.index)
            else:
                raise InputError(_missing_column(what, name, columns, available, renamable))
        return out, True
    if not isinstance(data, Mapping):
        raise InputError(
            f"{what} must be a pandas DataFrame or a mapping of column name to array, "
            f"got {type(data).__name__}"
        )
    available = [str(c) for c in data]
    out = {}
    for name in names:
        if name not in data:
            raise InputError(_missing_column(what, name, columns, available, renamable))
        out[name] = as_array(data[name], name)
    lengths = {name: len(array) for name, array in out.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
        raise InputError(f"columns of {what} must have equal lengths: {shown}")
    return out, False


def _missing_column(
    what: str, name: str, columns: Mapping[str, str], available: list[str], renamable: set[str]
) -> str:
    role = next(role for role, col in columns.items() if col == name)
    shown = ", ".join(repr(c) for c in available) or "none"
    hint = f"; pass {role}=... to name another" if role in renamable else ""
    return f"no column {name!r} in {what} (the {role} column{hint}); available: {shown}"


def customer_ids(values: npt.NDArray[Any], name: str) -> npt.NDArray[Any]:
    """Customer ids as a numpy array of str, int or float; missing or mixed ids rejected."""
    array = infer_dtype(values)
    if array.size == 0:
        return array
    kind = array.dtype.kind
    if kind == "S":
        array = array.astype(np.str_)
        kind = "U"
    if kind == "f":
        bad = np.isnan(array)
        if bad.any():
            raise InputError(f"{name} is missing in row {int(np.flatnonzero(bad)[0])}")
        return array
    if kind in "iuU":
        return array
    if kind == "O":
        for row, value in enumerate(array):
            if is_missing(value):
                raise InputError(f"{name} is missing in row {row}")
        kinds = sorted({type(v).__name__ for v in array})
        if len(kinds) > 1:
            # Name the first value of another kind than the first row's.
            row = next(k for k, v in enumerate(array) if type(v) is not type(array[0]))
            odd = py_value(array[row])
            raise InputError(
                f"{name} must hold strings or integers of one kind, got a mix of "
                f"{', '.join(kinds)} (row {row}: {odd!r})",
                row=row,
                field=name,
                value=odd,
            )
        raise InputError(f"{name} must hold strings or integers, got {kinds[0]}")
    raise InputError(f"{name} must hold strings or integers, got {array.dtype}")
