"""The Binance provider against the simulator over a real socket: what it emits is the
simulator's own strings, demand becomes SUBSCRIBE/UNSUBSCRIBE, and every fault the exchange can
throw (drop, garbage, silence, serverShutdown, maximum age, rejected handshakes, REST refusal)
ends in the reconnect and breaker behaviour the provider promises."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from cryptotracker.market.breaker import CircuitState
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import PriceDict, PriceUpdate
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST_MARKET, RecordingSink, connections, provider_running, tapped
from tests.simulator.fixtures import SimulatorFactory
from tests.support import wait_for

MINI_TICKERS = frozenset({"!miniTicker@arr"})


def metric(name: str, source: str = "simulator") -> float:
    return REGISTRY.get_sample_value(name, {"source": source}) or 0.0


def by_event(sink: RecordingSink) -> dict[tuple[str, int], PriceDict]:
    """Emitted prices by (symbol, exchange event time)."""
    return {(p["symbol"], p["lastUpdateTime"]): p for p in sink.prices}


async def test_rest_snapshot_then_mini_tickers_carry_the_simulators_exact_decimals(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.rate = 0.0  # a still market: the snapshot we read is the one the provider read
    # No trade, no miniTicker: a long silence bound keeps the watchdog out of the still phase.
    async with provider_running(sim, sink, feed_silence_s=10.0) as (provider, states):
        await wait_for(lambda: len(sink.prices) >= len(sim.symbols), 5, "REST snapshot")
        async with httpx.AsyncClient(base_url=sim.rest_url) as http:
            rows = (await http.get("/api/v3/ticker/24hr")).json()
        assert [(p["symbol"], p["price"], p["high24h"], p["low24h"], p["volume24h"])
                for p in sink.prices[: len(rows)]] == [
            (r["symbol"], r["lastPrice"], r["highPrice"], r["lowPrice"], r["quoteVolume"])
            for r in rows
        ]  # fmt: skip
        assert [s.symbol for s in provider.symbols()] == sorted(sim.symbols)

        await wait_for(lambda: MINI_TICKERS in connections(sim), 5, "provider's stream open")
        async with tapped(sim, "!miniTicker@arr") as pushed:
            sim.rate = 400.0

            def pepe_pushed() -> bool:
                return len(pushed) >= 3 and any(r["s"] == "PEPEUSDT" for f in pushed for r in f)

            await wait_for(pepe_pushed, 5, "miniTicker frames with PEPEUSDT")
        sent = {(r["s"], r["E"]): r for frame in pushed for r in frame}
        await wait_for(lambda: sent.keys() <= by_event(sink).keys(), 5, "the same rows emitted")
        emitted = by_event(sink)
        for key, row in sent.items():
            p = emitted[key]
            assert (p["price"], p["high24h"], p["low24h"], p["volume24h"]) == (
                row["c"], row["h"], row["l"], row["q"]
            )  # fmt: skip

        # PEPEUSDT is why the strings matter: a tiny price, a 17-digit volume.
        pepe = sink.latest()["PEPEUSDT"]
        assert Decimal(pepe["price"]) < Decimal("0.0001")
        assert Decimal(pepe["volume24h"]) > 10**8
        assert sink.sources() == {"simulator"}
        for update in sink.prices:
            PriceUpdate.model_validate(update)
        assert states[-1].connected
        assert not states[-1].live  # only Binance is live
        assert provider.breaker.state is CircuitState.CLOSED


async def test_markets_of_other_quote_assets_are_neither_listed_nor_priced(
    sim: Simulator, sink: RecordingSink
) -> None:
    # The simulator lists USDT markets only: asking for BTC markets leaves every one of them out.
    async with provider_running(sim, sink, quote_assets=["BTC"]) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        read = metric("cryptotracker_exchange_frames_total")
        await wait_for(
            lambda: metric("cryptotracker_exchange_frames_total") >= read + 5, 5, "miniTickers"
        )
        assert provider.symbols() == []
        assert sink.prices == []


async def test_only_the_configured_quotes_are_listed_and_priced(
    simulator_factory: SimulatorFactory, sink: RecordingSink
) -> None:
    """A market of every quote: the provider keeps BTC's and EUR's (ETHBTC, BTCEUR, and EURUSDT
    is a USDT market), streams the others' miniTickers past without a price."""
    sim = await simulator_factory(symbols=20, quotes=("USDT", "BTC", "EUR", "TRY"))
    listed = {s: sim.market.markets[s].asset.quote for s in sim.symbols}
    assert set(listed.values()) == {"USDT", "BTC", "EUR", "TRY"}
    async with provider_running(sim, sink, quote_assets=["BTC", "EUR"]) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        wanted = {s for s, quote in listed.items() if quote in ("BTC", "EUR")}
        assert {s.symbol for s in provider.symbols()} == wanted
        assert {"ETHBTC", "BTCEUR"} <= wanted
        await wait_for(lambda: len(sink.latest()) >= len(wanted) // 2, 10, "their prices")
        assert set(sink.latest()) <= wanted


async def test_set_demand_subscribes_and_unsubscribes_agg_trades_and_klines(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        async with tapped(sim, "btcusdt@aggTrade", "ethusdt@kline_1m") as pushed:
            await provider.set_demand(
                frozenset({"BTCUSDT", "NOPEUSDT"}), frozenset({("ETHUSDT", "1m")})
            )
            wanted = MINI_TICKERS | {"btcusdt@aggTrade", "ethusdt@kline_1m"}
            await wait_for(lambda: wanted in connections(sim), 5, "subscriptions")

            def trade_emitted() -> bool:
                emitted = {(p["symbol"], p["price"], p["lastUpdateTime"]) for p in sink.prices}
                trades = [d for d in pushed if d["e"] == "aggTrade"]
                return any((t["s"], t["p"], t["E"]) in emitted for t in trades)

            def kline_emitted() -> bool:
                emitted = {
                    (c["symbol"], c["openTime"], c["open"], c["high"], c["low"], c["close"],
                     c["volume"], c["closed"])
                    for c in sink.candles
                }  # fmt: skip
                klines = [d["k"] for d in pushed if d["e"] == "kline"]
                return any(
                    (k["s"], k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["x"]) in emitted
                    for k in klines
                )

            await wait_for(trade_emitted, 5, "an aggTrade's price emitted as sent")
            await wait_for(kline_emitted, 5, "a kline emitted as sent")
        assert sim.requests == {"SUBSCRIBE": 1}
        await provider.set_demand(frozenset({"ETHUSDT"}), frozenset())
        wanted = MINI_TICKERS | {"ethusdt@aggTrade"}
        await wait_for(lambda: connections(sim) == {wanted}, 5, "resubscription")
        assert sim.requests == {"SUBSCRIBE": 2, "UNSUBSCRIBE": 1}  # only the difference
        await wait_for(lambda: provider.subscriptions == {0: wanted}, 5, "replies applied")


async def test_drop_reconnects_and_resubscribes(sim: Simulator, sink: RecordingSink) -> None:
    async with provider_running(sim, sink) as (provider, states):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        wanted = MINI_TICKERS | {"btcusdt@aggTrade"}
        await wait_for(lambda: connections(sim) == {wanted}, 5, "subscribed")
        dropped = set(sim.subscriptions())
        await sim.drop()
        await wait_for(lambda: sim.handshakes >= 2, 5, "reconnect")
        await wait_for(
            lambda: connections(sim) == {wanted} and not dropped & set(sim.subscriptions()),
            5,
            "re-subscribed on a new connection",
        )
        await wait_for(lambda: provider.state.connected, 5, "connected again")
        assert any(not s.connected for s in states)
        assert provider.breaker.failures == 0  # data flowed again


async def test_garbage_is_counted_and_skipped_while_good_frames_flow(
    sim: Simulator, sink: RecordingSink
) -> None:
    invalid = "cryptotracker_exchange_frames_invalid_total"
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        before = metric(invalid)
        sim.garbage(4)  # cut JSON, not JSON, wrong field types, a null price
        await wait_for(lambda: metric(invalid) >= before + 4, 5, "invalid frames counted")
        seen = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > seen + 40, 5, "good frames after garbage")
        assert metric(invalid) == before + 4
        assert sim.handshakes == 1  # garbage is not a reason to reconnect
        assert provider.breaker.failures == 0


async def test_silence_trips_the_watchdog_and_reconnects(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        sim.silence(60.0)
        await wait_for(lambda: sim.handshakes >= 2, 5, "watchdog reconnect")
        assert provider.breaker.failures >= 1
        sim.faults.clear()
        await wait_for(lambda: provider.breaker.failures == 0, 5, "healthy again")


async def test_server_shutdown_reconnects_at_once_without_failure(
    sim: Simulator, sink: RecordingSink
) -> None:
    slow_backoff = {"backoff_base_ms": 5000, "backoff_max_ms": 5000}
    async with provider_running(sim, sink, **slow_backoff) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        sim.shutdown_notice()
        # A 5 s backoff would miss this bound: the reconnect does not wait.
        await wait_for(lambda: sim.handshakes >= 2, 3, "immediate reconnect")
        await wait_for(lambda: provider.state.connected, 3, "connected again")
        assert provider.breaker.failures == 0


async def test_connection_is_renewed_before_the_exchange_cuts_it(
    simulator_factory: SimulatorFactory, sink: RecordingSink
) -> None:
    # The simulator cuts at 1 s (Binance: 24 h), the provider renews at 0.3 s (23.5 h).
    sim = await simulator_factory(**FAST_MARKET, max_connection_age_s=1.0)
    async with provider_running(sim, sink, connection_max_age_s=0.3) as (provider, states):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: sim.handshakes >= 4, 5, "renewed connections")
        wanted = MINI_TICKERS | {"btcusdt@aggTrade"}
        await wait_for(lambda: connections(sim) == {wanted}, 5, "re-subscribed")
        # Every break was a renewal: a cut by the exchange would read "connection dropped".
        breaks = [s.message for s in states if not s.connected]
        assert breaks and set(breaks) == {"reconnecting: max_age"}
        assert provider.breaker.failures == 0


@pytest.mark.parametrize(("status", "retry_after"), [(429, 0.0), (451, None)])
async def test_rejected_handshakes_back_off_and_open_the_breaker(
    sim: Simulator, sink: RecordingSink, status: int, retry_after: float | None
) -> None:
    sim.faults.http["ws"] = HttpFault(status, retry_after=retry_after)
    async with provider_running(sim, sink) as (provider, states):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert sim.handshakes == 3
        assert not provider.state.connected
        assert any(s.circuit is CircuitState.OPEN for s in states)
        sim.faults.clear()
        await wait_for(lambda: provider.breaker.state is CircuitState.CLOSED, 5, "probe succeeded")
        await wait_for(lambda: provider.state.connected, 5, "connected")


async def test_rest_failure_while_bootstrapping_counts_as_a_failure(
    sim: Simulator, sink: RecordingSink
) -> None:
    sim.faults.http["rest"] = HttpFault(451)
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert sim.rest.calls == {"exchangeInfo": 3}
        assert sim.handshakes == 0  # no stream without symbols
        sim.faults.clear()
        await wait_for(lambda: provider.state.connected, 5, "connected after REST recovered")


async def test_klines_come_from_rest_with_the_simulators_decimals(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with provider_running(sim, sink) as (provider, _):
        candles = await provider.klines("PEPEUSDT", "1m", 5)
        query: dict[str, str | int] = {"symbol": "PEPEUSDT", "interval": "1m", "limit": 5}
        async with httpx.AsyncClient(base_url=sim.rest_url) as http:
            rows = (await http.get("/api/v3/klines", params=query)).json()
    assert {(c["symbol"], c["interval"], c["source"]) for c in candles} == {
        ("PEPEUSDT", "1m", "simulator")
    }
    # The newest candle still forms, and a minute may turn between the two calls: compare the
    # candles closed before the provider asked that both answers hold.
    expected = {row[0]: (row[1], row[2], row[3], row[4], row[5], row[6]) for row in rows}
    closed = [c for c in candles[:-1] if c["openTime"] in expected]
    assert len(closed) >= 3
    for c in closed:
        assert c["closed"]
        assert (c["open"], c["high"], c["low"], c["close"], c["volume"], c["closeTime"]) == (
            expected[c["openTime"]]
        )
