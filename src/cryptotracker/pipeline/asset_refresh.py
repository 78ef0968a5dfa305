"""Keep the coin metadata fresh: the instance that ingests (the lease holder) collects it every
`asset_metadata_refresh_s` from the source and publishes it; every other instance follows what
Redis holds. The schedule counts from the list's own fetch time, so a new lease holder does not
fetch again what the last one fetched a minute ago; a failure waits at least what the source
asked (a 429's Retry-After), with the project's backoff."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.metrics import ASSET_METADATA_REFRESHES
from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.protocol import AssetList
from cryptotracker.settings import Settings

log = structlog.get_logger(__name__)

# Before the markets are known (exchangeInfo not read yet) look again this often.
ASSETS_UNKNOWN_RETRY_S = 1.0


class AssetSource(Protocol):
    """What the refresher needs of the metadata source (market.asset_source in production)."""

    async def collect(
        self, assets: Sequence[str], logos: AssetStore, have_previous: bool
    ) -> tuple[AssetList | None, float | None]: ...


class AssetRefresher:
    def __init__(
        self,
        settings: Settings,
        store: AssetStore,
        source: AssetSource,
        assets: Callable[[], Sequence[str]],
        fetching: Callable[[], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._store = store
        self._source = source
        self._assets = assets
        self._fetching = fetching
        self._clock = clock
        self._backoff = Backoff.from_settings(settings)
        self._failures = 0
        self._retry_at = 0.0
        self._waited_for_assets = 0.0

    def _due_in(self) -> float:
        """Seconds until the next collection is due (0: now): after a failure, its retry;
        else the refresh interval counted from the list's fetch time."""
        if self._failures:
            return max(0.0, self._retry_at - self._clock())
        updated = self._store.updated_at
        if updated is None:
            return 0.0
        age = (now_ms() - updated) / 1000
        return max(0.0, self._settings.asset_metadata_refresh_s - age)

    async def step(self) -> float:
        """One turn: collect when this instance fetches and it is due, else follow Redis;
        returns how long to sleep."""
        follow_s = self._settings.asset_follow_s
        if not self._fetching():
            await self._store.follow()
            return follow_s
        if not self._store.loaded:
            await self._store.follow()  # a list the last fetcher left is as good as ours
        due = self._due_in()
        if due > 0:
            return min(due, follow_s)
        assets = self._assets()
        if not assets and self._waited_for_assets < self._settings.feed_silence_s:
            self._waited_for_assets += ASSETS_UNKNOWN_RETRY_S
            return ASSETS_UNKNOWN_RETRY_S
        await self.collect(assets)
        return min(self._due_in(), follow_s) or follow_s

    async def collect(self, assets: Sequence[str]) -> None:
        listing, retry = await self._source.collect(assets, self._store, self._store.loaded)
        if listing is not None:
            await self._store.publish(listing)
        if retry is None:
            self._failures = 0
            self._retry_at = 0.0
            ASSET_METADATA_REFRESHES.labels("ok").inc()
            log.info("asset_metadata_refreshed", assets=len(listing.assets) if listing else 0)
            return
        self._failures += 1
        delay = max(retry, self._backoff.pause(self._failures))
        self._retry_at = self._clock() + delay
        ASSET_METADATA_REFRESHES.labels("failed").inc()
        log.warning("asset_metadata_retry", delay_s=round(delay, 1), failures=self._failures)

    async def run(self) -> None:
        while True:
            try:
                delay = await self.step()
            except Exception:  # a fault in the metadata must never stop the prices
                self._failures += 1
                delay = self._backoff.pause(self._failures)
                self._retry_at = self._clock() + delay
                ASSET_METADATA_REFRESHES.labels("failed").inc()
                log.exception("asset_metadata_crashed", delay_s=round(delay, 1))
            await asyncio.sleep(delay)
