"""Collecting coin metadata from the simulated CoinGecko over a real socket: the tracked
tickers' rows (shared tickers to the biggest coin, unknown ones as rows of unknowns), logos
fetched once and sanitised, and bad data (nulls, 429, huge or fake images, SVG) costing only
what it touches, counted."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cryptotracker.market.asset_source import (
    DEMO_KEY_HEADER,
    LOGO_RETRY_S,
    AssetMetadataSource,
    coingecko_headers,
)
from cryptotracker.metrics import REGISTRY
from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.protocol import AssetInfo, AssetList
from cryptotracker.settings import Settings
from cryptotracker.simulator.faults import HttpFault
from cryptotracker.simulator.server import Simulator

TRACKED = ["BTC", "ETH", "PEPE", "SOL", "NOTACOIN"]


def problems(reason: str, field: str) -> float:
    value = REGISTRY.get_sample_value(
        "cryptotracker_asset_metadata_problems_total", {"reason": reason, "field": field}
    )
    return value or 0.0


def source(sim: Simulator, **knobs: Any) -> AssetMetadataSource:
    settings = Settings(coingecko_calls_per_min=6000, rest_timeout_s=5.0, **knobs)
    return AssetMetadataSource(settings, base_url=lambda: sim.coingecko_url)


def by_asset(listing: AssetList | None) -> dict[str, AssetInfo]:
    assert listing is not None
    return {a.asset: a for a in listing.assets}


async def test_tracked_tickers_get_names_figures_sparklines_and_our_logo_urls(
    simulator: Simulator, tmp_path: Path
) -> None:
    store = AssetStore(None, tmp_path)
    src = source(simulator)
    listing, retry = await src.collect(TRACKED, store, have_previous=False)
    assert retry is None
    rows = by_asset(listing)
    assert list(rows) == sorted(TRACKED)
    btc, eth = rows["BTC"], rows["ETH"]
    assert (btc.id, btc.name, btc.rank, btc.max_supply) == ("bitcoin", "Bitcoin", 1, "21000000")
    assert btc.logo == "/api/logos/bitcoin" and store.has_logo("bitcoin")
    assert len(btc.sparkline7d) == Settings().asset_sparkline_points == 48
    assert btc.market_cap is not None
    assert all(x is not None for x in (btc.change1h, btc.change7d, btc.change30d))
    # ETH is shared with a bridged copy (a thousandth of the cap): the real one wins.
    assert eth.id == "ethereum" and eth.name == "Ethereum"
    assert rows["NOTACOIN"] == AssetInfo(asset="NOTACOIN")
    # Calls: the list, one page (the simulated market has fewer than 250 coins); logos once.
    assert simulator.rest.calls == {"coingecko/coins/list": 1, "coingecko/coins/markets": 1}
    png = (tmp_path / "bitcoin.png").read_bytes()
    listing, retry = await src.collect(TRACKED, store, have_previous=True)
    assert retry is None and by_asset(listing)["BTC"].logo == "/api/logos/bitcoin"
    assert (tmp_path / "bitcoin.png").read_bytes() == png
    assert simulator.rest.calls["coingecko/coins/list"] == 1  # read again only daily


async def test_coins_below_the_pages_are_asked_for_by_id(
    simulator: Simulator, tmp_path: Path
) -> None:
    """One page of one coin per call: BTC is on it, the other tracked coins come by id."""
    src = source(simulator, asset_metadata_pages=1)
    src.per_page = 1
    listing, retry = await src.collect(["BTC", "PEPE", "SOL"], AssetStore(None, tmp_path), False)
    assert retry is None
    rows = by_asset(listing)
    assert {a: r.id for a, r in rows.items()} == {"BTC": "bitcoin", "PEPE": "pepe", "SOL": "solana"}
    assert all(r.market_cap is not None for r in rows.values())
    assert simulator.rest.calls["coingecko/coins/markets"] == 2


async def test_nulls_leave_rows_with_what_is_known(simulator: Simulator, tmp_path: Path) -> None:
    simulator.rest.coingecko.set_data_fault("nulls")
    before = problems("unknown", "market_cap")
    listing, retry = await source(simulator).collect(TRACKED, AssetStore(None, tmp_path), False)
    assert retry is None
    btc = by_asset(listing)["BTC"]
    # The name comes from /coins/list when the markets row lacks it.
    assert (btc.id, btc.name) == ("bitcoin", "Bitcoin")
    assert (btc.rank, btc.market_cap, btc.logo, btc.sparkline7d) == (None, None, None, [])
    assert problems("unknown", "market_cap") >= before + 4
    AssetList.model_validate(listing.model_dump(by_alias=True) if listing else {})


async def test_a_429_keeps_the_previous_list_and_says_how_long_to_wait(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.faults.http["coingecko"] = HttpFault(429, remaining=1, retry_after=30)
    before = problems("http_429", "coins/list")
    listing, retry = await source(simulator).collect(TRACKED, AssetStore(None, tmp_path), True)
    assert (listing, retry) == (None, 30.0)
    assert problems("http_429", "coins/list") == before + 1


async def test_a_failure_with_nothing_yet_still_gives_every_row(
    simulator: Simulator, tmp_path: Path
) -> None:
    simulator.faults.http["coingecko"] = HttpFault(500)
    listing, retry = await source(simulator).collect(TRACKED, AssetStore(None, tmp_path), False)
    assert retry == 0.0
    assert by_asset(listing) == {a: AssetInfo(asset=a) for a in TRACKED}


@pytest.mark.parametrize(
    ("mode", "reason"),
    [
        ("huge_image", "logo_too_large"),
        ("not_image", "logo_not_image"),
        ("svg_hostile", "logo_svg_external"),
    ],
)
async def test_a_bad_logo_costs_only_the_logo(
    simulator: Simulator, tmp_path: Path, mode: str, reason: str
) -> None:
    simulator.rest.coingecko.set_data_fault(mode)
    before = problems(reason, "image")
    store = AssetStore(None, tmp_path)
    listing, retry = await source(simulator).collect(["BTC", "ETH"], store, False)
    assert retry is None
    rows = by_asset(listing)
    assert [r.logo for r in rows.values()] == [None, None]
    assert rows["BTC"].name == "Bitcoin" and rows["BTC"].market_cap is not None
    assert problems(reason, "image") == before + 2
    assert not any(store.has_logo(c) for c in ("bitcoin", "ethereum"))


async def test_svg_logos_are_kept_as_pngs_we_rendered(simulator: Simulator, tmp_path: Path) -> None:
    simulator.rest.coingecko.set_data_fault("svg")
    store = AssetStore(None, tmp_path)
    listing, retry = await source(simulator).collect(["BTC", "ETH"], store, False)
    assert retry is None
    assert [r.logo for r in by_asset(listing).values()] == [
        "/api/logos/bitcoin",
        "/api/logos/ethereum",
    ]
    png = (tmp_path / "bitcoin.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"<svg" not in png


async def test_logos_are_fetched_only_from_known_hosts(
    simulator: Simulator, tmp_path: Path
) -> None:
    """The source names the logo's URL; an address it names outside CoinGecko's image hosts
    and its own (here: metadata from localhost, logos on 127.0.0.1) is not fetched."""
    settings = Settings(coingecko_calls_per_min=6000, logo_hosts=[])
    url = simulator.coingecko_url.replace("127.0.0.1", "localhost")
    src = AssetMetadataSource(settings, base_url=lambda: url)
    before = problems("logo_host", "image")
    listing, retry = await src.collect(["BTC"], AssetStore(None, tmp_path), False)
    assert retry is None and by_asset(listing)["BTC"].logo is None
    assert problems("logo_host", "image") == before + 1
    assert Settings(logo_hosts="a.example, b.example").logo_hosts == ["a.example", "b.example"]


def test_the_demo_key_is_sent_only_when_set() -> None:
    assert coingecko_headers(Settings()) == {}
    keyed = Settings(coingecko_demo_key="CG-secret")
    assert coingecko_headers(keyed) == {DEMO_KEY_HEADER: "CG-secret"}
    assert "CG-secret" not in repr(keyed)


async def test_a_refused_logo_is_tried_again_a_day_later_not_every_refresh(
    simulator: Simulator, tmp_path: Path
) -> None:
    offset = [0.0]
    settings = Settings(coingecko_calls_per_min=6000)
    src = AssetMetadataSource(
        settings, base_url=lambda: simulator.coingecko_url,
        clock=lambda: time.monotonic() + offset[0],
    )  # fmt: skip
    store = AssetStore(None, tmp_path)
    simulator.rest.coingecko.set_data_fault("not_image")
    listing, _ = await src.collect(["BTC"], store, False)
    assert by_asset(listing)["BTC"].logo is None
    simulator.rest.coingecko.set_data_fault("none")
    listing, _ = await src.collect(["BTC"], store, True)
    assert by_asset(listing)["BTC"].logo is None  # not asked again ten minutes later
    offset[0] += LOGO_RETRY_S
    listing, _ = await src.collect(["BTC"], store, True)
    assert by_asset(listing)["BTC"].logo == "/api/logos/bitcoin"
