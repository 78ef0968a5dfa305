"""The ingest benchmark still runs (its figures are reported, never asserted)."""

from __future__ import annotations

from cryptotracker.market.ingest_bench import measure


def test_ingest_bench_measures_both_frame_kinds() -> None:
    results = measure(symbols=5, seconds=0.01)
    assert set(results) == {"mini_ticker_updates_per_s", "agg_trade_updates_per_s"}
    assert all(value > 0 for value in results.values())
