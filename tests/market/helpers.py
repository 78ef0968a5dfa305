"""Helpers of the market tests: the official Binance fixtures and a recording sink."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptotracker.protocol import CandleDict, PriceDict

FIXTURES = Path(__file__).parents[3] / "shared/fixtures/binance"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class RecordingSink:
    """A FeedSink that keeps everything it is given."""

    def __init__(self) -> None:
        self.prices: list[PriceDict] = []
        self.candles: list[CandleDict] = []

    def on_price(self, update: PriceDict) -> None:
        self.prices.append(update)

    def on_candle(self, candle: CandleDict) -> None:
        self.candles.append(candle)

    def latest(self) -> dict[str, PriceDict]:
        return {p["symbol"]: p for p in self.prices}

    def sources(self) -> set[str]:
        return {p["source"] for p in self.prices}
