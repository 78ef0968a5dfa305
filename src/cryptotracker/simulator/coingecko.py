"""CoinGecko's API as the simulator serves it (under /coingecko/api/v3/): `/coins/list`,
`/coins/markets` (pages, ids, order, `sparkline`, `price_change_percentage`), `/exchange_rates`
and `/ping`, in CoinGecko's shapes (`tests/fixtures/coingecko/`), from the simulated market; and
each coin's logo, generated, at /coingecko/images/<id>.svg and .png.

Some tickers are shared, as on CoinGecko: every seventh coin has a bridged copy with the same
symbol and a thousandth of its market cap, listed after the real coins. Data faults on demand
(`/sim/fault?kind=coingecko_data&mode=...`): `nulls` (every optional figure null, names
missing), `huge_image` (a logo of 2 MB), `not_image` (HTML sent as image/png), `svg` (the
markets name the SVG logos), `svg_hostile` (they name SVG logos that draw a local file and a URL
through `<image href>`). A pure function of the request; the server moves the bytes.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import io
import math
from functools import lru_cache
from typing import Any, Final, NamedTuple
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw

from cryptotracker.simulator.assets import UNIT, Asset
from cryptotracker.simulator.frames import coingecko_row
from cryptotracker.simulator.market import HOUR_MS, Market, SimMarket
from cryptotracker.simulator.quotes import market_fiat, per_usdt
from cryptotracker.simulator.reply import Reply, json_reply

IMAGES_PREFIX: Final = "/coingecko/images/"
# What a hostile SVG logo would make a renderer read: a local file and a third-party URL.
HOSTILE_SVG_TAIL: Final = (
    b'<image href="/etc/hostname" width="128" height="128"/>'
    b'<image href="http://127.0.0.1:9/track.png" width="1" height="1"/></svg>'
)
DATA_FAULTS: Final = ("nulls", "huge_image", "not_image", "svg", "svg_hostile")
DECOY_EVERY: Final = 7
BRIDGED_PRICE: Final = 0.97
HUGE_IMAGE_BYTES: Final = 2 * 1024 * 1024
SPARKLINE_HOURS: Final = 168
# Fiat per US dollar for /exchange_rates (USDT taken as USD); fixed: the simulator has no FX.
FIAT: Final[dict[str, tuple[str, str, float]]] = {
    "usd": ("US Dollar", "$", 1.0),
    "eur": ("Euro", "€", 0.92),
    "gbp": ("British Pound Sterling", "£", 0.79),
    "jpy": ("Japanese Yen", "¥", 150.0),
    "chf": ("Swiss Franc", "Fr.", 0.88),
    "cad": ("Canadian Dollar", "CA$", 1.37),
    "aud": ("Australian Dollar", "A$", 1.52),
}
# What the `nulls` fault sends as null (and the name it leaves out).
NULLABLE: Final = (
    "market_cap", "market_cap_rank", "circulating_supply", "max_supply", "image",
    "fully_diluted_valuation", "sparkline_in_7d",
)  # fmt: skip
_DAY_MS: Final = 24 * HOUR_MS
_WINDOW_MS: Final = {
    "1h": HOUR_MS, "24h": _DAY_MS, "7d": 7 * _DAY_MS, "14d": 14 * _DAY_MS, "30d": 30 * _DAY_MS,
    "200d": 200 * _DAY_MS, "1y": 365 * _DAY_MS,
}  # fmt: skip


class Coin(NamedTuple):
    """A coin CoinGecko lists: a simulated market's asset, or a bridged copy of one."""

    id: str
    symbol: str  # lower case, as CoinGecko writes it
    name: str
    market: str  # the simulated market it takes prices from
    cap_share: float  # of the asset's market cap (1 for the real coin)


def _usd_markets(market: SimMarket) -> list[Market]:
    """One market per coin, in listing order: its USDT market (CoinGecko prices in USD, the
    simulator's USDT taken as USD). Fiat anchors (EURUSDT, USDTTRY) are no coins."""
    return market.coins()


def _max_supply(index: int, asset: Asset) -> int | None:
    if asset.base == "BTC":
        return 21_000_000
    return None if index % 3 == 0 else round(asset.supply * 2)  # uncapped: null, as ETH's


class CoinGeckoSim:
    def __init__(self, market: SimMarket) -> None:
        self.market = market
        self.base_url = ""  # the simulator's own address, for logo URLs (set once it listens)
        self.data_faults: set[str] = set()
        self.coins: list[Coin] = []
        decoys: list[Coin] = []
        taken: set[str] = set()
        for i, m in enumerate(_usd_markets(market)):
            a = m.asset
            # Synthetic assets may share a name, so an id: CoinGecko's ids are unique.
            cid = a.coingecko_id
            while cid in taken:
                cid += "-2"
            taken.add(cid)
            self.coins.append(Coin(cid, a.base.lower(), a.name, m.symbol, 1.0))
            if i % DECOY_EVERY == 1:
                decoy = Coin(f"{cid}-bridged", a.base.lower(), f"Bridged {a.name}",
                             m.symbol, 0.001)  # fmt: skip
                decoys.append(decoy)
        self.coins += decoys
        self._by_id = {c.id: c for c in self.coins}
        self._index = {m.symbol: i for i, m in enumerate(_usd_markets(market))}
        # Past hourly prices do not change: each market's, by the hour they end at.
        self._closes: dict[str, tuple[int, list[float]]] = {}

    def set_data_fault(self, mode: str) -> None:
        """Turn a data fault on (`mode`), or every one off ("none")."""
        if mode == "none":
            self.data_faults.clear()
        elif mode in DATA_FAULTS:
            self.data_faults.add(mode)
        else:
            raise ValueError(f"mode must be one of {', '.join(DATA_FAULTS)} or none")

    # ---- the API ------------------------------------------------------------------------------

    def api(self, endpoint: str, query: dict[str, str], now_ms: int) -> Reply:
        if endpoint == "ping":
            return json_reply(200, {"gecko_says": "(V3) To the Moon!"})
        if endpoint == "coins/list":
            return json_reply(200, [{"id": c.id, "symbol": c.symbol, "name": c.name}
                                    for c in sorted(self.coins, key=lambda c: c.id)])  # fmt: skip
        if endpoint == "exchange_rates":
            return json_reply(200, self._exchange_rates(now_ms))
        if endpoint == "coins/markets":
            return self._markets(query, now_ms)
        return json_reply(404, {"error": "Not Found"})

    def _markets(self, query: dict[str, str], now_ms: int) -> Reply:
        if query.get("vs_currency", "").lower() != "usd":
            return json_reply(400, {"error": "invalid vs_currency"})
        try:
            per_page = min(250, max(1, int(query.get("per_page", "100"))))
            page = max(1, int(query.get("page", "1")))
        except ValueError:
            return json_reply(400, {"error": "invalid per_page or page"})
        ranked = list(enumerate(self.coins, start=1))
        ids = {i for i in query.get("ids", "").split(",") if i}
        if ids:
            ranked = [(r, c) for r, c in ranked if c.id in ids]
        chosen = ranked[(page - 1) * per_page : page * per_page]
        sparkline = query.get("sparkline", "false").lower() == "true"
        windows = [w for w in query.get("price_change_percentage", "").split(",") if w]
        windows = [w for w in windows if w in _WINDOW_MS]
        rows = [self._row(c, rank, now_ms, sparkline, windows) for rank, c in chosen]
        return json_reply(200, rows)

    def _row(
        self, coin: Coin, rank: int, now_ms: int, sparkline: bool, windows: list[str]
    ) -> dict[str, Any]:
        m = self.market.markets[coin.market]
        stats = self.market.stats(coin.market, now_ms)
        row = coingecko_row(m.asset, stats, rank, now_ms)
        price = stats.close / UNIT
        supply = m.asset.supply * coin.cap_share
        max_supply = _max_supply(self._index[coin.market], m.asset)
        hourly = self._hourly(coin.market, now_ms)
        row.update(
            id=coin.id,
            symbol=coin.symbol,
            name=coin.name,
            image=f"{self.base_url}{IMAGES_PREFIX}{coin.id}."
            + ("svg" if self.data_faults & {"svg", "svg_hostile"} else "png"),
            market_cap=round(supply * price),
            market_cap_change_24h=round(supply * row["price_change_24h"], 2),
            market_cap_change_percentage_24h=row["price_change_percentage_24h"],
            fully_diluted_valuation=round((max_supply or supply) * price),
            circulating_supply=supply,
            total_supply=max_supply or supply,
            max_supply=max_supply,
            ath=max(hourly) if hourly else price,
            ath_change_percentage=0.0,
            ath_date=_iso(now_ms - 90 * 24 * HOUR_MS),
            atl=min(hourly) if hourly else price,
            atl_change_percentage=0.0,
            atl_date=_iso(now_ms - 900 * 24 * HOUR_MS),
            roi=None,
        )
        if coin.cap_share != 1.0:  # a bridged copy trades a little off its original
            for key in ("current_price", "high_24h", "low_24h", "ath", "atl"):
                row[key] = float(f"{row[key] * BRIDGED_PRICE:.8g}")
            hourly = [float(f"{p * BRIDGED_PRICE:.8g}") for p in hourly]
        if sparkline:
            row["sparkline_in_7d"] = {"price": hourly}
        then = _prices_at(m, [now_ms - _WINDOW_MS[w] for w in windows])
        for w, past in zip(windows, then, strict=True):
            change = (price - past) * 100 / past if past else 0.0
            row[f"price_change_percentage_{w}_in_currency"] = change
        if "nulls" in self.data_faults:
            changes = [f"price_change_percentage_{w}_in_currency" for w in windows]
            for key in (*NULLABLE, *changes):
                if key in row:
                    row[key] = None
            del row["name"]
        return row

    def _hourly(self, symbol: str, now_ms: int) -> list[float]:
        """Hourly prices over 7 days, oldest first, the last one now (CoinGecko's sparkline).
        The past hours are kept: each new hour adds its point and drops the oldest."""
        hour = now_ms // HOUR_MS
        first, past = self._closes.get(symbol, (hour - SPARKLINE_HOURS, []))
        if first != hour:
            m = self.market.markets[symbol]
            new = range(max(first, hour - SPARKLINE_HOURS + 1) + 1, hour + 1)
            points = _prices_at(m, [h * HOUR_MS for h in new])
            past = [*past, *(float(f"{p:.8g}") for p in points)][-(SPARKLINE_HOURS - 1) :]
            self._closes[symbol] = (hour, past)
        return [*past, self.market.markets[symbol].price / UNIT]

    def _exchange_rates(self, now_ms: int) -> dict[str, Any]:
        """BTC against other currencies: how many of each one bitcoin buys."""
        btc = self.market.markets.get("BTCUSDT")
        btc_usd = btc.price / UNIT if btc is not None else 95_000.0
        rates: dict[str, Any] = {
            "btc": {"name": "Bitcoin", "unit": "BTC", "value": 1.0, "type": "crypto"}
        }
        eth = self.market.markets.get("ETHUSDT")
        if eth is not None:
            rates["eth"] = {"name": "Ether", "unit": "ETH", "value": btc_usd / (eth.price / UNIT),
                            "type": "crypto"}  # fmt: skip
        # A currency the simulator trades (EURUSDT, USDTTRY) at its market's rate, so the two
        # agree; the others at a fixed one.
        fiat = {code: (name, unit, per_usd) for code, (name, unit, per_usd) in FIAT.items()}
        for code in market_fiat(self.market):
            name, unit, _ = fiat.get(code.lower(), (code, code, 0.0))
            fiat[code.lower()] = (name, unit, per_usdt(self.market, code) or 0.0)
        for code, (name, unit, per_usd) in fiat.items():
            rates[code] = {"name": name, "unit": unit, "value": round(btc_usd * per_usd, 3),
                           "type": "fiat"}  # fmt: skip
        rates["sats"] = {"name": "Satoshi", "unit": "sats", "value": 100_000_000.0,
                         "type": "commodity"}  # fmt: skip
        return {"rates": rates}

    # ---- logos --------------------------------------------------------------------------------

    def image(self, path: str) -> Reply:
        """`/coingecko/images/<id>.svg|png`: the coin's generated logo."""
        name = path[len(IMAGES_PREFIX) :]
        cid, _, ext = name.rpartition(".")
        coin = self._by_id.get(cid)
        if coin is None or ext not in ("svg", "png"):
            return Reply(404, b"not found", [("Content-Type", "text/plain")])
        if "not_image" in self.data_faults:
            body = b"<html><body>Access denied</body></html>"
            return Reply(200, body, [("Content-Type", "image/png")])
        if ext == "svg":
            svg = logo_svg(coin.id, coin.symbol)
            if "svg_hostile" in self.data_faults:
                svg = svg.replace(b"</svg>", HOSTILE_SVG_TAIL)
            return Reply(200, svg, [("Content-Type", "image/svg+xml")])
        png = logo_png(coin.id, coin.symbol)
        if "huge_image" in self.data_faults:
            png += bytes(HUGE_IMAGE_BYTES)
        return Reply(200, png, [("Content-Type", "image/png")])


def _prices_at(m: Market, times: list[int]) -> list[float]:
    """The market's prices at `times`: its deterministic past before the simulator started,
    the live minute's close since (the minutes' starts listed once, not per point)."""
    live = list(m.live)
    starts = [b.start for b in live]
    out = []
    for t in times:
        if t < m.start_ms or not live:
            out.append(m.path.price(min(t, m.start_ms)) / UNIT)
        else:
            i = bisect.bisect_right(starts, t)
            out.append((live[i - 1].close if i else m.asset.price) / UNIT)
    return out


def _iso(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _colour(coin_id: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(coin_id.encode()).digest()
    hue = digest[0] / 255.0
    # An even, readable colour wheel: fixed saturation and lightness, the hue from the id.
    r, g, b = (0.5 + 0.35 * math.cos(2 * math.pi * (hue + k / 3)) for k in (0, 1, 2))
    return round(r * 255), round(g * 255), round(b * 255)


def logo_svg(coin_id: str, symbol: str) -> bytes:
    r, g, b = _colour(coin_id)
    text = escape(symbol.upper()[:4])
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="128" height="128" viewBox="0 0 128 128">'
        f'<circle cx="64" cy="64" r="62" fill="rgb({r},{g},{b})"/>'
        '<text x="64" y="76" font-family="sans-serif" font-size="34" text-anchor="middle" '
        f'fill="#fff">{text}</text></svg>'
    ).encode()


@lru_cache(maxsize=1024)
def logo_png(coin_id: str, symbol: str) -> bytes:
    """The SVG's PNG twin (a disc of the coin's colour, its ticker in white)."""
    image = Image.new("RGBA", (128, 128), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, 125, 125), fill=(*_colour(coin_id), 255))
    draw.text((64, 64), symbol.upper()[:4], fill=(255, 255, 255, 255), anchor="mm", font_size=34)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
