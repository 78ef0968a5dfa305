"""The simulator's HTTP side: Binance's REST market-data endpoints and CoinGecko's API (its
answers in `coingecko.py`), with their rate limits and error bodies. A pure function of a
request path to a status, a JSON body and headers; the server only moves bytes."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

import orjson

from cryptotracker.simulator import frames
from cryptotracker.simulator.coingecko import IMAGES_PREFIX, CoinGeckoSim
from cryptotracker.simulator.faults import RESTRICTED_MSG, Faults, HttpFault, SlidingLimit
from cryptotracker.simulator.market import INTERVAL_MS, SimMarket
from cryptotracker.simulator.reply import Reply
from cryptotracker.simulator.reply import json_reply as _json

BINANCE_PREFIX: Final = "/api/v3/"
COINGECKO_PREFIX: Final = "/coingecko/api/v3/"
# Binance: 6000 request weight per minute per IP; weights of the endpoints served here.
WEIGHT_PER_MIN: Final = 6000
_WEIGHTS: Final = {
    "exchangeInfo": 20, "ticker/24hr": 80, "klines": 2, "ping": 1, "time": 1,
    "ticker/bookTicker": 2, "aggTrades": 4,
}  # fmt: skip
# CoinGecko's free tier: about 30 calls per minute.
COINGECKO_CALLS_PER_MIN: Final = 30


def _binance_error(status: int, code: int, msg: str) -> Reply:
    return _json(status, {"code": code, "msg": msg})


def fault_reply(fault: HttpFault, target: str) -> Reply:
    headers = []
    if fault.retry_after is not None:
        headers.append(("Retry-After", str(math.ceil(fault.retry_after))))
    if target == "coingecko":
        body: dict[str, Any] = {
            "status": {"error_code": fault.status, "error_message": "simulated fault"}
        }
    elif fault.status == 451:
        body = {"code": 0, "msg": RESTRICTED_MSG}
    elif fault.status in (418, 429):
        body = {"code": -1003, "msg": "Too many requests; simulated fault."}
    else:
        body = {"code": -1000, "msg": f"simulated HTTP {fault.status}"}
    return _json(fault.status, body, headers)


class RestApi:
    """Answers GETs under /api/v3/ and /coingecko/api/v3/."""

    def __init__(
        self,
        market: SimMarket,
        faults: Faults,
        *,
        weight_per_min: int = WEIGHT_PER_MIN,
        coingecko_per_min: int = COINGECKO_CALLS_PER_MIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.market = market
        self.faults = faults
        self.weight_per_min = weight_per_min
        self._weight = SlidingLimit(weight_per_min, 60.0, clock)
        self._coingecko = SlidingLimit(coingecko_per_min, 60.0, clock)
        self.coingecko = CoinGeckoSim(market)
        self.calls: dict[str, int] = {}

    def handles(self, path: str) -> bool:
        return path.startswith((BINANCE_PREFIX, COINGECKO_PREFIX, IMAGES_PREFIX))

    def get(self, target: str, now_ms: int) -> Reply:
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        path = parts.path
        if path.startswith(IMAGES_PREFIX):  # CoinGecko's image host: no API rate limit
            return self.coingecko.image(path)
        if path.startswith(COINGECKO_PREFIX):
            return self._coingecko_get(path[len(COINGECKO_PREFIX) :], query, now_ms)
        return self._binance_get(path[len(BINANCE_PREFIX) :], query, now_ms)

    # ---- Binance --------------------------------------------------------------------------

    def _binance_get(self, endpoint: str, query: dict[str, str], now_ms: int) -> Reply:
        self.calls[endpoint] = self.calls.get(endpoint, 0) + 1
        fault = self.faults.take("rest")
        if fault is not None:
            return fault_reply(fault, "rest")
        if endpoint not in _WEIGHTS:
            return _binance_error(404, -1000, f"unknown endpoint /api/v3/{endpoint}")
        weight = _WEIGHTS[endpoint]
        if endpoint == "ticker/24hr" and ("symbol" in query or "symbols" in query):
            weight = 2
        wait = self._weight.hit(weight)
        if wait is not None:
            msg = (
                f"Too much request weight used; current limit is {self.weight_per_min} "
                "request weight per 1 MINUTE."
            )
            reply = _binance_error(429, -1003, msg)
            reply.headers.append(("Retry-After", str(math.ceil(wait))))
            return reply
        headers = [("X-MBX-USED-WEIGHT-1M", str(self._weight.used))]
        if endpoint == "ping":
            return _json(200, {}, headers)
        if endpoint == "time":
            return _json(200, {"serverTime": now_ms}, headers)
        if endpoint == "exchangeInfo":
            listed = [
                (self.market.markets[s].asset, self.market.status[s])
                for s in self._symbols(query) or []
            ]
            return _json(200, frames.exchange_info(listed, now_ms, self.weight_per_min), headers)
        if endpoint == "ticker/24hr":
            return self._ticker(query, now_ms, headers)
        if endpoint in ("ticker/bookTicker", "aggTrades"):
            return self._top(endpoint, query, headers)
        return self._klines(query, now_ms, headers)

    def _top(self, endpoint: str, query: dict[str, str], headers: list[tuple[str, str]]) -> Reply:
        """One market's book ticker, or its newest trade (`aggTrades`, any limit: one row)."""
        market = self.market.markets.get(query.get("symbol", ""))
        if market is None or market.symbol not in self.market.status:
            return _binance_error(400, -1121, "Invalid symbol.")
        if endpoint == "aggTrades":
            trade = market.last_trade
            return _json(200, [frames.agg_trade_row(trade)] if trade else [], headers)
        book = frames.book_ticker(market.symbol, market.price, market.last_qty, market.asset.tick)
        return _json(200, book, headers)

    def _symbols(self, query: dict[str, str]) -> list[str] | None:
        """`symbol=X` or `symbols=["X","Y"]`, all listed when neither; None if one is not
        listed."""
        if "symbol" in query:
            names = [query["symbol"]]
        elif "symbols" in query:
            try:
                names = orjson.loads(query["symbols"])
            except orjson.JSONDecodeError:
                return None
            if not isinstance(names, list):
                return None
        else:
            return [s for s in self.market.symbols if s in self.market.status]
        if not all(isinstance(n, str) and n in self.market.status for n in names):
            return None
        return [str(n) for n in names]

    def _ticker(self, query: dict[str, str], now_ms: int, headers: list[tuple[str, str]]) -> Reply:
        symbols = self._symbols(query)
        if symbols is None:
            return _binance_error(400, -1121, "Invalid symbol.")
        m = self.market
        rows = [frames.ticker_24hr(s, m.stats(s, now_ms), m.markets[s].asset.tick) for s in symbols]
        return _json(200, rows[0] if "symbol" in query else rows, headers)

    def _klines(self, query: dict[str, str], now_ms: int, headers: list[tuple[str, str]]) -> Reply:
        symbol = query.get("symbol", "")
        if symbol not in self.market.markets:
            return _binance_error(400, -1121, "Invalid symbol.")
        interval = query.get("interval", "")
        if interval not in INTERVAL_MS:
            return _binance_error(400, -1120, "Invalid interval.")
        try:
            limit = int(query.get("limit", "500"))
            start = int(query["startTime"]) if "startTime" in query else None
            end = int(query["endTime"]) if "endTime" in query else None
        except ValueError:
            return _binance_error(400, -1100, "Illegal characters found in a parameter.")
        if not 1 <= limit <= 1000:
            return _binance_error(400, -1130, "Invalid data sent for a parameter: limit.")
        candles = self.market.candles(symbol, interval, now_ms, limit, start, end)
        return _json(200, [frames.kline_row(c) for c in candles], headers)

    # ---- CoinGecko ------------------------------------------------------------------------

    def _coingecko_get(self, endpoint: str, query: dict[str, str], now_ms: int) -> Reply:
        self.calls["coingecko/" + endpoint] = self.calls.get("coingecko/" + endpoint, 0) + 1
        fault = self.faults.take("coingecko")
        if fault is not None:
            return fault_reply(fault, "coingecko")
        wait = self._coingecko.hit()
        if wait is not None:
            body = {
                "status": {"error_code": 429, "error_message": "You've exceeded the Rate Limit."}
            }
            return _json(429, body, [("Retry-After", str(math.ceil(wait)))])
        return self.coingecko.api(endpoint, query, now_ms)
