"""Writing to clients below python-socketio: python-engineio's per-socket output queues, and,
while a connection's writer is idle, the WebSocket frame written straight to its transport.

The stock path costs a queue hand-off, a writer-task wake-up, an encode and an ASGI send per
recipient. A `FramedPacket` is framed once for all its recipients, and when nothing of the
connection is waiting or in flight (its writer task parked on an empty queue, the transport
not paused) one `transport.write` puts it on the wire. Otherwise it takes the queue, behind
what is already there, so a client never sees packets out of order."""

from __future__ import annotations

from typing import Any

from engineio import packet as eio_packet
from engineio.async_drivers import asgi as eio_asgi

# Attribute set on python-engineio's socket object: its DirectLink.
_DIRECT = "_cryptotracker_ws"


def ws_text_header(size: int) -> bytes:
    """Header of an unmasked, final WebSocket text frame (RFC 6455 §5.2) of `size` bytes."""
    if size < 126:
        return bytes((0x81, size))
    if size < 1 << 16:
        return bytes((0x81, 126)) + size.to_bytes(2, "big")
    return bytes((0x81, 127)) + size.to_bytes(8, "big")


def ws_text_frame(payload: bytes) -> bytes:
    """A whole unmasked text frame, as a server writes it."""
    return ws_text_header(len(payload)) + payload


def frame_payload(frame: bytes) -> bytes:
    """The payload of a frame made by `ws_text_frame`."""
    size = frame[1] & 0x7F
    return frame[2 + (2 if size == 126 else 8 if size == 127 else 0) :]


class FramedPacket(eio_packet.Packet):  # type: ignore[misc]
    """An Engine.IO MESSAGE whose WebSocket frame is built once, on first direct write, and
    shared by every recipient."""

    def __init__(self, text: str, frame: bytes | None = None) -> None:
        super().__init__(eio_packet.MESSAGE, text)
        self._frame = frame

    @classmethod
    def from_frame(cls, frame: bytes) -> FramedPacket:
        """The packet of a frame built by the fan-out (Engine.IO `4` + Socket.IO text)."""
        return cls(frame_payload(frame)[1:].decode(), frame)

    @property
    def frame(self) -> bytes:
        if self._frame is None:
            self._frame = ws_text_frame(b"4" + self.data.encode())
        return self._frame


def _websocket_class() -> type:
    class DirectWebSocket(eio_asgi.WebSocket):  # type: ignore[misc]
        """python-engineio's ASGI WebSocket wrapper that also records, on the Engine.IO socket
        it serves, the server protocol behind `asgi.send` (uvicorn's), whose transport the
        fan-out may write to."""

        async def __call__(self, environ: dict[str, Any]) -> Any:
            sock = getattr(self.handler, "__self__", None)
            proto = getattr(environ.get("asgi.send"), "__self__", None)
            if sock is not None and _usable(proto):
                setattr(sock, _DIRECT, DirectLink(sock, proto))
            return await super().__call__(environ)

    return DirectWebSocket


def _usable(proto: Any) -> bool:
    """uvicorn's websockets-sansio protocol: a transport, a `writable` event, close flags."""
    return all(hasattr(proto, a) for a in ("transport", "writable", "disconnected", "close_sent"))


def enable_direct_writes(eio: Any) -> None:
    """Have this Engine.IO server's WebSocket connections record their protocol (its own copy
    of the driver table; the module's stays as it is)."""
    eio._async = {**eio._async, "websocket": _websocket_class()}


def direct_backlog(sock: Any) -> int:
    """A paused transport (write buffer over its high-water mark) counts as one packet queued."""
    link = getattr(sock, _DIRECT, None)
    return 0 if link is None or link._proto.writable.is_set() else 1


class DirectLink:
    """One connection's way to the wire, resolved once: its Engine.IO queue's waiters and its
    uvicorn protocol. `write` is the fan-out's per-recipient call, so it is kept flat."""

    __slots__ = ("_getters", "_proto")

    def __init__(self, sock: Any, proto: Any) -> None:
        # asyncio.Queue keeps the tasks parked in `get()` in `_getters` (one deque for the
        # queue's life); between a get and the write, it is empty.
        self._getters = sock.queue._getters
        self._proto = proto

    def write(self, frame: bytes) -> bool:
        """Write a whole frame now if nothing of the connection is waiting or in flight (its
        writer parked on an empty queue, the transport taking writes); False when the frame
        must take the queue instead."""
        getters = self._getters
        proto = self._proto
        if (
            not getters
            or getters[-1].done()
            or not proto.writable.is_set()
            or proto.disconnected
            or proto.close_sent
        ):
            return False
        transport = proto.transport
        if transport.is_closing():
            return False
        transport.write(frame)
        return True


class NoLink:
    """A connection that cannot be written to directly: every frame takes the queue."""

    __slots__ = ()

    def write(self, frame: bytes) -> bool:
        return False


NO_LINK = NoLink()


def link_of(sock: Any) -> DirectLink | None:
    link = getattr(sock, _DIRECT, None)
    return link if isinstance(link, DirectLink) else None
