"""The simulated market's state: live prices by random walk, trades, rolling 24 h statistics and
candles. Pure (no I/O, time passed in), so it is tested without sockets.

Every price and quantity is an integer of 1e-8 units (`assets.UNIT`), so ticks, lots and volume
sums are exact; the wire layer (`frames.py`) prints them as Binance prints decimals.
Before the simulator started, candles come from the asset's deterministic `PricePath`; after,
from the trades it made, kept as one-minute buckets; a candle that spans the start joins both.
Markets against USDT walk on their own; the others (ETHBTC, BTCTRY: `quotes.py`) trade at the
ratio of their legs' USDT prices times a small mean-reverting basis of their own.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from cryptotracker.simulator.assets import QUOTE, UNIT, Asset, build_assets, known_assets
from cryptotracker.simulator.history import DAY_MS, HistCandle, PricePath
from cryptotracker.simulator.quotes import quote_markets

MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000
# Binance's kline intervals (1M, calendar months, is left out).
INTERVAL_MS: Final[dict[str, int]] = {
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
}
# Binance weeks start on Monday; the epoch was a Thursday.
_WEEK_OFFSET_MS: Final = 4 * DAY_MS
# Live one-minute buckets kept for klines: one week.
LIVE_MINUTES_KEPT: Final = 7 * 24 * 60
# Median notional of one simulated trade, USDT.
_MEDIAN_NOTIONAL: Final = 400.0
# A cross market's log basis to its legs' ratio: kept at this share per trade, plus noise, so
# it wanders about 0.1 % around the ratio.
_BASIS_KEEP: Final = 0.9
_BASIS_SIGMA: Final = 0.0005


def interval_start(t_ms: int, interval: str) -> int:
    span = INTERVAL_MS[interval]
    offset = _WEEK_OFFSET_MS if interval == "1w" else 0
    return (t_ms - offset) // span * span + offset


@dataclass(slots=True)
class Bucket:
    """OHLCV of a span of time (a live minute, or an hour of history)."""

    start: int
    end: int  # exclusive
    open: int
    high: int
    low: int
    close: int
    volume: int = 0  # base asset units
    quote_volume: int = 0  # quote asset units
    trades: int = 0
    first_id: int = -1
    last_id: int = -1

    def add(self, price: int, qty: int, trade_id: int) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += qty
        self.quote_volume += price * qty // UNIT
        self.trades += 1
        if self.first_id < 0:
            self.first_id = trade_id
        self.last_id = trade_id


class Trade(NamedTuple):
    symbol: str
    agg_id: int
    price: int
    qty: int
    first_id: int
    last_id: int
    time_ms: int
    buyer_maker: bool


class Candle(NamedTuple):
    open_time: int
    close_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_volume: int
    trades: int
    first_id: int
    last_id: int


class Stats24h(NamedTuple):
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_volume: int
    open_time: int
    close_time: int
    first_id: int
    last_id: int
    trades: int
    last_qty: int


class Legs(NamedTuple):
    """What a cross market's base and quote are worth in USDT: the base's USDT market, and the
    quote's (`inverted` when written USDT<quote>, as USDTTRY)."""

    base: Market
    quote: Market
    inverted: bool


@dataclass(slots=True)
class Market:
    """One symbol: its asset, the path of its past, and its live state."""

    asset: Asset
    path: PricePath
    start_ms: int
    weight: float
    price: int
    # Unrounded log price of the walk, so sub-tick moves add up.
    log_price: float
    window: deque[Bucket] = field(default_factory=deque)
    live: deque[Bucket] = field(default_factory=lambda: deque(maxlen=LIVE_MINUTES_KEPT))
    volume: int = 0
    quote_volume: int = 0
    high: int = 0
    low: int = 0
    last_qty: int = 0
    trade_count: int = 0
    legs: Legs | None = None  # a cross market's; None for a market against USDT
    basis: float = 0.0
    last_trade: Trade | None = None

    @property
    def symbol(self) -> str:
        return self.asset.symbol

    def quantize(self, value: float) -> int:
        tick = self.asset.tick
        return max(tick, round(value / tick) * tick)


class SimMarket:
    """All simulated markets; `trades(n, now_ms)` advances the walk by n trades."""

    def __init__(
        self, symbols: int, seed: int | None, now_ms: int, quotes: Sequence[str] = (QUOTE,)
    ) -> None:
        """`symbols` coins, each with its USDT market, and the markets of the other `quotes`."""
        self.rng = random.Random(seed)
        self.start_ms = now_ms
        assets = build_assets(symbols, self.rng)
        key_base = self.rng.getrandbits(32)
        if any(q != QUOTE for q in quotes):
            # Its own generator, so the USDT markets of a seed are the same with or without.
            qrng = random.Random(None if seed is None else f"{seed}:quotes")
            missing = set(quotes) - {a.base for a in assets}
            assets += known_assets(missing, qrng)  # a quote's own coin (BTC for ETHBTC)
            assets += quote_markets(assets, quotes, qrng)
        self.markets: dict[str, Market] = {}
        keys: dict[str, int] = {}
        for i, asset in enumerate(assets):
            # A cross market's past is its coin's, scaled: they share the path's key.
            key = keys.get(asset.base, key_base * 4096 + i) if not asset.coin else None
            if key is None:
                key = keys[asset.base] = key_base * 4096 + i
            path = PricePath(key, float(asset.price), asset.daily_sigma, now_ms)
            # Popularity: a skewed share of the trades, but every market trades now and then.
            weight = (asset.quote_volume_24h * asset.usdt_per_quote) ** 0.7
            m = Market(asset, path, now_ms, weight, asset.price, math.log(asset.price))
            self.markets[asset.symbol] = m
        # Markets of one path in a row: the path's noise is computed once for them all.
        for m in sorted(self.markets.values(), key=lambda m: m.path.key):
            _seed_window(m, now_ms)
        for m in self.markets.values():
            m.legs = self._legs(m.asset)
        self.symbols = list(self.markets)
        # Binance's status of each listed market (absent: not listed); only TRADING ones trade.
        self.status: dict[str, str] = dict.fromkeys(self.symbols, "TRADING")
        self._cum = list(itertools.accumulate(m.weight for m in self.markets.values()))
        self._ids = itertools.count(1)
        self.total_trades = 0

    def _legs(self, a: Asset) -> Legs | None:
        if QUOTE in (a.base, a.quote):
            return None
        base = self.markets[a.base + QUOTE]
        if a.quote + QUOTE in self.markets:
            return Legs(base, self.markets[a.quote + QUOTE], False)
        return Legs(base, self.markets[QUOTE + a.quote], True)

    def coins(self) -> list[Market]:
        """Each coin's own USDT market, best-ranked first (CoinGecko's rows)."""
        return [m for m in self.markets.values() if m.asset.coin]

    def pick(self, count: int) -> list[str]:
        return self.rng.choices(self.symbols, cum_weights=self._cum, k=count)

    def trade(self, symbol: str, now_ms: int, trades_per_s: float) -> Trade:
        """One aggregated trade of `symbol`: the walk moves, statistics follow."""
        m = self.markets[symbol]
        # Per-trade volatility so a day of trades at this market's share of the rate has
        # the asset's daily sigma.
        share = m.weight / self._cum[-1]
        per_day = max(trades_per_s * share * 86_400.0, 1.0)
        sigma = m.asset.daily_sigma / math.sqrt(per_day)
        if m.legs is None:
            m.log_price += self.rng.gauss(0.0, sigma)
            price = m.quantize(math.exp(m.log_price))
        else:
            price = self._cross_price(m, m.legs)
        notional = _MEDIAN_NOTIONAL * math.exp(self.rng.gauss(0.0, 1.2)) / m.asset.usdt_per_quote
        step = m.asset.step
        qty = max(step, round(notional * UNIT / price * UNIT / step) * step)
        first = next(self._ids)
        extra = self.rng.randrange(3)
        for _ in range(extra):
            next(self._ids)
        trade = Trade(symbol, first, price, qty, first, first + extra, now_ms, price < m.price)
        self._apply(m, trade)
        self.total_trades += 1
        return trade

    def _cross_price(self, m: Market, legs: Legs) -> int:
        """Its legs' ratio (base's USDT value over quote's), times its basis."""
        m.basis = m.basis * _BASIS_KEEP + self.rng.gauss(0.0, _BASIS_SIGMA)
        base, quote = legs.base.price, legs.quote.price
        fair = base * quote / UNIT if legs.inverted else base * UNIT / quote
        price = m.quantize(fair * math.exp(m.basis))
        m.log_price = math.log(price)
        return price

    def _apply(self, m: Market, t: Trade) -> None:
        minute = t.time_ms // MINUTE_MS * MINUTE_MS
        current = m.live[-1] if m.live else None
        if current is None or current.start != minute:
            current = Bucket(minute, minute + MINUTE_MS, m.price, m.price, m.price, m.price)
            m.live.append(current)
            m.window.append(current)
        current.add(t.price, t.qty, t.agg_id)
        m.price = t.price
        m.last_trade = t
        m.last_qty = t.qty
        m.volume += t.qty
        m.quote_volume += t.price * t.qty // UNIT
        m.high = max(m.high, t.price)
        m.low = min(m.low, t.price)
        m.trade_count += 1

    def stats(self, symbol: str, now_ms: int) -> Stats24h:
        """Rolling 24 h statistics (buckets that ended more than 24 h ago roll off)."""
        m = self.markets[symbol]
        _expire(m, now_ms - DAY_MS)
        first = m.window[0] if m.window else None
        first_id = next((b.first_id for b in m.window if b.first_id >= 0), -1)
        return Stats24h(
            open=first.open if first else m.price,
            high=max(m.high, m.price),
            low=min(m.low, m.price) if m.low else m.price,
            close=m.price,
            volume=m.volume,
            quote_volume=m.quote_volume,
            open_time=now_ms - DAY_MS,
            close_time=now_ms,
            first_id=first_id,
            last_id=m.live[-1].last_id if m.live else -1,
            trades=m.trade_count,
            last_qty=m.last_qty,
        )

    def candles(
        self,
        symbol: str,
        interval: str,
        now_ms: int,
        limit: int,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Candle]:
        """Klines as Binance answers them: the last `limit` up to now (or the first `limit`
        from `start_ms`), the newest still forming."""
        m = self.markets[symbol]
        span = INTERVAL_MS[interval]
        last = interval_start(min(end_ms if end_ms is not None else now_ms, now_ms), interval)
        if start_ms is not None:
            first = interval_start(start_ms, interval)
            if first < start_ms:
                first += span
            last = min(last, first + (limit - 1) * span)
        else:
            first = last - (limit - 1) * span
        live = list(m.live)
        starts = [b.start for b in live]
        out: list[Candle] = []
        t = first
        while t <= last:
            out.append(_candle(m, live, starts, t, min(t + span, now_ms + 1), t + span))
            t += span
        return out

    def candle_now(self, symbol: str, interval: str, now_ms: int) -> Candle:
        m = self.markets[symbol]
        t = interval_start(now_ms, interval)
        live = list(m.live)
        starts = [b.start for b in live]
        return _candle(m, live, starts, t, now_ms + 1, t + INTERVAL_MS[interval])


def _candle(
    m: Market, live: list[Bucket], starts: list[int], t: int, until: int, close: int
) -> Candle:
    """The candle opening at `t` with data up to `until` (exclusive); `live` are the market's
    live minute buckets and `starts` their start times."""
    parts: list[Bucket] = []
    if t < m.start_ms:
        parts.append(_history_bucket(m, t, min(until, m.start_ms)))
    if until > m.start_ms:
        lo = bisect.bisect_left(starts, t // MINUTE_MS * MINUTE_MS)
        hi = bisect.bisect_left(starts, until)
        parts.extend(live[lo:hi])
    if not parts:  # a live span with no trade yet: flat at the last price before it
        i = bisect.bisect_left(starts, t)
        p = live[i - 1].close if i > 0 else m.asset.price
        parts.append(Bucket(t, close, p, p, p, p))
    return _merge(t, close - 1, parts)


def _history_bucket(m: Market, start: int, end: int, c: HistCandle | None = None) -> Bucket:
    """The path's candle from `start` to `end` (`c`, when already computed) as a bucket."""
    c = c if c is not None else m.path.candle(start, end)
    o, h, lo, cl = (m.quantize(v) for v in (c.open, c.high, c.low, c.close))
    if end == m.start_ms:
        cl = m.asset.price  # the path passes exactly through the start price
    h = max(h, o, cl)
    lo = min(lo, o, cl)
    span = end - start
    mid = (o + cl) / 2.0
    quote = m.asset.quote_volume_24h * span / DAY_MS * m.path.activity(start, span) * UNIT
    volume = round(quote / mid * UNIT / m.asset.step) * m.asset.step
    trades = max(1, round(span / 1000 * m.path.activity(start, span)))
    return Bucket(start, end, o, h, lo, cl, volume, round(quote), trades)


def _merge(open_time: int, close_time: int, parts: list[Bucket]) -> Candle:
    first_ids = [b.first_id for b in parts if b.first_id >= 0]
    return Candle(
        open_time=open_time,
        close_time=close_time,
        open=parts[0].open,
        high=max(b.high for b in parts),
        low=min(b.low for b in parts),
        close=parts[-1].close,
        volume=sum(b.volume for b in parts),
        quote_volume=sum(b.quote_volume for b in parts),
        trades=sum(b.trades for b in parts),
        first_id=first_ids[0] if first_ids else -1,
        last_id=max((b.last_id for b in parts), default=-1),
    )


def _seed_window(m: Market, now_ms: int) -> None:
    """The 24 h before the start as hourly history buckets, so 24 h statistics are full
    from the first second."""
    start = now_ms - DAY_MS
    bounds = [start + h * HOUR_MS for h in range(24)] + [now_ms]
    for a, b, candle in zip(bounds, bounds[1:], m.path.candles(bounds), strict=False):
        bucket = _history_bucket(m, a, b, candle)
        m.window.append(bucket)
        m.volume += bucket.volume
        m.quote_volume += bucket.quote_volume
        m.trade_count += bucket.trades
    m.high = max(b.high for b in m.window)
    m.low = min(b.low for b in m.window)


def _expire(m: Market, cutoff: int) -> None:
    extreme = False
    while m.window and m.window[0].end <= cutoff:
        old = m.window.popleft()
        m.volume -= old.volume
        m.quote_volume -= old.quote_volume
        m.trade_count -= old.trades
        extreme = extreme or old.high >= m.high or old.low <= m.low
    if extreme:
        m.high = max((b.high for b in m.window), default=m.price)
        m.low = min((b.low for b in m.window), default=m.price)
