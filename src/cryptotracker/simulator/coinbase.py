"""A Coinbase Exchange look-alike on one port: the WebSocket feed at ``/`` (`ticker`,
`matches`, `heartbeat`), the public REST endpoints the provider uses (``/products``,
``/products/{id}/stats|ticker|book|candles``) and ``/sim/*`` controls, driven by the same
`SimMarket` walk as the Binance simulator (its USDT markets, named BTC-USDT here).

Coinbase's own rules: a client that has not subscribed within 5 s is disconnected; every
(un)subscribe is answered with `subscriptions`; a `matches` subscription starts with the
market's `last_match`; heartbeats every second per subscribed market; a `ticker` shares the
sequence of the match behind it; public REST at 10 requests/s with bursts of 15 (429 beyond).

    python -m cryptotracker.simulator.coinbase --port 9444 --symbols 300 --rate 1000

Faults on demand (``GET /sim/fault?kind=...`` or the methods): `drop`, `silent`, `garbage`,
`gap` (a burst of `count` + 1 trades of a market in one millisecond: the last is sent, the
others lost, then the first of them arrives late: loss and reordering at once), `ws_status` /
`rest_status` (refuse handshakes or REST calls with a status: 429 with `retry_after`, 403/451
for a geo refusal, 503 for maintenance), `status` (a market stops trading) and `clear`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http
import itertools
import math
import signal
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import orjson
import structlog
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from cryptotracker.clock import now_ms
from cryptotracker.simulator import coinbase_wire as wire
from cryptotracker.simulator.faults import (
    FaultError,
    Faults,
    HttpFault,
    SlidingLimit,
    http_fault_from_query,
)
from cryptotracker.simulator.frames import dec
from cryptotracker.simulator.market import SimMarket, Trade
from cryptotracker.simulator.reply import Reply

log = structlog.get_logger(__name__)

MAX_OUTBOX: Final = 50_000
GARBAGE: Final = (
    b'{"type":"ticker","sequence":1,"product_id":"BTC-USDT","price":',
    b"\x00\x01 not json at all",
    b'{"type":"match","trade_id":"ten","sequence":5,"product_id":"BTC-USDT","price":1.5}',
    b'{"type":"ticker","sequence":2,"product_id":"BTC-USDT","price":null}',
)


@dataclass(frozen=True, slots=True)
class CoinbaseSimConfig:
    """Knobs of one simulator; the defaults are Coinbase's own figures."""

    symbols: int = 300
    rate: float = 1000.0
    seed: int | None = None
    heartbeat_s: float = 1.0
    tick_s: float = 0.01
    subscribe_within_s: float = 5.0
    rest_per_s: int = 15  # 10/s with bursts of 15: a sliding second of 15
    ping_interval_s: float = 20.0


# One trade: (product, sequence, price, trade time ms).
TradeRecord = tuple[str, int, str, int]


@dataclass(slots=True)
class _Product:
    pid: str
    symbol: str  # the SimMarket's name (BTCUSDT)
    sequence: int = 0
    trade_id: int = 0
    last: Trade | None = None
    last_sequence: int = 0


class _Client:
    __slots__ = ("channels", "cid", "conn", "outbox", "overflowed", "wake")

    def __init__(self, cid: int, conn: ServerConnection) -> None:
        self.cid = cid
        self.conn = conn
        self.channels: dict[str, set[str]] = {name: set() for name in wire.CHANNELS}
        self.outbox: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.overflowed = False

    def push(self, frame: bytes) -> None:
        if len(self.outbox) >= MAX_OUTBOX:
            self.overflowed = True
        else:
            self.outbox.append(frame)
        self.wake.set()


class CoinbaseSimulator:
    """A Coinbase Exchange look-alike market on `host:port` (port 0: any free port)."""

    def __init__(
        self, config: CoinbaseSimConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or CoinbaseSimConfig()
        self.host = host
        self.port = port
        self.rate = self.config.rate
        self.market = SimMarket(self.config.symbols, self.config.seed, now_ms())
        self.products: dict[str, _Product] = {}
        for m in self.market.markets.values():
            pid = wire.product_id(m)
            self.products[pid] = _Product(pid, m.symbol)
        self._by_symbol = {p.symbol: p for p in self.products.values()}
        self.faults = Faults()
        self._rest_limit = SlidingLimit(self.config.rest_per_s, 1.0)
        self._clients: dict[int, _Client] = {}
        self._ids = itertools.count(1)
        self._garbage = itertools.cycle(GARBAGE)
        self._server: Server | None = None
        self._engine: asyncio.Task[None] | None = None
        self.handshakes = 0
        self.frames_sent = 0
        self.rest_calls: dict[str, int] = {}
        self.requests: dict[str, int] = {}
        # Every trade made, sent or withheld: (product, sequence, price, time ms).
        self.trades: list[TradeRecord] = []
        self.handshake_times: list[float] = []  # monotonic, of every handshake attempted

    # ---- addresses and life cycle -------------------------------------------------------------

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def product_ids(self) -> list[str]:
        return list(self.products)

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
        self._engine = asyncio.create_task(self._run_engine(), name="coinbase-sim-engine")
        log.info("coinbase_simulator_listening", url=self.ws_url, products=len(self.products))

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
    async def running(self) -> AsyncIterator[CoinbaseSimulator]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    # ---- controls -----------------------------------------------------------------------------

    def subscriptions(self) -> dict[int, dict[str, set[str]]]:
        return {cid: {k: set(v) for k, v in c.channels.items()} for cid, c in self._clients.items()}

    async def drop(self, timeout: float = 5.0) -> None:
        """Cut every feed connection at the TCP level, and wait until they are gone."""
        dropped = set(self._clients)
        for client in list(self._clients.values()):
            client.conn.transport.abort()
        async with asyncio.timeout(timeout):
            while dropped & set(self._clients):
                await asyncio.sleep(0.01)

    def silence(self, seconds: float) -> None:
        self.faults.silent_until = time.monotonic() + seconds

    def garbage(self, count: int = 1) -> None:
        for client in self._clients.values():
            for _ in range(count):
                client.push(next(self._garbage))

    def gap(self, pid: str, count: int = 1) -> None:
        """A burst of `count` + 1 trades of `pid` in one millisecond (a cascade of matches):
        the last is sent, the first `count` are lost, then the first of them arrives late."""
        if pid not in self.products:
            raise FaultError(f"unknown product {pid!r}")
        if count < 1:
            raise FaultError("count must be at least 1")
        p = self.products[pid]
        t_ms = now_ms()
        burst = [self._make(p, t_ms) for _ in range(count + 1)]
        self._send(pid, burst[-1])
        self._send(pid, burst[0])

    def set_status(self, pid: str, status: str | None) -> None:
        """TRADING, or anything else (offline, trading disabled: no trades), or None (gone)."""
        if pid not in self.products:
            raise FaultError(f"unknown product {pid!r}")
        symbol = self.products[pid].symbol
        if status is None:
            self.market.status.pop(symbol, None)
        else:
            self.market.status[symbol] = status

    def state(self) -> dict[str, Any]:
        return {
            "products": len(self.products),
            "rate": self.rate,
            "trades": self.market.total_trades,
            "frames_sent": self.frames_sent,
            "handshakes": self.handshakes,
            "connections": [
                {"id": c.cid, "channels": {k: sorted(v) for k, v in c.channels.items()}}
                for c in self._clients.values()
            ],
            "faults": self.faults.describe(),
            "rest_calls": dict(self.rest_calls),
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
                return Reply(404, b'{"message":"unknown control"}', [])
        except (FaultError, KeyError, ValueError) as exc:
            return Reply(400, orjson.dumps({"message": str(exc)}), [])
        log.info("coinbase_simulator_control", path=path, **query)
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
        elif kind == "gap":
            self.gap(query["product"], int(query.get("count", "1")))
        elif kind == "status":
            self.set_status(query["product"], query.get("status"))
        elif kind == "clear":
            self.faults.clear()
        elif kind in ("ws_status", "rest_status"):
            self.faults.http[kind[:-7]] = http_fault_from_query(query)
        else:
            raise FaultError(f"unknown fault kind {kind!r}")

    # ---- HTTP ---------------------------------------------------------------------------------

    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        if parts.path.startswith("/sim/"):
            return _response(self._control(parts.path, query))
        if parts.path.startswith("/products"):
            return _response(self._rest(parts.path, query))
        if parts.path == "/":
            self.handshakes += 1
            self.handshake_times.append(time.monotonic())
            fault = self.faults.take("ws")
            return None if fault is None else _response(_fault_reply(fault))
        return _response(Reply(404, b'{"message":"NotFound"}', []))

    def _rest(self, path: str, query: dict[str, str]) -> Reply:
        parts = path.strip("/").split("/")
        endpoint = parts[2] if len(parts) > 2 else parts[0]
        self.rest_calls[endpoint] = self.rest_calls.get(endpoint, 0) + 1
        fault = self.faults.take("rest")
        if fault is not None:
            return _fault_reply(fault)
        if self._rest_limit.hit() is not None:
            return Reply(429, b'{"message":"Public rate limit exceeded"}', [])
        now = now_ms()
        if len(parts) == 1:
            rows = [
                wire.product_row(self.market.markets[p.symbol], self.market.status.get(p.symbol))
                for p in self.products.values()
                if p.symbol in self.market.status
            ]
            return Reply(200, orjson.dumps(rows), [])
        product = self.products.get(parts[1])
        if product is None or len(parts) != 3:
            return Reply(404, b'{"message":"NotFound"}', [])
        m = self.market.markets[product.symbol]
        if endpoint == "stats":
            return Reply(200, orjson.dumps(wire.stats(self.market.stats(m.symbol, now))), [])
        if endpoint == "ticker":
            last = product.last.time_ms if product.last else now
            body = wire.rest_ticker(m, product.trade_id, last)
            return Reply(200, orjson.dumps(body), [])
        if endpoint == "book":
            return Reply(200, orjson.dumps(wire.book_top(m, product.sequence, now)), [])
        if endpoint == "candles":
            return self._candles(product, query, now)
        return Reply(404, b'{"message":"NotFound"}', [])

    def _candles(self, product: _Product, query: dict[str, str], now: int) -> Reply:
        try:
            granularity = int(query.get("granularity", "60"))
        except ValueError:
            granularity = 0
        interval = wire.GRANULARITIES.get(granularity)
        if interval is None:
            return Reply(400, b'{"message":"Unsupported granularity"}', [])
        span = granularity * 1000
        if "start" not in query or "end" not in query:  # Coinbase: a range ending now
            candles = self.market.candles(product.symbol, interval, now, wire.MAX_CANDLES)
            return Reply(200, wire.candle_rows(candles), [])
        try:
            start = _iso_ms(query["start"])
            end = min(_iso_ms(query["end"]), now)
        except ValueError:
            return Reply(400, b'{"message":"Invalid start or end"}', [])
        count = (end - start) // span + 1
        if count > wire.MAX_CANDLES:
            return Reply(
                400, b'{"message":"granularity too small for the requested time range"}', []
            )
        if count < 1:
            return Reply(200, b"[]", [])
        candles = self.market.candles(product.symbol, interval, now, count, start, end)
        return Reply(200, wire.candle_rows(candles), [])

    # ---- the feed -----------------------------------------------------------------------------

    async def _handle(self, conn: ServerConnection) -> None:
        client = _Client(next(self._ids), conn)
        self._clients[client.cid] = client
        writer = asyncio.create_task(self._write(client), name=f"coinbase-sim-write-{client.cid}")
        try:
            await self._read(client)
        except ConnectionClosed:
            pass
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            del self._clients[client.cid]

    async def _read(self, client: _Client) -> None:
        conn = client.conn
        subscribed = False
        deadline = time.monotonic() + self.config.subscribe_within_s
        while True:
            timeout = None if subscribed else max(deadline - time.monotonic(), 0.0)
            try:
                async with asyncio.timeout(timeout):
                    message = await conn.recv()
            except TimeoutError:
                # Coinbase: no subscribe within 5 s, no feed.
                await conn.close(1000, "no subscribe message received")
                return
            try:
                req = wire.parse_request(message)
            except wire.SubscribeError as exc:
                client.push(wire.error(str(exc), "bad request"))
                continue
            self.requests[req.kind] = self.requests.get(req.kind, 0) + 1
            unknown = sorted({p for ids in req.channels.values() for p in ids} - set(self.products))
            bad_channel = sorted(set(req.channels) - set(wire.CHANNELS))
            if unknown or bad_channel:
                reason = f"{(unknown or bad_channel)[0]} is not a valid product or channel"
                client.push(wire.error("Failed to subscribe", reason))
                continue
            new_matches: set[str] = set()
            for name, ids in req.channels.items():
                if req.kind == "subscribe":
                    if name == "matches":
                        new_matches = set(ids) - client.channels[name]
                    client.channels[name].update(ids)
                else:
                    client.channels[name].difference_update(ids)
            subscribed = True
            client.push(wire.subscriptions(client.channels))
            self._last_matches(client, new_matches)

    def _last_matches(self, client: _Client, pids: set[str]) -> None:
        for pid in sorted(pids):
            p = self.products[pid]
            if p.last is not None:
                client.push(wire.match(pid, p.last, p.last_sequence, p.trade_id, last=True))

    async def _write(self, client: _Client) -> None:
        conn = client.conn
        with contextlib.suppress(ConnectionClosed):
            while True:
                await client.wake.wait()
                client.wake.clear()
                if client.overflowed:
                    await conn.close(1008, "ErrSlowConsume")
                    return
                while client.outbox:
                    await conn.send(client.outbox.popleft(), text=True)
                    self.frames_sent += 1

    async def _run_engine(self) -> None:
        c = self.config
        loop = asyncio.get_running_loop()
        last = loop.time()
        next_beat = last + c.heartbeat_s
        carry = 0.0
        while True:
            await asyncio.sleep(c.tick_s)
            now = loop.time()
            carry = min(carry + self.rate * (now - last), max(self.rate, 1.0))
            last = now
            count = int(carry)
            carry -= count
            if count:
                self._trade(count)
            if now >= next_beat:
                next_beat = max(next_beat + c.heartbeat_s, now)
                self._heartbeats()

    def _trade(self, count: int) -> None:
        t_ms = now_ms()
        status = self.market.status
        for symbol in self.market.pick(count):
            if status.get(symbol) == "TRADING":
                p = self._by_symbol[symbol]
                self._send(p.pid, self._make(p, t_ms))

    def _make(self, p: _Product, t_ms: int) -> list[bytes]:
        """One trade of `p`: its match and ticker frames (not sent yet)."""
        trade = self.market.trade(p.symbol, t_ms, self.rate)
        p.sequence += 1 + self.market.rng.randrange(3)  # the full feed's other messages
        p.trade_id += 1
        p.last, p.last_sequence = trade, p.sequence
        self.trades.append((p.pid, p.sequence, dec(trade.price), trade.time_ms))
        m = self.market.markets[p.symbol]
        stats = self.market.stats(p.symbol, t_ms)
        return [
            wire.match(p.pid, trade, p.sequence, p.trade_id),
            wire.ticker(p.pid, trade, stats, m.asset.tick, p.sequence, p.trade_id),
        ]

    def _send(self, pid: str, frames: list[bytes]) -> None:
        if self.faults.silent:
            return
        match_frame, ticker_frame = frames
        for client in self._clients.values():
            if pid in client.channels["matches"]:
                client.push(match_frame)
            if pid in client.channels["ticker"]:
                client.push(ticker_frame)

    def _heartbeats(self) -> None:
        if self.faults.silent:
            return
        t_ms = now_ms()
        for client in self._clients.values():
            for pid in client.channels["heartbeat"]:
                p = self.products[pid]
                client.push(wire.heartbeat(pid, p.sequence, p.trade_id, t_ms))


def _iso_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _fault_reply(fault: HttpFault) -> Reply:
    headers = []
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(math.ceil(fault.retry_after))))
    messages = {
        429: "Public rate limit exceeded",
        403: "Forbidden: not available in your region",
        451: "Unavailable for legal reasons",
        503: "Service unavailable: scheduled maintenance",
    }
    body = {"message": messages.get(fault.status, f"simulated HTTP {fault.status}")}
    return Reply(fault.status, orjson.dumps(body), headers)


def _response(reply: Reply) -> Response:
    status = http.HTTPStatus(reply.status)
    headers = Headers(
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(reply.body))),
            ("Connection", "close"),
            *reply.headers,
        ]
    )
    return Response(status.value, status.phrase, headers, reply.body)


async def _serve(sim: CoinbaseSimulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with sim.running():
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description="A Coinbase Exchange look-alike market.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9444)
    parser.add_argument("--symbols", type=int, default=300)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    config = CoinbaseSimConfig(symbols=args.symbols, rate=args.rate, seed=args.seed)
    asyncio.run(_serve(CoinbaseSimulator(config, args.host, args.port)))


if __name__ == "__main__":
    main()
