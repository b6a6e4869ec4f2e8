"""What one cell of an outside table holds: nothing (a missing value), or a number."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_missing(value: Any) -> bool:
    """Whether a cell holds no value: ``None``, NaN, NaT or pandas' ``NA``.

    Examples
    --------
    >>> import numpy as np
    >>> [is_missing(v) for v in (None, float("nan"), np.datetime64("NaT"), 0, "")]
    [True, True, True, False, False]
    """
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return type(value).__name__ in ("NaTType", "NAType")


def is_number(value: Any) -> bool:
    """Whether a cell holds a real number (Python or numpy), not a boolean.

    Examples
    --------
    >>> [is_number(v) for v in (1, 2.5, True, "3")]
    [True, True, False, False]
    """
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
