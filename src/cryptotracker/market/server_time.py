"""Binance's clock as seen from here: whether a candle is closed is the exchange's decision, so it
is judged on the exchange's time, not on a local clock that may be minutes off.

The offset comes from `GET /api/v3/time` (``{"serverTime": ms}``), taken at the midpoint of the
round trip (NTP's estimate: the answer was written about half way), so each reading places the
offset within half its round trip. A newer reading replaces the one held when its round trip is
shorter (less uncertain), when the held one is stale, or when the two cannot both be right (one
of the clocks stepped); otherwise the more certain one stays.
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
        offset = server_ms - (sent_ms + received_ms) // 2
        held = self.round_trip_ms
        stale = received_ms - self._taken_at > FRESH_MS
        stepped = held is not None and abs(offset - self.offset_ms) > (trip + held) / 2 + 1
        if held is None or stale or stepped or trip <= held:
            self.offset_ms = offset
            self.round_trip_ms = trip
            self._taken_at = received_ms

    def now_ms(self) -> int:
        """The exchange's time now, in epoch milliseconds."""
        return self._local_ms() + self.offset_ms
