"""What a test of a selection concludes, and the time budget of the search."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from fairlead.core import FloatArray, IntArray
from fairlead.diagnose._selection import _Sel


@dataclass
class _Verdict:
    """Whether a selection can hold: a witness assignment, or a core of it that cannot."""

    status: Literal["infeasible", "feasible", "unknown"]
    witness: IntArray | None = None
    core: _Sel | None = None
    fractional: FloatArray | None = None  # relaxation's solution per pair, when feasible


class _Clock:
    """The deadline of the whole search."""

    def __init__(self, limit: float) -> None:
        self.deadline = time.perf_counter() + limit

    def left(self) -> float:
        return self.deadline - time.perf_counter()
