"""Faults on demand and the exchange's own limits: what makes the simulator a useful peer for
the provider's failure paths. Pure state, driven by the server and by `/sim/fault`."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

# What Binance answers a blocked region with (HTTP 451), abridged.
RESTRICTED_MSG: Final = (
    "Service unavailable from a restricted location according to 'b. Eligibility' in "
    "https://www.binance.com/en/terms."
)
HTTP_FAULT_TARGETS: Final = ("ws", "rest", "coingecko")


class FaultError(ValueError):
    """A `/sim/fault` request the simulator cannot carry out."""


@dataclass(slots=True)
class HttpFault:
    """Answer the next `remaining` requests (None: until cleared) with `status`."""

    status: int
    remaining: int | None = None
    retry_after: float | None = None


@dataclass(slots=True)
class RequestFault:
    """Do to the next `remaining` stream requests of a method (None: until cleared): "reject"
    (an error reply, nothing applied) or "ignore" (no reply, nothing applied)."""

    action: str
    remaining: int | None = None


@dataclass(slots=True)
class Faults:
    """The faults in force now."""

    http: dict[str, HttpFault] = field(default_factory=dict)
    requests: dict[str, RequestFault] = field(default_factory=dict)  # by method
    silent_until: float = 0.0
    clock: Callable[[], float] = time.monotonic

    def take(self, target: str) -> HttpFault | None:
        """The fault for this request to `target`, counting it down."""
        fault = self.http.get(target)
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.http[target]
        return fault

    def take_request(self, method: str) -> str | None:
        """The action for this stream request ("reject", "ignore"), counting it down."""
        fault = self.requests.get(method)
        if fault is None:
            return None
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.requests[method]
        return fault.action

    @property
    def silent(self) -> bool:
        return self.clock() < self.silent_until

    def clear(self) -> None:
        self.http.clear()
        self.requests.clear()
        self.silent_until = 0.0

    def describe(self) -> dict[str, object]:
        return {
            "http": {
                k: {"status": f.status, "remaining": f.remaining, "retry_after": f.retry_after}
                for k, f in self.http.items()
            },
            "requests": {
                k: {"action": f.action, "remaining": f.remaining} for k, f in self.requests.items()
            },
            "silent_for_s": max(0.0, round(self.silent_until - self.clock(), 3)),
        }


def http_fault_from_query(query: Mapping[str, str]) -> HttpFault:
    try:
        status = int(query["status"])
        count = int(query["count"]) if "count" in query else None
        retry = float(query["retry_after"]) if "retry_after" in query else None
    except (KeyError, ValueError) as exc:
        raise FaultError(f"status (int), count (int) and retry_after (s) expected: {exc}") from None
    if not 100 <= status <= 599 or (count is not None and count < 1):
        raise FaultError("status must be an HTTP status, count at least 1")
    return HttpFault(status, count, retry)


def request_fault_from_query(query: Mapping[str, str]) -> tuple[str, RequestFault]:
    """`kind=reject|ignore&method=SUBSCRIBE&count=N` as (method, fault)."""
    method = query.get("method", "SUBSCRIBE")
    if method not in ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS"):
        raise FaultError(f"unknown method {method!r}")
    try:
        count = int(query["count"]) if "count" in query else None
    except ValueError as exc:
        raise FaultError(f"count (int) expected: {exc}") from None
    if count is not None and count < 1:
        raise FaultError("count must be at least 1")
    return method, RequestFault(query["kind"], count)


class SlidingLimit:
    """At most `limit` events in any `window_s` seconds (Binance counts this way)."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque()

    @property
    def used(self) -> int:
        return len(self._times)

    def hit(self, weight: int = 1) -> float | None:
        """Count an event of `weight`; None if allowed, else seconds until it would be."""
        now = self._clock()
        times = self._times
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if len(times) + weight > self.limit:
            return max(0.0, times[0] + self.window_s - now) if times else self.window_s
        times.extend([now] * weight)
        return None
