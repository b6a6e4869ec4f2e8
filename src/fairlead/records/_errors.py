"""What the input layer raises and warns: :class:`InputError`, :class:`InputWarning`.

Also how one pydantic error reads in words (:func:`describe_error`) and the two
phrasings built on it, shared by the models, the row readers and the settings
readers: a record with an id (``lead 'l-1': 'score' ...``) and a settings record
(``policy 'balance_tolerance': ...``).
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Mapping
from typing import Any

import pydantic
from pydantic import ValidationError

# One class for the whole package: the numeric core raises it too.
from fairlead.core import InputError as InputError

# Frames in these folders are not the caller a warning should point at.
_INSIDE = (
    os.path.dirname(os.path.dirname(__file__)) + os.sep,
    os.path.dirname(pydantic.__file__ or "") + os.sep,
)


class InputWarning(UserWarning):
    """Input that is accepted, with a meaning worth a second look.

    For example a manager with more open leads than their limit: accepted (the CRM
    may have lowered the limit since), and given no new leads. Silence it with
    ``warnings.filterwarnings("ignore", category=fairlead.InputWarning)``.
    """

    __module__ = "fairlead"


def warn_input(message: str) -> None:
    """Warn with an :class:`InputWarning` pointing at the first caller outside fairlead.

    A record may be validated deep inside a call (``assign`` reading rows, pydantic
    running a validator): the warning names the user's line either way.
    """
    frame = sys._getframe(1)
    level = 2  # 1 is this function, 2 its caller
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_INSIDE):
        frame = frame.f_back
        level += 1
    warnings.warn(message, InputWarning, stacklevel=level)


def describe_error(error: Mapping[str, Any]) -> tuple[str, str, Any]:
    """Field (dotted), message and offending input of one pydantic error."""
    field = ".".join(str(part) for part in error["loc"]) or "record"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return field, message, error.get("input")


def _got(error: Mapping[str, Any], field: str, value: Any) -> str:
    # A missing field has no value, and a rule across fields (or over a whole table
    # such as level_factors) names its numbers itself: the input would be a whole dict.
    if error["type"] == "missing" or field == "record" or isinstance(value, Mapping):
        return ""
    return f", got {value!r}"


def record_error(
    exc: ValidationError, kind: str, ident: Any = None, *, row: int | None = None
) -> InputError:
    """The first error of a record with an id, as ``lead 'l-1' (row 3): 'score' ...``.

    ``ident`` is the record's id as given (``None``: not known), ``row`` its position
    among the records read (``None``: a single record).
    """
    error = exc.errors()[0]
    field, message, value = describe_error(error)
    at = f" (row {row})" if row is not None else ""
    if ident is not None:
        who = f"{kind} {ident!r}{at}"
    else:
        who = f"{kind} row {row}" if row is not None else kind
    shown = "" if field == "record" else f"{field!r} "
    return InputError(
        f"{who}: {shown}{message}{_got(error, field, value)}", row=row, field=field, value=value
    )


def settings_error(exc: ValidationError, name: str, *, nested_fields: bool = False) -> InputError:
    """The first error of a settings record, as ``policy 'balance_tolerance': ...``.

    With ``nested_fields`` the error's ``field`` is ``"<name>.<field>"`` (settings
    given inside a larger call).
    """
    error = exc.errors()[0]
    field, message, value = describe_error(error)
    # A message that starts with the field's name names it already.
    named = field == "record" or message.startswith(field.split(".")[0])
    where = f"{name}:" if named else f"{name} {field!r}:"
    return InputError(
        f"{where} {message}{_got(error, field, value)}",
        field=f"{name}.{field}" if nested_fields else field,
        value=value,
    )
