"""Socket.IO v5 packets, as bytes in and out (no sockets): what the official suite sends, and
what it expects refused."""

from __future__ import annotations

import pytest

from cryptotracker.gateway.sio_codec import (
    SioDecodeError,
    SioPacket,
    SioType,
    decode,
    encode,
    reconstruct,
)


@pytest.mark.parametrize(
    ("raw", "packet"),
    [
        (b"0", SioPacket(SioType.CONNECT)),
        (b'0{"token":"123"}', SioPacket(SioType.CONNECT, data={"token": "123"})),
        (b"0/custom,", SioPacket(SioType.CONNECT, "/custom")),
        (b"0/custom", SioPacket(SioType.CONNECT, "/custom")),
        (b'0/custom,{"a":1}', SioPacket(SioType.CONNECT, "/custom", {"a": 1})),
        (b"1/custom", SioPacket(SioType.DISCONNECT, "/custom")),
        (b'2["message",1,"2"]', SioPacket(SioType.EVENT, data=["message", 1, "2"])),
        (b'2456["m"]', SioPacket(SioType.EVENT, data=["m"], ack_id=456)),
        (b'2/a,7["m"]', SioPacket(SioType.EVENT, "/a", ["m"], 7)),
        (b"3/a,7[true]", SioPacket(SioType.ACK, "/a", [True], 7)),
        (
            b'52-789["m",{"_placeholder":true,"num":0}]',
            SioPacket(SioType.BINARY_EVENT, data=["m", {"_placeholder": True, "num": 0}],
                      ack_id=789, attachments=2),
        ),
    ],
)  # fmt: skip
def test_decodes_client_packets(raw: bytes, packet: SioPacket) -> None:
    assert decode(raw, max_attachments=10) == packet


@pytest.mark.parametrize(
    "raw",
    [
        b"abc",  # unknown type
        b"2{}",  # event payload not an array
        b'2abc["m"]',  # ack id not a number
        b"2[]",  # no event name
        b"2[1]",  # event name not a string
        b'4{"message":"x"}',  # CONNECT_ERROR comes from servers only
        b"0[1]",  # connect payload not an object
        b"1{}",  # disconnect has no payload
        b"3[]",  # ack without id
        b'2["m",',  # truncated JSON
        b"2" + b"9" * 17 + b'["m"]',  # ack id beyond what JavaScript counts
        b'5["m"]',  # binary without attachment count
    ],
)
def test_refuses_malformed_packets(raw: bytes) -> None:
    with pytest.raises(SioDecodeError):
        decode(raw, max_attachments=10)


def test_attachment_count_is_bounded_before_anything_else_is_read() -> None:
    with pytest.raises(SioDecodeError, match="attachments"):
        decode(b'5999999-["m",' + b"x" * 100, max_attachments=10)
    with pytest.raises(SioDecodeError):
        decode(b'51-["m",{"_placeholder":true,"num":0}]', max_attachments=0)


def test_binary_round_trip_puts_buffers_back_in_place() -> None:
    text, *buffers = encode(SioType.EVENT, "/", ["up", b"\x01\x02", {"b": b"\x03"}], 9)
    assert text == (b'52-9["up",{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]')
    assert buffers == [b"\x01\x02", b"\x03"]
    packet = decode(text, max_attachments=2)
    assert reconstruct(packet.data, buffers) == ["up", b"\x01\x02", {"b": b"\x03"}]


def test_placeholder_to_a_missing_attachment_is_refused() -> None:
    with pytest.raises(SioDecodeError):
        reconstruct(["m", {"_placeholder": True, "num": 3}], [b"x"])


def test_encodes_connect_reply_and_error_as_the_suite_expects() -> None:
    assert encode(SioType.CONNECT, "/custom", {"sid": "s"}) == [b'0/custom,{"sid":"s"}']
    assert encode(SioType.CONNECT_ERROR, "/random", {"message": "Invalid namespace"}) == [
        b'4/random,{"message":"Invalid namespace"}'
    ]
    assert encode(SioType.ACK, "/", [1, "2"], 456) == [b'3456[1,"2"]']
