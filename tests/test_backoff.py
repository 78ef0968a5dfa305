"""The reconnect-delay schedule: min(1 s * 2^(attempt-1), 30 s) plus jitter, 10 attempts."""

from __future__ import annotations

import pytest

from cryptotracker.backoff import Backoff
from cryptotracker.settings import Settings


def test_default_schedule_doubles_from_one_second_and_caps_at_thirty() -> None:
    backoff = Backoff.from_settings(Settings(backoff_jitter=0.0))
    assert backoff.schedule() == [1, 2, 4, 8, 16, 30, 30, 30, 30, 30]
    assert [backoff.delay(a) for a in range(1, 11)] == backoff.schedule()


def test_no_delay_after_the_last_attempt() -> None:
    backoff = Backoff(max_attempts=10, jitter=0.0)
    assert backoff.delay(10) == 30
    assert backoff.delay(11) is None


def test_jitter_stretches_each_delay_within_its_bound() -> None:
    draws = iter([0.0, 0.5, 0.999])
    backoff = Backoff(jitter=0.1, rng=lambda: next(draws))
    assert backoff.delay(1) == pytest.approx(1.0)
    assert backoff.delay(2) == pytest.approx(2.1)
    assert backoff.delay(6) == pytest.approx(30 * 1.0999)


def test_jitter_never_shortens_the_capped_schedule() -> None:
    backoff = Backoff(jitter=0.1)
    for attempt in range(1, 11):
        delay = backoff.delay(attempt)
        assert delay is not None
        base = backoff.base_delay(attempt)
        assert base <= delay < base * 1.1


def test_settings_scale_the_schedule_for_fast_tests() -> None:
    backoff = Backoff.from_settings(
        Settings(backoff_base_ms=10, backoff_max_ms=50, backoff_max_attempts=4, backoff_jitter=0)
    )
    assert backoff.schedule() == [0.01, 0.02, 0.04, 0.05]


def test_huge_attempt_numbers_stay_capped() -> None:
    assert Backoff(max_attempts=10**6, jitter=0).delay(10**5) == 30


@pytest.mark.parametrize(
    "kwargs",
    [{"base_s": -1}, {"max_s": 0.5}, {"max_attempts": 0}, {"jitter": -0.1}],
)
def test_invalid_policies_are_rejected(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="invalid backoff policy"):
        Backoff(**kwargs)  # type: ignore[arg-type]


def test_loops_that_never_give_up_stay_at_the_cap_past_the_attempts() -> None:
    policy = Backoff(base_s=0.2, max_s=2.0, max_attempts=3, jitter=0.0)
    assert [policy.pause(a) for a in (1, 2, 3, 4, 50)] == [0.2, 0.4, 0.8, 1.6, 2.0]
    assert policy.delay(50) is None  # the capped kind gives up; `pause` is for the other kind
