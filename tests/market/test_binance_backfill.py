"""Candles that closed while the connection was down come from REST after the reconnect, oldest
first and before the live ones; over a real socket. The gap is made by stepping the simulated
exchange's clock three minutes ahead while the connection is cut."""

from __future__ import annotations

from cryptotracker.simulator.server import Simulator
from tests.market.helpers import RecordingSink, connections, provider_running
from tests.support import wait_for

KLINE = frozenset({"!miniTicker@arr", "btcusdt@kline_1m"})
MINUTE = 60_000


async def test_candles_closed_during_a_gap_are_backfilled_in_order(
    sim: Simulator, sink: RecordingSink
) -> None:
    async with provider_running(sim, sink) as (provider, _):
        await provider.set_demand(frozenset(), frozenset({("BTCUSDT", "1m")}))
        await wait_for(lambda: connections(sim) == {KLINE}, 5, "kline stream")
        await wait_for(lambda: bool(sink.candles), 5, "a live candle")
        last = sink.candles[-1]
        before = last["openTime"] + (MINUTE if last["closed"] else 0)  # the first not closed
        seen = len(sink.candles)

        sim.clock_skew_ms += 3 * MINUTE
        await sim.drop()
        await wait_for(lambda: sim.handshakes >= 2 and connections(sim) == {KLINE}, 5, "back")
        now_open = (sim.now_ms() // MINUTE) * MINUTE

        def filled() -> bool:
            closed = {c["openTime"] for c in sink.candles[seen:] if c["closed"]}
            return set(range(before, now_open, MINUTE)) <= closed

        await wait_for(filled, 5, "every minute of the gap closed")
        await wait_for(lambda: sink.candles[-1]["openTime"] >= now_open, 5, "live again")
        after = sink.candles[seen:]
        opens = [c["openTime"] for c in after]
        assert opens == sorted(opens)  # oldest first: a chart only appends
        assert {c["source"] for c in after} == {"simulator"}
        assert sim.rest.calls["klines"] == 1


async def test_a_reconnect_within_one_candle_costs_no_rest_call(
    sim: Simulator, sink: RecordingSink
) -> None:
    # The exchange's clock a few seconds into a minute: the test ends long before it turns.
    sim.clock_skew_ms = (MINUTE - sim.now_ms() % MINUTE) + 3_000
    async with provider_running(sim, sink) as (provider, _):
        await provider.set_demand(frozenset(), frozenset({("BTCUSDT", "1m")}))
        await wait_for(lambda: connections(sim) == {KLINE} and bool(sink.candles), 5, "a candle")
        await sim.drop()
        await wait_for(lambda: sim.handshakes >= 2 and connections(sim) == {KLINE}, 5, "back")
        seen = len(sink.candles)
        await wait_for(lambda: len(sink.candles) > seen, 5, "live candles again")
        assert sim.now_ms() % MINUTE < 30_000  # still the same minute
        assert "klines" not in sim.rest.calls
        assert sim.rest.calls["time"] == 2  # start-up, and the check after the reconnect
