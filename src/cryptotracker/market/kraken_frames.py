"""Kraken's WebSocket v2 protocol without I/O: frames in, typed events out; requests out.

Pure functions of bytes/str, tested without sockets (tests/market/test_kraken_frames.py); the
asyncio layer (`kraken.py`) only moves bytes. A frame that is not JSON, or whose fields have the
wrong type, raises `InvalidFrameError`; the connection counts it, logs it and goes on.

v2 sends prices and quantities as JSON *numbers* (``"last": 0.10035``). A float cannot hold
``98765432101.12345678`` or keep ``0.00001234`` apart from its neighbours, so the decoder hands
every JSON number with a fraction or exponent over as its text (`_Num`, a str), exponent form
written out (``1e-05`` -> ``0.00001``); integers stay ints and are printed as they came. A price
that arrives as a JSON *string* is not what v2 sends and is refused like any wrong type.

Messages (docs.kraken.com/exchange/api-reference/spot-websocket-v2/...): ``ticker``, ``trade``
and ``ohlc`` channel data (``type`` snapshot or update, rows in ``data``), ``heartbeat`` (about
once a second when nothing else is sent), ``status`` (on connect and when the engine's status
changes: online, maintenance, cancel_only, post_only) and method replies (``subscribe``,
``unsubscribe``, ``pong``) with ``success`` and, on failure, ``error``.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NamedTuple

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)
# Kraken's OHLC intervals, in minutes (REST OHLC and the v2 ohlc channel alike).
OHLC_MINUTES: Final = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)


class InvalidFrameError(ValueError):
    """A frame we cannot use: not JSON, not a message we know, or fields of the wrong type."""


class _Num(str):
    """The text of a JSON number with a fraction or exponent, exactly as sent."""

    __slots__ = ()


def _exact(text: str) -> _Num:
    if "e" in text or "E" in text:
        try:
            text = format(Decimal(text), "f")
        except InvalidOperation:  # pragma: no cover - the JSON scanner only passes numbers
            raise InvalidFrameError(f"not a number: {text!r}") from None
    return _Num(text)


_decoder = json.JSONDecoder(parse_float=_exact)
# The C scanner itself: frames come without surrounding whitespace, so the Python-level
# `decode` around it (a third of the decoding time) is only the fallback.
_scan_once = json.scanner.make_scanner(_decoder)  # type: ignore[arg-type]  # stub: a class


def loads(raw: bytes | str) -> Any:
    """JSON with every fractional number as its exact text (`_Num`)."""
    try:
        text = raw.decode() if isinstance(raw, bytes | bytearray) else raw
        try:
            obj, end = _scan_once(text, 0)
        except StopIteration:
            return _decoder.decode(text)  # leading whitespace, or not JSON: it says which
        if end != len(text):
            return _decoder.decode(text)  # trailing whitespace, or extra data
        return obj
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidFrameError(f"not JSON: {exc}") from None


# ---- events ---------------------------------------------------------------------------------


class Ticker(NamedTuple):
    """One ``ticker`` row: level 1 and 24 h statistics (``change`` is over 24 h, so the 24 h
    open is ``last - change``). `time_ms` is None when the row carries no timestamp."""

    symbol: str  # v2 name: BTC/USD
    last: str
    high: str
    low: str
    volume: str  # 24 h, base asset
    vwap: str  # 24 h
    change: str
    bid: str | None
    ask: str | None
    time_ms: int | None


class Trade(NamedTuple):
    symbol: str
    price: str
    qty: str
    side: str
    trade_id: int
    time_ms: int


class Candle(NamedTuple):
    """One ``ohlc`` row; `interval` in minutes, times in ms."""

    symbol: str
    interval: int
    open_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    time_ms: int


class Tickers(NamedTuple):
    kind: str  # snapshot | update
    rows: list[Ticker]


class Trades(NamedTuple):
    kind: str
    rows: list[Trade]


class Candles(NamedTuple):
    kind: str
    rows: list[Candle]


class Heartbeat(NamedTuple):
    pass


class Status(NamedTuple):
    """The trading engine's status: online, maintenance, cancel_only or post_only."""

    system: str
    version: str
    connection_id: int | None


class MethodReply(NamedTuple):
    """A reply to a request: `success` False carries Kraken's `error` text. Subscribe and
    unsubscribe answer once per symbol, naming `channel`, `symbol` (and `interval` for ohlc)."""

    method: str
    req_id: int | None
    success: bool
    error: str | None
    channel: str | None
    symbol: str | None
    interval: int | None


class OtherEvent(NamedTuple):
    """A well-formed message of a channel we do not use (counted, ignored)."""

    channel: str


Event = Tickers | Trades | Candles | Heartbeat | Status | MethodReply | OtherEvent

HEARTBEAT: Final = Heartbeat()


# ---- parsing --------------------------------------------------------------------------------


def _bad(what: str, value: object) -> InvalidFrameError:
    return InvalidFrameError(f"{what}: {repr(value)[:120]}")


def _dec(value: object, what: str) -> str:
    """A JSON number as a decimal string: `_Num` text as sent, or an int printed. The JSON
    scanner only hands numbers to `_exact`, so their text needs no second check."""
    kind = type(value)
    if kind is _Num:
        return str.__str__(value)
    if kind is int:
        return str(value)
    raise _bad(what, value)


def rfc3339_ms(value: object) -> int:
    """``2023-09-25T07:49:37.708706Z`` as epoch milliseconds (digits past micro dropped)."""
    if type(value) is not str:
        raise _bad("timestamp", value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise _bad("timestamp", value) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MS


def _ticker(row: Any) -> Ticker:
    try:
        symbol, last, high, low = row["symbol"], row["last"], row["high"], row["low"]
        volume, vwap, change = row["volume"], row["vwap"], row["change"]
    except (KeyError, TypeError) as exc:
        raise _bad("ticker: missing field", exc) from None
    if type(symbol) is not str or not symbol:
        raise _bad("ticker: symbol", symbol)
    dec = _dec
    bid, ask = row.get("bid"), row.get("ask")
    stamp = row.get("timestamp")
    return Ticker(
        symbol,
        dec(last, "ticker: last"),
        dec(high, "ticker: high"),
        dec(low, "ticker: low"),
        dec(volume, "ticker: volume"),
        dec(vwap, "ticker: vwap"),
        dec(change, "ticker: change"),
        None if bid is None else dec(bid, "ticker: bid"),
        None if ask is None else dec(ask, "ticker: ask"),
        None if stamp is None else rfc3339_ms(stamp),
    )


def _trade(row: Any) -> Trade:
    try:
        symbol, price, qty = row["symbol"], row["price"], row["qty"]
        side, trade_id, stamp = row["side"], row["trade_id"], row["timestamp"]
    except (KeyError, TypeError) as exc:
        raise _bad("trade: missing field", exc) from None
    if type(symbol) is not str or not symbol or type(side) is not str or type(trade_id) is not int:
        raise _bad("trade: bad field", row)
    return Trade(
        symbol, _dec(price, "trade: price"), _dec(qty, "trade: qty"), side, trade_id,
        rfc3339_ms(stamp),
    )  # fmt: skip


def _candle(row: Any) -> Candle:
    try:
        symbol, interval = row["symbol"], row["interval"]
        fields = (row["open"], row["high"], row["low"], row["close"], row["volume"])
        begin, stamp = row["interval_begin"], row["timestamp"]
    except (KeyError, TypeError) as exc:
        raise _bad("ohlc: missing field", exc) from None
    if type(symbol) is not str or not symbol or type(interval) is not int:
        raise _bad("ohlc: bad field", row)
    o, h, lo, c, v = (_dec(x, "ohlc") for x in fields)
    return Candle(symbol, interval, rfc3339_ms(begin), o, h, lo, c, v, rfc3339_ms(stamp))


def _status(data: Any) -> Status:
    if type(data) is not list or not data or type(data[0]) is not dict:
        raise _bad("status: data", data)
    row = data[0]
    system, version, cid = row.get("system"), row.get("version", ""), row.get("connection_id")
    if type(system) is not str or type(version) is not str:
        raise _bad("status: bad field", row)
    return Status(system, version, cid if type(cid) is int else None)


def _rows(obj: dict[str, Any]) -> tuple[str, list[Any]]:
    kind, data = obj.get("type"), obj.get("data")
    if kind not in ("snapshot", "update") or type(data) is not list:
        raise _bad("channel message", obj)
    return kind, data


def _reply(obj: dict[str, Any]) -> MethodReply:
    method, success = obj["method"], obj.get("success", True)
    req_id = obj.get("req_id")
    if type(method) is not str or type(success) is not bool:
        raise _bad("reply", obj)
    if req_id is not None and type(req_id) is not int:
        raise _bad("reply: req_id", req_id)
    error = obj.get("error")
    result = obj.get("result")
    channel = symbol = interval = None
    if isinstance(result, dict):
        channel, symbol, interval = (
            result.get("channel"),
            result.get("symbol"),
            result.get("interval"),
        )
    if symbol is None:
        symbol = obj.get("symbol")
    return MethodReply(
        method,
        req_id,
        success,
        error if isinstance(error, str) else (None if error is None else str(error)),
        channel if isinstance(channel, str) else None,
        symbol if isinstance(symbol, str) else None,
        interval if type(interval) is int else None,
    )


def parse_frame(raw: bytes | str) -> Event:
    """One WebSocket text frame from ws.kraken.com/v2."""
    obj = loads(raw)
    if type(obj) is not dict:
        raise _bad("frame is not an object", obj)
    channel = obj.get("channel")
    if channel is not None:
        if channel == "ticker":
            kind, data = _rows(obj)
            return Tickers(kind, [_ticker(r) for r in data])
        if channel == "trade":
            kind, data = _rows(obj)
            return Trades(kind, [_trade(r) for r in data])
        if channel == "ohlc":
            kind, data = _rows(obj)
            return Candles(kind, [_candle(r) for r in data])
        if channel == "heartbeat":
            return HEARTBEAT
        if channel == "status":
            return _status(obj.get("data"))
        if type(channel) is not str:
            raise _bad("channel", channel)
        return OtherEvent(channel)
    if "method" in obj:
        return _reply(obj)
    raise _bad("neither a channel message nor a reply", obj)


# ---- requests -------------------------------------------------------------------------------


def subscription(
    method: str, channel: str, symbols: Iterable[str], req_id: int, interval: int | None = None
) -> bytes:
    """``{"method": "subscribe"|"unsubscribe", "params": {"channel", "symbol": [...]}}``."""
    params: dict[str, Any] = {"channel": channel, "symbol": list(symbols)}
    if interval is not None:
        params["interval"] = interval
    return json.dumps({"method": method, "params": params, "req_id": req_id}).encode()


def ping(req_id: int) -> bytes:
    """Kraken's application-level ping (answered by ``{"method": "pong"}``)."""
    return json.dumps({"method": "ping", "req_id": req_id}).encode()
