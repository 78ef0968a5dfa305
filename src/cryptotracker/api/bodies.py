"""Whole-market answers (`/api/prices`, `/api/symbols`) encoded once and served to every request
until they change, plain and gzipped. With ~1,400 markets each is 85-300 KB of JSON that took
~5 ms to build per request, and every open page asks for the prices every 30 s: built at most
once per `ttl_s` (and when `key` changes), a thousand pages cost one build a second, not a
thousand. gzip runs in a thread (zlib lets go of the GIL), off the event loop.
"""

from __future__ import annotations

import asyncio
import gzip
import math
import time
from collections.abc import Callable
from typing import Final, NamedTuple

from fastapi.responses import Response

# nginx's gzip_comp_level in deploy/: about 6x smaller JSON for a few ms per build.
GZIP_LEVEL: Final = 5


class Encoded(NamedTuple):
    plain: bytes
    packed: bytes  # gzip


class BodyCache:
    """One body, rebuilt when `key` is not the one it was built for or `ttl_s` has passed;
    concurrent requests for a stale body wait for one build."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = asyncio.Lock()
        self._key: object = None
        self._expires = 0.0
        self._body: Encoded | None = None
        self.builds = 0

    def _fresh(self, key: object) -> Encoded | None:
        if self._body is not None and self._key == key and self._clock() < self._expires:
            return self._body
        return None

    async def get(self, key: object, build: Callable[[], bytes]) -> Encoded:
        """The body for `key`, built by `build` if need be."""
        body = self._fresh(key)
        if body is not None:
            return body
        async with self._lock:
            body = self._fresh(key)
            if body is None:
                plain = build()
                packed = await asyncio.to_thread(gzip.compress, plain, GZIP_LEVEL)
                body = self._body = Encoded(plain, packed)
                self._key = key
                self._expires = self._clock() + self.ttl_s
                self.builds += 1
            return body


class Bodies(NamedTuple):
    """The app's cached whole-market answers (app.state.bodies)."""

    prices: BodyCache
    symbols: BodyCache

    @classmethod
    def create(cls, prices_ttl_s: float) -> Bodies:
        # The listing is its own key (a new exchangeInfo reading is a new list): no expiry.
        return cls(BodyCache(prices_ttl_s), BodyCache(math.inf))


def takes_gzip(accept_encoding: str | None) -> bool:
    """Whether an Accept-Encoding admits gzip (gzip or *, without q=0)."""
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        q = params.strip().lower()
        try:
            return not q.startswith("q=") or float(q[2:]) > 0
        except ValueError:
            return False
    return False


def json_response(body: Encoded, accept_encoding: str | None) -> Response:
    """The gzipped body to a client that takes gzip (every browser), else the plain one."""
    headers = {"Vary": "Accept-Encoding"}
    if takes_gzip(accept_encoding):
        headers["Content-Encoding"] = "gzip"
        return Response(body.packed, media_type="application/json", headers=headers)
    return Response(body.plain, media_type="application/json", headers=headers)
