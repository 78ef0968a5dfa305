"""A token bucket that spaces outgoing requests (Binance: 5 messages/s per connection; CoinGecko
free tier: ~30 calls/min). Pure: the caller passes the time and sleeps the returned delay."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up. In any window of `w` seconds at most
    ``burst + rate * w`` requests pass."""

    def __init__(
        self, rate: float, burst: float = 1.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._stamp = clock()

    def reserve(self, now: float | None = None) -> float:
        """Take one token; returns how long to wait before using it (0 when it is free now)."""
        now = self._clock() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)
