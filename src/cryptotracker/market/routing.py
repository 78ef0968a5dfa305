"""Which live exchange serves each market: pure decisions of the source chain, from what each
link says of itself now (tested without sockets).

- A link is healthy while its breaker is CLOSED and the exchange does not refuse our location
  (451): a refusal moves its markets at once, any other failure once the breaker opens.
- A market is served by the first healthy link in the order that lists it; a link whose
  listing is not known yet (its REST has not answered) is taken to list everything.
- A link is demanded only the markets it serves: the lower links get only what the higher
  ones cannot serve now.
- A link runs while it is the first in the order (it must be able to come back), the first
  healthy one (someone must say how the exchanges are), has markets to serve, or has failed
  (its breaker's probes are how it recovers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptotracker.market.breaker import CircuitState
from cryptotracker.protocol import Source

Demand = tuple[frozenset[str], frozenset[tuple[str, str]]]


@dataclass(frozen=True, slots=True)
class LinkView:
    """One live link as the chain sees it now."""

    source: Source
    circuit: CircuitState
    restricted: bool
    listed: frozenset[str] | None  # None: not known yet

    @property
    def healthy(self) -> bool:
        return self.circuit is CircuitState.CLOSED and not self.restricted

    def lists(self, symbol: str) -> bool:
        return self.listed is None or symbol in self.listed


@dataclass(frozen=True, slots=True)
class Routes:
    """The serving link of every market: `of(symbol)`; None when no live link can serve it."""

    by_symbol: Mapping[str, Source]
    unlisted: Source | None  # for markets no link lists (only a link of unknown listing may)

    def of(self, symbol: str) -> Source | None:
        return self.by_symbol.get(symbol, self.unlisted)


def route(links: Sequence[LinkView], symbol: str) -> Source | None:
    for link in links:
        if link.healthy and link.lists(symbol):
            return link.source
    return None


def routes(links: Sequence[LinkView], extra: Iterable[str] = ()) -> Routes:
    """Routes of every market any link lists, and of `extra` (e.g. the demand)."""
    universe: set[str] = set(extra)
    for link in links:
        if link.listed is not None:
            universe |= link.listed
    by_symbol: dict[str, Source] = {}
    for symbol in universe:
        source = route(links, symbol)
        if source is not None:
            by_symbol[symbol] = source
    unlisted = next((x.source for x in links if x.healthy and x.listed is None), None)
    return Routes(by_symbol, unlisted)


def shares(links: Sequence[LinkView], table: Routes, demand: Demand) -> dict[Source, Demand]:
    """Each link's part of the demand: the symbols and candles of the markets it serves."""
    symbols, candles = demand
    out: dict[Source, Demand] = {}
    for link in links:
        mine = frozenset(s for s in symbols if table.of(s) is link.source)
        mine_candles = frozenset(c for c in candles if table.of(c[0]) is link.source)
        out[link.source] = (mine, mine_candles)
    return out


def should_run(links: Sequence[LinkView], parts: Mapping[Source, Demand]) -> set[Source]:
    """The links that run now (see the module's docstring)."""
    running: set[Source] = set()
    if links:
        running.add(links[0].source)
    first_healthy = next((x.source for x in links if x.healthy), None)
    if first_healthy is not None:
        running.add(first_healthy)
    for link in links:
        symbols, candles = parts.get(link.source, (frozenset(), frozenset()))
        if symbols or candles or not link.healthy:
            running.add(link.source)
    return running


def main_source(links: Sequence[LinkView], connected: Mapping[Source, bool]) -> Source | None:
    """The link the status names: the highest healthy one whose data flows."""
    for link in links:
        if link.healthy and connected.get(link.source, False):
            return link.source
    return None
