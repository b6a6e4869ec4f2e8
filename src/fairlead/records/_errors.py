"""The error of the input layer: :class:`InputError`, naming the row, field and value."""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input record. ``row`` (0-based), ``field`` and ``value`` say where.

    The message names the record kind, its id (when it has one), the row, the field
    and the offending value.
    """

    # Shown in tracebacks as the public name, wherever the class lives.
    __module__ = "fairlead"

    def __init__(
        self, message: str, *, row: int | None = None, field: str | None = None, value: Any = None
    ) -> None:
        super().__init__(message)
        self.row = row
        self.field = field
        self.value = value
