"""The source chain Binance -> CoinGecko -> simulator: each link a real simulator over a real
socket (one plays Binance and CoinGecko, the chain starts its own for the last link), faults
set on the exchange decide who serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.feed import FeedState
from cryptotracker.market.sources import SourceChain
from cryptotracker.protocol import ConnectionStatus, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST_MARKET, RecordingSink
from tests.simulator.fixtures import SimulatorFactory, sim_config
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
# CoinGecko's free tier (30 calls/min) would refuse a poll every 0.1 s.
EXCHANGE: dict[str, Any] = {**FAST_MARKET, "coingecko_calls_per_min": 6000}


class SimulatorStarter:
    """The app's `start_simulator`, in process: a fresh simulator per start, stopped when the
    chain leaves it."""

    def __init__(self) -> None:
        self.started = 0
        self.current: Simulator | None = None

    @property
    def running(self) -> bool:
        return self.current is not None

    def streams(self) -> set[str]:
        subscriptions = self.current.subscriptions().values() if self.current else []
        return {stream for streams in subscriptions for stream in streams}

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[tuple[str, str]]:
        self.started += 1
        async with Simulator(sim_config(**FAST_MARKET)).running() as sim:
            self.current = sim
            try:
                yield sim.ws_url, sim.rest_url
            finally:
                self.current = None


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


@pytest.fixture
async def binance(simulator_factory: SimulatorFactory) -> Simulator:
    """The simulator that plays Binance and CoinGecko."""
    return await simulator_factory(**EXCHANGE)


def settings_for(binance: Simulator, **knobs: Any) -> Settings:
    return Settings(
        binance_ws_url=binance.ws_url,
        binance_ws_fallback_urls=[],  # the simulator is the only host
        binance_rest_fallback_urls=[],
        binance_rest_url=binance.rest_url,
        coingecko_url=binance.coingecko_url,
        **{**FAST, **knobs},
    )


async def test_live_binance_is_the_source_and_only_it_is_live(
    binance: Simulator, sink: RecordingSink
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
        await wait_for(
            lambda: any("btcusdt@aggTrade" in s for s in binance.subscriptions().values()),
            5,
            "demand forwarded",
        )
        assert [s.symbol for s in chain.symbols()] == sorted(binance.symbols)
        assert (await chain.klines("BTCUSDT", "1m", 1))[0]["source"] == "binance"
        assert sink.sources() == {"binance"}


async def test_coingecko_takes_over_while_the_breaker_is_open_and_binance_resumes(
    binance: Simulator, sink: RecordingSink
) -> None:
    binance.faults.http["ws"] = HttpFault(451)
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
        assert "restricted location (HTTP 451)" in status["message"]
        assert chain.state.restricted
        assert status["restricted"] is True
        assert sink.latest()["BTCUSDT"]["source"] == "coingecko"
        assert any(s.source is Source.COINGECKO and not s.live for s in states)

        binance.faults.clear()
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance back")
        await wait_for(lambda: chain.coingecko is None, 5, "coingecko stopped")
        assert chain.circuit() == "closed"
        assert chain.status()["live"] is True
        assert chain.status()["restricted"] is False
        await wait_for(lambda: sink.prices[-1]["source"] == "binance", 5, "binance prices")


async def test_status_names_halted_markets_until_they_trade_again(
    binance: Simulator, sink: RecordingSink
) -> None:
    binance.set_status("SOLUSDT", "BREAK")
    settings = settings_for(binance, simulator_fallback=False, binance_exchange_info_refresh_s=0.2)
    async with chain_running(settings, sink) as (chain, states):
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        status = chain.status()
        assert status["halted"] == {"SOLUSDT": "BREAK"}
        assert status["restricted"] is False
        ConnectionStatus.model_validate(status)  # what clients get is a valid wire model
        binance.set_status("SOLUSDT", "TRADING")
        await wait_for(lambda: chain.status()["halted"] == {}, 5, "trading again")
        assert states[-1].market_status == {}


async def test_simulator_is_the_last_link_when_coingecko_fails_too(
    binance: Simulator, sink: RecordingSink
) -> None:
    binance.faults.http["ws"] = HttpFault(451)
    binance.faults.http["coingecko"] = HttpFault(503)
    starter = SimulatorStarter()
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
        await wait_for(lambda: "ethusdt@aggTrade" in starter.streams(), 5, "demand forwarded")
        assert (await chain.klines("BTCUSDT", "1m", 1))[0]["source"] == "simulator"

        del binance.faults.http["coingecko"]  # CoinGecko answers again: the higher link wins
        await wait_for(lambda: not starter.running, 5, "simulator stopped")
        await wait_for(lambda: chain.source is Source.COINGECKO, 5, "coingecko serving")

        binance.faults.clear()
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance back")
        assert chain.coingecko is None
        assert chain.simulator is None
        assert starter.started == 1


async def test_no_simulator_link_when_the_fallback_is_off(
    binance: Simulator, sink: RecordingSink
) -> None:
    binance.faults.http["ws"] = HttpFault(451)
    binance.faults.http["coingecko"] = HttpFault(503)
    starter = SimulatorStarter()
    settings = settings_for(binance, simulator_fallback=False)
    async with chain_running(settings, sink, starter) as (chain, _):
        await wait_for(
            lambda: chain.coingecko is not None and chain.coingecko.failures >= 3, 5, "failures"
        )
        assert starter.started == 0
        assert chain.source is None
        status = chain.status()
        assert (status["status"], status["live"]) == ("disconnected", False)


async def test_demo_mode_runs_only_the_simulator_labelled_as_such(sink: RecordingSink) -> None:
    starter = SimulatorStarter()
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
        assert starter.current is not None
        assert [s.symbol for s in chain.symbols()] == sorted(starter.current.symbols)


async def test_while_a_fallback_serves_binances_halted_markets_are_not_reported(
    binance: Simulator, sink: RecordingSink
) -> None:
    """`halted` describes the markets of the prices served: under CoinGecko's, none of
    Binance's (its statuses are not current while it is down), and Binance's once it is back."""
    binance.set_status("PEPEUSDT", "HALT")
    settings = settings_for(binance, simulator_fallback=False)
    async with chain_running(settings, sink) as (chain, _):
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        assert chain.status()["halted"] == {"PEPEUSDT": "HALT"}
        binance.faults.http["ws"] = HttpFault(503)
        await binance.drop()
        await wait_for(lambda: chain.source is Source.COINGECKO, 5, "coingecko serving")
        degraded = chain.status()
        assert degraded["halted"] == {}
        assert "PEPEUSDT" not in degraded["message"]
        assert chain.state.market_status == {}
        binance.faults.clear()
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance back")
        await wait_for(lambda: chain.status()["halted"] == {"PEPEUSDT": "HALT"}, 5, "halt shown")
