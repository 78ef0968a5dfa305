"""`python -m cryptotracker_bench.parse_kraken` runs and reports every figure it promises, Kraken
beside the Binance baseline. Speed is the bench's to report, never asserted here."""

from __future__ import annotations

import subprocess
import sys

import orjson

FIELDS = {"updates", "batches", "cpu_s", "wall_s", "updates_per_cpu_s"}


def test_parse_kraken_reports_kraken_and_the_binance_baseline() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cryptotracker_bench.parse_kraken", "--seconds", "0.05",
         "--symbols", "20"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    figures = orjson.loads(out.stdout)
    assert set(figures) == {"kraken", "binance_baseline"}
    assert set(figures["kraken"]) == {"ticker", "trade"}
    assert set(figures["binance_baseline"]) == {"agg_trade", "mini_ticker"}
    for path in (figures["kraken"], figures["binance_baseline"]):
        for row in path.values():
            assert set(row) == FIELDS
            assert row["updates"] > 0
