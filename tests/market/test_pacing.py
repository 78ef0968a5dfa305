"""Request pacing: a token bucket keeps any one-second window within Binance's budget."""

from __future__ import annotations

import pytest

from cryptotracker.market.pacing import TokenBucket


def send_times(bucket: TokenBucket, attempts: int, start: float = 0.0) -> list[float]:
    """When each of `attempts` back-to-back requests may go out (caller sleeps the delays)."""
    now = start
    times = []
    for _ in range(attempts):
        now += bucket.reserve(now)
        times.append(now)
    return times


def test_requests_stay_within_four_per_second_leaving_room_for_pongs() -> None:
    bucket = TokenBucket(rate=3.0, burst=1.0, clock=lambda: 0.0)
    times = send_times(bucket, 30)
    for t in times:
        in_window = [u for u in times if t <= u < t + 1.0]
        assert len(in_window) <= 4  # Binance allows 5 incoming messages/s, pongs included
    assert times[-1] == pytest.approx(29 / 3)


def test_idle_time_refills_only_up_to_the_burst() -> None:
    bucket = TokenBucket(rate=2.0, burst=2.0, clock=lambda: 0.0)
    assert bucket.reserve(100.0) == 0
    assert bucket.reserve(100.0) == 0
    assert bucket.reserve(100.0) == pytest.approx(0.5)


def test_invalid_bucket_is_rejected() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0)
