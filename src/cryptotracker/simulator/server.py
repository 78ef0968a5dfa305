"""The simulator's asyncio layer: one port serving Binance's WebSocket streams, Binance's and
CoinGecko's REST endpoints (and CoinGecko's logos), and `/sim/*` controls for faults. Market
logic lives in `market.py`, wire shapes in `frames.py`, HTTP answers in `rest.py` and
`coingecko.py`; this module owns the sockets, the streams' schedule and the controls.

    cryptotracker simulate --port 9443 --symbols 300 --rate 1000 --quotes USDT,BTC,EUR

Streams (``/stream?streams=a/b`` combined and wrapped, ``/ws/<stream>`` raw): ``!miniTicker@arr``
(every second, only the symbols that traded), ``<symbol>@miniTicker``, ``<symbol>@aggTrade``
(each trade as it happens; ``E`` is the real send time) and ``<symbol>@kline_<interval>``
(every two seconds, and once more closed when the candle ends). Live SUBSCRIBE, UNSUBSCRIBE and
LIST_SUBSCRIPTIONS. Faults on demand: reject or ignore the next requests of a method, forget a
stream without telling the client, skew the exchange's clock, list, delist or halt a market.
Pings every 20 s; Binance's limits: 1024 streams and 5 incoming messages/s per connection, 300
connection attempts per 5 minutes, 6000 REST weight per minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import itertools
import logging
import signal
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import orjson
import structlog
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from cryptotracker.clock import now_ms
from cryptotracker.simulator import frames
from cryptotracker.simulator.faults import (
    HTTP_FAULT_TARGETS,
    FaultError,
    Faults,
    SlidingLimit,
    http_fault_from_query,
    request_fault_from_query,
)
from cryptotracker.simulator.market import SimMarket
from cryptotracker.simulator.reply import Reply
from cryptotracker.simulator.rest import RestApi, fault_reply

log = structlog.get_logger(__name__)

# Binance's symbol status values (rest-api.md, "ENUM definitions").
SYMBOL_STATUSES: Final = (
    "PRE_TRADING", "TRADING", "POST_TRADING", "END_OF_DAY", "HALT", "AUCTION_MATCH", "BREAK"
)  # fmt: skip
# Frames queued for one connection before it counts as too slow and is cut (as Binance does).
MAX_OUTBOX: Final = 50_000
# Frames a `garbage` fault sends, in turn: cut JSON, not JSON, wrong field types.
GARBAGE: Final = (
    b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":17',
    b"\x00\x01 not json at all",
    b'{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":"soon","s":7,"p":1.5}}',
    b'{"stream":"!miniTicker@arr","data":[{"e":"24hrMiniTicker","s":"BTCUSDT","c":null}]}',
)


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Knobs of one simulator; the defaults are Binance's own figures."""

    symbols: int = 300  # coins, each with its USDT market
    rate: float = 1000.0  # trades per second over all symbols
    # Quote assets: the coins' markets against the others and the fiat ones' anchors
    # (`quotes.py`); Binance's set gives about five markets per coin.
    quotes: tuple[str, ...] = ("USDT",)
    seed: int | None = None
    ping_interval_s: float = 20.0
    ping_timeout_s: float = 60.0
    mini_ticker_s: float = 1.0
    kline_push_s: float = 2.0
    tick_s: float = 0.01
    max_connection_age_s: float = 86_400.0
    max_streams: int = 1024
    messages_per_s: int = 5
    connects_per_5min: int = 300
    rest_weight_per_min: int = 6000
    coingecko_calls_per_min: int = 30
    # The exchange's clock ahead of ours (negative: behind): every time it sends is skewed.
    clock_skew_ms: int = 0


class _Client:
    """One stream connection: what it subscribed to and what waits to be written."""

    __slots__ = ("cid", "combined", "conn", "outbox", "overflowed", "streams", "wake")

    def __init__(self, cid: int, conn: ServerConnection, combined: bool) -> None:
        self.cid = cid
        self.conn = conn
        self.combined = combined
        self.streams: dict[str, None] = {}  # names as the client wrote them, in order
        self.outbox: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.overflowed = False

    def push(self, frame: bytes) -> None:
        if len(self.outbox) >= MAX_OUTBOX:
            self.overflowed = True
        else:
            self.outbox.append(frame)
        self.wake.set()


class Simulator:
    """A Binance look-alike market on `host:port` (port 0: any free port)."""

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or SimConfig()
        self.host = host
        self.port = port
        self.rate = self.config.rate
        self.clock_skew_ms = self.config.clock_skew_ms
        self.market = SimMarket(
            self.config.symbols, self.config.seed, self.now_ms(), self.config.quotes
        )
        self.faults = Faults()
        self.rest = RestApi(
            self.market,
            self.faults,
            weight_per_min=self.config.rest_weight_per_min,
            coingecko_per_min=self.config.coingecko_calls_per_min,
        )
        self._connects = SlidingLimit(self.config.connects_per_5min, 300.0)
        self._clients: dict[int, _Client] = {}
        self._index: dict[str, set[_Client]] = {}  # canonical stream -> subscribers
        self._ids = itertools.count(1)
        self._changed: set[str] = set()
        self._kline_open: dict[str, int] = {}
        self._server: Server | None = None
        self._engine: asyncio.Task[None] | None = None
        self._garbage = itertools.cycle(GARBAGE)
        self.handshakes = 0
        self.frames_sent = 0
        self.requests: dict[str, int] = {}  # stream requests received, by method

    # ---- addresses ----------------------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def coingecko_url(self) -> str:
        return f"{self.rest_url}/coingecko/api/v3"

    @property
    def symbols(self) -> list[str]:
        return self.market.symbols

    def now_ms(self) -> int:
        """The exchange's clock: ours plus the configured skew."""
        return now_ms() + self.clock_skew_ms

    # ---- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        c = self.config
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=c.ping_interval_s,
            ping_timeout=c.ping_timeout_s,
            compression=None,
            max_size=2**20,
            close_timeout=2.0,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self.rest.coingecko.base_url = self.rest_url
        self._engine = asyncio.create_task(self._run_engine(), name="sim-engine")
        log.info("simulator_listening", url=self.ws_url, symbols=len(self.symbols), rate=self.rate)

    async def stop(self) -> None:
        if self._engine is not None:
            self._engine.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._engine
            self._engine = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Simulator]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ---- controls (also reachable as GET /sim/...) -------------------------------------------

    def subscriptions(self) -> dict[int, list[str]]:
        """Streams of each open connection, by connection id."""
        return {cid: list(c.streams) for cid, c in self._clients.items()}

    async def drop(self, timeout: float = 5.0) -> None:
        """Cut every stream connection at the TCP level, and wait until they are gone."""
        dropped = set(self._clients)
        for client in list(self._clients.values()):
            client.conn.transport.abort()
        async with asyncio.timeout(timeout):
            while dropped & set(self._clients):
                await asyncio.sleep(0.01)

    def silence(self, seconds: float) -> None:
        """Send no stream frame for `seconds` (connections stay open, pings answered)."""
        self.faults.silent_until = time.monotonic() + seconds

    def garbage(self, count: int = 1) -> None:
        """Send `count` malformed frames on every connection."""
        for client in self._clients.values():
            for _ in range(count):
                client.push(next(self._garbage))

    def forget(self, stream: str) -> None:
        """Stop sending `stream` on every connection without telling the client (a server-side
        loss only LIST_SUBSCRIPTIONS reveals)."""
        for client in self._clients.values():
            if stream in client.streams:
                self._unsubscribe(client, stream)

    def set_status(self, symbol: str, status: str | None) -> None:
        """List `symbol` with Binance's `status` (TRADING, BREAK, HALT, ...), or delist it
        (None): exchangeInfo says so, and only TRADING markets trade."""
        if symbol not in self.market.markets:
            raise FaultError(f"unknown symbol {symbol!r}")
        if status is not None and status not in SYMBOL_STATUSES:
            raise FaultError(f"status must be one of {', '.join(SYMBOL_STATUSES)}")
        if status is None:
            self.market.status.pop(symbol, None)
        else:
            self.market.status[symbol] = status

    def shutdown_notice(self) -> None:
        """Binance's `serverShutdown` event on every connection."""
        data = frames.server_shutdown(self.now_ms())
        self._fan_out("!serverShutdown", data, set(self._clients.values()))

    def state(self) -> dict[str, Any]:
        return {
            "symbols": len(self.symbols),
            "rate": self.rate,
            "trades": self.market.total_trades,
            "frames_sent": self.frames_sent,
            "handshakes": self.handshakes,
            "connections": [
                {
                    "id": c.cid,
                    "combined": c.combined,
                    "streams": list(c.streams),
                    "outbox": len(c.outbox),
                }
                for c in self._clients.values()
            ],
            "faults": self.faults.describe(),
            "rest_calls": dict(self.rest.calls),
            "requests": dict(self.requests),
        }

    def _control(self, path: str, query: dict[str, str]) -> Reply:
        try:
            if path == "/sim/state":
                return Reply(200, orjson.dumps(self.state()), [])
            if path == "/sim/rate":
                self.rate = max(0.0, float(query["value"]))
            elif path == "/sim/fault":
                self._fault(query)
            else:
                return Reply(404, b'{"error":"unknown control"}', [])
        except (FaultError, KeyError, ValueError) as exc:
            return Reply(400, orjson.dumps({"error": str(exc)}), [])
        log.info("simulator_control", path=path, **query)
        return Reply(200, orjson.dumps({"ok": True, "faults": self.faults.describe()}), [])

    def _fault(self, query: dict[str, str]) -> None:
        kind = query.get("kind", "")
        if kind == "drop":
            for client in list(self._clients.values()):
                client.conn.transport.abort()
        elif kind == "silent":
            self.silence(float(query.get("seconds", "3600")))
        elif kind == "garbage":
            self.garbage(int(query.get("count", "1")))
        elif kind == "shutdown":
            self.shutdown_notice()
        elif kind in ("reject", "ignore"):
            method, fault = request_fault_from_query(query)
            self.faults.requests[method] = fault
        elif kind == "status":
            self.set_status(query["symbol"], query["status"])
        elif kind == "delist":
            self.set_status(query["symbol"], None)
        elif kind == "skew":
            self.clock_skew_ms = int(query["ms"])
        elif kind == "forget":
            self.forget(query["stream"])
        elif kind == "clear":
            self.faults.clear()
            self.rest.coingecko.set_data_fault("none")
        elif kind == "coingecko_data":
            self.rest.coingecko.set_data_fault(query["mode"])
        elif kind.endswith("_status") and kind[:-7] in HTTP_FAULT_TARGETS:
            self.faults.http[kind[:-7]] = http_fault_from_query(query)
        else:
            raise FaultError(f"unknown fault kind {kind!r}")

    # ---- HTTP ---------------------------------------------------------------------------------

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        path = parts.path
        if path.startswith("/sim/"):
            return _response(self._control(path, dict(parse_qsl(parts.query))))
        if self.rest.handles(path):
            return _response(self.rest.get(request.path, self.now_ms()))
        if path == "/stream" or path == "/ws" or path.startswith("/ws/"):
            self.handshakes += 1
            fault = self.faults.take("ws")
            if fault is not None:
                return _response(fault_reply(fault, "ws"))
            wait = self._connects.hit()
            if wait is not None:
                return _response(
                    Reply(429, b"too many connection attempts", [("Retry-After", f"{wait:.0f}")])
                )
            if len(_url_streams(parts.path, parts.query)) > self.config.max_streams:
                return _response(Reply(400, b"too many streams", []))
            return None
        return _response(Reply(404, b'{"error":"not found"}', []))

    # ---- streams ------------------------------------------------------------------------------

    async def _handle(self, conn: ServerConnection) -> None:
        assert conn.request is not None
        parts = urlsplit(conn.request.path)
        client = _Client(next(self._ids), conn, parts.path == "/stream")
        self._clients[client.cid] = client
        for name in _url_streams(parts.path, parts.query):
            self._subscribe(client, name)
        log.info("stream_opened", id=client.cid, streams=len(client.streams))
        writer = asyncio.create_task(self._write(client), name=f"sim-write-{client.cid}")
        limit = SlidingLimit(self.config.messages_per_s, 1.0)
        try:
            async with asyncio.timeout(self.config.max_connection_age_s):
                async for message in conn:
                    if limit.hit() is not None:
                        await conn.close(1008, "Too many messages")
                        break
                    self._on_request(client, message)
        except TimeoutError:
            await conn.close(1000, "connection reached its maximum age")
        except ConnectionClosed:
            pass
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            for name in list(client.streams):
                self._unsubscribe(client, name)
            del self._clients[client.cid]
            log.info("stream_closed", id=client.cid, code=conn.close_code)

    async def _write(self, client: _Client) -> None:
        conn = client.conn
        try:
            while True:
                await client.wake.wait()
                client.wake.clear()
                if client.overflowed:
                    await conn.close(1008, "client too slow")
                    return
                while client.outbox:
                    await conn.send(client.outbox.popleft(), text=True)
                    self.frames_sent += 1
        except ConnectionClosed:
            return

    def _on_request(self, client: _Client, message: str | bytes) -> None:
        try:
            req = frames.parse_request(message)
            self.requests[req.method] = self.requests.get(req.method, 0) + 1
            action = self.faults.take_request(req.method)
            if action == "ignore":
                return
            if action == "reject":
                raise frames.RequestError(2, "Invalid request: simulated rejection", req.id)
            if req.method == "LIST_SUBSCRIPTIONS":
                client.push(frames.reply(req.id, list(client.streams)))
                return
            if req.method == "SUBSCRIBE":
                new = [p for p in req.params if p not in client.streams]
                if len(client.streams) + len(new) > self.config.max_streams:
                    raise frames.RequestError(
                        2, f"Invalid request: more than {self.config.max_streams} streams", req.id
                    )
                for name in new:
                    self._subscribe(client, name)
            else:
                for name in req.params:
                    self._unsubscribe(client, name)
            client.push(frames.reply(req.id))
        except frames.RequestError as exc:
            client.push(frames.error_reply(exc))

    def _subscribe(self, client: _Client, name: str) -> None:
        client.streams[name] = None
        key = _canonical(name, self.market.markets)
        if key is not None:
            self._index.setdefault(key, set()).add(client)

    def _unsubscribe(self, client: _Client, name: str) -> None:
        client.streams.pop(name, None)
        key = _canonical(name, self.market.markets)
        if key is None or key not in self._index:
            return
        subs = self._index[key]
        subs.discard(client)
        if not subs:
            del self._index[key]

    def _fan_out(self, stream: str, data: bytes, clients: set[_Client]) -> None:
        wrapped: bytes | None = None
        for client in clients:
            if client.combined:
                if wrapped is None:
                    wrapped = frames.wrap(stream, data, True)
                client.push(wrapped)
            else:
                client.push(data)

    # ---- the market's clock -------------------------------------------------------------------

    async def _run_engine(self) -> None:
        c = self.config
        loop = asyncio.get_running_loop()
        last = loop.time()
        next_mini = last + c.mini_ticker_s
        next_kline = last + c.kline_push_s
        carry = 0.0
        while True:
            await asyncio.sleep(c.tick_s)
            now = loop.time()
            # After a stall, catch up at most one second of trades rather than a flood.
            carry = min(carry + self.rate * (now - last), max(self.rate, 1.0))
            last = now
            count = int(carry)
            carry -= count
            if count:
                self._trade(count)
            if now >= next_mini:
                next_mini = max(next_mini + c.mini_ticker_s, now)
                self._push_mini_tickers()
            if now >= next_kline:
                next_kline = max(next_kline + c.kline_push_s, now)
                self._push_klines()

    def _trade(self, count: int) -> None:
        market = self.market
        index = self._index
        silent = self.faults.silent
        t_ms = self.now_ms()
        rate = self.rate
        status = market.status
        for symbol in market.pick(count):
            if status.get(symbol) != "TRADING":
                continue  # halted or delisted: no trades, so no ticker either
            trade = market.trade(symbol, t_ms, rate)
            self._changed.add(symbol)
            stream = f"{symbol.lower()}@aggTrade"
            subs = index.get(stream)
            if subs and not silent:
                self._fan_out(stream, frames.agg_trade(trade, self.now_ms()), subs)

    def _push_mini_tickers(self) -> None:
        changed, self._changed = self._changed, set()
        if self.faults.silent or not changed:
            return
        t_ms = self.now_ms()
        subs = self._index.get(frames.MINI_TICKER_ALL)
        if subs:
            self._fan_out(
                frames.MINI_TICKER_ALL, frames.mini_tickers(self.market, changed, t_ms), subs
            )
        for symbol in changed:
            stream = f"{symbol.lower()}@miniTicker"
            subs = self._index.get(stream)
            if subs:
                self._fan_out(stream, frames.mini_ticker(self.market, symbol, t_ms), subs)

    def _push_klines(self) -> None:
        if self.faults.silent:
            return
        t_ms = self.now_ms()
        for stream in [s for s in self._index if "@kline_" in s]:
            symbol, _, kind = stream.partition("@")
            symbol, interval = symbol.upper(), kind[6:]
            candle = self.market.candle_now(symbol, interval, t_ms)
            subs = self._index[stream]
            previous = self._kline_open.get(stream)
            if previous is not None and previous != candle.open_time:
                done = self.market.candles(symbol, interval, t_ms, 2)[0]
                self._fan_out(stream, frames.kline(symbol, interval, done, True, t_ms), subs)
            self._kline_open[stream] = candle.open_time
            self._fan_out(stream, frames.kline(symbol, interval, candle, False, t_ms), subs)


def _url_streams(path: str, query: str) -> list[str]:
    if path == "/stream":
        joined = dict(parse_qsl(query)).get("streams", "")
    else:
        joined = path[len("/ws/") :] if path.startswith("/ws/") else ""
    return [s for s in joined.split("/") if s]


def _canonical(name: str, known: dict[str, Any]) -> str | None:
    """The one spelling the engine indexes a stream under (lower-case symbol)."""
    stream = frames.parse_stream(name, known)
    if stream is None:
        return None
    if stream.kind == "miniTickerAll":
        return frames.MINI_TICKER_ALL
    if stream.kind == "kline":
        return f"{stream.symbol.lower()}@kline_{stream.interval}"
    return f"{stream.symbol.lower()}@{stream.kind}"


def _response(reply: Reply) -> Response:
    status = http.HTTPStatus(reply.status)
    content_type = "application/json" if reply.body[:1] in (b"{", b"[") else "text/plain"
    typed = any(name.lower() == "content-type" for name, _ in reply.headers)
    headers = Headers(
        [
            *([] if typed else [("Content-Type", content_type)]),
            ("Content-Length", str(len(reply.body))),
            ("Connection", "close"),
            *reply.headers,
        ]
    )
    return Response(status.value, status.phrase, headers, reply.body)


async def _serve_until_signalled(sim: Simulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with sim.running():
        await stop.wait()
    log.info("simulator_stopped")


def run_simulator(
    host: str,
    port: int,
    symbols: int,
    rate: float,
    seed: int | None,
    log_level: str = "info",
    quotes: tuple[str, ...] = ("USDT",),
) -> None:
    """`cryptotracker simulate`: serve until SIGTERM or Ctrl-C."""
    import uvloop

    from cryptotracker.logs import configure_logging

    configure_logging(log_level)
    # websockets logs every HTTP answer at INFO: REST polling would drown the simulator's log.
    logging.getLogger("websockets").setLevel(logging.WARNING)
    config = SimConfig(symbols=symbols, rate=rate, seed=seed, quotes=quotes)
    sim = Simulator(config, host=host, port=port)
    uvloop.run(_serve_until_signalled(sim))
