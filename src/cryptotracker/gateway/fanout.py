"""Deliver a batch to every subscriber: one encoding per distinct payload, one `write` per
recipient (no task, no await, no copy per client), and clients whose connection is behind
coalesced to the latest value per symbol instead of queueing without bound."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from cryptotracker.clock import now_ms
from cryptotracker.gateway.encode import BatchPackets, OutFrame, event_packet
from cryptotracker.gateway.engine import BEHIND, SENT
from cryptotracker.gateway.subscriptions import Client, Subscriptions
from cryptotracker.metrics import MESSAGES_OUT
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import PriceDict, ServerEvent


class Outlet(Protocol):
    """A client's Engine.IO session as the fan-out uses it (engine.Session)."""

    def offer(self, out: OutFrame) -> int:
        """SENT, BEHIND (over its backlog limit: nothing written) or GONE."""

    def push(self, out: OutFrame) -> bool:
        """Write whatever the backlog; False when the session is gone."""

    def backlog(self) -> int | None:
        """What is not yet written (0 when drained); None once closed."""


@dataclass(slots=True)
class FanoutResult:
    messages: int = 0
    payloads: int = 0
    coalesced: int = 0
    too_slow: set[str] = field(default_factory=set)


class Fanout:
    def __init__(self, subs: Subscriptions, max_lag_s: float) -> None:
        self._subs = subs
        self._max_lag_ms = int(max_lag_s * 1000)
        self._lagging: set[str] = set()

    def send_batch(self, batch: Batch) -> FanoutResult:
        result = FanoutResult()
        now = now_ms()
        if self._lagging:
            self._catch_up(now, result)
        if batch.updates:
            self._prices(batch, now, result)
        for candle in batch.candles:
            sids = self._subs.candle_clients.get((candle["symbol"], candle["interval"]))
            if sids:
                self.send_to(sids, event_packet(ServerEvent.CANDLE_UPDATE, candle, now), result)
        if result.messages:
            MESSAGES_OUT.labels("batch_update").inc(result.messages)
        return result

    def send_to(
        self, sids: Iterable[str], out: OutFrame, result: FanoutResult | None = None
    ) -> int:
        """One pre-built packet to many clients, whatever their backlog (acks, errors and
        status must not be dropped); returns how many it was written for."""
        clients = self._subs.clients
        sent = 0
        for sid in sids:
            client = clients.get(sid)
            if client is not None and client.outlet.push(out):
                sent += 1
        if result is not None:
            result.messages += sent
        return sent

    def _prices(self, batch: Batch, now: int, result: FanoutResult) -> None:
        subs = self._subs
        by_symbol = {u["symbol"]: u for u in batch.updates}
        changed = subs.mask_of(by_symbol)
        if not changed:
            return
        encoder = BatchPackets(by_symbol.values(), batch.timestamp, now)
        masks = subs.masks
        symbols_of = subs.symbols_of
        # Groups whose changed symbols are the same share one frame.
        frames: dict[int, OutFrame] = {}
        clients = subs.clients
        sent = 0
        for key, sids in subs.groups.items():
            hit = masks[key] & changed
            if not hit:
                continue
            out = frames.get(hit)
            if out is None:
                out = frames[hit] = OutFrame(encoder.frame(symbols_of(hit)))
            for sid in sids:
                client = clients[sid]
                if not client.pending:
                    # Hot path: one write to a connection that keeps up, nothing else.
                    verdict = client.outlet.offer(out)
                    if verdict == SENT:
                        sent += 1
                        continue
                    if verdict != BEHIND:
                        continue
                self._fall_behind(client, key & by_symbol.keys(), by_symbol, now, result)
        result.messages += sent
        result.payloads += len(frames)

    def _fall_behind(
        self,
        client: Client,
        hit: Iterable[str],
        by_symbol: dict[str, PriceDict],
        now: int,
        result: FanoutResult,
    ) -> None:
        for symbol in hit:
            client.pending[symbol] = by_symbol[symbol]
        result.coalesced += 1
        if client.behind_since is None:
            client.behind_since = now
            self._lagging.add(client.sid)
        elif now - client.behind_since > self._max_lag_ms:
            result.too_slow.add(client.sid)

    def _catch_up(self, now: int, result: FanoutResult) -> None:
        """Clients that were behind and have drained get their coalesced updates in one batch."""
        for sid in list(self._lagging):
            client = self._subs.clients.get(sid)
            backlog = None if client is None else client.outlet.backlog()
            if client is None or backlog is None:
                self._lagging.discard(sid)
                continue
            if backlog > 0:
                if client.behind_since is not None and now - client.behind_since > self._max_lag_ms:
                    result.too_slow.add(sid)
                continue
            if client.pending:
                updates = [client.pending[s] for s in sorted(client.pending)]
                packet = event_packet(
                    ServerEvent.BATCH_UPDATE,
                    {"updates": updates, "timestamp": now, "snapshot": False},
                    now,
                )
                client.outlet.push(packet)
                result.messages += 1
                client.pending = {}
            client.behind_since = None
            self._lagging.discard(sid)
