"""Binance frames in, typed events out: playback of the official fixtures, and bad frames."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from cryptotracker.market.binance_frames import (
    MINI_TICKER_ALL,
    AggTrade,
    InvalidFrameError,
    Kline,
    MethodError,
    MethodReply,
    MiniTicker,
    MiniTickers,
    OtherEvent,
    ServerShutdown,
    StreamPlanner,
    combined_url,
    demand_streams,
    parse_frame,
    request,
    request_batches,
)
from tests.market.helpers import fixture


def combined(stream: str, data: Any) -> bytes:
    return orjson.dumps({"stream": stream, "data": data})


def tickers(raw: bytes) -> list[MiniTicker]:
    event = parse_frame(raw)
    assert isinstance(event, MiniTickers)
    return event.rows


def test_mini_ticker_array_fixture_parses_every_field() -> None:
    event = parse_frame(combined(MINI_TICKER_ALL, fixture("miniTicker_arr.json")))
    assert isinstance(event, MiniTickers)
    (row,) = event.rows
    assert row.symbol == "BNBBTC"
    assert (row.close, row.open, row.high, row.low) == ("0.0025", "0.0010", "0.0025", "0.0010")
    assert (row.volume, row.quote_volume, row.event_time) == ("10000", "18", 1672515782136)


def test_single_mini_ticker_fixture_parses_as_one_row() -> None:
    event = parse_frame(combined("bnbbtc@miniTicker", fixture("miniTicker.json")))
    assert isinstance(event, MiniTickers)
    assert [r.symbol for r in event.rows] == ["BNBBTC"]


def test_agg_trade_fixture_parses() -> None:
    event = parse_frame(combined("bnbbtc@aggTrade", fixture("aggTrade.json")))
    assert event == AggTrade("BNBBTC", "0.001", "100", 1672515782136, 1672515782136)


def test_kline_fixture_parses_open_candle() -> None:
    event = parse_frame(combined("bnbbtc@kline_1m", fixture("kline.json")))
    assert isinstance(event, Kline)
    assert (event.symbol, event.interval, event.closed) == ("BNBBTC", "1m", False)
    assert (event.open_time, event.close_time) == (1672515780000, 1672515839999)
    assert (event.open, event.high, event.low, event.close, event.volume) == (
        "0.0010",
        "0.0025",
        "0.0015",
        "0.0020",
        "1000",
    )


def test_server_shutdown_fixture_parses() -> None:
    raw = json.dumps(fixture("server_shutdown_combined.json"))
    assert parse_frame(raw) == ServerShutdown(1770123456789)


def test_subscribe_reply_fixture_is_success() -> None:
    assert parse_frame(json.dumps(fixture("subscribe_response.json"))) == MethodReply(1, None)


def test_list_subscriptions_reply_carries_streams() -> None:
    reply = parse_frame(json.dumps(fixture("list_subscriptions_response.json")))
    assert reply == MethodReply(3, ["btcusdt@aggTrade"])


@pytest.mark.parametrize(
    "raw",
    [
        b'{"code": 2, "msg": "Invalid request: unknown method", "id": 7}',
        b'{"error": {"code": 2, "msg": "Invalid request: unknown method"}, "id": 7}',
    ],
)
def test_error_reply_both_shapes(raw: bytes) -> None:
    assert parse_frame(raw) == MethodError(7, 2, "Invalid request: unknown method")


@pytest.mark.parametrize(
    ("name", "stream"),
    [
        ("trade.json", "bnbbtc@trade"),
        ("ticker.json", "bnbbtc@ticker"),
        ("ticker_window.json", "bnbbtc@ticker_1h"),
        ("avgPrice.json", "btcusdt@avgPrice"),
    ],
)
def test_streams_we_do_not_use_are_recognised_and_ignored(name: str, stream: str) -> None:
    event = parse_frame(combined(stream, fixture(name)))
    assert isinstance(event, OtherEvent)
    assert event.stream == stream


def test_raw_stream_event_without_wrapper_parses() -> None:
    assert isinstance(parse_frame(orjson.dumps(fixture("aggTrade.json"))), AggTrade)


def test_exact_decimal_strings_survive_parsing() -> None:
    row = dict(fixture("miniTicker.json"), s="SHIBUSDT", c="0.00001234", q="98765432101.12345678")
    (parsed,) = tickers(combined(MINI_TICKER_ALL, [row]))
    assert parsed.close == "0.00001234"
    assert parsed.quote_volume == "98765432101.12345678"


@pytest.mark.parametrize(
    "raw",
    [
        b"not json at all",
        b'{"stream": "!miniTicker@arr", "data": [{"s": "BTCUSDT"',
        b"42",
        b'"a string"',
        b'{"stream": 5, "data": {}}',
        b'{"stream": "!miniTicker@arr", "data": [{"s": "BTCUSDT"}]}',
        b'{"stream": "!miniTicker@arr", "data": [{"e": "24hrMiniTicker", "E": 1, "s": "BTCUSDT",'
        b' "c": 1.5, "o": "1", "h": "1", "l": "1", "v": "1", "q": "1"}]}',
        b'{"stream": "!miniTicker@arr", "data": [{"e": "24hrMiniTicker", "E": "1", "s": "BTCUSDT",'
        b' "c": "1", "o": "1", "h": "1", "l": "1", "v": "1", "q": "1"}]}',
        b'{"stream": "!miniTicker@arr", "data": [{"e": "24hrMiniTicker", "E": 1, "s": "BTCUSDT",'
        b' "c": "NaN", "o": "1", "h": "1", "l": "1", "v": "1", "q": "1"}]}',
        b'{"stream": "btcusdt@aggTrade", "data": {"e": "aggTrade", "E": 1, "s": "BTCUSDT",'
        b' "p": "1e5", "q": "1", "T": 1}}',
        b'{"stream": "btcusdt@kline_1m", "data": {"e": "kline", "E": 1, "s": "BTCUSDT"}}',
        b'{"stream": "x", "data": "text"}',
        b'{"stream": "x", "data": {"no": "type"}}',
        b'{"code": "x", "msg": "m", "id": 1}',
    ],
)
def test_malformed_frames_raise_invalid_frame(raw: bytes) -> None:
    with pytest.raises(InvalidFrameError):
        parse_frame(raw)


def test_subscribe_request_matches_documented_shape() -> None:
    expected = fixture("subscribe_request.json")
    frame = request("SUBSCRIBE", expected["params"], expected["id"])
    assert orjson.loads(frame) == expected
    unsub = fixture("unsubscribe_request.json")
    assert orjson.loads(request("UNSUBSCRIBE", unsub["params"], unsub["id"])) == unsub
    listing = fixture("list_subscriptions_request.json")
    assert orjson.loads(request("LIST_SUBSCRIPTIONS", None, listing["id"])) == listing


def test_many_streams_go_in_few_requests() -> None:
    streams = [f"sym{i}usdt@aggTrade" for i in range(450)]
    batches = request_batches(streams, per_request=200)
    assert [len(b) for b in batches] == [200, 200, 50]
    assert [p for b in batches for p in b] == sorted(streams)


def test_demand_streams_are_lowercase_binance_names() -> None:
    assert demand_streams({"BTCUSDT"}, {("ETHUSDT", "1m")}) == {
        "btcusdt@aggTrade",
        "ethusdt@kline_1m",
    }


def test_combined_url_joins_streams() -> None:
    url = combined_url("ws://h:1/", ["!miniTicker@arr", "btcusdt@aggTrade"])
    assert url == "ws://h:1/stream?streams=!miniTicker@arr/btcusdt@aggTrade"


# ---- planning ------------------------------------------------------------------------------


def test_planner_keeps_mini_ticker_on_first_connection() -> None:
    planner = StreamPlanner()
    diffs = planner.update({"btcusdt@aggTrade"})
    assert planner.shards == {0: {MINI_TICKER_ALL, "btcusdt@aggTrade"}}
    assert diffs[0].subscribe == ["btcusdt@aggTrade"]
    diffs = planner.update(set())
    assert diffs[0].unsubscribe == ["btcusdt@aggTrade"]
    assert planner.shards == {0: {MINI_TICKER_ALL}}


def test_planner_shards_over_1024_streams_per_connection() -> None:
    planner = StreamPlanner()
    wanted = {f"s{i:04d}usdt@aggTrade" for i in range(2500)}
    planner.update(wanted)
    shards = planner.shards
    assert len(shards) == 3
    assert all(len(streams) <= 1024 for streams in shards.values())
    everything = set().union(*shards.values())
    assert everything == wanted | {MINI_TICKER_ALL}
    assert sum(len(s) for s in shards.values()) == len(everything)  # no stream twice


def test_planner_leaves_streams_where_they_are_when_demand_changes() -> None:
    planner = StreamPlanner(limit=4)
    planner.update({"a", "b", "c", "d", "e"})
    before = planner.shards
    diffs = planner.update({"a", "b", "c", "d", "e", "f"})
    after = planner.shards
    for sid, streams in before.items():
        assert streams <= after[sid]
    assert [d.subscribe for d in diffs.values()] == [["f"]]
    assert all(not d.unsubscribe for d in diffs.values())


def test_planner_drops_emptied_extra_connections() -> None:
    planner = StreamPlanner(limit=3)
    planner.update({"a", "b", "c", "d", "e", "f", "g"})
    assert len(planner.shards) == 3
    planner.update({"a"})
    assert len(planner.shards) <= 2
    assert set().union(*planner.shards.values()) == {"a", MINI_TICKER_ALL}
