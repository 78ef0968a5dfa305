"""The ingest lease against a real Redis (the machine's, database 9)."""

from __future__ import annotations

from cryptotracker.pipeline.lease import LEASE_KEY, IngestLease
from cryptotracker.pipeline.redis_link import RedisLink


async def test_a_lease_that_still_names_us_after_a_fail_over_is_ours_at_once(
    redis_url: str,
) -> None:
    """The promoted replica kept our lease while we lost the connection (and so `held`): we
    take it back at the next attempt instead of waiting for it to expire with nobody ingesting."""
    link = RedisLink(redis_url)
    assert await link.connect()
    ours, other = IngestLease(link, "a", ttl_s=5), IngestLease(link, "b", ttl_s=5)
    await link.client.set(LEASE_KEY, "a", px=5000)
    assert not ours.held
    assert not await other._try()
    assert other.holder == "a"
    assert await ours._try()
    assert 0 < await link.client.pttl(LEASE_KEY) <= 5000
    await link.close()
