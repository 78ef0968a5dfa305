"""exchangeInfo read into listings (the official example), and the changes between readings."""

from __future__ import annotations

from cryptotracker.market.listings import ListingChanges, listing_changes, parse_exchange_info
from tests.market.helpers import fixture


def test_the_official_example_lists_its_market_with_its_status() -> None:
    body = fixture("rest_exchangeInfo.json")
    listings = parse_exchange_info(body, ["btc"])
    assert listings is not None
    assert [(x.info.symbol, x.info.base_asset, x.info.quote_asset, x.status) for x in listings] == [
        ("ETHBTC", "ETH", "BTC", "TRADING")
    ]
    assert parse_exchange_info(body, ["USDT"]) == []


def test_markets_of_any_status_are_listed_and_bad_rows_skipped() -> None:
    row = {"symbol": "AUSDT", "baseAsset": "A", "quoteAsset": "USDT", "status": "HALT"}
    body = {
        "symbols": [
            {**row, "symbol": "BUSDT", "baseAsset": "B", "status": "BREAK"},
            row,
            {**row, "symbol": "CUSDT", "status": None},
            {**row, "symbol": "lower"},
            "not a row",
        ]
    }
    listings = parse_exchange_info(body, ["USDT"])
    assert listings is not None
    assert [(x.info.symbol, x.status) for x in listings] == [("AUSDT", "HALT"), ("BUSDT", "BREAK")]
    assert parse_exchange_info({"code": -1}, ["USDT"]) is None


def test_changes_between_two_readings() -> None:
    old = {"A": "TRADING", "B": "TRADING", "C": "HALT", "D": "TRADING", "E": "BREAK"}
    new = {"A": "TRADING", "B": "BREAK", "C": "TRADING", "E": "HALT", "F": "TRADING", "G": "HALT"}
    assert listing_changes(old, new) == ListingChanges(
        listed=["F", "G"], delisted=["D"], stopped={"B": "BREAK", "G": "HALT"}, resumed=["C"]
    )
    assert not listing_changes(new, dict(new))


def test_the_default_quote_assets_list_every_quote_market_and_leave_out_the_others() -> None:
    from cryptotracker.settings import Settings

    def row(base: str, quote: str) -> dict[str, str]:
        return {"symbol": base + quote, "baseAsset": base, "quoteAsset": quote, "status": "TRADING"}

    wanted = [
        row("BTC", "USDT"), row("EUR", "USDT"), row("USDT", "TRY"), row("BTC", "USDC"),
        row("ETH", "FDUSD"), row("ETH", "BTC"), row("BNB", "ETH"), row("SOL", "BNB"),
        row("BTC", "EUR"), row("USDT", "BRL"), row("BTC", "JPY"), row("USDT", "ARS"),
    ]  # fmt: skip
    others = [row("BTC", "DAI"), row("BTC", "TUSD"), row("USDT", "IDRT"), row("BTC", "BIDR")]
    listings = parse_exchange_info({"symbols": others + wanted}, Settings().quote_assets)
    assert listings is not None
    assert [x.info.symbol for x in listings] == sorted(r["symbol"] for r in wanted)
