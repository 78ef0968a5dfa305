"""Binance's WebSocket protocol without I/O: frames in, typed events out; requests out.

Pure functions of bytes/str, tested without sockets (tests/market/test_binance_frames.py). The
asyncio layer (`binance.py`) only moves bytes. A frame that is not JSON, or whose fields have the
wrong type, raises `InvalidFrameError`; the connection counts it, logs it and goes on.

Binance limits per connection (web-socket-streams.md): at most 1024 streams and 5 incoming
messages per second (our requests *and* our pongs). `StreamPlanner` spreads streams over as many
connections as needed, keeping each stream where it is when demand changes; `request_batches`
packs many streams into each request, and `token_bucket.TokenBucket` spaces the requests.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson

from cryptotracker.protocol import DECIMAL_RE

MINI_TICKER_ALL = "!miniTicker@arr"
MAX_STREAMS_PER_CONNECTION = 1024
# Streams per SUBSCRIBE request: one request instead of hundreds keeps us far below 5 msg/s.
MAX_PARAMS_PER_REQUEST = 200

_is_decimal = DECIMAL_RE.match


class InvalidFrameError(ValueError):
    """A frame we cannot use: not JSON, not an object we know, or fields of the wrong type."""


# ---- events ---------------------------------------------------------------------------------


class MiniTicker(NamedTuple):
    """`24hrMiniTicker`: rolling 24 h statistics of one symbol."""

    symbol: str
    close: str
    open: str
    high: str
    low: str
    volume: str
    quote_volume: str
    event_time: int


class MiniTickers(NamedTuple):
    """`!miniTicker@arr`: only the symbols that changed in the last second."""

    rows: list[MiniTicker]


class AggTrade(NamedTuple):
    symbol: str
    price: str
    quantity: str
    trade_time: int
    event_time: int


class Kline(NamedTuple):
    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: str
    high: str
    low: str
    close: str
    volume: str
    closed: bool
    event_time: int


class ServerShutdown(NamedTuple):
    """The server is going away: reconnect at once."""

    event_time: int


class MethodReply(NamedTuple):
    """`{"result": ..., "id": N}`: `result` is None for a successful (UN)SUBSCRIBE."""

    id: int | str | None
    result: Any


class MethodError(NamedTuple):
    """`{"code": C, "msg": "...", "id": N}` or `{"error": {"code", "msg"}, "id": N}`."""

    id: int | str | None
    code: int
    message: str


class OtherEvent(NamedTuple):
    """A well-formed event of a stream we do not use (counted, ignored)."""

    stream: str
    kind: str


Event = MiniTickers | AggTrade | Kline | ServerShutdown | MethodReply | MethodError | OtherEvent


# ---- parsing --------------------------------------------------------------------------------


def _bad(what: str, value: object) -> InvalidFrameError:
    text = repr(value)
    return InvalidFrameError(f"{what}: {text[:120]}")


def _mini_ticker(row: Any) -> MiniTicker:
    try:
        s, c, o, h, lo, v, q, e = (
            row["s"], row["c"], row["o"], row["h"], row["l"], row["v"], row["q"], row["E"]
        )  # fmt: skip
    except (KeyError, TypeError) as exc:
        raise _bad("miniTicker: missing field", exc) from None
    if (
        type(s) is not str
        or type(e) is not int
        or type(c) is not str
        or type(o) is not str
        or type(h) is not str
        or type(lo) is not str
        or type(v) is not str
        or type(q) is not str
        or not s
        or _is_decimal(c) is None
        or _is_decimal(o) is None
        or _is_decimal(h) is None
        or _is_decimal(lo) is None
        or _is_decimal(v) is None
        or _is_decimal(q) is None
    ):
        raise _bad("miniTicker: bad field", row)
    return MiniTicker(s, c, o, h, lo, v, q, e)


def _agg_trade(data: Any) -> AggTrade:
    try:
        s, p, q, t, e = data["s"], data["p"], data["q"], data["T"], data["E"]
    except (KeyError, TypeError) as exc:
        raise _bad("aggTrade: missing field", exc) from None
    if (
        type(s) is not str
        or not s
        or type(p) is not str
        or type(q) is not str
        or type(t) is not int
        or type(e) is not int
        or _is_decimal(p) is None
        or _is_decimal(q) is None
    ):
        raise _bad("aggTrade: bad field", data)
    return AggTrade(s, p, q, t, e)


def _kline(data: Any) -> Kline:
    try:
        k = data["k"]
        e = data["E"]
        s, i, t, ct, o, h, lo, c, v, x = (
            k["s"], k["i"], k["t"], k["T"], k["o"], k["h"], k["l"], k["c"], k["v"], k["x"]
        )  # fmt: skip
    except (KeyError, TypeError) as exc:
        raise _bad("kline: missing field", exc) from None
    if (
        type(s) is not str
        or not s
        or type(i) is not str
        or type(t) is not int
        or type(ct) is not int
        or type(e) is not int
        or type(x) is not bool
        or not all(type(d) is str and _is_decimal(d) is not None for d in (o, h, lo, c, v))
    ):
        raise _bad("kline: bad field", data)
    return Kline(s, i, t, ct, o, h, lo, c, v, x, e)


def _server_shutdown(data: Any) -> ServerShutdown:
    e = data.get("E", 0)
    if type(e) is not int:
        raise _bad("serverShutdown: bad E", e)
    return ServerShutdown(e)


def _reply(obj: dict[str, Any]) -> Event:
    rid = obj.get("id")
    if rid is not None and type(rid) not in (int, str):
        raise _bad("reply: bad id", rid)
    if "result" in obj:
        return MethodReply(rid, obj["result"])
    err = obj.get("error", obj)
    if not isinstance(err, dict):
        raise _bad("error reply", obj)
    code, msg = err.get("code"), err.get("msg", "")
    if type(code) is not int or not isinstance(msg, str):
        raise _bad("error reply", obj)
    return MethodError(rid, code, msg)


def _event(stream: str, data: Any) -> Event:
    if type(data) is list:
        if stream and not stream.startswith("!miniTicker"):
            return OtherEvent(stream, "array")
        return MiniTickers([_mini_ticker(row) for row in data])
    if type(data) is not dict:
        raise _bad("data is not an object", data)
    kind = data.get("e")
    if kind == "aggTrade":
        return _agg_trade(data)
    if kind == "kline":
        return _kline(data)
    if kind == "24hrMiniTicker":
        return MiniTickers([_mini_ticker(data)])
    if kind == "serverShutdown":
        return _server_shutdown(data)
    if type(kind) is not str:
        raise _bad("event without type", data)
    return OtherEvent(stream, kind)


def parse_frame(raw: bytes | str) -> Event:
    """One WebSocket text frame: a combined-stream wrapper ``{"stream", "data"}``, a raw event,
    or a method reply."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidFrameError(f"not JSON: {exc}") from None
    if type(obj) is dict:
        if "data" in obj:
            stream = obj.get("stream", "")
            if type(stream) is not str:
                raise _bad("stream is not a string", stream)
            return _event(stream, obj["data"])
        if "id" in obj or "result" in obj or "code" in obj or "error" in obj:
            return _reply(obj)
        return _event("", obj)
    if type(obj) is list:
        return _event("", obj)
    raise _bad("frame is not an object", obj)


# ---- requests -------------------------------------------------------------------------------


def agg_trade_stream(symbol: str) -> str:
    return f"{symbol.lower()}@aggTrade"


def kline_stream(symbol: str, interval: str) -> str:
    return f"{symbol.lower()}@kline_{interval}"


def demand_streams(symbols: Iterable[str], candles: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Stream names for demanded symbols (aggTrade) and candle rooms (kline)."""
    wanted = {agg_trade_stream(s) for s in symbols}
    wanted.update(kline_stream(s, i) for s, i in candles)
    return frozenset(wanted)


def request(method: str, params: list[str] | None, request_id: int) -> bytes:
    body: dict[str, Any] = {"method": method, "id": request_id}
    if params is not None:
        body["params"] = params
    return orjson.dumps(body)


def request_batches(streams: Iterable[str], per_request: int) -> list[tuple[str, ...]]:
    """Streams in sorted batches of at most `per_request`: one SUBSCRIBE or UNSUBSCRIBE each."""
    it = iter(sorted(streams))
    return list(iter(lambda: tuple(itertools.islice(it, per_request)), ()))


def combined_url(base: str, streams: Iterable[str]) -> str:
    """``{base}/stream?streams=a/b/c`` (Binance's combined-stream endpoint)."""
    return f"{base.rstrip('/')}/stream?streams={'/'.join(streams)}"


# ---- planning over connections -------------------------------------------------------------


@dataclass(slots=True)
class ShardDiff:
    subscribe: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)


class StreamPlanner:
    """Assign streams to connections, at most `limit` each.

    Shard 0 always carries ``!miniTicker@arr``. A stream stays on its shard while demanded;
    new streams go to the shard with the most room, and a new shard opens when all are full.
    Shards other than 0 that become empty are dropped (their connection closes).
    """

    def __init__(self, limit: int = MAX_STREAMS_PER_CONNECTION) -> None:
        if limit < 2:
            raise ValueError("a connection must hold at least two streams")
        self.limit = limit
        self._shards: dict[int, set[str]] = {0: {MINI_TICKER_ALL}}
        self._next_id = 1

    @property
    def shards(self) -> dict[int, frozenset[str]]:
        return {index: frozenset(streams) for index, streams in self._shards.items()}

    def update(self, wanted: Iterable[str]) -> dict[int, ShardDiff]:
        """Plan `wanted` (plus the miniTicker array); returns the change per shard."""
        target = set(wanted)
        target.add(MINI_TICKER_ALL)
        diffs: dict[int, ShardDiff] = {}
        placed: set[str] = set()
        for index, streams in self._shards.items():
            gone = streams - target
            if gone:
                streams -= gone
                diffs.setdefault(index, ShardDiff()).unsubscribe.extend(sorted(gone))
            placed |= streams
        for stream in sorted(target - placed):
            index = self._roomiest()
            self._shards[index].add(stream)
            diffs.setdefault(index, ShardDiff()).subscribe.append(stream)
        for index in [s for s, streams in self._shards.items() if s != 0 and not streams]:
            del self._shards[index]
        return diffs

    def _roomiest(self) -> int:
        index, streams = min(self._shards.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(streams) < self.limit:
            return index
        index = self._next_id
        self._next_id += 1
        self._shards[index] = set()
        return index
