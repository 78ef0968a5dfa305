"""The one token bucket: pacing keeps any one-second window within Binance's budget, and
refusing takes nothing when there is nothing to take."""

from __future__ import annotations

import pytest

from cryptotracker.token_bucket import TokenBucket


def send_times(bucket: TokenBucket, attempts: int, start: float = 0.0) -> list[float]:
    """When each of `attempts` back-to-back requests may go out (caller sleeps the delays)."""
    now = start
    times = []
    for _ in range(attempts):
        now += bucket.reserve(now)
        times.append(now)
    return times


def test_requests_stay_within_four_per_second_leaving_room_for_pongs() -> None:
    bucket = TokenBucket(rate=3.0, burst=1.0)
    times = send_times(bucket, 30)
    for t in times:
        in_window = [u for u in times if t <= u < t + 1.0]
        assert len(in_window) <= 4  # Binance allows 5 incoming messages/s, pongs included
    assert times[-1] == pytest.approx(29 / 3)


def test_idle_time_refills_only_up_to_the_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0)
    assert bucket.reserve(100.0) == 0
    assert bucket.reserve(100.0) == 0
    assert bucket.reserve(100.0) == pytest.approx(0.5)


def test_take_refuses_without_going_into_debt() -> None:
    bucket = TokenBucket(rate=1.0, burst=2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [True, True, False]
    assert not bucket.take(0.5)  # refusals cost nothing, but half a token is not one
    assert bucket.take(1.0) and not bucket.take(1.0)


def test_rate_zero_is_unlimited() -> None:
    bucket = TokenBucket(rate=0, burst=1.0)
    assert all(bucket.take(0.0) for _ in range(1000))
    assert bucket.reserve(0.0) == 0


def test_a_burst_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(rate=1.0, burst=0.5)
