"""The one wall-clock helper of the Python side: epoch milliseconds, as every timestamp on the
wire and from the exchanges is."""

from __future__ import annotations

import time


def now_ms() -> int:
    return int(time.time() * 1000)
