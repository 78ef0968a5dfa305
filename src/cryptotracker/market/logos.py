"""Coin logos, made safe to serve from our own origin: fetched once, at most `max_bytes`,
accepted only when the Content-Type says image and the first bytes say PNG, JPEG, GIF or WebP,
then decoded and re-encoded by Pillow as a small PNG (which drops metadata, scripts hidden in
the file and anything a browser could sniff as something else).

An SVG is never served (it is a document that can carry script and external references): it is
checked and rendered to PNG by `logo_svg` (resvg, no system libraries), in a child process
killed at a deadline (`logo_render`), and that PNG then takes the same Pillow path as any
raster logo. A refused logo
only costs that coin its logo (the page shows a neutral placeholder).
"""

from __future__ import annotations

import asyncio
import io
import warnings
from collections.abc import Collection
from typing import Final
from urllib.parse import urlsplit

import httpx
from PIL import Image, UnidentifiedImageError

from cryptotracker.market import logo_svg
from cryptotracker.market.logo_errors import LogoError as LogoError
from cryptotracker.market.logo_render import render_isolated

# Magic numbers of the formats we take (Content-Type alone is the sender's word).
_MAGIC: Final = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
)
# A logo is small: a bigger canvas is a decompression bomb, not a coin.
MAX_PIXELS: Final = 4096 * 4096
# Rendering a checked logo takes milliseconds (plus the child's start); a hostile one must not
# hold a fetch for long.
RENDER_TIMEOUT_S: Final = 5.0


def sniff(content: bytes) -> str | None:
    """The image format the bytes start with, or None."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    return None


def _looks_like_svg(content_type: str, content: bytes) -> bool:
    head = content[:256].lstrip().lower()
    return "svg" in content_type or head.startswith((b"<svg", b"<?xml"))


def sanitise(content: bytes, content_type: str | None, size: int) -> bytes:
    """The logo as a PNG of at most `size` x `size` pixels, or `LogoError`."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if _looks_like_svg(kind, content):
        # Rendered to PNG bytes of our own, then re-encoded like any raster logo below.
        content, kind = logo_svg.rasterise(content, size), "image/png"
    if not kind.startswith("image/"):
        raise LogoError("logo_content_type", f"Content-Type {kind or 'missing'}")
    fmt = sniff(content)
    if fmt is None:
        raise LogoError("logo_not_image", f"{kind} whose bytes are no known image")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content), formats=[fmt]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise LogoError("logo_too_large", f"{image.width}x{image.height} pixels")
                image.seek(0)  # the first frame of an animation
                image.load()
                rgba = image.convert("RGBA")
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Warning) as exc:
        if isinstance(exc, LogoError):
            raise
        raise LogoError("logo_undecodable", f"{fmt}: {exc}") from None
    rgba.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return out.getvalue()


async def fetch_logo(
    client: httpx.AsyncClient,
    url: str,
    max_bytes: int,
    size: int,
    hosts: Collection[str],
    render_timeout: float = RENDER_TIMEOUT_S,
) -> bytes:
    """GET `url` (http or https, on one of `hosts`: the source names the URL, and we must not
    fetch whatever it names, an internal address included), read at most `max_bytes` (no
    redirects), sanitise."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or parts.hostname not in hosts:
        raise LogoError("logo_host", f"{parts.scheme}://{parts.hostname} is not a logo host")
    try:
        async with client.stream("GET", url) as response:
            if response.status_code != 200:
                raise LogoError("logo_fetch_failed", f"HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise LogoError("logo_too_large", f"{declared} bytes declared")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise LogoError("logo_too_large", f"more than {max_bytes} bytes")
            content_type = response.headers.get("Content-Type")
    except httpx.HTTPError as exc:
        raise LogoError("logo_fetch_failed", f"{type(exc).__name__}: {exc}") from exc
    content = bytes(body)
    if _looks_like_svg((content_type or "").lower(), content):
        content = await render_isolated(content, size, render_timeout)
        content_type = "image/png"
    # Decoding and encoding take milliseconds each: off the event loop.
    return await asyncio.to_thread(sanitise, content, content_type, size)
