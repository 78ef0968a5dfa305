"""Helpers of the market tests: the official Binance fixtures, a recording sink, a tap on the
simulator's streams (what it sends any client, to compare with what a provider emits), and a
Binance provider running against a simulator."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import orjson
from websockets.asyncio.client import connect

from cryptotracker.market.binance import BinanceProvider
from cryptotracker.market.feed import FeedState
from cryptotracker.protocol import CandleDict, PriceDict, Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.server import Simulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance"
# Simulator knobs: Binance pushes !miniTicker@arr every second and klines every two; ten times
# faster keeps the watchdog's silence bound, and so every test, short.
FAST_MARKET: Final[dict[str, Any]] = {"mini_ticker_s": 0.1, "kline_push_s": 0.2}
# Provider settings: backoff, breaker and watchdog in tenths of seconds.
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


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class RecordingSink:
    """A FeedSink that keeps everything it is given."""

    def __init__(self) -> None:
        self.prices: list[PriceDict] = []
        self.candles: list[CandleDict] = []
        self.delisted: list[str] = []

    def on_price(self, update: PriceDict) -> None:
        self.prices.append(update)

    def on_candle(self, candle: CandleDict) -> None:
        self.candles.append(candle)

    def on_delisted(self, symbols: list[str]) -> None:
        self.delisted.extend(symbols)

    def latest(self) -> dict[str, PriceDict]:
        return {p["symbol"]: p for p in self.prices}

    def sources(self) -> set[str]:
        return {p["source"] for p in self.prices}


def connections(sim: Simulator) -> set[frozenset[str]]:
    """The streams of each open connection to `sim`."""
    return {frozenset(streams) for streams in sim.subscriptions().values()}


@contextlib.asynccontextmanager
async def tapped(sim: Simulator, *streams: str) -> AsyncIterator[list[Any]]:
    """Every `data` the simulator sends a client of `streams`, in order, while open."""
    seen: list[Any] = []
    async with connect(f"{sim.ws_url}/stream?streams={'/'.join(streams)}") as ws:

        async def read() -> None:
            async for raw in ws:
                seen.append(orjson.loads(raw)["data"])

        reader = asyncio.create_task(read())
        try:
            yield seen
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader


@contextlib.asynccontextmanager
async def provider_running(
    sim: Simulator, sink: RecordingSink, **knobs: Any
) -> AsyncIterator[tuple[BinanceProvider, list[FeedState]]]:
    """A provider of `sim` with the FAST settings and `knobs`, and every state it reported."""
    states: list[FeedState] = []
    settings = Settings(**{**FAST, **knobs})
    provider = BinanceProvider(
        settings, sink, source=Source.SIMULATOR, ws_url=sim.ws_url, rest_url=sim.rest_url,
        on_state=states.append,
    )  # fmt: skip
    task = asyncio.create_task(provider.run())
    try:
        yield provider, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
