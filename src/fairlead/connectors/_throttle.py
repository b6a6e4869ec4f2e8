"""A client-side leaky bucket: never send faster than the CRM's documented limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

#: One change of a bucket: ``(level, at, now) -> (level, at, result)``.
Step = Callable[[float, float, float], tuple[float, float, float]]


class SharedLevel(Protocol):
    """Where a bucket's level lives when several processes spend one CRM limit.

    :meth:`change` applies ``step`` to the stored ``(level, at)`` atomically (no other
    process changes them meanwhile), with ``now`` read from a clock every process
    shares (the wall clock), stores the new pair and returns ``step``'s result.
    """

    def change(self, step: Step) -> float:
        """Apply ``step`` to the stored level atomically; its result."""
        ...


class LeakyBucket:
    """Requests fill a bucket of ``burst`` that drains at ``rate`` per second.

    This is how Bitrix24 counts (2 per second after a burst of 50); with ``burst=rate``
    it is also a per-second cap (Kommo: 7 per second). :meth:`acquire` waits until one
    more request fits, so a client that calls it before every request stays within the
    limit whatever its callers do. ``margin`` keeps a little below the limit, since the
    CRM's clock and ours differ.

    Examples
    --------
    >>> now = [0.0]
    >>> bucket = LeakyBucket(rate=2, burst=3, margin=0, clock=lambda: now[0], sleep=lambda s: None)
    >>> [bucket.wait_for() for _ in range(4)]
    [0.0, 0.0, 0.0, 0.5]
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        margin: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"a bucket needs rate > 0 and burst >= 1, got {rate} and {burst}")
        self.rate = rate * (1.0 - margin)
        self.burst = max(1.0, burst * (1.0 - margin))
        self._clock, self._sleep = clock, sleep
        self._level = 0.0
        self._at = clock()
        self._lock = threading.Lock()
        self._shared: SharedLevel | None = None

    def share(self, level: SharedLevel) -> None:
        """Keep the level in ``level`` from now on: processes that share it share the limit."""
        self._shared = level

    def _change(self, step: Step) -> float:
        if self._shared is not None:
            return self._shared.change(step)
        with self._lock:
            self._level, self._at, result = step(self._level, self._at, self._clock())
            return result

    def wait_for(self) -> float:
        """Take a place for one request; the seconds the caller must wait before sending."""
        rate, burst = self.rate, self.burst

        def take(level: float, at: float, now: float) -> tuple[float, float, float]:
            level = max(0.0, level - max(0.0, now - at) * rate)
            wait = max(0.0, (level + 1.0 - burst) / rate)
            # The request counts from when it is sent: the bucket is charged now for then.
            return level + 1.0, now, wait

        return self._change(take)

    def room(self) -> float:
        """Requests that could be sent now without waiting (``0`` when the bucket is full)."""
        rate, burst = self.rate, self.burst

        def look(level: float, at: float, now: float) -> tuple[float, float, float]:
            drained = max(0.0, level - max(0.0, now - at) * rate)
            return level, at, max(0.0, burst - drained)  # the level itself is left as it was

        return self._change(look)

    def acquire(self) -> None:
        """Wait until one more request fits under the limit."""
        wait = self.wait_for()
        if wait > 0:
            self._sleep(wait)

    def penalise(self, seconds: float) -> None:
        """The CRM said "too many": send nothing more for ``seconds``."""
        rate, burst = self.rate, self.burst

        def fill(level: float, at: float, now: float) -> tuple[float, float, float]:
            level = max(0.0, level - max(0.0, now - at) * rate)
            return max(level, burst + seconds * rate), now, 0.0

        self._change(fill)
