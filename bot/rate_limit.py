"""Per-key rate limits (a browser, an address) for the public web endpoints, and the caller's
address they are counted by.

A token bucket per key: `per_minute` requests in a burst, refilled evenly over the minute. Kept in
memory: limits only need to hold while the process runs, and a restart forgiving everyone is fine.
"""

import math
import time
from collections.abc import Callable

from aiohttp import web

#: Buckets kept before idle ones (full again) are dropped.
MAX_KEYS = 50_000


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, key: str) -> bool:
        """Takes one token for `key`; False when its bucket is empty."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - then) * self.refill)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > MAX_KEYS:
            self._forget_idle(now)
        return True

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may send again."""
        tokens, _ = self._buckets.get(key, (self.capacity, 0.0))
        return max(1, math.ceil((1.0 - tokens) / self.refill))

    def _forget_idle(self, now: float) -> None:
        full = [
            k
            for k, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.refill >= self.capacity
        ]
        for key in full:
            del self._buckets[key]


def client_address(request: web.Request, trusted_proxy: str) -> str:
    """The caller's address; `X-Forwarded-For` only counts when it comes from the trusted proxy
    (behind any other proxy, everyone would share its address)."""
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if trusted_proxy and remote == trusted_proxy and forwarded:
        return forwarded.split(",")[-1].strip()
    return remote
