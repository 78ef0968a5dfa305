"""Who is subscribed to what: per-client symbol sets, clients grouped by identical sets (so a
batch is encoded once per distinct set), and symbol/candle demand for the exchange side.
Pure bookkeeping, no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptotracker.protocol import PriceDict

CandleKey = tuple[str, str]  # (symbol, interval)
K = TypeVar("K")


@dataclass(slots=True)
class Client:
    sid: str
    eio_sid: str
    symbols: frozenset[str] = frozenset()
    candles: frozenset[CandleKey] = frozenset()
    # Slow-client state: coalesced updates not yet written, and since when it is behind.
    pending: dict[str, PriceDict] = field(default_factory=dict)
    behind_since: float | None = None
    # The client's Engine.IO session (the fan-out writes to it) and Socket.IO socket.
    outlet: Any = None
    sock: Any = None


class Subscriptions:
    def __init__(self) -> None:
        self.clients: dict[str, Client] = {}
        self.groups: dict[frozenset[str], set[str]] = {}
        # Each group's symbols as a bit mask (a bit per symbol ever subscribed): the fan-out
        # finds what a batch changed for a group with one `&`, and groups whose changes are
        # the same share a frame.
        self.masks: dict[frozenset[str], int] = {}
        self._bit: dict[str, int] = {}
        self._symbol_at: list[str] = []
        self._symbol_refs: Counter[str] = Counter()
        self._candle_refs: Counter[CandleKey] = Counter()
        self.candle_clients: dict[CandleKey, set[str]] = {}
        self.version = 0  # bumps whenever demand (the union) changes

    def add_client(self, sid: str, eio_sid: str) -> Client:
        client = Client(sid, eio_sid)
        self.clients[sid] = client
        return client

    def remove_client(self, sid: str) -> Client | None:
        client = self.clients.pop(sid, None)
        if client is not None:
            self._set_symbols(client, frozenset())
            self._set_candles(client, frozenset())
        return client

    def subscribe(self, sid: str, symbols: set[str], candles: set[CandleKey]) -> Client:
        client = self.clients[sid]
        self._set_symbols(client, client.symbols | symbols)
        self._set_candles(client, client.candles | candles)
        return client

    def unsubscribe(self, sid: str, symbols: set[str], candles: set[CandleKey]) -> Client:
        client = self.clients[sid]
        self._set_symbols(client, client.symbols - symbols)
        self._set_candles(client, client.candles - candles)
        for symbol in symbols:
            client.pending.pop(symbol, None)
        return client

    def mask_of(self, symbols: Iterable[str]) -> int:
        """The bits of those of these symbols that some client ever subscribed to."""
        bit = self._bit
        mask = 0
        for symbol in symbols:
            index = bit.get(symbol)
            if index is not None:
                mask |= 1 << index
        return mask

    def symbols_of(self, mask: int) -> list[str]:
        """The symbols of a mask, in symbol order (the order of a batch frame's updates)."""
        at = self._symbol_at
        symbols = []
        while mask:
            low = mask & -mask
            symbols.append(at[low.bit_length() - 1])
            mask ^= low
        symbols.sort()
        return symbols

    def _assign_bits(self, symbols: Iterable[str]) -> int:
        bit = self._bit
        for symbol in symbols:
            if symbol not in bit:
                bit[symbol] = len(self._symbol_at)
                self._symbol_at.append(symbol)
        return self.mask_of(symbols)

    def demand(self) -> tuple[frozenset[str], frozenset[CandleKey]]:
        """Every symbol and candle stream at least one client wants."""
        return frozenset(self._symbol_refs), frozenset(self._candle_refs)

    def _set_symbols(self, client: Client, new: frozenset[str]) -> None:
        old = client.symbols
        if new == old:
            return
        if old:
            group = self.groups[old]
            group.discard(client.sid)
            if not group:
                del self.groups[old]
                del self.masks[old]
        if new:
            if new not in self.groups:
                self.groups[new] = set()
                self.masks[new] = self._assign_bits(new)
            self.groups[new].add(client.sid)
        client.symbols = new
        if _update_refs(self._symbol_refs, added=new - old, removed=old - new):
            self.version += 1

    def _set_candles(self, client: Client, new: frozenset[CandleKey]) -> None:
        old = client.candles
        client.candles = new
        for key in old - new:
            sids = self.candle_clients[key]
            sids.discard(client.sid)
            if not sids:
                del self.candle_clients[key]
        for key in new - old:
            self.candle_clients.setdefault(key, set()).add(client.sid)
        if _update_refs(self._candle_refs, added=new - old, removed=old - new):
            self.version += 1


def _update_refs(refs: Counter[K], added: frozenset[K], removed: frozenset[K]) -> bool:
    """Apply a client's change to the reference counts; True when the union changed."""
    changed = False
    for key in added:
        refs[key] += 1
        changed |= refs[key] == 1
    for key in removed:
        refs[key] -= 1
        if refs[key] <= 0:
            del refs[key]
            changed = True
    return changed
