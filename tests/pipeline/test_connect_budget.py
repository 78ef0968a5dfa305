"""Binance's connection attempts per address, counted for every instance through a real Redis:
two Binance feeds sharing one Redis stay inside the exchange's own limit together (the
simulator's, lowered to a few attempts), and the one that finds the budget spent waits and says
so instead of connecting."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.connect_budget import LocalConnectBudget
from cryptotracker.pipeline.connect_budget import KEY, SharedConnectBudget
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST, FAST_MARKET, RecordingSink
from tests.simulator.fixtures import SimulatorFactory
from tests.support import wait_async, wait_for

LIMIT = 5


@contextlib.asynccontextmanager
async def feed(sim: Simulator, link: RedisLink, name: str) -> AsyncIterator[BinanceProvider]:
    # Renewed every 0.2 s: each feed alone would spend the budget within a second or two.
    settings = Settings(**{**FAST, "connection_max_age_s": 0.2})
    provider = BinanceProvider(
        settings, RecordingSink(), source=Source.SIMULATOR, ws_url=sim.ws_url,
        rest_url=sim.rest_url,
    )  # fmt: skip
    provider.connect_budget = SharedConnectBudget(link, name, LocalConnectBudget(LIMIT))
    task = asyncio.create_task(provider.run())
    try:
        yield provider
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_two_instances_share_the_addresss_connection_attempts(
    simulator_factory: SimulatorFactory, redis_url: str
) -> None:
    sim = await simulator_factory(**FAST_MARKET, connects_per_5min=LIMIT)
    link = RedisLink(redis_url)
    assert await link.connect()
    try:
        async with feed(sim, link, "a") as a, feed(sim, link, "b") as b:

            def both_waiting() -> bool:
                return all("connection attempts are spent" in p.state.message for p in (a, b))

            await wait_for(both_waiting, 15, "both feeds waiting on the shared budget")
            # Every attempt was within the exchange's limit: none was refused with a 429.
            assert sim.handshakes == LIMIT
            for provider in (a, b):
                assert not provider.state.connected
                retry_at = provider.state.retry_at
                assert retry_at is not None and retry_at - time.time() > 200  # the window's end
                # Minutes to wait: the breaker opens, so the fallbacks serve meanwhile.
                assert provider.breaker.state is CircuitState.OPEN
        client = aioredis.from_url(redis_url)
        try:
            members = await client.zrange(KEY, 0, -1)
        finally:
            await client.aclose()
        assert len(members) == LIMIT
        assert {m.split(b":")[0] for m in members} == {b"a", b"b"}  # both counted there
    finally:
        await link.close()


async def test_without_redis_each_instance_counts_alone(
    simulator_factory: SimulatorFactory, redis_url: str
) -> None:
    """Redis away: the feed keeps its own count in memory, as an instance without Redis does."""
    sim = await simulator_factory(**FAST_MARKET, connects_per_5min=100)
    link = RedisLink(redis_url)  # never connected: down
    try:
        async with feed(sim, link, "a") as a:
            await wait_for(
                lambda: "connection attempts are spent" in a.state.message, 15, "budget spent"
            )
            assert sim.handshakes == LIMIT
    finally:
        await link.close()


async def test_the_shared_window_admits_again_as_the_oldest_attempt_leaves_it(
    redis_url: str,
) -> None:
    link = RedisLink(redis_url)
    assert await link.connect()
    try:
        a = SharedConnectBudget(link, "a", LocalConnectBudget(2, window_s=1.0))
        b = SharedConnectBudget(link, "b", LocalConnectBudget(2, window_s=1.0))
        assert await a.take() is None
        assert await b.take() is None
        wait = await a.take()  # b's attempt counts against a too
        assert wait is not None and 0 < wait <= 1.0
        assert await b.take() is not None
        admitted: list[float | None] = []

        async def admitted_again() -> bool:
            admitted.append(await b.take())
            return admitted[-1] is None

        await wait_async(admitted_again, 3, "the first attempt out of the window")
        assert await link.client.zcard(KEY) <= 2  # never more than the limit in the window
    finally:
        await link.close()
