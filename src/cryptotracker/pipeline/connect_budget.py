"""Binance's connection attempts per address (300 per 5 minutes) counted for every instance
behind it, in Redis: a sliding window in one sorted set, checked and counted atomically by a
Lua script on Redis's own clock (instances' clocks may differ). While Redis is away each
instance counts alone, in memory (`market.connect_budget.LocalConnectBudget`), as without Redis.
The app hands this to the Binance feed; it fits the feed's `ConnectBudget`."""

from __future__ import annotations

import itertools
from typing import Any, Final, Protocol

from cryptotracker.pipeline.redis_clients import Client
from cryptotracker.pipeline.redis_link import RedisLink

KEY: Final = "binance:connects"
# KEYS[1] the window; ARGV: limit, window in ms, this attempt's unique member. -1: counted, go;
# otherwise the milliseconds until the oldest attempt leaves the window.
_TAKE: Final = """
redis.replicate_commands()  -- TIME before writes (a no-op from Redis 7; needed on 3.2-4)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return -1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class Fallback(Protocol):
    """The in-memory count used while Redis is away."""

    limit: int
    window_s: float

    def hit(self) -> float | None: ...

    def record(self) -> None: ...


class SharedConnectBudget:
    def __init__(self, link: RedisLink, instance: str, local: Fallback) -> None:
        self._link = link
        self._instance = instance
        self._local = local
        self.limit = local.limit
        self._ids = itertools.count(1)

    async def take(self) -> float | None:
        if self._link.up:
            member = f"{self._instance}:{next(self._ids)}"
            window_ms = int(self._local.window_s * 1000)

            async def take(client: Client) -> Any:
                return await client.eval(_TAKE, 1, KEY, self.limit, window_ms, member)

            wait_ms = await self._link.call("connect_budget", take)
            if wait_ms is not None:
                if int(wait_ms) < 0:
                    self._local.record()
                    return None
                return int(wait_ms) / 1000
        return self._local.hit()
