"""The id rule: how a lead, manager or customer id given from outside becomes text.

One rule for every entry point (records, files, the router's calls, scoring tables),
so the same CRM id reads the same wherever it comes in:

- text is kept, without surrounding whitespace (``" 123 "`` is ``"123"``);
- an integer (Python or numpy) is its decimal text (``123`` is ``"123"``);
- a float (Python or numpy) that is a whole finite number is the integer's text
  (``123.0`` is ``"123"``: a pandas id column with a blank holds floats);
- anything else is refused: other floats (``123.5``, NaN, infinity), booleans,
  ``None`` and every other type; so is text that is empty after trimming, or
  longer than :data:`MAX_ID_LENGTH` characters.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

from fairlead.records._errors import InputError

MAX_ID_LENGTH = 200
"""The longest id, in characters."""

WRONG_TYPE = "must be text or a whole number"
EMPTY = "must not be empty"
TOO_LONG = f"must be at most {MAX_ID_LENGTH} characters"
# A NUL ends a string in C libraries, SQLite text and numpy arrays of text: an id that
# holds one would not read back the same.
HAS_NUL = "must not contain a NUL character"


def id_problem(value: Any) -> tuple[str | None, str]:
    """The id ``value`` reads as, or why it is refused: ``(text, "")`` or ``(None, problem)``.

    The core of the rule, without messages: :func:`read_id` words them.

    Examples
    --------
    >>> id_problem(" 7 "), id_problem(7.0), id_problem(7.5)
    (('7', ''), ('7', ''), (None, 'must be text or a whole number'))
    """
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool | np.bool_):
        return None, WRONG_TYPE
    elif isinstance(value, int | np.integer):
        return str(int(value)), ""
    elif isinstance(value, float | np.floating):
        number = float(value)
        if not (math.isfinite(number) and number.is_integer()):
            return None, WRONG_TYPE
        return str(int(number)), ""
    else:
        return None, WRONG_TYPE
    if not text:
        return None, EMPTY
    if len(text) > MAX_ID_LENGTH:
        return None, TOO_LONG
    if "\x00" in text:
        return None, HAS_NUL
    return text, ""


def _plain(value: Any) -> bool:
    """Whether ``value`` is already an id as the rule writes it (the common case, fast)."""
    return (
        type(value) is str
        and 0 < len(value) <= MAX_ID_LENGTH
        and not value[0].isspace()
        and not value[-1].isspace()
        and "\x00" not in value
    )


def _shown(value: Any) -> str:
    """A value as id messages show it: its type and its repr (``float 123.5``)."""
    if isinstance(value, np.generic):
        value = value.item()
    return f"{type(value).__name__} {value!r}"


def validate_id(value: Any) -> str:
    """The id ``value`` reads as, or a ``ValueError`` saying what is wrong (for pydantic).

    Text that is empty or too long once trimmed is returned as such: the length
    bounds of :data:`fairlead.records.Id` refuse it with pydantic's own message.

    Examples
    --------
    >>> validate_id(" l-1 ")
    'l-1'
    """
    if _plain(value):
        return str(value)
    text, problem = id_problem(value)
    if problem in (WRONG_TYPE, HAS_NUL):
        raise ValueError(problem)
    # Empty or too long: the type's length bounds word it, as for any text field.
    return value.strip() if text is None else text


def read_id(
    value: Any, what: str = "id", *, row: int | None = None, field: str | None = None
) -> str:
    """An id given from outside, as text, by the id rule of this module.

    Parameters
    ----------
    value : Any
        The id as given: text, an integer, or a float holding a whole number.
    what : str, default "id"
        What the id is, for the message (``"lead id"``, ``"manager id"``); it may
        name the record too (``"lead row 3: 'id'"``).
    row, field : optional
        Set on the error: the record's position and the field read.

    Returns
    -------
    str
        The id without surrounding whitespace; a whole number as its decimal text.

    Raises
    ------
    InputError
        For a float that is no whole number (``123.5``, NaN, infinity), a boolean,
        another type, or text that is empty or longer than 200 characters; the
        message names ``what`` and the value.

    Examples
    --------
    >>> import numpy as np
    >>> read_id(" 123 "), read_id(123), read_id(123.0), read_id(np.int64(123))
    ('123', '123', '123', '123')
    >>> read_id(123.5, "lead id")
    Traceback (most recent call last):
    ...
    fairlead.InputError: lead id must be text or a whole number, got float 123.5
    """
    if _plain(value):
        return str(value)
    text, problem = id_problem(value)
    if text is None:
        raise InputError(
            f"{what} {problem}, got {_shown(value)}", row=row, field=field, value=value
        )
    return text


def read_ids(values: Any, what: str = "id", *, field: str | None = None) -> npt.NDArray[np.str_]:
    """A column of ids as a numpy array of text, each read by :func:`read_id`.

    Integer columns and float columns of whole numbers are converted at once; other
    columns value by value (each distinct value once).

    Raises
    ------
    InputError
        For the first value the rule refuses, naming its row (``row`` is set).

    Examples
    --------
    >>> read_ids([7, 7.0, " 7 ", "b"]).tolist()
    ['7', '7', '7', 'b']
    >>> read_ids([1.0, float("nan")], "manager id")
    Traceback (most recent call last):
    ...
    fairlead.InputError: manager id in row 1 must be text or a whole number, got float nan
    """
    array = values if isinstance(values, np.ndarray) else _array(values)
    if array.ndim != 1:
        raise InputError(f"{what}s must be a 1-d column, got shape {array.shape}", field=field)
    kind = array.dtype.kind
    if kind in "iu":
        return array.astype(np.str_)
    if kind == "f" and array.size and bool(np.all(np.isfinite(array))):
        whole = array == np.floor(array)
        small = np.abs(array) < 2.0**53  # exactly an int64, printed without an exponent
        if bool(np.all(whole & small)):
            return array.astype(np.int64).astype(np.str_)
    out: list[str] = []
    seen: dict[tuple[type, Any], str] = {}  # by type too: True == 1, yet True is refused
    for row, value in enumerate(array.tolist() if kind != "O" else list(array)):
        key = (type(value), value)
        try:
            text = seen.get(key)
        except TypeError:  # unhashable: read on its own
            text = None
        if text is None:
            text, problem = id_problem(value)
            if text is None:
                raise InputError(
                    f"{what} in row {row} {problem}, got {_shown(value)}",
                    row=row,
                    field=field,
                    value=value,
                )
            with contextlib.suppress(TypeError):
                seen[key] = text
        out.append(text)
    return np.asarray(out, dtype=np.str_) if out else np.empty(0, dtype=np.str_)


def _array(values: Any) -> np.ndarray[Any, Any]:
    """The values as a 1-d array; a list mixing kinds stays objects (numpy would make text)."""
    if hasattr(values, "to_numpy"):
        return np.asarray(values.to_numpy())
    if isinstance(values, Iterable) and not isinstance(values, str | bytes):
        items = list(values)
        kinds = {type(v) for v in items}
        # Text stays objects: numpy's fixed-width text would drop trailing NULs.
        if kinds <= {int} or kinds <= {float}:
            return np.asarray(items)
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out
    return np.asarray(values)
