"""CoinGecko's `/exchange_rates`: what one BTC is worth in each fiat currency, read every
`fx_refresh_s` as the fallback of `GET /api/rates` for currencies no live market covers.

The answer is ``{"rates": {"usd": {"name": "US Dollar", "unit": "$", "value": 97000.1,
"type": "fiat"}, ...}}`` (docs.coingecko.com, "BTC-to-Currency Exchange Rates"): every value is
units of the currency per BTC, from one snapshot, and the answer carries no time of its own, so
a reading is dated when it arrived. Values are read as the decimals CoinGecko wrote (never
through a float).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import httpx
import structlog

from cryptotracker.backoff import Backoff
from cryptotracker.clock import now_ms
from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket

log = structlog.get_logger(__name__)

_CODE = re.compile(r"^[a-z]{3,5}$")
TOKEN_POLL_S = 0.25
# Asked again this often while the app knows no CoinGecko address (demo mode, starting).
NO_URL_WAIT_S = 1.0


class RatesFormatError(ValueError):
    """The body is not CoinGecko's exchange_rates shape."""


def parse_exchange_rates(body: bytes | str) -> dict[str, Decimal]:
    """Fiat currencies (and USDT, should CoinGecko list it) -> units per BTC. Rows that are not
    fiat, not positive or not numbers are left out; a body without `rates` is an error."""
    try:
        doc = json.loads(body, parse_float=Decimal, parse_int=Decimal)
    except (ValueError, InvalidOperation) as exc:
        raise RatesFormatError(f"not JSON: {exc}") from None
    rates = doc.get("rates") if isinstance(doc, dict) else None
    if not isinstance(rates, dict):
        raise RatesFormatError("no rates object")
    out: dict[str, Decimal] = {}
    for code, row in rates.items():
        if not isinstance(row, dict) or not isinstance(code, str) or not _CODE.match(code):
            continue
        value = row.get("value")
        if row.get("type") != "fiat" and code != "usdt":
            continue
        if isinstance(value, Decimal) and value.is_finite() and value > 0:
            out[code.upper()] = value
    return out


# A reading: currency -> units per BTC, when it arrived (ms), and the API it came from.
OnReading = Callable[[dict[str, Decimal], int, str], None]


class CoinGeckoRates:
    """`run()` reads the rates every `fx_refresh_s` until cancelled and hands each reading to
    `on_reading`; a failure is logged and retried with the shared backoff policy (capped at the
    refresh interval), and the last good reading stays where it went. `url` says where
    CoinGecko's API is now (None: nowhere yet, asked again each second); each call spends from
    `bucket`, the instance's CoinGecko budget, when given."""

    def __init__(
        self,
        settings: Settings,
        on_reading: OnReading,
        url: Callable[[], str | None] | None = None,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.settings = settings
        self._on_reading = on_reading
        self._url = url if url is not None else (lambda: settings.coingecko_url)
        self._bucket = bucket

    async def run(self) -> None:
        backoff = Backoff.from_settings(self.settings)
        failures = 0
        timeout = httpx.Timeout(self.settings.rest_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, proxy=self.settings.exchange_proxy) as client:
            while True:
                url = self._url()
                if url is None:  # the demo's simulator is starting: nothing failed
                    await asyncio.sleep(NO_URL_WAIT_S)
                    continue
                try:
                    await self.refresh(client, url)
                    failures = 0
                    wait = self.settings.fx_refresh_s
                except (httpx.HTTPError, RatesFormatError) as exc:
                    failures += 1
                    wait = min(backoff.delay(failures) or backoff.max_s, self.settings.fx_refresh_s)
                    log.warning(
                        "fx_rates_failed", error=str(exc) or type(exc).__name__, wait_s=wait
                    )
                await asyncio.sleep(wait)

    async def refresh(self, client: httpx.AsyncClient, base_url: str) -> None:
        # Only a free token, as the coin metadata takes them: the fallback price poller, which
        # may owe tokens, goes first.
        while self._bucket is not None and not self._bucket.take(time.monotonic()):
            await asyncio.sleep(TOKEN_POLL_S)
        response = await client.get(base_url.rstrip("/") + "/exchange_rates")
        response.raise_for_status()
        per_btc = parse_exchange_rates(response.content)
        self._on_reading(per_btc, now_ms(), base_url)
        log.info("fx_rates_read", currencies=len(per_btc))
