"""Errors as the API answers them: a status and one JSON body naming field, id and value.

Every error the service answers has the same shape::

    {"error": {"status": 422, "message": "lead 'l-1': 'score' must be ...",
               "field": "score", "id": "l-1", "value": 7, "request_id": "..."}}

Bad input is a 4xx (never a 500); a database that cannot be reached is a 503.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from typing import Any

from fairlead.records import InputError


class ApiError(Exception):
    """An answer other than success: HTTP status, a message in words, where it is.

    Parameters
    ----------
    status : int
        400 malformed, 401 no or wrong key, 403 scope, 404 unknown id, 409 conflict,
        413 body too large, 422 invalid values, 503 try again.
    message : str
    field, ident : str, optional
        The field and the record id the message is about.
    value : object, optional
        The offending value, as given.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        field: str | None = None,
        ident: str | None = None,
        value: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.ident = ident
        self.value = value
        self.headers = headers or {}

    def body(self, request_id: str | None = None) -> dict[str, Any]:
        """The JSON body of the answer."""
        error: dict[str, Any] = {"status": self.status, "message": middle(self.message, 1000)}
        if self.field is not None:
            error["field"] = shorten(self.field, 200)
        if self.ident is not None:
            error["id"] = shorten(self.ident, 200)
        if self.value is not None:
            error["value"] = json_safe(self.value)
        if request_id is not None:
            error["request_id"] = request_id
        return {"error": error}


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying so (a 10,000-character id is not echoed).

    Examples
    --------
    >>> shorten("x" * 30, 20)
    'xxxxxxxxxx… (30 characters)'
    """
    if len(text) <= limit:
        return text
    tail = f"… ({len(text)} characters)"
    return text[: max(limit - len(tail), 10)] + tail


def middle(text: str, limit: int) -> str:
    """``text`` cut in the middle to about ``limit`` characters: its start and its end stay.

    A message quoting a long value twice (``'id' of '…': …, got '…'``) keeps what it says.

    Examples
    --------
    >>> middle("a" * 10 + "b" * 10, 12)
    'aaaaaa … bbbbbb'
    """
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]} … {text[-half:]}"


def from_input_error(exc: InputError, ident: str | None = None) -> ApiError:
    """The 422 answer to an :class:`~fairlead.InputError`."""
    return ApiError(422, str(exc), field=exc.field, ident=ident, value=exc.value)


def json_safe(value: Any) -> Any:
    """A value as JSON can carry it: text for what it cannot (bytes, NaN, objects).

    Times are ISO 8601 (``timedelta`` in seconds), as a person sent them, not Python's
    ``repr``; long text is cut at 200 characters.
    """
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return f"{value.total_seconds():g} s"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)[:200]
    if isinstance(value, str):
        return shorten(value, 200)
    return value
