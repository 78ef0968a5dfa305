"""A Coinbase provider running against the Coinbase simulator, with every state it reported."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from cryptotracker.market.coinbase import CoinbaseProvider
from cryptotracker.market.feed import FeedState
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker.simulator.coinbase import CoinbaseSimulator
from tests.market.helpers import FAST, RecordingSink


@contextlib.asynccontextmanager
async def coinbase_running(
    sim: CoinbaseSimulator, sink: RecordingSink, source: Source = Source.SIMULATOR, **knobs: Any
) -> AsyncIterator[tuple[CoinbaseProvider, list[FeedState]]]:
    """A provider of `sim` with the FAST settings and `knobs` (the simulator's heartbeats come
    every 0.1 s, so a 0.5 s silence bound is five missed beats)."""
    states: list[FeedState] = []
    settings = Settings(**{**FAST, "ws_reply_timeout_s": 1.0, **knobs})
    provider = CoinbaseProvider(
        settings, sink, source=source, ws_url=sim.ws_url, rest_url=sim.rest_url,
        on_state=states.append,
    )  # fmt: skip
    task = asyncio.create_task(provider.run())
    try:
        yield provider, states
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def ordered_by_sequence(emitted: list[str], trades: list[tuple[str, int, str, int]]) -> bool:
    """Whether the prices emitted for one market can be trades of non-decreasing sequence
    (greedy: each emitted price is the earliest trade at that price not older than the last)."""
    at = -1
    for price in emitted:
        later = [seq for _, seq, p, _ in trades if p == price and seq >= at]
        if not later:
            return False
        at = min(later)
    return True
