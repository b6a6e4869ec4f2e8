"""The error of bad input, shared by the numeric core and the input layer."""

from __future__ import annotations

from typing import Any


class InputError(ValueError):
    """Bad input record. ``row`` (0-based), ``field`` and ``value`` say where.

    The message names the record kind, its id (when it has one), the row, the field
    and the offending value. Raised by the input layer (``fairlead.records``) and by
    :class:`~fairlead.core.AssignmentProblem` on arrays it cannot honour; a
    ``ValueError``, so code catching those keeps working.
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
