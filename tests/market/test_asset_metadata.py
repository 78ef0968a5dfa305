"""The coin metadata parser and the ticker -> coin choice: CoinGecko's documented answers in,
our `AssetInfo` out; bad values leave only their own figure unknown, and are counted."""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cryptotracker.market.asset_metadata import (
    CoinMarket,
    Listing,
    asset_info,
    choose,
    parse_list,
    parse_market_row,
    parse_markets,
    resolve,
    thin,
)
from cryptotracker.metrics import REGISTRY
from cryptotracker.protocol import AssetInfo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "coingecko"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def requested_row() -> dict[str, Any]:
    """CoinGecko's example row plus the fields our request asks for, which the example lacks
    (`ours_coins_markets_requested_fields.json`, not CoinGecko's text)."""
    row: dict[str, Any] = fixture("coins_markets.json")[0]
    return row | fixture("ours_coins_markets_requested_fields.json")


def problems(reason: str, field: str) -> float:
    value = REGISTRY.get_sample_value(
        "cryptotracker_asset_metadata_problems_total", {"reason": reason, "field": field}
    )
    return value or 0.0


def test_the_documented_markets_row_becomes_our_asset_row() -> None:
    [market] = parse_markets([requested_row()])
    info = asset_info("BTC", market, None, has_logo=True, points=84)
    assert info == AssetInfo(
        asset="BTC",
        id="bitcoin",
        name="Bitcoin",
        logo="/api/logos/bitcoin",
        rank=1,
        market_cap="1381651251183",
        circulating_supply="19675987",
        max_supply="21000000",
        change1h="0.19",
        change7d="1.87",
        change30d="11.89",
        sparkline7d=[68904.0, 69012.0, 68750.0, 69350.0, 69981.0, 70187.0],  # 5 digits
    )
    assert (
        market.image == "https://assets.coingecko.com/coins/images/1/large/bitcoin.png?1696501400"
    )
    # The wire model takes it (decimal strings, camelCase).
    wire = info.model_dump(mode="json", by_alias=True)
    assert wire["marketCap"] == "1381651251183" and wire["change7d"] == "1.87"


def test_the_bare_example_row_leaves_the_unasked_figures_unknown() -> None:
    # CoinGecko's example is the answer to a request without sparkline or changes.
    before = problems("unknown", "sparkline_in_7d")
    [market] = parse_markets(fixture("coins_markets.json"))
    info = asset_info("BTC", market, None, has_logo=True, points=84)
    assert (info.rank, info.market_cap, info.max_supply) == (1, "1381651251183", "21000000")
    assert (info.change1h, info.change7d, info.change30d, info.sparkline7d) == (
        None, None, None, [],
    )  # fmt: skip
    assert problems("unknown", "sparkline_in_7d") == before + 1


def test_without_a_logo_of_ours_the_row_names_none() -> None:
    [market] = parse_markets([requested_row()])
    assert asset_info("BTC", market, None, has_logo=False, points=84).logo is None


def test_coingeckos_no_logo_picture_is_no_logo() -> None:
    row = requested_row()
    row["image"] = "https://assets.coingecko.com/coins/images/9999/large/missing_large.png?1"
    before = problems("unknown", "image")
    market = parse_market_row(row)
    assert market is not None and market.image is None
    assert problems("unknown", "image") == before + 1


def test_the_documented_list_gives_upper_case_tickers() -> None:
    assert parse_list(fixture("coins_list.json")) == [
        Listing("0chain", "ZCN", "Zus"),
        Listing("01coin", "ZOC", "01coin"),
    ]


def test_nulls_leave_their_figure_unknown_and_are_counted_by_field() -> None:
    row = requested_row()
    for key in ("market_cap", "market_cap_rank", "circulating_supply", "image",
                "price_change_percentage_7d_in_currency", "sparkline_in_7d"):  # fmt: skip
        row[key] = None
    del row["name"]
    before = {f: problems("unknown", f) for f in ("market_cap", "name", "sparkline_in_7d")}
    market = parse_market_row(row)
    assert market is not None
    info = asset_info("BTC", market, Listing("bitcoin", "BTC", "Bitcoin"), False, 84)
    assert (info.name, info.rank, info.market_cap, info.change7d) == ("Bitcoin", None, None, None)
    assert (info.change1h, info.max_supply, info.sparkline7d) == ("0.19", "21000000", [])
    for field, count in before.items():
        assert problems("unknown", field) == count + 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("market_cap", "lots"),
        ("market_cap", -5),
        ("market_cap_rank", 0),
        ("circulating_supply", True),
        ("sparkline_in_7d", {"price": [1.0, "x"]}),
        ("max_supply", float("inf")),
    ],
)
def test_a_malformed_value_is_dropped_and_counted(key: str, value: object) -> None:
    row = requested_row()
    row[key] = value
    before = problems("bad_value", key)
    market = parse_market_row(row)
    assert market is not None and market.name == "Bitcoin"  # the rest of the row stands
    assert problems("bad_value", key) == before + 1


def test_rows_without_id_or_symbol_and_non_lists_are_skipped_and_counted() -> None:
    good = requested_row()
    before = problems("bad_row", "coins/markets")
    rows = parse_markets([{"symbol": "x"}, {"id": "y"}, "junk", good])
    assert [m.id for m in rows] == ["bitcoin"]
    assert problems("bad_row", "coins/markets") == before + 3
    before = problems("not_a_list", "coins/list")
    assert parse_list({"error": "Not Found"}) == []
    assert problems("not_a_list", "coins/list") == before + 1


def test_a_zero_market_cap_or_supply_is_unknown_not_zero() -> None:
    row = requested_row()
    row["market_cap"], row["circulating_supply"] = 0, 0.0
    before = problems("unknown", "market_cap")
    market = parse_market_row(row)
    assert market is not None
    assert (market.market_cap, market.circulating_supply) == (None, None)
    assert problems("unknown", "market_cap") == before + 1


def test_an_overlong_name_is_dropped_not_served() -> None:
    row = requested_row()
    row["name"] = "B" * 100_000
    before = problems("bad_value", "text")
    market = parse_market_row(row)
    assert market is not None and market.name is None and market.id == "bitcoin"
    assert problems("bad_value", "text") == before + 1


def test_uncapped_supply_is_not_a_gap() -> None:
    row = requested_row()
    row["max_supply"] = None
    before = problems("unknown", "max_supply")
    market = parse_market_row(row)
    assert market is not None and market.max_supply is None
    assert problems("unknown", "max_supply") == before


def _market(cid: str, symbol: str, cap: str | None) -> CoinMarket:
    return CoinMarket(id=cid, symbol=symbol, market_cap=cap)


def test_a_shared_ticker_goes_to_the_highest_market_cap_whatever_the_order() -> None:
    listings = [
        Listing("ethereum-wormhole", "ETH", "Ethereum (Wormhole)"),
        Listing("ethereum", "ETH", "Ethereum"),
        Listing("eth-impostor", "ETH", "ETH"),
        Listing("bitcoin", "BTC", "Bitcoin"),
    ]
    markets = {
        m.id: m
        for m in (
            _market("ethereum-wormhole", "ETH", "5000000"),
            _market("ethereum", "ETH", "400000000000"),
            _market("bitcoin", "BTC", None),
        )
    }
    rng = random.Random(3)
    for _ in range(10):
        rng.shuffle(listings)
        assert resolve(["eth", "BTC", "NOPE"], listings, markets) == {
            "ETH": "ethereum",
            "BTC": "bitcoin",
        }


def test_equal_or_unknown_caps_go_to_the_smaller_id() -> None:
    assert choose([("b-coin", Decimal(7)), ("a-coin", Decimal(7))]) == "a-coin"
    assert choose([("b-coin", None), ("a-coin", None)]) == "a-coin"
    # A known cap, however small, beats an unknown one.
    assert choose([("a-coin", None), ("z-coin", Decimal(0))]) == "z-coin"


def test_a_ticker_known_only_from_the_list_keeps_its_name() -> None:
    listing = Listing("tiny-coin", "TINY", "Tiny")
    assert resolve(["TINY"], [listing], {}) == {"TINY": "tiny-coin"}
    info = asset_info("TINY", None, listing, True, 84)
    assert (info.id, info.name, info.logo, info.market_cap) == ("tiny-coin", "Tiny", None, None)


def test_an_unknown_asset_is_a_row_of_unknowns() -> None:
    assert asset_info("ZZZ", None, None, False, 84) == AssetInfo(asset="ZZZ")


def test_sparklines_are_thinned_evenly_keeping_both_ends() -> None:
    prices = [float(i) for i in range(168)]
    thinned = thin(prices, 84)
    assert len(thinned) == 84 and thinned[0] == 0.0 and thinned[-1] == 167.0
    assert thinned == sorted(thinned)
    assert thin([1.23456789], 84) == [1.2346]


def test_sparkline_prices_keep_five_significant_digits_at_any_magnitude() -> None:
    prices = [0.000123456789, 0.99987654, 1.0000432, 43210.987, 98765432.1]
    assert thin(prices, 84) == [0.00012346, 0.99988, 1.0, 43211.0, 98765000.0]
