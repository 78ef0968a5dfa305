"""The logo store keeps serving when its disk will not take a logo (a read-only root, a full
volume): the logo stays in memory, and ids that could name a path are refused."""

from __future__ import annotations

from pathlib import Path

from cryptotracker.pipeline.asset_store import AssetStore, valid_coin_id


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
