"""A Kraken look-alike on one port: the WebSocket v2 feed at ``/v2`` and the public REST
endpoints under ``/0/public/`` the provider uses, driven by a `SimMarket` (the same walk as the
Binance simulator, the same markets in Kraken's names), with faults on demand at ``/sim/fault``.

WebSocket: ``status`` on connect and on every change of the engine's status; ``subscribe`` and
``unsubscribe`` of ``ticker``, ``trade`` and ``ohlc`` (one acknowledgement per symbol, a
snapshot unless declined (for trade only when asked, as Kraken's defaults are), "Currency pair
not supported" for unknown pairs); ``ping``
answered by ``pong``; a ``heartbeat`` after a second with nothing else sent. Each trade goes out
on ``trade`` as it happens, and every symbol that traded gets one ``ticker`` and ``ohlc`` update
per engine tick.

REST: AssetPairs, Ticker, OHLC, Depth, Trades, SystemStatus, Time, with Kraken's envelope and
its public rate limit (`SimConfig.rest_calls_per_window` per `rest_window_s`, then
``EGeneral:Too many requests``).

Faults (GET ``/sim/fault?kind=...``): ``drop`` (cut every connection), ``silent&seconds=N``
(send nothing at all), ``garbage&count=N``, ``maintenance&on=1|0`` (status channel says
maintenance, no trades, REST answers ``EService:Unavailable``), ``ws_status`` / ``rest_status``
``&status=429|451|403&retry_after=S&count=N`` (HTTP refusals of the handshake or of REST),
``rest_error&error=EGeneral:Too many requests&count=N`` (the error envelope), ``gap&count=N``
``&symbol=S`` (trade ids skipped: Kraken numbers trades per book), ``delist&symbol=S``,
``reject`` / ``ignore`` ``&method=subscribe|unsubscribe&count=N`` (refuse every symbol of the
next requests, or leave them unanswered and unapplied),
``pair_status``
``&symbol=BTCUSDT&status=cancel_only``, ``clear``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import itertools
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
from cryptotracker.simulator import kraken_wire as wire
from cryptotracker.simulator.faults import (
    FaultError,
    Faults,
    HttpFault,
    RequestFault,
    SlidingLimit,
    http_fault_from_query,
)
from cryptotracker.simulator.frames import dec
from cryptotracker.simulator.market import INTERVAL_MS, SimMarket, Trade
from cryptotracker.simulator.reply import Reply

log = structlog.get_logger(__name__)

REST_PREFIX: Final = "/0/public/"
WS_PATH: Final = "/v2"
MAX_OUTBOX: Final = 50_000
PAIR_STATUSES: Final = ("online", "cancel_only", "post_only", "limit_only", "reduce_only")
CHANNELS: Final = ("ticker", "trade", "ohlc")
# Trades kept per market for REST Trades and the trade channel's snapshot.
RECENT_TRADES: Final = 50
GARBAGE: Final = (
    b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USDT","last":9',
    b"\x00\x01 not json at all",
    b'{"channel":"trade","type":"update","data":[{"symbol":7,"price":"1.5","qty":null}]}',
    b'{"channel":"ticker","type":"update","data":[{"symbol":"BTC/USDT","last":"soon"}]}',
)


@dataclass(frozen=True, slots=True)
class KrakenSimConfig:
    symbols: int = 300
    rate: float = 1000.0
    seed: int | None = None
    tick_s: float = 0.01
    heartbeat_s: float = 1.0
    ping_interval_s: float = 20.0
    rest_calls_per_window: int = 15
    rest_window_s: float = 15.0


class _Conn:
    __slots__ = ("cid", "conn", "last_sent", "outbox", "overflowed", "subs", "wake")

    def __init__(self, cid: int, conn: ServerConnection) -> None:
        self.cid = cid
        self.conn = conn
        self.subs: set[tuple[str, str]] = set()  # (channel key, our symbol)
        self.outbox: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.overflowed = False
        self.last_sent = time.monotonic()

    def push(self, frame: bytes) -> None:
        if len(self.outbox) >= MAX_OUTBOX:
            self.overflowed = True
        else:
            self.outbox.append(frame)
        self.last_sent = time.monotonic()
        self.wake.set()


class KrakenSimulator:
    """Kraken's public market data on `host:port` (port 0: any free port)."""

    def __init__(
        self, config: KrakenSimConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or KrakenSimConfig()
        self.host = host
        self.port = port
        self.rate = self.config.rate
        self.market = SimMarket(self.config.symbols, self.config.seed, now_ms())
        self.pairs = {p.symbol: p for p in wire.pairs(self.market)}
        self._by_name: dict[str, str] = {}
        for p in self.pairs.values():
            for name in (p.symbol, p.rest, p.wsname, p.v2):
                self._by_name[name] = p.symbol
        self.pair_status: dict[str, str] = dict.fromkeys(self.pairs, "online")
        self.delisted: set[str] = set()
        self.faults = Faults()
        self.rest_errors: deque[str] = deque()  # error envelopes for the next REST calls
        self.maintenance = False
        c = self.config
        self._rest_limit = SlidingLimit(c.rest_calls_per_window, c.rest_window_s)
        self._recent: dict[str, deque[Trade]] = {s: deque(maxlen=RECENT_TRADES) for s in self.pairs}
        self._book_ids: dict[str, int] = dict.fromkeys(self.pairs, 0)
        self._gaps: dict[str, int] = {}  # market -> trade ids to skip at its next trade
        self._conns: dict[int, _Conn] = {}
        self._index: dict[tuple[str, str], set[_Conn]] = {}
        self._ids = itertools.count(1)
        self._garbage = itertools.cycle(GARBAGE)
        self._server: Server | None = None
        self._engine: asyncio.Task[None] | None = None
        self.handshakes = 0
        self.frames_sent = 0
        self.rest_calls: dict[str, int] = {}
        self.requests: dict[str, int] = {}

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}{WS_PATH}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def symbols(self) -> list[str]:
        return self.market.symbols

    # ---- life cycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._process_request,
            ping_interval=self.config.ping_interval_s,
            compression=None,
            max_size=2**20,
            close_timeout=2.0,
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._engine = asyncio.create_task(self._run_engine(), name="kraken-sim-engine")
        log.info("kraken_simulator_listening", url=self.ws_url, symbols=len(self.pairs))

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
    async def running(self) -> AsyncIterator[KrakenSimulator]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ---- controls -----------------------------------------------------------------------------

    def subscriptions(self) -> dict[int, set[tuple[str, str]]]:
        """(channel key, symbol) of each open connection; channel keys: ticker, trade, ohlc:N."""
        return {cid: set(c.subs) for cid, c in self._conns.items()}

    def drop(self) -> None:
        for c in list(self._conns.values()):
            c.conn.transport.abort()

    def silence(self, seconds: float) -> None:
        self.faults.silent_until = time.monotonic() + seconds

    def garbage(self, count: int = 1) -> None:
        for c in self._conns.values():
            for _ in range(count):
                c.push(next(self._garbage))

    def delist(self, symbol: str) -> None:
        """`symbol` leaves AssetPairs and Ticker and stops trading; subscribing is refused."""
        if symbol not in self.pairs:
            raise FaultError(f"unknown symbol {symbol!r}")
        self.delisted.add(symbol)
        self.market.status.pop(symbol, None)

    def gap(self, count: int = 1, symbol: str | None = None) -> None:
        """The next trade of `symbol` (of every market: None) skips `count` trade ids, as if
        trades had been lost on the way."""
        if symbol is not None and symbol not in self.pairs:
            raise FaultError(f"unknown symbol {symbol!r}")
        for s in [symbol] if symbol is not None else list(self.pairs):
            self._gaps[s] = count

    def set_maintenance(self, on: bool) -> None:
        """The engine goes into (or out of) maintenance: every connection is told."""
        if on == self.maintenance:
            return
        self.maintenance = on
        system = "maintenance" if on else "online"
        for c in self._conns.values():
            c.push(wire.status(system, c.cid))
        for symbol, st in self.pair_status.items():
            if symbol not in self.delisted:
                self.market.status[symbol] = "HALT" if on or st != "online" else "TRADING"

    def set_pair_status(self, symbol: str, status: str) -> None:
        if symbol not in self.pairs:
            raise FaultError(f"unknown symbol {symbol!r}")
        if status not in PAIR_STATUSES:
            raise FaultError(f"status must be one of {', '.join(PAIR_STATUSES)}")
        self.pair_status[symbol] = status
        if symbol in self.delisted:
            return
        trading = status == "online" and not self.maintenance
        self.market.status[symbol] = "TRADING" if trading else "HALT"

    def _control(self, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        try:
            if path == "/sim/state":
                return 200, orjson.dumps(self.state())
            if path == "/sim/rate":
                self.rate = max(0.0, float(query["value"]))
            elif path == "/sim/fault":
                self._fault(query)
            else:
                return 404, b'{"error":"unknown control"}'
        except (FaultError, KeyError, ValueError) as exc:
            return 400, orjson.dumps({"error": str(exc)})
        log.info("kraken_simulator_control", path=path, **query)
        return 200, b'{"ok":true}'

    def _fault(self, query: dict[str, str]) -> None:
        kind = query.get("kind", "")
        if kind == "drop":
            self.drop()
        elif kind == "silent":
            self.silence(float(query.get("seconds", "3600")))
        elif kind == "garbage":
            self.garbage(int(query.get("count", "1")))
        elif kind == "maintenance":
            self.set_maintenance(query.get("on", "1") not in ("0", "false"))
        elif kind in ("ws_status", "rest_status"):
            self.faults.http[kind[:-7]] = http_fault_from_query(query)
        elif kind == "rest_error":
            self.rest_errors.extend([query["error"]] * int(query.get("count", "1")))
        elif kind in ("reject", "ignore"):
            method = query.get("method", "subscribe")
            if method not in ("subscribe", "unsubscribe"):
                raise FaultError(f"unknown method {method!r}")
            count = int(query["count"]) if "count" in query else None
            self.faults.requests[method] = RequestFault(kind, count)
        elif kind == "delist":
            self.delist(query["symbol"])
        elif kind == "gap":
            self.gap(int(query.get("count", "1")), query.get("symbol"))
        elif kind == "pair_status":
            self.set_pair_status(query["symbol"], query["status"])
        elif kind == "clear":
            self.faults.clear()
            self.rest_errors.clear()
            self.set_maintenance(False)
        else:
            raise FaultError(f"unknown fault kind {kind!r}")

    def state(self) -> dict[str, Any]:
        return {
            "symbols": len(self.pairs),
            "rate": self.rate,
            "maintenance": self.maintenance,
            "handshakes": self.handshakes,
            "frames_sent": self.frames_sent,
            "rest_calls": dict(self.rest_calls),
            "requests": dict(self.requests),
            "connections": [
                {"id": c.cid, "subscriptions": sorted(f"{k}:{s}" for k, s in c.subs)}
                for c in self._conns.values()
            ],
            "faults": self.faults.describe(),
        }

    # ---- HTTP ---------------------------------------------------------------------------------

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/sim/"):
            return _response(Reply(*self._control(parts.path, query), []))
        if parts.path.startswith(REST_PREFIX):
            return _response(self._rest(parts.path[len(REST_PREFIX) :], query))
        if parts.path == WS_PATH:
            self.handshakes += 1
            fault = self.faults.take("ws")
            if fault is not None:
                return _response(_refusal(fault))
            return None
        return _response(Reply(404, b'{"error":["EGeneral:Unknown method"]}', []))

    def _rest(self, endpoint: str, query: dict[str, str]) -> Reply:
        self.rest_calls[endpoint] = self.rest_calls.get(endpoint, 0) + 1
        fault = self.faults.take("rest")
        if fault is not None:
            return _refusal(fault)
        status, body = self._rest_answer(endpoint, query)
        return Reply(status, body, [])

    def _rest_answer(self, endpoint: str, query: dict[str, str]) -> tuple[int, bytes]:
        if self.rest_errors:
            return 200, wire.error_envelope(self.rest_errors.popleft())
        if self._rest_limit.hit() is not None:
            return 200, wire.error_envelope("EGeneral:Too many requests")
        if self.maintenance and endpoint != "SystemStatus":
            return 200, wire.error_envelope("EService:Unavailable")
        t = now_ms()
        if endpoint == "Time":
            return 200, wire.envelope({"unixtime": t // 1000, "rfc1123": ""})
        if endpoint == "SystemStatus":
            system = "maintenance" if self.maintenance else "online"
            return 200, wire.envelope({"status": system, "timestamp": wire.rfc3339(t)})
        if endpoint == "AssetPairs":
            m = self.market.markets
            result = {
                p.rest: wire.asset_pair(p, m[s].asset.tick, m[s].asset.step, self.pair_status[s])
                for s, p in self.pairs.items()
                if s not in self.delisted
            }
            return 200, wire.envelope(result)
        if endpoint == "Ticker":
            return self._ticker(query, t)
        symbol = self._by_name.get(query.get("pair", ""))
        if symbol is None:
            return 200, wire.error_envelope("EQuery:Unknown asset pair")
        key = self.pairs[symbol].rest
        if endpoint == "OHLC":
            minutes = int(query.get("interval", "1")) if query.get("interval", "1").isdigit() else 0
            if minutes not in wire.MINUTES:
                return 200, wire.error_envelope("EGeneral:Invalid arguments")
            candles = self.market.candles(symbol, wire.MINUTES[minutes], t, 720)
            committed = candles[-2].open_time // 1000 if len(candles) > 1 else 0
            return 200, wire.envelope({key: wire.ohlc_rows(candles), "last": committed})
        if endpoint == "Depth":
            sim = self.market.markets[symbol]
            price, tick, stamp = sim.price, sim.asset.tick, t // 1000
            book = {
                "asks": [[dec(price + tick), "1.000", stamp]],
                "bids": [[dec(max(tick, price - tick)), "1.000", stamp]],
            }
            return 200, wire.envelope({key: book})
        if endpoint == "Trades":
            count = int(query.get("count", "1000")) if query.get("count", "").isdigit() else 1000
            recent = list(self._recent[symbol])[-count:]
            since = str(recent[-1].time_ms * 1_000_000) if recent else "0"
            rows = [wire.rest_trade(tr) for tr in recent]
            return 200, wire.envelope({key: rows, "last": since})
        return 404, wire.error_envelope("EGeneral:Unknown method")

    def _ticker(self, query: dict[str, str], t: int) -> tuple[int, bytes]:
        if "pair" in query:
            chosen = [self._by_name.get(n) for n in query["pair"].split(",")]
            if None in chosen:
                return 200, wire.error_envelope("EQuery:Unknown asset pair")
            symbols = [s for s in chosen if s is not None]
        else:
            symbols = [s for s in self.pairs if s not in self.delisted]
        m = self.market
        result = {
            self.pairs[s].rest: wire.rest_ticker(m.stats(s, t), m.markets[s].asset.tick)
            for s in symbols
        }
        return 200, wire.envelope(result)

    # ---- WebSocket ----------------------------------------------------------------------------

    async def _handle(self, conn: ServerConnection) -> None:
        c = _Conn(next(self._ids), conn)
        self._conns[c.cid] = c
        c.push(wire.status("maintenance" if self.maintenance else "online", c.cid))
        writer = asyncio.create_task(self._write(c), name=f"kraken-sim-write-{c.cid}")
        try:
            async for message in conn:
                self._on_request(c, message)
        except ConnectionClosed:
            pass
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            for key in list(c.subs):
                self._unsub(c, key)
            del self._conns[c.cid]

    async def _write(self, c: _Conn) -> None:
        try:
            while True:
                await c.wake.wait()
                c.wake.clear()
                if c.overflowed:
                    await c.conn.close(1008, "client too slow")
                    return
                while c.outbox:
                    frame = c.outbox.popleft()
                    if self.faults.silent:
                        continue  # silence: nothing at all leaves, pongs neither
                    await c.conn.send(frame, text=True)
                    self.frames_sent += 1
        except ConnectionClosed:
            return

    def _on_request(self, c: _Conn, message: str | bytes) -> None:
        t = now_ms()
        try:
            req = orjson.loads(message)
        except orjson.JSONDecodeError:
            c.push(wire.refusal("", "Malformed request", None, t))
            return
        if not isinstance(req, dict) or not isinstance(req.get("method"), str):
            c.push(wire.refusal("", "Malformed request", None, t))
            return
        method = req["method"]
        req_id = req.get("req_id") if type(req.get("req_id")) is int else None
        self.requests[method] = self.requests.get(method, 0) + 1
        if method == "ping":
            c.push(wire.pong(req_id, t))
            return
        if method not in ("subscribe", "unsubscribe"):
            c.push(wire.refusal(method, "Method not found", req_id, t))
            return
        action = self.faults.take_request(method)
        if action == "ignore":
            return
        params = req.get("params")
        if not isinstance(params, dict):
            params = {}
        name, names = params.get("channel"), params.get("symbol")
        if name not in CHANNELS or not isinstance(names, list):
            c.push(wire.refusal(method, "Channel or symbol invalid", req_id, t))
            return
        interval = params.get("interval", 1) if name == "ohlc" else None
        if name == "ohlc" and interval not in wire.MINUTES:
            c.push(wire.refusal(method, "Invalid interval", req_id, t))
            return
        key = f"ohlc:{interval}" if name == "ohlc" else str(name)
        # Kraken's defaults: a snapshot for ticker and ohlc, none for trade.
        snapshot = params.get("snapshot", name != "trade") is True
        for n in names:
            if action == "reject":
                c.push(wire.refusal(method, "Simulated refusal", req_id, t, str(n)))
                continue
            symbol = self._by_name.get(n) if isinstance(n, str) else None
            listed = symbol is not None and (symbol not in self.delisted or method != "subscribe")
            if symbol is None or not listed or self.pairs[symbol].v2 != n:
                c.push(wire.refusal(method, "Currency pair not supported", req_id, t, str(n)))
                continue
            c.push(wire.ack(method, str(name), n, req_id, t, interval))
            if method == "subscribe":
                self._sub(c, (key, symbol))
                if snapshot:
                    self._snapshot(c, key, symbol, t)
            else:
                self._unsub(c, (key, symbol))

    def _sub(self, c: _Conn, key: tuple[str, str]) -> None:
        c.subs.add(key)
        self._index.setdefault(key, set()).add(c)

    def _unsub(self, c: _Conn, key: tuple[str, str]) -> None:
        c.subs.discard(key)
        subs = self._index.get(key)
        if subs is not None:
            subs.discard(c)
            if not subs:
                del self._index[key]

    def _snapshot(self, c: _Conn, key: str, symbol: str, t: int) -> None:
        v2 = self.pairs[symbol].v2
        if key == "ticker":
            tick = self.market.markets[symbol].asset.tick
            row = wire.ticker_row(v2, self.market.stats(symbol, t), tick)
            c.push(wire.channel("ticker", "snapshot", [row]))
        elif key == "trade":
            rows = [wire.trade_row(v2, tr) for tr in self._recent[symbol]]
            c.push(wire.channel("trade", "snapshot", rows))
        else:
            minutes = int(key[5:])
            candle = self.market.candle_now(symbol, wire.MINUTES[minutes], t)
            c.push(wire.channel("ohlc", "snapshot", [wire.ohlc_row(v2, minutes, candle)]))

    # ---- the market's clock -------------------------------------------------------------------

    async def _run_engine(self) -> None:
        loop = asyncio.get_running_loop()
        last = loop.time()
        carry = 0.0
        while True:
            await asyncio.sleep(self.config.tick_s)
            now = loop.time()
            carry = min(carry + self.rate * (now - last), max(self.rate, 1.0))
            last = now
            count = int(carry)
            carry -= count
            if count and not self.maintenance:
                self._trade(count)
            self._heartbeats()

    def _trade(self, count: int) -> None:
        t = now_ms()
        status = self.market.status
        traded: dict[str, list[Trade]] = {}
        for symbol in self.market.pick(count):
            if status.get(symbol) != "TRADING":
                continue
            # Kraken numbers trades per book: one sequence per market, gaps only on demand.
            book_id = self._book_ids[symbol] + 1 + self._gaps.pop(symbol, 0)
            self._book_ids[symbol] = book_id
            trade = self.market.trade(symbol, t, self.rate)._replace(agg_id=book_id)
            self._recent[symbol].append(trade)
            traded.setdefault(symbol, []).append(trade)
        if self.faults.silent:
            return
        for symbol, trades in traded.items():
            v2 = self.pairs[symbol].v2
            subs = self._index.get(("trade", symbol))
            if subs:
                frame = wire.channel("trade", "update", [wire.trade_row(v2, tr) for tr in trades])
                for c in subs:
                    c.push(frame)
            subs = self._index.get(("ticker", symbol))
            if subs:
                tick = self.market.markets[symbol].asset.tick
                row = wire.ticker_row(v2, self.market.stats(symbol, t), tick)
                frame = wire.channel("ticker", "update", [row])
                for c in subs:
                    c.push(frame)
            for minutes, name in wire.MINUTES.items():
                subs = self._index.get((f"ohlc:{minutes}", symbol))
                if subs and name in INTERVAL_MS:
                    candle = self.market.candle_now(symbol, name, t)
                    frame = wire.channel("ohlc", "update", [wire.ohlc_row(v2, minutes, candle)])
                    for c in subs:
                        c.push(frame)

    def _heartbeats(self) -> None:
        if self.faults.silent:
            return
        quiet = time.monotonic() - self.config.heartbeat_s
        for c in self._conns.values():
            if c.subs and c.last_sent <= quiet:
                c.push(wire.HEARTBEAT)


def _refusal(fault: HttpFault) -> Reply:
    headers = []
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(int(fault.retry_after + 0.999))))
    if fault.status == 451:
        body = b"Unavailable For Legal Reasons: this service is not available in your region"
    elif fault.status == 403:
        body = b"Forbidden"
    elif fault.status == 429:
        body = b"Too Many Requests"
    else:
        body = b"Service Unavailable"
    return Reply(fault.status, body, headers)


def _response(reply: Reply) -> Response:
    status, body = reply.status, reply.body
    content_type = "application/json" if body[:1] in (b"{", b"[") else "text/plain"
    headers = Headers(
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Connection", "close"),
            *reply.headers,
        ]
    )
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


async def _serve(sim: KrakenSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with sim.running():
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="A Kraken (WebSocket v2 + REST) look-alike market."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9445)
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    config = KrakenSimConfig(symbols=args.symbols, rate=args.rate, seed=args.seed)
    asyncio.run(_serve(KrakenSimulator(config, args.host, args.port)))


if __name__ == "__main__":
    main()
