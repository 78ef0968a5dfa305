"""Coinbase Exchange's WebSocket feed without I/O: frames in, typed events out; requests out.

Pure functions of bytes, tested without sockets (tests/market/test_coinbase_frames.py); the
asyncio layer (`coinbase.py`) only moves bytes. Every message is a JSON object with a `type`
(docs/exchanges.md, "Coinbase Exchange"): `ticker`, `match` / `last_match` (the matches
channel), `heartbeat`, `subscriptions` (the reply to every (un)subscribe) and `error`. Prices
and sizes are JSON strings, so they are validated and kept as they came, never through float.
A frame that is not JSON, or whose fields have the wrong type, raises `InvalidFrameError`; a
well-formed message of a type we do not use becomes `OtherMessage` (the docs: "clients are
expected to ignore messages they do not support").

Our symbols are base + quote in Binance's style: Coinbase's BTC-USD is our BTCUSD.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from cryptotracker.protocol import DECIMAL_RE

_is_decimal = DECIMAL_RE.match

TICKER = "ticker"
MATCHES = "matches"
HEARTBEAT = "heartbeat"


class InvalidFrameError(ValueError):
    """A frame we cannot use: not JSON, not an object, or fields of the wrong type."""


class Ticker(NamedTuple):
    """`ticker`: the last match of a product and its rolling 24 h statistics (base volume)."""

    product_id: str
    sequence: int
    price: str
    open_24h: str
    high_24h: str
    low_24h: str
    volume_24h: str
    trade_id: int
    time_ms: int


class Match(NamedTuple):
    """`match` (or `last_match`, sent once on subscribing): one trade."""

    product_id: str
    sequence: int
    trade_id: int
    price: str
    size: str
    time_ms: int
    last: bool  # the `last_match` snapshot, not a live trade


class Heartbeat(NamedTuple):
    """`heartbeat`: every second per product, with the newest sequence and trade id."""

    product_id: str
    sequence: int
    last_trade_id: int
    time_ms: int


class Subscriptions(NamedTuple):
    """`subscriptions`: everything the connection carries now, channel -> product ids."""

    channels: dict[str, frozenset[str]]


class ErrorMessage(NamedTuple):
    message: str
    reason: str


class OtherMessage(NamedTuple):
    """A well-formed message of a type we do not use."""

    kind: str


Event = Ticker | Match | Heartbeat | Subscriptions | ErrorMessage | OtherMessage


def _bad(what: str, value: object) -> InvalidFrameError:
    return InvalidFrameError(f"{what}: {repr(value)[:120]}")


def iso_ms(text: object) -> int:
    """Coinbase's RFC 3339 time ("2014-11-07T08:19:27.028459Z") as epoch milliseconds."""
    if type(text) is not str:
        raise _bad("time is not a string", text)
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError:
        raise _bad("time is not RFC 3339", text) from None


def _dec(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if type(value) is not str or _is_decimal(value) is None:
        raise _bad(f"{key} is not a decimal string", value)
    return value


def _int(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if type(value) is not int:
        raise _bad(f"{key} is not an integer", value)
    return value


def _product(obj: Mapping[str, Any]) -> str:
    value = obj.get("product_id")
    if type(value) is not str or "-" not in value:
        raise _bad("product_id", value)
    return value


def _ticker(obj: Mapping[str, Any]) -> Ticker:
    return Ticker(
        _product(obj),
        _int(obj, "sequence"),
        _dec(obj, "price"),
        _dec(obj, "open_24h"),
        _dec(obj, "high_24h"),
        _dec(obj, "low_24h"),
        _dec(obj, "volume_24h"),
        _int(obj, "trade_id"),
        iso_ms(obj.get("time")),
    )


def _match(obj: Mapping[str, Any], last: bool) -> Match:
    return Match(
        _product(obj),
        _int(obj, "sequence"),
        _int(obj, "trade_id"),
        _dec(obj, "price"),
        _dec(obj, "size"),
        iso_ms(obj.get("time")),
        last,
    )


def _heartbeat(obj: Mapping[str, Any]) -> Heartbeat:
    return Heartbeat(
        _product(obj),
        _int(obj, "sequence"),
        _int(obj, "last_trade_id"),
        iso_ms(obj.get("time")),
    )


def _subscriptions(obj: Mapping[str, Any]) -> Subscriptions:
    channels = obj.get("channels")
    if type(channels) is not list:
        raise _bad("subscriptions without channels", obj)
    out: dict[str, frozenset[str]] = {}
    for ch in channels:
        if type(ch) is not dict or type(ch.get("name")) is not str:
            raise _bad("subscriptions: bad channel", ch)
        ids = ch.get("product_ids", [])
        if type(ids) is not list or not all(type(i) is str for i in ids):
            raise _bad("subscriptions: bad product_ids", ch)
        out[ch["name"]] = frozenset(ids)
    return Subscriptions(out)


def parse_frame(raw: bytes | str) -> Event:
    """One WebSocket text frame of the feed."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidFrameError(f"not JSON: {exc}") from None
    if type(obj) is not dict:
        raise _bad("frame is not an object", obj)
    kind = obj.get("type")
    if kind == "ticker":
        return _ticker(obj)
    if kind == "match":
        return _match(obj, False)
    if kind == "last_match":
        return _match(obj, True)
    if kind == "heartbeat":
        return _heartbeat(obj)
    if kind == "subscriptions":
        return _subscriptions(obj)
    if kind == "error":
        message, reason = obj.get("message", ""), obj.get("reason", "")
        return ErrorMessage(str(message), str(reason))
    if type(kind) is not str:
        raise _bad("message without type", obj)
    return OtherMessage(kind)


# ---- requests and names ---------------------------------------------------------------------


def request(kind: str, channels: Mapping[str, Iterable[str]]) -> bytes:
    """A `subscribe` or `unsubscribe` message: channel name -> product ids."""
    return orjson.dumps(
        {
            "type": kind,
            "channels": [
                {"name": name, "product_ids": sorted(ids)} for name, ids in sorted(channels.items())
            ],
        }
    )


def our_symbol(product_id: str) -> str:
    """BTC-USD -> BTCUSD."""
    return product_id.replace("-", "")


def product_of(base: str, quote: str) -> str:
    return f"{base}-{quote}"
