"""Which Binance markets exist and whether they trade, from `GET /api/v3/exchangeInfo`, and what
changed between two readings. Pure functions; `binance.py` polls and applies.

Binance's symbol status (rest-api.md, "ENUM definitions"): PRE_TRADING, TRADING, POST_TRADING,
END_OF_DAY, HALT, AUCTION_MATCH, BREAK. A market of our quote assets is listed whatever its
status, so a halted one stays visible, marked, with its last price; one absent from the answer
is delisted. Only TRADING means prices move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import structlog

from cryptotracker.protocol import SymbolInfo

log = structlog.get_logger(__name__)

TRADING = "TRADING"


class Listing(NamedTuple):
    info: SymbolInfo
    status: str


class ListingChanges(NamedTuple):
    """Symbols newly listed, delisted, stopped (TRADING -> another status, or listed not
    trading: symbol -> status) and resumed (back to TRADING)."""

    listed: list[str]
    delisted: list[str]
    stopped: dict[str, str]
    resumed: list[str]

    def __bool__(self) -> bool:
        return bool(self.listed or self.delisted or self.stopped or self.resumed)


def parse_exchange_info(body: Any, quote_assets: Iterable[str]) -> list[Listing] | None:
    """Markets of `quote_assets`, sorted by symbol; None when the body has no symbols list.
    A malformed row is logged and skipped."""
    rows = body.get("symbols") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return None
    quotes = {q.upper() for q in quote_assets}
    out: list[Listing] = []
    for row in rows:
        if not isinstance(row, dict) or row.get("quoteAsset") not in quotes:
            continue
        status = row.get("status")
        try:
            if not isinstance(status, str) or not status:
                raise ValueError(f"status: {status!r}")
            info = SymbolInfo(
                symbol=row["symbol"], base_asset=row["baseAsset"], quote_asset=row["quoteAsset"]
            )
        except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
            log.warning("exchange_info_row_skipped", row=str(row)[:200], error=str(exc))
            continue
        out.append(Listing(info, status))
    out.sort(key=lambda listing: listing.info.symbol)
    return out


def listing_changes(old: Mapping[str, str], new: Mapping[str, str]) -> ListingChanges:
    """From one symbol -> status reading to the next."""
    listed = sorted(s for s in new if s not in old)
    delisted = sorted(s for s in old if s not in new)
    stopped = {
        s: status
        for s, status in sorted(new.items())
        if status != TRADING and old.get(s, TRADING) == TRADING
    }
    resumed = sorted(
        s for s, status in new.items() if status == TRADING and old.get(s) not in (None, TRADING)
    )
    return ListingChanges(listed, delisted, stopped, resumed)
