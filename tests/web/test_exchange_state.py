"""The exchange's own state reaches the page: a market Binance halts is marked on its row and its
page until it trades again, and a 451 (restricted location) says so in the banner. The tracker
runs as in production (`serve`) against a simulator playing Binance and CoinGecko, so the test
drives the simulator's fault knobs directly (the demo server hides its simulator's port)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.cluster.kit import Sim, Tracker, simulator, tracker
from tests.web.conftest import require_built_app
from tests.web.test_dashboard import PRICED_ROWS_JS, Shot

pytestmark = pytest.mark.browser

SYMBOL = "ETHUSDT"
SUBSCRIBED_TO_JS = "(symbol) => window.cryptotracker.subscribed().symbols.includes(symbol)"


@pytest.fixture
def exchange() -> Iterator[Sim]:
    with simulator(symbols=30, rate=50.0) as sim:
        yield sim


@pytest.fixture
def app(exchange: Sim) -> Iterator[Tracker]:
    require_built_app()
    # exchangeInfo read every 0.5 s, so a halt shows within a second or two.
    with tracker(exchange, None, CRYPTOTRACKER_BINANCE_EXCHANGE_INFO_REFRESH_S="0.5") as t:
        yield t


def open_markets(page: Page, app: Tracker) -> None:
    page.goto(app.url + "/")
    page.wait_for_function(PRICED_ROWS_JS, arg=5, timeout=30_000)


def test_a_halted_market_is_marked_on_its_row_and_page_until_it_trades(
    page: Page, exchange: Sim, app: Tracker, shot: Shot
) -> None:
    open_markets(page, app)
    row = page.locator(f"[data-testid=market-row][data-symbol={SYMBOL}]")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("halted")).to_have_count(0)

    exchange.fault("status", symbol=SYMBOL, status="BREAK")
    expect(row.get_by_test_id("halted")).to_have_text("Trading halted (BREAK)", timeout=15_000)
    expect(row).to_have_attribute("data-halted", "BREAK")
    expect(row.get_by_test_id("price")).to_have_class(re.compile(r"\btext-muted\b"))
    shot("01-row-halted")

    page.goto(f"{app.url}/markets/{SYMBOL}")
    expect(page.get_by_test_id("halted")).to_have_text("Trading halted (BREAK)", timeout=15_000)
    expect(page.get_by_test_id("symbol-price")).to_have_attribute("data-halted", "BREAK")
    shot("02-page-halted")

    exchange.fault("status", symbol=SYMBOL, status="TRADING")
    expect(page.get_by_test_id("halted")).to_have_count(0, timeout=15_000)
    expect(page.get_by_test_id("symbol-price")).to_have_attribute("data-halted", "")


def test_a_restricted_location_is_named_in_the_banner_with_the_fallback(
    page: Page, exchange: Sim, app: Tracker, shot: Shot
) -> None:
    open_markets(page, app)
    expect(page.get_by_test_id("source-banner")).to_have_count(0)

    exchange.fault("ws_status", status=451)
    exchange.fault("rest_status", status=451)
    exchange.fault("drop")
    banner = page.get_by_test_id("source-banner")
    expect(banner).to_have_attribute("data-restricted", "true", timeout=30_000)
    expect(banner.get_by_role("status")).to_have_text(
        "Binance refuses this server's location (HTTP 451) — prices come from CoinGecko (delayed).",
        timeout=30_000,
    )
    shot("01-restricted")

    exchange.fault("clear")
    expect(banner).to_have_count(0, timeout=30_000)


def test_a_delisted_market_leaves_the_table(
    page: Page, exchange: Sim, app: Tracker, shot: Shot
) -> None:
    open_markets(page, app)
    row = page.locator(f"[data-testid=market-row][data-symbol={SYMBOL}]")
    expect(row).to_be_visible()
    # Subscribed first: the server tells the connections that hold the market.
    page.wait_for_function(SUBSCRIBED_TO_JS, arg=SYMBOL, timeout=15_000)

    exchange.fault("delist", symbol=SYMBOL)
    expect(row).to_have_count(0, timeout=15_000)
    expect(page.locator("[data-testid=market-row][data-symbol=BTCUSDT]")).to_be_visible()
    shot("01-delisted")
