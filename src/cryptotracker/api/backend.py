"""What the HTTP routes need from the running tracker (app.py provides it)."""

from __future__ import annotations

from typing import Protocol

from cryptotracker.pipeline.asset_store import AssetStore
from cryptotracker.pipeline.store import PriceStore
from cryptotracker.protocol import (
    CandleDict,
    ExchangeComparison,
    FxRates,
    Health,
    Readiness,
    SymbolInfo,
)


class CandleNotFoundError(LookupError):
    """The exchange does not know the symbol or interval."""


class CandleUnavailableError(RuntimeError):
    """No source can answer for candles right now; `retry_after_s` when it is known when one
    will (the exchange's Retry-After, the end of a ban)."""

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Backend(Protocol):
    store: PriceStore
    asset_store: AssetStore

    async def health(self) -> Health: ...

    def readiness(self) -> Readiness: ...

    def symbols(self) -> list[SymbolInfo]: ...

    def source_label(self) -> tuple[str | None, bool]:
        """(current source, live?)"""

    def rates(self) -> FxRates:
        """What one USDT buys in each currency (api/rates.py)."""

    async def candles(self, symbol: str, interval: str, limit: int) -> list[CandleDict]: ...

    async def compare(self, symbol: str) -> ExchangeComparison:
        """The market on each live exchange (raises CandleNotFoundError for an unknown one,
        CandleUnavailableError while comparisons are paced)."""
