"""Deliver a batch to every subscriber: one encoding per distinct payload, one non-blocking
enqueue per recipient (no task, no await per client), and slow clients coalesced to the latest
value per symbol instead of queueing without bound."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from engineio import packet as eio_packet

from cryptotracker.gateway.encode import BatchPackets, event_packet, now_ms
from cryptotracker.gateway.subscriptions import Client, Subscriptions
from cryptotracker.gateway.transport import NO_LINK, FramedPacket
from cryptotracker.metrics import MESSAGES_OUT
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import PriceDict, ServerEvent

# A client with more packets than this waiting to be written is behind.
MAX_QUEUED = 2


class Transport(Protocol):
    """Per-connection output queues of the Engine.IO layer."""

    def queued(self, eio_sid: str) -> int | None:
        """Packets waiting to be written, or None when the connection is gone."""

    def send(self, eio_sid: str, pkt: eio_packet.Packet) -> None: ...

    def link(self, eio_sid: str) -> Link | None:
        """The connection's direct writer, if it has one."""


class Link(Protocol):
    def write(self, frame: bytes) -> bool:
        """Write a whole WebSocket frame now if nothing of the connection is waiting or in
        flight; False when it must take the queue instead (or the connection is gone)."""


@dataclass(slots=True)
class FanoutResult:
    messages: int = 0
    payloads: int = 0
    coalesced: int = 0
    too_slow: set[str] = field(default_factory=set)


class Fanout:
    def __init__(self, subs: Subscriptions, transport: Transport, max_lag_s: float) -> None:
        self._subs = subs
        self._transport = transport
        self._max_lag_ms = int(max_lag_s * 1000)
        self._lagging: set[str] = set()

    def deliver(self, batch: Batch) -> FanoutResult:
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
        self, sids: Iterable[str], pkt: eio_packet.Packet, result: FanoutResult | None = None
    ) -> int:
        """Send one pre-built packet to many clients; returns how many it was queued for."""
        clients = self._subs.clients
        sent = 0
        for sid in sids:
            client = clients.get(sid)
            if client is not None and self._transport.queued(client.eio_sid) is not None:
                self._transport.send(client.eio_sid, pkt)
                sent += 1
        if result is not None:
            result.messages += sent
        return sent

    def _prices(self, batch: Batch, now: int, result: FanoutResult) -> None:
        by_symbol = {u["symbol"]: u for u in batch.updates}
        encoder = BatchPackets(by_symbol.values(), batch.timestamp, now)
        parts_of = encoder.parts_of
        order = self._subs.order
        # Groups whose changed symbols are the same share one frame.
        frames: dict[tuple[bytes, ...], bytes] = {}
        clients = self._subs.clients
        transport = self._transport
        sent = 0
        for key, sids in self._subs.groups.items():
            parts = parts_of(order[key])
            if not parts:
                continue
            shared = tuple(parts)
            frame = frames.get(shared)
            if frame is None:
                frame = frames[shared] = encoder.frame_of(parts)
            pkt: eio_packet.Packet | None = None
            for sid in sids:
                client = clients[sid]
                link = client.link
                if link is None:
                    link = client.link = transport.link(client.eio_sid) or NO_LINK
                # Hot path: the frame straight to an idle connection, nothing else.
                if not client.pending and link.write(frame):
                    sent += 1
                    continue
                queued = transport.queued(client.eio_sid)
                if queued is None:
                    continue
                if queued < MAX_QUEUED and not client.pending:
                    if pkt is None:
                        pkt = FramedPacket.from_frame(frame)
                    transport.send(client.eio_sid, pkt)
                    sent += 1
                else:
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
            queued = None if client is None else self._transport.queued(client.eio_sid)
            if client is None or queued is None:
                self._lagging.discard(sid)
                continue
            if queued >= MAX_QUEUED:
                if client.behind_since is not None and now - client.behind_since > self._max_lag_ms:
                    result.too_slow.add(sid)
                continue
            if client.pending:
                updates = [client.pending[s] for s in sorted(client.pending)]
                self._transport.send(client.eio_sid, self._batch_packet(updates, now, now))
                result.messages += 1
                client.pending = {}
            client.behind_since = None
            self._lagging.discard(sid)

    @staticmethod
    def _batch_packet(updates: list[PriceDict], batch_ts: int, now: int) -> eio_packet.Packet:
        return event_packet(
            ServerEvent.BATCH_UPDATE,
            {"updates": updates, "timestamp": batch_ts, "snapshot": False},
            now,
        )
