"""The asset store: logos kept in memory when the disk will not take them (a read-only root, a
full volume), ids that could name a path refused, and what Redis lost given back."""

from __future__ import annotations

from pathlib import Path

import redis.asyncio as aioredis

from cryptotracker.pipeline.asset_store import AssetStore, valid_coin_id
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.protocol import AssetInfo, AssetList, Source


async def test_an_unwritable_logo_dir_keeps_logos_in_memory(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_bytes(b"a file where the directory should be")
    store = AssetStore(None, blocked / "logos")
    await store.put_logo("bitcoin", b"\x89PNG fake")
    assert store.has_logo("bitcoin")
    assert await store.logo("bitcoin") == b"\x89PNG fake"
    assert await store.logo("ethereum") is None


async def test_logos_are_kept_on_disk_under_their_id(tmp_path: Path) -> None:
    store = AssetStore(None, tmp_path / "logos")
    await store.put_logo("usd-coin", b"png")
    assert await store.logo("usd-coin") == b"png"
    # A new store (a restart) finds what the last one fetched.
    assert AssetStore(None, tmp_path / "logos").has_logo("usd-coin")


def test_ids_that_could_be_paths_are_refused() -> None:
    for bad in ("../settings", "a/b", "..", ".hidden", "", "UPPER", "x" * 101, "a..b"):
        assert not valid_coin_id(bad), bad
    for good in ("bitcoin", "usd-coin", "0x", "bridged-usdc-polygon-pos-bridge", "terra-luna-2"):
        assert valid_coin_id(good), good


async def test_what_redis_lost_is_given_back(redis_url: str, tmp_path: Path) -> None:
    """Redis restarted empty: the list goes back as soon as it is up (the others serve it at
    once), the logos with the next publish (the fetcher holds them on disk and would not fetch
    them again)."""
    link, other_link = RedisLink(redis_url), RedisLink(redis_url)
    raw = aioredis.from_url(redis_url)
    try:
        assert await link.connect() and await other_link.connect()
        store = AssetStore(link, tmp_path / "fetcher")
        await store.put_logo("bitcoin", b"png")
        rows = [AssetInfo(asset="BTC", id="bitcoin", logo="/api/logos/bitcoin")]
        listing = AssetList(assets=rows, updated_at=1_700_000_000_000, source=Source.COINGECKO)
        await store.publish(listing)
        await raw.flushdb()  # a restart without persistence
        await store.resync()
        follower = AssetStore(other_link, tmp_path / "follower")
        assert await follower.follow()
        assert (follower.body, follower.etag) == (store.body, store.etag)
        assert await follower.logo("bitcoin") is None  # the logo is not back yet
        await store.publish(listing)
        assert await follower.logo("bitcoin") == b"png"
    finally:
        await raw.aclose()
        await link.close()
        await other_link.close()
