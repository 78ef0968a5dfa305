"""The Socket.IO gateway: validates client events, keeps subscriptions and rooms, answers with a
snapshot at once, and hands every batch to the fan-out."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import socketio
import structlog
from engineio import packet as eio_packet
from pydantic import ValidationError

from cryptotracker.gateway.encode import OrjsonForSocketIO, event_packet, now_ms
from cryptotracker.gateway.fanout import Fanout
from cryptotracker.gateway.limits import Limits, Verdict, ack_id
from cryptotracker.gateway.rooms import IndexedManager
from cryptotracker.gateway.subscriptions import CandleKey, Client, Subscriptions
from cryptotracker.gateway.transport import (
    DirectLink,
    FramedPacket,
    direct_backlog,
    enable_direct_writes,
    link_of,
)
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

GLOBAL_ROOM = "market:global"
DemandListener = Callable[[frozenset[str], frozenset[CandleKey]], Awaitable[None]]
# Demand changes arrive in bursts (a page subscribing row by row, a reconnect storm): pass them on
# at most this often so the exchange side gets one diff, not hundreds.
DEMAND_COALESCE_S = 0.05


def market_room(symbol: str) -> str:
    return f"market:{symbol}"


def candle_room(symbol: str, interval: str) -> str:
    return f"candles:{symbol}:{interval}"


class EngineTransport:
    """python-engineio's per-socket output queues, reached directly so one batch costs a
    `put_nowait` per recipient rather than a task (python-socketio's emit creates one each);
    while a connection's writer is idle, a framed packet is written straight to its transport
    instead (gateway/transport.py)."""

    def __init__(self, eio: Any) -> None:
        self._sockets: dict[str, Any] = eio.sockets
        enable_direct_writes(eio)

    def queued(self, eio_sid: str) -> int | None:
        sock = self._sockets.get(eio_sid)
        if sock is None or sock.closed or sock.closing:
            return None
        return int(sock.queue.qsize()) + direct_backlog(sock)

    def send(self, eio_sid: str, pkt: Any) -> None:
        sock = self._sockets[eio_sid]
        link = link_of(sock)
        if not (link is not None and isinstance(pkt, FramedPacket) and link.write(pkt.frame)):
            sock.queue.put_nowait(pkt)

    def link(self, eio_sid: str) -> DirectLink | None:
        sock = self._sockets.get(eio_sid)
        return None if sock is None else link_of(sock)

    async def cut(self, eio_sid: str) -> None:
        """Close the transport itself, not only the Socket.IO session (which leaves the
        WebSocket open, and so does engineio's close alone while the client keeps sending):
        Engine.IO CLOSE, then end the socket's writer task, which closes the WebSocket."""
        sock = self._sockets.get(eio_sid)
        if sock is None or sock.closed:
            return
        await sock.close(wait=False, abort=False)
        sock.queue.put_nowait(None)


class _SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """Every client packet passes `gate` (rate limits) before python-socketio decodes it.
    python-socketio raises on a packet it cannot decode (bad JSON, bad type) and only logs it;
    we answer the client with an `error` event and keep the connection."""

    def __init__(
        self,
        on_bad_packet: Callable[[str, Exception], None],
        gate: Callable[[str, Any], Awaitable[bool]],
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._on_bad_packet = on_bad_packet
        self._gate = gate

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not await self._gate(eio_sid, data):
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self._on_bad_packet(eio_sid, exc)


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
        self.sio = _SocketServer(
            self._bad_packet,
            self._gate,
            async_mode="asgi",
            client_manager=IndexedManager(),
            json=OrjsonForSocketIO,
            cors_allowed_origins=settings.allowed_origins,
            ping_interval=settings.heartbeat_s,
            ping_timeout=settings.heartbeat_timeout_s,
            max_http_buffer_size=settings.max_message_bytes,
            # Handlers run in order per client, inline: no task per event.
            async_handlers=False,
            logger=False,
            engineio_logger=False,
        )
        self.subs = Subscriptions()
        self.transport = EngineTransport(self.sio.eio)
        self.fanout = Fanout(self.subs, self.transport, settings.slow_client_max_lag_s)
        # Connections ever accepted and ever closed (the GC policy's clock).
        self.opened_total = 0
        self.closed_total = 0
        self._status: StatusDict | None = None
        self._demand_version = 0
        self._demand_changed = asyncio.Event()
        self._to_drop: set[str] = set()
        self._drop_ready = asyncio.Event()
        self._register()

    # ---- wiring ----------------------------------------------------------------------------

    def asgi_app(self, other: Any) -> Any:
        return socketio.ASGIApp(self.sio, other_asgi_app=other, socketio_path="socket.io")

    @property
    def connections(self) -> int:
        return len(self.subs.clients)

    def _register(self) -> None:
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("subscribe", self._subscribe)
        self.sio.on("unsubscribe", self._unsubscribe)
        self.sio.on("ping", self._ping)
        self.sio.on("*", self._unknown_event)

    async def run(self) -> None:
        """Background duties of the gateway, for the life of the app."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._push_demand())
            tasks.create_task(self._drop_slow_clients())

    # ---- from the pipeline -----------------------------------------------------------------

    def deliver(self, batch: Batch) -> None:
        """Bus handler: one batch to every subscriber (sync; enqueues only)."""
        if batch.updates:
            oldest = min(u["lastUpdateTime"] for u in batch.updates)
            BATCH_LATENCY.observe(max(0.0, (now_ms() - oldest) / 1000))
        result = self.fanout.deliver(batch)
        if result.too_slow:
            self._to_drop.update(result.too_slow)
            self._drop_ready.set()

    def set_status(self, status: StatusDict) -> None:
        """Tell every client (room market:global) how the feed is doing."""
        if self._status is not None and _same_status(self._status, status):
            return
        self._status = status
        pkt = event_packet(ServerEvent.CONNECTION_STATUS, status)
        self.fanout.send_to(list(self.subs.clients), pkt)

    # ---- client events ---------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        ip = client_address(environ)
        if not self.limits.admit(ip):
            CLIENT_ERRORS.labels(ErrorCode.RATE_LIMITED.value).inc()
            log.info("client_refused", reason="too_many_connections_per_ip")
            raise socketio.exceptions.ConnectionRefusedError(
                f"too many connections from one address (at most "
                f"{self._settings.max_connections_per_ip})"
            )
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        self.subs.add_client(sid, eio_sid)
        self.opened_total += 1
        self.limits.opened(eio_sid, ip)
        await self.sio.enter_room(sid, GLOBAL_ROOM)
        WS_CONNECTIONS.set(len(self.subs.clients))
        # After this handler returns python-socketio queues the CONNECT reply; the status must
        # follow it, not precede it.
        asyncio.get_running_loop().call_soon(self._send_status, sid)

    def _send_status(self, sid: str) -> None:
        if self._status is not None:
            self.fanout.send_to([sid], event_packet(ServerEvent.CONNECTION_STATUS, self._status))

    async def _disconnect(self, sid: str, reason: Any = None) -> None:
        client = self.subs.remove_client(sid)
        if client is not None:
            self.closed_total += 1
            self.limits.closed(client.eio_sid)
        WS_CONNECTIONS.set(len(self.subs.clients))
        self._demand_maybe_changed()

    async def _subscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        MESSAGES_IN.labels("subscribe").inc()
        request = self._parse_subscription(sid, data)
        if isinstance(request, dict):
            return request
        client = self.subs.clients[sid]
        symbols = set(request.symbols)
        unknown = self._unknown(symbols)
        symbols -= set(unknown)
        new = symbols - client.symbols
        limit = self._settings.max_symbols_per_client
        if len(client.symbols) + len(new) > limit:
            return self._reject(
                sid,
                ErrorCode.TOO_MANY_SYMBOLS,
                f"at most {limit} symbols per connection "
                f"({len(client.symbols)} subscribed, {len(new)} more asked)",
                request.request_id,
            )
        total = len(client.symbols) + len(new)
        if not self.limits.symbols_allowed(client.eio_sid, total):
            return self._reject(
                sid,
                ErrorCode.TOO_MANY_SYMBOLS,
                f"at most {self._settings.max_symbols_per_ip} symbols per address "
                "across its connections",
                request.request_id,
            )
        candles: set[CandleKey] = {(c.symbol, c.interval) for c in request.candles}
        self.subs.subscribe(sid, symbols, candles)
        self.limits.set_symbols(client.eio_sid, len(client.symbols))
        for symbol in new:
            await self.sio.enter_room(sid, market_room(symbol))
        for symbol, interval in candles:
            await self.sio.enter_room(sid, candle_room(symbol, interval))
        self._send_snapshot(client, new)
        self._demand_maybe_changed()
        if unknown:
            self._error(
                sid,
                ErrorCode.UNKNOWN_SYMBOL,
                "unknown symbols were not subscribed",
                sorted(unknown),
                request.request_id,
            )
        return _ack(client, request.request_id)

    async def _unsubscribe(self, sid: str, data: Any = None) -> dict[str, Any]:
        MESSAGES_IN.labels("unsubscribe").inc()
        request = self._parse_subscription(sid, data)
        if isinstance(request, dict):
            return request
        symbols = set(request.symbols)
        candles: set[CandleKey] = {(c.symbol, c.interval) for c in request.candles}
        client = self.subs.unsubscribe(sid, symbols, candles)
        self.limits.set_symbols(client.eio_sid, len(client.symbols))
        for symbol in symbols:
            await self.sio.leave_room(sid, market_room(symbol))
        for symbol, interval in candles:
            await self.sio.leave_room(sid, candle_room(symbol, interval))
        self._demand_maybe_changed()
        return _ack(client, request.request_id)

    async def _ping(self, sid: str, data: Any = None) -> dict[str, Any]:
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

    async def _unknown_event(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        MESSAGES_IN.labels("unknown").inc()
        return self._reject(
            sid,
            ErrorCode.UNKNOWN_EVENT,
            f"unknown event {event[:64]!r}; expected subscribe, unsubscribe, ping",
        )

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

    def _unknown(self, symbols: set[str]) -> list[str]:
        known = self._known_symbols()
        if not known:
            return []
        return [s for s in symbols if s not in known]

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
        ack = _ack(client, request_id) if client else {"symbols": [], "candles": []}
        return {**ack, "ok": False, "error": error}

    def _bad_packet(self, eio_sid: str, exc: Exception) -> None:
        CLIENT_ERRORS.labels(ErrorCode.INVALID_PAYLOAD.value).inc()
        log.info("client_bad_packet", error=str(exc)[:200])
        if self.transport.queued(eio_sid) is None:
            return
        error = {
            "code": ErrorCode.INVALID_PAYLOAD.value,
            "message": "could not decode the packet (invalid JSON or packet type)",
            "details": [str(exc)[:200]],
        }
        self.transport.send(eio_sid, event_packet(ServerEvent.ERROR, error))

    async def _gate(self, eio_sid: str, data: Any) -> bool:
        """Rate limits, before any decoding: over the limit a message costs one error reply;
        a connection that keeps flooding is disconnected with a reason."""
        verdict = self.limits.message(eio_sid)
        if verdict is Verdict.PASS:
            return True
        MESSAGES_IN.labels("limited").inc()
        if self.transport.queued(eio_sid) is None:
            return False
        flood = verdict is Verdict.FLOOD
        message = (
            "disconnected: too many messages"
            if flood
            else f"over {self._settings.client_messages_per_s:g} messages/s; message dropped"
        )
        CLIENT_ERRORS.labels(ErrorCode.RATE_LIMITED.value).inc()
        error = {"code": ErrorCode.RATE_LIMITED.value, "message": message, "details": []}
        self.transport.send(eio_sid, event_packet(ServerEvent.ERROR, error))
        ack = ack_id(data) if isinstance(data, str) else None
        if ack is not None:  # a caller waiting for its ack learns the answer at once
            reply: dict[str, Any] = {
                "ok": False,
                "requestId": None,
                "symbols": [],
                "candles": [],
                "error": error,
            }
            text = f"3{ack}" + OrjsonForSocketIO.dumps([reply])
            self.transport.send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, text))
        if flood:
            sid = self.sio.manager.sid_from_eio_sid(eio_sid, "/")
            log.info("client_flood_disconnected", sid=sid)
            if sid is not None:
                await self.sio.disconnect(sid)
            await self.transport.cut(eio_sid)
        return False

    async def close_all(self, message: str, flush_s: float = 1.0) -> int:
        """Graceful stop: tell every client why and wait (at most `flush_s`) until that reached
        it. The server closes the transports next (WebSocket close 1012, "service restart"):
        not a Socket.IO disconnect, so clients reconnect by themselves, through the balancer to
        a live instance. Returns how many clients were told."""
        status: StatusDict = {
            "status": ConnectionState.DISCONNECTED.value,
            "message": message,
            "timestamp": now_ms(),
            "source": self._status.get("source") if self._status else None,
            "live": False,
        }
        clients = list(self.subs.clients.values())
        pkt = event_packet(ServerEvent.CONNECTION_STATUS, status)
        self.fanout.send_to([c.sid for c in clients], pkt)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(flush_s):
                while any(self.transport.queued(c.eio_sid) for c in clients):
                    await asyncio.sleep(0.02)
        return len(clients)

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
                await self.sio.disconnect(sid)


def client_address(environ: dict[str, Any]) -> str:
    """The peer's address: uvicorn puts it in the ASGI scope (from X-Forwarded-For when the
    peer is a trusted proxy); python-engineio's own REMOTE_ADDR is a constant."""
    scope = environ.get("asgi.scope") or {}
    client = scope.get("client")
    return str(client[0]) if client else str(environ.get("REMOTE_ADDR", "unknown"))


def _ack(client: Client | None, request_id: str | None) -> dict[str, Any]:
    ack: dict[str, Any] = {
        "ok": True,
        "requestId": request_id,
        "symbols": sorted(client.symbols) if client else [],
        "candles": [{"symbol": s, "interval": i} for s, i in sorted(client.candles)]
        if client
        else [],
    }
    return ack


def _details(exc: ValidationError) -> list[str]:
    return [
        f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}" for e in exc.errors()[:10]
    ]


def _same_status(a: StatusDict, b: StatusDict) -> bool:
    return (a["status"], a["message"], a.get("source"), a["live"]) == (
        b["status"],
        b["message"],
        b.get("source"),
        b["live"],
    )
