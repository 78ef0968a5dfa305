"""Binance's REST budget: REQUEST_WEIGHT per minute per IP, shared by every REST call the
tracker makes (start-up metadata, snapshots, the candle history the HTTP API serves), so no
number of web clients can get the server's address limited (429) or banned (418, 2 minutes to
3 days). Pure bookkeeping with an injected clock; `BinanceRest` asks before each call and tells
it what the answer said.

- Weight is counted per wall-clock minute, as Binance counts it; the answer's
  `X-MBX-USED-WEIGHT-1M` header says what Binance counted for the whole address, so instances
  behind one egress address (and anything else using it) are seen too: the higher count wins.
- We stop at `limit` (below Binance's 6000) to keep room for that lag.
- After a 429 or 418 nothing is sent until its Retry-After has passed (Binance: sending on after
  a 429 is what gets an address banned)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, NamedTuple

# Binance's documented weights of the calls we make (GET /api/v3/...).
# ticker/bookTicker and aggTrades: one market's top of book and last trade (quote()).
WEIGHTS: Final = {
    "exchangeInfo": 20, "ticker/24hr": 80, "klines": 2, "time": 1, "ping": 1,
    "ticker/bookTicker": 2, "aggTrades": 4,
}  # fmt: skip
# Waits when a 429/418 comes without Retry-After (Binance always sends one; be safe).
DEFAULT_429_S: Final = 60.0
DEFAULT_418_S: Final = 120.0


class Hold(NamedTuple):
    """A call that must not be sent yet: for how long, and why (budget, limited or banned)."""

    wait_s: float
    reason: str


class RequestWeight:
    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        if limit < 1:
            raise ValueError("limit must be >= 1")
        self.limit = limit
        self._clock = clock
        self._minute = -1
        self._used = 0
        self.blocked_until = 0.0
        self.banned = False  # the block came from a 418, not a 429

    @property
    def used(self) -> int:
        """Weight used in the current minute, as far as we know."""
        self._roll(self._clock())
        return self._used

    def _roll(self, now: float) -> None:
        minute = int(now // 60)
        if minute != self._minute:
            self._minute = minute
            self._used = 0

    def spend(self, weight: int) -> Hold | None:
        """Count a call of `weight` about to be sent: None if it may go, else how long to hold
        it (and nothing is counted)."""
        now = self._clock()
        if now < self.blocked_until:
            return Hold(self.blocked_until - now, "banned" if self.banned else "limited")
        self._roll(now)
        if self._used + weight > self.limit:
            return Hold(60.0 - now % 60.0, "budget")
        self._used += weight
        return None

    def observe(self, status: int, used_header: str | None, retry_after: float | None) -> None:
        """What an answer said: Binance's count for the address, and any limit or ban."""
        now = self._clock()
        self._roll(now)
        if used_header is not None and used_header.strip().isdigit():
            self._used = max(self._used, int(used_header))
        if status in (418, 429):
            default = DEFAULT_418_S if status == 418 else DEFAULT_429_S
            until = now + (retry_after if retry_after is not None else default)
            if until > self.blocked_until:
                self.blocked_until = until
                self.banned = status == 418
