"""The Coinbase parser benchmark runs through the provider's own frame path and reports its
figures next to the Binance baseline (speed is the bench's to report, not asserted here)."""

from __future__ import annotations

from cryptotracker_bench.parse_coinbase import measure


def test_parse_coinbase_reports_updates_per_cpu_second_beside_binance() -> None:
    result = measure(symbols=20, seconds=0.05)
    assert set(result["coinbase"]) == {"ticker", "match"}
    for figures in (*result["coinbase"].values(), *result["binance_baseline"].values()):
        assert figures["updates"] > 0
        assert figures["updates_per_cpu_s"] > 0
    # Every match frame of a pass reaches the aggregator: no gap, none older than shown.
    match = result["coinbase"]["match"]
    assert match["updates"] % 20_000 == 0
