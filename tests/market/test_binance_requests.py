"""The request ledger: replies matched by id, silence turned into a retry, retries bounded."""

from __future__ import annotations

from cryptotracker.market.binance_requests import LIST, RequestLedger


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_reply_settles_only_the_request_of_its_id() -> None:
    ledger = RequestLedger(10.0, 3, Clock())
    ledger.sent(1, "SUBSCRIBE", ("btcusdt@aggTrade",))
    ledger.sent(2, "UNSUBSCRIBE", ("ethusdt@aggTrade",))
    assert ledger.settle(7) is None
    assert ledger.settle("2") is None  # ids we send are integers
    settled = ledger.settle(2)
    assert settled is not None and settled.streams == ("ethusdt@aggTrade",)
    assert ledger.settle(2) is None  # answered once
    assert ledger.in_flight("SUBSCRIBE") == {"btcusdt@aggTrade"}
    assert ledger.in_flight("UNSUBSCRIBE") == set()


def test_unanswered_requests_become_overdue_after_the_timeout() -> None:
    clock = Clock()
    ledger = RequestLedger(10.0, 3, clock)
    ledger.sent(1, "SUBSCRIBE", ("a@aggTrade",))
    clock.now += 4.0
    ledger.sent(2, "SUBSCRIBE", ("b@aggTrade",))
    assert ledger.next_deadline() == 110.0
    clock.now = 109.9
    assert ledger.overdue() == []
    clock.now = 110.0
    assert [p.id for p in ledger.overdue()] == [1]
    assert ledger.next_deadline() == 114.0
    assert len(ledger) == 1


def test_retries_stop_after_the_attempts_and_never_for_a_listing() -> None:
    ledger = RequestLedger(10.0, 3, Clock())
    ledger.sent(1, "SUBSCRIBE", ("a@aggTrade",), attempt=2)
    ledger.sent(2, "SUBSCRIBE", ("a@aggTrade",), attempt=3)
    ledger.sent(3, LIST, ())
    second, third, listing = ledger.settle(1), ledger.settle(2), ledger.settle(3)
    assert second is not None and ledger.may_retry(second)
    assert third is not None and not ledger.may_retry(third)
    assert listing is not None and not ledger.may_retry(listing)
    assert ledger.next_deadline() is None
