"""Circuit breaker for an exchange feed: CLOSED -> OPEN after N consecutive failures -> HALF_OPEN
after a pause -> CLOSED on success (a HALF_OPEN failure opens it again).

Hand-written, after looking at the usual libraries: pybreaker's async support needs Tornado;
aiobreaker (its asyncio fork) and purgatory both guard *a call* (decorator / ``async with``) and
read the wall clock themselves. Our failures are not exceptions of one call: a silent stream is a
failure found by a watchdog, a drop ends an hours-long session, and success means "data flows
again". We need record_failure / record_success from anywhere, an injectable monotonic clock for
tests, and synchronous listeners (health, clients' connection_status); that is ~80 lines here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

import structlog

from cryptotracker.metrics import CIRCUIT_STATE, CIRCUIT_TRANSITIONS
from cryptotracker.settings import Settings

log = structlog.get_logger(__name__)


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


# Gauge values documented on CIRCUIT_STATE.
_GAUGE = {CircuitState.CLOSED: 0, CircuitState.HALF_OPEN: 1, CircuitState.OPEN: 2}

Listener = Callable[[CircuitState, CircuitState], None]


class CircuitBreaker:
    """Counts consecutive failures of one upstream. `allow()` says whether to try it now; in
    HALF_OPEN exactly one probe is allowed until its outcome is recorded."""

    def __init__(
        self,
        name: str,
        failure_threshold: int = 5,
        reset_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_s < 0:
            raise ValueError("invalid breaker policy")
        self.name = name
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._listeners: list[Listener] = []
        CIRCUIT_STATE.labels(name).set(_GAUGE[self._state])

    @classmethod
    def from_settings(
        cls, name: str, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> CircuitBreaker:
        return cls(name, settings.breaker_failure_threshold, settings.breaker_reset_s, clock)

    @property
    def state(self) -> CircuitState:
        return self._state

    @property
    def failures(self) -> int:
        """Consecutive failures since the last success."""
        return self._failures

    def add_listener(self, listener: Listener) -> None:
        """`listener(old, new)` is called synchronously on every transition."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def retry_in(self) -> float:
        """Seconds until `allow()` can pass (0 unless OPEN)."""
        if self._state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_s - self._clock())

    def allow(self) -> bool:
        """May we try the upstream now? Moves OPEN -> HALF_OPEN once the pause is over."""
        if self._state is CircuitState.CLOSED:
            return True
        if self._state is CircuitState.OPEN:
            if self._clock() - self._opened_at < self.reset_s:
                return False
            self._transition(CircuitState.HALF_OPEN)
        if self._probing:
            return False
        self._probing = True
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._probing = False
        if self._state is not CircuitState.CLOSED:
            self._transition(CircuitState.CLOSED)

    def record_failure(self, reason: str = "") -> None:
        self._failures += 1
        self._probing = False
        if self._state is CircuitState.HALF_OPEN or (
            self._state is CircuitState.CLOSED and self._failures >= self.failure_threshold
        ):
            self._opened_at = self._clock()
            self._transition(CircuitState.OPEN, reason)

    def trip(self, reason: str = "") -> None:
        """A failure that opens the circuit at once, whatever the count: the upstream said it
        will not serve for longer than the pause (a ban), so waiting out N tries helps nobody."""
        self._failures += 1
        self._probing = False
        if self._state is not CircuitState.OPEN:
            self._opened_at = self._clock()
            self._transition(CircuitState.OPEN, reason)

    def _transition(self, new: CircuitState, reason: str = "") -> None:
        old, self._state = self._state, new
        CIRCUIT_STATE.labels(self.name).set(_GAUGE[new])
        CIRCUIT_TRANSITIONS.labels(self.name, new.value).inc()
        log.warning(
            "circuit_transition",
            name=self.name,
            old=old.value,
            new=new.value,
            failures=self._failures,
            reason=reason,
        )
        for listener in list(self._listeners):
            try:
                listener(old, new)
            except Exception:  # a broken listener must not break the feed's bookkeeping
                log.exception("circuit_listener_failed", name=self.name)
