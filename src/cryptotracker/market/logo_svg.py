"""SVG logos rasterised to PNG on our server, so that no SVG (a document that can carry script
and external references) ever reaches a browser.

resvg renders without running scripts and never fetches over the network, but it does read
local files named by `<image href>` (relative to a resources directory, or absolute). So
before rendering we refuse what could make it read anything or work without bound:
- a DOCTYPE or entity declaration (nothing in a logo needs one; entity expansion is the
  billion-laughs bomb, and the refusal happens before any XML parser sees them), and an
  `<?xml-stylesheet?>` instruction;
- any `href` that is not a fragment in this document (`#id`), and any CSS `url(...)` or
  `@import` that is not a fragment;
- a width, height or viewBox beyond `MAX_EXTENT` (the renderer sizes intermediate canvases,
  filters and patterns from them).
The picture is then rendered at `size` pixels on its longer side only, whatever it declares.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Final

import resvg_py

from cryptotracker.market.logo_errors import LogoError

_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
# A logo is drawn in at most a few thousand user units; more is a resource bomb, not a coin.
MAX_EXTENT: Final = 10_000.0
# Declarations (entity expansion) and stylesheet instructions (a fetch) have no place in a logo.
_DECLARATION: Final = re.compile(rb"<!\s*(DOCTYPE|ENTITY)|<\?\s*xml-stylesheet", re.IGNORECASE)
_NUMBER: Final = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(%|[a-z]*)\s*$")
# `url(` followed by anything but a local fragment, or an import of another stylesheet
# (possessive quantifiers: backtracking over the quote or spaces must not skip the check).
_EXTERNAL_CSS: Final = re.compile(r"url\(\s*+['\"]?+\s*+(?!#)|@import", re.IGNORECASE)


def _local_name(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _length(value: str | None) -> float | None:
    """A width or height in user units, None when absent or relative (a percentage)."""
    if value is None:
        return None
    match = _NUMBER.match(value)
    if match is None:
        raise LogoError("logo_svg_malformed", f"length {value[:40]!r}")
    if match.group(2) == "%":
        return None
    return float(match.group(1))


def _extent(root: ET.Element) -> tuple[float, float] | None:
    """The drawing's width and height (for its aspect ratio), refused when absurd."""
    sides: list[float] = []
    box = root.get("viewBox")
    if box is not None:
        parts = box.replace(",", " ").split()
        try:
            numbers = [float(part) for part in parts]
        except ValueError:
            raise LogoError("logo_svg_malformed", f"viewBox {box[:60]!r}") from None
        if len(numbers) != 4:
            raise LogoError("logo_svg_malformed", f"viewBox {box[:60]!r}")
        if any(abs(n) > MAX_EXTENT for n in numbers):
            raise LogoError("logo_svg_too_large", f"viewBox {box[:60]!r}")
        sides = numbers[2:]
    width, height = _length(root.get("width")), _length(root.get("height"))
    for side in (width, height):
        if side is not None and not 0 < side <= MAX_EXTENT:
            raise LogoError("logo_svg_too_large", f"{width} x {height}")
    if width is not None and height is not None:
        sides = [width, height]
    if sides and not (sides[0] > 0 and sides[1] > 0):
        raise LogoError("logo_svg_malformed", "empty drawing")
    return (sides[0], sides[1]) if sides else None


def _refuse_external(root: ET.Element) -> None:
    for element in root.iter():
        for name, value in element.attrib.items():
            local = _local_name(name)
            if local == "href" and not value.strip().startswith("#"):
                raise LogoError("logo_svg_external", f"href {value[:80]!r}")
            if _EXTERNAL_CSS.search(value):
                raise LogoError("logo_svg_external", f"{local}={value[:80]!r}")
        if _local_name(str(element.tag)) == "style" and _EXTERNAL_CSS.search(element.text or ""):
            raise LogoError("logo_svg_external", "stylesheet with url() or @import")


def rasterise(content: bytes, size: int) -> bytes:
    """The SVG rendered as PNG bytes at `size` pixels on its longer side, or `LogoError`."""
    if _DECLARATION.search(content):
        raise LogoError("logo_svg_unsafe", "DOCTYPE, ENTITY or xml-stylesheet")
    try:
        text = content.decode("utf-8")
        root = ET.fromstring(text)
    except (UnicodeDecodeError, ET.ParseError) as exc:
        raise LogoError("logo_svg_malformed", str(exc)) from None
    if root.tag != f"{_SVG_NS}svg":
        raise LogoError("logo_svg_malformed", f"root element {str(root.tag)[:60]}")
    extent = _extent(root)
    _refuse_external(root)
    wide = extent is None or extent[0] >= extent[1]
    try:
        return bytes(
            resvg_py.svg_to_bytes(
                svg_string=text,
                width=size if wide else None,
                height=None if wide else size,
            )
        )
    except ValueError as exc:
        raise LogoError("logo_svg_malformed", f"render: {exc}") from None
