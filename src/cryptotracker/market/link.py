"""What every market-data provider offers the source chain: Binance, Coinbase, Kraken and the
simulator alike. CoinGecko's poller is not one (it has no demand, no candles)."""

from __future__ import annotations

from typing import Protocol, TypedDict

from cryptotracker.market.breaker import CircuitBreaker
from cryptotracker.market.feed import FeedState
from cryptotracker.protocol import CandleDict, Source, SymbolInfo


class QuoteDict(TypedDict):
    """One market's top of book and last trade on one exchange, as its REST states them now:
    what a per-coin comparison of exchanges shows (spread, last trade age). Decimal strings."""

    symbol: str
    source: str
    bid: str | None
    ask: str | None
    last: str | None
    lastTradeTime: int | None  # ms; None when the exchange does not say


class PriceLink(Protocol):
    """One exchange connection set, stamped with `source`.

    Providers are built as `Provider(settings, sink, *, source=..., ws_url=None, rest_url=None,
    on_state=None, clock=time.monotonic)`; a URL given (a simulator's) replaces the settings'
    one. Symbols are ours: base + quote as Binance writes them (BTCUSDT, BTCUSD), whatever the
    exchange calls the market (BTC-USD, XBT/USD); `symbols()` maps them back."""

    source: Source
    breaker: CircuitBreaker

    @property
    def state(self) -> FeedState: ...

    def symbols(self) -> list[SymbolInfo]:
        """The markets the exchange lists now (empty until its REST has answered)."""
        ...

    async def set_demand(
        self, symbols: frozenset[str], candles: frozenset[tuple[str, str]]
    ) -> None:
        """Stream these symbols' prices and these (symbol, interval) candles; markets the
        exchange does not list are ignored."""
        ...

    async def klines(self, symbol: str, interval: str, limit: int) -> list[CandleDict]:
        """Candle history from the exchange's REST, oldest first (raises RuntimeError)."""
        ...

    async def quote(self, symbol: str) -> QuoteDict:
        """Top of book and last trade from the exchange's REST (raises RuntimeError; subject to
        the provider's REST budget)."""
        ...

    async def run(self) -> None:
        """Connect, stream, reconnect behind the breaker; until cancelled."""
        ...
