"""Coinbase rows as wire shapes: quote volume computed exactly, REST snapshot rows, candle rows
read from JSON numbers without float, 4 h candles merged from 1 h ones."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cryptotracker.market.coinbase_frames import parse_frame
from cryptotracker.market.coinbase_normalize import (
    candles_of,
    parse_candle_rows,
    quote_volume,
    rest_snapshot_row,
    ticker_row,
)
from cryptotracker.market.normalize import MarketState, NormalizeError
from cryptotracker.protocol import CandleData, PriceUpdate, Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coinbase"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_quote_volume_is_base_volume_times_price_exactly() -> None:
    # As integers: 24553279269678 * 128522 = 3155636558297555916 and
    # 123456789015 * 1234 = 152345677644510.
    assert quote_volume("245532.79269678", "1285.22") == "315563655.8297555916"
    assert quote_volume("0", "1285.22") == "0"
    assert quote_volume("12345678901.5", "0.00001234") == "152345.67764451"


def test_a_documented_ticker_becomes_a_price_update() -> None:
    event = parse_frame(fixture("ticker.json"))
    state = MarketState(Source.COINBASE)
    (update,) = state.apply_mini_tickers([ticker_row(event, "ETHUSD")])  # type: ignore[arg-type]
    PriceUpdate.model_validate(update)
    assert update["price"] == "1285.22"
    assert update["high24h"] == "1313.8" and update["low24h"] == "1280.52"
    assert update["priceChangePercent"] == "-1.95"
    assert update["source"] == "coinbase"


def test_rest_stats_and_ticker_make_one_snapshot_row() -> None:
    stats = orjson.loads(fixture("rest_stats.json"))
    ticker = orjson.loads(fixture("rest_ticker.json"))
    row = rest_snapshot_row("BTCUSD", stats, ticker)
    # The documented stats write eight decimals ("5414.18000000"): kept as written.
    assert (row.close, row.open, row.high, row.low, row.volume) == (
        "6268.48", "5414.18000000", "6441.37000000", "5261.69000000", "53687.76764233"
    )  # fmt: skip
    # From the stats' base volume, not the ticker's (53602.03940154): 5368776764233 x 626848.
    assert row.quote_volume == "336540697.7105927584"
    (update,) = MarketState(Source.COINBASE).apply_mini_tickers([row])
    assert update["priceChangePercent"] == "15.78"  # (6268.48 - 5414.18) / 5414.18
    assert row.event_time == 1584663777833
    with pytest.raises(NormalizeError):
        rest_snapshot_row("BTCUSD", {**stats, "open": 5414.18}, ticker)


def test_candle_rows_from_the_docs_and_tiny_numbers_stay_exact() -> None:
    assert parse_candle_rows(fixture("rest_candles.json")) == [
        (1415398768, "0.35", "4.2", "0.32", "4.2", "12.3")
    ]
    body = b"[[120,0.00001233,0.00001236,0.00001234,0.00001235,98765432101.12345678],"
    body += b"[60,1,2,1,2,3]]"
    rows = parse_candle_rows(body)
    assert [r[0] for r in rows] == [60, 120]  # oldest first
    assert rows[1][1:] == ("0.00001234", "0.00001236", "0.00001233", "0.00001235",
                           "98765432101.12345678")  # fmt: skip
    with pytest.raises(NormalizeError):
        parse_candle_rows(b'[[60,"1",2,1,2]]')


def test_four_hour_candles_are_built_from_hours_aligned_to_utc() -> None:
    h = 3600
    base = 1_700_000_000 // (4 * h) * (4 * h)
    rows = [
        (base - h, "9", "9", "9", "9", "1"),  # the previous 4 h candle's last hour
        (base, "10", "12", "9.5", "11", "1.5"),
        (base + h, "11", "15", "10.5", "14", "2"),
        (base + 3 * h, "14", "14.5", "8.25", "13", "0.25"),
    ]
    candles = candles_of(rows, "BTCUSD", "4h", Source.COINBASE, (base + 4 * h) * 1000)
    assert [c["openTime"] for c in candles] == [(base - 4 * h) * 1000, base * 1000]
    c = candles[1]
    assert (c["open"], c["high"], c["low"], c["close"], c["volume"]) == (
        "10", "15", "8.25", "13", "3.75"
    )  # fmt: skip
    assert c["closeTime"] == (base + 4 * h) * 1000 - 1
    assert c["closed"]
    for candle in candles:
        CandleData.model_validate(candle)
