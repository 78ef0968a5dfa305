"""The fan-out's own encodings are byte-compatible with the stock ones: a batch joined from
per-update fragments equals the envelope encoded whole, and a pre-built frame is the frame a
WebSocket library would write."""

from __future__ import annotations

import pytest
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol, Side, State

from cryptotracker.gateway.encode import BatchPackets, OutFrame, event_packet
from cryptotracker.gateway.websocket import text_frame
from cryptotracker.protocol import PriceDict, ServerEvent


def upd(symbol: str, price: str) -> PriceDict:
    return {
        "symbol": symbol, "price": price, "priceChangePercent": "-1.5", "high24h": price,
        "low24h": "0.00001234", "volume24h": "98765432101.12345678", "lastUpdateTime": 17,
        "source": "binance",
    }  # fmt: skip


def test_batch_joined_from_fragments_equals_the_whole_envelope() -> None:
    updates = [upd("ETHUSDT", "2"), upd("BTCUSDT", "1"), upd("SOLUSDT", "3")]
    joined = BatchPackets(updates, 1000, 1005).frame(["BTCUSDT", "SOLUSDT"])
    whole = event_packet(
        ServerEvent.BATCH_UPDATE,
        {"updates": [updates[1], updates[2]], "timestamp": 1000, "snapshot": False},
        1005,
    )
    assert joined == whole.frame
    assert OutFrame(joined).packet == whole.packet


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_prebuilt_frame_parses_as_one_text_frame(size: int) -> None:
    payload = b"4" + b"x" * size
    client = Protocol(Side.CLIENT, state=State.OPEN, max_size=None)
    client.receive_data(text_frame(payload))
    (frame,) = client.events_received()
    assert isinstance(frame, Frame)
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data == payload


@pytest.mark.parametrize("size", [10, 200, 70000])
def test_packet_from_frame_keeps_the_text_for_the_queue_path(size: int) -> None:
    packet = b'42["x","' + b"y" * size + b'"]'
    assert OutFrame(text_frame(packet)).packet == packet
