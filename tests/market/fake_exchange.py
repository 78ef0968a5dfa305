"""A small scripted Binance look-alike (WebSocket + REST + CoinGecko on one port) for tests
that need exact control of frames; broad behaviour is tested against the real simulator."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from tests.support import free_port

SYMBOLS = ("BTCUSDT", "ETHUSDT", "SHIBUSDT")


def mini_ticker(symbol: str, close: str, event_time: int) -> dict[str, Any]:
    return {
        "e": "24hrMiniTicker",
        "E": event_time,
        "s": symbol,
        "c": close,
        "o": "100.00000000",
        "h": "200.00000000",
        "l": "50.00000000",
        "v": "10.00000000",
        "q": "98765432101.12345678",
    }


class FakeExchange:
    """Pushes a `!miniTicker@arr` frame every `tick_s` and an aggTrade per subscribed symbol;
    answers SUBSCRIBE/UNSUBSCRIBE; faults are attributes the test sets."""

    def __init__(self, tick_s: float = 0.05) -> None:
        self.port = free_port()
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.rest_url = f"http://127.0.0.1:{self.port}"
        self.coingecko_url = f"{self.rest_url}/coingecko/api/v3"
        self.tick_s = tick_s
        self.connections: set[ServerConnection] = set()
        self.subscribed: dict[ServerConnection, set[str]] = {}
        self.connects = 0
        self.requests: list[dict[str, Any]] = []
        self.rest_calls: list[str] = []
        # faults
        self.ws_status: int | None = None  # reject handshakes with this HTTP status
        self.rest_status: int | None = None
        self.coingecko_status: int | None = None
        self.silent = False
        self.coingecko_prices: dict[str, float] = {"bitcoin": 67187.34, "ethereum": 3012.5}
        self._seq = 0
        self._server: Server | None = None

    def streams(self) -> set[str]:
        return set().union(*self.subscribed.values()) if self.subscribed else set()

    # ---- HTTP ---------------------------------------------------------------------------------

    def _json(self, conn: ServerConnection, body: Any, status: int = 200) -> Response:
        response = conn.respond(status, "")
        payload = orjson.dumps(body)
        response.body = payload
        response.headers = Headers(
            [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return response

    def _process(self, conn: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == "/stream":
            self.connects += 1
            if self.ws_status is not None:
                response = conn.respond(self.ws_status, "rejected\n")
                response.headers["Retry-After"] = "0"
                return response
            return None
        self.rest_calls.append(request.path)
        if path.startswith("/coingecko/"):
            if self.coingecko_status is not None:
                response = self._json(conn, {"error": "nope"}, self.coingecko_status)
                if self.coingecko_status == 429:
                    response.headers["Retry-After"] = "7"
                return response
            ids = parse_qs(urlsplit(request.path).query).get("ids", [""])[0].split(",")
            rows = [
                {
                    "id": cid,
                    "current_price": price,
                    "high_24h": price * 1.1,
                    "low_24h": price * 0.9,
                    "price_change_percentage_24h": 1.5,
                    "total_volume": 1e9,
                    "last_updated": "2024-05-01T12:00:00.000Z",
                }
                for cid, price in self.coingecko_prices.items()
                if cid in ids
            ]
            return self._json(conn, rows)
        if self.rest_status is not None:
            return self._json(conn, {"code": -1, "msg": "fault"}, self.rest_status)
        if path == "/api/v3/exchangeInfo":
            symbols = [
                {"symbol": s, "status": "TRADING", "baseAsset": s[:-4], "quoteAsset": "USDT"}
                for s in SYMBOLS
            ]
            symbols.append(
                {"symbol": "ETHBTC", "status": "TRADING", "baseAsset": "ETH", "quoteAsset": "BTC"}
            )
            return self._json(conn, {"symbols": symbols})
        if path == "/api/v3/ticker/24hr":
            rows = [
                {
                    "symbol": s,
                    "lastPrice": "110.00000000",
                    "openPrice": "100.00000000",
                    "highPrice": "120.00000000",
                    "lowPrice": "90.00000000",
                    "quoteVolume": "1000.00000000",
                    "closeTime": 1,
                }
                for s in SYMBOLS
            ]
            return self._json(conn, rows)
        if path == "/api/v3/klines":
            row = [1, "1.0", "2.0", "0.5", "1.5", "10.0", 2, "15.0", 3, "5", "7", "0"]
            return self._json(conn, [row])
        return self._json(conn, {"code": -1, "msg": "not found"}, 404)

    # ---- WebSocket -----------------------------------------------------------------------------

    async def _handler(self, conn: ServerConnection) -> None:
        query = parse_qs(urlsplit(conn.request.path if conn.request else "").query)
        streams = set(query.get("streams", [""])[0].split("/")) - {""}
        self.connections.add(conn)
        self.subscribed[conn] = streams
        pusher = asyncio.create_task(self._push(conn))
        try:
            async for message in conn:
                body = orjson.loads(message)
                self.requests.append(body)
                if body.get("method") == "SUBSCRIBE":
                    self.subscribed[conn].update(body["params"])
                elif body.get("method") == "UNSUBSCRIBE":
                    self.subscribed[conn].difference_update(body["params"])
                await conn.send(orjson.dumps({"result": None, "id": body["id"]}).decode())
        except ConnectionClosed:
            pass  # a dropped client is what some tests want
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
            self.connections.discard(conn)
            self.subscribed.pop(conn, None)

    async def _push(self, conn: ServerConnection) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            if self.silent:
                continue
            self._seq += 1
            now = 1_700_000_000_000 + self._seq
            streams = self.subscribed.get(conn, set())
            if "!miniTicker@arr" in streams:
                rows = [mini_ticker(s, f"{100 + self._seq % 50}.00000000", now) for s in SYMBOLS]
                rows[2] = dict(rows[2], c="0.00001234", o="0.00001200")
                await conn.send(orjson.dumps({"stream": "!miniTicker@arr", "data": rows}).decode())
            for stream in sorted(streams):
                if stream.endswith("@aggTrade"):
                    data = {"e": "aggTrade", "E": now, "s": stream.split("@")[0].upper(),
                            "a": self._seq, "p": f"{200 + self._seq % 7}.5", "q": "1",
                            "f": 1, "l": 1, "T": now, "m": True, "M": True}  # fmt: skip
                    await conn.send(orjson.dumps({"stream": stream, "data": data}).decode())

    async def send_all(self, payload: str | bytes) -> None:
        for conn in list(self.connections):
            await conn.send(payload if isinstance(payload, str) else payload.decode())

    async def shutdown_notice(self) -> None:
        frame = {"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": 1}}
        await self.send_all(orjson.dumps(frame))

    async def drop(self) -> None:
        for conn in list(self.connections):
            conn.transport.abort()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[FakeExchange]:
        async with serve(
            self._handler, "127.0.0.1", self.port, process_request=self._process
        ) as server:
            self._server = server
            yield self
