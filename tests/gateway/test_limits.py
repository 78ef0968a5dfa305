"""gateway/limits.py's per-address buckets (the HTTP API's rates), on an injected clock."""

from __future__ import annotations

from cryptotracker.gateway.limits import AddressBuckets


def test_each_address_has_its_own_burst_and_refills_at_the_rate() -> None:
    now = [0.0]
    buckets = AddressBuckets(rate=2.0, burst=3, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(4)] == [True, True, True, False]
    assert buckets.take("b")
    now[0] = 0.5  # one token back at 2/s
    assert [buckets.take("a") for _ in range(2)] == [True, False]
    assert buckets.retry_after() == 1


def test_exempt_addresses_and_rate_zero_are_never_limited() -> None:
    exempt = AddressBuckets(rate=1.0, burst=1, exempt=["127.0.0.1"], clock=lambda: 0.0)
    assert all(exempt.take("127.0.0.1") for _ in range(100))
    off = AddressBuckets(rate=0.0, burst=1, clock=lambda: 0.0)
    assert all(off.take("a") for _ in range(100)) and len(off) == 0


def test_a_spray_of_addresses_is_bounded_forgetting_the_least_recent() -> None:
    buckets = AddressBuckets(rate=1.0, burst=1, clock=lambda: 0.0, max_addresses=100)
    assert buckets.take("kept") and not buckets.take("kept")
    for i in range(10_000):
        buckets.take(f"10.0.{i // 256}.{i % 256}")
        if i % 50 == 0:
            assert not buckets.take("kept")  # seen recently: still limited, still held
    assert len(buckets) == 100
