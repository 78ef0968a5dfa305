"""Socket.IO v5 over our Engine.IO sessions: namespace connections, events, acks and binary
attachments, the connect timeout. What an application does with them is its `Namespace`'s
business; what happens to bad input is its `Policy`'s."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any, Protocol

from cryptotracker.gateway.engine import Engine, EngineConfig, Session
from cryptotracker.gateway.sio_codec import (
    SioDecodeError,
    SioPacket,
    SioType,
    decode,
    encode,
    reconstruct,
)

_MSG = b"4"
# A session refused at admission is closed this long after its handshake.
REFUSED_LIFETIME_S = 2.0
REFUSED_PACKETS = 4


class Socket:
    """One client's connection to one namespace."""

    __slots__ = ("app_data", "nsp", "session", "sid")

    def __init__(self, session: Session, nsp: str) -> None:
        self.session = session
        self.nsp = nsp
        self.sid = secrets.token_urlsafe(15)
        self.app_data: Any = None

    def emit(self, event: str, *args: Any) -> None:
        self._send(encode(SioType.EVENT, self.nsp, [event, *args]))

    def ack(self, ack_id: int, args: list[Any]) -> None:
        self._send(encode(SioType.ACK, self.nsp, args, ack_id))

    def _send(self, parts: list[bytes]) -> None:
        session = self.session
        session.send(_MSG + parts[0])
        for buffer in parts[1:]:
            session.send_binary(buffer)


class Namespace(Protocol):
    def connect(self, sock: Socket, auth: Any) -> str | None:
        """None to accept; otherwise the refusal's message (CONNECT_ERROR)."""

    def connected(self, sock: Socket) -> None:
        """After the CONNECT reply went out: the first packets the client should get."""

    def event(self, sock: Socket, name: str, args: list[Any], ack_id: int | None) -> None: ...

    def disconnect(self, sock: Socket, reason: str) -> None: ...


class Policy(Protocol):
    """Decisions the protocol leaves to the application."""

    def admit(self, client: str) -> str | None: ...

    def opened(self, session: Session) -> None: ...

    def inbound(self, session: Session, data: bytes) -> bool:
        """Every packet, before it is decoded: False drops it (rate limits)."""

    def invalid(self, session: Session, reason: str) -> None:
        """A packet that is not Socket.IO: answer, or close the session."""

    def too_big(self, session: Session) -> None: ...

    def closed(self, session: Session) -> None: ...


class _State:
    __slots__ = ("connect_timer", "partial", "refusal", "refused_packets", "sockets")

    def __init__(self, refusal: str | None) -> None:
        self.sockets: dict[str, Socket] = {}
        self.partial: SioPacket | None = None
        self.connect_timer: asyncio.TimerHandle | None = None
        # Why this session may not connect (the address is over its cap): every CONNECT is
        # answered with it, and the session ends soon.
        self.refusal = refusal
        self.refused_packets = 0


class SocketServer:
    """The `EngineApp` of an Engine: Socket.IO's packets on its sessions' messages."""

    def __init__(
        self,
        namespaces: dict[str, Namespace],
        policy: Policy,
        engine_config: EngineConfig,
        connect_timeout_s: float,
        max_attachments: int,
    ) -> None:
        self.namespaces = namespaces
        self.policy = policy
        self.connect_timeout_s = connect_timeout_s
        self.max_attachments = max_attachments
        self.engine = Engine(self, engine_config)

    # ---- EngineApp -------------------------------------------------------------------------

    def opened(self, session: Session) -> None:
        """Admission is decided at the Engine.IO handshake, so the per-address cap counts
        sessions from their first byte; a refused one still learns why at its CONNECT (a
        Socket.IO CONNECT_ERROR, which clients show) and lives only until then."""
        refusal = self.policy.admit(session.address)
        state = _State(refusal)
        session.app_state = state
        timeout = self.connect_timeout_s if refusal is None else REFUSED_LIFETIME_S
        loop = asyncio.get_running_loop()
        state.connect_timer = loop.call_later(timeout, self._connect_due, session)
        if refusal is None:
            self.policy.opened(session)

    def inbound(self, session: Session, data: bytes) -> bool:
        state = session.app_state
        if isinstance(state, _State) and state.refusal is not None:
            # A refused session is owed one answer (to its CONNECT); past a few packets it
            # gets nothing more.
            state.refused_packets += 1
            return state.refused_packets <= REFUSED_PACKETS
        return self.policy.inbound(session, data)

    def too_big(self, session: Session) -> None:
        self.policy.too_big(session)

    def closed(self, session: Session, reason: str) -> None:
        state = session.app_state
        if isinstance(state, _State) and state.refusal is None:
            if state.connect_timer is not None:
                state.connect_timer.cancel()
            for sock in list(state.sockets.values()):
                self.namespaces[sock.nsp].disconnect(sock, reason)
            state.sockets.clear()
            state.partial = None
            self.policy.closed(session)

    def message(self, session: Session, data: bytes, binary: bool) -> None:
        state = session.app_state
        if not isinstance(state, _State):
            return
        if binary:
            partial = state.partial
            if partial is None:
                self.policy.invalid(session, "binary data without a binary packet")
                return
            partial.buffers.append(data)
            if partial.complete:
                state.partial = None
                self._complete_binary(session, state, partial)
            return
        if state.partial is not None:
            state.partial = None
            self.policy.invalid(session, "text packet while attachments were expected")
            return
        try:
            packet = decode(data, self.max_attachments)
        except SioDecodeError as exc:
            self.policy.invalid(session, str(exc))
            return
        if packet.attachments:
            state.partial = packet
            return
        self._dispatch(session, state, packet)

    # ---- packets ---------------------------------------------------------------------------

    def _complete_binary(self, session: Session, state: _State, packet: SioPacket) -> None:
        try:
            packet.data = reconstruct(packet.data, packet.buffers)
        except SioDecodeError as exc:
            self.policy.invalid(session, str(exc))
            return
        self._dispatch(session, state, packet)

    def _dispatch(self, session: Session, state: _State, packet: SioPacket) -> None:
        kind = packet.type
        sock = state.sockets.get(packet.nsp)
        if kind is SioType.CONNECT:
            self._connect(session, state, packet)
        elif sock is None:
            if kind is not SioType.DISCONNECT:
                self.policy.invalid(session, f"not connected to namespace {packet.nsp[:64]!r}")
        elif kind is SioType.DISCONNECT:
            del state.sockets[packet.nsp]
            self.namespaces[packet.nsp].disconnect(sock, "client namespace disconnect")
        elif kind in (SioType.EVENT, SioType.BINARY_EVENT):
            name, *args = packet.data
            self.namespaces[packet.nsp].event(sock, name, args, packet.ack_id)
        # ACKs from the client: this server never asks for one.

    def _connect(self, session: Session, state: _State, packet: SioPacket) -> None:
        nsp = packet.nsp
        handler = self.namespaces.get(nsp)
        if handler is None:
            session.send(
                _MSG + encode(SioType.CONNECT_ERROR, nsp, {"message": "Invalid namespace"})[0]
            )
            return
        if state.refusal is not None:
            session.send(_MSG + encode(SioType.CONNECT_ERROR, nsp, {"message": state.refusal})[0])
            return
        if nsp in state.sockets:
            self.policy.invalid(session, f"already connected to {nsp}")
            return
        sock = Socket(session, nsp)
        reason = handler.connect(sock, packet.data if packet.data is not None else {})
        if reason is not None:
            session.send(_MSG + encode(SioType.CONNECT_ERROR, nsp, {"message": reason})[0])
            return
        state.sockets[nsp] = sock
        if state.connect_timer is not None:
            state.connect_timer.cancel()
            state.connect_timer = None
        session.send(_MSG + encode(SioType.CONNECT, nsp, {"sid": sock.sid})[0])
        handler.connected(sock)

    def _connect_due(self, session: Session) -> None:
        state = session.app_state
        if isinstance(state, _State):
            state.connect_timer = None
            if not state.sockets:
                session.close("connect timeout")

    # ---- the application's calls -----------------------------------------------------------

    def disconnect(self, sock: Socket, reason: str = "server disconnect") -> None:
        """End one namespace connection (DISCONNECT to the client) and its session."""
        session = sock.session
        state = session.app_state
        if isinstance(state, _State) and state.sockets.pop(sock.nsp, None) is sock:
            session.send(_MSG + encode(SioType.DISCONNECT, sock.nsp)[0])
            self.namespaces[sock.nsp].disconnect(sock, reason)
        session.close(reason)
