"""Binance's clock as seen from here: whether a candle is closed is the exchange's decision, so it
is judged on the exchange's time, not on a local clock that may be minutes off.

The offset comes from `GET /api/v3/time` (``{"serverTime": ms}``), taken at the midpoint of the
round trip (NTP's estimate: the answer was written about half way). Of several readings the one
with the shortest round trip wins while it is fresh, since its midpoint is the least uncertain.
Pure bookkeeping; `binance.py` does the call.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptotracker.clock import now_ms

# A reading older than this yields to any newer one (clocks drift; NTP may step ours).
FRESH_MS = 15 * 60 * 1000


class ServerTime:
    def __init__(self, local_ms: Callable[[], int] = now_ms) -> None:
        self._local_ms = local_ms
        self.offset_ms = 0
        self.round_trip_ms: int | None = None
        self._taken_at = 0

    def observe(self, sent_ms: int, server_ms: int, received_ms: int) -> None:
        """One `/api/v3/time` answer: our clock when asked and answered, and its serverTime."""
        trip = max(0, received_ms - sent_ms)
        stale = received_ms - self._taken_at > FRESH_MS
        if self.round_trip_ms is None or stale or trip <= self.round_trip_ms:
            self.offset_ms = server_ms - (sent_ms + received_ms) // 2
            self.round_trip_ms = trip
            self._taken_at = received_ms

    def now_ms(self) -> int:
        """The exchange's time now, in epoch milliseconds."""
        return self._local_ms() + self.offset_ms
