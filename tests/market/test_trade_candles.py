"""Live candles built from trades: only demanded pairs, decimal sums, a closed candle when a
trade opens the next interval, late trades of a closed candle ignored."""

from __future__ import annotations

from cryptotracker.market.trade_candles import TradeCandles
from cryptotracker.protocol import CandleData, Source


def test_trades_build_and_close_candles_of_demanded_pairs_only() -> None:
    candles = TradeCandles(Source.COINBASE, {"1m": 60, "5m": 300})
    candles.want(frozenset({("BTCUSD", "1m")}))
    assert candles.on_trade("ETHUSD", "1", "1", 0) == []
    t0 = 1_700_000_020_000  # 40 s into a minute
    candles.on_trade("BTCUSD", "100.10", "0.1", t0)
    candles.on_trade("BTCUSD", "0.00001234", "0.2", t0 + 1000)
    (forming,) = candles.on_trade("BTCUSD", "100.30", "0.00000001", t0 + 2000)
    assert (forming["open"], forming["high"], forming["low"], forming["close"]) == (
        "100.10", "100.30", "0.00001234", "100.30"
    )  # fmt: skip
    assert forming["volume"] == "0.30000001" and not forming["closed"]
    closed, opened = candles.on_trade("BTCUSD", "101", "1", t0 + 20_000)
    assert closed["closed"] and closed["close"] == "100.30"
    assert opened["openTime"] == closed["openTime"] + 60_000 and opened["open"] == "101"
    assert candles.on_trade("BTCUSD", "99", "1", t0) == []  # its candle already closed
    for c in (forming, closed, opened):
        CandleData.model_validate(c)
    candles.want(frozenset())
    assert candles.on_trade("BTCUSD", "1", "1", t0 + 30_000) == []
