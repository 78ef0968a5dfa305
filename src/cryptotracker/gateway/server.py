"""The Socket.IO gateway: validates client events, keeps subscriptions, answers with a snapshot
at once, and hands every batch to the fan-out. It is the application on our own Socket.IO layer
(`sio_server`): the "/" namespace and the policy for admission, rate limits and bad input."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import structlog
from pydantic import ValidationError

from cryptotracker.clock import now_ms
from cryptotracker.gateway.encode import OutFrame, event_packet
from cryptotracker.gateway.engine import EngineConfig, Session
from cryptotracker.gateway.fanout import Fanout
from cryptotracker.gateway.limits import Limits, Verdict, ack_id
from cryptotracker.gateway.sio_codec import SioType, encode
from cryptotracker.gateway.sio_server import Socket, SocketServer
from cryptotracker.gateway.subscriptions import CandleKey, Client, Subscriptions
from cryptotracker.metrics import (
    BATCH_LATENCY,
    CLIENT_ERRORS,
    MESSAGES_IN,
    SLOW_CLIENT_DISCONNECTS,
    WS_CONNECTIONS,
)
from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.store import PriceStore
from cryptotracker.protocol import (
    ConnectionState,
    ErrorCode,
    PingRequest,
    ServerEvent,
    StatusDict,
    SubscribeRequest,
)
from cryptotracker.settings import Settings

log = structlog.get_logger(__name__)

DemandListener = Callable[[frozenset[str], frozenset[CandleKey]], Awaitable[None]]
# Demand changes arrive in bursts (a page subscribing row by row, a reconnect storm): pass them on
# at most this often so the exchange side gets one diff, not hundreds.
DEMAND_COALESCE_S = 0.05
# An error names at most this many of a request's symbols: replies stay small whatever was sent.
MAX_DETAILS = 20


class Gateway:
    def __init__(
        self,
        settings: Settings,
        store: PriceStore,
        known_symbols: Callable[[], Collection[str]],
        on_demand: DemandListener,
    ) -> None:
        self._settings = settings
        self._store = store
        self._known_symbols = known_symbols
        self._on_demand = on_demand
        self.limits = Limits(settings)
        self.sio = SocketServer(
            {"/": self},
            self,
            EngineConfig(
                ping_interval_s=settings.heartbeat_s,
                ping_timeout_s=settings.heartbeat_timeout_s,
                max_payload=settings.max_message_bytes,
                cors_origins=frozenset(settings.allowed_origins),
                route=settings.instance_route,
            ),
            connect_timeout_s=settings.connect_timeout_s,
            # This application never uses binary events: refuse them before any attachment.
            max_attachments=0,
        )
        self.engine = self.sio.engine
        self.subs = Subscriptions()
        self.fanout = Fanout(self.subs, settings.slow_client_max_lag_s)
        # Engine.IO sessions ever opened and ever closed (the GC policy's clock).
        self.opened_total = 0
        self.closed_total = 0
        self._status: StatusDict | None = None
        self._closing = False  # the shutdown was announced: no other status goes out
        self._demand_version = 0
        self._demand_changed = asyncio.Event()
        self._to_drop: set[str] = set()
        # Markets the exchange delisted while we ran: a later subscribe is told so (a page may
        # still show the row), until the exchange lists or prices them again.
        self._delisted: set[str] = set()
        self._drop_ready = asyncio.Event()

    @property
    def connections(self) -> int:
        return len(self.subs.clients)

    async def run(self) -> None:
        """Background duties of the gateway, for the life of the app."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._push_demand())
            tasks.create_task(self._drop_slow_clients())

    # ---- from the pipeline -----------------------------------------------------------------

    def on_batch(self, batch: Batch) -> None:
        """Bus handler: one batch to every subscriber (sync; writes only)."""
        if batch.updates:
            oldest = min(u["lastUpdateTime"] for u in batch.updates)
            BATCH_LATENCY.observe(max(0.0, (now_ms() - oldest) / 1000))
        if batch.delisted:
            self._delist(batch.delisted)
        if self._delisted and batch.updates:
            self._delisted.difference_update(u["symbol"] for u in batch.updates)
        result = self.fanout.send_batch(batch)
        if result.too_slow:
            self._to_drop.update(result.too_slow)
            self._drop_ready.set()

    def _delist(self, symbols: list[str]) -> None:
        """Markets gone from the exchange: every client subscribed to one is unsubscribed from
        it (and its candles) and told by a `delisted` error naming them."""
        gone = frozenset(symbols)
        self._delisted |= gone
        for sid, client in list(self.subs.clients.items()):
            held = sorted(client.symbols & gone)
            candles = {key for key in client.candles if key[0] in gone}
            if not held and not candles:
                continue
            self.subs.unsubscribe(sid, set(held), candles)
            named = sorted(set(held) | {key[0] for key in candles})
            self._error(
                sid,
                ErrorCode.DELISTED,
                f"the exchange no longer lists {', '.join(named[:20])}"
                + (f" and {len(named) - 20} more" if len(named) > 20 else "")
                + ": unsubscribed",
                named[:20],
            )
        self._demand_maybe_changed()

    def set_status(self, status: StatusDict) -> None:
        """Tell every client (the vocabulary's `market:global`) how the feed is doing."""
        if self._closing or (self._status is not None and _same_status(self._status, status)):
            return
        self._status = status
        pkt = event_packet(ServerEvent.CONNECTION_STATUS, status)
        self.fanout.send_to(list(self.subs.clients), pkt)

    # ---- Policy: what the protocol leaves to us --------------------------------------------

    def admit(self, client: str) -> str | None:
        if self.limits.admit(client):
            return None
        CLIENT_ERRORS.labels(ErrorCode.RATE_LIMITED.value).inc()
        log.info("client_refused", reason="too_many_connections_per_ip")
        return (
            f"too many connections from one address (at most "
            f"{self._settings.max_connections_per_ip})"
        )

    def opened(self, session: Session) -> None:
        self.opened_total += 1
        self.limits.opened(session.sid, session.address)

    def closed(self, session: Session) -> None:
        self.closed_total += 1
        self.limits.closed(session.sid)

    def inbound(self, session: Session, data: bytes) -> bool:
        """Rate limits, before any decoding: over the limit a message costs one error reply;
        a connection that keeps flooding is disconnected with a reason."""
        verdict = self.limits.message(session.sid)
        if verdict is Verdict.PASS:
            return True
        MESSAGES_IN.labels("limited").inc()
        flood = verdict is Verdict.FLOOD
        message = (
            "disconnected: too many messages"
            if flood
            else f"over {self._settings.client_messages_per_s:g} messages/s; message dropped"
        )
        CLIENT_ERRORS.labels(ErrorCode.RATE_LIMITED.value).inc()
        error = {"code": ErrorCode.RATE_LIMITED.value, "message": message, "details": []}
        session.push(event_packet(ServerEvent.ERROR, error))
        ack = ack_id(data[1:].decode("latin-1")) if data[:1] == b"4" else None
        if ack is not None:  # a caller waiting for its ack learns the answer at once
            reply = {**_ack(None, None), "ok": False, "error": error}
            session.push(OutFrame.of_packet(b"4" + encode(SioType.ACK, "/", [reply], ack)[0]))
        if flood:
            log.info("client_flood_disconnected", sid=session.sid)
            session.close("flood", listen=False)  # what it sends next is not even parsed
        return False

    def invalid(self, session: Session, reason: str) -> None:
        """Not a Socket.IO packet we can read: an error event; the connection lives on."""
        CLIENT_ERRORS.labels(ErrorCode.INVALID_PAYLOAD.value).inc()
        MESSAGES_IN.labels("invalid").inc()
        error = {
            "code": ErrorCode.INVALID_PAYLOAD.value,
            "message": "could not decode the packet (invalid JSON or packet type)",
            "details": [reason[:200]],
        }
        session.push(event_packet(ServerEvent.ERROR, error))

    def too_big(self, session: Session) -> None:
        CLIENT_ERRORS.labels(ErrorCode.PAYLOAD_TOO_LARGE.value).inc()
        limit = self._settings.max_message_bytes
        error = {
            "code": ErrorCode.PAYLOAD_TOO_LARGE.value,
            "message": f"disconnected: a message was over {limit} bytes",
            "details": [],
        }
        session.push(event_packet(ServerEvent.ERROR, error))

    # ---- Namespace "/" ---------------------------------------------------------------------

    def connect(self, sock: Socket, auth: Any) -> str | None:
        session = sock.session
        client = self.subs.add_client(sock.sid, session.sid)
        client.outlet = session
        client.sock = sock
        WS_CONNECTIONS.set(len(self.subs.clients))
        return None

    def connected(self, sock: Socket) -> None:
        if self._status is not None:
            sock.session.push(event_packet(ServerEvent.CONNECTION_STATUS, self._status))

    def disconnect(self, sock: Socket, reason: str) -> None:
        self.subs.remove_client(sock.sid)
        WS_CONNECTIONS.set(len(self.subs.clients))
        self._demand_maybe_changed()

    def event(self, sock: Socket, name: str, args: list[Any], ack: int | None) -> None:
        data = args[0] if args else None
        reply: dict[str, Any]
        if name == "subscribe":
            reply = self._subscribe(sock.sid, data)
        elif name == "unsubscribe":
            reply = self._unsubscribe(sock.sid, data)
        elif name == "ping":
            reply = self._ping(sock.sid, data)
        else:
            MESSAGES_IN.labels("unknown").inc()
            reply = self._reject(
                sock.sid,
                ErrorCode.UNKNOWN_EVENT,
                f"unknown event {name[:64]!r}; expected subscribe, unsubscribe, ping",
            )
        if ack is not None and sock.sid in self.subs.clients:
            sock.ack(ack, [reply])

    # ---- client events ---------------------------------------------------------------------

    def _subscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        """Known symbols and candle streams of known symbols are added, within the connection's
        and its address's limits, or nothing is (an error says which limit); unknown symbols are
        named (at most MAX_DETAILS) in one `unknown_symbol` error, and markets the exchange
        delisted in one `delisted` error (the page drops their rows, as for a subscriber's)."""
        MESSAGES_IN.labels("subscribe").inc()
        request = self._parse_subscription(sid, data)
        if isinstance(request, dict):
            return request
        client = self.subs.clients[sid]
        symbols = set(request.symbols)
        candles: set[CandleKey] = {(c.symbol, c.interval) for c in request.candles}
        asked = symbols | {symbol for symbol, _ in candles}
        delisted = self._gone(asked)
        unknown = self._unknown(asked) | delisted
        symbols -= unknown
        candles = {c for c in candles if c[0] not in unknown}
        unknown -= delisted
        new = symbols - client.symbols
        new_candles = candles - client.candles
        s = self._settings
        refusal = None
        if len(client.symbols) + len(new) > s.max_symbols_per_client:
            refusal = (
                f"at most {s.max_symbols_per_client} symbols per connection "
                f"({len(client.symbols)} subscribed, {len(new)} more asked)"
            )
        elif len(client.candles) + len(new_candles) > s.max_candles_per_client:
            refusal = (
                f"at most {s.max_candles_per_client} candle streams per connection "
                f"({len(client.candles)} subscribed, {len(new_candles)} more asked)"
            )
        elif not self.limits.subscriptions_allowed(
            client.eio_sid,
            len(client.symbols) + len(new) + len(client.candles) + len(new_candles),
        ):
            refusal = (
                f"at most {s.max_symbols_per_ip} subscriptions (symbols and candle streams) "
                "per address across its connections"
            )
        if refusal is not None:
            return self._reject(sid, ErrorCode.TOO_MANY_SYMBOLS, refusal, request.request_id)
        self.subs.subscribe(sid, symbols, candles)
        self._count(client)
        self._send_snapshot(client, new)
        self._demand_maybe_changed()
        if delisted:
            named = sorted(delisted)
            self._error(
                sid,
                ErrorCode.DELISTED,
                f"the exchange no longer lists {', '.join(named[:MAX_DETAILS])}"
                + (f" and {len(named) - MAX_DETAILS} more" if len(named) > MAX_DETAILS else "")
                + ": not subscribed",
                named[:MAX_DETAILS],
                request.request_id,
            )
        if unknown:
            named = sorted(unknown)
            more = (
                f" ({len(named) - MAX_DETAILS} more not listed)" if len(named) > MAX_DETAILS else ""
            )
            self._error(
                sid,
                ErrorCode.UNKNOWN_SYMBOL,
                f"unknown symbols were not subscribed{more}",
                named[:MAX_DETAILS],
                request.request_id,
            )
        return _ack(client, request.request_id, added=new, added_candles=new_candles)

    def _unsubscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        MESSAGES_IN.labels("unsubscribe").inc()
        request = self._parse_subscription(sid, data)
        if isinstance(request, dict):
            return request
        held = self.subs.clients[sid]
        symbols: set[str] = set(held.symbols)
        candles: set[CandleKey] = set(held.candles)
        if not request.all:
            symbols &= set(request.symbols)
            candles &= {(c.symbol, c.interval) for c in request.candles}
        client = self.subs.unsubscribe(sid, symbols, candles)
        self._count(client)
        self._demand_maybe_changed()
        return _ack(client, request.request_id, removed=symbols, removed_candles=candles)

    def _count(self, client: Client) -> None:
        self.limits.set_subscriptions(client.eio_sid, len(client.symbols) + len(client.candles))

    def _ping(self, sid: str, data: Any = None) -> dict[str, Any]:
        MESSAGES_IN.labels("ping").inc()
        try:
            request = PingRequest.model_validate(data if data is not None else {})
        except ValidationError as exc:
            return self._reject(
                sid, ErrorCode.INVALID_PAYLOAD, "ping takes {requestId?}", None, _details(exc)
            )
        pkt = event_packet(ServerEvent.PONG, {"timestamp": now_ms()}, request_id=request.request_id)
        self.fanout.send_to([sid], pkt)
        return _ack(self.subs.clients[sid], request.request_id)

    # ---- helpers ---------------------------------------------------------------------------

    def _parse_subscription(self, sid: str, data: Any) -> SubscribeRequest | dict[str, Any]:
        if isinstance(data, dict) and "symbols" in data and isinstance(data["symbols"], list):
            # Accept lower case as a courtesy: stream names are lower case on Binance.
            data = {
                **data,
                "symbols": [s.upper() if isinstance(s, str) else s for s in data["symbols"]],
            }
        try:
            return SubscribeRequest.model_validate(data)
        except ValidationError as exc:
            request_id = data.get("requestId") if isinstance(data, dict) else None
            return self._reject(
                sid,
                ErrorCode.INVALID_PAYLOAD,
                'expected {symbols: ["BTCUSDT", ...], candles?: [{symbol, interval}]}',
                request_id if isinstance(request_id, str) else None,
                _details(exc),
            )

    def _gone(self, symbols: set[str]) -> set[str]:
        """The asked markets the exchange delisted and has not listed again."""
        if not self._delisted:
            return set()
        known = self._known_symbols()
        return {s for s in symbols & self._delisted if s not in known}

    def _unknown(self, symbols: set[str]) -> set[str]:
        known = self._known_symbols()
        if not known:
            return set()
        return {s for s in symbols if s not in known}

    def _send_snapshot(self, client: Client, symbols: set[str]) -> None:
        updates = self._store.snapshot(sorted(symbols))
        if not updates:
            return
        now = now_ms()
        pkt = event_packet(
            ServerEvent.BATCH_UPDATE, {"updates": updates, "timestamp": now, "snapshot": True}, now
        )
        self.fanout.send_to([client.sid], pkt)

    def _error(
        self,
        sid: str,
        code: ErrorCode,
        message: str,
        details: list[str] | None = None,
        request_id: str | None = None,
    ) -> dict[str, Any]:
        CLIENT_ERRORS.labels(code.value).inc()
        error = {"code": code.value, "message": message, "details": details or []}
        self.fanout.send_to([sid], event_packet(ServerEvent.ERROR, error, request_id=request_id))
        return error

    def _reject(
        self,
        sid: str,
        code: ErrorCode,
        message: str,
        request_id: str | None = None,
        details: list[str] | None = None,
    ) -> dict[str, Any]:
        error = self._error(sid, code, message, details, request_id)
        client = self.subs.clients.get(sid)
        return {**_ack(client, request_id), "ok": False, "error": error}

    def announce_shutdown(self, message: str) -> int:
        """Graceful stop, first step: tell every client why, before anything else of the stop
        can change the feed's status (which is not passed on from now). The server closes the
        transports later: not a Socket.IO disconnect, so clients reconnect by themselves,
        through the balancer, to a live instance. Returns how many clients were told."""
        status: StatusDict = {
            "status": ConnectionState.DISCONNECTED.value,
            "message": message,
            "timestamp": now_ms(),
            "source": self._status.get("source") if self._status else None,
            "live": False,
        }
        self._closing = True
        clients = list(self.subs.clients)
        self.fanout.send_to(clients, event_packet(ServerEvent.CONNECTION_STATUS, status))
        return len(clients)

    async def flush(self, flush_s: float = 1.0) -> None:
        """Wait (at most `flush_s`) until what was written to clients has left."""
        clients = list(self.subs.clients.values())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_s):
                while any(c.outlet.backlog() for c in clients):
                    await asyncio.sleep(0.02)

    def _demand_maybe_changed(self) -> None:
        if self.subs.version != self._demand_version:
            self._demand_changed.set()

    async def _push_demand(self) -> None:
        while True:
            await self._demand_changed.wait()
            await asyncio.sleep(DEMAND_COALESCE_S)
            self._demand_changed.clear()
            self._demand_version = self.subs.version
            symbols, candles = self.subs.demand()
            try:
                await self._on_demand(symbols, candles)
            except Exception:  # the exchange side's trouble must not stop demand updates
                log.exception("demand_update_failed")

    async def _drop_slow_clients(self) -> None:
        while True:
            await self._drop_ready.wait()
            self._drop_ready.clear()
            sids, self._to_drop = self._to_drop, set()
            for sid in sids:
                if sid not in self.subs.clients:
                    continue
                SLOW_CLIENT_DISCONNECTS.inc()
                log.info("slow_client_disconnected", sid=sid)
                self._error(
                    sid,
                    ErrorCode.SLOW_CONSUMER,
                    "disconnected: the connection could not keep up with updates",
                )
                client = self.subs.clients.get(sid)
                if client is not None:
                    self.sio.disconnect(client.sock, "slow consumer")


def _ack(
    client: Client | None,
    request_id: str | None,
    added: Collection[str] = (),
    removed: Collection[str] = (),
    added_candles: Collection[CandleKey] = (),
    removed_candles: Collection[CandleKey] = (),
) -> dict[str, Any]:
    """An `Ack`: what the request changed and what the connection holds after it, in counts
    (bounded by the request, whatever the connection holds)."""
    return {
        "ok": True,
        "requestId": request_id,
        "added": sorted(added),
        "removed": sorted(removed),
        "addedCandles": _candles(added_candles),
        "removedCandles": _candles(removed_candles),
        "symbolCount": len(client.symbols) if client else 0,
        "candleCount": len(client.candles) if client else 0,
    }


def _candles(keys: Collection[CandleKey]) -> list[dict[str, str]]:
    return [{"symbol": s, "interval": i} for s, i in sorted(keys)]


def _details(exc: ValidationError) -> list[str]:
    """Where and what, cut short: a client's own keys never come back at length."""
    return [
        f"{'.'.join(str(p)[:64] for p in e['loc'][:8]) or 'payload'}: {e['msg']}"[:200]
        for e in exc.errors(include_url=False, include_input=False)[:10]
    ]


def _same_status(a: StatusDict, b: StatusDict) -> bool:
    """Equal but for the timestamp."""
    return {k: v for k, v in a.items() if k != "timestamp"} == {
        k: v for k, v in b.items() if k != "timestamp"
    }
