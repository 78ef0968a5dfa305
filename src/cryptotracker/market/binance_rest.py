"""Binance's REST market-data endpoints (exchangeInfo, ticker/24hr, klines, time) over httpx.

Every failure, transport or HTTP status, becomes a `RestError` carrying the status and any
Retry-After, so the provider can back off (429/418) or give up until the breaker probes (451).

Binance documents several REST hosts (developers.binance.com/docs/binance-spot-api-docs/rest-api,
"General API Information": api.binance.com, api-gcp.binance.com, api1..api4.binance.com, the
last four "better performance but less stability"; and data-api.binance.vision for the public
market data this tracker reads, its "Market Data Only" page listing exchangeInfo, klines,
ticker/24hr, time and ping). A call whose host cannot be reached, times out or answers 5xx
(Binance's side) is sent to the next host at once, each host at most once per call; a 429, 418
or 451 is not a host failure (the limits and bans are the address's, on every host).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx
import orjson
import structlog

from cryptotracker.clock import now_ms
from cryptotracker.market.feed import MarketUnavailableError
from cryptotracker.market.hosts import Hosts
from cryptotracker.market.listings import Listing, parse_exchange_info
from cryptotracker.market.normalize import NormalizeError, rest_klines_to_candles
from cryptotracker.market.request_weight import WEIGHTS, RequestWeight
from cryptotracker.metrics import (
    BINANCE_REST_HELD,
    BINANCE_REST_HOST_FAILOVERS,
    BINANCE_WEIGHT_USED,
)
from cryptotracker.protocol import CandleDict, Source

log = structlog.get_logger(__name__)

USED_WEIGHT = "X-MBX-USED-WEIGHT-1M"


class RestError(MarketUnavailableError):
    """A REST call failed: `status` is None for transport errors (refused, timeout, DNS)."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        unreachable: bool = False,
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.unreachable = unreachable  # no answer at all: refused, timed out, DNS, TLS

    @property
    def host_failed(self) -> bool:
        """The host, not the address, is at fault: another host may answer."""
        return self.unreachable or (self.status is not None and self.status >= 500)


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


async def get_json(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, Any],
    budget: RequestWeight | None = None,
    weight: int = 1,
) -> Any:
    """GET and decode JSON; any failure is a `RestError`. With a `budget`, the call is sent
    only within it (else a `RestError` with the wait as retry_after) and the answer's weight
    header and limits are reported to it."""
    if budget is not None:
        _spend(budget, path, weight)
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as exc:
        why = f"GET {path}: {type(exc).__name__}: {exc}"
        raise RestError(why, unreachable=isinstance(exc, httpx.TransportError)) from exc
    retry_after = retry_after_s(response.headers.get("Retry-After"))
    if budget is not None:
        budget.observe(response.status_code, response.headers.get(USED_WEIGHT), retry_after)
        BINANCE_WEIGHT_USED.set(budget.used)
        if response.status_code in (418, 429):
            log.warning(
                "binance_rest_limited",
                status=response.status_code,
                path=path,
                retry_after_s=retry_after,
            )
    if response.status_code != 200:
        raise RestError(
            f"GET {path}: HTTP {response.status_code}",
            status=response.status_code,
            retry_after=retry_after,
        )
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise RestError(f"GET {path}: invalid JSON") from exc


_WHY: Final = {
    "budget": "request weight budget for this minute spent",
    "limited": "rate limited by Binance (429)",
    "banned": "address banned by Binance (418)",
}


def _spend(budget: RequestWeight, path: str, weight: int) -> None:
    hold = budget.spend(weight)
    BINANCE_WEIGHT_USED.set(budget.used)
    if hold is not None:
        BINANCE_REST_HELD.labels(hold.reason).inc()
        raise RestError(
            f"GET {path}: not sent, {_WHY[hold.reason]}; {hold.wait_s:.0f} s to wait",
            retry_after=hold.wait_s,
        )


class BinanceRest:
    """The REST calls the tracker makes, on a client the caller owns, to `hosts` (their current
    one first), within `budget` (one per exchange address, shared by every client of it);
    `exchange_ms` is the exchange's clock, which decides whether a candle is closed."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        source: Source,
        budget: RequestWeight,
        exchange_ms: Callable[[], int] = now_ms,
        hosts: Hosts | None = None,
    ) -> None:
        self._client = client
        self._source = source
        self._budget = budget
        self._exchange_ms = exchange_ms
        # None: the client's own base_url is the only host.
        self._hosts = hosts

    async def _get(self, endpoint: str, params: dict[str, Any]) -> Any:
        path = f"/api/v3/{endpoint}"
        weight = WEIGHTS[endpoint]
        hosts = self._hosts
        if hosts is None:
            return await get_json(self._client, path, params, self._budget, weight)
        tried = 0
        while True:
            host = hosts.current
            try:
                return await get_json(self._client, host + path, params, self._budget, weight)
            except RestError as exc:
                tried += 1
                if not exc.host_failed or len(hosts) == 1 or tried >= len(hosts):
                    raise
                hosts.failed(host)  # unless a concurrent call moved on already
                BINANCE_REST_HOST_FAILOVERS.inc()
                log.warning("rest_host_failover", failed=host, next=hosts.current, error=str(exc))

    async def exchange_info(self, quote_assets: Iterable[str]) -> list[Listing]:
        """Markets against one of `quote_assets`, whatever their status, sorted."""
        listings = parse_exchange_info(await self._get("exchangeInfo", {}), quote_assets)
        if listings is None:
            raise RestError("exchangeInfo: no symbols list")
        return listings

    async def ticker_24hr(self) -> list[dict[str, Any]]:
        """24 h statistics of every symbol (the start-up snapshot)."""
        body = await self._get("ticker/24hr", {})
        if not isinstance(body, list):
            raise RestError("ticker/24hr: expected a list")
        return [row for row in body if isinstance(row, dict)]

    async def server_time(self) -> int:
        """`/api/v3/time`: the exchange's clock in epoch milliseconds."""
        body = await self._get("time", {})
        server_ms = body.get("serverTime") if isinstance(body, dict) else None
        if type(server_ms) is not int:
            raise RestError("time: no integer serverTime")
        return server_ms

    async def book_ticker(self, symbol: str) -> Any:
        """One market's best bid and ask (`ticker/bookTicker`), as Binance wrote them."""
        return await self._get("ticker/bookTicker", {"symbol": symbol})

    async def agg_trades(self, symbol: str, limit: int) -> Any:
        """One market's newest `limit` aggregate trades, as Binance wrote them."""
        return await self._get("aggTrades", {"symbol": symbol, "limit": limit})

    async def klines(
        self, symbol: str, interval: str, limit: int, start_ms: int | None = None
    ) -> list[CandleDict]:
        """The last `limit` candles, or the first `limit` from `start_ms`."""
        params: dict[str, Any] = {"symbol": symbol, "interval": interval, "limit": limit}
        if start_ms is not None:
            params["startTime"] = start_ms
        body = await self._get("klines", params)
        try:
            now = self._exchange_ms()
            return rest_klines_to_candles(body, symbol, interval, self._source, now)
        except NormalizeError as exc:
            raise RestError(f"klines: {exc}") from exc
