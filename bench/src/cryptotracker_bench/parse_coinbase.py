"""Coinbase ingest only: updates per CPU-second through the Coinbase provider's own frame path
(WebSocket frames decoded by `websockets`' Sans-I/O protocol, `CoinbaseProvider.handle_frame`:
parse -> ordering and gap checks -> normalise -> the aggregator, drained into batches), no
sockets, next to the Binance path measured in the same run (`ingest.measure`). Run pinned:

    taskset -c 0 python -m cryptotracker_bench.parse_coinbase [--seconds 2]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from websockets.frames import Frame
from websockets.protocol import Protocol, Side, State

from cryptotracker.market.coinbase import CoinbaseProvider
from cryptotracker.pipeline.aggregate import Aggregator
from cryptotracker.protocol import Source
from cryptotracker.settings import Settings
from cryptotracker_bench import ingest
from cryptotracker_bench.ingest import DRAIN_EVERY, _reads

START_MS = 1_700_000_000_000


def _time(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


def _products(count: int) -> list[dict[str, Any]]:
    return [
        {"id": f"S{i:03d}-USD", "base_currency": f"S{i:03d}", "quote_currency": "USD",
         "status": "online", "trading_disabled": False, "cancel_only": False}
        for i in range(count)
    ]  # fmt: skip


def ticker_frames(products: list[str], frames: int, rng: random.Random) -> list[bytes]:
    """`ticker` messages, round-robin over the products, newer each time."""
    out = []
    for n in range(frames):
        price = rng.uniform(0.00001, 90000)
        out.append(orjson.dumps({
            "type": "ticker", "sequence": 10 * n + 1, "product_id": products[n % len(products)],
            "price": f"{price:.8f}", "open_24h": f"{price * 0.97:.8f}",
            "volume_24h": f"{rng.uniform(1, 1e6):.8f}", "low_24h": f"{price * 0.95:.8f}",
            "high_24h": f"{price * 1.05:.8f}", "volume_30d": "1234567.89000000",
            "best_bid": f"{price:.8f}", "best_bid_size": "1.0", "best_ask": f"{price:.8f}",
            "best_ask_size": "1.0", "side": "buy", "time": _time(START_MS + n),
            "trade_id": n + 1, "last_size": "0.01000000",
        }))  # fmt: skip
    return out


def match_frames(products: list[str], frames: int, rng: random.Random) -> list[bytes]:
    """`match` messages, round-robin, consecutive trade ids per product (no gap)."""
    out = []
    for n in range(frames):
        pid = products[n % len(products)]
        out.append(orjson.dumps({
            "type": "match", "trade_id": n // len(products) + 1, "sequence": 10 * n + 5,
            "maker_order_id": "m", "taker_order_id": "t", "time": _time(START_MS + 10**6 + n),
            "product_id": pid, "size": "0.01000000",
            "price": f"{rng.uniform(0.00001, 90000):.8f}", "side": "sell",
        }))  # fmt: skip
    return out


def _run(
    frames: list[bytes], fresh: Callable[[_Counting], CoinbaseProvider], seconds: float
) -> dict[str, float]:
    """Passes over `frames`, each through a fresh provider, until `seconds` of CPU time."""
    reads = _reads(frames)
    updates = batches = 0
    cpu = wall = 0.0
    while cpu < seconds:
        aggregator = Aggregator("bench")
        counted = _Counting(aggregator)
        handle = fresh(counted).handle_frame
        counted.pending = 0  # what seeding handed on is not part of the run
        ws = Protocol(Side.CLIENT, state=State.OPEN, max_size=2**23)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for chunk in reads:
            ws.receive_data(chunk)
            for frame in ws.events_received():
                if isinstance(frame, Frame):
                    handle(bytes(frame.data))
            if counted.pending >= DRAIN_EVERY:
                updates += counted.pending
                counted.pending = 0
                batches += aggregator.drain() is not None
        updates += counted.pending
        batches += aggregator.drain() is not None
        cpu += time.process_time() - cpu0
        wall += time.perf_counter() - wall0
    return {
        "updates": updates,
        "batches": batches,
        "cpu_s": cpu,
        "wall_s": wall,
        "updates_per_cpu_s": updates / cpu if cpu else 0.0,
    }


class _Counting:
    """The aggregator as the provider's sink, counting the updates it is handed."""

    def __init__(self, aggregator: Aggregator) -> None:
        self.pending = 0
        self._aggregator = aggregator
        self.on_candle = aggregator.on_candle
        self.on_delisted = aggregator.on_delisted

    def on_price(self, update: Any) -> None:
        self.pending += 1
        self._aggregator.on_price(update)


def measure(symbols: int = 300, seconds: float = 2.0, seed: int = 1) -> dict[str, Any]:
    rng = random.Random(seed)
    rows = _products(symbols)
    pids = [r["id"] for r in rows]
    tickers = ticker_frames(pids, 20_000, rng)
    matches = match_frames(pids, 20_000, rng)
    seed_frames = ticker_frames(pids, len(pids), rng)
    settings = Settings(quote_assets=["USD"])

    def provider(sink: _Counting, seeded: bool) -> CoinbaseProvider:
        p = CoinbaseProvider(settings, sink, source=Source.COINBASE)
        p.list_products(rows)
        if seeded:  # trades show once a market's 24 h statistics are known
            for frame in seed_frames:
                p.handle_frame(frame)
        return p

    return {
        "coinbase": {
            "ticker": _run(tickers, lambda s: provider(s, False), seconds),
            "match": _run(matches, lambda s: provider(s, True), seconds),
        },
        "binance_baseline": ingest.measure(symbols, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(orjson.dumps(measure(args.symbols, args.seconds)).decode())


if __name__ == "__main__":
    main()
