"""The Coinbase provider against the Coinbase simulator over a real socket: prices flow as the
exchange wrote them and labelled, demand follows set_demand, and every fault (drop, silence,
garbage, a sequence gap, 429, a geo refusal, maintenance) ends as the provider promises.
Recovery times are printed (run with -s); they are figures, not assertions."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import httpx
import orjson
import pytest

from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.coinbase import RESTRICTED, CoinbaseProvider, market_status
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import CandleData, PriceUpdate, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.market import INTERVAL_MS
from tests.market.coinbase_helpers import coinbase_running, ordered_by_sequence
from tests.market.helpers import RecordingSink
from tests.simulator.coinbase_sim import coinbase_sim
from tests.support import wait_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coinbase"


def metric(name: str, source: str = "simulator") -> float:
    return REGISTRY.get_sample_value(name, {"source": source}) or 0.0


def report(what: str, seconds: float) -> None:
    print(f"\nRECOVERY coinbase {what}: {seconds * 1000:.0f} ms")


def channels(sim: object) -> dict[str, set[str]]:
    subs = sim.subscriptions()  # type: ignore[attr-defined]
    assert len(subs) <= 1
    return next(iter(subs.values()), {})


async def test_tickers_flow_with_the_exchanges_decimals_and_label() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink, Source.COINBASE) as (p, states):
        await wait_for(lambda: len(sink.latest()) >= 20, 5, "tickers of many markets")
        assert sorted(s.symbol for s in p.symbols()) == sorted(m for m in sim.market.markets)
        assert channels(sim)["ticker"] == set(sim.product_ids)
        assert channels(sim)["heartbeat"] == set(sim.product_ids)
        assert sink.sources() == {"coinbase"}
        prices = {(pid.replace("-", ""), price) for pid, _, price, _ in sim.trades}
        for update in sink.prices:
            PriceUpdate.model_validate(update)
            assert (update["symbol"], update["price"]) in prices
        states_live = [s for s in states if s.connected]
        assert states_live and states_live[-1].live  # Coinbase is a live source
        await wait_for(lambda: any(u["symbol"] == "PEPEUSDT" for u in sink.prices), 5, "PEPE")
        pepe = [u for u in sink.prices if u["symbol"] == "PEPEUSDT"]
        assert Decimal(pepe[-1]["price"]) < Decimal("0.0001")
        # Quote volume = base volume x price, exactly.
        assert Decimal(pepe[-1]["volume24h"]) > 10**6


async def test_demand_subscribes_matches_seeds_from_rest_and_builds_candles() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        await provider.set_demand(
            frozenset({"BTCUSDT", "NOPEUSDT"}), frozenset({("ETHUSDT", "1m")})
        )
        await wait_for(
            lambda: channels(sim).get("matches") == {"BTC-USDT", "ETH-USDT"}, 5, "matches"
        )
        await wait_for(lambda: any(c["symbol"] == "ETHUSDT" for c in sink.candles), 5, "candles")
        for candle in sink.candles:
            CandleData.model_validate(candle)
            assert (candle["symbol"], candle["interval"]) == ("ETHUSDT", "1m")
        await provider.set_demand(frozenset({"SOLUSDT"}), frozenset())
        await wait_for(lambda: channels(sim).get("matches") == {"SOL-USDT"}, 5, "resubscribed")
        # The simulator applies the request before its `subscriptions` reply reaches us.
        await wait_for(
            lambda: provider.subscriptions["matches"] == frozenset({"SOL-USDT"}), 5, "confirmed"
        )
        assert sim.requests["unsubscribe"] >= 1


async def test_drop_reconnects_and_resubscribes() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, states):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: channels(sim).get("matches") == {"BTC-USDT"}, 5, "subscribed")
        await wait_for(lambda: sim.rest_calls.get("ticker", 0) >= 1, 5, "seeded from REST")
        reads = sim.rest_calls["ticker"]
        started = time.monotonic()
        await sim.drop()
        await wait_for(lambda: sim.handshakes >= 2, 5, "reconnect")
        await wait_for(lambda: channels(sim).get("matches") == {"BTC-USDT"}, 5, "resubscribed")
        await wait_for(lambda: provider.state.connected, 5, "connected again")
        report("drop -> connected again", time.monotonic() - started)
        # Trades were missed meanwhile: the demanded market is read again.
        await wait_for(lambda: sim.rest_calls["ticker"] > reads, 5, "re-read after the outage")
        assert any(not s.connected for s in states)
        assert provider.breaker.failures == 0


async def test_garbage_is_counted_and_skipped() -> None:
    invalid = "cryptotracker_exchange_frames_invalid_total"
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        before = metric(invalid)
        sim.garbage(4)
        await wait_for(lambda: metric(invalid) >= before + 4, 5, "invalid frames counted")
        seen = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > seen + 40, 5, "good frames after garbage")
        assert metric(invalid) == before + 4
        assert sim.handshakes == 1
        assert provider.breaker.failures == 0


async def test_silence_trips_the_watchdog_and_reconnects() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        started = time.monotonic()
        sim.silence(1.0)
        await wait_for(lambda: sim.handshakes >= 2, 5, "watchdog reconnect")
        detected = time.monotonic() - started
        assert provider.breaker.failures >= 1
        await wait_for(lambda: provider.state.connected, 5, "data again")
        report(f"silence -> watchdog reconnect ({detected * 1000:.0f} ms to detect)",
               time.monotonic() - started)  # fmt: skip


async def test_a_sequence_gap_resyncs_from_rest_and_never_shows_an_older_price() -> None:
    gaps = "cryptotracker_exchange_sequence_gaps_total"
    stale = "cryptotracker_exchange_frames_stale_total"
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: channels(sim).get("matches") == {"BTC-USDT"}, 5, "subscribed")
        await wait_for(lambda: sim.rest_calls.get("ticker", 0) >= 1, 5, "seeded from REST")
        before_gaps, before_stale = metric(gaps), metric(stale)
        reads = sim.rest_calls.get("ticker", 0)
        started = time.monotonic()
        sim.gap("BTC-USDT", 3)
        await wait_for(lambda: metric(gaps) > before_gaps, 5, "gap counted")
        await wait_for(lambda: sim.rest_calls.get("ticker", 0) > reads, 5, "re-read from REST")
        report("sequence gap -> REST re-sync", time.monotonic() - started)
        await wait_for(lambda: metric(stale) > before_stale, 5, "the late trade skipped")
        emitted = [u["price"] for u in sink.prices if u["symbol"] == "BTCUSDT"]
        btc = [t for t in sim.trades if t[0] == "BTC-USDT"]
        assert ordered_by_sequence(emitted, btc)
        assert provider.state.connected and sim.handshakes == 1  # the feed went on


async def test_a_429_refusal_is_waited_out_as_retry_after_says() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        sim.faults.http["ws"] = HttpFault(429, remaining=1, retry_after=1.0)
        async with coinbase_running(sim, sink) as (provider, states):
            await wait_for(lambda: provider.state.connected, 5, "connected after the 429")
            first, second = sim.handshake_times[:2]
            assert second - first >= 1.0  # the backoff alone would be 20 ms
            assert not any(s.restricted for s in states)
            assert "HTTP 429" in " ".join(s.message for s in states)
            report("429 (Retry-After 1 s) -> connected", second - first)


async def test_rest_429_holds_every_rest_call_until_retry_after() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        sim.faults.http["rest"] = HttpFault(429, remaining=1, retry_after=1.0)
        async with coinbase_running(sim, sink) as (provider, _):
            started = time.monotonic()
            await wait_for(lambda: provider.state.connected, 5, "connected after the 429")
            assert time.monotonic() - started >= 1.0
            assert sim.rest_calls["products"] == 2


@pytest.mark.parametrize("status", [403, 451])
async def test_a_geo_refusal_marks_restricted_until_data_flows(status: int) -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        sim.faults.http["ws"] = HttpFault(status)
        async with coinbase_running(sim, sink, breaker_failure_threshold=1) as (provider, states):
            await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
            assert provider.state.restricted
            refusals = [s for s in states if not s.connected and s.message != "not started"]
            assert refusals and all(s.restricted and RESTRICTED in s.message for s in refusals)
            started = time.monotonic()
            sim.faults.clear()
            await wait_for(lambda: provider.state.connected, 5, "connected")
            report(f"{status} cleared -> connected", time.monotonic() - started)
            assert not provider.state.restricted


async def test_maintenance_is_an_outage_not_a_restriction_and_halted_markets_are_named() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        sim.set_status("ETH-USDT", "HALT")
        sim.faults.http["rest"] = HttpFault(503)
        async with coinbase_running(sim, sink) as (provider, states):
            await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
            assert not provider.state.restricted and not provider.state.connected
            assert "HTTP 503" in " ".join(s.message for s in states)
            sim.faults.clear()
            await wait_for(lambda: provider.state.connected, 5, "connected after maintenance")
            assert provider.state.market_status == {"ETHUSDT": "HALT"}


async def test_klines_come_from_rest_and_four_hours_are_built_from_hours() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        hours = await provider.klines("PEPEUSDT", "1h", 8)
        fours = await provider.klines("PEPEUSDT", "4h", 3)
        now = int(time.time() * 1000)
    assert len(hours) == 8 and len(fours) == 3
    truth = {c.open_time: c for c in sim.market.candles("PEPEUSDT", "1h", now, 24)}
    closed = [c for c in hours if c["closed"]]
    assert len(closed) >= 7
    for c in hours + fours:
        CandleData.model_validate(c)
    for c in closed:  # Coinbase's numbers, exactly
        t = truth[c["openTime"]]
        assert c["closeTime"] == c["openTime"] + INTERVAL_MS["1h"] - 1
        assert [Decimal(c[k]) for k in ("open", "high", "low", "close", "volume")] == [
            Decimal(v) / 10**8 for v in (t.open, t.high, t.low, t.close, t.volume)
        ]
    for c in [c for c in fours if c["closed"]]:  # four of Coinbase's hours, merged
        parts = [truth[c["openTime"] + h * INTERVAL_MS["1h"]] for h in range(4)]
        assert c["closeTime"] == c["openTime"] + INTERVAL_MS["4h"] - 1
        assert c["openTime"] % INTERVAL_MS["4h"] == 0
        assert [Decimal(c[k]) for k in ("open", "high", "low", "close", "volume")] == [
            Decimal(v) / 10**8
            for v in (
                parts[0].open,
                max(p.high for p in parts),
                min(p.low for p in parts),
                parts[-1].close,
                sum(p.volume for p in parts),
            )
        ]


async def test_quote_is_the_books_top_and_the_last_trade() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim, coinbase_running(sim, sink) as (provider, _):
        sim.rate = 0.0
        await wait_for(lambda: provider.state.connected, 5, "connected")
        quote = await provider.quote("BTCUSDT")
        async with httpx.AsyncClient(base_url=sim.rest_url) as http:
            book = (await http.get("/products/BTC-USDT/book", params={"level": 1})).json()
            ticker = (await http.get("/products/BTC-USDT/ticker")).json()
        assert (quote["bid"], quote["ask"], quote["last"]) == (
            book["bids"][0][0], book["asks"][0][0], ticker["price"]
        )  # fmt: skip
        assert quote["source"] == "simulator" and quote["lastTradeTime"] is not None


async def test_a_new_products_list_drops_delisted_markets_and_names_stopped_ones() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        knobs = {"coinbase_products_refresh_s": 0.2}
        async with coinbase_running(sim, sink, **knobs) as (provider, _):
            await wait_for(lambda: provider.state.connected, 5, "connected")
            sim.set_status("SOL-USDT", None)
            sim.set_status("ETH-USDT", "HALT")
            await wait_for(lambda: "SOLUSDT" in sink.delisted, 5, "SOL delisted")
            await wait_for(lambda: "SOL-USDT" not in channels(sim)["ticker"], 5, "unsubscribed")
            assert provider.state.market_status == {"ETHUSDT": "HALT"}
            assert "SOLUSDT" not in {s.symbol for s in provider.symbols()}


async def test_more_candles_than_one_answer_holds_are_read_in_pages() -> None:
    sink = RecordingSink()
    async with coinbase_sim() as sim:
        # Not running: klines work before (and without) the stream, like Binance's.
        provider = CoinbaseProvider(Settings(), sink, ws_url=sim.ws_url, rest_url=sim.rest_url)
        candles = await provider.klines("BTCUSDT", "1m", 500)
    assert sim.rest_calls["candles"] == 2  # Coinbase answers at most 300 per request
    opens = [c["openTime"] for c in candles]
    assert len(opens) == 500 and opens == list(range(opens[0], opens[0] + 500 * 60_000, 60_000))
    assert {c["source"] for c in candles} == {"coinbase"}


def test_product_status_reads_the_documented_products_row() -> None:
    (row,) = orjson.loads((FIXTURES / "rest_products.json").read_bytes())
    assert "trading_disabled" not in row  # optional: absent means trading is not disabled
    assert market_status(row) == "AUCTION"  # the documented example is in auction mode
    trading = {**row, "auction_mode": False}
    assert market_status(trading) == "TRADING"
    assert market_status({**trading, "cancel_only": True}) == "CANCEL_ONLY"
    assert market_status({**row, "trading_disabled": True}) == "HALT"
    assert market_status({**trading, "status": "delisted"}) == "DELISTED"
