"""Candle history for the HTTP API: one cache entry per (symbol, interval), filled by one
upstream call however many clients ask at once and whatever `limit` they ask for, and upstream
calls paced as a whole (many addresses asking for many keys cannot get the exchange to ban us)."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from prometheus_client import Counter

from cryptotracker.api.backend import CandleUnavailableError
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import CandleDict
from cryptotracker.token_bucket import TokenBucket

CANDLE_REQUESTS = Counter(
    "cryptotracker_candle_requests_total",
    "Candle history requests by how they were answered: from the cache (hit), by joining an "
    "upstream call in flight (joined), by a new upstream call (fetched), from an expired entry "
    "while upstream calls are paced (stale) or not at all (paced)",
    ["result"],
    registry=REGISTRY,
)

# The most rows the API serves (and Binance returns) per request: every upstream call asks for
# this many, so any `limit` is a slice of one entry.
MAX_LIMIT = 1000

Key = tuple[str, str]
Fetch = Callable[[str, str, int], Awaitable[list[CandleDict]]]


class CandleCache:
    """(symbol, interval) -> the newest MAX_LIMIT rows for `ttl_s`; at most `max_entries`
    (least recently used first out: about 0.8 MB each when full). Concurrent misses of a key
    share one upstream call (single flight), which a caller going away does not cancel. New
    upstream calls take a token of `upstream` (all keys together); without one an expired
    entry is served, or CandleUnavailableError raised."""

    def __init__(
        self,
        fetch: Fetch,
        ttl_s: float,
        max_entries: int,
        upstream: TokenBucket,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl_s
        self._max = max_entries
        self._upstream = upstream
        self._clock = clock
        self._entries: OrderedDict[Key, tuple[float, list[CandleDict]]] = OrderedDict()
        self._flights: dict[Key, asyncio.Task[list[CandleDict]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        key = (symbol, interval)
        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and now - entry[0] < self._ttl:
            self._entries.move_to_end(key)
            CANDLE_REQUESTS.labels("hit").inc()
            return entry[1][-limit:]
        flight = self._flights.get(key)
        if flight is None and not self._upstream.take(now):
            if entry is not None:
                CANDLE_REQUESTS.labels("stale").inc()
                return entry[1][-limit:]
            CANDLE_REQUESTS.labels("paced").inc()
            raise CandleUnavailableError("candle history is busy; retry in a second")
        if flight is None:
            CANDLE_REQUESTS.labels("fetched").inc()
            flight = asyncio.create_task(self._fill(key), name=f"candles-{symbol}-{interval}")
            flight.add_done_callback(_retrieve)  # its callers may all have gone
            self._flights[key] = flight
        else:
            CANDLE_REQUESTS.labels("joined").inc()
        try:
            rows = await asyncio.shield(flight)
        except CandleUnavailableError:
            if entry is None:
                raise
            CANDLE_REQUESTS.labels("stale").inc()  # older rows beat none while upstream is out
            return entry[1][-limit:]
        return rows[-limit:]

    async def _fill(self, key: Key) -> list[CandleDict]:
        try:
            rows = await self._fetch(key[0], key[1], MAX_LIMIT)
        finally:
            del self._flights[key]
        self._entries[key] = (self._clock(), rows)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return rows

    async def close(self) -> None:
        """Cancel upstream calls still in flight (shutdown)."""
        flights = list(self._flights.values())
        for flight in flights:
            flight.cancel()
        await asyncio.gather(*flights, return_exceptions=True)


def _retrieve(task: asyncio.Task[list[CandleDict]]) -> None:
    if not task.cancelled():
        task.exception()
