"""GET /api/assets and /api/logos/{id} on two instances sharing a real Redis, against the
simulated CoinGecko over a real socket: the holder of the ingest lease fetches, the other
serves what Redis holds, byte for byte, with the same strong ETag; logos come from our own
origin."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from cryptotracker.app import Tracker
from cryptotracker.simulator.server import Simulator
from tests.harness import QuietExchange, serve
from tests.support import wait_async, wait_for

MARKETS = ["BTCUSDT", "ETHUSDT", "PEPEUSDT", "ZZZZUSDT"]


@contextlib.asynccontextmanager
async def instance(
    sim: Simulator, redis_url: str | None, logos: Path, **knobs: Any
) -> AsyncIterator[tuple[Tracker, httpx.AsyncClient]]:
    knobs.setdefault("asset_metadata", True)
    async with (
        serve(
            exchange=QuietExchange(MARKETS), redis_url=redis_url, coingecko_url=sim.coingecko_url,
            logo_dir=str(logos), asset_follow_s=0.05, **knobs,
        ) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):  # fmt: skip
        yield tracker, http


async def loaded(http: httpx.AsyncClient) -> httpx.Response:
    reply: httpx.Response | None = None

    async def ready() -> bool:
        nonlocal reply
        reply = await http.get("/api/assets")
        return reply.json()["updatedAt"] is not None

    await wait_async(ready, 15, "the coin metadata")
    assert reply is not None
    return reply


async def test_one_instance_fetches_the_other_serves_it_from_redis(
    simulator: Simulator, redis_url: str, tmp_path: Path
) -> None:
    async with (
        instance(simulator, redis_url, tmp_path / "a") as (one, http_one),
        instance(simulator, redis_url, tmp_path / "b") as (two, http_two),
    ):
        await wait_for(lambda: one.ingesting != two.ingesting, 10, "one lease holder")
        fetcher, follower = (http_one, http_two) if one.ingesting else (http_two, http_one)
        follower_logos = tmp_path / ("b" if one.ingesting else "a")
        first = await loaded(fetcher)
        second = await loaded(follower)
        assert first.content == second.content
        assert first.headers["etag"] == second.headers["etag"]
        assert first.headers["etag"].startswith('"') and not first.headers["etag"].startswith("W/")
        assert first.headers["cache-control"] == "public, max-age=60"
        rows = {a["asset"]: a for a in first.json()["assets"]}
        assert list(rows) == ["BTC", "ETH", "PEPE", "ZZZZ"]
        assert rows["BTC"]["name"] == "Bitcoin" and rows["BTC"]["logo"] == "/api/logos/bitcoin"
        assert rows["ETH"]["id"] == "ethereum"  # not its bridged copy
        assert rows["ZZZZ"] == {"asset": "ZZZZ", "id": None, "name": None, "logo": None,
                                "rank": None, "marketCap": None, "circulatingSupply": None,
                                "maxSupply": None, "change1h": None, "change7d": None,
                                "change30d": None, "sparkline7d": []}  # fmt: skip
        scraped = (await follower.get("/metrics")).text
        gauge = "cryptotracker_asset_metadata_updated_timestamp_seconds "
        [line] = [x for x in scraped.splitlines() if x.startswith(gauge)]
        assert float(line.removeprefix(gauge)) * 1000 == first.json()["updatedAt"]
        # Only the fetcher asked CoinGecko for coins: the list and one page (every instance
        # reads /exchange_rates itself, for /api/rates).
        coin_calls = {k: n for k, n in simulator.rest.calls.items() if "/coins/" in k}
        assert coin_calls == {"coingecko/coins/list": 1, "coingecko/coins/markets": 1}

        # Gzipped for clients that take it (httpx does), a tag of its own; plain for others.
        assert first.headers["content-encoding"] == "gzip"
        assert first.headers["etag"].endswith('-gz"') and "Accept-Encoding" in first.headers["vary"]
        plain = await follower.get("/api/assets", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == first.content
        assert plain.headers["etag"] == first.headers["etag"].replace("-gz", "")
        assert int(plain.headers["content-length"]) > 2 * int(first.headers["content-length"])

        for http in (fetcher, follower):
            again = await http.get("/api/assets", headers={"If-None-Match": first.headers["etag"]})
            assert (again.status_code, again.content) == (304, b"")
            assert again.headers["etag"] == first.headers["etag"]
            weak = await http.get(
                "/api/assets", headers={"If-None-Match": f'"x", W/{first.headers["etag"]}'}
            )
            assert weak.status_code == 304
            stale = await http.get("/api/assets", headers={"If-None-Match": '"older"'})
            assert stale.status_code == 200

        # The follower has no logo on disk: it reads the fetcher's from Redis, then keeps it.
        assert not (follower_logos / "bitcoin.png").exists()
        logos = [await http.get("/api/logos/bitcoin") for http in (fetcher, follower)]
        assert logos[0].content == logos[1].content
        assert (follower_logos / "bitcoin.png").read_bytes() == logos[1].content
        for logo in logos:
            assert logo.headers["content-type"] == "image/png"
            assert "img-src 'self'" in logo.headers["content-security-policy"]
            assert logo.headers["x-content-type-options"] == "nosniff"
            with Image.open(io.BytesIO(logo.content)) as image:
                assert (image.format, image.size) == ("PNG", (64, 64))
        cached = await follower.get(
            "/api/logos/bitcoin", headers={"If-None-Match": logos[0].headers["etag"]}
        )
        assert cached.status_code == 304
        assert (await follower.get("/api/logos/no-such-coin")).status_code == 404
        assert (await follower.get("/api/logos/..%2Fsettings")).status_code in (404, 422)


async def test_before_any_metadata_the_list_is_empty_not_an_error(
    simulator: Simulator, tmp_path: Path
) -> None:
    async with instance(simulator, None, tmp_path, asset_metadata=False) as (_, http):
        reply = await http.get("/api/assets")
        assert reply.status_code == 200
        assert reply.json() == {"assets": [], "updatedAt": None, "source": None}
        assert reply.headers["etag"].startswith('"')


async def test_a_new_lease_holder_keeps_the_schedule_of_the_list_it_inherits(
    simulator: Simulator, redis_url: str, tmp_path: Path
) -> None:
    """The fetcher stops; the other instance takes the lease and serves the list it followed,
    fetching again only when that list is due (its fetch time + the refresh interval), not at
    the takeover."""
    refresh_s = 10.0
    knobs = {"asset_metadata_refresh_s": refresh_s, "lease_ttl_s": 1.0}
    async with contextlib.AsyncExitStack() as first:
        one, http_one = await first.enter_async_context(
            instance(simulator, redis_url, tmp_path / "a", **knobs)
        )
        await wait_for(lambda: one.ingesting, 10, "the first instance holding the lease")
        async with instance(simulator, redis_url, tmp_path / "b", **knobs) as (two, http_two):
            fetched = (await loaded(http_one)).json()["updatedAt"]
            assert (await loaded(http_two)).json()["updatedAt"] == fetched
            await first.aclose()  # the fetcher stops and releases the lease
            await wait_for(lambda: two.ingesting, 10, "the takeover")
            taken_over = time.time()
            calls = simulator.rest.calls["coingecko/coins/markets"]
            await wait_for(
                lambda: simulator.rest.calls["coingecko/coins/markets"] > calls, 20, "the refetch"
            )
            refetched = time.time()
            assert refetched - fetched / 1000 >= refresh_s - 0.5  # due by the list's own age
            assert refetched - taken_over > 1.0  # not at the takeover
            # The new fetcher read /coins/list itself (once): its own process, its own copy.
            assert simulator.rest.calls["coingecko/coins/list"] == 2
            await wait_for(lambda: two.asset_store.updated_at != fetched, 10, "the new list")
            assert (await http_two.get("/api/assets")).json()["updatedAt"] > fetched


async def test_an_svg_only_coin_is_served_as_our_own_png(
    simulator: Simulator, tmp_path: Path
) -> None:
    """CoinGecko naming SVG logos: the browser still gets a PNG we rendered, never the SVG."""
    simulator.rest.coingecko.set_data_fault("svg")
    async with instance(simulator, None, tmp_path) as (_, http):
        rows = {a["asset"]: a for a in (await loaded(http)).json()["assets"]}
        assert rows["BTC"]["logo"] == "/api/logos/bitcoin"
        logo = await http.get("/api/logos/bitcoin")
    assert logo.status_code == 200 and logo.headers["content-type"] == "image/png"
    assert b"<svg" not in logo.content
    with Image.open(io.BytesIO(logo.content)) as image:
        assert (image.format, image.size) == ("PNG", (64, 64))
        assert image.convert("RGBA").getpixel((8, 32))[3] == 255  # the drawn disc, not empty
