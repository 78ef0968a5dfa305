"""GET /api/candles against a real server with a counting exchange side: distinct limits and
concurrent requests cost one upstream call per (symbol, interval); rates are per address."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cryptotracker.api.backend import CandleUnavailableError
from cryptotracker.api.candle_cache import MAX_LIMIT, CandleCache
from cryptotracker.market.binance_rest import RestError
from cryptotracker.protocol import CandleDict
from cryptotracker.token_bucket import TokenBucket
from tests.harness import QuietExchange, serve
from tests.support import wait_for

SYMBOLS = ["BTCUSDT", "ETHUSDT"]


def rows(symbol: str, interval: str, count: int) -> list[CandleDict]:
    """`count` rows, oldest first; row i closes at str(i)."""
    return [
        CandleDict(
            symbol=symbol,
            interval=interval,
            openTime=i * 60_000,
            closeTime=i * 60_000 + 59_999,
            open="1",
            high="2",
            low="0.5",
            close=f"{i}",
            volume="10",
            closed=True,
            source="simulator",
        )
        for i in range(count)
    ]


class CountingExchange(QuietExchange):
    """Answers klines with `limit` rows, counting the calls; `gate` holds them while cleared."""

    def __init__(self) -> None:
        super().__init__(SYMBOLS)
        self.calls: list[tuple[str, str, int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        self.calls.append((symbol, interval, limit))
        await self.gate.wait()
        return rows(symbol, interval, limit)


@pytest.fixture
async def served() -> AsyncIterator[tuple[CountingExchange, httpx.AsyncClient]]:
    exchange = CountingExchange()
    async with (
        serve(exchange=exchange, candle_cache_s=300) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield exchange, http


async def test_distinct_limits_share_one_upstream_call_and_are_sliced(
    served: tuple[CountingExchange, httpx.AsyncClient],
) -> None:
    exchange, http = served
    for limit in range(1, 901):
        reply = await http.get(f"/api/candles/BTCUSDT?interval=1m&limit={limit}")
        candles = reply.json()["candles"]
        assert len(candles) == limit
        assert candles[-1]["close"] == str(MAX_LIMIT - 1)  # the newest rows, oldest first
    assert exchange.calls == [("BTCUSDT", "1m", MAX_LIMIT)]
    await http.get("/api/candles/BTCUSDT?interval=5m&limit=3")
    await http.get("/api/candles/ETHUSDT?interval=1m&limit=3")
    assert len(exchange.calls) == 3  # one per (symbol, interval)


async def test_concurrent_requests_for_one_key_make_one_upstream_call(
    served: tuple[CountingExchange, httpx.AsyncClient],
) -> None:
    exchange, http = served
    exchange.gate.clear()
    before = _samples("joined")
    asks = [
        asyncio.create_task(http.get(f"/api/candles/ETHUSDT?interval=1h&limit={n}"))
        for n in range(1, 21)
    ]
    await wait_for(lambda: _samples("joined") - before == 19, 10, "19 requests joined")
    exchange.gate.set()
    replies = await asyncio.gather(*asks)
    assert [len(r.json()["candles"]) for r in replies] == list(range(1, 21))
    assert exchange.calls == [("ETHUSDT", "1h", MAX_LIMIT)]


def _samples(result: str) -> float:
    from cryptotracker.metrics import REGISTRY

    return REGISTRY.get_sample_value("cryptotracker_candle_requests_total", {"result": result}) or 0


async def test_candle_requests_over_an_address_rate_get_429() -> None:
    limits: dict[str, Any] = {"candles_burst": 2, "candles_per_s": 0.01, "limit_exempt_ips": []}
    async with (
        serve(exchange=CountingExchange(), **limits) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        path = "/api/candles/BTCUSDT?limit=5"
        noisy = {"x-forwarded-for": "198.51.100.1"}
        codes = [(await http.get(path, headers=noisy)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        other = {"x-forwarded-for": "198.51.100.2"}
        assert (await http.get(path, headers=other)).status_code == 200


async def test_cache_holds_at_most_its_entries_and_refetches_after_its_ttl() -> None:
    calls: list[str] = []
    now = [0.0]

    async def fetch(symbol: str, interval: str, limit: int) -> list[CandleDict]:
        calls.append(symbol)
        return rows(symbol, interval, limit)

    cache = CandleCache(fetch, 5, 3, TokenBucket(0, 1, 0), clock=lambda: now[0])
    for symbol in ("AA", "BB", "CC", "DD"):
        await cache.get(symbol, "1m", 10)
    assert len(cache) == 3
    await cache.get("AA", "1m", 10)  # forgotten (least recently used): fetched again
    await cache.get("DD", "1m", 10)  # held
    assert calls == ["AA", "BB", "CC", "DD", "AA"]
    now[0] = 5.0
    await cache.get("DD", "1m", 10)
    assert calls[-1] == "DD" and len(calls) == 6


async def test_an_upstream_failure_reaches_every_waiter_and_is_not_cached() -> None:
    attempts: list[int] = []
    gate = asyncio.Event()

    async def fetch(symbol: str, interval: str, limit: int) -> list[CandleDict]:
        attempts.append(limit)
        await gate.wait()
        if len(attempts) == 1:
            raise OSError("exchange down")
        return rows(symbol, interval, limit)

    cache = CandleCache(fetch, 60, 8, TokenBucket(0, 1, 0))
    waiters = [asyncio.create_task(cache.get("AA", "1m", 5)) for _ in range(3)]
    await wait_for(lambda: len(attempts) == 1, 5, "the upstream call")
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, OSError) for r in results)
    assert len(await cache.get("AA", "1m", 5)) == 5 and len(attempts) == 2


async def test_upstream_calls_are_paced_across_keys_serving_expired_entries_meanwhile() -> None:
    calls: list[str] = []
    now = [0.0]

    async def fetch(symbol: str, interval: str, limit: int) -> list[CandleDict]:
        calls.append(symbol)
        return rows(symbol, interval, limit)

    # Two calls at once, then one per 10 s, for every key together.
    cache = CandleCache(fetch, 5, 64, TokenBucket(0.1, 2, 0.0), clock=lambda: now[0])
    await cache.get("AA", "1m", 3)
    await cache.get("BB", "1m", 3)
    with pytest.raises(CandleUnavailableError):
        await cache.get("CC", "1m", 3)
    now[0] = 6.0  # AA expired, no token yet: the expired rows, no call
    assert len(await cache.get("AA", "1m", 3)) == 3 and calls == ["AA", "BB"]
    now[0] = 10.0
    await cache.get("CC", "1m", 3)
    assert calls == ["AA", "BB", "CC"]


async def test_an_upstream_out_of_service_serves_the_expired_entry_it_has() -> None:
    now = [0.0]
    down = [False]

    async def fetch(symbol: str, interval: str, limit: int) -> list[CandleDict]:
        if down[0]:
            raise CandleUnavailableError("banned (418)", retry_after_s=120.0)
        return rows(symbol, interval, limit)

    cache = CandleCache(fetch, 5, 8, TokenBucket(0, 1, 0), clock=lambda: now[0])
    assert len(await cache.get("AA", "1m", 3)) == 3
    down[0], now[0] = True, 10.0  # expired, and the exchange will not answer
    assert [r["close"] for r in await cache.get("AA", "1m", 2)] == ["998", "999"]
    with pytest.raises(CandleUnavailableError) as refused:  # nothing held for BB
        await cache.get("BB", "1m", 2)
    assert refused.value.retry_after_s == 120.0


async def test_a_ban_reaches_the_browser_as_503_with_its_retry_after() -> None:
    class Banned(QuietExchange):
        async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
            raise RestError("GET /api/v3/klines: not sent, address banned (418)", None, 95.2)

    async with (
        serve(exchange=Banned(SYMBOLS)) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        reply = await http.get("/api/candles/BTCUSDT?interval=1m&limit=3")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "96"
