"""Kraken rows become the wire shapes without losing a digit: the 24 h open from ``last -
change``, the quote volume from ``volume * vwap``, candles and REST rows as documented."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cryptotracker.market import kraken_frames as kf
from cryptotracker.market.kraken_normalize import (
    CandleCloser,
    KrakenNormalizeError,
    apply_tickers,
    apply_trades,
    candle_to_dict,
    quote_volume,
    rest_ohlc_to_candles,
    rest_ticker_to_mini,
    seconds_to_ms,
    top_of_book,
)
from cryptotracker.market.normalize import MarketState
from cryptotracker.protocol import CandleDict, PriceUpdate, Source

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def event(name: str) -> kf.Event:
    return kf.parse_frame((FIXTURES / name).read_bytes())


def test_documented_ticker_becomes_a_price_with_24h_open_and_quote_volume() -> None:
    tickers = event("ws_ticker_snapshot.json")
    assert isinstance(tickers, kf.Tickers)
    state = MarketState(Source.KRAKEN)
    (price,) = apply_tickers(state, {"ALGO/USD": "ALGOUSD"}, tickers.rows, 1_695_000_000_000)
    # open = 0.10035 - (-0.00017) = 0.10052; change -0.00017 / 0.10052 = -0.169 %
    assert price == {
        "symbol": "ALGOUSD",
        "price": "0.10035",
        "priceChangePercent": "-0.17",
        "high24h": "0.10285",
        "low24h": "0.09979",
        "volume24h": "101179.5160792561380",  # 997038.98383185 * 0.10148, every digit
        "lastUpdateTime": 1_695_000_000_000,
        "source": "kraken",
    }
    PriceUpdate.model_validate(price)
    assert apply_tickers(state, {}, tickers.rows, 0) == []  # pairs we do not list: nothing


def test_quote_volume_is_exact_for_huge_and_tiny_numbers() -> None:
    assert quote_volume("98765432101.12345678", "0.00001234") == "1218765.4321278634566652"
    assert Decimal(quote_volume("0.00000001", "0.00000001")) == Decimal("1E-16")
    assert "E" not in quote_volume("0.00000001", "0.00000001")


def test_trades_move_the_price_only_when_newer() -> None:
    state = MarketState(Source.KRAKEN)
    tickers = event("ws_ticker_snapshot.json")
    assert isinstance(tickers, kf.Tickers)
    apply_tickers(state, {"MATIC/USD": "MATICUSD"}, [tickers.rows[0]._replace(symbol="MATIC/USD")],
                  1_695_628_000_000)  # fmt: skip
    trades = event("ws_trade_update.json")
    assert isinstance(trades, kf.Trades)
    (moved,) = apply_trades(state, {"MATIC/USD": "MATICUSD"}, trades.rows, 1_695_628_178_000)
    assert (moved["price"], moved["lastUpdateTime"]) == ("0.5117", 1_695_628_178_000)
    older = trades.rows[0]._replace(time_ms=1_695_627_000_000, price="9")
    assert apply_trades(state, {"MATIC/USD": "MATICUSD"}, [older], 1_695_628_179_000) == []


def test_documented_candle_becomes_a_candle() -> None:
    candles = event("ws_ohlc_update.json")
    assert isinstance(candles, kf.Candles)
    candle = candle_to_dict(candles.rows[0], "MATICUSD", 1696437000000, Source.KRAKEN)
    assert candle == {
        "symbol": "MATICUSD",
        "interval": "5m",
        "openTime": 1696436700000,
        "closeTime": 1696436999999,
        "open": "0.5624",
        "high": "0.5628",
        "low": "0.5622",
        "close": "0.5627",
        "volume": "1463.28294224",
        "closed": True,
        "source": "kraken",
    }


def test_documented_rest_ticker_seeds_with_24h_figures_and_todays_open() -> None:
    row = fixture("rest_ticker.json")["result"]["XXBTZUSD"]
    mini = rest_ticker_to_mini(row, "BTCUSD", 1)
    assert (mini.close, mini.open, mini.high, mini.low, mini.volume) == (
        "3537.50000", "3530.60000", "3565.00000", "3504.20000", "4009.69918350"
    )  # fmt: skip
    assert Decimal(mini.quote_volume) == Decimal("4009.69918350") * Decimal("3535.79747")
    with pytest.raises(KrakenNormalizeError):
        rest_ticker_to_mini({**row, "c": [3537.5]}, "BTCUSD", 1)


def test_documented_rest_ohlc_rows_become_candles() -> None:
    rows = fixture("rest_ohlc.json")["result"]["XXBTZUSD"]
    candles = rest_ohlc_to_candles(rows, "BTCUSD", "1m", 1548115200000 + 30_000, Source.KRAKEN)
    first = candles[0]
    assert (first["openTime"], first["closeTime"], first["open"], first["close"]) == (
        1548115200000, 1548115259999, "3533.4", "3539.4"
    )  # fmt: skip
    assert first["volume"] == "83.09287787"  # the base volume, not the vwap beside it
    assert not first["closed"]
    with pytest.raises(KrakenNormalizeError):
        rest_ohlc_to_candles([["1548115200", "1"]], "BTCUSD", "1m", 0, Source.KRAKEN)


def test_documented_depth_and_trades_give_a_quote() -> None:
    book = fixture("rest_depth.json")["result"]["XXBTZUSD"]
    assert top_of_book(book) == ("3538.90000", "3539.90000")
    assert top_of_book({"bids": [], "asks": []}) == (None, None)
    trades = kf.loads((FIXTURES / "rest_trades.json").read_bytes())["result"]["XXBTZUSD"]
    assert seconds_to_ms(trades[-1][2]) == 1688669602698
    assert seconds_to_ms(1688669602) == 1688669602000


def _candle(open_time: int, close: str, closed: bool = False) -> CandleDict:
    return {
        "symbol": "BTCUSD", "interval": "1m", "openTime": open_time,
        "closeTime": open_time + 59_999, "open": "1", "high": close, "low": "1", "close": close,
        "volume": "1", "closed": closed, "source": "kraken",
    }  # fmt: skip


def test_the_next_interval_hands_the_last_candle_on_closed() -> None:
    closer = CandleCloser()
    assert closer.seen(_candle(0, "2")) == [_candle(0, "2")]
    assert closer.seen(_candle(0, "3")) == [_candle(0, "3")]
    assert closer.seen(_candle(60_000, "4")) == [_candle(0, "3", closed=True), _candle(60_000, "4")]
    # A snapshot's older row passes as it is and changes nothing.
    assert closer.seen(_candle(0, "9", closed=True)) == [_candle(0, "9", closed=True)]
    assert closer.seen(_candle(60_000, "5")) == [_candle(60_000, "5")]
    closer.keep([])
    assert closer.seen(_candle(120_000, "6")) == [_candle(120_000, "6")]  # forgotten: no close
