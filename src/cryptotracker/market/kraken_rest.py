"""Kraken's public REST endpoints (AssetPairs, Ticker, OHLC, Depth, Trades) over httpx.

Kraken answers ``{"error": [...], "result": ...}``, with HTTP 200 even for most errors; a
non-empty ``error`` list is a failure. Every failure becomes a `KrakenRestError` (a `RestError`
like Binance's, so callers treat both alike) saying whether Kraken limited us
(``EGeneral:Too many requests``, ``EAPI:Rate limit exceeded``, HTTP 429), is unavailable
(``EService:Unavailable``, ``EService:Busy``: maintenance or overload) or refuses this address
(HTTP 451 or 403).

Kraken limits public calls per IP address: about one per second stays within it, beyond that
calls are refused "for a few seconds, or longer if calls continue". So every call of one feed
waits its turn in one `TokenBucket` (at most `MAX_WAITING` at once; more are refused, not
queued), and after a refusal nothing is sent until its wait is over (Retry-After when given,
else `LIMITED_S`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

import httpx
import structlog

from cryptotracker.market.binance_rest import RestError, retry_after_s
from cryptotracker.market.kraken_frames import InvalidFrameError, loads
from cryptotracker.market.kraken_symbols import KrakenMarket, market_from_pair
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

API: Final = "/0/public/"
# Calls saved up for a burst (start-up reads AssetPairs and Ticker back to back).
BURST: Final = 3.0
# The wait after a refusal without Retry-After: Kraken says "a few seconds".
LIMITED_S: Final = 10.0
# Calls allowed to wait for their turn at once; the next is refused rather than queued.
MAX_WAITING: Final = 8
_LIMITED: Final = ("EGeneral:Too many requests", "EAPI:Rate limit exceeded")
_UNAVAILABLE: Final = ("EService:Unavailable", "EService:Busy")


class KrakenRestError(RestError):
    """A Kraken REST call failed. `limited`: Kraken refused for the rate; `unavailable`:
    maintenance or overload (EService); `status` 451/403: this address is refused."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        limited: bool = False,
        unavailable: bool = False,
    ) -> None:
        super().__init__(message, status, retry_after)
        self.limited = limited
        self.unavailable = unavailable


class KrakenRest:
    """The calls the provider makes, on a client the caller owns, paced by one bucket."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        calls_per_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._clock = clock
        self._bucket = TokenBucket(calls_per_s, BURST, clock())
        self.blocked_until = 0.0
        self.calls = 0
        self._waiting = 0

    def _block(self, wait_s: float) -> None:
        self.blocked_until = max(self.blocked_until, self._clock() + wait_s)

    async def _get(self, endpoint: str, params: dict[str, Any] | None = None) -> Any:
        path = API + endpoint
        wait = self.blocked_until - self._clock()
        if wait > 0:
            raise KrakenRestError(
                f"GET {path}: not sent, rate limited by Kraken; {wait:.0f} s to wait",
                retry_after=wait,
                limited=True,
            )
        if self._waiting >= MAX_WAITING:
            # Queued calls wait a second each: more would only time out their callers.
            raise KrakenRestError(
                f"GET {path}: not sent, {self._waiting} Kraken calls already waiting their turn",
                retry_after=self._waiting / max(self._bucket.rate, 1e-9),
                limited=True,
            )
        self._waiting += 1
        try:
            await self._bucket.acquire(self._clock)
        finally:
            self._waiting -= 1
        self.calls += 1
        try:
            response = await self._client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise KrakenRestError(f"GET {path}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        retry_after = retry_after_s(response.headers.get("Retry-After"))
        if status == 429:
            self._block(retry_after if retry_after is not None else LIMITED_S)
            log.warning("kraken_rest_limited", path=path, retry_after_s=retry_after)
            raise KrakenRestError(f"GET {path}: HTTP 429", 429, retry_after, limited=True)
        if status != 200:
            raise KrakenRestError(
                f"GET {path}: HTTP {status}", status, retry_after, unavailable=status == 503
            )
        try:
            body = loads(response.content)
        except InvalidFrameError as exc:
            raise KrakenRestError(f"GET {path}: invalid JSON") from exc
        if not isinstance(body, dict):
            raise KrakenRestError(f"GET {path}: not an object")
        errors = body.get("error") or []
        if errors:
            text = "; ".join(str(e) for e in errors)
            if any(str(e).startswith(_LIMITED) for e in errors):
                self._block(retry_after if retry_after is not None else LIMITED_S)
                log.warning("kraken_rest_limited", path=path, error=text)
                raise KrakenRestError(
                    f"GET {path}: {text}", retry_after=retry_after or LIMITED_S, limited=True
                )
            unavailable = any(str(e).startswith(_UNAVAILABLE) for e in errors)
            raise KrakenRestError(f"GET {path}: {text}", unavailable=unavailable)
        return body.get("result")

    async def asset_pairs(self) -> list[KrakenMarket]:
        """Every pair Kraken lists, whatever its status."""
        result = await self._get("AssetPairs")
        if not isinstance(result, dict):
            raise KrakenRestError("AssetPairs: no result object")
        markets = [market_from_pair(k, v) for k, v in result.items()]
        return [m for m in markets if m is not None]

    async def tickers(self) -> dict[str, Any]:
        """`Ticker` of every pair, by REST pair key."""
        result = await self._get("Ticker")
        if not isinstance(result, dict):
            raise KrakenRestError("Ticker: no result object")
        return result

    async def _one(self, endpoint: str, params: dict[str, Any]) -> Any:
        """A per-pair call: Kraken keys the answer by its own name of the pair, which may not
        be the one asked for (XBTUSD comes back as XXBTZUSD)."""
        result = await self._get(endpoint, params)
        if not isinstance(result, dict):
            raise KrakenRestError(f"{endpoint}: no result object")
        entries = [v for k, v in result.items() if k != "last"]
        if len(entries) != 1:
            raise KrakenRestError(f"{endpoint}: expected one pair, got {len(entries)}")
        return entries[0]

    async def ohlc(self, pair: str, minutes: int) -> Any:
        """Up to 720 candles of `minutes`, the last one still forming."""
        return await self._one("OHLC", {"pair": pair, "interval": minutes})

    async def depth(self, pair: str, count: int = 1) -> Any:
        return await self._one("Depth", {"pair": pair, "count": count})

    async def trades(self, pair: str, count: int = 1) -> Any:
        return await self._one("Trades", {"pair": pair, "count": count})
