"""The exchange's clock decides whether a candle is closed: against a simulator whose clock runs
two minutes ahead of ours, over a real socket."""

from __future__ import annotations

from cryptotracker.clock import now_ms
from tests.market.helpers import FAST_MARKET, RecordingSink, provider_running
from tests.simulator.fixtures import SimulatorFactory
from tests.support import wait_for

SKEW_MS = 120_000


async def test_candles_are_closed_on_the_exchanges_clock_not_ours(
    simulator_factory: SimulatorFactory, sink: RecordingSink
) -> None:
    sim = await simulator_factory(**FAST_MARKET, clock_skew_ms=SKEW_MS)
    async with provider_running(sim, sink) as (provider, _):
        await wait_for(lambda: provider.state.connected, 5, "connected")
        # The offset is exact to half a round trip on loopback.
        assert abs(provider.server_time.offset_ms - SKEW_MS) < 1_000
        candles = await provider.klines("BTCUSDT", "1m", 3)
    assert [c["closed"] for c in candles] == [True, True, False]
    # Our own clock would have called the last finished minute still open.
    assert candles[1]["closeTime"] > now_ms()
