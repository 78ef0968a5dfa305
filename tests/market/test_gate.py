"""The gate in front of the sink (market/gate.py): only the serving link's updates pass, per
market; a market moving back up the chain never shows an older price."""

from __future__ import annotations

from cryptotracker.market.gate import SourceGate
from cryptotracker.market.routing import Routes
from cryptotracker.protocol import CandleDict, PriceDict, Source
from tests.market.helpers import RecordingSink

B, C, G, S = Source.BINANCE, Source.COINBASE, Source.COINGECKO, Source.SIMULATOR
ORDER = [B, C, Source.KRAKEN, G, S]


def price(symbol: str, source: Source, at: int, value: str = "1.0") -> PriceDict:
    return {
        "symbol": symbol,
        "price": value,
        "priceChangePercent": "0",
        "high24h": value,
        "low24h": value,
        "volume24h": "0",
        "lastUpdateTime": at,
        "source": source.value,
    }


def candle(symbol: str, source: Source) -> CandleDict:
    return {
        "symbol": symbol,
        "interval": "1m",
        "openTime": 0,
        "closeTime": 59_999,
        "open": "1",
        "high": "1",
        "low": "1",
        "close": "1",
        "volume": "0",
        "closed": False,
        "source": source.value,
    }


def test_only_the_serving_links_updates_reach_the_sink() -> None:
    sink = RecordingSink()
    gate = SourceGate(sink, ORDER)
    gate.routes = Routes({"BTCUSDT": B, "SOLUSD": C}, None)
    binance, coinbase = gate.sink_for(B), gate.sink_for(C)
    binance.on_price(price("BTCUSDT", B, 1))
    coinbase.on_price(price("BTCUSDT", C, 2))
    coinbase.on_price(price("SOLUSD", C, 2))
    binance.on_price(price("SOLUSD", B, 3))
    binance.on_candle(candle("BTCUSDT", B))
    coinbase.on_candle(candle("BTCUSDT", C))
    assert [(p["symbol"], p["source"]) for p in sink.prices] == [
        ("BTCUSDT", "binance"),
        ("SOLUSD", "coinbase"),
    ]
    assert [c["source"] for c in sink.candles] == ["binance"]


def test_a_market_moved_back_up_shows_no_older_price() -> None:
    sink = RecordingSink()
    gate = SourceGate(sink, ORDER)
    binance, coinbase = gate.sink_for(B), gate.sink_for(C)
    gate.routes = Routes({"BTCUSDT": C}, None)
    coinbase.on_price(price("BTCUSDT", C, 1_000))
    gate.routes = Routes({"BTCUSDT": B}, None)  # Binance recovered
    binance.on_price(price("BTCUSDT", B, 990, "2.0"))  # older than the one shown: held
    binance.on_price(price("BTCUSDT", B, 1_010, "3.0"))
    binance.on_price(price("BTCUSDT", B, 1_005, "4.0"))  # same link: the store orders it
    assert [(p["source"], p["price"]) for p in sink.prices] == [
        ("coinbase", "1.0"),
        ("binance", "3.0"),
        ("binance", "4.0"),
    ]
    # Falling down the chain, the lower link's word is the best there is, whatever its age.
    gate.routes = Routes({}, None)
    gate.last_resorts = (G,)
    gate.sink_for(G).on_price(price("BTCUSDT", G, 500, "5.0"))
    assert sink.prices[-1]["source"] == "coingecko"


def test_last_resorts_serve_only_what_no_live_link_can() -> None:
    sink = RecordingSink()
    gate = SourceGate(sink, ORDER)
    gate.routes = Routes({"BTCUSDT": B}, None)
    gate.last_resorts = (S, G)  # the simulator stands in; CoinGecko let in once it answers
    gate.sink_for(S).on_price(price("BTCUSDT", S, 1))
    gate.sink_for(S).on_price(price("ETHUSDT", S, 1))
    gate.sink_for(G).on_price(price("ETHUSDT", G, 2))
    assert [(p["symbol"], p["source"]) for p in sink.prices] == [
        ("ETHUSDT", "simulator"),
        ("ETHUSDT", "coingecko"),
    ]
    assert (gate.serving("BTCUSDT"), gate.serving("ETHUSDT")) == (B, S)


def test_a_delisting_counts_only_for_the_markets_the_link_serves_and_no_other_lists() -> None:
    sink = RecordingSink()
    gate = SourceGate(sink, ORDER, lambda source, symbol: symbol == "ETHUSDT" and source is B)
    gate.routes = Routes({"BTCUSDT": B, "SOLUSD": C, "ETHUSDT": B}, None)
    gate.sink_for(C).on_delisted(["BTCUSDT", "SOLUSD"])
    assert sink.delisted == ["SOLUSD"]
    # Coinbase lists ETHUSDT: it moves there, the clients keep their row.
    gate.sink_for(B).on_delisted(["BTCUSDT", "ETHUSDT"])
    assert sink.delisted == ["SOLUSD", "BTCUSDT"]
