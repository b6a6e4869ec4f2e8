"""What was already found about a problem, kept while the problem lives.

A solver that finds a problem infeasible explains it (with :func:`explain_infeasible`,
:func:`find_conflict` or :func:`explain`), and :func:`fairlead.assign` then asks
:func:`diagnose` for the same witness to put it in the policy's words. The problem is
immutable (read-only arrays in a frozen dataclass), so the answer found first is
remembered against the problem object and the search, which can take seconds, runs
once. Entries go when the problem is garbage-collected.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from fairlead.core import AssignmentProblem

_lock = threading.Lock()
_found: weakref.WeakKeyDictionary[AssignmentProblem, dict[str, Any]] = weakref.WeakKeyDictionary()


def recall(problem: AssignmentProblem, key: str) -> tuple[Any, ...] | None:
    """What was remembered for ``problem`` under ``key`` (a tuple), or ``None``."""
    with _lock:
        entry = _found.get(problem)
        return None if entry is None else entry.get(key)


def remember(problem: AssignmentProblem, key: str, *found: Any) -> None:
    """Keep ``found`` for ``problem`` under ``key``."""
    with _lock:
        _found.setdefault(problem, {})[key] = found
