"""Coin metadata: what one refresh costs against the simulated CoinGecko (in this process, over
loopback), and what `/api/assets` weighs. Prints figures, asserts nothing:

    python -m cryptotracker_bench.assets [--symbols 300]

The first collection fetches and sanitises every logo; the second finds them on disk. The
simulator generates its PNG logos in the same process, so the first figure includes that."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import orjson

from cryptotracker.market.asset_source import AssetMetadataSource
from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.settings import Settings
from cryptotracker.simulator.server import SimConfig, Simulator


async def measure(symbols: int) -> None:
    async with Simulator(SimConfig(symbols=symbols, rate=0.0, seed=1)).running() as sim:
        settings = Settings(coingecko_calls_per_min=6000, rest_timeout_s=30.0)
        source = AssetMetadataSource(settings, base_url=lambda: sim.coingecko_url)
        tracked = [m.asset.base for m in sim.market.markets.values()]
        with tempfile.TemporaryDirectory() as tmp:
            store = AssetStore(None, Path(tmp))
            for label in ("first (with logos)", "second (logos cached)"):
                started = time.perf_counter()
                listing, retry = await source.collect(tracked, store, store.loaded)
                took = time.perf_counter() - started
                if listing is None or retry is not None:
                    raise SystemExit(f"collection failed (retry in {retry} s)")
                await store.publish(listing)
                print(f"collect {label}: {took:.2f} s, {source.calls} CoinGecko calls so far")
            logos = await asyncio.to_thread(_sizes, Path(tmp))
        assert listing is not None
        body = store.body
        started = time.perf_counter()
        for _ in range(20):
            orjson.dumps(listing.model_dump(mode="json", by_alias=True))
        encode_ms = (time.perf_counter() - started) / 20 * 1000
        with_logo = sum(1 for a in listing.assets if a.logo)
        print(f"assets: {len(listing.assets)}, with a logo: {with_logo}")
        print(f"/api/assets body: {len(body)} bytes, gzipped {len(store.gzipped)} bytes")
        print(f"encoding the list: {encode_ms:.1f} ms")
        each = sum(logos) // max(1, len(logos))
        print(f"logos: {len(logos)} PNGs, {sum(logos)} bytes ({each} each)")


def _sizes(folder: Path) -> list[int]:
    return [len(p.read_bytes()) for p in folder.iterdir()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(measure(args.symbols))


if __name__ == "__main__":
    main()
