"""CoinGecko fallback: poll `/coins/markets` and emit `<BASE>USDT` prices labelled coingecko.

Runs only while the Binance breaker is not CLOSED (the source chain starts and stops it). The
free tier allows ~30 calls/min: calls go through a token bucket (`coingecko_calls_per_min`), a
poll every `coingecko_poll_s` needs one call per 250 assets, and a 429 waits at least its
Retry-After. Base assets map to CoinGecko ids (not derivable from tickers: BNB is "binancecoin",
AVAX "avalanche-2") through the coin metadata's mapping (`ids`, from `/coins/list`); until that
is loaded, the poll reads the top page by market cap and takes, for each ticker, the coin with
the highest cap (the metadata's own rule, `asset_metadata.choose`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, Final

import httpx
import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.market.asset_metadata import choose
from cryptotracker.market.asset_source import coingecko_headers, shared_bucket
from cryptotracker.market.binance_rest import RestError, get_json
from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.feed import FeedSink, FeedState, FeedStateListener
from cryptotracker.market.normalize import NormalizeError, coingecko_to_price
from cryptotracker.metrics import EXCHANGE_FRAMES, EXCHANGE_FRAMES_INVALID, EXCHANGE_UPDATES
from cryptotracker.protocol import Source, SymbolInfo
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

PER_PAGE: Final = 250
QUOTE: Final = "USDT"


class CoinGeckoProvider:
    """Polls CoinGecko until cancelled; emits a `PriceDict` for each asset whose price moved."""

    def __init__(
        self,
        settings: Settings,
        sink: FeedSink,
        *,
        base_url: str | None = None,
        assets: Iterable[str] | None = None,
        on_state: FeedStateListener | None = None,
        on_result: Callable[[bool], None] | None = None,
        backoff: Backoff | None = None,
        clock: Callable[[], float] = time.monotonic,
        ids: Callable[[], Mapping[str, str]] | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = (base_url or settings.coingecko_url).rstrip("/")
        self._sink = sink
        self._on_state = on_state
        self._on_result = on_result
        self._backoff = backoff or Backoff.from_settings(settings)
        self._assets = None if assets is None else frozenset(assets)
        self._ids: Callable[[], Mapping[str, str]] = ids or (lambda: {})
        self._by_id: dict[str, str] = {}  # coin id -> our symbol, as of the last poll
        self._clock = clock
        self._bucket = bucket or shared_bucket(settings, clock)
        self._last: dict[str, str] = {}
        self.failures = 0
        self.polls = 0
        self._connected = False
        self._retry_at: float | None = None
        self._last_frame_at: float | None = None
        self._message = "not started"
        self._frames = EXCHANGE_FRAMES.labels(Source.COINGECKO.value)
        self._invalid = EXCHANGE_FRAMES_INVALID.labels(Source.COINGECKO.value)
        self._updates = EXCHANGE_UPDATES.labels(Source.COINGECKO.value)

    @property
    def state(self) -> FeedState:
        return FeedState(
            source=Source.COINGECKO,
            connected=self._connected,
            live=False,
            circuit=CircuitState.CLOSED,
            last_frame_at=self._last_frame_at,
            message=self._message,
            retry_at=self._retry_at,
        )

    def symbols(self) -> list[SymbolInfo]:
        return [
            SymbolInfo(symbol=symbol, base_asset=symbol[: -len(QUOTE)], quote_asset=QUOTE)
            for symbol in sorted((self._by_id or self._mapped()).values())
        ]

    async def run(self) -> None:
        timeout = httpx.Timeout(self.settings.rest_timeout_s)
        proxy = self.settings.exchange_proxy
        headers = coingecko_headers(self.settings)
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=timeout, proxy=proxy, headers=headers
        ) as client:
            while True:
                try:
                    emitted = await self.poll_once(client)
                except RestError as exc:
                    delay = self._failed(exc)
                else:
                    delay = self._succeeded(emitted)
                await asyncio.sleep(delay)

    def _mapped(self) -> dict[str, str]:
        """coin id -> <BASE>USDT for the assets the metadata knows (all it knows when no
        assets were given)."""
        mapping = self._ids()
        bases = mapping if self._assets is None else [a for a in self._assets if a in mapping]
        return {mapping[base]: f"{base}{QUOTE}" for base in sorted(bases)}

    async def poll_once(self, client: httpx.AsyncClient) -> int:
        """One round over every page; returns how many prices moved (and were emitted)."""
        by_id = self._mapped()
        if not by_id:
            return await self._discover(client)
        self._by_id = by_id
        ids = ",".join(by_id)
        emitted = 0
        page = 1
        while True:
            params = {"vs_currency": "usd", "ids": ids, "per_page": PER_PAGE, "page": page}
            rows = await self._page(client, params)
            emitted += self._emit(rows)
            if len(rows) < PER_PAGE:
                return emitted
            page += 1

    async def _page(self, client: httpx.AsyncClient, params: dict[str, Any]) -> list[object]:
        await self._bucket.acquire(self._clock)
        rows = await get_json(client, "/coins/markets", params)
        self._frames.inc()
        if not isinstance(rows, list):
            self._invalid.inc()
            raise RestError("coins/markets: expected a list")
        return rows

    async def _discover(self, client: httpx.AsyncClient) -> int:
        """Before the metadata is loaded: the top page by market cap, each wanted ticker to
        its highest-cap coin."""
        params = {"vs_currency": "usd", "order": "market_cap_desc", "per_page": PER_PAGE}
        rows = await self._page(client, {**params, "page": 1})
        candidates: dict[str, list[tuple[str, Decimal | None]]] = {}
        for row in rows:
            if not isinstance(row, dict):
                continue
            cid, symbol, cap = row.get("id"), row.get("symbol"), row.get("market_cap")
            if not isinstance(cid, str) or not isinstance(symbol, str):
                continue
            base = symbol.upper()
            if self._assets is not None and base not in self._assets:
                continue
            known = isinstance(cap, int | float) and not isinstance(cap, bool)
            candidates.setdefault(base, []).append((cid, Decimal(repr(cap)) if known else None))
        self._by_id = {choose(c): f"{base}{QUOTE}" for base, c in sorted(candidates.items())}
        return self._emit(rows)

    def _emit(self, rows: list[object]) -> int:
        received = now_ms()
        count = 0
        for row in rows:
            if not isinstance(row, dict):
                continue
            symbol = self._by_id.get(str(row.get("id")))
            if symbol is None:
                continue
            try:
                update = coingecko_to_price(row, symbol, received)
            except NormalizeError as exc:
                self._invalid.inc()
                log.warning("coingecko_row_skipped", symbol=symbol, error=str(exc))
                continue
            if self._last.get(symbol) == update["price"]:
                continue
            self._last[symbol] = update["price"]
            self._sink.on_price(update)
            count += 1
        self._updates.inc(count)
        return count

    def _succeeded(self, emitted: int) -> float:
        self.failures = 0
        self.polls += 1
        self._last_frame_at = time.time()
        log.info("coingecko_polled", assets=len(self._by_id), moved=emitted)
        self._retry_at = None
        self._set(True, f"polling CoinGecko every {self.settings.coingecko_poll_s:g}s")
        if self._on_result is not None:
            self._on_result(True)
        return self.settings.coingecko_poll_s

    def _failed(self, exc: RestError) -> float:
        self.failures += 1
        attempt = min(self.failures, self._backoff.max_attempts)
        delay = self._backoff.delay(attempt) or self._backoff.max_s
        delay = min(delay, self.settings.coingecko_poll_s) if exc.status != 429 else delay
        if exc.retry_after is not None:
            delay = max(delay, exc.retry_after)
        log.warning("coingecko_failed", error=str(exc), failures=self.failures, delay_s=delay)
        self._retry_at = time.time() + delay  # the figure lives in the deadline, not the text
        self._set(False, f"CoinGecko failing ({exc}); retry scheduled")
        if self._on_result is not None:
            self._on_result(False)
        return delay

    def _set(self, connected: bool, message: str) -> None:
        changed = connected != self._connected or message != self._message
        self._connected, self._message = connected, message
        if changed and self._on_state is not None:
            self._on_state(self.state)
