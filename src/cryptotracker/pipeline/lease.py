"""Who ingests: one instance holds a Redis lease (`ingest:leader`, with a TTL it renews); if it
dies the lease expires and another takes over. While Redis is away nobody can know, so every
instance ingests for itself (degraded) until Redis returns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from cryptotracker.pipeline.redis_clients import Client
from cryptotracker.pipeline.redis_link import RedisLink

log = structlog.get_logger(__name__)

LEASE_KEY = "ingest:leader"
# Renew only our own lease; delete only our own lease.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class IngestLease:
    def __init__(self, link: RedisLink, instance_id: str, ttl_s: float = 5.0) -> None:
        self._link = link
        self._id = instance_id
        self._ttl_ms = int(ttl_s * 1000)
        self.held = False
        self.holder: str | None = None
        self.closing = False

    @property
    def should_ingest(self) -> bool:
        """Hold the lease, or cannot know (Redis down): ingest."""
        return self.held or not self._link.up

    async def _try(self) -> bool:
        async def attempt(client: Client) -> bool:
            # Renewed whether or not we thought we held it: after a fail-over the promoted
            # replica may still name us (we lost only the connection), and refusing our own
            # lease would leave nobody ingesting until it expires.
            renewed = await client.eval(_RENEW, 1, LEASE_KEY, self._id, self._ttl_ms)
            if renewed:
                return True
            acquired = await client.set(LEASE_KEY, self._id, nx=True, px=self._ttl_ms)
            if not acquired:
                holder = await client.get(LEASE_KEY)
                self.holder = holder.decode() if isinstance(holder, bytes) else None
            return bool(acquired)

        result = await self._link.call("lease", attempt)
        return bool(result)

    async def run(self, on_change: Callable[[bool], None]) -> None:
        """Acquire/renew every third of the TTL; report every change of `should_ingest`."""
        last: bool | None = None
        await self._link.attempted.wait()
        while not self.closing:
            held = await self._try()
            if held != self.held:
                log.info("ingest_lease", held=held, holder=self._id if held else self.holder)
            self.held = held
            if held:
                self.holder = self._id
            now = self.should_ingest
            if now != last:
                last = now
                on_change(now)
            await asyncio.sleep(self._ttl_ms / 3000)

    async def release(self) -> None:
        """Give the lease up now (graceful stop) so another instance need not wait for the TTL;
        `run` stops trying to take it again."""
        self.closing = True
        if self.held:
            await self._link.call(
                "lease_release",
                lambda c: c.eval(_RELEASE, 1, LEASE_KEY, self._id),
            )
            self.held = False
