"""The source chain Binance -> Coinbase -> Kraken -> CoinGecko -> simulator: each link a real
simulator over a real socket (one plays Binance and CoinGecko, others stand in for the other
exchanges' links, the chain starts its own for the last link), faults set on the exchanges
decide who serves. Recovery times are printed as RESULT lines, bounded generously."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import pytest

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.coinbase import CoinbaseProvider
from cryptotracker.market.feed import FeedSink, FeedState, FeedStateListener
from cryptotracker.market.kraken import KrakenProvider
from cryptotracker.market.link import PriceLink
from cryptotracker.market.sources import LinkFactory, SourceChain
from cryptotracker.protocol import ConnectionStatus, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.coinbase import CoinbaseSimulator
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.kraken import KrakenSimConfig, KrakenSimulator
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST_MARKET, RecordingSink
from tests.simulator.coinbase_sim import coinbase_sim
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
    settings: Settings,
    sink: RecordingSink,
    starter: SimulatorStarter | None = None,
    links: Mapping[Source, LinkFactory] | None = None,
) -> AsyncIterator[tuple[SourceChain, list[FeedState]]]:
    states: list[FeedState] = []
    chain = SourceChain(
        settings, sink, on_state=states.append, start_simulator=starter, links=links
    )
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
    """Binance and CoinGecko on `binance`; the other exchanges only where a test says."""
    return Settings(
        binance_ws_url=binance.ws_url,
        binance_ws_fallback_urls=[],  # the simulator is the only host
        binance_rest_fallback_urls=[],
        binance_rest_url=binance.rest_url,
        coingecko_url=binance.coingecko_url,
        **{**FAST, "source_order": ["binance", "coingecko", "simulator"], **knobs},
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
        # A 451 is no outage that passes: CoinGecko at once, not after the breaker opens.
        await wait_for(lambda: chain.source is Source.COINGECKO, 5, "coingecko serving")
        await wait_for(lambda: chain.circuit() == "open", 5, "breaker open")
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


# ---- several live exchanges --------------------------------------------------------------------

ALL = ["binance", "coinbase", "kraken", "coingecko", "simulator"]
DEMAND = (frozenset({"BTCUSDT", "ETHUSDT"}), frozenset({("BTCUSDT", "1m")}))


@pytest.fixture
async def coinbase() -> AsyncIterator[CoinbaseSimulator]:
    async with coinbase_sim() as sim:
        yield sim


@pytest.fixture
async def kraken() -> AsyncIterator[KrakenSimulator]:
    config = KrakenSimConfig(symbols=30, rate=300.0, seed=7, heartbeat_s=0.1)
    async with KrakenSimulator(config).running() as sim:
        yield sim


def link_to(
    provider: Callable[..., PriceLink], sim: CoinbaseSimulator | KrakenSimulator
) -> LinkFactory:
    """The exchange's provider, pointed at its simulator."""

    def build(
        settings: Settings,
        sink: FeedSink,
        *,
        source: Source,
        on_state: FeedStateListener | None,
        clock: Callable[[], float],
    ) -> PriceLink:
        return provider(
            settings, sink, source=source, ws_url=sim.ws_url, rest_url=sim.rest_url,
            on_state=on_state, clock=clock,
        )  # fmt: skip

    return build


def exchanges(coinbase: CoinbaseSimulator, kraken: KrakenSimulator) -> dict[Source, LinkFactory]:
    return {
        Source.BINANCE: BinanceProvider,
        Source.COINBASE: link_to(CoinbaseProvider, coinbase),
        Source.KRAKEN: link_to(KrakenProvider, kraken),
    }


def live_settings(binance: Simulator, **knobs: Any) -> Settings:
    """Every exchange of the default order; the Coinbase and Kraken simulators' pace."""
    knobs = {"ws_reply_timeout_s": 1.0, "kraken_rest_calls_per_s": 50.0, **knobs}
    return settings_for(binance, source_order=ALL, **knobs)


def streams(sim: Simulator) -> set[str]:
    return {stream for streams in sim.subscriptions().values() for stream in streams}


def connected(sim: CoinbaseSimulator | KrakenSimulator) -> bool:
    return bool(sim.subscriptions())


def priced_by(sink: RecordingSink, since: int, symbol: str, source: str) -> bool:
    return any(p["symbol"] == symbol and p["source"] == source for p in sink.prices[since:])


def switches(sink: RecordingSink, symbol: str) -> list[str]:
    """The sources of `symbol`'s prices in the order they reached the sink, runs collapsed."""
    runs: list[str] = []
    for p in sink.prices:
        if p["symbol"] == symbol and (not runs or runs[-1] != p["source"]):
            runs.append(p["source"])
    return runs


def result(fault: str, **seconds: float) -> None:
    print("RESULT " + json.dumps({"fault": fault, **{k: round(v, 3) for k, v in seconds.items()}}))


def channels(sim: CoinbaseSimulator) -> dict[str, set[str]]:
    """What the Coinbase simulator's connections carry, by channel."""
    out: dict[str, set[str]] = {}
    for subscribed in sim.subscriptions().values():
        for channel, products in subscribed.items():
            out.setdefault(channel, set()).update(products)
    return out


async def test_binance_refusing_our_location_moves_its_markets_to_coinbase_at_once(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    """Issue 15's fault test, each exchange's provider against its simulator."""
    settings = live_settings(binance, simulator_fallback=False)
    async with chain_running(settings, sink, links=exchanges(coinbase, kraken)) as (chain, _):
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: "btcusdt@aggTrade" in streams(binance), 5, "binance streaming")
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        assert not connected(coinbase) and not connected(kraken)

        refused_at, mark = time.monotonic(), len(sink.prices)
        binance.faults.http["ws"] = HttpFault(451)
        binance.faults.http["rest"] = HttpFault(451)
        await binance.drop()
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "coinbase"), 5, "Coinbase prices")
        moved = time.monotonic() - refused_at
        await wait_for(lambda: chain.source is Source.COINBASE, 5, "told: Coinbase")
        status = chain.status()
        assert status["message"] == "Binance refuses this location (451); live prices from Coinbase"
        assert (status["source"], status["live"], status["restricted"]) == (
            "coinbase",
            True,
            True,
        )
        ConnectionStatus.model_validate(status)
        await wait_for(
            lambda: {"BTC-USDT", "ETH-USDT"} <= channels(coinbase).get("matches", set()),
            5,
            "Coinbase streams the demanded markets' trades",
        )
        await wait_for(
            lambda: any(c["source"] == "coinbase" for c in sink.candles), 5, "Coinbase candles"
        )
        assert (await chain.klines("BTCUSDT", "1m", 1))[0]["source"] == "coinbase"
        assert (await chain.quote("BTCUSDT"))["source"] == "coinbase"
        assert not connected(kraken)  # Coinbase serves everything: Kraken stays out
        assert chain.coingecko is None

        cleared_at, mark = time.monotonic(), len(sink.prices)
        binance.faults.clear()
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "binance"), 10, "Binance again")
        back = time.monotonic() - cleared_at
        assert chain.source is Source.BINANCE
        assert chain.status()["restricted"] is False
        await wait_for(lambda: not connected(coinbase), 5, "the Coinbase link closed")
        # One row never mixes exchanges: Binance, Coinbase while refused, Binance again.
        assert switches(sink, "BTCUSDT") == ["binance", "coinbase", "binance"]
    result("binance answers 451", coinbase_prices_s=moved, binance_again_after_clear_s=back)
    assert moved < 5


async def test_binance_down_moves_its_markets_to_coinbase_once_its_breaker_opens(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    settings = live_settings(binance, simulator_fallback=False)
    async with chain_running(settings, sink, links=exchanges(coinbase, kraken)) as (chain, _):
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        down_at, mark = time.monotonic(), len(sink.prices)
        binance.faults.http["ws"] = HttpFault(503)
        await binance.drop()
        await wait_for(lambda: priced_by(sink, mark, "ETHUSDT", "coinbase"), 5, "Coinbase prices")
        moved = time.monotonic() - down_at
        assert chain.circuit() == "open"
        await wait_for(lambda: chain.source is Source.COINBASE, 5, "told: Coinbase")
        status = chain.status()
        assert (status["status"], status["source"], status["live"]) == (
            "degraded",
            "coinbase",
            True,
        )
        assert status["restricted"] is False
        assert status["message"].startswith("Binance unavailable (")
        assert status["message"].endswith("; live prices from Coinbase")

        cleared_at, mark = time.monotonic(), len(sink.prices)
        binance.faults.clear()
        await wait_for(lambda: priced_by(sink, mark, "ETHUSDT", "binance"), 10, "Binance again")
        back = time.monotonic() - cleared_at
        assert switches(sink, "ETHUSDT") == ["binance", "coinbase", "binance"]
    result("binance down (503)", coinbase_prices_s=moved, binance_again_after_clear_s=back)


async def test_a_market_binance_stops_listing_comes_from_coinbase_the_rest_from_binance(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    settings = live_settings(binance, simulator_fallback=False, binance_exchange_info_refresh_s=0.2)
    async with chain_running(settings, sink, links=exchanges(coinbase, kraken)) as (chain, _):
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        mark = len(sink.prices)
        binance.set_status("ETHUSDT", None)  # delisted on Binance, still listed on Coinbase
        await wait_for(lambda: priced_by(sink, mark, "ETHUSDT", "coinbase"), 5, "ETH from Coinbase")
        await wait_for(
            lambda: "ETH-USDT" in channels(coinbase).get("matches", set()), 5, "Coinbase streams"
        )
        assert "BTC-USDT" not in channels(coinbase)["matches"]  # demanded only what it serves
        assert chain.serving("ETHUSDT") is Source.COINBASE
        assert chain.serving("BTCUSDT") is Source.BINANCE
        mark = len(sink.prices)
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "binance"), 5, "BTC from Binance")
        assert not priced_by(sink, mark, "BTCUSDT", "coinbase")
        assert chain.status()["source"] == "binance"  # the main source is still Binance
        # Coinbase's listing was not known when Binance dropped it: Binance's word stood.
        assert "ETHUSDT" in sink.delisted
        assert "ETHUSDT" in {s.symbol for s in chain.symbols()}  # Coinbase lists it


async def test_all_live_exchanges_down_coingecko_then_the_simulator_then_binance_again(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    starter = SimulatorStarter()
    settings = live_settings(binance)
    async with chain_running(settings, sink, starter, exchanges(coinbase, kraken)) as (chain, _):
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: chain.source is Source.BINANCE, 5, "binance serving")
        down_at, mark = time.monotonic(), len(sink.prices)
        for faults in (binance.faults, coinbase.faults, kraken.faults):
            faults.http["ws"] = HttpFault(503)
        await binance.drop()
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "coingecko"), 10, "CoinGecko")
        coingecko_s = time.monotonic() - down_at
        # Down the order: each live exchange tried before the last resorts.
        assert coinbase.handshakes > 0 and kraken.handshakes > 0
        status = chain.status()
        assert (status["source"], status["live"]) == ("coingecko", False)
        assert "not live" in status["message"]

        failing_at, mark = time.monotonic(), len(sink.prices)
        binance.faults.http["coingecko"] = HttpFault(503)
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "simulator"), 10, "simulator")
        simulator_s = time.monotonic() - failing_at
        await wait_for(lambda: chain.source is Source.SIMULATOR, 5, "told: simulator")

        cleared_at, mark = time.monotonic(), len(sink.prices)
        for faults in (binance.faults, coinbase.faults, kraken.faults):
            faults.clear()
        await wait_for(lambda: priced_by(sink, mark, "BTCUSDT", "binance"), 10, "Binance again")
        back = time.monotonic() - cleared_at
        await wait_for(lambda: not starter.running and chain.coingecko is None, 5, "fallbacks off")
        await wait_for(lambda: not connected(coinbase) and not connected(kraken), 5, "links closed")
        assert chain.status()["source"] == "binance"
    result(
        "binance, coinbase and kraken down (503)",
        coingecko_prices_s=coingecko_s,
        simulator_prices_after_coingecko_fails_s=simulator_s,
        binance_again_after_clear_s=back,
    )


async def test_refused_from_the_first_request_coinbase_serves_and_lists_the_markets(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    """A server in a region Binance refuses: Binance never lists a market, Coinbase's listing is
    the markets, its prices the live ones; CoinGecko is never polled."""
    binance.faults.http["ws"] = HttpFault(451)
    binance.faults.http["rest"] = HttpFault(451)
    settings = live_settings(binance, simulator_fallback=False)
    async with chain_running(settings, sink, links=exchanges(coinbase, kraken)) as (chain, _):
        await wait_for(lambda: chain.source is Source.COINBASE, 5, "Coinbase serving")
        assert chain.binance is not None and chain.binance.symbols() == []
        assert {s.symbol for s in chain.symbols()} == set(coinbase.market.markets)
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: priced_by(sink, 0, "BTCUSDT", "coinbase"), 5, "Coinbase prices")
        assert sink.sources() == {"coinbase"}
        status = chain.status()
        assert (status["restricted"], status["live"]) == (True, True)
        assert chain.coingecko is None and not connected(kraken)


async def test_a_market_binance_delists_that_coinbase_lists_moves_there_without_a_delisting(
    binance: Simulator,
    coinbase: CoinbaseSimulator,
    kraken: KrakenSimulator,
    sink: RecordingSink,
) -> None:
    binance.faults.http["ws"] = HttpFault(451)
    binance.faults.http["rest"] = HttpFault(451)
    settings = live_settings(binance, simulator_fallback=False, binance_exchange_info_refresh_s=0.2)
    async with chain_running(settings, sink, links=exchanges(coinbase, kraken)) as (chain, _):
        await chain.set_demand(*DEMAND)
        await wait_for(lambda: chain.source is Source.COINBASE, 5, "Coinbase serving")
        binance.faults.clear()  # Coinbase's listing is known now; Binance serves again
        mark = len(sink.prices)
        await wait_for(lambda: priced_by(sink, mark, "ETHUSDT", "binance"), 10, "Binance again")

        mark = len(sink.prices)
        binance.set_status("ETHUSDT", None)
        await wait_for(lambda: priced_by(sink, mark, "ETHUSDT", "coinbase"), 5, "ETH on Coinbase")
        assert "ETHUSDT" not in sink.delisted  # the clients keep the market: Coinbase has it
        assert chain.serving("ETHUSDT") is Source.COINBASE
        assert chain.serving("BTCUSDT") is Source.BINANCE
