"""Coalesce exchange updates into one batch per interval: latest value wins per symbol, and a
symbol whose values did not change since the last batch is left out."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from cryptotracker.clock import now_ms
from cryptotracker.metrics import BATCH_SIZE, BATCHES
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import CandleDict, PriceDict

log = structlog.get_logger(__name__)

# What counts as a change: the time stamp alone moving is not news for a client.
_Values = tuple[str, str, str, str, str, str]


def _values(update: PriceDict) -> _Values:
    return (
        update["price"],
        update["priceChangePercent"],
        update["high24h"],
        update["low24h"],
        update["volume24h"],
        update["source"],
    )


class Aggregator:
    """Per-symbol buffer. `on_price`/`on_candle` are the exchange side's sink (cheap, sync);
    `drain` is called once per batch interval."""

    def __init__(self, origin: str) -> None:
        self._origin = origin
        self._seq = 0
        self._prices: dict[str, PriceDict] = {}
        # Keyed by open time too: a backfill after a reconnect hands over several closed candles
        # of one stream at once, and each must reach the charts (a forming one only its latest).
        self._candles: dict[tuple[str, str, int], CandleDict] = {}
        self._last_sent: dict[str, _Values] = {}
        self._delisted: set[str] = set()

    def on_price(self, update: PriceDict) -> None:
        self._prices[update["symbol"]] = update

    def on_candle(self, candle: CandleDict) -> None:
        self._candles[(candle["symbol"], candle["interval"], candle["openTime"])] = candle

    def on_delisted(self, symbols: list[str]) -> None:
        """Markets gone: their pending values are dropped, and the next batch says so."""
        gone = set(symbols)
        self._delisted |= gone
        for symbol in gone:
            self._prices.pop(symbol, None)
            self._last_sent.pop(symbol, None)
        self._candles = {k: c for k, c in self._candles.items() if k[0] not in gone}

    def drain(self) -> Batch | None:
        """Everything that changed since the last drain, or None when nothing did."""
        prices, self._prices = self._prices, {}
        candles, self._candles = self._candles, {}
        delisted, self._delisted = sorted(self._delisted), set()
        changed: list[PriceDict] = []
        last_sent = self._last_sent
        for symbol, update in prices.items():
            values = _values(update)
            if last_sent.get(symbol) != values:
                last_sent[symbol] = values
                changed.append(update)
        if not changed and not candles and not delisted:
            return None
        self._seq += 1
        return Batch(
            origin=self._origin,
            seq=self._seq,
            timestamp=now_ms(),
            updates=changed,
            candles=list(candles.values()),
            delisted=delisted,
        )


async def run_batches(
    aggregator: Aggregator, interval_s: float, emit: Callable[[Batch], Awaitable[None]]
) -> None:
    """Drain the aggregator on a fixed schedule (not drifting with emit time) until cancelled."""
    loop = asyncio.get_running_loop()
    next_tick = loop.time() + interval_s
    while True:
        await asyncio.sleep(max(0.0, next_tick - loop.time()))
        # Skip ticks we overslept rather than bursting to catch up.
        now = loop.time()
        next_tick += interval_s * max(1, int((now - next_tick) / interval_s) + 1)
        batch = aggregator.drain()
        if batch is None:
            continue
        BATCHES.inc()
        BATCH_SIZE.observe(len(batch.updates))
        try:
            await emit(batch)
        except Exception:  # one bad batch must not stop the stream
            log.exception("batch_emit_failed", seq=batch.seq)
