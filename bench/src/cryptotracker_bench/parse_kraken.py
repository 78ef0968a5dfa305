"""Kraken ingest only: updates per CPU-second through the Kraken provider's path (WebSocket
frames decoded by `websockets`' Sans-I/O protocol, v2 frame parse with exact decimals ->
normalise (24 h open and quote volume in Decimal) -> MarketState -> aggregator, drained into
batches), no sockets, next to the Binance path measured in the same run as the baseline.
Run pinned to one core:

    taskset -c 0 python -m cryptotracker_bench.parse_kraken [--seconds 2]

Kraken sends one ticker update per market per trade (one row each) and trades in small
arrays, so both are measured frame by frame as they arrive."""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import orjson
from websockets.frames import Frame
from websockets.protocol import Protocol, Side, State

from cryptotracker.market import kraken_frames as kf
from cryptotracker.market.kraken_normalize import apply_tickers, apply_trades
from cryptotracker.market.normalize import MarketState
from cryptotracker.pipeline.aggregate import Aggregator
from cryptotracker.protocol import Source
from cryptotracker_bench.ingest import DRAIN_EVERY, _reads
from cryptotracker_bench.ingest import measure as measure_binance

START_MS = 1_700_000_000_000


def _number(rng: random.Random, low: float, high: float) -> orjson.Fragment:
    """A JSON number with up to eight decimals, as Kraken prints them."""
    text = f"{rng.uniform(low, high):.8f}".rstrip("0")
    return orjson.Fragment((text + "0" if text.endswith(".") else text).encode())


def ticker_frames(names: list[str], frames: int, rng: random.Random) -> list[bytes]:
    """`ticker` updates, one market each, round-robin over `names` (v2 names)."""
    out = []
    for n in range(frames):
        last = rng.uniform(0.00001, 90000)
        row = {
            "symbol": names[n % len(names)], "bid": _number(rng, last * 0.999, last),
            "bid_qty": _number(rng, 1, 1000), "ask": _number(rng, last, last * 1.001),
            "ask_qty": _number(rng, 1, 1000), "last": _number(rng, last, last),
            "volume": _number(rng, 1, 1e6), "vwap": _number(rng, last * 0.98, last * 1.02),
            "low": _number(rng, last * 0.9, last * 0.95), "high": _number(rng, last, last * 1.1),
            "change": _number(rng, -last * 0.05, last * 0.05), "change_pct": _number(rng, -5, 5),
        }  # fmt: skip
        out.append(orjson.dumps({"channel": "ticker", "type": "update", "data": [row]}))
    return out


def trade_frames(names: list[str], frames: int, rng: random.Random) -> list[bytes]:
    """`trade` updates of one trade each, newer than any ticker."""
    out = []
    for n in range(frames):
        stamp = START_MS + 1000 + n
        seconds, ms = divmod(stamp, 1000)
        when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}000Z"
        row = {
            "symbol": names[n % len(names)], "side": "buy", "price": _number(rng, 0.00001, 90000),
            "qty": _number(rng, 0.001, 10), "ord_type": "limit", "trade_id": n,
            "timestamp": when,
        }  # fmt: skip
        out.append(orjson.dumps({"channel": "trade", "type": "update", "data": [row]}))
    return out


def _handle(raw: bytes, state: MarketState, ours: dict[str, str], agg: Aggregator) -> int:
    """What the provider does with one frame; returns the updates it produced."""
    event = kf.parse_frame(raw)
    if isinstance(event, kf.Tickers):
        prices = apply_tickers(state, ours, event.rows, START_MS)
    elif isinstance(event, kf.Trades):
        prices = apply_trades(state, ours, event.rows, START_MS)
    else:
        return 0
    for price in prices:
        agg.on_price(price)
    return len(prices)


def _run(
    frames: list[bytes], fresh: Callable[[], MarketState], ours: dict[str, str], seconds: float
) -> dict[str, float]:
    reads = _reads(frames)
    updates = batches = 0
    cpu = wall = 0.0
    while cpu < seconds:
        state = fresh()
        aggregator = Aggregator("bench")
        ws = Protocol(Side.CLIENT, state=State.OPEN, max_size=2**23)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        pending = 0
        for chunk in reads:
            ws.receive_data(chunk)
            for frame in ws.events_received():
                if isinstance(frame, Frame):
                    pending += _handle(bytes(frame.data), state, ours, aggregator)
            if pending >= DRAIN_EVERY:
                updates += pending
                pending = 0
                batches += aggregator.drain() is not None
        updates += pending
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


def measure(symbols: int = 300, seconds: float = 2.0, seed: int = 1) -> dict[str, object]:
    rng = random.Random(seed)
    bases = [f"S{i:03d}" for i in range(symbols)]
    names = [f"{b}/USD" for b in bases]
    ours = {f"{b}/USD": f"{b}USD" for b in bases}
    tickers = ticker_frames(names, 20_000, rng)
    trades = trade_frames(names, 20_000, rng)

    def seeded() -> MarketState:
        state = MarketState(Source.KRAKEN)
        for raw in tickers[:symbols]:
            event = kf.parse_frame(raw)
            assert isinstance(event, kf.Tickers)
            apply_tickers(state, ours, event.rows, START_MS)
        return state

    return {
        "kraken": {
            "ticker": _run(tickers, lambda: MarketState(Source.KRAKEN), ours, seconds),
            "trade": _run(trades, seeded, ours, seconds),
        },
        "binance_baseline": measure_binance(symbols, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    print(orjson.dumps(measure(args.symbols, args.seconds), option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
