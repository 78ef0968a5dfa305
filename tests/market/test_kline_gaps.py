"""The gap a reconnect leaves in a kline stream: from the newest candle seen, closed ones only."""

from __future__ import annotations

from cryptotracker.market.kline_gaps import KlineGaps, kline_key, may_have_missed, missed
from cryptotracker.protocol import CandleDict


def candle(open_time: int, closed: bool) -> CandleDict:
    return {
        "symbol": "BTCUSDT", "interval": "1m", "openTime": open_time,
        "closeTime": open_time + 59_999, "open": "1", "high": "1", "low": "1", "close": "1",
        "volume": "0", "closed": closed, "source": "binance",
    }  # fmt: skip


def test_the_gap_starts_at_the_newest_candle_unless_it_was_seen_closed() -> None:
    gaps = KlineGaps()
    assert gaps.start("BTCUSDT", "1m") is None  # never carried: nothing was missed
    gaps.seen("BTCUSDT", "1m", 120_000, False)
    gaps.seen("BTCUSDT", "1m", 60_000, True)  # an older event arriving late changes nothing
    assert gaps.start("BTCUSDT", "1m") == 120_000
    gaps.seen("BTCUSDT", "1m", 120_000, True)
    assert gaps.start("BTCUSDT", "1m") == 120_001
    gaps.keep([("ETHUSDT", "1m")])
    assert gaps.start("BTCUSDT", "1m") is None  # no longer demanded: forgotten


def test_missed_candles_are_the_closed_ones_from_the_start_oldest_first() -> None:
    rows = [candle(180_000, True), candle(60_000, True), candle(120_000, True),
            candle(240_000, False)]  # fmt: skip
    assert [c["openTime"] for c in missed(rows, 120_000)] == [120_000, 180_000]


def test_only_kline_streams_have_keys() -> None:
    assert kline_key("btcusdt@kline_15m") == ("BTCUSDT", "15m")
    assert kline_key("btcusdt@aggTrade") is None
    assert kline_key("!miniTicker@arr") is None


def test_nothing_can_be_missed_before_the_candle_seen_last_has_closed() -> None:
    start = 10 * 60_000  # a 1m candle opening at minute 10
    assert not may_have_missed(start, "1m", start + 59_999)
    assert may_have_missed(start, "1m", start + 60_000)
    assert not may_have_missed(start + 1, "1m", start + 59_999)  # seen closed: from its end
    assert not may_have_missed(start, "1h", start + 60_000)  # the hour from 00:00 goes on
    assert may_have_missed(start, "3d", start)  # an interval we do not know: ask
