"""Pacing of Admin API writes under GA4's per-minute write quota.

GA4 allows 180 writes per minute per user (600 per project; docs/ga4-api-facts.md §2.4) and refills the
quota every 60 seconds. A sync of a large tracking plan would hit that limit and stop half-way;
:class:`WriteLimiter` makes it wait instead: at most ``limit`` writes in any ``window`` seconds.

A write occupies its slot from the moment it starts until ``window`` seconds after it *ended*.
The server counts a write when it receives it, which is somewhere between the two, so counting
from the end keeps us under the server's count whatever the network latency.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator

_EPSILON = 1e-9  # float slack, so a fake clock advanced by exactly `delay` frees the slot


class WriteLimiter:
    """Sliding-window rate limiter for writes.

    Use ``with limiter.slot(): send_the_write()``: it blocks until fewer than ``limit`` writes
    are in flight or ended within the last ``window`` seconds.

    :param limit: most writes in any ``window`` seconds.
    :param window: window length in seconds.
    :param clock: monotonic clock (injectable for tests).
    :param sleep: how to wait (injectable for tests; a fake clock's sleep advances it).
    """

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._ended: deque[float] = deque()  # end times of recent writes, oldest first
        self._in_flight = 0
        self._lock = threading.Lock()
        #: Total seconds spent waiting, and how many writes had to wait.
        self.waited = 0.0
        self.waits = 0

    def _delay(self, now: float) -> float:
        while self._ended and self._ended[0] + self.window <= now + _EPSILON:
            self._ended.popleft()
        if len(self._ended) + self._in_flight < self.limit:
            return 0.0
        if not self._ended:  # every slot is taken by a write still running: poll
            return min(self.window, 0.05)
        return max(self._ended[0] + self.window - now, _EPSILON)

    def delay(self) -> float:
        """Seconds until a write may start (0 = now); takes no slot."""
        with self._lock:
            return self._delay(self._clock())

    def acquire(self, on_wait: Callable[[float], None] | None = None) -> float:
        """Take a slot, waiting as long as needed; returns the seconds waited.

        ``on_wait(seconds)`` is called before each wait (e.g. to show "waiting for the write
        quota"). Every :meth:`acquire` must be followed by one :meth:`release`.
        """
        waited = 0.0
        while True:
            with self._lock:
                delay = self._delay(self._clock())
                if delay <= 0:
                    self._in_flight += 1
                    if waited:
                        self.waited += waited
                        self.waits += 1
                    return waited
            if on_wait is not None:
                on_wait(delay)
            self._sleep(delay)
            waited += delay

    def release(self) -> None:
        """Mark the write taken by :meth:`acquire` as ended (successfully or not)."""
        with self._lock:
            self._in_flight -= 1
            self._ended.append(self._clock())

    @contextmanager
    def slot(self, on_wait: Callable[[float], None] | None = None) -> Iterator[float]:
        """``with limiter.slot(): write()``: acquire, run the write, release."""
        waited = self.acquire(on_wait)
        try:
            yield waited
        finally:
            self.release()
