"""`GET /api/rates`: what one USDT buys in each currency, from the live markets the store holds,
else from CoinGecko's BTC-based rates. Pure: prices and a reading in, `FxRates` out.

- A live market of the currency against USDT wins. ``USDT<C>`` (USDTTRY: TRY per USDT) is the
  rate digit for digit as the exchange wrote it; ``<C>USDT`` (EURUSDT: USDT per EUR) is inverted,
  1 / price, to `RATE_DIGITS` significant digits, rounded half to even. Source
  ``"<price source>:<symbol>"`` (binance:EURUSDT, simulator:EURUSDT), as_of the market's last
  update. USD is no exception: USDTUSD or USDUSDT when a source lists one.
- Else a BTC market of the currency crosses BTCUSDT: BTC<C> / BTCUSDT (BTCJPY / BTCUSDT: JPY per
  USDT), source ``"binance:BTCJPY/BTCUSDT"``, as_of the older of the two.
- CoinGecko covers the rest. Its values are units per BTC from one snapshot, so units per USDT
  is value(C) / value(USDT) when it lists USDT, else value(C) / BTCUSDT, the live BTCUSDT price
  when the reading arrived (the two figures as close in time as we have them; BTCUSDT now for a
  reading that came before any BTCUSDT price, at start-up). Source
  "coingecko" (the demo's simulator: "simulator"), as_of the reading's arrival.
- A market rate older than `max_age_ms` gives way to a newer CoinGecko figure; without one it is
  served, its as_of telling how old it is (a halted or thinly traded market): the client shows
  the age and may flag it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from typing import Final, NamedTuple

from cryptotracker.protocol import FxRate, FxRates, PriceDict

BASE: Final = "USDT"
# Significant digits of a rate we compute (an inverted market, a CoinGecko ratio): a rate of
# JPY or VND keeps its cents, one of EUR twelve digits after the first.
RATE_DIGITS: Final = 12
_CTX: Final = Context(prec=RATE_DIGITS, rounding=ROUND_HALF_EVEN)


class Reading(NamedTuple):
    """A CoinGecko `/exchange_rates` reading: currency -> units per BTC, BTCUSDT when it
    arrived (None if unknown), its arrival (ms), and the label its rates carry (coingecko; the
    simulator's imitation in demo mode is labelled simulator)."""

    per_btc: dict[str, Decimal]
    usdt_per_btc: Decimal | None
    as_of: int
    source: str = "coingecko"


def decimal_of(text: str) -> Decimal | None:
    """A positive finite price, or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def plain(value: Decimal) -> str:
    """A decimal string without exponent or trailing zeros (0.925925925926, 34, 0.00001)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def invert(price: Decimal) -> Decimal:
    return _CTX.divide(Decimal(1), price)


def market_rate(currency: str, price_of: Callable[[str], PriceDict | None]) -> FxRate | None:
    """The rate from a live market of `currency` against USDT, or None."""
    direct = price_of(BASE + currency)
    if direct is not None and decimal_of(direct["price"]) is not None:
        return FxRate(
            currency=currency,
            rate=direct["price"],
            source=f"{direct['source']}:{direct['symbol']}",
            as_of=direct["lastUpdateTime"],
        )
    inverse = price_of(currency + BASE)
    price = decimal_of(inverse["price"]) if inverse is not None else None
    if inverse is not None and price is not None:
        return FxRate(
            currency=currency,
            rate=plain(invert(price)),
            source=f"{inverse['source']}:{inverse['symbol']}",
            as_of=inverse["lastUpdateTime"],
        )
    return btc_cross_rate(currency, price_of)


def btc_cross_rate(currency: str, price_of: Callable[[str], PriceDict | None]) -> FxRate | None:
    """BTC<C> / BTCUSDT: units of `currency` per BTC over USDT per BTC, or None."""
    cross, btc = price_of("BTC" + currency), price_of("BTC" + BASE)
    if cross is None or btc is None:
        return None
    per_btc, usdt_per_btc = decimal_of(cross["price"]), decimal_of(btc["price"])
    if per_btc is None or usdt_per_btc is None:
        return None
    return FxRate(
        currency=currency,
        rate=plain(_CTX.divide(per_btc, usdt_per_btc)),
        source=f"{cross['source']}:{cross['symbol']}/{btc['symbol']}",
        as_of=min(cross["lastUpdateTime"], btc["lastUpdateTime"]),
    )


def coingecko_rate(
    currency: str, reading: Reading, btc_now: Decimal | None = None
) -> FxRate | None:
    """The rate from CoinGecko's BTC-based values, or None. `btc_now`, BTCUSDT now, stands in
    for a reading that arrived before any BTCUSDT price (at start-up)."""
    value = reading.per_btc.get(currency)
    usdt_per_btc = reading.per_btc.get(BASE) or reading.usdt_per_btc or btc_now
    if value is None or usdt_per_btc is None:
        return None
    return FxRate(
        currency=currency,
        rate=plain(_CTX.divide(value, usdt_per_btc)),
        source=reading.source,
        as_of=reading.as_of,
    )


def derive_rates(
    price_of: Callable[[str], PriceDict | None],
    currencies: Iterable[str],
    reading: Reading | None,
    now_ms: int,
    max_age_ms: int,
) -> FxRates:
    """The rate of every currency of `currencies` and of the reading that either covers."""
    codes = set(currencies) | (set(reading.per_btc) if reading is not None else set())
    codes.discard(BASE)
    btc = price_of("BTC" + BASE)
    btc_now = decimal_of(btc["price"]) if btc is not None else None
    rates = []
    for code in sorted(codes):
        market = market_rate(code, price_of)
        fallback = coingecko_rate(code, reading, btc_now) if reading is not None else None
        rate = market
        if market is None or (
            now_ms - market.as_of > max_age_ms
            and fallback is not None
            and fallback.as_of > market.as_of
        ):
            rate = fallback
        if rate is not None:
            rates.append(rate)
    return FxRates(rates=rates, timestamp=now_ms)
