"""JSON from outside, read strictly: a key given twice, or a number that is no number.

Python's :func:`json.loads` keeps the last of two equal keys of an object, accepts the
literals ``NaN``, ``Infinity`` and ``-Infinity`` that JSON does not have, and reads
``1e999`` as infinity. A leads file that says ``"score": 0.2`` and, a few lines on,
``"score": 0.9`` would be read as 0.9 without a word. :func:`strict_loads` refuses
all of these at any depth, and :class:`JsonIssue` says what and where.

The common case stays on the C parser: the checks ride on its hooks, and only when
one fires is the text walked a second time, by position, to find the line and path.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class JsonIssue:
    """A key given twice in one object, or a value that is no finite number.

    Attributes
    ----------
    path : tuple of str and int
        Keys and list indices from the top of the document to the value; for a
        duplicate key, the path ends with that key.
    literal : str or None
        The number as written (``"NaN"``, ``"-Infinity"``, ``"1e999"``); ``None`` for a
        duplicate key.
    line : int or None
        Line of the literal, or of the key's second occurrence (``None`` if unknown).
    first_line : int or None
        Line of a duplicate key's first occurrence.
    """

    path: KeyPath
    literal: str | None = None
    line: int | None = None
    first_line: int | None = None

    def describe(self, start: int = 0) -> str:
        """The issue in words, naming the path from ``path[start]`` on.

        Examples
        --------
        >>> JsonIssue(("weights", "hot"), line=4, first_line=3).describe()
        "key 'weights.hot' appears twice (first on line 3)"
        >>> JsonIssue((2, "score"), literal="NaN", line=5).describe(start=1)
        "key 'score' holds NaN, which JSON does not allow; write a finite number"
        """
        name = path_name(self.path[start:])
        if self.literal is None:
            first = f" (first on line {self.first_line})" if self.first_line is not None else ""
            return f"key {name!r} appears twice{first}"
        if not name:
            holder = "a value is"
        else:
            holder = f"{'value' if isinstance(self.path[-1], int) else 'key'} {name!r} holds"
        if self.literal.lstrip("-") in ("NaN", "Infinity"):
            why = "which JSON does not allow"
        else:
            why = "too large for a number"
        return f"{holder} {self.literal}, {why}; write a finite number"


class JsonIssueError(ValueError):
    """Valid JSON syntax, refused for the :class:`JsonIssue` it holds."""

    def __init__(self, issue: JsonIssue) -> None:
        super().__init__(issue.describe())
        self.issue = issue


def path_name(path: KeyPath) -> str:
    """A path as text: keys joined by ``.``, list indices as ``[i]``.

    Examples
    --------
    >>> path_name(("features", "visits", 2))
    'features.visits[2]'
    """
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class _FoundError(Exception):
    """Raised from a parser hook: stop the fast parse, locate the issue by walking."""

    def __init__(self, issue: JsonIssue) -> None:
        super().__init__()
        self.issue = issue


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _FoundError(JsonIssue((key,)))
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise _FoundError(JsonIssue((), literal=name))


def _float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 overflows to infinity
        raise _FoundError(JsonIssue((), literal=text))
    return number


def strict_loads(text: str) -> Any:
    r""":func:`json.loads`, refusing a key given twice and NaN / infinite numbers.

    Raises
    ------
    JsonIssueError
        For a duplicate key (at any depth) or a number that is not finite; its
        ``issue`` names the path and line.
    json.JSONDecodeError
        For invalid JSON.

    Examples
    --------
    >>> strict_loads('{"a": [1, {"b": 2}]}')
    {'a': [1, {'b': 2}]}
    >>> strict_loads('{"a": 1,\n "a": 2}')
    Traceback (most recent call last):
    ...
    fairlead.records._json.JsonIssueError: key 'a' appears twice (first on line 1)
    >>> strict_loads('[1, NaN]')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    fairlead.records._json.JsonIssueError: value '[1]' holds NaN, which JSON does not allow; ...
    """
    try:
        return json.loads(
            text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float
        )
    except _FoundError as found:
        # What the hook saw, without place, in case the walk cannot tell more.
        fallback = found.issue
    raise JsonIssueError(find_issue(text) or fallback) from None


# -------------------------------------------------------------- locating by position

_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class _AtError(Exception):
    def __init__(self, issue: JsonIssue) -> None:
        super().__init__()
        self.issue = issue


def find_issue(text: str) -> JsonIssue | None:
    r"""The first duplicate key or non-finite number of a JSON text, with its place.

    ``None`` when there is none, or when the text is not valid JSON before it.

    Examples
    --------
    >>> find_issue('[{"id": 1},\n {"id": 2, "x": {"y": 1, "y": 2}}]')
    JsonIssue(path=(1, 'x', 'y'), literal=None, line=2, first_line=2)
    """
    try:
        _walk(text, _skip(text, 0), ())
    except _AtError as at:
        return at.issue
    except (ValueError, IndexError, RecursionError):
        return None
    return None


def _skip(text: str, pos: int) -> int:
    match = _SPACE.match(text, pos)
    return match.end() if match else pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _walk(text: str, pos: int, path: KeyPath) -> int:
    """Walk the value at ``pos`` (no space before it); return where it ends."""
    if text.startswith("{", pos):
        seen: dict[str, int] = {}
        pos = _skip(text, pos + 1)
        if text.startswith("}", pos):
            return pos + 1
        while True:
            key, end = _DECODER.raw_decode(text, pos)
            if key in seen:
                issue = JsonIssue(
                    (*path, key), line=_line(text, pos), first_line=_line(text, seen[key])
                )
                raise _AtError(issue)
            seen[key] = pos
            pos = _skip(text, _skip(text, end) + 1)  # past ":"
            pos = _skip(text, _walk(text, pos, (*path, key)))
            if text.startswith("}", pos):
                return pos + 1
            pos = _skip(text, pos + 1)  # past ","
    if text.startswith("[", pos):
        pos = _skip(text, pos + 1)
        if text.startswith("]", pos):
            return pos + 1
        index = 0
        while True:
            pos = _skip(text, _walk(text, pos, (*path, index)))
            if text.startswith("]", pos):
                return pos + 1
            pos, index = _skip(text, pos + 1), index + 1
    value, end = _DECODER.raw_decode(text, pos)
    if isinstance(value, float) and not math.isfinite(value):
        raise _AtError(JsonIssue(path, literal=text[pos:end], line=_line(text, pos)))
    return end
