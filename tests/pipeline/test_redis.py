"""Store and bus against a real Redis (the machine's, database 9; or a private one to stop)."""

from __future__ import annotations

import asyncio

import orjson
import redis.asyncio as aioredis

from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.bus import BATCH_CHANNEL, RedisBus
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.pipeline.store import PriceStore, price_key
from cryptotracker.protocol import PriceDict
from tests.conftest import PrivateRedis
from tests.support import wait_async as wait_for_async
from tests.support import wait_for


def upd(symbol: str, value: str, t: int = 1) -> PriceDict:
    return {
        "symbol": symbol,
        "price": value,
        "priceChangePercent": "0",
        "high24h": value,
        "low24h": value,
        "volume24h": "98765432101.12345678",
        "lastUpdateTime": t,
        "source": "binance",
    }


async def test_store_writes_latest_price_with_ttl_and_loads_it_back(redis_url: str) -> None:
    link = RedisLink(redis_url)
    assert await link.connect()
    store = PriceStore(link, ttl_s=60)
    store.apply([upd("BTCUSDT", "0.00001234")])
    await store.persist(store.all())
    raw = await link.client.get(price_key("BTCUSDT"))
    assert orjson.loads(raw)["price"] == "0.00001234"
    assert 0 < await link.client.ttl(price_key("BTCUSDT")) <= 60
    other = PriceStore(link)
    await other.resync()
    assert other.get("BTCUSDT") == upd("BTCUSDT", "0.00001234")
    await link.close()


async def test_the_store_writes_its_own_instances_batches_to_redis_only(redis_url: str) -> None:
    link = RedisLink(redis_url)
    assert await link.connect()
    await link.client.delete(price_key("OWNUSDT"), price_key("THEIRUSDT"))
    store = PriceStore(link, ttl_s=60, instance="me")
    writer = asyncio.create_task(store.run())
    try:
        store.admit(Batch("them", 1, 1, [upd("THEIRUSDT", "2")], []))
        kept = store.admit(Batch("me", 1, 1, [upd("OWNUSDT", "1")], []))
        assert kept.updates == [upd("OWNUSDT", "1")] and store.get("THEIRUSDT") is not None

        async def written() -> bool:
            return await link.client.get(price_key("OWNUSDT")) is not None

        await wait_for_async(written, 5, "our update in Redis")
        assert await link.client.get(price_key("THEIRUSDT")) is None  # its own instance writes it
        assert store.admit(Batch("me", 2, 2, [upd("OWNUSDT", "1")], [])).updates == []  # held
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await link.close()


async def test_batches_cross_instances_and_skip_their_origin(redis_url: str) -> None:
    links = [RedisLink(redis_url), RedisLink(redis_url)]
    for link in links:
        assert await link.connect()
    a, b = RedisBus(links[0], "a"), RedisBus(links[1], "b")
    got_a: list[Batch] = []
    got_b: list[Batch] = []
    a.subscribe(got_a.append)
    b.subscribe(got_b.append)
    listeners = [asyncio.create_task(a.run()), asyncio.create_task(b.run())]
    try:
        watcher = aioredis.from_url(redis_url)
        async with asyncio.timeout(5):
            while (await watcher.pubsub_numsub(BATCH_CHANNEL))[0][1] < 2:
                await asyncio.sleep(0.02)
        await a.publish(Batch("a", 1, 5, [upd("BTCUSDT", "1")]))
        await wait_for(lambda: len(got_b) == 1, 5, "batch at the other instance")
        assert got_a[0] == got_b[0]  # delivered locally at once, and over Redis to b
        assert len(got_a) == 1  # a does not get its own batch twice
        await watcher.aclose()
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        for link in links:
            await link.close()


async def test_store_keeps_serving_from_memory_while_redis_is_down_then_resyncs(
    private_redis: PrivateRedis,
) -> None:
    link = RedisLink(private_redis.url)
    watcher = asyncio.create_task(link.run())
    try:
        await wait_for(lambda: link.up, 5, "redis up")
        store = PriceStore(link)
        link.on_up(store.resync)
        private_redis.stop()
        store.apply([upd("ETHUSDT", "3000.5")])
        await store.persist(store.all())  # fails quietly, marks Redis down
        assert not link.up
        assert store.get("ETHUSDT") is not None  # memory still serves
        private_redis.start()
        await wait_for(lambda: link.up, 15, "redis back")
        client = aioredis.from_url(private_redis.url)
        async with asyncio.timeout(5):
            while await client.get(price_key("ETHUSDT")) is None:
                await asyncio.sleep(0.05)
        await client.aclose()
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        await link.close()


async def test_a_delisted_symbol_leaves_memory_and_redis(redis_url: str) -> None:
    link = RedisLink(redis_url)
    assert await link.connect()
    await link.client.delete(price_key("GONEUSDT"), price_key("STAYUSDT"))
    store = PriceStore(link, ttl_s=60, instance="me")
    writer = asyncio.create_task(store.run())
    try:
        store.admit(Batch("me", 1, 1, [upd("GONEUSDT", "1"), upd("STAYUSDT", "2")], []))

        async def written() -> bool:
            return await link.client.get(price_key("GONEUSDT")) is not None

        await wait_for_async(written, 5, "both in Redis")
        store.admit(Batch("me", 2, 2, [], [], None, ["GONEUSDT"]))
        assert store.get("GONEUSDT") is None
        assert [u["symbol"] for u in store.all()] == ["STAYUSDT"]

        async def deleted() -> bool:
            return await link.client.get(price_key("GONEUSDT")) is None

        await wait_for_async(deleted, 5, "gone from Redis")
        assert await link.client.get(price_key("STAYUSDT")) is not None
        other = PriceStore(link)
        await other.resync()  # another instance does not load it back
        assert other.get("GONEUSDT") is None
    finally:
        writer.cancel()
        await asyncio.gather(writer, return_exceptions=True)
        await link.close()
