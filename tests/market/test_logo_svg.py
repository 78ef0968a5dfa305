"""SVG logos are rendered to PNG on our server (resvg) after checks that keep the renderer from
reading anything but the document and from working without bound; what fails a check is
refused with a reason the metric counts."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from cryptotracker.market.logo_errors import LogoError
from cryptotracker.market.logo_render import render_isolated
from cryptotracker.market.logo_svg import rasterise
from cryptotracker.market.logos import fetch_logo, sanitise
from cryptotracker.simulator.coingecko import IMAGES_PREFIX, logo_png, logo_svg
from cryptotracker.simulator.server import Simulator

NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def svg(body: str, attrs: str = 'width="64" height="64"') -> bytes:
    return f"<svg {NS} {attrs}>{body}</svg>".encode()


def pixels(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        return image.convert("RGBA")


def test_the_simulators_svg_logo_comes_out_as_a_small_png() -> None:
    image = pixels(sanitise(logo_svg("bitcoin", "btc"), "image/svg+xml", 64))
    assert image.size == (64, 64)
    # The disc drawn in the coin's colour, as in the simulator's PNG twin.
    twin = pixels(logo_png("bitcoin", "btc")).resize((64, 64))
    assert image.getpixel((8, 32))[:3] == pytest.approx(twin.getpixel((8, 32))[:3], abs=8)
    assert image.getpixel((0, 0))[3] == 0  # transparent outside the disc


def test_the_longer_side_is_rendered_at_the_logo_size_whatever_the_svg_declares() -> None:
    wide = pixels(sanitise(svg('<rect width="2" height="1"/>', 'viewBox="0 0 2 1"'), None, 64))
    assert wide.size == (64, 32)
    tall = svg('<rect width="10" height="5000"/>', 'width="10" height="5000"')
    assert pixels(sanitise(tall, "image/svg+xml", 64)).size == (1, 64)


def test_an_external_image_is_neither_fetched_nor_read(tmp_path: Path) -> None:
    """resvg itself would read a local file named by <image href> (checked when choosing it);
    we refuse such an SVG before rendering, so nothing outside the document is touched."""
    secret = tmp_path / "secret.png"
    secret.write_bytes(logo_png("bitcoin", "btc"))
    before = secret.stat().st_atime_ns
    for href in (str(secret), f"file://{secret}", "secret.png", "http://127.0.0.1:9/x.png"):
        for attr in ("href", "xlink:href"):
            body = svg(f'<image {attr}="{href}" width="64" height="64"/>')
            with pytest.raises(LogoError) as caught:
                rasterise(body, 64)
            assert caught.value.reason == "logo_svg_external", (attr, href)
    assert secret.stat().st_atime_ns == before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<svg", "logo_svg_malformed"),  # cut short
        (b"<?xml version='1.0'?><html/>", "logo_svg_malformed"),  # not an SVG
        (b"<svg xmlns='http://www.w3.org/2000/svg'>\xff\xfe</svg>", "logo_svg_malformed"),
        (svg("", 'viewBox="0 0 a b"'), "logo_svg_malformed"),
        (svg('<rect style="fill: url(https://evil.example/p.svg#x)"/>'), "logo_svg_external"),
        (svg("<rect style=\"fill: url('https://evil.example/p.svg#x')\"/>"), "logo_svg_external"),
        (svg("<style>@import 'https://evil.example/a.css';</style>"), "logo_svg_external"),
        (svg('<use href="other.svg#x"/>'), "logo_svg_external"),
        (b'<?xml-stylesheet href="https://evil.example/a.css"?>' + svg(""), "logo_svg_unsafe"),
        (svg("", 'viewBox="0 0 1e9 1e9"'), "logo_svg_too_large"),
        (svg("", 'width="100000" height="10"'), "logo_svg_too_large"),
        (svg("", 'width="1e308mm" height="1"'), "logo_svg_too_large"),
    ],
)
def test_malformed_external_or_absurd_svgs_are_refused(body: bytes, reason: str) -> None:
    with pytest.raises(LogoError) as caught:
        sanitise(body, "image/svg+xml", 64)
    assert caught.value.reason == reason


def test_local_references_and_gradients_still_render() -> None:
    body = svg(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient>'
        '<circle id="c" cx="32" cy="32" r="30"/></defs>'
        '<use href="#c" fill="url(#g)"/>'
        "<use href='#c' style='fill: url( \"#g\" )'/>"
    )
    assert pixels(sanitise(body, "image/svg+xml", 64)).getpixel((32, 32))[:3] == (255, 0, 0)


def test_a_use_chain_that_multiplies_its_elements_is_refused() -> None:
    """The SVG form of billion laughs: nine levels of ten `<use>` each, a billion circles.
    resvg stops at its node limit (and the child that renders it has a memory limit)."""
    levels = "".join(
        f'<g id="u{i}">' + f'<use href="#u{i - 1}"/>' * 10 + "</g>" for i in range(1, 10)
    )
    bomb = svg(f'<defs><circle id="u0" r="1"/>{levels}</defs><use href="#u9"/>')
    with pytest.raises(LogoError) as caught:
        rasterise(bomb, 64)
    assert caught.value.reason == "logo_svg_malformed"


def test_entity_expansion_is_refused_before_any_parser_sees_it() -> None:
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE svg [{laughs}]><svg {NS}><text>&l9;</text></svg>'
    started = time.perf_counter()
    with pytest.raises(LogoError) as caught:
        sanitise(bomb.encode(), "image/svg+xml", 64)
    assert caught.value.reason == "logo_svg_unsafe"
    print(f"billion laughs refused in {(time.perf_counter() - started) * 1e3:.2f} ms")


async def test_an_svg_over_the_byte_limit_is_refused_before_rendering(
    simulator: Simulator,
) -> None:
    url = f"{simulator.rest_url}{IMAGES_PREFIX}bitcoin.svg"
    async with httpx.AsyncClient() as client:
        png = await fetch_logo(client, url, 4096, 64, ["127.0.0.1"])
        assert pixels(png).size == (64, 64)
        with pytest.raises(LogoError) as caught:
            await fetch_logo(client, url, 100, 64, ["127.0.0.1"])
    assert caught.value.reason == "logo_too_large"


def heavy_svg(filters: int) -> bytes:
    """Valid, small in bytes, slow to render: each blur filters the whole canvas."""
    body = "".join(
        f'<filter id="f{i}"><feGaussianBlur stdDeviation="40"/></filter>'
        f'<rect width="4000" height="4000" filter="url(#f{i})"/>'
        for i in range(filters)
    )
    return svg(body, 'width="4000" height="4000"')


async def test_a_slow_svg_is_killed_at_its_deadline_while_the_loop_keeps_running() -> None:
    """resvg holds the GIL while it renders, so it runs in a child process: the event loop
    keeps serving meanwhile, and the child is killed at the deadline."""
    content = heavy_svg(1000)
    assert len(content) < 256 * 1024  # within the default byte limit
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    with pytest.raises(LogoError) as caught:
        await render_isolated(content, 64, timeout=0.5)
    took = time.perf_counter() - started
    stop.set()
    await task
    assert caught.value.reason == "logo_timeout"
    assert len(gaps) >= 2  # the loop ran during the render (in-process it could not)
    print(f"slow SVG refused after {took:.2f} s; longest loop gap {max(gaps) * 1e3:.1f} ms")


async def test_a_refusal_in_the_child_keeps_its_reason() -> None:
    with pytest.raises(LogoError) as caught:
        await render_isolated(svg('<image href="/etc/passwd"/>'), 64, timeout=10)
    assert caught.value.reason == "logo_svg_external"
    started = time.perf_counter()
    png = await render_isolated(logo_svg("bitcoin", "btc"), 64, timeout=10)
    print(f"rendered in a child in {(time.perf_counter() - started) * 1e3:.0f} ms")
    assert pixels(png).size == (64, 64)
