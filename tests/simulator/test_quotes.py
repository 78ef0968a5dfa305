"""The simulator's markets of other quotes: listed as Binance writes them, about 1,400 with
Binance's quotes, and priced at their legs' ratio (ETHBTC ~ ETHUSDT / BTCUSDT) as they trade."""

from __future__ import annotations

import collections

import pytest

from cryptotracker.settings import DEFAULT_QUOTE_ASSETS
from cryptotracker.simulator.assets import UNIT
from cryptotracker.simulator.market import SimMarket
from cryptotracker.simulator.quotes import may_pair

NOW = 1_700_000_000_000


@pytest.fixture(scope="module")
def market() -> SimMarket:
    return SimMarket(300, seed=3, now_ms=NOW, quotes=DEFAULT_QUOTE_ASSETS)


def _price(m: SimMarket, symbol: str) -> float:
    return m.markets[symbol].price / UNIT


def _ratio(m: SimMarket, symbol: str) -> float:
    """What the market's legs say its price should be."""
    legs = m.markets[symbol].legs
    assert legs is not None, symbol
    quote = legs.quote.price / UNIT
    return legs.base.price / UNIT * (quote if legs.inverted else 1 / quote)


def test_binance_quotes_make_about_five_markets_per_coin(market: SimMarket) -> None:
    by_quote = collections.Counter(m.asset.quote for m in market.markets.values())
    assert 1300 <= len(market.markets) <= 1600
    assert by_quote["USDT"] == 300 + 1  # every coin, and EURUSDT
    assert set(by_quote) == set(DEFAULT_QUOTE_ASSETS)
    assert len(market.coins()) == 300


def test_pairs_are_written_as_binance_writes_them(market: SimMarket) -> None:
    for symbol in ("ETHBTC", "BNBBTC", "BNBETH", "BTCUSDC", "BTCFDUSD", "BTCEUR", "EURUSDT",
                   "USDTTRY", "USDTBRL", "BTCTRY", "SOLBTC"):  # fmt: skip
        assert symbol in market.markets, symbol
    for symbol in ("BTCETH", "USDCBTC", "TRYUSDT", "USDTEUR", "PEPEBTC", "USDTUSDT"):
        assert symbol not in market.markets, symbol
    assert may_pair("ETH", "BTC") and not may_pair("BTC", "ETH")
    assert market.markets["ETHBTC"].asset.base == "ETH"
    assert market.markets["USDTTRY"].asset.quote == "TRY"


def test_fiat_anchors_start_near_their_reference_rates(market: SimMarket) -> None:
    assert _price(market, "EURUSDT") == pytest.approx(1.08, rel=0.01)
    assert _price(market, "USDTTRY") == pytest.approx(34.2, rel=0.01)
    assert _price(market, "USDTJPY") == pytest.approx(151.5, rel=0.01)


def test_cross_markets_start_at_and_trade_near_their_legs_ratio(market: SimMarket) -> None:
    crosses = [s for s, m in market.markets.items() if m.legs is not None]
    assert len(crosses) > 1000
    for symbol in crosses:
        tick = market.markets[symbol].asset.tick / UNIT  # the start price is on a tick
        assert abs(_price(market, symbol) - _ratio(market, symbol)) <= tick * 0.501, symbol
    # Trades move every leg; a cross that trades follows its legs, whatever they did.
    for symbol in market.pick(50_000):
        market.trade(symbol, NOW + 1000, 1000.0)
    traded = [s for s in crosses if market.markets[s].last_qty]
    assert len(traded) > 500
    for symbol in traded:
        tick = market.markets[symbol].asset.tick / UNIT
        assert abs(_price(market, symbol) - _ratio(market, symbol)) <= max(
            0.01 * _ratio(market, symbol), 2 * tick
        ), symbol


def test_a_cross_market_shares_its_coins_past(market: SimMarket) -> None:
    """Its 24 h change is its coin's in USDT (the history is the coin's path, scaled)."""
    eth, ethbtc = market.stats("ETHUSDT", NOW), market.stats("ETHBTC", NOW)
    assert ethbtc.open / ethbtc.close == pytest.approx(eth.open / eth.close, rel=0.002)


def test_the_usdt_markets_of_a_seed_are_the_same_with_other_quotes() -> None:
    alone = SimMarket(40, seed=9, now_ms=NOW)
    with_quotes = SimMarket(40, seed=9, now_ms=NOW, quotes=("USDT", "BTC", "EUR"))
    for symbol, m in alone.markets.items():
        other = with_quotes.markets[symbol]
        assert (m.asset, m.price, m.path.key) == (other.asset, other.price, other.path.key)
    assert {"ETHBTC", "BTCEUR", "EURUSDT"} <= set(with_quotes.markets)


def test_a_quote_coin_left_out_by_the_count_is_added_for_its_markets() -> None:
    m = SimMarket(5, seed=1, now_ms=NOW, quotes=("USDT", "USDC", "FDUSD"))
    assert {"USDCUSDT", "FDUSDUSDT", "BTCUSDC", "BTCFDUSD"} <= set(m.markets)
    assert len(m.coins()) == 7


def test_coingecko_lists_coins_only_and_its_rates_agree_with_the_fiat_markets(
    market: SimMarket,
) -> None:
    import orjson

    from cryptotracker.simulator.coingecko import CoinGeckoSim

    sim = CoinGeckoSim(market)
    ids = {c.symbol for c in sim.coins}
    assert "eur" not in ids and "usdt" not in ids  # EURUSDT and USDTTRY are no coins
    assert len([c for c in sim.coins if c.cap_share == 1.0]) == 300
    rates = orjson.loads(sim.api("exchange_rates", {}, NOW).body)["rates"]
    btc = _price(market, "BTCUSDT")
    assert rates["eur"]["value"] / btc == pytest.approx(1 / _price(market, "EURUSDT"), rel=1e-4)
    assert rates["try"]["value"] / btc == pytest.approx(_price(market, "USDTTRY"), rel=1e-4)
    assert rates["try"]["type"] == rates["usd"]["type"] == "fiat"
    assert rates["gbp"]["value"] / btc == pytest.approx(0.79)  # not traded: the fixed rate
