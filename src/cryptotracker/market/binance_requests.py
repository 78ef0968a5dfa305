"""The requests of one Binance stream connection matched to their replies by id.

Binance answers every SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS with ``{"result": ...,
"id": N}`` or an error object carrying the same id (web-socket-streams.md). A stream counts as
carried only once its request is answered; a rejected request, or one unanswered for
`timeout_s`, is sent again up to `attempts` times in all, then given up until the next
LIST_SUBSCRIPTIONS says what the connection really carries. Pure bookkeeping with an injected
clock; `binance.py` sends and reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

LIST: str = "LIST_SUBSCRIPTIONS"


class Pending(NamedTuple):
    """A request sent and not yet answered; `attempt` counts from 1."""

    id: int
    method: str
    streams: tuple[str, ...]
    sent_at: float
    attempt: int


class RequestLedger:
    def __init__(self, timeout_s: float, attempts: int, clock: Callable[[], float]) -> None:
        if attempts < 1:
            raise ValueError("attempts must be >= 1")
        self.timeout_s = timeout_s
        self.attempts = attempts
        self._clock = clock
        self._pending: dict[int, Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def sent(self, rid: int, method: str, streams: tuple[str, ...], attempt: int = 1) -> None:
        self._pending[rid] = Pending(rid, method, streams, self._clock(), attempt)

    def in_flight(self, method: str) -> set[str]:
        """Streams of the unanswered requests of `method` (not to be asked for twice)."""
        return {s for p in self._pending.values() if p.method == method for s in p.streams}

    def settle(self, rid: object) -> Pending | None:
        """The request a reply (success or error) with this id answers; None if not ours."""
        if type(rid) is not int:
            return None
        return self._pending.pop(rid, None)

    def overdue(self) -> list[Pending]:
        """Requests unanswered for `timeout_s`, forgotten here: the caller decides on a retry."""
        cutoff = self._clock() - self.timeout_s
        late = [p for p in self._pending.values() if p.sent_at <= cutoff]
        for p in late:
            del self._pending[p.id]
        return late

    def next_deadline(self) -> float | None:
        """When the oldest pending request becomes overdue; None when nothing is pending."""
        if not self._pending:
            return None
        return min(p.sent_at for p in self._pending.values()) + self.timeout_s

    def may_retry(self, request: Pending) -> bool:
        return request.method != LIST and request.attempt < self.attempts
