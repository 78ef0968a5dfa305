"""Normalisation: exchange rows in, wire-shaped PriceDict/CandleDict out, digit for digit."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cryptotracker.market.binance_frames import (
    MINI_TICKER_ALL,
    AggTrade,
    Kline,
    MiniTicker,
    MiniTickers,
    parse_frame,
)
from cryptotracker.market.normalize import (
    MarketState,
    NormalizeError,
    coingecko_to_price,
    decimal_from_float,
    kline_to_candle,
    mini_ticker_to_price,
    percent_change,
    rest_klines_to_candles,
    ticker_24hr_to_price,
)
from cryptotracker.protocol import CandleData, PriceUpdate, Source
from tests.market.helpers import fixture


def mini(symbol: str = "BTCUSDT", **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "e": "24hrMiniTicker",
        "E": 1000,
        "s": symbol,
        "c": "110.00",
        "o": "100.00",
        "h": "120.00",
        "l": "90.00",
        "v": "5.5",
        "q": "605.0",
    }
    row.update(fields)
    return row


def frame(rows: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"stream": MINI_TICKER_ALL, "data": rows})


def tickers(raw: bytes) -> list[MiniTicker]:
    event = parse_frame(raw)
    assert isinstance(event, MiniTickers)
    return event.rows


# ---- playback of the official fixtures ------------------------------------------------------


def test_mini_ticker_fixture_becomes_a_valid_price_update() -> None:
    state = MarketState(Source.BINANCE)
    raw = orjson.dumps({"stream": MINI_TICKER_ALL, "data": fixture("miniTicker_arr.json")})
    (update,) = state.apply_mini_tickers(tickers(raw))
    assert update == {
        "symbol": "BNBBTC",
        "price": "0.0025",
        "priceChangePercent": "150.00",
        "high24h": "0.0025",
        "low24h": "0.0010",
        "volume24h": "18",
        "lastUpdateTime": 1672515782136,
        "source": "binance",
    }
    PriceUpdate.model_validate(update)


def test_single_mini_ticker_fixture_normalises_alone() -> None:
    (row,) = tickers(orjson.dumps(fixture("miniTicker.json")))
    update = mini_ticker_to_price(row, Source.SIMULATOR)
    assert (update["priceChangePercent"], update["source"]) == ("150.00", "simulator")


def test_agg_trade_fixture_moves_the_last_price() -> None:
    state = MarketState(Source.BINANCE)
    state.apply_mini_tickers(tickers(frame([fixture("miniTicker.json")])))
    trade = parse_frame(orjson.dumps(fixture("aggTrade.json")))
    assert isinstance(trade, AggTrade)
    update = state.apply_trade(trade)
    assert update is not None
    assert update["price"] == "0.001"
    assert update["priceChangePercent"] == "0.00"  # 0.001 / 0.0010 - 1
    assert update["high24h"] == "0.0025"


def test_kline_fixture_becomes_a_valid_candle() -> None:
    event = parse_frame(orjson.dumps({"stream": "bnbbtc@kline_1m", "data": fixture("kline.json")}))
    assert isinstance(event, Kline)
    candle = kline_to_candle(event, Source.BINANCE)
    assert candle == {
        "symbol": "BNBBTC",
        "interval": "1m",
        "openTime": 1672515780000,
        "closeTime": 1672515839999,
        "open": "0.0010",
        "high": "0.0025",
        "low": "0.0015",
        "close": "0.0020",
        "volume": "1000",
        "closed": False,
        "source": "binance",
    }
    CandleData.model_validate(candle)


def test_rest_klines_fixture_becomes_closed_candles() -> None:
    candles = rest_klines_to_candles(
        fixture("rest_klines.json"), "BNBBTC", "1d", Source.BINANCE, now_ms=1_700_000_000_000
    )
    assert candles == [
        {
            "symbol": "BNBBTC",
            "interval": "1d",
            "openTime": 1499040000000,
            "closeTime": 1499644799999,
            "open": "0.01634790",
            "high": "0.80000000",
            "low": "0.01575800",
            "close": "0.01577100",
            "volume": "148976.11427815",
            "closed": True,
            "source": "binance",
        }
    ]
    CandleData.model_validate(candles[0])


def test_rest_kline_still_forming_is_not_closed() -> None:
    (candle,) = rest_klines_to_candles(
        fixture("rest_klines.json"), "BNBBTC", "1d", Source.BINANCE, now_ms=1499040000001
    )
    assert candle["closed"] is False


def test_rest_ticker_24hr_fixtures_seed_the_snapshot() -> None:
    update = ticker_24hr_to_price(fixture("rest_ticker_24hr.json"), Source.BINANCE)
    assert update == {
        "symbol": "BNBBTC",
        "price": "4.00000200",
        "priceChangePercent": "-95.96",
        "high24h": "100.00000000",
        "low24h": "0.10000000",
        "volume24h": "15.30000000",
        "lastUpdateTime": 1499869899040,
        "source": "binance",
    }
    state = MarketState(Source.BINANCE)
    assert state.apply_ticker_24hr(fixture("rest_ticker_24hr_list.json")) == [update]
    assert state.get("BNBBTC") == update


# ---- exact decimals ---------------------------------------------------------------------------


def test_tiny_price_and_huge_volume_arrive_exactly() -> None:
    state = MarketState(Source.BINANCE)
    rows = tickers(
        frame([mini("SHIBUSDT", c="0.00001234", o="0.00001200", q="98765432101.12345678")])
    )
    (update,) = state.apply_mini_tickers(rows)
    assert update["price"] == "0.00001234"
    assert update["volume24h"] == "98765432101.12345678"
    assert update["priceChangePercent"] == "2.83"
    wire = orjson.loads(orjson.dumps(PriceUpdate.model_validate(update).model_dump(by_alias=True)))
    assert (wire["price"], wire["volume24h"]) == ("0.00001234", "98765432101.12345678")


# ---- percentage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("open_", "price", "expected"),
    [
        ("100", "110", "10.00"),
        ("100", "90", "-10.00"),
        ("3", "4", "33.33"),
        ("3", "5", "66.67"),  # half-up
        ("0.00001200", "0.00001234", "2.83"),
        ("99.00000000", "4.00000200", "-95.96"),
        ("1", "1", "0.00"),
        ("100", "99.999999", "0.00"),  # -0.000001 % rounds to zero, never "-0.00"
        ("0", "5", "0.00"),  # no trade in 24 h: no division by zero
        ("0.00000000", "5", "0.00"),
        ("0.00000001", "98765432101.12345678", "987654321011234567700.00"),
    ],
)
def test_percent_change_is_exact_with_two_places(open_: str, price: str, expected: str) -> None:
    assert percent_change(open_, price) == expected


def test_percent_change_rejects_non_numbers() -> None:
    with pytest.raises(NormalizeError):
        percent_change("abc", "1")


# ---- merging the snapshot ----------------------------------------------------------------------


def test_mini_ticker_rows_merge_into_the_snapshot() -> None:
    state = MarketState(Source.BINANCE)
    state.apply_mini_tickers(tickers(frame([mini("BTCUSDT"), mini("ETHUSDT")])))
    later = tickers(frame([mini("ETHUSDT", E=2000, c="105.00")]))
    (update,) = state.apply_mini_tickers(later)
    assert update["symbol"] == "ETHUSDT"
    assert update["price"] == "105.00"
    assert update["priceChangePercent"] == "5.00"
    assert {p["symbol"] for p in state.snapshot()} == {"BTCUSDT", "ETHUSDT"}
    btc = state.get("BTCUSDT")
    assert btc is not None
    assert btc["price"] == "110.00"


def test_trade_before_any_statistics_emits_nothing() -> None:
    state = MarketState(Source.BINANCE)
    assert state.apply_trade(AggTrade("BTCUSDT", "1.0", "1", 5, 5)) is None


def test_newer_trade_price_wins_over_older_ticker_close() -> None:
    state = MarketState(Source.BINANCE)
    state.apply_mini_tickers(tickers(frame([mini(E=1000)])))
    trade = state.apply_trade(AggTrade("BTCUSDT", "111.50", "1", 1500, 1500))
    assert trade is not None
    assert (trade["price"], trade["priceChangePercent"], trade["lastUpdateTime"]) == (
        "111.50",
        "11.50",
        1500,
    )
    # A miniTicker computed before that trade updates the statistics but not the price.
    (update,) = state.apply_mini_tickers(tickers(frame([mini(E=1400, h="130.00")])))
    assert (update["price"], update["high24h"], update["lastUpdateTime"]) == (
        "111.50",
        "130.00",
        1500,
    )
    assert state.apply_trade(AggTrade("BTCUSDT", "1", "1", 1200, 1600)) is None  # stale trade


def test_older_rest_snapshot_does_not_undo_newer_stream_values() -> None:
    state = MarketState(Source.BINANCE)
    state.apply_mini_tickers(tickers(frame([mini(E=5000, c="111.00", h="130.00")])))
    old = dict(fixture("rest_ticker_24hr.json"), symbol="BTCUSDT", closeTime=4000)
    (update,) = state.apply_ticker_24hr([old])
    assert (update["price"], update["high24h"], update["lastUpdateTime"]) == (
        "111.00",
        "130.00",
        5000,
    )
    newer = dict(old, closeTime=6000)
    (update,) = state.apply_ticker_24hr([newer])
    assert (update["price"], update["high24h"]) == ("4.00000200", "100.00000000")


def test_restricted_state_ignores_unlisted_symbols() -> None:
    state = MarketState(Source.BINANCE, allowed=frozenset({"BTCUSDT"}))
    rows = tickers(frame([mini("BTCUSDT"), mini("ETHBTC")]))
    assert [u["symbol"] for u in state.apply_mini_tickers(rows)] == ["BTCUSDT"]


# ---- CoinGecko -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (67187.34, "67187.34"),
        (0.1, "0.1"),
        (1.234e-05, "0.00001234"),
        (98765432101.125, "98765432101.125"),
        (1e16, "10000000000000000"),
        (42, "42"),
        (-0.0, "0"),
    ],
)
def test_coingecko_floats_become_their_shortest_decimal(value: float, expected: str) -> None:
    assert decimal_from_float(value) == expected


@pytest.mark.parametrize("value", [None, "1.0", float("nan"), float("inf"), True])
def test_coingecko_non_numbers_are_rejected(value: object) -> None:
    with pytest.raises(NormalizeError):
        decimal_from_float(value)


def test_coingecko_row_becomes_a_labelled_price_update() -> None:
    row = {
        "id": "bitcoin",
        "symbol": "btc",
        "current_price": 67187.34,
        "high_24h": 68000.5,
        "low_24h": 66000.25,
        "price_change_percentage_24h": -1.23456,
        "total_volume": 28123456789.0,
        "last_updated": "2024-05-01T12:00:00.000Z",
    }
    update = coingecko_to_price(row, "BTCUSDT", now_ms=1)
    assert update == {
        "symbol": "BTCUSDT",
        "price": "67187.34",
        "priceChangePercent": "-1.23",
        "high24h": "68000.5",
        "low24h": "66000.25",
        "volume24h": "28123456789.0",
        "lastUpdateTime": 1714564800000,
        "source": "coingecko",
    }
    PriceUpdate.model_validate(update)


def test_coingecko_row_with_nulls_still_validates() -> None:
    row = {"current_price": 0.5, "high_24h": None, "low_24h": None, "last_updated": None}
    update = coingecko_to_price(row, "XUSDT", now_ms=7)
    assert (update["high24h"], update["low24h"], update["lastUpdateTime"]) == ("0.5", "0.5", 7)
    PriceUpdate.model_validate(update)
