"""Kraken's wire shapes for the simulated market: its names for the simulator's markets, the
WebSocket v2 messages (numbers as JSON numbers, written from exact integers, never through a
float) and the REST answers (``{"error": [], "result": ...}``, decimals as strings). Pure
functions; `simulator/kraken.py` owns the sockets.

Names follow Kraken's: BTC is XBT in REST and `wsname` (XBT/USDT) and BTC in v2 (BTC/USDT),
DOGE is XDG; `AssetPairs` gives legacy asset codes for the base where Kraken has one (XXBT,
XETH, XXDG, ...), so the provider meets every spelling it must map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, NamedTuple

import orjson

from cryptotracker.simulator.assets import QUOTE, UNIT
from cryptotracker.simulator.frames import dec
from cryptotracker.simulator.market import Candle, SimMarket, Stats24h, Trade

_KRAKEN_TICKER: Final = {"BTC": "XBT", "DOGE": "XDG"}
_LEGACY_CODE: Final = {
    "BTC": "XXBT", "ETH": "XETH", "DOGE": "XXDG", "XRP": "XXRP", "LTC": "XLTC", "XLM": "XXLM",
    "ETC": "XETC", "ZEC": "XZEC",
}  # fmt: skip
# Kraken's OHLC intervals (minutes) the simulated market can build, by its interval names.
MINUTES: Final = {1: "1m", 5: "5m", 15: "15m", 30: "30m", 60: "1h", 240: "4h", 1440: "1d",
                  10080: "1w"}  # fmt: skip
_CENT: Final = Decimal("0.01")


class SimPair(NamedTuple):
    symbol: str  # the simulator's (and our) name: BTCUSDT
    rest: str  # REST key and altname: XBTUSDT
    wsname: str  # XBT/USDT
    v2: str  # BTC/USDT
    base_code: str  # XXBT


def pair_of(base: str) -> SimPair:
    k = _KRAKEN_TICKER.get(base, base)
    return SimPair(
        base + QUOTE, k + QUOTE, f"{k}/{QUOTE}", f"{base}/{QUOTE}", _LEGACY_CODE.get(base, base)
    )


def num(units: int) -> orjson.Fragment:
    """Integer 1e-8 units as a JSON number, as Kraken prints them: trailing zeros dropped
    (one decimal kept: 740.0)."""
    text = dec(units).rstrip("0")
    return orjson.Fragment((text + "0" if text.endswith(".") else text).encode())


def _trimmed(units: int) -> str:
    text = dec(units).rstrip("0")
    return text + "0" if text.endswith(".") else text


def rfc3339(t_ms: int) -> str:
    when = dt.datetime.fromtimestamp(t_ms // 1000, dt.UTC).replace(microsecond=t_ms % 1000 * 1000)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _vwap(quote_volume: int, volume: int, fallback: int) -> int:
    return quote_volume * UNIT // volume if volume else fallback


# ---- WebSocket v2 -----------------------------------------------------------------------------


def status(system: str, connection_id: int) -> bytes:
    return orjson.dumps(
        {
            "channel": "status",
            "type": "update",
            "data": [
                {
                    "api_version": "v2",
                    "connection_id": connection_id,
                    "system": system,
                    "version": "2.0.0",
                }
            ],
        }
    )


HEARTBEAT: Final = b'{"channel":"heartbeat"}'


def ticker_row(v2: str, s: Stats24h, tick: int) -> dict[str, Any]:
    change = s.close - s.open
    pct = (Decimal(change) * 100 / Decimal(s.open)).quantize(_CENT, ROUND_HALF_UP) if s.open else 0
    return {
        "symbol": v2,
        "bid": num(max(tick, s.close - tick)),
        "bid_qty": num(s.last_qty or UNIT),
        "ask": num(s.close + tick),
        "ask_qty": num(s.last_qty or UNIT),
        "last": num(s.close),
        "volume": num(s.volume),
        "vwap": num(_vwap(s.quote_volume, s.volume, s.close)),
        "low": num(s.low),
        "high": num(s.high),
        "change": num(change),
        "change_pct": orjson.Fragment(str(pct).encode()),
    }


def trade_row(v2: str, t: Trade) -> dict[str, Any]:
    return {
        "symbol": v2,
        "side": "sell" if t.buyer_maker else "buy",
        "price": num(t.price),
        "qty": num(t.qty),
        "ord_type": "limit" if t.agg_id % 3 else "market",
        "trade_id": t.agg_id,
        "timestamp": rfc3339(t.time_ms),
    }


def ohlc_row(v2: str, minutes: int, c: Candle) -> dict[str, Any]:
    return {
        "symbol": v2,
        "open": num(c.open),
        "high": num(c.high),
        "low": num(c.low),
        "close": num(c.close),
        "trades": c.trades,
        "volume": num(c.volume),
        "vwap": num(_vwap(c.quote_volume, c.volume, c.close)),
        "interval_begin": rfc3339(c.open_time),
        "interval": minutes,
        "timestamp": rfc3339(c.close_time + 1),
    }


def channel(name: str, kind: str, rows: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"channel": name, "type": kind, "data": rows})


def ack(
    method: str,
    channel_name: str,
    symbol: str,
    req_id: int | None,
    now_ms: int,
    interval: int | None = None,
) -> bytes:
    result: dict[str, Any] = {"channel": channel_name, "symbol": symbol}
    if method == "subscribe":
        result["snapshot"] = True
    if interval is not None:
        result["interval"] = interval
    body: dict[str, Any] = {
        "method": method,
        "result": result,
        "success": True,
        "time_in": rfc3339(now_ms),
        "time_out": rfc3339(now_ms),
    }
    if req_id is not None:
        body["req_id"] = req_id
    return orjson.dumps(body)


def refusal(
    method: str, error: str, req_id: int | None, now_ms: int, symbol: str | None = None
) -> bytes:
    body: dict[str, Any] = {
        "error": error,
        "method": method,
        "success": False,
        "time_in": rfc3339(now_ms),
        "time_out": rfc3339(now_ms),
    }
    if symbol is not None:
        body["symbol"] = symbol
    if req_id is not None:
        body["req_id"] = req_id
    return orjson.dumps(body)


def pong(req_id: int | None, now_ms: int) -> bytes:
    body: dict[str, Any] = {
        "method": "pong",
        "time_in": rfc3339(now_ms),
        "time_out": rfc3339(now_ms),
    }
    if req_id is not None:
        body["req_id"] = req_id
    return orjson.dumps(body)


# ---- REST -------------------------------------------------------------------------------------


def envelope(result: Any) -> bytes:
    return orjson.dumps({"error": [], "result": result})


def error_envelope(*errors: str) -> bytes:
    return orjson.dumps({"error": list(errors)})


def asset_pair(p: SimPair, tick: int, step: int, status: str) -> dict[str, Any]:
    return {
        "altname": p.rest,
        "wsname": p.wsname,
        "aclass_base": "currency",
        "base": p.base_code,
        "aclass_quote": "currency",
        "quote": QUOTE,
        "lot": "unit",
        "cost_decimals": 8,
        "pair_decimals": max(0, len(dec(tick).rstrip("0").partition(".")[2])),
        "lot_decimals": 8,
        "lot_multiplier": 1,
        "ordermin": _trimmed(step),
        "costmin": "0.5",
        "tick_size": _trimmed(tick),
        "status": status,
    }


def rest_ticker(s: Stats24h, tick: int) -> dict[str, Any]:
    """Today's and the last 24 hours' figures: the simulated day is the rolling 24 h."""
    vwap = dec(_vwap(s.quote_volume, s.volume, s.close))
    lot = dec(s.last_qty or UNIT)
    return {
        "a": [dec(s.close + tick), "1", "1.000"],
        "b": [dec(max(tick, s.close - tick)), "1", "1.000"],
        "c": [dec(s.close), lot],
        "v": [dec(s.volume), dec(s.volume)],
        "p": [vwap, vwap],
        "t": [s.trades, s.trades],
        "l": [dec(s.low), dec(s.low)],
        "h": [dec(s.high), dec(s.high)],
        "o": dec(s.open),
    }


def ohlc_rows(candles: Iterable[Candle]) -> list[list[Any]]:
    return [
        [
            c.open_time // 1000, dec(c.open), dec(c.high), dec(c.low), dec(c.close),
            dec(_vwap(c.quote_volume, c.volume, c.close)), dec(c.volume), c.trades,
        ]
        for c in candles
    ]  # fmt: skip


def rest_trade(t: Trade) -> list[Any]:
    seconds = orjson.Fragment(f"{t.time_ms // 1000}.{t.time_ms % 1000:03d}".encode())
    side = "s" if t.buyer_maker else "b"
    return [dec(t.price), dec(t.qty), seconds, side, "m", "", t.agg_id]


def pairs(market: SimMarket) -> list[SimPair]:
    return [pair_of(m.asset.base) for m in market.markets.values()]
