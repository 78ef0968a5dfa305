"""Run a whole tracker instance (its HTTP server, in the test's event loop) on a free port."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import socketio

from cryptotracker.app import ExchangeSide, Server, Tracker
from cryptotracker.protocol import CandleDict, StatusDict, SymbolInfo
from cryptotracker.settings import Settings
from tests.support import free_port, wait_for


class QuietExchange:
    """An exchange side that sends nothing: for tests of the gateway alone, which feed the
    aggregator themselves. Records the demand the gateway passes on."""

    def __init__(self, symbols: list[str]) -> None:
        self._symbols = [
            SymbolInfo(symbol=s, base_asset=s[:-4], quote_asset="USDT") for s in symbols
        ]
        self.demand: tuple[frozenset[str], frozenset[tuple[str, str]]] = (frozenset(), frozenset())
        self.demand_calls = 0

    async def run(self) -> None:
        await asyncio.Event().wait()

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        self.demand = (symbols, candles)
        self.demand_calls += 1

    def symbols(self) -> list[SymbolInfo]:
        return self._symbols

    def replace_symbols(self, symbols: list[str]) -> None:
        """A new listing, as a new list (as each exchangeInfo reading is)."""
        self._symbols = [
            SymbolInfo(symbol=s, base_asset=s[:-4], quote_asset="USDT") for s in symbols
        ]

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        return []

    def status(self) -> StatusDict:
        return {
            "status": "connected",
            "message": "test feed",
            "timestamp": 0,
            "source": "simulator",
            "live": False,
        }

    def circuit(self) -> str:
        return "closed"


@contextlib.asynccontextmanager
async def serve(
    settings: Settings | None = None, exchange: ExchangeSide | None = None, **overrides: Any
) -> AsyncIterator[tuple[Tracker, str]]:
    """Start a tracker; yields it and its base URL. Stops it on exit."""
    port = free_port()
    # No coin metadata unless a test asks: it would call CoinGecko, which tests never reach.
    settings = settings or Settings(port=port, **{"asset_metadata": False, **overrides})
    tracker = Tracker(settings, exchange=exchange)
    server = Server(settings, tracker)
    async with asyncio.timeout(15):
        await server.start()
    try:
        yield tracker, f"http://127.0.0.1:{server.port}"
    finally:
        async with asyncio.timeout(15):
            await server.stop()


class Recorder:
    """A real python-socketio client that records every event it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self.sio.on("*", self._record)

    async def _record(self, event: str, data: Any = None) -> None:
        self.events.append((event, data))

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def connect(self, url: str, transports: list[str] | None = None) -> None:
        await self.sio.connect(url, transports=transports or ["websocket"], wait_timeout=10)

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(event, data, timeout=10)

    async def wait(self, event: str, count: int = 1, timeout: float = 10) -> list[Any]:
        await wait_for(lambda: len(self.of(event)) >= count, timeout, f"{count}x {event}")
        return self.of(event)

    async def close(self) -> None:
        await self.sio.disconnect()
