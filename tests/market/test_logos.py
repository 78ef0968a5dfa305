"""Logos are served only as PNGs we encoded ourselves: checked by Content-Type and by their
first bytes, size-limited, decoded and re-encoded; an SVG is rendered (see test_logo_svg) and
re-encoded the same way; anything else is refused."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cryptotracker.market.logos import LogoError, sanitise, sniff
from cryptotracker.simulator.coingecko import logo_png, logo_svg


def _encoded(fmt: str, size: tuple[int, int] = (200, 200), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, (10, 200, 30) if mode == "RGB" else 1).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize(("fmt", "content_type"), [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])  # fmt: skip
def test_raster_logos_come_out_as_small_pngs(fmt: str, content_type: str) -> None:
    png = sanitise(_encoded(fmt), content_type, 64)
    assert sniff(png) == "PNG"
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (64, 64) and image.mode == "RGBA"


def test_an_svg_whatever_its_content_type_comes_out_as_a_png() -> None:
    for content_type in ("image/svg+xml", "image/png", None):
        png = sanitise(logo_svg("bitcoin", "btc"), content_type, 64)
        assert sniff(png) == "PNG"


def test_metadata_and_trailing_bytes_do_not_survive() -> None:
    """A polyglot (an image with a script appended, or text in its metadata) is re-encoded
    from its pixels: nothing but the picture comes out."""
    payload = b"<script>alert(1)</script>"
    src = _encoded("PNG", (32, 32)) + payload
    out = sanitise(src, "image/png", 64)
    assert payload not in out
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (32, 32)  # never enlarged


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"<svg><circle", "image/svg+xml", "logo_svg_malformed"),
        (b"<?xml version='1.0'?><svg", "image/png", "logo_svg_malformed"),  # whatever it says
        (b"<html><body>denied</body></html>", "image/png", "logo_not_image"),
        (b"GIF89a" + b"\x00" * 40, "image/gif", "logo_undecodable"),
        (logo_png("bitcoin", "btc")[:60], "image/png", "logo_undecodable"),  # cut short
        (logo_png("bitcoin", "btc"), "text/html", "logo_content_type"),
        (logo_png("bitcoin", "btc"), None, "logo_content_type"),
    ],
)
def test_what_is_not_a_raster_image_is_refused_with_its_reason(
    body: bytes, content_type: str | None, reason: str
) -> None:
    with pytest.raises(LogoError) as caught:
        sanitise(body, content_type, 64)
    assert caught.value.reason == reason


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    bomb = _encoded("PNG", (5000, 5000), "1")  # 25 megapixels in a few kilobytes
    assert len(bomb) < 100_000
    with pytest.raises(LogoError) as caught:
        sanitise(bomb, "image/png", 64)
    assert caught.value.reason == "logo_too_large"
