"""The coin metadata's schedule: only the fetching instance collects, every
`asset_metadata_refresh_s` counted from the list's own fetch time (a new lease holder does not
fetch again what the last one just fetched), a failure waits what the source asked."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cryptotracker.clock import now_ms
from cryptotracker.pipeline.asset_refresh import AssetRefresher
from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.protocol import AssetInfo, AssetList, Source
from cryptotracker.settings import Settings


class FakeSource:
    def __init__(self) -> None:
        self.calls: list[tuple[list[str], bool]] = []
        self.fail_with: float | None = None

    async def collect(
        self, assets: Sequence[str], logos: AssetStore, have_previous: bool
    ) -> tuple[AssetList | None, float | None]:
        self.calls.append((list(assets), have_previous))
        if self.fail_with is not None:
            return None, self.fail_with
        rows = [AssetInfo(asset=a, id=a.lower()) for a in assets]
        return AssetList(assets=rows, updated_at=now_ms(), source=Source.COINGECKO), None


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def refresher(
    tmp_path: Path, fetching: list[bool], store: AssetStore | None = None
) -> tuple[AssetRefresher, FakeSource, AssetStore, Clock]:
    settings = Settings(asset_metadata_refresh_s=600, asset_follow_s=5, backoff_jitter=0)
    source, clock = FakeSource(), Clock()
    store = store or AssetStore(None, tmp_path)
    r = AssetRefresher(settings, store, source, lambda: ["BTC", "ETH"], lambda: fetching[0], clock)
    return r, source, store, clock


async def test_only_the_fetching_instance_collects(tmp_path: Path) -> None:
    fetching = [False]
    r, source, store, _ = refresher(tmp_path, fetching)
    assert await r.step() == 5
    assert source.calls == [] and not store.loaded
    fetching[0] = True
    assert await r.step() == 5
    assert source.calls == [(["BTC", "ETH"], False)]
    assert store.ids == {"BTC": "btc", "ETH": "eth"}


async def test_a_fresh_list_is_not_fetched_again_before_its_time(tmp_path: Path) -> None:
    fetching = [True]
    r, source, store, _ = refresher(tmp_path, fetching)
    await r.step()
    assert len(source.calls) == 1
    # A new fetcher (another instance after a fail-over) finds the list a minute old.
    r2, source2, _, _ = refresher(tmp_path, fetching, store)
    assert store.updated_at is not None
    store.updated_at -= 60_000
    assert await r2.step() == 5  # looks again in follow_s, fetches nothing
    assert source2.calls == []
    store.updated_at -= 600_000
    await r2.step()
    assert source2.calls == [(["BTC", "ETH"], True)]


async def test_a_failure_waits_at_least_what_the_source_asked(tmp_path: Path) -> None:
    fetching = [True]
    r, source, store, clock = refresher(tmp_path, fetching)
    source.fail_with = 30.0
    await r.step()
    assert len(source.calls) == 1 and not store.loaded
    clock.t += 29
    await r.step()
    assert len(source.calls) == 1
    clock.t += 1
    source.fail_with = None
    await r.step()
    assert len(source.calls) == 2 and store.loaded
