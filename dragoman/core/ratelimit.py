"""A sliding-window counter for failed attempts (logins).

In memory, per process: enough for the embedded single-process server. A
multi-process deployment needs the same interface over Redis.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


_SWEEP_EVERY = 1000


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._hits_since_sweep = 0

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> int:
        """Seconds until `key` may try again; 0 when it may now."""
        with self._lock:
            now = self._clock()
            hits = self._trim(key, now)
            if len(hits) < self.limit:
                return 0
            return max(1, int(hits[0] + self.window - now + 0.999))

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            self._trim(key, now).append(now)
            self._hits_since_sweep += 1
            if self._hits_since_sweep >= _SWEEP_EVERY:
                self._sweep(now)

    def _sweep(self, now: float) -> None:
        """Forget keys whose attempts have all aged out, so that many distinct
        e-mails or addresses cannot grow memory without bound."""
        self._hits_since_sweep = 0
        for key in [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window]:
            del self._hits[key]

    def tracked_keys(self) -> int:
        with self._lock:
            return len(self._hits)

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)
