"""The one reconnect-delay policy of the Python side (exchange sessions, Redis, its pub/sub
listeners): ``min(base * 2^(attempt-1), max)`` plus jitter, up to N attempts (or for ever).

Why not tenacity or backoff: both retry *a call* until it returns. Our loops are long-lived
sessions whose attempt count resets when data flows again, which reconnect with no delay on
`serverShutdown` or at the 24 h cut-off, and whose waits are also gated by the circuit breaker.
Only the delay formula would be reused, and that is one line; a typed class keeps the schedule
exact, testable with an injected RNG, and free of a dependency.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from cryptotracker.settings import Settings


class Backoff:
    """Delays in seconds for attempts 1..max_attempts; `delay` returns None after that.

    Jitter is multiplicative: the delay is stretched by a factor in ``[1, 1 + jitter)`` drawn
    from `rng` (spreads many clients' reconnects; 0 disables it)."""

    def __init__(
        self,
        base_s: float = 1.0,
        max_s: float = 30.0,
        max_attempts: int = 10,
        jitter: float = 0.1,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if base_s < 0 or max_s < base_s or max_attempts < 1 or jitter < 0:
            raise ValueError("invalid backoff policy")
        self.base_s = base_s
        self.max_s = max_s
        self.max_attempts = max_attempts
        self.jitter = jitter
        self._rng = rng

    @classmethod
    def from_settings(cls, settings: Settings, rng: Callable[[], float] = random.random) -> Backoff:
        return cls(
            base_s=settings.backoff_base_ms / 1000.0,
            max_s=settings.backoff_max_ms / 1000.0,
            max_attempts=settings.backoff_max_attempts,
            jitter=settings.backoff_jitter,
            rng=rng,
        )

    def base_delay(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1-based), without jitter."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        # Cap the exponent too: 2**attempt for a huge attempt would be a huge int for nothing.
        return min(self.base_s * 2.0 ** min(attempt - 1, 62), self.max_s)

    def delay(self, attempt: int) -> float | None:
        """Jittered delay before retry `attempt`, or None once the attempts are used up."""
        if attempt > self.max_attempts:
            return None
        base = self.base_delay(attempt)
        return base * (1.0 + self.jitter * self._rng()) if self.jitter else base

    def pause(self, attempt: int) -> float:
        """Jittered delay before retry `attempt` for loops that never give up (a connection
        that must come back): past the attempt cap it stays at the capped delay."""
        base = self.base_delay(attempt)
        return base * (1.0 + self.jitter * self._rng()) if self.jitter else base

    def schedule(self) -> list[float]:
        """Every un-jittered delay of one full run of attempts (for docs and tests)."""
        return [self.base_delay(a) for a in range(1, self.max_attempts + 1)]
