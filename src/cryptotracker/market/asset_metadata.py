"""CoinGecko's coin metadata as our `AssetInfo` rows: a pure parser of `/coins/list` and
`/coins/markets` (sparkline and 1 h / 7 d / 30 d changes), and the ticker -> coin id choice.

Decisions:
- A ticker several coins share (`/coins/list` has dozens of "ETH"s, bridged copies and
  impostors) goes to the coin with the highest market cap; a coin whose cap is unknown ranks
  below every known one; equal caps go to the smaller id. The same inputs always give the same
  answer, whatever order CoinGecko lists them in.
- Every value is checked on its own: a null, missing or malformed field (or a zero market cap
  or supply, CoinGecko's way of saying it does not know) leaves that figure unknown (None) and
  is counted (`cryptotracker_asset_metadata_problems_total`, by reason and field); the rest of
  the row still shows. A row without an id or symbol is skipped (counted).
- Money-like figures (market cap, supplies, changes) become decimal strings from CoinGecko's
  JSON numbers; the sparkline stays floats (it is only drawn), thinned to at most `points`
  evenly spaced prices, the newest always kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from cryptotracker.market.normalize import NormalizeError, decimal_from_float, percent_from_float
from cryptotracker.metrics import ASSET_METADATA_PROBLEMS
from cryptotracker.protocol import AssetInfo

# The `price_change_percentage` windows asked for, and the row fields they come back in.
CHANGE_WINDOWS: Final = ("1h", "7d", "30d")
LOGO_PATH: Final = "/api/logos/"
MAX_TEXT: Final = 2048
# CoinGecko names a coin without a logo by a generic picture, e.g. .../missing_large.png.
_PLACEHOLDER_IMAGE: Final = re.compile(r"/missing_(thumb|small|large)\.png(\?|$)")


def problem(reason: str, field_name: str = "") -> None:
    """Count one piece of bad data from the metadata source."""
    ASSET_METADATA_PROBLEMS.labels(reason, field_name).inc()


@dataclass(frozen=True, slots=True)
class Listing:
    """One `/coins/list` entry; `symbol` upper-cased, as the markets write tickers."""

    id: str
    symbol: str
    name: str | None


@dataclass(frozen=True, slots=True)
class CoinMarket:
    """One `/coins/markets` row, every figure optional."""

    id: str
    symbol: str
    name: str | None = None
    image: str | None = None
    rank: int | None = None
    market_cap: str | None = None
    circulating_supply: str | None = None
    max_supply: str | None = None
    change1h: str | None = None
    change7d: str | None = None
    change30d: str | None = None
    sparkline: list[float] = field(default_factory=list)

    @property
    def cap(self) -> Decimal:
        """The market cap for ranking candidates: -1 when unknown (below any known cap)."""
        return Decimal(self.market_cap) if self.market_cap is not None else Decimal(-1)


def _text(value: object) -> str | None:
    """A non-empty string of at most `MAX_TEXT` characters (an id, a ticker, a name, a URL);
    a longer one is bad data, not something to send every browser."""
    if not isinstance(value, str) or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        problem("bad_value", "text")
        return None
    return value.strip()


def parse_list(payload: object) -> list[Listing]:
    """`/coins/list`: ``[{"id", "symbol", "name"}, ...]``; unusable entries counted, skipped."""
    if not isinstance(payload, list):
        problem("not_a_list", "coins/list")
        return []
    out: list[Listing] = []
    for row in payload:
        if not isinstance(row, Mapping):
            problem("bad_row", "coins/list")
            continue
        cid, symbol = _text(row.get("id")), _text(row.get("symbol"))
        if cid is None or symbol is None:
            problem("bad_row", "coins/list")
            continue
        out.append(Listing(cid, symbol.upper(), _text(row.get("name"))))
    return out


def _figure(
    row: Mapping[str, Any], key: str, percent: bool = False, zero_unknown: bool = False
) -> str | None:
    value = row.get(key)
    # CoinGecko writes 0 for a market cap or supply it does not know.
    if value is None or (zero_unknown and value == 0 and not isinstance(value, bool)):
        problem("unknown", key)
        return None
    try:
        text = percent_from_float(value) if percent else decimal_from_float(value)
    except NormalizeError:
        problem("bad_value", key)
        return None
    if not percent and text.startswith("-"):
        problem("bad_value", key)  # a negative cap or supply is a bug upstream, not a figure
        return None
    return text


def _rank(row: Mapping[str, Any]) -> int | None:
    value = row.get("market_cap_rank")
    if value is None:
        problem("unknown", "market_cap_rank")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problem("bad_value", "market_cap_rank")
        return None
    return value


def _sparkline(row: Mapping[str, Any]) -> list[float]:
    spark = row.get("sparkline_in_7d")
    prices = spark.get("price") if isinstance(spark, Mapping) else None
    if prices is None:
        problem("unknown", "sparkline_in_7d")
        return []
    if not isinstance(prices, list) or not all(
        isinstance(p, int | float) and not isinstance(p, bool) and math.isfinite(p) and p >= 0
        for p in prices
    ):
        problem("bad_value", "sparkline_in_7d")
        return []
    return [float(p) for p in prices]


def parse_market_row(row: object) -> CoinMarket | None:
    """One `/coins/markets` row, or None (counted) when it has no id or symbol."""
    if not isinstance(row, Mapping):
        problem("bad_row", "coins/markets")
        return None
    cid, symbol = _text(row.get("id")), _text(row.get("symbol"))
    if cid is None or symbol is None:
        problem("bad_row", "coins/markets")
        return None
    name = _text(row.get("name"))
    if name is None:
        problem("unknown", "name")
    image = _text(row.get("image"))
    if image is not None and _PLACEHOLDER_IMAGE.search(image):
        image = None  # CoinGecko's own "no logo" picture: ours is the page's placeholder
    if image is None:
        problem("unknown", "image")
    changes = [
        _figure(row, f"price_change_percentage_{w}_in_currency", percent=True)
        for w in CHANGE_WINDOWS
    ]
    return CoinMarket(
        id=cid,
        symbol=symbol.upper(),
        name=name,
        image=image,
        rank=_rank(row),
        market_cap=_figure(row, "market_cap", zero_unknown=True),
        circulating_supply=_figure(row, "circulating_supply", zero_unknown=True),
        max_supply=_max_supply(row),
        change1h=changes[0],
        change7d=changes[1],
        change30d=changes[2],
        sparkline=_sparkline(row),
    )


def _max_supply(row: Mapping[str, Any]) -> str | None:
    # CoinGecko writes null for an uncapped supply (ETH, DOGE): that is a fact, not a gap.
    if row.get("max_supply") is None:
        return None
    return _figure(row, "max_supply")


def parse_markets(payload: object) -> list[CoinMarket]:
    if not isinstance(payload, list):
        problem("not_a_list", "coins/markets")
        return []
    return [m for m in (parse_market_row(row) for row in payload) if m is not None]


def resolve(
    assets: Iterable[str], listings: Iterable[Listing], markets: Mapping[str, CoinMarket]
) -> dict[str, str]:
    """Each ticker's coin id (tickers with no candidate are left out): the highest market cap
    among the coins sharing the ticker, ties to the smaller id. `markets` is keyed by id."""
    wanted = {a.upper() for a in assets}
    candidates: dict[str, set[str]] = {}
    for listing in listings:
        if listing.symbol in wanted:
            candidates.setdefault(listing.symbol, set()).add(listing.id)
    for market in markets.values():
        if market.symbol in wanted:
            candidates.setdefault(market.symbol, set()).add(market.id)

    def cap(cid: str) -> Decimal | None:
        market = markets.get(cid)
        return market.cap if market is not None else None

    return {symbol: choose((cid, cap(cid)) for cid in ids) for symbol, ids in candidates.items()}


def choose(candidates: Iterable[tuple[str, Decimal | None]]) -> str:
    """The coin a shared ticker means: the highest market cap (unknown ranks last), ties to
    the smaller id. Raises ValueError when there is no candidate."""
    return min(candidates, key=lambda c: (-(c[1] if c[1] is not None else Decimal(-1)), c[0]))[0]


def thin(prices: Sequence[float], points: int) -> list[float]:
    """At most `points` of `prices`, evenly spaced, first and last kept; 5 significant
    digits: a sparkline is 28 px tall, and each further digit costs /api/assets (the markets
    page's largest answer) about a sixth of its gzipped size."""
    if len(prices) > points >= 2:
        step = (len(prices) - 1) / (points - 1)
        prices = [prices[round(i * step)] for i in range(points)]
    return [float(f"{p:.5g}") for p in prices]


def asset_info(
    asset: str,
    market: CoinMarket | None,
    listing: Listing | None,
    has_logo: bool,
    points: int,
) -> AssetInfo:
    """Our row for `asset`: what is known of it, None elsewhere."""
    if market is None:
        return AssetInfo(
            asset=asset,
            id=listing.id if listing else None,
            name=listing.name if listing else None,
        )
    return AssetInfo(
        asset=asset,
        id=market.id,
        name=market.name or (listing.name if listing else None),
        logo=f"{LOGO_PATH}{market.id}" if has_logo else None,
        rank=market.rank,
        market_cap=market.market_cap,
        circulating_supply=market.circulating_supply,
        max_supply=market.max_supply,
        change1h=market.change1h,
        change7d=market.change7d,
        change30d=market.change30d,
        sparkline7d=thin(market.sparkline, points),
    )
