"""Coinbase Exchange's feed messages, played back from the official examples
(tests/fixtures/coinbase/): typed events with the exact decimal strings, and every malformed
frame a specific error the provider counts and skips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from cryptotracker.market.coinbase_frames import (
    ErrorMessage,
    Heartbeat,
    InvalidFrameError,
    Match,
    OtherMessage,
    Subscriptions,
    Ticker,
    iso_ms,
    our_symbol,
    parse_frame,
    request,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coinbase"


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def doc(name: str) -> Any:
    return json.loads(raw(name))


def test_ticker_from_the_docs_keeps_every_digit() -> None:
    event = parse_frame(raw("ticker.json"))
    assert event == Ticker(
        product_id="ETH-USD",
        sequence=37475248783,
        price="1285.22",
        open_24h="1310.79",
        high_24h="1313.8",
        low_24h="1280.52",
        volume_24h="245532.79269678",
        trade_id=370843401,
        time_ms=iso_ms("2022-10-19T23:28:22.061769Z"),
    )
    assert event.time_ms == 1666222102061


def test_match_and_last_match_from_the_docs() -> None:
    event = parse_frame(raw("match.json"))
    assert event == Match("BTC-USD", 50, 10, "400.23", "5.23512", 1415348367028, last=False)
    last = parse_frame(orjson.dumps({**doc("match.json"), "type": "last_match"}))
    assert isinstance(last, Match) and last.last


def test_heartbeat_subscriptions_and_error_from_the_docs() -> None:
    assert parse_frame(raw("heartbeat.json")) == Heartbeat("BTC-USD", 90, 20, 1415348368464)
    subs = parse_frame(raw("subscriptions_response.json"))
    assert subs == Subscriptions(
        {
            "level2": frozenset({"ETH-USD", "ETH-EUR"}),
            "heartbeat": frozenset({"ETH-USD", "ETH-EUR"}),
            "ticker": frozenset({"ETH-USD", "ETH-EUR", "ETH-BTC"}),
        }
    )
    assert parse_frame(raw("error.json")) == ErrorMessage("error message", "")


def test_tiny_and_huge_prices_stay_digit_for_digit() -> None:
    for price in ("0.00001234", "98765432101.12345678"):
        event = parse_frame(orjson.dumps({**doc("ticker.json"), "price": price}))
        assert isinstance(event, Ticker) and event.price == price
        event = parse_frame(orjson.dumps({**doc("match.json"), "price": price}))
        assert isinstance(event, Match) and event.price == price


def test_messages_of_other_types_are_ignored_not_errors() -> None:
    assert parse_frame(b'{"type":"l2update","product_id":"BTC-USD"}') == OtherMessage("l2update")


@pytest.mark.parametrize(
    "frame",
    [
        b'{"type":"ticker","sequence":1',  # cut JSON
        b"\x00 not json",
        b"[1,2,3]",  # not an object
        b'{"no_type":1}',
        orjson.dumps({**json.loads(raw("ticker.json")), "price": 1285.22}),  # a float price
        orjson.dumps({**json.loads(raw("ticker.json")), "price": "1e5"}),
        orjson.dumps({**json.loads(raw("ticker.json")), "sequence": "37475248783"}),
        orjson.dumps({**json.loads(raw("ticker.json")), "time": "yesterday"}),
        orjson.dumps({**json.loads(raw("match.json")), "trade_id": None}),
        orjson.dumps({**json.loads(raw("match.json")), "product_id": "BTCUSD"}),
        orjson.dumps({**json.loads(raw("heartbeat.json")), "last_trade_id": 2.5}),
        b'{"type":"subscriptions","channels":[{"name":"ticker","product_ids":[1]}]}',
    ],
)
def test_malformed_frames_raise_the_error_the_provider_counts(frame: bytes) -> None:
    with pytest.raises(InvalidFrameError):
        parse_frame(frame)


def test_requests_have_the_documented_shape() -> None:
    body = orjson.loads(request("subscribe", {"ticker": {"ETH-USD", "ETH-BTC"}}))
    assert body == {
        "type": "subscribe",
        "channels": [{"name": "ticker", "product_ids": ["ETH-BTC", "ETH-USD"]}],
    }
    assert doc("subscribe_request.json")["type"] == "subscribe"
    assert [our_symbol(p) for p in ("BTC-USD", "BTC-USDT", "ETH-BTC")] == [
        "BTCUSD",
        "BTCUSDT",
        "ETHBTC",
    ]


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2014-11-07T08:19:27.028459Z", 1415348367028),
        ("2020-03-20T00:22:57.833Z", 1584663777833),
        ("2020-03-20T00:22:57.8Z", 1584663777800),
        ("2020-03-20T00:22:57Z", 1584663777000),
        ("2020-03-20T00:22:57.833+00:00", 1584663777833),
    ],
)
def test_times_read_the_same_on_the_fast_path_and_off_it(text: str, ms: int) -> None:
    assert iso_ms(text) == ms
    assert iso_ms(text) == ms  # the second time from the cache of seconds
