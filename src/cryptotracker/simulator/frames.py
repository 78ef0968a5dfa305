"""Binance's (and CoinGecko's) wire shapes for the simulated market: pure functions from market
state to JSON bytes, with the field names and string-encoded decimals of Binance's docs
(`tests/fixtures/binance/`), and the parsing of what a client sends on the stream.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Final, NamedTuple

import orjson

from cryptotracker.simulator.assets import UNIT, Asset
from cryptotracker.simulator.market import INTERVAL_MS, Candle, SimMarket, Stats24h, Trade

MINI_TICKER_ALL: Final = "!miniTicker@arr"
METHODS: Final = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS")


def dec(units: int) -> str:
    """Integer 1e-8 units as Binance prints decimals: eight places, always."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), UNIT)
    return f"{sign}{whole}.{frac:08d}"


def _float(units: int) -> float:
    return units / UNIT


# ---- streams ---------------------------------------------------------------------------------


def wrap(stream: str, data: bytes, combined: bool) -> bytes:
    """A combined stream wraps every event as ``{"stream": ..., "data": ...}``; a raw one not."""
    if not combined:
        return data
    return b'{"stream":' + orjson.dumps(stream) + b',"data":' + data + b"}"


def agg_trade(t: Trade, event_ms: int) -> bytes:
    return orjson.dumps(
        {
            "e": "aggTrade",
            "E": event_ms,
            "s": t.symbol,
            "a": t.agg_id,
            "p": dec(t.price),
            "q": dec(t.qty),
            "f": t.first_id,
            "l": t.last_id,
            "T": t.time_ms,
            "m": t.buyer_maker,
            "M": True,
        }
    )


def _mini_ticker_row(symbol: str, s: Stats24h, event_ms: int) -> dict[str, Any]:
    return {
        "e": "24hrMiniTicker",
        "E": event_ms,
        "s": symbol,
        "c": dec(s.close),
        "o": dec(s.open),
        "h": dec(s.high),
        "l": dec(s.low),
        "v": dec(s.volume),
        "q": dec(s.quote_volume),
    }


def mini_ticker(market: SimMarket, symbol: str, event_ms: int) -> bytes:
    """`<symbol>@miniTicker`: one symbol's row on its own."""
    return orjson.dumps(_mini_ticker_row(symbol, market.stats(symbol, event_ms), event_ms))


def mini_tickers(market: SimMarket, symbols: Iterable[str], event_ms: int) -> bytes:
    """`!miniTicker@arr`: one row per symbol that changed."""
    rows = [_mini_ticker_row(s, market.stats(s, event_ms), event_ms) for s in symbols]
    return orjson.dumps(rows)


def kline(symbol: str, interval: str, c: Candle, closed: bool, event_ms: int) -> bytes:
    half = c.volume // 2
    return orjson.dumps(
        {
            "e": "kline",
            "E": event_ms,
            "s": symbol,
            "k": {
                "t": c.open_time,
                "T": c.close_time,
                "s": symbol,
                "i": interval,
                "f": c.first_id,
                "L": c.last_id,
                "o": dec(c.open),
                "c": dec(c.close),
                "h": dec(c.high),
                "l": dec(c.low),
                "v": dec(c.volume),
                "n": c.trades,
                "x": closed,
                "q": dec(c.quote_volume),
                "V": dec(half),
                "Q": dec(c.quote_volume // 2),
                "B": "0",
            },
        }
    )


def server_shutdown(event_ms: int) -> bytes:
    return orjson.dumps({"e": "serverShutdown", "E": event_ms})


# ---- requests on the stream ------------------------------------------------------------------


class Request(NamedTuple):
    method: str
    params: list[str]
    id: int | str | None


class RequestError(ValueError):
    """A request Binance would answer with an error object (`code`, `msg`)."""

    def __init__(self, code: int, msg: str, request_id: int | str | None = None) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.request_id = request_id


def parse_request(raw: str | bytes) -> Request:
    """A client's JSON request; raises `RequestError` with Binance's codes (0 unknown
    property, 1 bad value type, 2 invalid request, 3 invalid JSON)."""
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestError(3, f"Invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise RequestError(2, "Invalid request: expected an object")
    rid = obj.get("id")
    if rid is not None and (type(rid) not in (int, str) or (type(rid) is int and rid < 0)):
        raise RequestError(2, "Invalid request: request ID must be an unsigned integer")
    unknown = set(obj) - {"method", "params", "id"}
    if unknown:
        raise RequestError(0, f"Unknown property: {sorted(unknown)[0]}", rid)
    method = obj.get("method")
    if method not in METHODS:
        raise RequestError(
            2,
            f"Invalid request: unknown variant {method}, expected one of {', '.join(METHODS)}",
            rid,
        )
    params = obj.get("params", [])
    if method != "LIST_SUBSCRIPTIONS" and (
        not isinstance(params, list) or not all(isinstance(p, str) for p in params)
    ):
        raise RequestError(1, "Invalid value type: expected an array of strings", rid)
    return Request(method, list(params) if isinstance(params, list) else [], rid)


def reply(request_id: int | str | None, result: Any = None) -> bytes:
    return orjson.dumps({"result": result, "id": request_id})


def error_reply(exc: RequestError) -> bytes:
    """As the stream docs list them: ``{"code": 2, "msg": "Invalid request: ...", "id": 1}``
    (developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#error-messages)."""
    return orjson.dumps({"code": exc.code, "msg": exc.msg, "id": exc.request_id})


class StreamName(NamedTuple):
    """A stream the simulator can serve: kind is aggTrade, kline, miniTicker or miniTickerAll."""

    kind: str
    symbol: str  # upper case; "" for the all-market stream
    interval: str  # kline interval, else ""


def parse_stream(name: str, known: set[str] | dict[str, Any]) -> StreamName | None:
    """What a stream name asks for, or None when the simulator does not serve it."""
    if name == MINI_TICKER_ALL:
        return StreamName("miniTickerAll", "", "")
    symbol, sep, kind = name.partition("@")
    if not sep or symbol.upper() not in known:
        return None
    if kind == "aggTrade":
        return StreamName("aggTrade", symbol.upper(), "")
    if kind == "miniTicker":
        return StreamName("miniTicker", symbol.upper(), "")
    if kind.startswith("kline_") and kind[6:] in INTERVAL_MS:
        return StreamName("kline", symbol.upper(), kind[6:])
    return None


# ---- REST ------------------------------------------------------------------------------------


def exchange_info(
    listed: Iterable[tuple[Asset, str]], server_ms: int, weight_per_min: int
) -> dict[str, Any]:
    """Markets with their status (TRADING, BREAK, HALT, ...)."""
    return {
        "timezone": "UTC",
        "serverTime": server_ms,
        "rateLimits": [
            {
                "rateLimitType": "REQUEST_WEIGHT",
                "interval": "MINUTE",
                "intervalNum": 1,
                "limit": weight_per_min,
            }
        ],
        "exchangeFilters": [],
        "symbols": [_symbol_info(a, status) for a, status in listed],
    }


def _symbol_info(a: Asset, status: str) -> dict[str, Any]:
    return {
        "symbol": a.symbol,
        "status": status,
        "baseAsset": a.base,
        "baseAssetPrecision": 8,
        "quoteAsset": a.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": dec(a.tick),
                "maxPrice": "1000000.00000000",
                "tickSize": dec(a.tick),
            },
            {
                "filterType": "LOT_SIZE",
                "minQty": dec(a.step),
                "maxQty": "9000000.00000000",
                "stepSize": dec(a.step),
            },
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
    }


def ticker_24hr(symbol: str, s: Stats24h, tick: int) -> dict[str, Any]:
    change = s.close - s.open
    percent = change * 100 / s.open if s.open else 0.0
    weighted = s.quote_volume * UNIT // s.volume if s.volume else s.close
    return {
        "symbol": symbol,
        "priceChange": dec(change),
        "priceChangePercent": f"{percent:.3f}",
        "weightedAvgPrice": dec(weighted),
        "prevClosePrice": dec(s.open),
        "lastPrice": dec(s.close),
        "lastQty": dec(s.last_qty),
        "bidPrice": dec(max(tick, s.close - tick)),
        "bidQty": dec(s.last_qty),
        "askPrice": dec(s.close + tick),
        "askQty": dec(s.last_qty),
        "openPrice": dec(s.open),
        "highPrice": dec(s.high),
        "lowPrice": dec(s.low),
        "volume": dec(s.volume),
        "quoteVolume": dec(s.quote_volume),
        "openTime": s.open_time,
        "closeTime": s.close_time,
        "firstId": s.first_id,
        "lastId": s.last_id,
        "count": s.trades,
    }


def book_ticker(symbol: str, price: int, qty: int, tick: int) -> dict[str, Any]:
    """`ticker/bookTicker`: one tick either side of the last price."""
    return {
        "symbol": symbol,
        "bidPrice": dec(max(tick, price - tick)),
        "bidQty": dec(qty),
        "askPrice": dec(price + tick),
        "askQty": dec(qty),
    }


def agg_trade_row(t: Trade) -> dict[str, Any]:
    """One row of `aggTrades` (the stream's event without its envelope fields)."""
    return {
        "a": t.agg_id,
        "p": dec(t.price),
        "q": dec(t.qty),
        "f": t.first_id,
        "l": t.last_id,
        "T": t.time_ms,
        "m": t.buyer_maker,
        "M": True,
    }


def kline_row(c: Candle) -> list[Any]:
    return [
        c.open_time,
        dec(c.open),
        dec(c.high),
        dec(c.low),
        dec(c.close),
        dec(c.volume),
        c.close_time,
        dec(c.quote_volume),
        c.trades,
        dec(c.volume // 2),
        dec(c.quote_volume // 2),
        "0",
    ]


def coingecko_row(a: Asset, s: Stats24h, rank: int, now_ms: int) -> dict[str, Any]:
    """One `/coins/markets` row: CoinGecko sends floats (USDT taken as USD)."""
    price = _float(s.close)
    change = s.close - s.open
    return {
        "id": a.coingecko_id,
        "symbol": a.base.lower(),
        "name": a.name,
        "current_price": price,
        "market_cap": round(a.supply * price),
        "market_cap_rank": rank,
        "total_volume": round(_float(s.quote_volume), 2),
        "high_24h": _float(s.high),
        "low_24h": _float(s.low),
        "price_change_24h": _float(change),
        "price_change_percentage_24h": change * 100 / s.open if s.open else 0.0,
        "circulating_supply": a.supply,
        "last_updated": dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%S.%f"
        )[:-3]
        + "Z",
    }
