"""Binance documents several stream hosts: when connecting to one fails, the next is tried (an
HTTP refusal such as 429 or 451 is not a host failure: every host would give it)."""

from __future__ import annotations

import asyncio
import contextlib

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.server import Simulator
from tests.market.helpers import FAST, RecordingSink
from tests.support import free_port, wait_for


async def test_a_host_that_does_not_answer_hands_over_to_the_next(
    sim: Simulator, sink: RecordingSink
) -> None:
    dead = f"ws://127.0.0.1:{free_port()}"
    settings = Settings(
        binance_ws_url=dead,
        binance_ws_fallback_urls=[sim.ws_url],
        binance_rest_url=sim.rest_url,
        **FAST,
    )
    provider = BinanceProvider(settings, sink, source=Source.SIMULATOR)
    task = asyncio.create_task(provider.run())
    try:
        await wait_for(lambda: provider.state.connected, 10, "connected to the second host")
        await wait_for(lambda: len(sink.prices) > 0, 10, "prices from it")
        assert provider.ws_url == sim.ws_url.rstrip("/")
        assert sim.handshakes >= 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_a_feed_given_its_url_has_no_other_host() -> None:
    settings = Settings(binance_ws_fallback_urls=["wss://elsewhere:443"])
    provider = BinanceProvider(settings, RecordingSink(), ws_url="ws://127.0.0.1:1/")
    assert provider.ws_url == "ws://127.0.0.1:1"
    provider._next_host()  # a failure changes nothing: there is nowhere else to go
    assert provider.ws_url == "ws://127.0.0.1:1"


def test_the_default_hosts_are_binances_documented_ones() -> None:
    settings = Settings(_env_file=None)
    assert settings.binance_ws_url == "wss://data-stream.binance.vision"  # market data only
    assert settings.binance_ws_fallback_urls == [
        "wss://stream.binance.com:9443", "wss://stream.binance.com:443",
    ]  # fmt: skip
