"""settings.py: the source order, from the environment as the other lists are, and refused at
start-up when it cannot work."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cryptotracker.settings import Settings


def test_the_source_order_defaults_to_every_exchange_then_the_last_resorts() -> None:
    assert Settings().source_order == ["binance", "coinbase", "kraken", "coingecko", "simulator"]


def test_the_source_order_is_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOTRACKER_SOURCE_ORDER", "kraken, binance,coingecko")
    assert Settings().source_order == ["kraken", "binance", "coingecko"]


@pytest.mark.parametrize(
    ("order", "why"),
    [
        ("binance,binance", "named twice"),
        ("coingecko,simulator", "at least one live exchange"),
        ("binance,simulator,coingecko", "come after the live exchanges"),
        ("coingecko,binance", "come after the live exchanges"),
        ("binance,bitstamp", "Input should be"),
    ],
)
def test_a_source_order_that_cannot_work_is_refused(
    monkeypatch: pytest.MonkeyPatch, order: str, why: str
) -> None:
    monkeypatch.setenv("CRYPTOTRACKER_SOURCE_ORDER", order)
    with pytest.raises(ValidationError, match=why):
        Settings()
