"""GET /api/compare/{symbol}: the market on every configured live exchange, asked at once, each
within a timeout; an exchange that fails or says nothing is its own row's error. Exchanges are
simulators over real sockets (Binance's protocol, stamped as each exchange)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from cryptotracker.api.compare import ask_all, comparison
from cryptotracker.market.binance import BinanceProvider
from cryptotracker.protocol import ExchangeComparison, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.harness import serve
from tests.market.helpers import FAST, FAST_MARKET, RecordingSink
from tests.simulator.fixtures import SimulatorFactory
from tests.support import wait_for


@pytest.fixture
async def mute_url() -> AsyncIterator[str]:
    """An HTTP server that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def link(source: Source, rest_url: str) -> BinanceProvider:
    return BinanceProvider(
        Settings(**FAST), RecordingSink(), source=source, ws_url="ws://unused", rest_url=rest_url
    )


async def test_every_exchange_is_asked_at_once_and_a_failing_one_is_only_its_rows_error(
    simulator_factory: SimulatorFactory, mute_url: str
) -> None:
    binance = await simulator_factory(**FAST_MARKET)
    coinbase = await simulator_factory(**FAST_MARKET)
    coinbase.faults.http["rest"] = HttpFault(451)
    links = [
        link(Source.BINANCE, binance.rest_url),
        link(Source.COINBASE, coinbase.rest_url),
        link(Source.KRAKEN, mute_url),
        link(Source.KRAKEN, mute_url),
    ]
    started = time.monotonic()
    answers = await ask_all(links, "BTCUSDT", timeout_s=2.0)
    took = time.monotonic() - started
    print(f"RESULT compare round with two silent exchanges (timeout 2 s): {took:.3f} s")
    assert took < 3.5  # both silent ones waited on together, not one after the other

    now = int(time.time() * 1000)
    answer = comparison("BTCUSDT", (now, answers), Source.BINANCE, now)
    ExchangeComparison.model_validate(answer.model_dump(by_alias=True))
    first, refused, silent, _ = answer.quotes
    assert (first.source, first.serving, first.error) == (Source.BINANCE, True, None)
    assert first.bid is not None and first.ask is not None and first.spread is not None
    assert Decimal(first.spread) == Decimal(first.ask) - Decimal(first.bid) > 0
    bid, ask = Decimal(first.bid), Decimal(first.ask)
    expected = ((ask - bid) / ((ask + bid) / 2) * 100).quantize(Decimal("0.000001"))
    assert first.spread_percent == f"{expected:f}"
    assert first.last is not None and first.last_trade_age_ms is not None
    assert refused.serving is False and refused.bid is None
    assert refused.error == "refuses this server's location (HTTP 451)"
    assert silent.error == "no answer within 2 s"


def tracker_settings(sim: Simulator, **knobs: object) -> Settings:
    return Settings(
        binance_ws_url=sim.ws_url,
        binance_ws_fallback_urls=[],
        binance_rest_url=sim.rest_url,
        coingecko_url=sim.coingecko_url,
        simulator_fallback=False,
        source_order=["binance", "coingecko"],
        **{**FAST, **knobs},  # type: ignore[arg-type]
    )


async def test_the_endpoint_names_the_serving_exchange_caches_and_404s_unknown_markets(
    simulator_factory: SimulatorFactory,
) -> None:
    sim = await simulator_factory(**FAST_MARKET)
    async with serve(tracker_settings(sim, compare_cache_s=30)) as (tracker, url):
        await wait_for(lambda: tracker.exchange.status()["live"], 10, "Binance serving")
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            reply = await client.get("/api/compare/BTCUSDT")
            assert reply.status_code == 200
            body = reply.json()
            assert [(q["source"], q["serving"]) for q in body["quotes"]] == [("binance", True)]
            quote = body["quotes"][0]
            assert quote["error"] is None and quote["bid"] and quote["ask"] and quote["spread"]
            calls = sim.rest.calls.get("ticker/bookTicker", 0)
            again = (await client.get("/api/compare/BTCUSDT")).json()
            assert again["asOf"] == body["asOf"]  # from the cache: the exchange not asked again
            assert sim.rest.calls.get("ticker/bookTicker", 0) == calls
            assert (await client.get("/api/compare/NOPEUSDT")).status_code == 404
            assert (await client.get("/api/compare/btc")).status_code == 422
