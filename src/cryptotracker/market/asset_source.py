"""Collect the coin metadata of the tracked assets from CoinGecko: `/coins/list` (the ticker ->
id candidates, read again daily), the top `asset_metadata_pages` pages of `/coins/markets` with
sparklines and 1 h / 7 d / 30 d changes, then by id the coins the pages missed, and each new
logo once. Calls spend from the CoinGecko token bucket the fallback poller shares, and carry
the demo key when one is set. The parsing and choices are `asset_metadata`'s.

One collection costs 1 + pages + at most `asset_metadata_extra_calls` calls: with the defaults
(refresh every 10 min, 2 pages, 2 extra calls) at most 6 calls in 10 minutes, far inside the
keyless limit (about 5 to 30 calls a minute, as CoinGecko's load allows).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import httpx
import structlog

from cryptotracker.clock import now_ms
from cryptotracker.market.asset_metadata import (
    CHANGE_WINDOWS,
    CoinMarket,
    Listing,
    asset_info,
    parse_list,
    parse_markets,
    problem,
    resolve,
)
from cryptotracker.market.binance_rest import RestError, get_json
from cryptotracker.market.logos import LogoError, fetch_logo
from cryptotracker.protocol import AssetList, Source
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

PER_PAGE: Final = 250
# Ids per `/coins/markets?ids=` call: the URL stays a few kilobytes long.
IDS_PER_CALL: Final = 100
DEMO_KEY_HEADER: Final = "x-cg-demo-api-key"
# A logo refused for what it is (too big, not an image) is tried again after this long, not on
# every refresh; one that could not be fetched, at the next refresh.
LOGO_RETRY_S: Final = 86_400.0
LOGO_FETCHES_AT_ONCE: Final = 4
TOKEN_POLL_S: Final = 0.25


class LogoSink(Protocol):
    """Where sanitised logos go (the pipeline's logo store)."""

    def has_logo(self, coin_id: str) -> bool: ...

    async def put_logo(self, coin_id: str, png: bytes) -> None: ...


def coingecko_headers(settings: Settings) -> dict[str, str]:
    key = settings.coingecko_demo_key
    return {DEMO_KEY_HEADER: key.get_secret_value()} if key is not None else {}


def shared_bucket(settings: Settings, clock: Callable[[], float] = time.monotonic) -> TokenBucket:
    """The one budget of CoinGecko calls of this instance (poller and metadata together)."""
    return TokenBucket(settings.coingecko_calls_per_min / 60.0, 1.0, clock())


class AssetMetadataSource:
    """Collects `AssetList`s; keeps `/coins/list` between collections."""

    def __init__(
        self,
        settings: Settings,
        bucket: TokenBucket | None = None,
        *,
        base_url: Callable[[], str | None] | None = None,
        label: Source = Source.COINGECKO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.label = label  # the simulator in demo mode: never passed off as CoinGecko
        self._clock = clock
        self._bucket = bucket or shared_bucket(settings, clock)
        self._base_url = base_url or (lambda: settings.coingecko_url)
        self._listings: list[Listing] = []
        self._listed_at: float | None = None
        self._logo_failed: dict[str, float] = {}
        self.calls = 0
        self.per_page = PER_PAGE

    async def collect(
        self, assets: Sequence[str], logos: LogoSink, have_previous: bool
    ) -> tuple[AssetList | None, float | None]:
        """(the list to publish, None) when every call answered; else (what is known, or None
        when `have_previous` so the older list stays, and the seconds the source asked us to
        wait, 0 when it did not say)."""
        base = self._base_url()
        if base is None:
            return None, 0.0
        markets: dict[str, CoinMarket] = {}
        settings = self.settings
        async with httpx.AsyncClient(
            base_url=base.rstrip("/"),
            timeout=httpx.Timeout(settings.rest_timeout_s),
            proxy=settings.exchange_proxy,
            headers=coingecko_headers(settings),
        ) as client:
            try:
                await self._collect(client, assets, markets)
                # Logos from CoinGecko's image hosts or the metadata's own host (the simulator).
                hosts = {*settings.logo_hosts, *filter(None, [urlsplit(base).hostname])}
            except RestError as exc:
                log.warning("asset_metadata_failed", error=str(exc), known=len(markets))
                if have_previous:
                    return None, exc.retry_after or 0.0
                built = await self._build(assets, markets, logos, set())
                return built, exc.retry_after or 0.0
        return await self._build(assets, markets, logos, hosts), None

    async def _get(self, client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> Any:
        # Only a token that is free now: the fallback price poller reserves ahead (it may owe),
        # so while it runs the prices go first and the metadata waits its turn.
        while not self._bucket.take(self._clock()):
            await asyncio.sleep(min(TOKEN_POLL_S, 1.0 / self._bucket.rate))
        self.calls += 1
        try:
            return await get_json(client, path, params)
        except RestError as exc:
            problem("http_429" if exc.status == 429 else "http_error", path.strip("/"))
            raise

    async def _collect(
        self, client: httpx.AsyncClient, assets: Sequence[str], markets: dict[str, CoinMarket]
    ) -> None:
        now = self._clock()
        if self._listed_at is None or now - self._listed_at >= self.settings.asset_list_refresh_s:
            listings = parse_list(await self._get(client, "/coins/list", {}))
            if listings:
                self._listings, self._listed_at = listings, now
        params: dict[str, Any] = {
            "vs_currency": "usd",
            "order": "market_cap_desc",
            "per_page": self.per_page,
            "sparkline": "true",
            "price_change_percentage": ",".join(CHANGE_WINDOWS),
        }
        for page in range(1, self.settings.asset_metadata_pages + 1):
            answer = await self._get(client, "/coins/markets", {**params, "page": page})
            rows = parse_markets(answer)
            markets.update((m.id, m) for m in rows)
            if len(rows) < self.per_page:
                break
        # Tracked coins below the pages: ask for them by id (their cap decides a shared ticker).
        wanted = {a.upper() for a in assets}
        missing = sorted(
            listing.id
            for listing in self._listings
            if listing.symbol in wanted
            and listing.id not in markets
            and not any(m.symbol == listing.symbol for m in markets.values())
        )
        calls = self.settings.asset_metadata_extra_calls
        for start in range(0, min(len(missing), calls * IDS_PER_CALL), IDS_PER_CALL):
            ids = ",".join(missing[start : start + IDS_PER_CALL])
            answer = await self._get(
                client, "/coins/markets", {**params, "ids": ids, "per_page": IDS_PER_CALL}
            )
            rows = parse_markets(answer)
            markets.update((m.id, m) for m in rows)

    async def _build(
        self,
        assets: Sequence[str],
        markets: dict[str, CoinMarket],
        logos: LogoSink,
        hosts: set[str],
    ) -> AssetList:
        listings = {listing.id: listing for listing in self._listings}
        # Before the markets are known: every coin the pages name.
        tracked = sorted({a.upper() for a in assets} or {m.symbol for m in markets.values()})
        ids = resolve(tracked, self._listings, markets)
        if hosts:  # logos only after a whole collection
            found = [markets[i] for i in ids.values() if i in markets]
            await self._fetch_logos(found, logos, hosts)
        points = self.settings.asset_sparkline_points
        rows = []
        for asset in tracked:
            cid = ids.get(asset)
            market = markets.get(cid) if cid else None
            listing = listings.get(cid) if cid else None
            has_logo = cid is not None and logos.has_logo(cid)
            rows.append(asset_info(asset, market, listing, has_logo, points))
        return AssetList(assets=rows, updated_at=now_ms(), source=self.label)

    async def _fetch_logos(
        self, markets: list[CoinMarket], logos: LogoSink, hosts: set[str]
    ) -> None:
        now = self._clock()
        todo = [
            m
            for m in markets
            if m.image is not None
            and not logos.has_logo(m.id)
            and now - self._logo_failed.get(m.id, -LOGO_RETRY_S) >= LOGO_RETRY_S
        ]
        if not todo:
            return
        gate = asyncio.Semaphore(LOGO_FETCHES_AT_ONCE)
        settings = self.settings
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(settings.rest_timeout_s),
            proxy=settings.exchange_proxy,
            follow_redirects=False,
        ) as client:

            async def one(market: CoinMarket) -> None:
                assert market.image is not None
                async with gate:
                    try:
                        png = await fetch_logo(
                            client, market.image, settings.logo_max_bytes,
                            settings.logo_size_px, hosts,
                        )  # fmt: skip
                    except LogoError as exc:
                        problem(exc.reason, "image")
                        if exc.reason != "logo_fetch_failed":  # a bad image, not a bad moment
                            self._logo_failed[market.id] = self._clock()
                        log.info("logo_refused", id=market.id, error=str(exc))
                        return
                await logos.put_logo(market.id, png)

            async with asyncio.TaskGroup() as tasks:
                for market in todo:
                    tasks.create_task(one(market))
