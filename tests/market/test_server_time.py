"""The exchange clock's offset: the midpoint of the round trip, the shortest trip preferred."""

from __future__ import annotations

from cryptotracker.market.server_time import FRESH_MS, ServerTime


def test_offset_is_taken_at_the_midpoint_of_the_round_trip() -> None:
    local = 1_000_000
    clock = ServerTime(lambda: local)
    clock.observe(sent_ms=1_000_000, server_ms=1_090_050, received_ms=1_000_100)
    assert clock.offset_ms == 90_000
    assert clock.now_ms() == 1_090_000


def test_a_slower_answer_does_not_replace_a_fresh_faster_one() -> None:
    clock = ServerTime(lambda: 0)
    clock.observe(0, 5_010, 20)  # trip 20 ms: offset 5000
    clock.observe(1_000, 6_150, 1_400)  # trip 400 ms: offset 4950, within its uncertainty
    assert (clock.offset_ms, clock.round_trip_ms) == (5_000, 20)
    clock.observe(2_000, 7_005, 2_010)  # trip 10 ms
    assert (clock.offset_ms, clock.round_trip_ms) == (5_000, 10)


def test_a_stale_reading_yields_to_any_newer_one() -> None:
    clock = ServerTime(lambda: 0)
    clock.observe(0, 5_010, 20)
    later = FRESH_MS + 100
    clock.observe(later, later + 3_000 + 200, later + 400)  # slower, but the old one is stale
    assert clock.offset_ms == 3_000


def test_a_clock_step_beyond_both_uncertainties_is_taken_even_from_a_slower_answer() -> None:
    clock = ServerTime(lambda: 0)
    clock.observe(0, 5_010, 20)  # offset 5000 +- 10 ms
    clock.observe(1_000, 1_200 + 185_000, 1_400)  # offset 185000 +- 200 ms: a step
    assert (clock.offset_ms, clock.round_trip_ms) == (185_000, 400)
