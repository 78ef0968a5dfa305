"""Circuit breaker transitions, driven by a fake clock."""

from __future__ import annotations

from cryptotracker.market.breaker import CircuitBreaker, CircuitState
from cryptotracker.metrics import REGISTRY


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(name: str) -> tuple[CircuitBreaker, FakeClock, list[tuple[str, str]]]:
    clock = FakeClock()
    breaker = CircuitBreaker(name, failure_threshold=5, reset_s=60.0, clock=clock)
    seen: list[tuple[str, str]] = []
    breaker.add_listener(lambda old, new: seen.append((old.value, new.value)))
    return breaker, clock, seen


def gauge(name: str) -> float | None:
    return REGISTRY.get_sample_value("cryptotracker_circuit_state", {"name": name})


def transitions(name: str, to: str) -> float:
    value = REGISTRY.get_sample_value(
        "cryptotracker_circuit_transitions_total", {"name": name, "to": to}
    )
    return value or 0.0


def test_opens_after_five_consecutive_failures() -> None:
    breaker, _, seen = make("t-open")
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state.value == CircuitState.CLOSED.value
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state.value == CircuitState.OPEN.value
    assert not breaker.allow()
    assert seen == [("closed", "open")]
    assert gauge("t-open") == 2
    assert transitions("t-open", "open") == 1


def test_success_resets_the_failure_count() -> None:
    breaker, _, _ = make("t-reset")
    for _ in range(4):
        breaker.record_failure()
    breaker.record_success()
    for _ in range(4):
        breaker.record_failure()
    assert breaker.state.value == CircuitState.CLOSED.value
    assert breaker.failures == 4


def test_half_opens_after_sixty_seconds_and_closes_on_success() -> None:
    breaker, clock, seen = make("t-close")
    for _ in range(5):
        breaker.record_failure()
    clock.now += 59.9
    assert not breaker.allow()
    assert breaker.retry_in() == 0.1 or abs(breaker.retry_in() - 0.1) < 1e-9
    clock.now += 0.1
    assert breaker.allow()  # the one probe
    assert breaker.state.value == CircuitState.HALF_OPEN.value
    assert gauge("t-close") == 1
    assert not breaker.allow()  # no second probe while the first is out
    breaker.record_success()
    assert breaker.state.value == CircuitState.CLOSED.value
    assert gauge("t-close") == 0
    assert seen == [("closed", "open"), ("open", "half_open"), ("half_open", "closed")]
    assert transitions("t-close", "closed") == 1


def test_half_open_failure_opens_again_for_another_pause() -> None:
    breaker, clock, seen = make("t-reopen")
    for _ in range(5):
        breaker.record_failure()
    clock.now += 60
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state.value == CircuitState.OPEN.value
    assert breaker.retry_in() == 60
    clock.now += 30
    assert not breaker.allow()
    clock.now += 30
    assert breaker.allow()
    assert seen[-3:] == [("open", "half_open"), ("half_open", "open"), ("open", "half_open")]


def test_a_failing_listener_does_not_break_the_breaker() -> None:
    breaker, _, seen = make("t-listener")

    def broken(old: CircuitState, new: CircuitState) -> None:
        raise RuntimeError("boom")

    breaker.add_listener(broken)
    for _ in range(5):
        breaker.record_failure()
    assert breaker.state.value == CircuitState.OPEN.value
    assert seen == [("closed", "open")]


def test_a_trip_opens_at_once_and_half_opens_after_the_pause() -> None:
    breaker, clock, seen = make("t-trip")
    breaker.trip("banned")
    assert breaker.state is CircuitState.OPEN
    assert breaker.failures == 1
    assert not breaker.allow()
    clock.now += 60.0
    assert breaker.allow()
    assert seen == [("closed", "open"), ("open", "half_open")]
