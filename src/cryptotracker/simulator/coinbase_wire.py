"""Coinbase Exchange's wire shapes for the simulated market: feed messages and REST bodies as
pure functions of market state, with the field names of Coinbase's docs
(`tests/fixtures/coinbase/`): decimals as strings, except candle cells, which are JSON numbers
(written from exact integers, never through float). Also the parsing of what a client sends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, NamedTuple

import orjson

from cryptotracker.simulator.assets import QUOTE
from cryptotracker.simulator.frames import dec
from cryptotracker.simulator.market import Candle, Market, Stats24h, Trade

CHANNELS: Final = ("ticker", "matches", "heartbeat")
# Coinbase's candle granularities (seconds) -> the simulated market's interval names.
GRANULARITIES: Final = {60: "1m", 300: "5m", 900: "15m", 3600: "1h", 21600: "6h", 86400: "1d"}
MAX_CANDLES: Final = 300


def product_id(market: Market) -> str:
    return f"{market.asset.base}-{QUOTE}"


def rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"


# ---- feed -----------------------------------------------------------------------------------


def match(pid: str, t: Trade, sequence: int, trade_id: int, last: bool = False) -> bytes:
    return orjson.dumps(
        {
            "type": "last_match" if last else "match",
            "trade_id": trade_id,
            "sequence": sequence,
            "maker_order_id": f"m-{sequence}",
            "taker_order_id": f"t-{sequence}",
            "time": rfc3339(t.time_ms),
            "product_id": pid,
            "size": dec(t.qty),
            "price": dec(t.price),
            "side": "buy" if t.buyer_maker else "sell",
        }
    )


def ticker(pid: str, t: Trade, s: Stats24h, tick: int, sequence: int, trade_id: int) -> bytes:
    return orjson.dumps(
        {
            "type": "ticker",
            "sequence": sequence,
            "product_id": pid,
            "price": dec(t.price),
            "open_24h": dec(s.open),
            "volume_24h": dec(s.volume),
            "low_24h": dec(s.low),
            "high_24h": dec(s.high),
            "volume_30d": dec(s.volume * 30),
            "best_bid": dec(t.price - tick),
            "best_bid_size": dec(t.qty),
            "best_ask": dec(t.price + tick),
            "best_ask_size": dec(t.qty),
            "side": "sell" if t.buyer_maker else "buy",
            "time": rfc3339(t.time_ms),
            "trade_id": trade_id,
            "last_size": dec(t.qty),
        }
    )


def heartbeat(pid: str, sequence: int, last_trade_id: int, now_ms: int) -> bytes:
    return orjson.dumps(
        {
            "type": "heartbeat",
            "sequence": sequence,
            "last_trade_id": last_trade_id,
            "product_id": pid,
            "time": rfc3339(now_ms),
        }
    )


def subscriptions(channels: Mapping[str, Iterable[str]]) -> bytes:
    return orjson.dumps(
        {
            "type": "subscriptions",
            "channels": [
                {"name": name, "product_ids": sorted(ids)} for name, ids in channels.items() if ids
            ],
        }
    )


def error(message: str, reason: str) -> bytes:
    return orjson.dumps({"type": "error", "message": message, "reason": reason})


class SubscribeError(ValueError):
    """A client message the feed answers with an `error` message."""


class Request(NamedTuple):
    kind: str  # subscribe | unsubscribe
    channels: dict[str, list[str]]


def parse_request(raw: str | bytes) -> Request:
    """`{"type": "subscribe", "product_ids": [...], "channels": ["ticker", {name, product_ids}]}`:
    a channel given by name alone takes the top-level product ids."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise SubscribeError("Failed to parse message") from None
    if not isinstance(obj, dict) or obj.get("type") not in ("subscribe", "unsubscribe"):
        raise SubscribeError("Unknown message type")
    top = obj.get("product_ids", [])
    channels: dict[str, list[str]] = {}
    entries = obj.get("channels")
    if not isinstance(entries, list) or not isinstance(top, list):
        raise SubscribeError("channels must be a list")
    for entry in entries:
        if isinstance(entry, str):
            name, ids = entry, top
        elif isinstance(entry, dict) and isinstance(entry.get("name"), str):
            name, ids = entry["name"], entry.get("product_ids", top)
        else:
            raise SubscribeError("bad channel")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise SubscribeError("product_ids must be strings")
        channels.setdefault(name, []).extend(ids)
    return Request(obj["type"], channels)


# ---- REST -----------------------------------------------------------------------------------


def product_row(m: Market, status: str | None) -> dict[str, Any]:
    a = m.asset
    return {
        "id": product_id(m),
        "base_currency": a.base,
        "quote_currency": QUOTE,
        "quote_increment": dec(a.tick),
        "base_increment": dec(a.step),
        "display_name": f"{a.base}/{QUOTE}",
        "min_market_funds": "1",
        "margin_enabled": False,
        "post_only": False,
        "limit_only": False,
        "cancel_only": False,
        "status": "online" if status == "TRADING" else "offline",
        "status_message": "",
        "trading_disabled": status != "TRADING",
        "fx_stablecoin": False,
        "auction_mode": False,
    }


def stats(s: Stats24h) -> dict[str, Any]:
    return {
        "open": dec(s.open),
        "high": dec(s.high),
        "low": dec(s.low),
        "volume": dec(s.volume),
        "last": dec(s.close),
        "volume_30day": dec(s.volume * 30),
    }


def rest_ticker(m: Market, trade_id: int, time_ms: int) -> dict[str, Any]:
    tick = m.asset.tick
    return {
        "ask": dec(m.price + tick),
        "bid": dec(m.price - tick),
        "volume": dec(m.volume),
        "trade_id": trade_id,
        "price": dec(m.price),
        "size": dec(m.last_qty),
        "time": rfc3339(time_ms),
    }


def book_top(m: Market, sequence: int, time_ms: int) -> dict[str, Any]:
    """`GET /book?level=1`: levels `[price, size, num-orders]`; `time` is required by the
    documented schema, `auction` (an object) only while `auction_mode` is true."""
    tick, qty = m.asset.tick, max(m.last_qty, m.asset.step)
    return {
        "bids": [[dec(m.price - tick), dec(qty), 1]],
        "asks": [[dec(m.price + tick), dec(qty), 1]],
        "sequence": sequence,
        "auction_mode": False,
        "time": rfc3339(time_ms),
    }


def candle_rows(candles: Iterable[Candle]) -> bytes:
    """`[[time, low, high, open, close, volume], ...]` newest first, cells as JSON numbers."""
    rows = [
        f"[{c.open_time // 1000},{dec(c.low)},{dec(c.high)},{dec(c.open)},{dec(c.close)},"
        f"{dec(c.volume)}]"
        for c in sorted(candles, key=lambda c: -c.open_time)
    ]
    return ("[" + ",".join(rows) + "]").encode()
