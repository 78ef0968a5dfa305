"""The gate in front of the sink: of every link's updates, only the serving link's reach the
pipeline, per market, so one row never mixes exchanges. Pure bookkeeping (the chain sets the
routes), called for every update: a dict lookup or two.

When a market moves back up the chain (a better link recovered), the better link's first
prices must not be older than the one shown: an update older than the last one let through,
from a link higher than that one's, waits for a newer one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cryptotracker.market.feed import FeedSink
from cryptotracker.market.routing import Routes
from cryptotracker.protocol import CandleDict, PriceDict, Source


class SourceGate:
    """`listed_elsewhere(source, symbol)`: another link's known listing has the market (a
    delisting by `source` is then no delisting for the clients)."""

    def __init__(
        self,
        sink: FeedSink,
        order: Sequence[Source],
        listed_elsewhere: Callable[[Source, str], bool] = lambda _source, _symbol: False,
    ) -> None:
        self._sink = sink
        self._listed_elsewhere = listed_elsewhere
        self._rank = {source: index for index, source in enumerate(order)}
        self.routes = Routes({}, None)
        # Who serves the markets no live link can (CoinGecko, the simulator), best first: a
        # CoinGecko that answers again is let through before it says so.
        self.last_resorts: tuple[Source, ...] = ()
        self._shown: dict[str, tuple[int, int]] = {}  # symbol -> (rank, lastUpdateTime)

    def serving(self, symbol: str) -> Source | None:
        """The link serving `symbol` (of the last resorts, the best)."""
        routed = self.routes.of(symbol)
        if routed is not None:
            return routed
        return self.last_resorts[0] if self.last_resorts else None

    def admits(self, source: Source, symbol: str) -> bool:
        routed = self.routes.of(symbol)
        return routed is source if routed is not None else source in self.last_resorts

    def sink_for(self, source: Source) -> FeedSink:
        return _Door(self, source)

    def price(self, source: Source, update: PriceDict) -> None:
        symbol = update["symbol"]
        if not self.admits(source, symbol):
            return
        rank = self._rank.get(source, len(self._rank))
        at = update["lastUpdateTime"]
        shown = self._shown.get(symbol)
        if shown is not None and rank < shown[0] and at < shown[1]:
            return  # back on a better link, whose first word is older than what is shown
        self._shown[symbol] = (rank, at)
        self._sink.on_price(update)

    def candle(self, source: Source, candle: CandleDict) -> None:
        if self.admits(source, candle["symbol"]):
            self._sink.on_candle(candle)

    def delisted(self, source: Source, symbols: list[str]) -> None:
        """A link's delisting counts only for the markets it serves and no other link lists
        (those move to the other link instead)."""
        mine = [
            s for s in symbols if self.admits(source, s) and not self._listed_elsewhere(source, s)
        ]
        for symbol in mine:
            self._shown.pop(symbol, None)
        if mine:
            self._sink.on_delisted(mine)


class _Door:
    """One link's way into the gate (a FeedSink stamped with the link's source)."""

    __slots__ = ("_gate", "_source")

    def __init__(self, gate: SourceGate, source: Source) -> None:
        self._gate = gate
        self._source = source

    def on_price(self, update: PriceDict) -> None:
        self._gate.price(self._source, update)

    def on_candle(self, candle: CandleDict) -> None:
        self._gate.candle(self._source, candle)

    def on_delisted(self, symbols: list[str]) -> None:
        self._gate.delisted(self._source, symbols)
