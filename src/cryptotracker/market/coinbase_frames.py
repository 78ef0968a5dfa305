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


# Epoch seconds of "YYYY-MM-DDTHH:MM:SS" prefixes seen lately: a feed repeats the same second
# many times, and datetime parsing is the dearest step of a ticker.
_SECONDS: dict[str, int] = {}
_SECONDS_KEPT = 4096


def iso_ms(text: object) -> int:
    """Coinbase's RFC 3339 time ("2014-11-07T08:19:27.028459Z") as epoch milliseconds."""
    if type(text) is not str:
        raise _bad("time is not a string", text)
    if len(text) > 20 and text[19] == "." and text[-1] == "Z" and text[20:-1].isdigit():
        prefix = text[:19]
        seconds = _SECONDS.get(prefix)
        if seconds is None:
            if len(_SECONDS) >= _SECONDS_KEPT:
                _SECONDS.clear()
            seconds = _SECONDS[prefix] = _parse_ms(prefix + "Z") // 1000
        return seconds * 1000 + int((text[20:-1] + "00")[:3])
    return _parse_ms(text)


def _parse_ms(text: str) -> int:
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
    # Inline checks, as binance_frames does: this is the hot path of every listed market.
    get = obj.get
    pid, seq, price, open_, high, low, volume, trade_id = (
        get("product_id"), get("sequence"), get("price"), get("open_24h"), get("high_24h"),
        get("low_24h"), get("volume_24h"), get("trade_id"),
    )  # fmt: skip
    if (
        type(pid) is not str
        or "-" not in pid
        or type(seq) is not int
        or type(trade_id) is not int
        or type(price) is not str
        or type(open_) is not str
        or type(high) is not str
        or type(low) is not str
        or type(volume) is not str
        or _is_decimal(price) is None
        or _is_decimal(open_) is None
        or _is_decimal(high) is None
        or _is_decimal(low) is None
        or _is_decimal(volume) is None
    ):
        raise _bad("ticker: bad field", obj)
    return Ticker(pid, seq, price, open_, high, low, volume, trade_id, iso_ms(get("time")))


def _match(obj: Mapping[str, Any], last: bool) -> Match:
    get = obj.get
    pid, seq, trade_id, price, size = (
        get("product_id"), get("sequence"), get("trade_id"), get("price"), get("size")
    )  # fmt: skip
    if (
        type(pid) is not str
        or "-" not in pid
        or type(seq) is not int
        or type(trade_id) is not int
        or type(price) is not str
        or type(size) is not str
        or _is_decimal(price) is None
        or _is_decimal(size) is None
    ):
        raise _bad("match: bad field", obj)
    return Match(pid, seq, trade_id, price, size, iso_ms(get("time")), last)


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
