"""What every instance's clients want, shared in Redis, so the ingesting instance streams the
union: a symbol watched on any instance is streamed, one watched nowhere is not."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import structlog

from cryptotracker.pipeline.redis_clients import FAILURES, Client
from cryptotracker.pipeline.redis_link import RedisLink

log = structlog.get_logger(__name__)

DEMAND_PREFIX = "demand:"
DEMAND_CHANNEL = "demand:changed"
# An instance that stops refreshing (killed) drops out of the union after this.
DEMAND_TTL_MS = 15_000
REFRESH_S = 5.0

Candles = frozenset[tuple[str, str]]
Demand = tuple[frozenset[str], Candles]


class DemandBoard:
    def __init__(self, link: RedisLink | None, instance_id: str) -> None:
        self._link = link
        self._key = DEMAND_PREFIX + instance_id
        self.local: Demand = (frozenset(), frozenset())
        self.changed = asyncio.Event()
        self.closed = False

    async def put(self, demand: Demand) -> None:
        """Publish this instance's demand and tell the others."""
        if self.closed:
            return
        self.local = demand
        symbols, candles = demand
        payload = orjson.dumps({"symbols": sorted(symbols), "candles": sorted(candles)})

        link = self._link

        async def write(client: Client) -> None:
            await client.set(self._key, payload, px=DEMAND_TTL_MS)
            await _announce(link, client, self._key)

        if link is not None:
            await link.call("demand_put", write)
        self.changed.set()

    async def union(self) -> Demand:
        """Local demand plus every live instance's; local alone while Redis is away."""

        link = self._link
        if link is None:
            return self.local

        async def read(client: Client) -> list[Any]:
            keys = [k async for k in client.scan_iter(match=DEMAND_PREFIX + "*", count=500)]
            keys = [k for k in keys if k != DEMAND_CHANNEL.encode()]
            return await link.clients.mget(client, keys) if keys else []

        symbols, candles = set(self.local[0]), set(self.local[1])
        for raw in await link.call("demand_read", read) or []:
            if raw is None:
                continue
            try:
                item = orjson.loads(raw)
                symbols.update(str(s) for s in item["symbols"])
                candles.update((str(s), str(i)) for s, i in item["candles"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                log.warning("demand_invalid_entry")
        return frozenset(symbols), frozenset(candles)

    async def remove(self) -> None:
        """Graceful stop: withdraw our entry at once (not after its TTL) and tell the others."""
        self.closed = True

        link = self._link

        async def delete(client: Client) -> None:
            await client.delete(self._key)
            await _announce(link, client, self._key)

        if link is not None:
            await link.call("demand_remove", delete)

    async def refresh(self) -> None:
        """Keep our entry alive and wake the union reader now and then (others' changes)."""
        while self._link is not None:
            await asyncio.sleep(REFRESH_S)
            await self.put(self.local)

    async def listen(self) -> None:
        """Wake the union reader when another instance announces a change."""
        failures = 0
        while self._link is not None:
            if not self._link.up:
                await self._link.wait_up()
                continue
            try:
                async with self._link.clients.subscription(DEMAND_CHANNEL) as messages:
                    failures = 0
                    async for _ in messages:
                        self.changed.set()
            except FAILURES as exc:
                self._link.mark_down("demand", exc)
                failures += 1
                await asyncio.sleep(self._link.backoff.pause(failures))


async def _announce(link: RedisLink | None, client: Client, key: str) -> None:
    if link is not None:
        pipe = client.pipeline(transaction=False)
        link.clients.publish(pipe, DEMAND_CHANNEL, key.encode())
        await pipe.execute()
