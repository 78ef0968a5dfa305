"""/api/prices and /api/symbols encoded once and served to every request until they change:
built at most once per TTL or key, concurrent requests waiting for one build, gzipped for a
client that takes gzip."""

from __future__ import annotations

import asyncio
import gzip

import httpx
import pytest

from cryptotracker.api.bodies import BodyCache, takes_gzip
from cryptotracker.protocol import PriceDict
from tests.harness import QuietExchange, serve


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_body_is_built_once_per_ttl_and_again_for_a_new_key() -> None:
    clock = Clock()
    cache = BodyCache(1.0, clock)
    built: list[int] = []

    def build() -> bytes:
        built.append(1)
        return b'{"n":%d}' % len(built)

    first = await cache.get(0, build)
    assert first.plain == b'{"n":1}' and gzip.decompress(first.packed) == first.plain
    clock.now += 0.9
    assert await cache.get(0, build) is first
    assert (await cache.get(1, build)).plain == b'{"n":2}'  # a new key: at once
    clock.now += 1.0
    assert (await cache.get(1, build)).plain == b'{"n":3}'  # the TTL ran out
    assert cache.builds == len(built) == 3


async def test_concurrent_requests_for_a_stale_body_wait_for_one_build() -> None:
    cache = BodyCache(1.0, Clock())
    calls = 0

    def build() -> bytes:
        nonlocal calls
        calls += 1
        return b"x" * 100_000

    bodies = await asyncio.gather(*(cache.get("k", build) for _ in range(20)))
    assert calls == 1 and all(b is bodies[0] for b in bodies)


@pytest.mark.parametrize(
    ("header", "gzipped"),
    [
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("*", True),
        ("identity", False),
        ("gzip;q=0", False),
        ("deflate", False),
        ("", False),
        (None, False),
    ],
)
def test_gzip_is_sent_only_to_a_client_that_takes_it(header: str | None, gzipped: bool) -> None:
    assert takes_gzip(header) is gzipped


def _row(symbol: str, price: str, at: int) -> PriceDict:
    return {
        "symbol": symbol, "price": price, "priceChangePercent": "0", "high24h": price,
        "low24h": price, "volume24h": "0", "lastUpdateTime": at, "source": "binance",
    }  # fmt: skip


async def test_prices_are_served_from_one_encoding_until_it_expires_or_a_market_leaves() -> None:
    async with (
        serve(exchange=QuietExchange(["BTCUSDT", "ETHUSDT"]), prices_cache_s=3600) as (
            tracker,
            url,
        ),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        tracker.store.apply([_row("BTCUSDT", "1.5", 1), _row("ETHUSDT", "2.5", 1)])
        packed = await http.get("/api/prices", headers={"accept-encoding": "gzip"})
        assert packed.headers["content-encoding"] == "gzip"
        assert "Accept-Encoding" in packed.headers["vary"]
        plain = await http.get("/api/prices", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert packed.json() == plain.json()
        assert [p["price"] for p in plain.json()["prices"]] == ["1.5", "2.5"]
        # A newer price waits for the encoding to expire (a page polls every 30 s anyway) ...
        tracker.store.apply([_row("BTCUSDT", "1.6", 2)])
        assert (await http.get("/api/prices")).json()["prices"][0]["price"] == "1.5"
        # ... a market that left does not.
        tracker.store.forget(["ETHUSDT"])
        assert [p["price"] for p in (await http.get("/api/prices")).json()["prices"]] == ["1.6"]


async def test_symbols_are_encoded_once_per_listing() -> None:
    exchange = QuietExchange(["BTCUSDT"])
    async with (
        serve(exchange=exchange) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        first = await http.get("/api/symbols")
        assert first.headers["content-encoding"] == "gzip"
        assert [s["symbol"] for s in first.json()["symbols"]] == ["BTCUSDT"]
        exchange.replace_symbols(["BTCUSDT", "SOLUSDT"])
        again = (await http.get("/api/symbols")).json()["symbols"]
        assert [s["symbol"] for s in again] == ["BTCUSDT", "SOLUSDT"]
