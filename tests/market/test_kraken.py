"""The Kraken provider against the Kraken simulator over a real socket: prices flow labelled
kraken with the simulator's exact decimals, demand becomes subscriptions, and every fault
(drop, silence, garbage, maintenance, 429, 451) ends in the recovery the provider promises.
Recovery times are printed (run with -s), never asserted."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any, Final

import httpx
import orjson
import pytest
from websockets.asyncio.client import connect

from cryptotracker.market import kraken_frames as kf
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.feed import FeedState
from cryptotracker.market.kraken import KrakenProvider
from cryptotracker.market.kraken_rest import KrakenRestError
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import PriceUpdate, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.kraken import KrakenSimConfig, KrakenSimulator
from tests.market.helpers import FAST, RecordingSink
from tests.support import wait_for

KNOBS: Final[dict[str, Any]] = {**FAST, "kraken_rest_calls_per_s": 50.0, "ws_ping_interval_s": 0.2}


@pytest.fixture
async def ksim() -> AsyncIterator[KrakenSimulator]:
    config = KrakenSimConfig(symbols=30, rate=300.0, seed=7, heartbeat_s=0.1)
    async with KrakenSimulator(config).running() as sim:
        yield sim


@contextlib.asynccontextmanager
async def running(
    sim: KrakenSimulator, sink: RecordingSink, **knobs: Any
) -> AsyncIterator[tuple[KrakenProvider, list[FeedState]]]:
    states: list[FeedState] = []
    provider = KrakenProvider(
        Settings(**{**KNOBS, **knobs}), sink, ws_url=sim.ws_url, rest_url=sim.rest_url,
        on_state=states.append,
    )  # fmt: skip
    task = asyncio.create_task(provider.run())
    try:
        yield provider, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"source": "kraken"}) or 0.0


def all_tickers(sim: KrakenSimulator) -> set[tuple[str, str]]:
    return {("ticker", s) for s in sim.symbols}


def carried(sim: KrakenSimulator) -> set[tuple[str, str]]:
    subs = list(sim.subscriptions().values())
    return subs[0] if len(subs) == 1 else set()


async def fault(sim: KrakenSimulator, **query: Any) -> None:
    async with httpx.AsyncClient(base_url=sim.rest_url) as http:
        assert (await http.get("/sim/fault", params=query)).status_code == 200


async def recovered(provider: KrakenProvider, sim: KrakenSimulator, what: str) -> None:
    await wait_for(lambda: provider.state.connected, 10, f"{what}: connected again")
    await wait_for(lambda: carried(sim) >= all_tickers(sim), 10, f"{what}: resubscribed")


async def test_snapshot_then_tickers_carry_exact_decimals_labelled_kraken(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    ksim.rate = 0.0  # still: the REST snapshot we read is the one the provider read
    async with running(ksim, sink, feed_silence_s=5.0) as (provider, states):
        await wait_for(lambda: len(sink.latest()) >= len(ksim.symbols), 5, "REST snapshot")
        async with httpx.AsyncClient(base_url=ksim.rest_url) as http:
            rows = (await http.get("/0/public/Ticker")).json()["result"]
        # The first emissions are the REST snapshot (the stream's ticker snapshots follow).
        seed = {p["symbol"]: p for p in sink.prices[: len(ksim.symbols)]}
        btc = rows["XBTUSDT"]
        seeded = seed["BTCUSDT"]
        assert (seeded["price"], seeded["high24h"], seeded["low24h"]) == (
            btc["c"][0], btc["h"][1], btc["l"][1]
        )  # fmt: skip
        assert Decimal(seeded["volume24h"]) == Decimal(btc["v"][1]) * Decimal(btc["p"][1])
        assert [s.symbol for s in provider.symbols()] == sorted(ksim.symbols)
        await wait_for(lambda: carried(ksim) >= all_tickers(ksim), 5, "tickers subscribed")

        pushed: list[str] = []  # PEPE/USDT's last price in each ticker update, exactly
        async with connect(ksim.ws_url) as tap:
            params = {"channel": "ticker", "symbol": ["PEPE/USDT"]}
            await tap.send(orjson.dumps({"method": "subscribe", "params": params}))
            ksim.rate = 300.0

            async def read() -> None:
                async for raw in tap:
                    event = kf.parse_frame(raw)
                    if isinstance(event, kf.Tickers) and event.kind == "update":
                        pushed.extend(row.last for row in event.rows)

            reader = asyncio.create_task(read())
            await wait_for(lambda: len(pushed) >= 3, 10, "PEPE/USDT ticker updates")
            reader.cancel()

        def emitted() -> set[str]:
            return {p["price"] for p in sink.prices if p["symbol"] == "PEPEUSDT"}

        await wait_for(lambda: set(pushed) <= emitted(), 5, "the same prices emitted")
        assert all(Decimal(p) < Decimal("0.001") for p in emitted())
        assert sink.sources() == {"kraken"}
        for update in sink.prices:
            PriceUpdate.model_validate(update)
        assert states[-1].connected and states[-1].live
        assert provider.breaker.state is CircuitState.CLOSED


async def test_demand_follows_set_demand_with_trades_and_candles(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, _):
        await provider.set_demand(
            frozenset({"BTCUSDT", "NOPEUSDT"}), frozenset({("ETHUSDT", "1m")})
        )
        wanted = {("trade", "BTCUSDT"), ("ohlc:1", "ETHUSDT")}
        await wait_for(lambda: wanted <= carried(ksim), 5, "trade and ohlc subscribed")
        await wait_for(lambda: any(c["symbol"] == "ETHUSDT" for c in sink.candles), 5, "candles")
        candle = next(c for c in sink.candles if c["symbol"] == "ETHUSDT")
        assert (candle["interval"], candle["source"]) == ("1m", "kraken")
        assert candle["closeTime"] - candle["openTime"] == 59_999
        # Acknowledged on our side too (the simulator applies a request before we read its ack).
        await wait_for(
            lambda: provider.subscriptions.get("trade") == {"BTC/USDT"}, 5, "trade acknowledged"
        )

        await provider.set_demand(frozenset(), frozenset())
        await wait_for(lambda: carried(ksim) == all_tickers(ksim), 5, "demand dropped")
        await wait_for(lambda: "trade" not in provider.subscriptions, 5, "unsubscribe acknowledged")


async def test_drop_reconnects_and_resubscribes(ksim: KrakenSimulator, sink: RecordingSink) -> None:
    async with running(ksim, sink) as (provider, states):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: provider.subscriptions.get("trade") == {"BTC/USDT"}, 5, "trade")
        seen = len(states)
        start = time.monotonic()
        ksim.drop()
        # From the states reported: the reconnect may be quicker than any poll of the state.
        await wait_for(lambda: any(not s.connected for s in states[seen:]), 5, "drop seen")
        tickers = {f"{s[:-4]}/USDT" for s in ksim.symbols}

        def resubscribed() -> bool:
            subs = provider.subscriptions
            return subs.get("trade") == {"BTC/USDT"} and subs.get("ticker") == tickers

        await wait_for(lambda: provider.state.connected and resubscribed(), 5, "resubscribed")
        print(f"\nkraken recovery after drop: {time.monotonic() - start:.3f} s (resubscribed)")
        assert ksim.handshakes == 2


async def test_silent_feed_trips_the_watchdog_and_reconnects(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink, feed_silence_s=0.5) as (provider, _):
        await recovered(provider, ksim, "start")
        handshakes = ksim.handshakes
        start = time.monotonic()
        ksim.silence(1.0)
        await wait_for(lambda: not provider.state.connected, 5, "watchdog")
        detected = time.monotonic() - start
        assert "silent for 0.5s" in provider.state.message
        await wait_for(lambda: ksim.handshakes > handshakes, 5, "reconnect attempt")
        await recovered(provider, ksim, "silence")
        print(
            f"\nkraken watchdog: silence detected after {detected:.3f} s "
            f"(feed_silence_s 0.5), live again after {time.monotonic() - start:.3f} s"
        )


async def test_garbage_is_counted_and_skipped(ksim: KrakenSimulator, sink: RecordingSink) -> None:
    async with running(ksim, sink) as (provider, _):
        await recovered(provider, ksim, "start")
        before = metric("cryptotracker_exchange_frames_invalid_total")
        ksim.garbage(4)
        await wait_for(
            lambda: metric("cryptotracker_exchange_frames_invalid_total") >= before + 4,
            5,
            "garbage counted",
        )
        count = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > count + 5, 5, "prices still flowing")
        assert provider.state.connected
        assert ksim.handshakes == 1


async def test_trade_sequence_gaps_are_counted_and_streaming_goes_on(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, _):
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: "trade" in provider.subscriptions, 5, "trade subscribed")
        count = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > count + 3, 5, "trades flowing")
        assert provider.sequence_gaps == 0
        # A gap shows only after a trade of the book was seen on this connection; until then
        # each try re-arms it (bounded by the deadline).
        deadline = time.monotonic() + 5
        while provider.sequence_gaps == 0:
            assert time.monotonic() < deadline, "no gap seen"
            ksim.gap(3, "BTCUSDT")
            with contextlib.suppress(TimeoutError):
                await wait_for(lambda: provider.sequence_gaps > 0, 0.5, "gap seen")
        count = len(sink.prices)
        await wait_for(lambda: len(sink.prices) > count + 3, 5, "still flowing")
        assert provider.state.connected and ksim.handshakes == 1


async def test_maintenance_gives_a_clear_state_then_recovers(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, states):
        await recovered(provider, ksim, "start")
        start = time.monotonic()
        await fault(ksim, kind="maintenance", on="1")
        await wait_for(lambda: provider.maintenance, 5, "maintenance seen")
        await wait_for(lambda: not provider.state.connected, 5, "disconnected")
        assert "Kraken is in maintenance" in provider.state.message
        assert any("maintenance" in s.message and not s.connected for s in states)
        seen = time.monotonic() - start
        during = ksim.handshakes
        await wait_for(lambda: ksim.handshakes >= during + 2, 5, "attempts meet maintenance")
        assert not provider.state.connected
        over = time.monotonic()
        await fault(ksim, kind="maintenance", on="0")
        await recovered(provider, ksim, "maintenance over")
        assert not provider.maintenance
        assert "streaming" in provider.state.message
        print(
            f"\nkraken maintenance: state after {seen:.3f} s, "
            f"live again {time.monotonic() - over:.3f} s after it ended"
        )


async def test_rest_unavailable_at_start_reads_as_maintenance(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    ksim.rest_errors.extend(["EService:Unavailable"] * 2)
    async with running(ksim, sink) as (provider, states):
        await wait_for(lambda: provider.maintenance, 5, "maintenance from REST")
        assert any("Kraken is in maintenance" in s.message for s in states)
        await recovered(provider, ksim, "REST back")
        assert len(sink.latest()) == len(ksim.symbols)


async def test_429_refusal_is_honoured(ksim: KrakenSimulator, sink: RecordingSink) -> None:
    async with running(ksim, sink) as (provider, _):
        await recovered(provider, ksim, "start")
        await fault(ksim, kind="ws_status", status=429, retry_after=1, count=1)
        handshakes = ksim.handshakes
        start = time.monotonic()
        ksim.drop()
        await wait_for(lambda: ksim.handshakes == handshakes + 1, 5, "refused handshake")
        refused_at = time.monotonic()
        await wait_for(lambda: ksim.handshakes == handshakes + 2, 5, "next attempt")
        waited = time.monotonic() - refused_at
        assert waited >= 0.95  # Retry-After: 1, far above the 20-100 ms backoff
        await recovered(provider, ksim, "after 429")
        print(
            f"\nkraken 429: next attempt {waited:.3f} s after the refusal (Retry-After 1 s), "
            f"live again {time.monotonic() - start:.3f} s after the drop"
        )


async def test_rest_too_many_requests_holds_rest_calls(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, _):
        await recovered(provider, ksim, "start")
        ksim.rest_errors.append("EGeneral:Too many requests")
        with pytest.raises(KrakenRestError, match="Too many requests") as limited:
            await provider.klines("BTCUSDT", "5m", 10)
        assert limited.value.limited
        calls = dict(ksim.rest_calls)
        with pytest.raises(KrakenRestError, match="not sent, rate limited"):
            await provider.quote("BTCUSDT")
        assert ksim.rest_calls == calls  # held here, not sent


async def test_geo_refusal_marks_restricted_then_clears(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, _):
        await recovered(provider, ksim, "start")
        await fault(ksim, kind="ws_status", status=451)
        start = time.monotonic()
        ksim.drop()
        await wait_for(lambda: provider.state.restricted, 5, "restricted")
        assert "restricted location" in provider.state.message
        assert not provider.state.connected
        marked = time.monotonic() - start
        await fault(ksim, kind="clear")
        await recovered(provider, ksim, "451 lifted")
        assert not provider.state.restricted
        print(f"\nkraken 451: restricted after {marked:.3f} s, live again once lifted")


async def test_klines_and_quote_from_rest(ksim: KrakenSimulator, sink: RecordingSink) -> None:
    provider = KrakenProvider(
        Settings(**KNOBS), sink, ws_url=ksim.ws_url, rest_url=ksim.rest_url
    )  # not running: its own REST client
    candles = await provider.klines("BTCUSDT", "4h", 10)
    assert len(candles) == 10
    assert {c["interval"] for c in candles} == {"4h"}
    steps = {b["openTime"] - a["openTime"] for a, b in itertools.pairwise(candles)}
    assert steps == {4 * 3_600_000}
    assert [c["closed"] for c in candles][-2:] == [True, False]
    async with httpx.AsyncClient(base_url=ksim.rest_url) as http:
        rows = (
            await http.get("/0/public/OHLC", params={"pair": "XBTUSDT", "interval": 240})
        ).json()
    assert [c["open"] for c in candles[:-1]] == [r[1] for r in rows["result"]["XBTUSDT"][-10:-1]]
    await wait_for(lambda: bool(ksim.market.markets["BTCUSDT"].live), 5, "a BTC trade")
    quote = await provider.quote("BTCUSDT")
    assert quote["bid"] is not None and quote["ask"] is not None
    assert Decimal(quote["bid"]) < Decimal(quote["ask"])
    assert quote["last"] is not None and quote["lastTradeTime"] is not None
    assert abs(quote["lastTradeTime"] - time.time() * 1000) < 5000
    with pytest.raises(KrakenRestError, match="not a Kraken market"):
        await provider.quote("NOPEUSDT")


def test_source_defaults_to_kraken() -> None:
    provider = KrakenProvider(Settings(), RecordingSink())
    assert provider.source is Source.KRAKEN
    assert provider.ws_url == "wss://ws.kraken.com/v2"
    assert not provider.state.live


async def test_asset_pairs_refresh_reports_statuses_and_delistings(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink, kraken_asset_pairs_refresh_s=0.1) as (provider, states):
        await recovered(provider, ksim, "start")
        ksim.set_pair_status("ETHUSDT", "cancel_only")
        ksim.delist("SOLUSDT")
        await wait_for(lambda: sink.delisted == ["SOLUSDT"], 5, "delisting handed on")
        await wait_for(
            lambda: provider.state.market_status == {"ETHUSDT": "cancel_only"}, 5, "status"
        )
        assert "not online: ETHUSDT (cancel_only)" in provider.state.message
        assert states[-1].market_status == {"ETHUSDT": "cancel_only"}
        assert "SOLUSDT" not in {s.symbol for s in provider.symbols()}
        await wait_for(lambda: ("ticker", "SOLUSDT") not in carried(ksim), 5, "unsubscribed")
        assert "SOLUSDT" not in {p["symbol"] for p in provider.prices()}


async def test_repeated_failures_open_the_breaker_and_a_probe_closes_it(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink) as (provider, states):
        await recovered(provider, ksim, "start")
        await fault(ksim, kind="ws_status", status=500)
        ksim.drop()
        await wait_for(lambda: provider.breaker.state is CircuitState.OPEN, 5, "breaker open")
        assert any(s.circuit is CircuitState.OPEN for s in states)
        assert "circuit open after 3 failures" in provider.state.message
        cleared = time.monotonic()
        await fault(ksim, kind="clear")
        await recovered(provider, ksim, "probe")
        assert provider.breaker.state is CircuitState.CLOSED
        print(
            f"\nkraken breaker: closed again {time.monotonic() - cleared:.3f} s after the "
            "exchange recovered (breaker_reset_s 0.5)"
        )


async def test_unanswered_requests_are_sent_again_and_refusals_wait_for_a_new_session(
    ksim: KrakenSimulator, sink: RecordingSink
) -> None:
    async with running(ksim, sink, ws_reply_timeout_s=0.3) as (provider, _):
        await recovered(provider, ksim, "start")
        await fault(ksim, kind="ignore", method="subscribe", count=1)
        await provider.set_demand(frozenset({"BTCUSDT"}), frozenset())
        await wait_for(lambda: ("trade", "BTCUSDT") in carried(ksim), 5, "sent again")
        assert ksim.requests["subscribe"] == 3  # tickers, the ignored one, its resend

        await fault(ksim, kind="reject", method="subscribe", count=1)
        await provider.set_demand(frozenset({"BTCUSDT", "ETHUSDT"}), frozenset())
        await wait_for(lambda: ksim.requests["subscribe"] == 4, 5, "refused request")
        await provider.set_demand(frozenset({"BTCUSDT", "ETHUSDT", "SOLUSDT"}), frozenset())
        await wait_for(lambda: ("trade", "SOLUSDT") in carried(ksim), 5, "SOL subscribed")
        assert ("trade", "ETHUSDT") not in carried(ksim)  # refused: left alone this session
        ksim.drop()
        await wait_for(lambda: ("trade", "ETHUSDT") in carried(ksim), 10, "asked again")
