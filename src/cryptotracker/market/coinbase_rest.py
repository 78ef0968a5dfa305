"""Coinbase Exchange's public REST endpoints over httpx, inside its documented limits.

Public endpoints are throttled per IP: 10 requests/s, bursts up to 15, and a 429 beyond
(docs/exchanges.md). Every call of one provider spends from one token bucket below that
(`RATE_PER_S`, `BURST`), and after a 429 nothing is sent until its Retry-After (or
`DEFAULT_429_S`) has passed. Every failure, transport or HTTP status, becomes a `RestError`
carrying the status, so the provider can back off or mark a geo refusal (403/451).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

import httpx
import orjson
import structlog

from cryptotracker.market.binance_rest import RestError, retry_after_s
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

RATE_PER_S: Final = 8.0
BURST: Final = 10.0
DEFAULT_429_S: Final = 1.0
# Coinbase answers at most 300 candles per request.
MAX_CANDLES: Final = 300


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CoinbaseRest:
    """GETs against `client` (its base URL is Coinbase's REST root), paced and held after a
    429. One instance per provider: every call shares its budget."""

    def __init__(
        self, client: httpx.AsyncClient, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._clock = clock
        self._bucket = TokenBucket(RATE_PER_S, BURST, clock())
        self.blocked_until = 0.0
        self.limited = 0  # 429s seen

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> httpx.Response:
        wait = self.blocked_until - self._clock()
        if wait > 0:  # a 429 asked us to wait: sending on would only prolong it
            await asyncio.sleep(wait)
        await self._bucket.acquire(self._clock)
        try:
            response = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise RestError(f"GET {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 429:
            retry = retry_after_s(response.headers.get("Retry-After"))
            hold = DEFAULT_429_S if retry is None else retry
            self.blocked_until = max(self.blocked_until, self._clock() + hold)
            self.limited += 1
            log.warning("coinbase_rest_limited", path=path, hold_s=hold)
            raise RestError(f"GET {path}: HTTP 429", 429, hold)
        if response.status_code != 200:
            raise RestError(
                f"GET {path}: HTTP {response.status_code}: {response.text[:200]}",
                response.status_code,
                retry_after_s(response.headers.get("Retry-After")),
            )
        return response

    async def _json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        response = await self._get(path, params)
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RestError(f"GET {path}: not JSON: {exc}") from exc

    async def products(self) -> list[dict[str, Any]]:
        rows = await self._json("/products")
        if not isinstance(rows, list):
            raise RestError("GET /products: not a list")
        return [r for r in rows if isinstance(r, dict)]

    async def stats(self, product_id: str) -> dict[str, Any]:
        return await self._object(f"/products/{product_id}/stats")

    async def ticker(self, product_id: str) -> dict[str, Any]:
        return await self._object(f"/products/{product_id}/ticker")

    async def book_top(self, product_id: str) -> dict[str, Any]:
        return await self._object(f"/products/{product_id}/book", {"level": 1})

    async def candles(self, product_id: str, granularity: int, start_s: int, end_s: int) -> bytes:
        """The raw body (its cells are JSON numbers: decoded by `parse_candle_rows`)."""
        params = {"granularity": granularity, "start": iso(start_s), "end": iso(end_s)}
        response = await self._get(f"/products/{product_id}/candles", params)
        return response.content

    async def _object(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self._json(path, params)
        if not isinstance(body, dict):
            raise RestError(f"GET {path}: not an object")
        return body
