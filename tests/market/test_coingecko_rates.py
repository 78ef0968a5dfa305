"""CoinGecko's /exchange_rates read as decimals: fiat rows only, digits as CoinGecko wrote them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from cryptotracker.market.coingecko_rates import RatesFormatError, parse_exchange_rates

FIXTURES = Path(__file__).parents[1] / "fixtures" / "coingecko"


def test_fiat_rows_are_read_as_the_decimals_coingecko_wrote() -> None:
    rates = parse_exchange_rates((FIXTURES / "exchange_rates_fiat.json").read_bytes())
    assert rates == {
        "USD": Decimal("95012.5"),
        "EUR": Decimal("87962.33"),
        "GBP": Decimal("74810.01"),
        "JPY": Decimal("14346887.5"),
        "VND": Decimal("2412367511"),
    }  # crypto (btc, eth, sats, bits) and commodities (xau) are not currencies to show


def test_the_documented_example_holds_no_currency_to_show() -> None:
    # CoinGecko's page shows crypto rows only (btc, eth, ltc, ...): none is a fiat currency.
    assert parse_exchange_rates((FIXTURES / "exchange_rates.json").read_bytes()) == {}


@pytest.mark.parametrize(
    "row",
    [
        {"value": 0, "type": "fiat"},
        {"value": -3.5, "type": "fiat"},
        {"value": "95000", "type": "fiat"},
        {"value": None, "type": "fiat"},
        "not a row",
    ],
)
def test_a_row_without_a_positive_number_is_left_out(row: object) -> None:
    import orjson

    body = orjson.dumps({"rates": {"usd": {"value": 1.5, "type": "fiat"}, "eur": row}})
    assert parse_exchange_rates(body) == {"USD": Decimal("1.5")}


@pytest.mark.parametrize("body", [b"", b"[]", b'{"error": "rate limited"}', b"{not json"])
def test_a_body_without_rates_is_an_error(body: bytes) -> None:
    with pytest.raises(RatesFormatError):
        parse_exchange_rates(body)
