"""Ingest only: exchange updates per CPU-second through the tracker's own path (WebSocket frames
decoded by `websockets`' Sans-I/O protocol as its asyncio client does, Binance frame parse ->
normalise -> aggregator, drained into batches), no sockets. Run pinned to one core:

    taskset -c 0 python -m cryptotracker_bench.ingest [--seconds 3]

Throughput is counted against this process's CPU time, so other load on the machine slows the
run without changing the figure much."""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import orjson
from websockets.frames import Frame
from websockets.protocol import Protocol, Side, State

from cryptotracker.market.binance_frames import MINI_TICKER_ALL, AggTrade, MiniTickers, parse_frame
from cryptotracker.market.normalize import MarketState
from cryptotracker.pipeline.aggregate import Aggregator
from cryptotracker.protocol import Source
from cryptotracker_bench.wire import server_frame

# Bytes handed to the WebSocket parser at once (a socket read).
READ_SIZE = 65536
# The aggregator drains once per batch interval: at 50,000 updates/s and 100 ms, about every
# 5,000 updates (here after the read that passes that count).
DRAIN_EVERY = 5000


def mini_ticker_frames(
    symbols: list[str], frames: int, rng: random.Random, start_ms: int = 1_700_000_000_000
) -> list[bytes]:
    """`!miniTicker@arr` frames (combined-stream wrapper), every symbol in each."""
    out = []
    for n in range(frames):
        rows = []
        for s in symbols:
            price = rng.uniform(0.00001, 90000)
            rows.append({
                "e": "24hrMiniTicker", "E": start_ms + n, "s": s,
                "c": f"{price:.8f}", "o": f"{price * 0.97:.8f}", "h": f"{price * 1.05:.8f}",
                "l": f"{price * 0.95:.8f}", "v": f"{rng.uniform(1, 1e6):.8f}",
                "q": f"{rng.uniform(1, 1e10):.8f}",
            })  # fmt: skip
        out.append(orjson.dumps({"stream": MINI_TICKER_ALL, "data": rows}))
    return out


def agg_trade_frames(symbols: list[str], frames: int, rng: random.Random) -> list[bytes]:
    """`<symbol>@aggTrade` frames, round-robin over `symbols`, newer than any miniTicker."""
    out = []
    for n in range(frames):
        s = symbols[n % len(symbols)]
        data = {
            "e": "aggTrade", "E": 1_700_000_000_000 + n, "s": s, "a": n,
            "p": f"{rng.uniform(0.00001, 90000):.8f}", "q": "0.01000000", "f": n, "l": n,
            "T": 1_700_000_000_000 + n, "m": True, "M": True,
        }  # fmt: skip
        out.append(orjson.dumps({"stream": f"{s.lower()}@aggTrade", "data": data}))
    return out


def _reads(frames: list[bytes]) -> list[bytes]:
    """The frames as a socket would deliver them: WebSocket-framed, in reads of READ_SIZE."""
    stream = b"".join(server_frame(f) for f in frames)
    return [stream[i : i + READ_SIZE] for i in range(0, len(stream), READ_SIZE)]


def _run(frames: list[bytes], fresh: Callable[[], MarketState], seconds: float) -> dict[str, float]:
    """Passes over `frames`, each on a fresh state, until `seconds` of CPU time were spent."""
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
                    pending += _handle(bytes(frame.data), state, aggregator)
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


def _handle(raw: bytes, state: MarketState, aggregator: Aggregator) -> int:
    """What the provider does with one frame; returns the updates it produced."""
    event = parse_frame(raw)
    if isinstance(event, AggTrade):
        price = state.apply_trade(event)
        if price is None:
            return 0
        aggregator.on_price(price)
        return 1
    if isinstance(event, MiniTickers):
        prices = state.apply_mini_tickers(event.rows)
        for price in prices:
            aggregator.on_price(price)
        return len(prices)
    return 0


def measure(symbols: int = 300, seconds: float = 3.0, seed: int = 1) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    names = [f"S{i:03d}USDT" for i in range(symbols)]
    minis = mini_ticker_frames(names, 20, rng, start_ms=1_699_000_000_000)
    trades = agg_trade_frames(names, 20_000, rng)

    def seeded() -> MarketState:
        state = MarketState(Source.BINANCE)
        event = parse_frame(minis[0])
        assert isinstance(event, MiniTickers)
        state.apply_mini_tickers(event.rows)
        return state

    return {
        "agg_trade": _run(trades, seeded, seconds),
        "mini_ticker": _run(minis, lambda: MarketState(Source.BINANCE), seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(orjson.dumps(measure(args.symbols, args.seconds)).decode())


if __name__ == "__main__":
    main()
