"""Binance's limit on stream connection attempts: 300 per 5 minutes per IP address
(web-socket-streams.md), whoever makes them. Every attempt is counted here before it is made; a
spent budget means waiting, never connecting into a 429 (a ban follows those). This module is
the in-memory count of one instance; `pipeline/connect_budget.py` shares the count through Redis
among every instance behind the address, and the app hands that to the Binance feed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Final, Protocol

# Binance counts connection attempts over 5 minutes.
WINDOW_S: Final = 300.0


class ConnectBudget(Protocol):
    limit: int

    async def take(self) -> float | None:
        """Count one connection attempt about to be made: None if it may go now, else the
        seconds until one may (and nothing is counted)."""
        ...


class LocalConnectBudget:
    """At most `limit` attempts in any `window_s` seconds, counted in this process."""

    def __init__(
        self, limit: int, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque()

    def _expire(self, now: float) -> None:
        times = self._times
        while times and times[0] <= now - self.window_s:
            times.popleft()

    def hit(self) -> float | None:
        """`take`, synchronously."""
        now = self._clock()
        self._expire(now)
        if len(self._times) >= self.limit:
            return self._times[0] + self.window_s - now
        self._times.append(now)
        return None

    def record(self) -> None:
        """An attempt admitted elsewhere (the shared count): remembered for when this count
        has to serve alone."""
        now = self._clock()
        self._expire(now)
        self._times.append(now)

    async def take(self) -> float | None:
        return self.hit()
