"""Kraken's v2 frames by playback: the documentation's own payloads in, typed events out, every
number digit for digit; malformed frames raise the one error the provider counts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cryptotracker.market import kraken_frames as kf
from cryptotracker.market.kraken_symbols import asset, choose_markets, from_ws, market_from_pair

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kraken"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture(name: str) -> Any:
    return json.loads(raw(name))


def test_ticker_snapshot_from_the_docs_keeps_every_digit() -> None:
    event = kf.parse_frame(raw("ws_ticker_snapshot.json"))
    assert event == kf.Tickers(
        "snapshot",
        [kf.Ticker("ALGO/USD", "0.10035", "0.10285", "0.09979", "997038.98383185", "0.10148",
                   "-0.00017", "0.10025", "0.10036", None)],
    )  # fmt: skip
    assert all(type(v) is str for v in event.rows[0][1:9])


def test_trade_update_from_the_docs() -> None:
    event = kf.parse_frame(raw("ws_trade_update.json"))
    assert event == kf.Trades(
        "update", [kf.Trade("MATIC/USD", "0.5117", "40.0", "sell", 4665906, 1695628177708)]
    )


def test_snapshots_from_the_docs() -> None:
    trades = kf.parse_frame(raw("ws_trade_snapshot.json"))
    assert isinstance(trades, kf.Trades) and trades.kind == "snapshot"
    assert [(t.price, t.qty, t.trade_id) for t in trades.rows] == [
        ("0.5147", "6423.46326", 4665846), ("0.5147", "1136.19677815", 4665847)
    ]  # fmt: skip
    candles = kf.parse_frame(raw("ws_ohlc_snapshot.json"))
    assert isinstance(candles, kf.Candles) and candles.kind == "snapshot"
    assert [(c.open_time, c.high, c.volume) for c in candles.rows] == [
        (1696433100000, "0.09875", "201.86015"), (1696433400000, "0.0988", "16255.46368")
    ]  # fmt: skip


def test_ohlc_update_from_the_docs_with_nanosecond_times() -> None:
    event = kf.parse_frame(raw("ws_ohlc_update.json"))
    assert isinstance(event, kf.Candles)
    (candle,) = event.rows
    assert candle == kf.Candle(
        "MATIC/USD", 5, 1696436700000, "0.5624", "0.5628", "0.5622", "0.5627", "1463.28294224",
        1696437000000,
    )  # fmt: skip


def test_heartbeat_status_and_replies_from_the_docs() -> None:
    assert kf.parse_frame(raw("ws_heartbeat.json")) is kf.HEARTBEAT
    status = kf.parse_frame(raw("ws_status.json"))
    assert status == kf.Status("online", "2.0.0", 12393906104898154338)
    ack = kf.parse_frame(raw("ws_subscribe_ticker_response.json"))
    assert ack == kf.MethodReply("subscribe", None, True, None, "ticker", "ALGO/USD", None)
    refused = kf.parse_frame(raw("ws_subscribe_error.json"))
    assert refused == kf.MethodReply(
        "subscribe", None, False, "Currency pair not supported", None, "BTC/ABC", None
    )
    pong = kf.parse_frame(raw("ws_pong.json"))
    assert pong == kf.MethodReply("pong", 101, True, None, None, None, None)


@pytest.mark.parametrize(
    ("number", "text"),
    [
        ("0.00001234", "0.00001234"),
        ("98765432101.12345678", "98765432101.12345678"),
        ("1.234e-05", "0.00001234"),
        ("2E+3", "2000"),
        ("42", "42"),
    ],
)
def test_json_numbers_become_their_exact_decimal_text(number: str, text: str) -> None:
    frame = (
        '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy",'
        f'"price":{number},"qty":1.5,"ord_type":"limit","trade_id":1,'
        '"timestamp":"2023-09-25T07:49:37.708706Z"}]}'
    )
    event = kf.parse_frame(frame)
    assert isinstance(event, kf.Trades)
    assert event.rows[0].price == text


@pytest.mark.parametrize(
    "frame",
    [
        b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":1',
        b"\x00\x01 not json at all",
        b"[1, 2, 3]",
        b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USD","last":"1.5"}]}',
        b'{"channel":"ticker","type":"update","data":[{"symbol":7,"last":1.5,"high":1.0,'
        b'"low":1.0,"volume":1.0,"vwap":1.0,"change":0.1}]}',
        b'{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"buy",'
        b'"price":1.5,"qty":1.0,"trade_id":1,"timestamp":"soon"}]}',
        b'{"channel":"trade","type":"later","data":[]}',
        b'{"channel":"status","data":{}}',
        b'{"neither":"channel nor method"}',
        b'{"method":"subscribe","success":"yes"}',
    ],
)
def test_malformed_frames_raise_invalid_frame(frame: bytes) -> None:
    with pytest.raises(kf.InvalidFrameError):
        kf.parse_frame(frame)


def test_unknown_channels_are_other_events() -> None:
    assert kf.parse_frame(b'{"channel":"book","type":"update","data":[]}') == kf.OtherEvent("book")


def test_requests_match_the_documented_shapes() -> None:
    sent = json.loads(kf.subscription("subscribe", "ticker", ["ALGO/USD"], 7))
    documented = fixture("ws_subscribe_ticker_request.json")
    assert sent == {**documented, "req_id": 7}
    assert json.loads(kf.subscription("subscribe", "ohlc", ["BTC/USD"], 8, interval=5)) == {
        "method": "subscribe",
        "params": {"channel": "ohlc", "symbol": ["BTC/USD"], "interval": 5},
        "req_id": 8,
    }
    assert json.loads(kf.ping(101)) == fixture("ws_ping_request.json")


def test_rfc3339_times_become_epoch_milliseconds() -> None:
    assert kf.rfc3339_ms("1970-01-01T00:00:01.0019Z") == 1001
    assert kf.rfc3339_ms("2022-12-25T09:30:59Z") == 1671960659000


# ---- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ours"),
    [("XXBT", "BTC"), ("XBT", "BTC"), ("ZUSD", "USD"), ("XXDG", "DOGE"), ("XDG", "DOGE"),
     ("XETH", "ETH"), ("USDT", "USDT"), ("ZEUS", "ZEUS"), ("XCN", "XCN")],
)  # fmt: skip
def test_asset_codes_map_to_the_usual_tickers(code: str, ours: str) -> None:
    assert asset(code) == ours


def test_ws_names_map_to_our_symbols() -> None:
    assert from_ws("BTC/USD") == "BTCUSD"
    assert from_ws("XBT/USDT") == "BTCUSDT"
    assert from_ws("ETH/XBT") == "ETHBTC"
    assert from_ws("XDG/USD") == "DOGEUSD"
    with pytest.raises(ValueError, match="not a pair name"):
        from_ws("BTCUSD")


def test_documented_asset_pairs_become_our_markets() -> None:
    pairs = fixture("rest_asset_pairs.json")["result"]
    markets = {k: market_from_pair(k, v) for k, v in pairs.items()}
    eth, btc = markets["XETHXXBT"], markets["XXBTZUSD"]
    assert eth is not None and btc is not None
    assert (eth.symbol, eth.base, eth.quote, eth.ws, eth.status) == (
        "ETHBTC", "ETH", "BTC", "ETH/BTC", "online"
    )  # fmt: skip
    assert (btc.symbol, btc.rest, btc.ws) == ("BTCUSD", "XXBTZUSD", "BTC/USD")
    # Without a wsname the asset codes still name the pair.
    bare = market_from_pair("XXBTZUSD", {"base": "XXBT", "quote": "ZUSD", "status": "cancel_only"})
    assert bare is not None and (bare.symbol, bare.status) == ("BTCUSD", "cancel_only")
    assert market_from_pair("X", "not an object") is None


def test_listing_keeps_only_our_quotes_and_names_we_can_carry() -> None:
    pairs = {
        "XXBTZUSD": {"wsname": "XBT/USD"},
        "XETHXXBT": {"wsname": "ETH/XBT"},
        "ETH2.SETH": {"wsname": "ETH2.S/ETH"},
        "XBTUSDT": {"wsname": "XBT/USDT", "status": "cancel_only"},
        "XXBTZEUR": {"wsname": "XBT/EUR"},
    }
    markets = [m for k, v in pairs.items() if (m := market_from_pair(k, v)) is not None]
    chosen = choose_markets(markets, ["usd", "USDT", "BTC", "ETH"])
    assert [(m.symbol, m.status) for m in chosen] == [
        ("BTCUSD", "online"), ("BTCUSDT", "cancel_only"), ("ETHBTC", "online")
    ]  # fmt: skip
