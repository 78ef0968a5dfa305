"""The coin metadata every instance serves: the `AssetList` as ready JSON with its strong ETag,
and the sanitised logos (PNG) on disk. The fetching instance publishes both to Redis (the list
under `assets:list` with its ETag and fetch time, each logo under `assets:logo:<id>`); the
others follow the list's ETag and read a logo from Redis the first time it is asked for, then
keep it on disk. Without Redis the store is this instance's alone."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from pathlib import Path
from typing import Final

import orjson
import structlog

from cryptotracker.pipeline.redis_clients import Client
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.protocol import AssetList

log = structlog.get_logger(__name__)

LIST_KEY: Final = "assets:list"
LOGO_KEY: Final = "assets:logo:"
# CoinGecko ids: lower-case letters, digits, '-', '.', '_' (never a path).
COIN_ID_RE: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,99}$")
EMPTY: Final = AssetList(assets=[], updated_at=None, source=None)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _bytes(value: bytes | str | None) -> bytes | None:
    # Our clients decode nothing; a str would only come from a client set up otherwise.
    return value.encode() if isinstance(value, str) else value


def valid_coin_id(coin_id: str) -> bool:
    return COIN_ID_RE.fullmatch(coin_id) is not None and ".." not in coin_id


class AssetStore:
    def __init__(self, link: RedisLink | None, logo_dir: Path) -> None:
        self._link = link
        self._dir = logo_dir
        self.body = b""
        self.etag = ""
        self.gzipped = b""  # the same list gzipped (a third of the bytes), for clients that take it
        self._set_body(orjson.dumps(EMPTY.model_dump(mode="json", by_alias=True)))
        self.updated_at: int | None = None
        self.ids: dict[str, str] = {}  # ticker -> coin id, for the CoinGecko price poller
        self._listed_logos: set[str] = set()  # ids whose row names a logo of ours
        self._logos: set[str] = set()
        self._logos_scanned = False
        # Logos the disk would not take (read-only, full): kept here instead.
        self._in_memory: dict[str, bytes] = {}
        self._disk_failed = False

    @property
    def loaded(self) -> bool:
        return self.updated_at is not None

    def _set_body(self, body: bytes) -> None:
        self.body, self.etag = body, etag_of(body)
        # mtime 0: the same list gives the same bytes on every instance.
        self.gzipped = gzip.compress(body, 6, mtime=0)

    @property
    def gzip_etag(self) -> str:
        """The gzipped list's own strong ETag (another representation, another tag)."""
        return self.etag[:-1] + '-gz"'

    def _take(self, body: bytes, listing: AssetList) -> None:
        self._set_body(body)
        self.updated_at = listing.updated_at
        self.ids = {a.asset: a.id for a in listing.assets if a.id is not None}
        self._listed_logos = {a.id for a in listing.assets if a.id is not None and a.logo}

    async def publish(self, listing: AssetList) -> None:
        """A fresh list from the source: served here at once, and to the others via Redis."""
        body = orjson.dumps(listing.model_dump(mode="json", by_alias=True))
        self._take(body, listing)
        await self._share_list()
        await self._share_logos()

    async def _share_list(self) -> None:
        if self._link is not None:
            # One HSET: body and ETag change together.
            items: list[bytes | str] = ["body", self.body, "etag", self.etag]
            await self._link.call("assets_publish", lambda c: c.hset(LIST_KEY, items=items))

    async def resync(self) -> None:
        """Redis is (back) up: if it lost the list (a restart without persistence), give it
        ours, so instances that start now serve it at once rather than after the next fetch."""
        if self._link is None or not self.loaded:
            return
        held = await self._link.call("assets_check", lambda c: c.exists(LIST_KEY))
        if held == 0:
            await self._share_list()

    async def _share_logos(self) -> None:
        """Every logo the list names is in Redis, for the other instances: Redis may have lost
        some since they were fetched (this instance, holding them on disk, would not fetch them
        again)."""
        if self._link is None:
            return
        ids = sorted(self._listed_logos)

        async def missing(client: Client) -> list[str]:
            return [cid for cid in ids if not await client.exists(LOGO_KEY + cid)]

        for cid in await self._link.call("logos_check", missing) or []:
            png = await self.logo(cid)
            if png is not None:
                await self._put_in_redis(cid, png)

    async def _put_in_redis(self, coin_id: str, png: bytes) -> None:
        if self._link is not None:
            await self._link.call("logo_put", lambda c: c.set(LOGO_KEY + coin_id, png))

    async def follow(self) -> bool:
        """Take Redis's list when it is not the one we serve; True when it changed."""
        if self._link is None:
            return False

        async def read(client: Client) -> bytes | None:
            etag = _bytes(await client.hget(LIST_KEY, "etag"))
            if etag is None or etag.decode() == self.etag:
                return None
            return _bytes(await client.hget(LIST_KEY, "body"))

        body = await self._link.call("assets_follow", read)
        if body is None:
            return False
        try:
            listing = AssetList.model_validate_json(body)
        except ValueError as exc:
            log.warning("asset_list_unreadable", error=str(exc))
            return False
        self._take(body, listing)
        return True

    # ---- logos -------------------------------------------------------------------------------

    def _path(self, coin_id: str) -> Path:
        return self._dir / f"{coin_id}.png"

    def _scan(self) -> None:
        if not self._logos_scanned:
            self._logos_scanned = True
            if self._dir.is_dir():
                self._logos.update(p.stem for p in self._dir.glob("*.png") if valid_coin_id(p.stem))

    def has_logo(self, coin_id: str) -> bool:
        self._scan()
        return coin_id in self._logos

    async def put_logo(self, coin_id: str, png: bytes) -> None:
        """A sanitised logo (from the source): on disk, then in Redis for the others."""
        if not valid_coin_id(coin_id):
            return
        await self._keep(coin_id, png)
        await self._put_in_redis(coin_id, png)

    async def _keep(self, coin_id: str, png: bytes) -> None:
        self._logos.add(coin_id)
        try:
            await asyncio.to_thread(self._write, coin_id, png)
        except OSError as exc:
            if not self._disk_failed:
                log.warning("logo_disk_unwritable", dir=str(self._dir), error=str(exc))
                self._disk_failed = True
            self._in_memory[coin_id] = png

    def _write(self, coin_id: str, png: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = self._path(coin_id).with_suffix(".tmp")
        tmp.write_bytes(png)
        tmp.replace(self._path(coin_id))  # whole or not at all, for a reader at the same time

    async def logo(self, coin_id: str) -> bytes | None:
        """The logo's PNG: from disk, else from Redis (kept on disk from then on). Only for
        coins the list names a logo for, or whose logo is here: any other id is a 404 without a
        disk read or a Redis call."""
        if not valid_coin_id(coin_id) or not (
            coin_id in self._listed_logos or self.has_logo(coin_id)
        ):
            return None
        if coin_id in self._in_memory:
            return self._in_memory[coin_id]
        try:
            return await asyncio.to_thread(self._path(coin_id).read_bytes)
        except OSError:
            pass
        if self._link is None:
            return None

        async def read(client: Client) -> bytes | None:
            return _bytes(await client.get(LOGO_KEY + coin_id))

        png = await self._link.call("logo_get", read)
        if png is None:
            return None
        await self._keep(coin_id, png)
        return png
