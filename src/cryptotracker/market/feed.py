"""What the market side hands downstream: the `FeedSink` it writes to and the `FeedState` it
reports (the app turns it into /health and clients' connection_status)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cryptotracker.market.breaker import CircuitState
from cryptotracker.protocol import CandleDict, PriceDict, Source


class FeedSink(Protocol):
    """Where normalised updates go (the pipeline's aggregator). Called synchronously on the
    event loop for every update: must be cheap and must not block."""

    def on_price(self, update: PriceDict) -> None: ...

    def on_candle(self, candle: CandleDict) -> None: ...

    def on_delisted(self, symbols: list[str]) -> None:
        """These markets are gone from the exchange: downstream forgets their prices."""
        ...


@dataclass(frozen=True, slots=True)
class FeedState:
    """The health of one feed (or of the whole source chain).

    `connected`: data is flowing now. `live`: the prices come from a live exchange (only
    Binance). `last_frame_at`: wall-clock seconds of the last frame, None before the first.
    `retry_at`: wall-clock seconds of the next attempt, None when none is planned; a deadline,
    not a delay, so whoever reports it later counts down rather than repeat a stale figure.
    `restricted`: the exchange refuses this address's location (HTTP 451), not an outage.
    `market_status`: listed markets that do not trade now (symbol -> the exchange's status,
    e.g. HALT or BREAK); their last price stands until they trade again.
    """

    source: Source
    connected: bool
    live: bool
    circuit: CircuitState
    last_frame_at: float | None
    message: str
    retry_at: float | None = None
    restricted: bool = False
    market_status: Mapping[str, str] = field(default_factory=dict)


FeedStateListener = Callable[[FeedState], None]


class MarketUnavailableError(RuntimeError):
    """A market-data request (symbols, klines) cannot be answered by any running source."""
