"""One instance's count of its stream connection attempts (no Redis): at most `limit` in any
window, and a spent budget says how long until the oldest attempt leaves it."""

from __future__ import annotations

import pytest

from cryptotracker.market.connect_budget import LocalConnectBudget


def test_attempts_beyond_the_limit_wait_for_the_oldest_to_leave_the_window() -> None:
    now = [0.0]
    budget = LocalConnectBudget(3, window_s=300.0, clock=lambda: now[0])
    for at in (0.0, 10.0, 20.0):
        now[0] = at
        assert budget.hit() is None
    now[0] = 100.0
    assert budget.hit() == pytest.approx(200.0)  # the first attempt leaves at 300 s
    assert budget.hit() == pytest.approx(200.0)  # a refused attempt is not counted
    now[0] = 300.0
    assert budget.hit() is None
    assert budget.hit() == pytest.approx(10.0)  # the second leaves at 310 s


def test_attempts_admitted_elsewhere_count_against_the_local_window() -> None:
    now = [0.0]
    budget = LocalConnectBudget(2, window_s=300.0, clock=lambda: now[0])
    budget.record()
    budget.record()
    assert budget.hit() == pytest.approx(300.0)
