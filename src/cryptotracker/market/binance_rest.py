"""Binance's REST market-data endpoints (exchangeInfo, ticker/24hr, klines) over httpx.

Every failure, transport or HTTP status, becomes a `RestError` carrying the status and any
Retry-After, so the provider can back off (429/418) or give up until the breaker probes (451).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import orjson
import structlog

from cryptotracker.market.feed import MarketUnavailableError
from cryptotracker.market.normalize import NormalizeError, rest_klines_to_candles
from cryptotracker.protocol import CandleDict, Source, SymbolInfo

log = structlog.get_logger(__name__)


class RestError(MarketUnavailableError):
    """A REST call failed: `status` is None for transport errors (refused, timeout, DNS)."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


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


async def get_json(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> Any:
    """GET and decode JSON; any failure is a `RestError`."""
    try:
        response = await client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise RestError(f"GET {path}: {type(exc).__name__}: {exc}") from exc
    if response.status_code != 200:
        raise RestError(
            f"GET {path}: HTTP {response.status_code}",
            status=response.status_code,
            retry_after=retry_after_s(response.headers.get("Retry-After")),
        )
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise RestError(f"GET {path}: invalid JSON") from exc


class BinanceRest:
    """The three REST calls the tracker makes, on a client the caller owns."""

    def __init__(self, client: httpx.AsyncClient, source: Source) -> None:
        self._client = client
        self._source = source

    async def exchange_info(self, quote_assets: Iterable[str]) -> list[SymbolInfo]:
        """Symbols trading now against one of `quote_assets`, sorted."""
        body = await get_json(self._client, "/api/v3/exchangeInfo", {})
        quotes = {q.upper() for q in quote_assets}
        rows = body.get("symbols") if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise RestError("exchangeInfo: no symbols list")
        out: list[SymbolInfo] = []
        for row in rows:
            if not isinstance(row, dict) or row.get("status") != "TRADING":
                continue
            if row.get("quoteAsset") not in quotes:
                continue
            try:
                out.append(
                    SymbolInfo(
                        symbol=row["symbol"],
                        base_asset=row["baseAsset"],
                        quote_asset=row["quoteAsset"],
                    )
                )
            except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
                log.warning("exchange_info_row_skipped", row=str(row)[:200], error=str(exc))
        out.sort(key=lambda s: s.symbol)
        return out

    async def ticker_24hr(self) -> list[dict[str, Any]]:
        """24 h statistics of every symbol (the start-up snapshot)."""
        body = await get_json(self._client, "/api/v3/ticker/24hr", {})
        if not isinstance(body, list):
            raise RestError("ticker/24hr: expected a list")
        return [row for row in body if isinstance(row, dict)]

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        params = {"symbol": symbol, "interval": interval, "limit": limit}
        body = await get_json(self._client, "/api/v3/klines", params)
        try:
            return rest_klines_to_candles(
                body, symbol, interval, self._source, int(time.time() * 1000)
            )
        except NormalizeError as exc:
            raise RestError(f"klines: {exc}") from exc
