"""The load generator's cheap path reads a batch's timestamp from the end of a frame without
parsing it; anything it does not recognise must fall back to the full parse, never miscount."""

from __future__ import annotations

import orjson

from cryptotracker_bench import wire
from cryptotracker_bench.refs import Payloads

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
TS = 1_764_500_000_123


def _batch(symbols: list[str] = SYMBOLS, ts: int = TS) -> bytes:
    return Payloads(SYMBOLS).batch(symbols, ts)


def test_batch_receipt_reads_the_batch_timestamp_of_one_whole_frame() -> None:
    packet = _batch()
    assert wire.batch_receipt(wire.server_frame(packet)) == TS
    assert wire.batch_timestamp(packet) == TS


def test_batch_receipt_reads_long_frames_with_a_16_bit_length() -> None:
    many = [f"S{i}USDT" for i in range(40)]
    packet = Payloads(many).batch(many, TS)
    assert 126 <= len(packet) < 1 << 16
    assert wire.batch_receipt(wire.server_frame(packet)) == TS


def test_batch_receipt_declines_what_the_full_parse_must_handle() -> None:
    frame = wire.server_frame(_batch())
    snapshot = b'42["batch_update",' + orjson.dumps({
        "event": "batch_update", "data": {"updates": [], "timestamp": TS, "snapshot": True},
        "timestamp": TS,
    }) + b"]"  # fmt: skip
    declined = {
        "two frames in one read": frame + frame,
        "a partial frame": frame[:-1],
        "a snapshot": wire.server_frame(snapshot),
        "another event": wire.server_frame(wire.sio_event("error", {"timestamp": TS})),
        "a masked frame": wire.client_frame(_batch()),
        "a ping": wire.server_frame(b"", wire.OP_PING),
        "an ack": wire.server_frame(wire.sio_ack(1, {"ok": True})),
    }
    for why, data in declined.items():
        assert wire.batch_receipt(data) == -1, why


def test_batch_timestamp_is_the_batchs_own_whatever_the_envelopes_key_order() -> None:
    data = {"updates": [], "timestamp": TS, "snapshot": False}
    envelope_last = orjson.dumps(["batch_update", {"data": data, "timestamp": TS + 7}])
    envelope_first = orjson.dumps(["batch_update", {"timestamp": TS + 7, "data": data}])
    for packet in (b"42" + envelope_last, b"42" + envelope_first):
        assert wire.batch_timestamp(packet) == TS
        assert wire.batch_receipt(wire.server_frame(packet)) == TS
    other_key = b"42" + orjson.dumps(["batch_update", {"data": {"n": 5, "snapshot": False}}])
    assert wire.batch_timestamp(other_key) == -1


def test_frame_parser_is_empty_only_between_whole_messages() -> None:
    frame = wire.server_frame(_batch())
    parser = wire.FrameParser()
    assert parser.feed(frame[:10]) == []
    assert not parser.empty
    assert [f.payload for f in parser.feed(frame[10:])] == [_batch()]
    assert parser.empty
