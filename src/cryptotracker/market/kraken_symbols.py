"""Kraken's names for assets and markets, mapped to ours (base + quote as Binance writes them).

Kraken spells one market three ways: REST keys its pairs by legacy asset codes (``XXBTZUSD``,
``XETHXXBT``), `AssetPairs` adds ``altname`` (``XBTUSD``) and ``wsname`` (``XBT/USD``), and
WebSocket v2 uses ``BTC/USD``. Legacy codes carry a class prefix (X for crypto, Z for fiat) on
four-letter codes, and two assets keep old tickers: XBT is BTC, XDG is DOGE. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, NamedTuple

from cryptotracker.protocol import SYMBOL_RE

# Kraken's own tickers that differ from everyone else's.
_ALIASES: Final = {"XBT": "BTC", "XDG": "DOGE"}
# Legacy asset codes with the X/Z class prefix (Kraken's AssetPairs and Assets examples: XXBT,
# XETH, ZUSD, ZEUR, XXDG, ...). Listed rather than guessed: a new four-letter asset that happens
# to start with X or Z (XCN, ZETA) is not one of these.
_PREFIXED: Final = frozenset(
    {
        "XXBT", "XETH", "XXDG", "XXRP", "XLTC", "XXLM", "XETC", "XZEC", "XXMR", "XREP",
        "XMLN", "XXTZ", "XICN", "XNMC", "XXVN", "ZUSD", "ZEUR", "ZGBP", "ZJPY", "ZCAD",
        "ZAUD", "ZCHF",
    }
)  # fmt: skip


class KrakenMarket(NamedTuple):
    """One Kraken market under every name it goes by."""

    symbol: str  # ours: BTCUSD
    base: str  # ours: BTC
    quote: str  # ours: USD
    rest: str  # REST pair key: XXBTZUSD
    ws: str  # WebSocket v2: BTC/USD
    status: str  # AssetPairs status: online, cancel_only, post_only, limit_only, reduce_only


def asset(code: str) -> str:
    """A Kraken asset code (XXBT, XBT, ZUSD, XDG, DOGE) as the usual ticker (BTC, USD, DOGE)."""
    code = code.upper()
    if code in _PREFIXED:
        code = code[1:]
    return _ALIASES.get(code, code)


def from_ws(name: str) -> str:
    """A WebSocket pair name (BTC/USD in v2, XBT/USD in v1 and `wsname`) as our symbol."""
    base, sep, quote = name.partition("/")
    if not sep or not base or not quote:
        raise ValueError(f"not a pair name: {name!r}")
    return asset(base) + asset(quote)


def ws_name(base: str, quote: str) -> str:
    """Our base and quote as WebSocket v2 writes the pair (BTC/USD)."""
    return f"{base}/{quote}"


def market_from_pair(key: str, info: object) -> KrakenMarket | None:
    """One `AssetPairs` entry as a market; None when it names no usable pair (no wsname and
    no base/quote, or not an object)."""
    if not isinstance(info, dict):
        return None
    wsname = info.get("wsname")
    status = info.get("status", "online")
    if not isinstance(status, str):
        status = "online"
    if isinstance(wsname, str) and "/" in wsname:
        b, _, q = wsname.partition("/")
    else:
        b_code, q_code = info.get("base"), info.get("quote")
        if not isinstance(b_code, str) or not isinstance(q_code, str):
            return None
        b, q = b_code, q_code
    base, quote = asset(b), asset(q)
    if not base or not quote:
        return None
    return KrakenMarket(base + quote, base, quote, key, ws_name(base, quote), status)


def choose_markets(
    markets: Iterable[KrakenMarket], quote_assets: Iterable[str]
) -> list[KrakenMarket]:
    """The markets quoted in `quote_assets` whose name we can carry, sorted by our symbol. Our
    symbols are [A-Z0-9]{2,20}; Kraken also lists names such as ETH2.S or USD.HOLD."""
    quotes = {q.upper() for q in quote_assets}
    chosen = (m for m in markets if m.quote in quotes and SYMBOL_RE.match(m.symbol))
    return sorted(chosen, key=lambda m: m.symbol)
