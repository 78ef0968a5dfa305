"""How many exchange updates per second one core parses and normalises (no sockets).

    .venv/bin/python -m cryptotracker.market.ingest_bench [--seconds 3]

Feeds pre-encoded Binance frames through `parse_frame` -> `MarketState` -> a latest-wins dict
sink (what the aggregator does), the same path `BinanceProvider._handle` takes per frame.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

import orjson

from cryptotracker.market.binance_frames import MINI_TICKER_ALL, AggTrade, MiniTickers, parse_frame
from cryptotracker.market.normalize import MarketState
from cryptotracker.protocol import PriceDict, Source


def _symbols(count: int) -> list[str]:
    return [f"S{i:03d}USDT" for i in range(count)]


def mini_ticker_frames(
    symbols: list[str], frames: int, rng: random.Random, start_ms: int = 1_700_000_000_000
) -> list[bytes]:
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


def _run(frames: list[bytes], fresh_state: Callable[[], MarketState], seconds: float) -> float:
    """Updates per second over at least `seconds` of passes, each on a freshly seeded state
    (seeding not timed), so every trade is newer than what the state holds."""
    latest: dict[str, PriceDict] = {}

    def on_price(update: PriceDict) -> None:
        latest[update["symbol"]] = update

    updates = 0
    elapsed = 0.0
    while elapsed < seconds:
        state = fresh_state()
        started = time.perf_counter()
        for raw in frames:
            event = parse_frame(raw)
            if isinstance(event, MiniTickers):
                batch = state.apply_mini_tickers(event.rows)
                for update in batch:
                    on_price(update)
                updates += len(batch)
            elif isinstance(event, AggTrade):
                one = state.apply_trade(event)
                if one is not None:
                    on_price(one)
                    updates += 1
        elapsed += time.perf_counter() - started
    return updates / elapsed


def measure(symbols: int = 300, seconds: float = 3.0, seed: int = 1) -> dict[str, float]:
    """Updates/s through parse + normalise for miniTicker arrays and for single aggTrades."""
    rng = random.Random(seed)
    names = _symbols(symbols)
    minis = mini_ticker_frames(names, 20, rng, start_ms=1_699_000_000_000)
    trades = agg_trade_frames(names, 5000, rng)

    def seeded() -> MarketState:
        state = MarketState(Source.BINANCE)
        event = parse_frame(minis[0])
        assert isinstance(event, MiniTickers)
        state.apply_mini_tickers(event.rows)
        return state

    return {
        "mini_ticker_updates_per_s": _run(minis, lambda: MarketState(Source.BINANCE), seconds),
        "agg_trade_updates_per_s": _run(trades, seeded, seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    for name, value in measure(args.symbols, args.seconds).items():
        print(f"{name}: {value:,.0f}")


if __name__ == "__main__":
    main()
