"""The simulator's wire shapes match Binance's documented payloads field for field, and our own
provider's parser reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from cryptotracker.market.binance_frames import AggTrade, Kline, MiniTickers, parse_frame
from cryptotracker.protocol import DECIMAL_RE
from cryptotracker.simulator import frames
from cryptotracker.simulator.market import SimMarket

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "binance"
NOW = 1_790_000_000_000


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture(scope="module")
def market() -> SimMarket:
    m = SimMarket(20, seed=3, now_ms=NOW)
    for i, symbol in enumerate(m.pick(500)):
        m.trade(symbol, NOW + i, 100.0)
    return m


def test_decimals_print_like_binance() -> None:
    assert frames.dec(1234) == "0.00001234"
    assert frames.dec(9876543210112345678) == "98765432101.12345678"
    assert frames.dec(-5) == "-0.00000005"


def test_agg_trade_has_the_documented_fields_and_parses(market: SimMarket) -> None:
    trade = market.trade("BTCUSDT", NOW + 1000, 100.0)
    data = orjson.loads(frames.agg_trade(trade, NOW + 1001))
    assert data.keys() == fixture("aggTrade.json").keys()
    assert DECIMAL_RE.match(data["p"]) and DECIMAL_RE.match(data["q"])
    event = parse_frame(frames.wrap("btcusdt@aggTrade", frames.agg_trade(trade, NOW), True))
    assert isinstance(event, AggTrade)
    assert event.price == frames.dec(trade.price)


def test_mini_ticker_array_has_the_documented_fields_and_parses(market: SimMarket) -> None:
    raw = frames.mini_tickers(market, ["BTCUSDT", "ETHUSDT"], NOW + 2000)
    rows = orjson.loads(raw)
    assert [r.keys() for r in rows] == [fixture("miniTicker.json").keys()] * 2
    event = parse_frame(frames.wrap(frames.MINI_TICKER_ALL, raw, True))
    assert isinstance(event, MiniTickers)
    assert {r.symbol for r in event.rows} == {"BTCUSDT", "ETHUSDT"}
    single = orjson.loads(frames.mini_ticker(market, "BTCUSDT", NOW + 2000))
    assert single == rows[0]


def test_kline_has_the_documented_fields_and_parses(market: SimMarket) -> None:
    candle = market.candle_now("ETHUSDT", "1m", NOW + 3000)
    data = orjson.loads(frames.kline("ETHUSDT", "1m", candle, False, NOW + 3000))
    expected = fixture("kline.json")
    assert data.keys() == expected.keys()
    assert data["k"].keys() == expected["k"].keys()
    event = parse_frame(orjson.dumps({"stream": "ethusdt@kline_1m", "data": data}))
    assert isinstance(event, Kline)
    assert not event.closed


def test_rest_shapes_match_the_documented_ones(market: SimMarket) -> None:
    stats = market.stats("BTCUSDT", NOW + 4000)
    row = frames.ticker_24hr("BTCUSDT", stats, market.markets["BTCUSDT"].asset.tick)
    assert row.keys() == fixture("rest_ticker_24hr.json").keys()
    kline = frames.kline_row(market.candles("BTCUSDT", "1h", NOW + 4000, 1)[0])
    assert len(kline) == len(fixture("rest_klines.json")[0])
    assert [type(v) for v in kline] == [type(v) for v in fixture("rest_klines.json")[0]]


def test_requests_parse_and_bad_ones_get_binance_error_codes() -> None:
    req = frames.parse_request(orjson.dumps(fixture("subscribe_request.json")))
    assert req.method == "SUBSCRIBE"
    assert req.params == fixture("subscribe_request.json")["params"]
    for raw, code in [
        (b"{nope", 3),
        (b'{"method": "SUBSCRIBE", "params": "btcusdt@aggTrade", "id": 1}', 1),
        (b'{"method": "FLY", "id": 1}', 2),
        (b'{"method": "SUBSCRIBE", "params": [], "id": -1}', 2),
        (b'{"method": "SUBSCRIBE", "params": [], "id": 1, "extra": 1}', 0),
    ]:
        with pytest.raises(frames.RequestError) as info:
            frames.parse_request(raw)
        assert info.value.code == code
    reply = orjson.loads(frames.reply(1))
    assert reply == fixture("subscribe_response.json")


def test_stream_names_resolve_to_what_the_engine_serves() -> None:
    known = {"BTCUSDT"}
    assert frames.parse_stream("btcusdt@aggTrade", known) == ("aggTrade", "BTCUSDT", "")
    assert frames.parse_stream("btcusdt@kline_15m", known) == ("kline", "BTCUSDT", "15m")
    assert frames.parse_stream("!miniTicker@arr", known) == ("miniTickerAll", "", "")
    assert frames.parse_stream("btcusdt@kline_7m", known) is None
    assert frames.parse_stream("dogeusdt@aggTrade", known) is None
