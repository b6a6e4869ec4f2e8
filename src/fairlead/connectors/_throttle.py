"""A client-side leaky bucket: never send faster than the CRM's documented limit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


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

    def wait_for(self) -> float:
        """Take a place for one request; the seconds the caller must wait before sending."""
        with self._lock:
            now = self._clock()
            self._level = max(0.0, self._level - (now - self._at) * self.rate)
            self._at = now
            wait = max(0.0, (self._level + 1.0 - self.burst) / self.rate)
            # The request counts from when it is sent: the bucket is charged now for then.
            self._level += 1.0
            return wait

    def acquire(self) -> None:
        """Wait until one more request fits under the limit."""
        wait = self.wait_for()
        if wait > 0:
            self._sleep(wait)

    def penalise(self, seconds: float) -> None:
        """The CRM said "too many": send nothing more for ``seconds``."""
        with self._lock:
            self._level = max(self._level, self.burst + seconds * self.rate)
