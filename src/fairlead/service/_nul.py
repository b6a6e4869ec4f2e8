"""Text with a NUL character, refused before anything reads it.

PostgreSQL's text cannot hold a NUL (SQLite and C libraries end a string there), so a
NUL in any text of a request is refused with a 422 naming where it is, instead of a
database error when the text would be stored.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from fairlead.service._errors import ApiError


def _walk(value: Any, path: list[str]) -> tuple[list[str], str] | None:
    if isinstance(value, str):
        return (path, value) if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return [*path, str(key)], str(key)
            found = _walk(item, [*path, str(key)])
            if found is not None:
                return found
    if isinstance(value, list):
        for k, item in enumerate(value):
            found = _walk(item, [*path, str(k)])
            if found is not None:
                return found
    return None


def nul_problem(path: str, query: bytes, body: bytes) -> ApiError | None:
    r"""The 422 for a request holding a NUL character anywhere, or ``None``.

    It names where (``path``, a query parameter, a body field), the record's id when
    the body has one, and the text.

    Examples
    --------
    >>> nul_problem("/v1/leads", b"", b'{"id": "a", "note": "x\\u0000"}').message
    "'note' of 'a': must not contain a NUL character, got 'x\\x00'"
    >>> nul_problem("/v1/leads", b"at=%00", b"").field, nul_problem("/v1", b"", b"{}")
    ('at', None)
    """
    found: tuple[str, str] | None = None
    ident = None
    if "\x00" in path:
        segment = next(part for part in path.split("/") if "\x00" in part)
        found = ("path", segment)
    elif b"%00" in query or b"\x00" in query:
        for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                found = (name.replace("\x00", "") or "query", value)
                break
    elif b"\\u0000" in body or b"\x00" in body:
        try:
            document = json.loads(body)
        except ValueError:
            return None  # not JSON: the route says so
        walked = _walk(document, [])
        if walked is not None:
            found = (".".join(walked[0]) or "body", walked[1])
            if isinstance(document, dict) and isinstance(document.get("id"), str):
                ident = document["id"]
    if found is None:
        return None
    field, text = found
    of = "" if ident is None else f" of {ident!r}"
    return ApiError(
        422,
        f"{field!r}{of}: must not contain a NUL character, got {text!r}",
        field=field,
        ident=ident,
        value=text,
    )
