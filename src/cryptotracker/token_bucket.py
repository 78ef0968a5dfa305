"""The one token bucket of the project: it refuses (client message rates, per-address HTTP rates,
candle upstream calls) or spaces (requests to exchanges: Binance allows 5 messages/s per
connection, CoinGecko's free tier ~30 calls/min). Pure: the caller passes the time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up: in any window of `w` seconds at most
    ``burst + rate * w`` requests pass. A rate of 0 or less means unlimited."""

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float = 1.0, now: float = 0.0) -> None:
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self.rate = rate
        self.burst = float(burst)
        self._tokens = float(burst)
        self._stamp = now

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self, now: float) -> bool:
        """Take one token if there is one now; False (and nothing taken) otherwise."""
        if self.rate <= 0:
            return True
        self._refill(now)
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def reserve(self, now: float) -> float:
        """Take one token, owed if need be: how long to wait before using it (0 when free)."""
        if self.rate <= 0:
            return 0.0
        self._refill(now)
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    async def acquire(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Wait for a token (pacing: the request goes out, only later)."""
        delay = self.reserve(clock())
        if delay > 0:
            await asyncio.sleep(delay)
