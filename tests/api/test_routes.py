"""Operations routes against a real server: API docs only when `serve_docs`, /metrics only for
the addresses of `metrics_allow`."""

from __future__ import annotations

from typing import Any

import httpx

from tests.harness import QuietExchange, serve

DOCS = ("/docs", "/redoc", "/openapi.json")
OUTSIDE = {"x-forwarded-for": "203.0.113.9"}  # the HTTP server believes 127.0.0.1's header


async def _get(path: str, headers: dict[str, str] | None = None, **settings: Any) -> list[int]:
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"]), **settings) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        return [(await http.get(p, headers=headers)).status_code for p in path.split()]


async def test_docs_are_served_by_default_and_404_when_turned_off() -> None:
    assert await _get(" ".join(DOCS)) == [200, 200, 200]
    # 404, not the web app's index.html, whether or not the web app is built.
    assert await _get(" ".join(DOCS), serve_docs=False, web_dist="web/dist") == [404, 404, 404]


async def test_metrics_are_for_loopback_by_default_and_403_for_others() -> None:
    assert await _get("/metrics") == [200]
    assert await _get("/metrics", OUTSIDE) == [403]


async def test_metrics_allow_takes_networks() -> None:
    allow = {"metrics_allow": ["203.0.113.0/24"]}
    assert await _get("/metrics", OUTSIDE, **allow) == [200]
    assert await _get("/metrics", **allow) == [403]  # loopback is no longer in the list


async def test_a_422_of_any_route_names_the_field_and_never_echoes_the_input() -> None:
    junk = "x" * 6000
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"])) as (_, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        for path in (f"/api/candles/BTCUSDT?limit={junk}", f"/api/candles/BTCUSDT?interval={junk}"):
            reply = await http.get(path)
            assert reply.status_code == 422
            assert len(reply.content) < 1024 and junk[:64] not in reply.text
            [detail] = reply.json()["detail"]
            assert detail["loc"][0] == "query" and "input" not in detail


async def test_metrics_give_the_newest_price_time_read_at_scrape() -> None:
    """What the "no fresh price" alert reads: 0 before the first price, then the newest one's
    exchange time in seconds, as the store holds it when Prometheus asks."""
    gauge = "cryptotracker_newest_price_timestamp_seconds "
    async with (
        serve(exchange=QuietExchange(["BTCUSDT"])) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):

        async def scraped() -> float:
            [line] = [
                x for x in (await http.get("/metrics")).text.splitlines() if x.startswith(gauge)
            ]
            return float(line.removeprefix(gauge))

        assert await scraped() == 0
        for symbol, at_ms in (("BTCUSDT", 1_700_000_000_250), ("ETHUSDT", 1_700_000_004_500)):
            tracker.store.apply([
                {"symbol": symbol, "price": "1.0", "priceChangePercent": "0", "high24h": "1.0",
                 "low24h": "1.0", "volume24h": "0", "lastUpdateTime": at_ms, "source": "binance"}
            ])  # fmt: skip
        assert await scraped() == 1_700_000_004.5
