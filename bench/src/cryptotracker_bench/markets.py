"""The markets page at N markets: the simulator (`--symbols` coins against `--quotes`) and one
tracker listing them, no clients. Over one window: the tracker's CPU per exchange update, its
batches per second and updates per batch (its own `cryptotracker_batch_symbols` histogram); and
the page's initial payload, GET /api/symbols and /api/prices, raw and gzipped (level 6); and
what one GET /api/prices (gzip accepted, as a page polling it every 30 s) costs the tracker.

    python -m cryptotracker_bench.markets --quotes USDT                # 300 markets
    python -m cryptotracker_bench.markets                              # Binance's quotes
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from cryptotracker.settings import DEFAULT_QUOTE_ASSETS
from cryptotracker_bench.procs import Processes
from cryptotracker_bench.stack import Cores, Simulator, Tracker, http_get, http_json, metric_sum

PAYLOAD = ("/api/symbols", "/api/prices", "/api/rates")
BATCH_METRIC = "cryptotracker_batch_symbols"


def payload_sizes(body: bytes) -> dict[str, int]:
    return {"raw": len(body), "gzip": len(gzip.compress(body, compresslevel=6))}


def batch_buckets(metrics: dict[str, float]) -> dict[str, float]:
    """The histogram's cumulative buckets, le -> count."""
    prefix = BATCH_METRIC + '_bucket{le="'
    return {k[len(prefix) : -2]: v for k, v in metrics.items() if k.startswith(prefix)}


async def _all_priced(tracker: Tracker, markets: int, timeout: float) -> int:
    """Until the tracker holds a price of (nearly) every listed market."""
    deadline = time.monotonic() + timeout
    held = 0
    while time.monotonic() < deadline:
        held = len((await http_json(f"{tracker.base}/api/prices"))["prices"])
        if held >= markets * 0.99:
            break
        await asyncio.sleep(0.5)
    return held


async def request_cost(tracker: Tracker, path: str, count: int, idle_cpu_per_s: float) -> float:
    """Tracker CPU ms per request of `path`, sent one after another, less its idle CPU rate."""
    headers = {"accept-encoding": "gzip"}
    async with httpx.AsyncClient(base_url=tracker.base, timeout=10) as http:
        cpu0, t0 = tracker.proc.cpu().total_s, time.monotonic()
        for _ in range(count):
            (await http.get(path, headers=headers)).raise_for_status()
        cpu1, t1 = tracker.proc.cpu().total_s, time.monotonic()
    return 1000 * max(0.0, cpu1 - cpu0 - idle_cpu_per_s * (t1 - t0)) / count


async def measure(
    symbols: int,
    quotes: Sequence[str],
    rate: float,
    seconds: float,
    cores: Cores,
    logs: Path,
    prices_cache_s: str | None = None,
) -> dict[str, Any]:
    async with Processes() as procs:
        sim = await Simulator.start(procs, logs, cores, symbols, rate, quotes)
        env = {"CRYPTOTRACKER_QUOTE_ASSETS": ",".join(quotes)}
        if prices_cache_s is not None:
            env["CRYPTOTRACKER_PRICES_CACHE_S"] = prices_cache_s
        tracker = await Tracker.start(procs, logs, cores, sim, extra_env=env)
        markets = len((await http_json(f"{tracker.base}/api/symbols"))["symbols"])
        held = await _all_priced(tracker, markets, 30.0)
        payload = {path: payload_sizes(await http_get(tracker.base + path)) for path in PAYLOAD}
        m0, cpu0, t0 = await tracker.metrics(), tracker.proc.cpu().total_s, time.monotonic()
        await asyncio.sleep(seconds)
        m1, cpu1, t1 = await tracker.metrics(), tracker.proc.cpu().total_s, time.monotonic()
        idle = (cpu1 - cpu0) / (t1 - t0)
        prices_ms = await request_cost(tracker, "/api/prices", 300, idle)
        health_ms = await request_cost(tracker, "/health/ready", 300, idle)
    updates = metric_sum(m1, "cryptotracker_exchange_updates_total") - metric_sum(
        m0, "cryptotracker_exchange_updates_total"
    )
    batches = metric_sum(m1, BATCH_METRIC + "_count") - metric_sum(m0, BATCH_METRIC + "_count")
    summed = metric_sum(m1, BATCH_METRIC + "_sum") - metric_sum(m0, BATCH_METRIC + "_sum")
    b0, b1 = batch_buckets(m0), batch_buckets(m1)
    return {
        "markets": markets,
        "priced": held,
        "quotes": list(quotes),
        "rate": rate,
        "window_s": round(t1 - t0, 2),
        "payload": payload,
        "initial_gzip": payload["/api/symbols"]["gzip"] + payload["/api/prices"]["gzip"],
        "updates_per_s": round(updates / (t1 - t0), 1),
        "cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
        "cpu_us_per_update": round(1e6 * (cpu1 - cpu0) / updates, 1) if updates else None,
        "batches_per_s": round(batches / (t1 - t0), 2),
        "updates_per_batch_mean": round(summed / batches, 1) if batches else None,
        "batches_by_size_le": {le: b1[le] - b0.get(le, 0.0) for le in b1},
        "prices_request_cpu_ms": round(prices_ms, 2),
        "health_request_cpu_ms": round(health_ms, 2),  # the floor of any request
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--symbols", type=int, default=300, help="coins")
    parser.add_argument("--quotes", default=",".join(DEFAULT_QUOTE_ASSETS))
    parser.add_argument("--rate", type=float, default=1000.0, help="trades per second")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--server-cores", default="0")
    parser.add_argument("--load-cores", default="1")
    parser.add_argument("--prices-cache-s", help="the tracker's CRYPTOTRACKER_PRICES_CACHE_S")
    args = parser.parse_args()
    quotes = [q.strip().upper() for q in args.quotes.split(",") if q.strip()]
    cores = Cores(args.server_cores or None, args.load_cores or None)
    with tempfile.TemporaryDirectory(prefix="bench-markets-") as logs:
        result = asyncio.run(
            measure(
                args.symbols,
                quotes,
                args.rate,
                args.seconds,
                cores,
                Path(logs),
                args.prices_cache_s,
            )
        )
    print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
