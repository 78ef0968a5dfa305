"""The simulated CoinGecko over a real socket: the shapes of CoinGecko's documented answers
(`tests/fixtures/coingecko/`), sparklines and changes from the simulated market, logos as SVG
and PNG on its own address, exchange rates against BTC, and the data faults tests ask for."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from cryptotracker.simulator.assets import UNIT
from cryptotracker.simulator.coingecko import FIAT, HUGE_IMAGE_BYTES, CoinGeckoSim
from cryptotracker.simulator.market import HOUR_MS, SimMarket
from cryptotracker.simulator.server import Simulator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coingecko"
MARKETS = "/coins/markets?vs_currency=usd&sparkline=true&price_change_percentage=1h,7d,30d"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def json_type(value: object) -> str:
    return "number" if isinstance(value, int | float) else type(value).__name__


async def get(sim: Simulator, path: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sim.coingecko_url, timeout=10) as http:
        return await http.get(path)


async def test_markets_rows_have_the_documented_fields_and_types(simulator: Simulator) -> None:
    # The example row lacks what our request asks for; those fields come from our own file.
    documented = fixture("coins_markets.json")[0] | fixture(
        "ours_coins_markets_requested_fields.json"
    )
    reply = await get(simulator, MARKETS)
    assert reply.status_code == 200
    rows = reply.json()
    assert len(rows) == len(simulator.rest.coingecko.coins)  # one page holds them all
    for row in rows:
        assert set(row) == set(documented)
        for key, value in documented.items():
            if value is not None and row[key] is not None:
                assert json_type(row[key]) == json_type(value), key
    btc = rows[0]
    assert (btc["id"], btc["symbol"], btc["name"], btc["market_cap_rank"]) == (
        "bitcoin", "btc", "Bitcoin", 1,
    )  # fmt: skip
    prices = btc["sparkline_in_7d"]["price"]
    assert len(prices) == 168
    market = simulator.market.markets["BTCUSDT"]
    assert abs(prices[-1] - market.price / UNIT) / prices[-1] < 0.01
    assert btc["market_cap"] == round(market.asset.supply * btc["current_price"])
    assert btc["image"] == f"{simulator.rest_url}/coingecko/images/bitcoin.png"


async def test_without_sparkline_or_changes_asked_they_are_left_out(simulator: Simulator) -> None:
    [row] = (await get(simulator, "/coins/markets?vs_currency=usd&ids=ethereum")).json()
    assert row["id"] == "ethereum"
    assert "sparkline_in_7d" not in row
    assert not any(k.endswith("_in_currency") for k in row)


async def test_shared_tickers_are_listed_like_coingecko_lists_them(simulator: Simulator) -> None:
    # CoinGecko's example is the include_platform=true answer; we ask without platforms.
    documented = set(fixture("coins_list.json")[0]) - {"platforms"}
    listed = (await get(simulator, "/coins/list")).json()
    assert all(set(entry) == documented for entry in listed)
    eths = sorted(e["id"] for e in listed if e["symbol"] == "eth")
    assert eths == ["ethereum", "ethereum-bridged"]
    rows = await get(simulator, "/coins/markets?vs_currency=usd&ids=ethereum,ethereum-bridged")
    caps = {r["id"]: r["market_cap"] for r in rows.json()}
    assert caps["ethereum"] > 100 * caps["ethereum-bridged"]


async def test_exchange_rates_are_against_btc_in_the_documented_shape(
    simulator: Simulator,
) -> None:
    documented = fixture("exchange_rates.json")["rates"]["eth"]
    rates = (await get(simulator, "/exchange_rates")).json()["rates"]
    assert all(set(rate) == set(documented) for rate in rates.values())
    assert rates["btc"]["value"] == 1.0 and rates["btc"]["type"] == "crypto"
    btc_usd = simulator.market.markets["BTCUSDT"].price / UNIT
    assert abs(rates["usd"]["value"] - btc_usd) < 0.01
    for code, (_, _, per_usd) in FIAT.items():
        assert rates[code]["type"] == "fiat"
        assert abs(rates[code]["value"] - btc_usd * per_usd) < 0.01
    eth_usd = simulator.market.markets["ETHUSDT"].price / UNIT
    assert abs(rates["eth"]["value"] * eth_usd - btc_usd) / btc_usd < 1e-9


async def test_logos_are_served_as_png_and_svg_outside_the_api_limit(
    simulator: Simulator,
) -> None:
    async with httpx.AsyncClient(base_url=simulator.rest_url, timeout=10) as http:
        for _ in range(40):  # more than the 30 API calls a minute
            png = await http.get("/coingecko/images/bitcoin.png")
            assert png.status_code == 200
        assert png.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(png.content)) as image:
            assert image.format == "PNG" and image.size == (128, 128)
        svg = await http.get("/coingecko/images/bitcoin.svg")
        assert svg.headers["content-type"] == "image/svg+xml"
        assert ET.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"
        assert (await http.get("/coingecko/images/nonesuch.png")).status_code == 404
        assert (await http.get("/coingecko/images/bitcoin.gif")).status_code == 404


async def test_data_faults_on_demand(simulator: Simulator) -> None:
    async with httpx.AsyncClient(base_url=simulator.rest_url, timeout=10) as http:

        async def fault(mode: str) -> None:
            reply = await http.get(f"/sim/fault?kind=coingecko_data&mode={mode}")
            assert reply.status_code == 200

        await fault("nulls")
        [row] = (await get(simulator, f"{MARKETS}&ids=bitcoin")).json()
        assert "name" not in row
        for key in ("market_cap", "market_cap_rank", "image", "sparkline_in_7d",
                    "price_change_percentage_7d_in_currency", "max_supply"):  # fmt: skip
            assert row[key] is None, key
        assert row["current_price"] > 0  # prices still flow for the fallback poller
        await fault("huge_image")
        huge = await http.get("/coingecko/images/bitcoin.png")
        assert len(huge.content) > HUGE_IMAGE_BYTES and huge.content.startswith(b"\x89PNG")
        await fault("not_image")
        fake = await http.get("/coingecko/images/bitcoin.png")
        assert fake.headers["content-type"] == "image/png" and fake.content.startswith(b"<html>")
        await fault("none")  # faults add up until cleared
        await fault("svg")
        [row] = (await get(simulator, f"{MARKETS}&ids=bitcoin")).json()
        assert row["image"].endswith("/bitcoin.svg")
        assert (await http.get("/sim/fault?kind=coingecko_data&mode=bogus")).status_code == 400
        assert (await http.get("/sim/fault?kind=clear")).status_code == 200
        [row] = (await get(simulator, f"{MARKETS}&ids=bitcoin")).json()
        assert row["name"] == "Bitcoin" and row["image"].endswith("/bitcoin.png")


def test_a_new_hour_extends_the_kept_sparkline_as_a_fresh_one_would_be() -> None:
    """Past hours are kept and each new hour adds one point: the same series as computing
    all 168 afresh."""
    start = 1_700_000_000_000
    kept = CoinGeckoSim(SimMarket(5, 3, start))
    kept._hourly("BTCUSDT", start)
    for hours in (1, 2, 200):
        later = start + hours * HOUR_MS
        fresh = CoinGeckoSim(SimMarket(5, 3, start))
        assert kept._hourly("BTCUSDT", later) == fresh._hourly("BTCUSDT", later)
        assert len(kept._hourly("BTCUSDT", later)) == 168
