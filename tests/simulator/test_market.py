"""The simulated market behaves like a market: prices on their tick, candles that join, and
24 h statistics that agree with the trades."""

from __future__ import annotations

import itertools

import pytest

from cryptotracker.simulator.market import DAY_MS, MINUTE_MS, SimMarket, interval_start

NOW = 1_790_000_000_000


def test_a_fixed_seed_gives_the_same_market() -> None:
    a, b = SimMarket(30, seed=11, now_ms=NOW), SimMarket(30, seed=11, now_ms=NOW)
    assert [m.price for m in a.markets.values()] == [m.price for m in b.markets.values()]
    picks = a.pick(50)
    assert picks == b.pick(50)
    assert [a.trade(s, NOW, 10.0) for s in picks] == [b.trade(s, NOW, 10.0) for s in picks]


def test_trades_land_on_the_tick_and_the_lot_step() -> None:
    m = SimMarket(60, seed=1, now_ms=NOW)
    for i, symbol in enumerate(m.pick(3000)):
        trade = m.trade(symbol, NOW + i, 1000.0)
        asset = m.markets[symbol].asset
        assert trade.price % asset.tick == 0 and trade.price > 0
        assert trade.qty % asset.step == 0 and trade.qty > 0


def test_popular_markets_trade_more_often() -> None:
    m = SimMarket(100, seed=2, now_ms=NOW)
    picks = m.pick(20000)
    assert picks.count("BTCUSDT") > 10 * max(1, picks.count(m.symbols[-1]))
    assert len(set(picks)) > 90  # but nearly every market trades


def test_candles_join_history_and_live_trades() -> None:
    start = interval_start(NOW, "1d")
    m = SimMarket(5, seed=4, now_ms=start)
    for i in range(3 * 60):  # three minutes of trades, one a second
        m.trade("ETHUSDT", start + i * 1000, 1.0)
    now = start + 3 * MINUTE_MS
    candles = m.candles("ETHUSDT", "1m", now, 100)
    assert len(candles) == 100
    assert candles[-1].open_time == interval_start(now, "1m")
    for before, after in itertools.pairwise(candles):
        assert after.open_time == before.close_time + 1
        assert before.low <= min(before.open, before.close)
        assert before.high >= max(before.open, before.close)
    live = [c for c in candles if c.open_time >= start]
    assert sum(c.trades for c in live) == 3 * 60
    assert candles[-1].close == m.markets["ETHUSDT"].price


def test_week_candles_open_on_monday() -> None:
    m = SimMarket(2, seed=5, now_ms=NOW)
    week = m.candles("BTCUSDT", "1w", NOW, 3)
    # 1970-01-05 was a Monday: week opens are Mondays 00:00 UTC.
    assert all((c.open_time - 4 * DAY_MS) % (7 * DAY_MS) == 0 for c in week)


def test_start_time_pages_forward_from_the_requested_candle() -> None:
    m = SimMarket(2, seed=5, now_ms=NOW)
    start = NOW - 10 * MINUTE_MS
    page = m.candles("BTCUSDT", "1m", NOW, 3, start_ms=start)
    assert page[0].open_time >= start
    assert [c.open_time for c in page] == [page[0].open_time + i * MINUTE_MS for i in range(3)]


def test_24h_statistics_follow_the_trades_and_roll_off() -> None:
    m = SimMarket(3, seed=6, now_ms=NOW)
    seeded = m.stats("BTCUSDT", NOW)
    assert seeded.volume > 0 and seeded.low <= seeded.close <= seeded.high
    trade = m.trade("BTCUSDT", NOW + 1000, 1.0)
    after = m.stats("BTCUSDT", NOW + 1000)
    assert after.close == trade.price
    assert after.volume == seeded.volume + trade.qty
    assert after.high >= trade.price >= after.low
    # A day later the seeded history has rolled off; only the live minute is left.
    later = m.stats("BTCUSDT", NOW + DAY_MS + 1000)
    assert later.volume == trade.qty
    assert later.open == seeded.close


@pytest.mark.parametrize("interval", ["1m", "5m", "1h", "4h", "1d"])
def test_every_interval_the_dashboard_offers_is_served(interval: str) -> None:
    m = SimMarket(2, seed=8, now_ms=NOW)
    assert len(m.candles("BTCUSDT", interval, NOW, 500)) == 500
