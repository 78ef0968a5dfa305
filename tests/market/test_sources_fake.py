"""The source chain Binance -> CoinGecko -> simulator, with scripted fakes for every link."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.feed import FeedState
from cryptotracker.market.sources import SourceChain
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from tests.market.fake_exchange import FakeExchange
from tests.market.helpers import RecordingSink
from tests.support import wait_for

FAST: dict[str, Any] = {
    "backoff_base_ms": 20,
    "backoff_max_ms": 100,
    "backoff_jitter": 0.0,
    "breaker_failure_threshold": 3,
    "breaker_reset_s": 0.3,
    "feed_silence_s": 1.0,
    "coingecko_poll_s": 0.1,
    "coingecko_calls_per_min": 6000,
    "coingecko_failure_threshold": 2,
}


@pytest.fixture
async def binance() -> AsyncIterator[FakeExchange]:
    async with FakeExchange().running() as exchange:
        yield exchange


@pytest.fixture
async def local_sim() -> AsyncIterator[FakeExchange]:
    async with FakeExchange().running() as exchange:
        yield exchange


class SimulatorStarter:
    """The app's `start_simulator`: here it hands out an already running fake."""

    def __init__(self, exchange: FakeExchange) -> None:
        self.exchange = exchange
        self.started = 0
        self.running = 0

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[tuple[str, str]]:
        self.started += 1
        self.running += 1
        try:
            yield self.exchange.ws_url, self.exchange.rest_url
        finally:
            self.running -= 1


@contextlib.asynccontextmanager
async def chain_running(
    settings: Settings, sink: RecordingSink, starter: SimulatorStarter | None = None
) -> AsyncIterator[tuple[SourceChain, list[FeedState]]]:
    states: list[FeedState] = []
    chain = SourceChain(settings, sink, on_state=states.append, start_simulator=starter)
    task = asyncio.create_task(chain.run())
    try:
        yield chain, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def settings_for(binance: FakeExchange, **knobs: Any) -> Settings:
    return Settings(
        binance_ws_url=binance.ws_url,
        binance_rest_url=binance.rest_url,
        coingecko_url=binance.coingecko_url,
        **{**FAST, **knobs},
    )


async def test_live_binance_is_the_source_and_only_it_is_live(
    binance: FakeExchange, sink: RecordingSink
) -> None:
    async with chain_running(settings_for(binance, simulator_fallback=False), sink) as (chain, _):
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        status = chain.status()
        assert (status["status"], status["source"], status["live"]) == (
            "connected",
            "binance",
            True,
        )
        assert chain.circuit() == "closed"
        await chain.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: "btcusdt@aggTrade" in binance.streams(), 5, "demand forwarded")
        assert [s.symbol for s in chain.symbols()] == ["BTCUSDT", "ETHUSDT", "SHIBUSDT"]
        assert (await chain.klines("BTCUSDT", "1m", 1))[0]["source"] == "binance"


async def test_coingecko_takes_over_while_the_breaker_is_open_and_binance_resumes(
    binance: FakeExchange, sink: RecordingSink
) -> None:
    binance.ws_status = 451
    async with chain_running(settings_for(binance, simulator_fallback=False), sink) as (
        chain,
        states,
    ):
        await wait_for(lambda: chain.source is Source.COINGECKO, 5, "coingecko serving")
        assert chain.circuit() == "open"
        status = chain.status()
        assert (status["status"], status["source"], status["live"]) == (
            "degraded",
            "coingecko",
            False,
        )
        assert "not live" in status["message"]
        assert sink.latest()["BTCUSDT"]["source"] == "coingecko"
        assert any(s.source is Source.COINGECKO and not s.live for s in states)

        binance.ws_status = None
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance back")
        await wait_for(lambda: chain.coingecko is None, 5, "coingecko stopped")
        assert chain.circuit() == "closed"
        assert chain.status()["live"] is True
        await wait_for(lambda: sink.prices[-1]["source"] == "binance", 5, "binance prices")


async def test_simulator_is_the_last_link_when_coingecko_fails_too(
    binance: FakeExchange, local_sim: FakeExchange, sink: RecordingSink
) -> None:
    binance.ws_status = 451
    binance.coingecko_status = 503
    starter = SimulatorStarter(local_sim)
    async with chain_running(settings_for(binance), sink, starter) as (chain, _):
        await wait_for(lambda: chain.source is Source.SIMULATOR, 5, "simulator serving")
        status = chain.status()
        assert (status["status"], status["source"], status["live"]) == (
            "degraded",
            "simulator",
            False,
        )
        await wait_for(lambda: "simulator" in sink.sources(), 5, "simulated prices")
        await chain.set_demand(frozenset({"ETHUSDT"}), frozenset())
        await wait_for(lambda: "ethusdt@aggTrade" in local_sim.streams(), 5, "demand forwarded")
        assert (await chain.klines("BTCUSDT", "1m", 1))[0]["source"] == "simulator"

        binance.coingecko_status = None  # CoinGecko answers again: the higher link wins
        await wait_for(lambda: starter.running == 0, 5, "simulator stopped")
        await wait_for(lambda: chain.source is Source.COINGECKO, 5, "coingecko serving")

        binance.ws_status = None
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance back")
        assert chain.coingecko is None
        assert chain.simulator is None


async def test_no_simulator_link_when_the_fallback_is_off(
    binance: FakeExchange, local_sim: FakeExchange, sink: RecordingSink
) -> None:
    binance.ws_status = 451
    binance.coingecko_status = 503
    starter = SimulatorStarter(local_sim)
    settings = settings_for(binance, simulator_fallback=False)
    async with chain_running(settings, sink, starter) as (chain, _):
        await wait_for(
            lambda: chain.coingecko is not None and chain.coingecko.failures >= 3, 5, "failures"
        )
        assert starter.started == 0
        assert chain.source is None
        status = chain.status()
        assert (status["status"], status["live"]) == ("disconnected", False)


async def test_demo_mode_runs_only_the_simulator_labelled_as_such(
    local_sim: FakeExchange, sink: RecordingSink
) -> None:
    starter = SimulatorStarter(local_sim)
    settings = Settings(exchange="simulator", **FAST)
    async with chain_running(settings, sink, starter) as (chain, _):
        await wait_for(lambda: chain.source is Source.SIMULATOR, 5, "simulator serving")
        assert chain.binance is None
        status = chain.status()
        assert (status["status"], status["source"], status["live"]) == (
            "connected",
            "simulator",
            False,
        )
        assert chain.circuit() == CircuitState.CLOSED.value
        assert sink.sources() == {"simulator"}
        assert [s.symbol for s in chain.symbols()] == ["BTCUSDT", "ETHUSDT", "SHIBUSDT"]
