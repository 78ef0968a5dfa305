"""Deriving GET /api/rates: live markets first (direct as written, inverted at RATE_DIGITS),
CoinGecko's BTC-based values for the rest, a stale market giving way to a newer reading."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cryptotracker.api.rates import RATE_DIGITS, Reading, derive_rates
from cryptotracker.protocol import FxRate, PriceDict
from tests.simulator.fixtures import SimulatorFactory

NOW = 1_700_000_600_000
HOUR = 3_600_000


def _price(symbol: str, price: str, at: int = NOW - 1000, source: str = "binance") -> PriceDict:
    return {
        "symbol": symbol, "price": price, "priceChangePercent": "0", "high24h": price,
        "low24h": price, "volume24h": "0", "lastUpdateTime": at, "source": source,
    }  # fmt: skip


def _rates(
    prices: list[PriceDict], currencies: tuple[str, ...], reading: Reading | None = None
) -> dict[str, FxRate]:
    held = {p["symbol"]: p for p in prices}
    out = derive_rates(held.get, currencies, reading, NOW, max_age_ms=HOUR)
    assert out.base == "USDT" and out.timestamp == NOW
    return {r.currency: r for r in out.rates}


def test_a_usdt_quoted_fiat_market_is_the_rate_as_the_exchange_wrote_it() -> None:
    rates = _rates([_price("USDTTRY", "34.12000000", at=NOW - 5000)], ("TRY",))
    assert rates["TRY"] == FxRate(
        currency="TRY", rate="34.12000000", source="binance:USDTTRY", as_of=NOW - 5000
    )


def test_a_fiat_based_market_is_inverted_to_the_stated_precision() -> None:
    rates = _rates([_price("EURUSDT", "1.08000000", source="simulator")], ("EUR",))
    eur = rates["EUR"]
    assert eur.source == "simulator:EURUSDT"
    # 1 / 1.08 = 0.925925925925..., rounded half to even at 12 significant digits.
    assert eur.rate == "0.925925925926"
    assert len(eur.rate.removeprefix("0.")) == RATE_DIGITS
    assert _rates([_price("EURUSDT", "1.25")], ("EUR",))["EUR"].rate == "0.8"  # exact: no padding


def test_inversion_keeps_significant_digits_for_a_weak_base_currency() -> None:
    # A currency worth little in USDT: the rate is large, with its digits kept.
    rates = _rates([_price("IDRUSDT", "0.00006135")], ("IDR",))
    exact = Decimal(1) / Decimal("0.00006135")  # 28 digits
    assert abs(Decimal(rates["IDR"].rate) - exact) / exact < Decimal("1e-12")
    assert rates["IDR"].rate == "16299.9185004"  # 16299.918500407...: 12 digits


def test_a_currency_without_a_usdt_market_crosses_its_btc_market_with_btcusdt() -> None:
    prices = [_price("BTCJPY", "14400000", at=NOW - 9000), _price("BTCUSDT", "96000.00000000")]
    assert _rates(prices, ("JPY",))["JPY"] == FxRate(
        currency="JPY", rate="150", source="binance:BTCJPY/BTCUSDT", as_of=NOW - 9000
    )  # as old as the older of the two markets
    # A USDT market of the currency comes first.
    prices.append(_price("USDTJPY", "151.20"))
    assert _rates(prices, ("JPY",))["JPY"].source == "binance:USDTJPY"
    assert _rates(prices[:1], ("JPY",)) == {}  # no BTCUSDT: no cross


def test_currencies_no_market_covers_come_from_coingecko_divided_by_btcusdt() -> None:
    reading = Reading(
        {"USD": Decimal("95012.5"), "GBP": Decimal("74810.01")}, Decimal("95000"), NOW - 60_000
    )
    rates = _rates([], ("USD",), reading)
    # GBP per USDT = GBP per BTC / USDT per BTC (BTCUSDT when the reading arrived).
    assert rates["GBP"] == FxRate(
        currency="GBP", rate="0.787473789474", source="coingecko", as_of=NOW - 60_000
    )
    assert rates["USD"].rate == "1.00013157895"


def test_coingecko_own_usdt_value_wins_over_btcusdt() -> None:
    reading = Reading(
        {"USD": Decimal("95000"), "EUR": Decimal("88000"), "USDT": Decimal("94900")},
        Decimal("1"),  # would be absurd if used
        NOW,
    )
    assert _rates([], (), reading)["EUR"].rate == "0.927291886196"


def test_a_market_beats_coingecko_while_fresh() -> None:
    reading = Reading({"EUR": Decimal("88000")}, Decimal("95000"), NOW)
    rates = _rates([_price("EURUSDT", "1.08", at=NOW - HOUR + 1)], ("EUR",), reading)
    assert rates["EUR"].source == "binance:EURUSDT"


def test_a_stale_market_gives_way_to_a_newer_reading_and_is_served_without_one() -> None:
    stale = _price("EURUSDT", "1.08", at=NOW - 2 * HOUR)
    reading = Reading({"EUR": Decimal("88000")}, Decimal("95000"), NOW - 30_000)
    assert _rates([stale], ("EUR",), reading)["EUR"].source == "coingecko"
    # Without a fallback the stale rate is still served: its as_of says how old it is.
    served = _rates([stale], ("EUR",))["EUR"]
    assert served.source == "binance:EURUSDT" and NOW - served.as_of == 2 * HOUR
    # A reading older than the stale market does not replace it.
    older = Reading({"EUR": Decimal("88000")}, Decimal("95000"), NOW - 3 * HOUR)
    assert _rates([stale], ("EUR",), older)["EUR"].source == "binance:EURUSDT"


def test_a_currency_nothing_covers_is_left_out_and_usdt_is_the_base_not_a_rate() -> None:
    rates = _rates([_price("BTCUSDT", "95000")], ("USDT", "CHF", "EUR"))
    assert rates == {}
    # A reading that came before any BTCUSDT price takes BTCUSDT now, once there is one.
    early = Reading({"EUR": Decimal("88000")}, None, NOW)
    assert _rates([], ("EUR",), early) == {}
    assert _rates([_price("BTCUSDT", "96000")], ("EUR",), early)["EUR"].rate == "0.916666666667"


def test_a_market_with_an_unusable_price_is_skipped() -> None:
    assert _rates([_price("EURUSDT", "0")], ("EUR",)) == {}
    assert _rates([_price("USDTTRY", "0.00000000"), _price("TRYUSDT", "0.03")], ("TRY",)) == {
        "TRY": FxRate(currency="TRY", rate="33.3333333333", source="binance:TRYUSDT",
                      as_of=NOW - 1000)
    }  # fmt: skip


async def test_the_route_serves_the_rates_with_a_short_cache_and_a_weak_etag() -> None:
    import httpx

    from tests.harness import QuietExchange, serve

    async with (
        serve(exchange=QuietExchange(["EURUSDT"])) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        tracker.store.apply([_price("EURUSDT", "1.08", at=1_700_000_000_000)])
        first = await http.get("/api/rates")
        assert first.status_code == 200
        assert first.headers["cache-control"] == "public, max-age=5"
        body = first.json()
        assert body["base"] == "USDT"
        assert body["rates"] == [
            {"currency": "EUR", "rate": "0.925925925926", "source": "binance:EURUSDT",
             "asOf": 1_700_000_000_000}
        ]  # fmt: skip
        tag = first.headers["etag"]
        assert tag.startswith('W/"')
        again = await http.get("/api/rates", headers={"if-none-match": tag})
        assert again.status_code == 304 and again.headers["etag"] == tag
        tracker.store.apply([_price("EURUSDT", "1.09", at=1_700_000_001_000)])
        moved = await http.get("/api/rates", headers={"if-none-match": tag})
        assert moved.status_code == 200 and moved.headers["etag"] != tag


async def test_rates_come_from_the_simulated_exchanges_fiat_markets(
    simulator_factory: SimulatorFactory,
) -> None:
    """Over real sockets: the simulator lists EURUSDT and USDTTRY, the tracker reads them like
    Binance, and /api/rates inverts the one and passes the other on; the currencies it does not
    trade come from its CoinGecko /exchange_rates."""
    import httpx

    from tests.harness import serve
    from tests.support import wait_for
    from tests.test_end_to_end import settings_for

    sim = await simulator_factory(symbols=10, quotes=("USDT", "EUR", "TRY"))
    async with (
        serve(settings_for(sim, quote_assets=["USDT", "EUR", "TRY"])) as (tracker, url),
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        await wait_for(
            lambda: tracker.store.get("EURUSDT") and tracker.store.get("USDTTRY"), 20, "fiat"
        )
        symbols = {s["symbol"]: s for s in (await http.get("/api/symbols")).json()["symbols"]}
        assert symbols["BTCEUR"]["quoteAsset"] == "EUR"
        assert symbols["USDTTRY"] == {"symbol": "USDTTRY", "baseAsset": "USDT", "quoteAsset": "TRY"}
        rates = {r["currency"]: r for r in (await http.get("/api/rates")).json()["rates"]}
        prices = {p["symbol"]: p for p in (await http.get("/api/prices")).json()["prices"]}
        eur, eurusdt = rates["EUR"], prices["EURUSDT"]
        assert eur["source"] == "binance:EURUSDT"
        assert eur["asOf"] <= eurusdt["lastUpdateTime"]  # a rate is never newer than its market
        assert Decimal(eur["rate"]) * Decimal(eurusdt["price"]) == pytest.approx(
            1, abs=Decimal("0.002")
        )
        assert Decimal(eur["rate"]) == pytest.approx(
            Decimal(1) / Decimal("1.08"), rel=Decimal("0.03")
        )
        assert rates["TRY"]["source"] == "binance:USDTTRY"
        assert Decimal(rates["TRY"]["rate"]) == pytest.approx(Decimal("34.2"), rel=Decimal("0.03"))
        # USD and GBP no market covers: from (the simulator's) CoinGecko /exchange_rates.
        await wait_for(lambda: tracker._fx_reading is not None, 20, "a CoinGecko reading")
        rates = {r["currency"]: r for r in (await http.get("/api/rates")).json()["rates"]}
        assert rates["USD"]["source"] == rates["GBP"]["source"] == "coingecko"
        assert Decimal(rates["USD"]["rate"]) == pytest.approx(1, rel=Decimal("0.01"))
        assert Decimal(rates["GBP"]["rate"]) == pytest.approx(Decimal("0.79"), rel=Decimal("0.01"))
        assert rates["EUR"]["source"] == "binance:EURUSDT"  # the live market still wins


def test_the_demo_simulators_imitation_of_coingecko_is_labelled_simulator() -> None:
    reading = Reading({"GBP": Decimal("75000")}, Decimal("95000"), NOW, source="simulator")
    assert _rates([], (), reading)["GBP"].source == "simulator"
