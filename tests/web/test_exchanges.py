"""Which exchange each price is from, in the page: every priced market row carries its source's
badge, and a market's page compares the exchanges (book, spread, last trade age) from
GET /api/compare, marking the one whose prices are shown and an exchange's failure in its own
row. The tracker runs as in production (`serve`) against a simulator playing Binance and
CoinGecko and the Coinbase simulator, each a process."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.cluster.kit import Sim, Tracker, coinbase_env, coinbase_simulator, simulator, tracker
from tests.web.conftest import require_built_app
from tests.web.test_dashboard import PRICED_ROWS_JS, Shot

pytestmark = pytest.mark.browser

SYMBOL = "ETHUSDT"
ROW_BADGES_JS = """(source) => {
    const rows = [...document.querySelectorAll('[data-testid=market-row]')]
        .filter(r => r.dataset.source);
    return rows.length > 5 && rows.every(r => r.dataset.source === source &&
        r.querySelector('[data-testid=source-badge]')?.dataset.source === source);
}"""


@pytest.fixture
def exchange() -> Iterator[Sim]:
    with simulator(symbols=30, rate=50.0) as sim:
        yield sim


@pytest.fixture
def coinbase() -> Iterator[Sim]:
    with coinbase_simulator(symbols=30, rate=50.0) as sim:
        yield sim


@pytest.fixture
def app(exchange: Sim, coinbase: Sim) -> Iterator[Tracker]:
    require_built_app()
    with tracker(exchange, None, CRYPTOTRACKER_COMPARE_CACHE_S="1", **coinbase_env(coinbase)) as t:
        yield t


def test_every_priced_row_names_its_exchange_and_follows_a_switch(
    page: Page, exchange: Sim, app: Tracker, shot: Shot
) -> None:
    page.goto(app.url + "/")
    page.wait_for_function(PRICED_ROWS_JS, arg=5, timeout=30_000)
    page.wait_for_function(ROW_BADGES_JS, arg="binance", timeout=15_000)
    row = page.locator(f"[data-testid=market-row][data-symbol={SYMBOL}]")
    expect(row.get_by_test_id("source-badge")).to_have_text("Binance")
    shot("01-binance")

    exchange.fault("ws_status", status=451)
    exchange.fault("rest_status", status=451)
    exchange.fault("drop")
    # The row's label changes with its price's source: no row keeps a stale "Binance".
    expect(row).to_have_attribute("data-source", "coinbase", timeout=30_000)
    expect(row.get_by_test_id("source-badge")).to_have_text("Coinbase")
    page.wait_for_function(ROW_BADGES_JS, arg="coinbase", timeout=15_000)
    expect(page.get_by_test_id("source-banner").get_by_role("status")).to_have_text(
        "Binance refuses this server's location (HTTP 451) — prices come from Coinbase."
    )
    shot("02-coinbase")


def test_a_markets_page_compares_the_exchanges_and_shows_a_failing_ones_error(
    page: Page, exchange: Sim, app: Tracker, shot: Shot
) -> None:
    page.goto(f"{app.url}/markets/{SYMBOL}")
    table = page.get_by_test_id("exchange-table")
    expect(table.get_by_role("heading", name="Exchanges")).to_be_visible()
    binance = table.locator("[data-testid=exchange-row][data-source=binance]")
    coinbase = table.locator("[data-testid=exchange-row][data-source=coinbase]")
    expect(binance).to_have_attribute("data-serving", "true", timeout=30_000)
    expect(binance.get_by_test_id("serving")).to_have_text("prices shown")
    expect(binance.get_by_test_id("spread")).to_have_text(re.compile(r"^\d+(\.\d+)? \(\d"))
    expect(binance.get_by_test_id("trade-age")).to_have_text(re.compile(r" ago$"))
    expect(coinbase).to_have_attribute("data-serving", "false")
    expect(coinbase.get_by_test_id("spread")).to_have_text(re.compile(r"^\d"))
    shot("01-compared")

    exchange.fault("ws_status", status=451)
    exchange.fault("rest_status", status=451)
    exchange.fault("drop")
    # Refetched every 10 s: the refusal in Binance's row, Coinbase's prices now the ones shown.
    expect(binance.get_by_test_id("exchange-error")).to_contain_text("451", timeout=30_000)
    expect(coinbase).to_have_attribute("data-serving", "true", timeout=30_000)
    expect(page.get_by_test_id("symbol-price")).to_be_visible()
    shot("02-refused")
