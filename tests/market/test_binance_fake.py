"""The Binance provider over a real socket against a scripted fake: exact frames and faults."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.feed import FeedState
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import PriceUpdate, Source
from cryptotracker.settings import Settings
from tests.market.fake_exchange import FakeExchange
from tests.market.helpers import RecordingSink
from tests.support import wait_for

FAST: dict[str, Any] = {
    "backoff_base_ms": 20,
    "backoff_max_ms": 100,
    "backoff_jitter": 0.0,
    "breaker_failure_threshold": 3,
    "breaker_reset_s": 0.5,
    "feed_silence_s": 0.5,
    "ws_open_timeout_s": 2.0,
    "rest_timeout_s": 2.0,
    "ws_requests_per_s": 4.0,
}


def metric(name: str, source: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": source}) or 0.0


@pytest.fixture
async def fake() -> AsyncIterator[FakeExchange]:
    async with FakeExchange().running() as exchange:
        yield exchange


@contextlib.asynccontextmanager
async def provider_running(
    fake: FakeExchange, sink: RecordingSink, source: Source = Source.SIMULATOR, **knobs: Any
) -> AsyncIterator[tuple[BinanceProvider, list[FeedState]]]:
    states: list[FeedState] = []
    settings = Settings(**{**FAST, **knobs})
    provider = BinanceProvider(
        settings, sink, source=source, ws_url=fake.ws_url, rest_url=fake.rest_url,
        on_state=states.append,
    )  # fmt: skip
    task = asyncio.create_task(provider.run())
    try:
        yield provider, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_snapshot_then_mini_tickers_flow_with_exact_decimals(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink) as (provider, states):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await wait_for(lambda: len(sink.prices) > 10, 5, "mini tickers")
        assert [s.symbol for s in provider.symbols()] == ["BTCUSDT", "ETHUSDT", "SHIBUSDT"]
        assert sink.prices[0]["lastUpdateTime"] == 1  # the REST snapshot came first
        shib = sink.latest()["SHIBUSDT"]
        assert (shib["price"], shib["volume24h"]) == ("0.00001234", "98765432101.12345678")
        assert sink.sources() == {"simulator"}
        assert "ETHBTC" not in sink.latest()  # not a USDT market
        for update in sink.prices:
            PriceUpdate.model_validate(update)
        assert states[-1].connected
        assert not states[-1].live  # only Binance is live
        assert provider.breaker.state is CircuitState.CLOSED


async def test_set_demand_subscribes_and_unsubscribes_agg_trades_and_klines(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(
            frozenset({"BTCUSDT", "NOPEUSDT"}), frozenset({("ETHUSDT", "1m")})
        )
        wanted = {"!miniTicker@arr", "btcusdt@aggTrade", "ethusdt@kline_1m"}
        await wait_for(lambda: fake.streams() == wanted, 5, "subscriptions")
        await wait_for(lambda: sink.latest()["BTCUSDT"]["price"].endswith(".5"), 5, "aggTrade")
        await provider.set_demand(frozenset({"ETHUSDT"}), frozenset())
        wanted = {"!miniTicker@arr", "ethusdt@aggTrade"}
        await wait_for(lambda: fake.streams() == wanted, 5, "resubscription")
        methods = [r["method"] for r in fake.requests]
        assert methods == ["SUBSCRIBE", "UNSUBSCRIBE", "SUBSCRIBE"]
        assert provider.subscriptions == {0: frozenset(wanted)}


async def test_drop_reconnects_and_resubscribes(fake: FakeExchange, sink: RecordingSink) -> None:
    async with provider_running(fake, sink) as (provider, states):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        wanted = {"!miniTicker@arr", "btcusdt@aggTrade"}
        await wait_for(lambda: fake.streams() == wanted, 5, "subscribed")
        await fake.drop()
        await wait_for(lambda: fake.connects >= 2, 5, "reconnect")
        await wait_for(lambda: fake.streams() == wanted, 5, "re-subscribed")
        await wait_for(lambda: provider.state.connected, 5, "connected again")
        assert any(not s.connected for s in states)
        assert provider.breaker.failures == 0  # data flowed again


async def test_garbage_is_counted_and_skipped_while_good_frames_flow(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        before = metric("cryptotracker_exchange_frames_invalid_total", "simulator")
        await fake.send_all("{this is not json")
        await fake.send_all('{"stream": "!miniTicker@arr", "data": [{"s": 5}]}')
        await wait_for(
            lambda: (
                metric("cryptotracker_exchange_frames_invalid_total", "simulator") >= before + 2
            ),
            5,
            "invalid frames counted",
        )
        seen = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > seen + 6, 5, "good frames after garbage")
        assert fake.connects == 1  # garbage is not a reason to reconnect


async def test_silence_trips_the_watchdog_and_reconnects(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        fake.silent = True
        await wait_for(lambda: fake.connects >= 2, 5, "watchdog reconnect")
        assert provider.breaker.failures >= 1
        fake.silent = False
        await wait_for(lambda: provider.breaker.failures == 0, 5, "healthy again")


async def test_server_shutdown_reconnects_at_once_without_failure(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink, backoff_base_ms=5000, backoff_max_ms=5000) as (
        provider,
        _,
    ):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await fake.shutdown_notice()
        # A 5 s backoff would miss this bound: the reconnect does not wait.
        await wait_for(lambda: fake.connects >= 2, 3, "immediate reconnect")
        await wait_for(lambda: provider.state.connected, 3, "connected again")
        assert provider.breaker.failures == 0


async def test_connection_is_renewed_before_max_age(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    async with provider_running(fake, sink, connection_max_age_s=0.3) as (provider, _):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: fake.connects >= 3, 5, "renewed connections")
        await wait_for(lambda: "btcusdt@aggTrade" in fake.streams(), 5, "re-subscribed")
        assert provider.breaker.failures == 0


@pytest.mark.parametrize("status", [429, 451])
async def test_rejected_handshakes_back_off_and_open_the_breaker(
    fake: FakeExchange, sink: RecordingSink, status: int
) -> None:
    fake.ws_status = status
    async with provider_running(fake, sink, breaker_reset_s=0.3) as (provider, states):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert fake.connects == 3
        assert not provider.state.connected
        assert any(s.circuit is CircuitState.OPEN for s in states)
        fake.ws_status = None
        await wait_for(lambda: provider.breaker.state is CircuitState.CLOSED, 5, "probe succeeded")
        await wait_for(lambda: provider.state.connected, 5, "connected")


async def test_rest_failure_while_bootstrapping_counts_as_a_failure(
    fake: FakeExchange, sink: RecordingSink
) -> None:
    fake.rest_status = 451
    async with provider_running(fake, sink) as (provider, _):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert fake.connects == 0  # no stream without symbols
        fake.rest_status = None
        await wait_for(lambda: provider.state.connected, 5, "connected after REST recovered")


async def test_klines_come_from_rest(fake: FakeExchange, sink: RecordingSink) -> None:
    async with provider_running(fake, sink) as (provider, _):
        candles = await provider.klines("BTCUSDT", "1m", 1)
        assert candles[0]["close"] == "1.5"
        assert candles[0]["source"] == "simulator"
