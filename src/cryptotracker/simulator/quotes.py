"""The simulated markets of quotes other than USDT, priced consistently with the USDT ones.

Every coin has its USDT market (`assets.py`); each fiat currency has one anchor market against
USDT, written as Binance writes it (EURUSDT: USDT per EUR; USDTTRY: TRY per USDT). A market of
another quote (ETHBTC, BTCEUR, SOLTRY, BTCUSDC) is priced from those: value of its base in USDT
over value of its quote in USDT, times a small basis of its own (`market.py`), so ETHBTC stays
near ETHUSDT / BTCUSDT and BTCTRY near BTCUSDT x USDTTRY.

Which coins get a market of a quote: the best-ranked share `REACH[quote]` of those it may
pair with. A pair is written with the more quote-like asset second (`QUOTE_ORDER`: ETHBTC, not
BTCETH; BTCUSDC; USDCTRY), and a market whose price would have fewer than three significant
digits at Binance's eight decimal places is not listed (as Binance lists no PEPEBTC).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from cryptotracker.simulator.assets import QUOTE, UNIT, Asset, step_for, tick_for, to_units

if TYPE_CHECKING:  # market.py builds its markets with this module
    from cryptotracker.simulator.market import SimMarket

# Fiat currency -> (units per USDT, daily sigma, written as base against USDT).
FIAT: Final[dict[str, tuple[str, float, bool]]] = {
    "EUR": ("0.9260", 0.004, True),
    "GBP": ("0.7880", 0.004, True),
    "AUD": ("1.530", 0.005, True),
    "TRY": ("34.20", 0.006, False),
    "BRL": ("5.800", 0.008, False),
    "ARS": ("1050.0", 0.012, False),
    "JPY": ("151.50", 0.005, False),
    "MXN": ("20.30", 0.007, False),
    "PLN": ("4.050", 0.005, False),
    "RON": ("4.600", 0.004, False),
    "UAH": ("41.50", 0.004, False),
    "ZAR": ("18.10", 0.008, False),
    "COP": ("4350.0", 0.007, False),
    "CZK": ("23.60", 0.005, False),
}
# Earlier is more quote-like: a pair of two of these puts the earlier one second.
QUOTE_ORDER: Final = (
    *(c for c, (_, _, as_base) in FIAT.items() if not as_base),
    "USDT", "USDC", "FDUSD",
    *(c for c, (_, _, as_base) in FIAT.items() if as_base),
    "BTC", "ETH", "BNB",
)  # fmt: skip
# Share of the coins listed against each quote (USDT: all of them), best-ranked first.
REACH: Final[dict[str, float]] = {
    "USDC": 0.85, "FDUSD": 0.45, "BTC": 1.0, "ETH": 0.3, "BNB": 0.2,
    "EUR": 0.2, "GBP": 0.03, "AUD": 0.02, "TRY": 0.75, "BRL": 0.1, "ARS": 0.05, "JPY": 0.05,
    "MXN": 0.02, "PLN": 0.03, "RON": 0.02, "UAH": 0.02, "ZAR": 0.03, "COP": 0.02, "CZK": 0.02,
}  # fmt: skip
# The lowest price listed: 100 units of 1e-8, three significant digits.
MIN_PRICE: Final = 100
# 24 h volume of a cross market as a share of its coin's USDT market (uniform in this range).
_VOLUME_SHARE: Final = (0.01, 0.15)


def fiat_anchor(code: str) -> Asset:
    """The market of fiat `code` against USDT: EURUSDT (USDT per EUR) or USDTTRY (TRY per USDT)."""
    per_usdt, sigma, as_base = FIAT[code]
    if as_base:
        base, quote, price = code, QUOTE, round(UNIT * UNIT / to_units(per_usdt))
    else:
        base, quote, price = QUOTE, code, to_units(per_usdt)
    tick = tick_for(price)
    price = max(tick, round(price / tick) * tick)
    usdt_per_quote = 1.0 if quote == QUOTE else 1.0 / (price / UNIT)
    return Asset(
        base=base,
        name=f"{base}/{quote}",
        coingecko_id="",
        price=price,
        tick=tick,
        step=step_for(price),
        daily_sigma=sigma,
        quote_volume_24h=300e6 / usdt_per_quote,
        supply=0.0,
        quote=quote,
        coin=False,
        usdt_per_quote=usdt_per_quote,
    )


def may_pair(base: str, quote: str) -> bool:
    if base in (quote, QUOTE):
        return False
    return base not in QUOTE_ORDER or QUOTE_ORDER.index(base) > QUOTE_ORDER.index(quote)


def usdt_value(code: str, by_symbol: dict[str, Asset]) -> float | None:
    """What one unit of `code` is worth in USDT at the start, from its USDT market."""
    if code == QUOTE:
        return 1.0
    if (a := by_symbol.get(code + QUOTE)) is not None:
        return a.price / UNIT
    if (a := by_symbol.get(QUOTE + code)) is not None:
        return UNIT / a.price
    return None


def quote_markets(coins: Sequence[Asset], quotes: Sequence[str], rng: random.Random) -> list[Asset]:
    """The fiat anchors of `quotes` and the cross markets of `coins` (USDT markets, best-ranked
    first) against every other quote of `quotes` the simulator knows."""
    anchors = [fiat_anchor(q) for q in quotes if q in FIAT]
    by_symbol = {a.symbol: a for a in (*coins, *anchors)}
    out = list(anchors)
    for quote in quotes:
        per_quote = usdt_value(quote, by_symbol)
        if quote == QUOTE or quote not in REACH or per_quote is None:
            continue
        eligible = [c for c in coins if may_pair(c.base, quote)]
        for coin in eligible[: math.ceil(REACH[quote] * len(eligible))]:
            cross = _cross(coin, quote, per_quote, rng)
            if cross is not None:
                out.append(cross)
    return out


def _cross(coin: Asset, quote: str, usdt_per_quote: float, rng: random.Random) -> Asset | None:
    nominal = coin.price / usdt_per_quote
    if nominal < MIN_PRICE:
        return None
    tick = tick_for(round(nominal))
    price = max(tick, round(nominal / tick) * tick)
    share = rng.uniform(*_VOLUME_SHARE)
    return Asset(
        base=coin.base,
        name=coin.name,
        coingecko_id=coin.coingecko_id,
        price=price,
        tick=tick,
        step=step_for(price),
        daily_sigma=coin.daily_sigma,
        quote_volume_24h=coin.quote_volume_24h * share / usdt_per_quote,
        supply=0.0,
        quote=quote,
        coin=False,
        usdt_per_quote=usdt_per_quote,
    )


def market_fiat(market: SimMarket) -> list[str]:
    """The fiat currencies `market` trades against USDT (it has their anchors)."""
    return [code for code in FIAT if per_usdt(market, code) is not None]


def per_usdt(market: SimMarket, code: str) -> float | None:
    """Units of fiat `code` one USDT buys now, from its anchor market; None without one."""
    if (m := market.markets.get(QUOTE + code)) is not None:
        return m.price / UNIT
    if (m := market.markets.get(code + QUOTE)) is not None:
        return UNIT / m.price
    return None
