import socketio

from cryptotracker.gateway.rooms import IndexedManager


class _Server:
    """What python-socketio's manager asks of its server."""

    packet_class = socketio.packet.Packet

    class eio:  # noqa: N801
        n = 0

        @classmethod
        def generate_id(cls) -> str:
            cls.n += 1
            return f"sid{cls.n}"


def _connected(manager: IndexedManager, eio_sid: str) -> str:
    sid: str = socketio.base_manager.BaseManager.pre_connect(manager, eio_sid, "/")
    return sid


def test_disconnect_leaves_every_room_of_the_client_and_no_other() -> None:
    manager = IndexedManager()
    manager.set_server(_Server)
    a, b = _connected(manager, "ea"), _connected(manager, "eb")
    for sid in (a, b):
        manager.basic_enter_room(sid, "/", "market:global")
    manager.basic_enter_room(a, "/", "candles:BTCUSDT:1m")
    assert sorted(manager.get_rooms(a, "/")) == sorted([a, "market:global", "candles:BTCUSDT:1m"])

    manager.basic_disconnect(a, "/")

    assert manager.get_rooms(a, "/") == []
    assert set(manager.rooms["/"]) == {None, b, "market:global"}
    assert dict(manager.rooms["/"]["market:global"]) == {b: "eb"}
    manager.basic_disconnect(b, "/")
    assert manager.rooms == {}
    assert manager.pending_connect == {}
