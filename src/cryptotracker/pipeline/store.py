"""Latest state per symbol: always in memory, and in Redis (with a TTL) when configured, so a
subscriber gets a snapshot at once and another instance can start from it. The store is the
only writer of both: it admits each batch from the bus (memory) and writes the batches its own
instance made to Redis, from a task of its own."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable

import orjson
import structlog

from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.redis_clients import Client
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.protocol import PriceDict

log = structlog.get_logger(__name__)

KEY_PREFIX = "price:"


def price_key(symbol: str) -> str:
    return KEY_PREFIX + symbol


class PriceStore:
    def __init__(
        self, link: RedisLink | None = None, ttl_s: int = 60, instance: str | None = None
    ) -> None:
        self._latest: dict[str, PriceDict] = {}
        self._link = link
        self._ttl_s = ttl_s
        self._instance = instance
        # Our own updates not yet in Redis, newest per symbol (a slow Redis coalesces them).
        self._unwritten: dict[str, PriceDict] = {}
        self._undeleted: set[str] = set()  # our delisted symbols not yet deleted in Redis
        self._to_write = asyncio.Event()
        # Bumped when markets are forgotten: what was read of the whole store is out of date.
        self.removals = 0

    def admit(self, batch: Batch) -> Batch:
        """A batch from the bus: what is news (`fresh`) is kept in memory and passed on; ours
        is queued for Redis too. Delisted symbols are forgotten."""
        if batch.delisted:
            self.forget(batch.delisted, ours=batch.origin == self._instance)
        if not batch.updates:
            return batch
        news = self.fresh(batch.updates)
        if len(news) != len(batch.updates):
            batch = dataclasses.replace(batch, updates=news)
        self.apply(news)
        if self._link is not None and batch.origin == self._instance and news:
            unwritten = self._unwritten
            for update in news:
                unwritten[update["symbol"]] = update
            self._to_write.set()
        return batch

    async def run(self) -> None:
        """Write our own updates to Redis as they come, for the life of the app."""
        while True:
            await self._to_write.wait()
            self._to_write.clear()
            pending, self._unwritten = self._unwritten, {}
            gone, self._undeleted = self._undeleted, set()
            await self.persist(list(pending.values()))
            await self.delete(gone)

    def __len__(self) -> int:
        return len(self._latest)

    def apply(self, updates: Iterable[PriceDict]) -> None:
        latest = self._latest
        for update in updates:
            latest[update["symbol"]] = update

    def fresh(self, updates: list[PriceDict]) -> list[PriceDict]:
        """The updates that are news: not one already held, nor older than it from the same
        source. Around a fail-over two feeds overlap for a moment (the old ingester's batches
        still arriving while the new one's start, or one's own feed while another's returns
        over Redis); without this a client would see an update twice, or time go backwards.
        Another source (a fallback) may be older and still passes."""
        latest = self._latest
        news = []
        for update in updates:
            held = latest.get(update["symbol"])
            if (
                held is None
                or held["source"] != update["source"]
                or held["lastUpdateTime"] < update["lastUpdateTime"]
                or (held["lastUpdateTime"] == update["lastUpdateTime"] and held != update)
            ):
                news.append(update)
        return news

    def forget(self, symbols: Iterable[str], ours: bool = False) -> None:
        """Drop these markets (delisted); `ours` (this instance ingests them): from Redis too,
        so no instance loads them back."""
        for symbol in symbols:
            if self._latest.pop(symbol, None) is not None:
                self.removals += 1
            self._unwritten.pop(symbol, None)
            if ours and self._link is not None:
                self._undeleted.add(symbol)
        if self._undeleted:
            self._to_write.set()

    async def delete(self, symbols: Iterable[str]) -> None:
        keys = [price_key(s) for s in symbols]
        if self._link is None or not keys:
            return

        async def remove(client: Client) -> None:
            pipe = client.pipeline(transaction=False)
            for key in keys:  # one by one: a Redis Cluster's keys live on several nodes
                pipe.delete(key)
            await pipe.execute()

        await self._link.call("store_delete", remove)

    def get(self, symbol: str) -> PriceDict | None:
        return self._latest.get(symbol)

    def snapshot(self, symbols: Iterable[str]) -> list[PriceDict]:
        latest = self._latest
        return [latest[s] for s in symbols if s in latest]

    def all(self) -> list[PriceDict]:
        return list(self._latest.values())

    def newest_time(self) -> int | None:
        if not self._latest:
            return None
        return max(u["lastUpdateTime"] for u in self._latest.values())

    async def persist(self, updates: list[PriceDict]) -> None:
        """Write updates to Redis; memory stays the source of truth while Redis is away."""
        if self._link is None or not updates:
            return
        ttl = self._ttl_s

        async def write(client: Client) -> None:
            pipe = client.pipeline(transaction=False)
            for update in updates:
                pipe.set(price_key(update["symbol"]), orjson.dumps(update), ex=ttl)
            await pipe.execute()

        await self._link.call("store_set", write)

    async def resync(self) -> None:
        """After Redis (re)appears: load what others wrote, then write back what we hold."""
        link = self._link
        if link is None:
            return

        async def load(client: Client) -> int:
            keys = [key async for key in client.scan_iter(match=KEY_PREFIX + "*", count=500)]
            if not keys:
                return 0
            loaded = 0
            for raw in await link.clients.mget(client, keys):
                if raw is None:
                    continue
                try:
                    update: PriceDict = orjson.loads(raw)
                    symbol = update["symbol"]
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue
                current = self._latest.get(symbol)
                if current is None or current["lastUpdateTime"] < update["lastUpdateTime"]:
                    self._latest[symbol] = update
                    loaded += 1
            return loaded

        loaded = await link.call("store_load", load)
        await self.persist(self.all())
        log.info("store_resynced", loaded=loaded or 0, held=len(self._latest))
