"""Engine.IO v4 packets and polling payloads, as bytes in and out (no sockets)."""

from __future__ import annotations

import pytest

from cryptotracker.gateway.eio_codec import (
    EioDecodeError,
    EioPacket,
    EioType,
    decode_payload,
    decode_text,
    encode_payload,
    encode_payload_record,
    encode_text,
)


def test_text_packet_is_its_type_digit_and_data() -> None:
    assert decode_text(b"4hello") == EioPacket(EioType.MESSAGE, b"hello")
    assert decode_text(b"2probe") == EioPacket(EioType.PING, b"probe")
    assert encode_text(EioType.PONG, b"probe") == b"3probe"


@pytest.mark.parametrize("raw", [b"", b"7", b"x", b"\xff"])
def test_unknown_packet_type_is_refused(raw: bytes) -> None:
    with pytest.raises(EioDecodeError):
        decode_text(raw)


def test_polling_payload_splits_on_record_separator_and_decodes_binary() -> None:
    body = encode_payload([b"4hello", encode_payload_record(b"\x01\x02\x03", binary=True), b"2"])
    assert body == b"4hello\x1ebAQID\x1e2"
    assert decode_payload(body, 10) == [
        EioPacket(EioType.MESSAGE, b"hello"),
        EioPacket(EioType.MESSAGE, b"\x01\x02\x03", binary=True),
        EioPacket(EioType.PING),
    ]


def test_polling_payload_is_bounded_in_packets() -> None:
    with pytest.raises(EioDecodeError):
        decode_payload(b"\x1e".join([b"3"] * 11), 10)


def test_bad_base64_is_refused() -> None:
    with pytest.raises(EioDecodeError):
        decode_payload(b"b!!!", 10)
