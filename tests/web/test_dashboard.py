"""The dashboard in a real Chromium against the demo server (simulator as the exchange)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, WebSocket, expect

from tests.support import wait_until
from tests.web.conftest import DemoServer

pytestmark = pytest.mark.browser

ROWS = "[data-testid=market-row]"
# Prices of the first rows, as shown.
FIRST_PRICES_JS = """() => [...document.querySelectorAll('[data-testid=market-row]')]
    .slice(0, 12)
    .map(r => r.dataset.symbol + '=' + r.querySelector('[data-testid=price]').textContent)"""
RENDERED_JS = """() => [...document.querySelectorAll('[data-testid=market-row]')]
    .map(r => r.dataset.symbol).sort()"""
PRICED_ROWS_JS = """(n) => [...document.querySelectorAll('[data-testid=market-row]')]
    .filter(r => r.dataset.source).length > n"""
SUBSCRIBED_JS = """(want) =>
    JSON.stringify(window.cryptotracker.subscribed().symbols) === JSON.stringify(want)"""

ROWS_IN_ORDER_JS = """() => [...document.querySelectorAll('[data-testid=market-row]')]
    .sort((a, b) => a.getAttribute('aria-rowindex') - b.getAttribute('aria-rowindex'))
    .map(r => ({
        symbol: r.dataset.symbol,
        pair: r.querySelector('a').textContent,
        price: r.querySelector('[data-testid=price]').textContent,
    }))"""

Shot = Callable[[str], Path]


def rows_in_order(page: Page) -> list[dict[str, str]]:
    """Rendered rows top to bottom (virtual rows are positioned, DOM order is not screen order)."""
    rows: list[dict[str, str]] = page.evaluate(ROWS_IN_ORDER_JS)
    return rows


def open_markets(page: Page, server: DemoServer) -> None:
    page.goto(server.url + "/")
    expect(page.locator(ROWS).first).to_be_visible(timeout=30_000)
    # Wait for live prices on the rows on screen (the first value comes from the HTTP snapshot).
    page.wait_for_function(PRICED_ROWS_JS, arg=5, timeout=30_000)


def wait_prices_change(page: Page, timeout_ms: int = 20_000) -> None:
    before = page.evaluate(FIRST_PRICES_JS)
    page.wait_for_function(
        f"""(before) => {{
            const now = ({FIRST_PRICES_JS})();
            return now.some(p => !before.includes(p));
        }}""",
        arg=before,
        timeout=timeout_ms,
    )


def numbers(texts: list[str]) -> list[float]:
    return [float(t.replace(",", "")) for t in texts if re.search(r"\d", t)]


class SocketLog:
    """Socket.IO frames the page sends: the subscribe/unsubscribe requests it made."""

    def __init__(self, page: Page) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        page.on("websocket", self._attach)

    def _attach(self, ws: WebSocket) -> None:
        ws.on("framesent", self._frame)

    def _frame(self, payload: str | bytes) -> None:
        text = payload.decode() if isinstance(payload, bytes) else payload
        # Socket.IO event packet: "42" + optional ack id + JSON array [event, data].
        m = re.match(r"^42\d*(\[.*)$", text, re.S)
        if not m:
            return
        event, *args = json.loads(m.group(1))
        if event in ("subscribe", "unsubscribe") and args and isinstance(args[0], dict):
            self.sent.append((event, args[0]))

    def subscribed(self) -> set[str]:
        symbols: set[str] = set()
        for event, data in self.sent:
            if event == "subscribe":
                symbols |= set(data.get("symbols", []))
            else:
                symbols -= set(data.get("symbols", []))
        return symbols

    def unsubscribed(self) -> set[str]:
        return {s for e, d in self.sent if e == "unsubscribe" for s in d.get("symbols", [])}


def test_page_loads_and_prices_change(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "connected")
    count = page.locator(ROWS).count()
    assert count > 10, f"only {count} rows rendered"
    shot("01-loaded")
    wait_prices_change(page)
    expect(page.get_by_test_id("last-update")).to_contain_text("Last update")
    shot("02-prices-changed")


def _metric(page: Page, server: DemoServer, name: str) -> float:
    text = page.request.get(f"{server.url}/metrics").text()
    m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_telemetry_reaches_metrics(page: Page, demo: DemoServer) -> None:
    batches = "cryptotracker_client_telemetry_batches_total"
    before = _metric(page, demo, batches)
    open_markets(page, demo)
    # Leaving the tab sends what was measured at once (a beacon), without the 30 s batch wait.
    page.evaluate(
        """() => {
            Object.defineProperty(document, 'visibilityState', { value: 'hidden' });
            document.dispatchEvent(new Event('visibilitychange'));
        }"""
    )
    wait_until(lambda: _metric(page, demo, batches) > before, timeout=15, what="a telemetry batch")
    assert _metric(page, demo, "cryptotracker_client_load_seconds_count") >= 1
    assert _metric(page, demo, "cryptotracker_client_interactive_seconds_count") >= 1


def test_simulator_banner_shows(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    banner = page.get_by_test_id("source-banner")
    expect(banner).to_be_visible()
    expect(banner).to_have_attribute("data-source", "simulator")
    expect(banner).to_contain_text("Simulated prices")
    expect(
        page.locator(f"{ROWS} [data-testid=source-badge][data-source=simulator]").first
    ).to_be_visible()
    shot("01-simulator-banner")


def test_sort_and_search(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    page.get_by_test_id("sort-price").click()
    header = page.locator("[role=columnheader][aria-sort=descending]")
    expect(header).to_contain_text("Last price")
    # The order is taken from prices refreshed once a second; rows show the newest ones.
    prices = numbers([r["price"] for r in rows_in_order(page)[:10]])
    assert len(prices) >= 5
    assert prices == sorted(prices, reverse=True) or _nearly_sorted(prices, reverse=True), prices
    shot("01-sorted-by-price-desc")

    page.get_by_test_id("sort-price").click()
    expect(page.locator("[role=columnheader][aria-sort=ascending]")).to_contain_text("Last price")
    prices = numbers([r["price"] for r in rows_in_order(page)[:10]])
    assert prices == sorted(prices) or _nearly_sorted(prices), prices

    page.get_by_test_id("sort-symbol").click()
    # By coin, then quote ("ETH/USDT" before "ETHFI/USDT").
    pairs = [tuple(r["pair"].split("/")) for r in rows_in_order(page)[:10]]
    assert pairs == sorted(pairs), pairs
    page.get_by_test_id("sort-symbol").click()
    pairs = [tuple(r["pair"].split("/")) for r in rows_in_order(page)[:10]]
    assert pairs == sorted(pairs, reverse=True), pairs

    # Every market, not the default one row per coin: the search narrows markets.
    page.get_by_test_id("best-per-coin").click()
    expect(page.get_by_test_id("row-count")).to_have_text(re.compile(r"^\d+ markets$"))
    total = int(page.get_by_test_id("row-count").inner_text().split()[0])
    page.keyboard.press("/")
    expect(page.get_by_test_id("search")).to_be_focused()
    page.keyboard.type("eth")
    # ETH and ETHFI against every quote: a few dozen of the ~1,400 markets.
    expect(page.get_by_test_id("row-count")).not_to_have_text(f"{total} markets")
    assert 0 < int(page.get_by_test_id("row-count").inner_text().split()[0]) < total / 5
    shown = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.symbol)")
    assert shown, "no row matches ETH"
    assert all("ETH" in s for s in shown), shown
    shot("02-search-eth")
    page.get_by_test_id("search").fill("ZZZNOPE")
    expect(page.locator(ROWS)).to_have_count(0)
    expect(page.get_by_text("No market matches")).to_be_visible()


def _nearly_sorted(values: list[float], reverse: bool = False) -> bool:
    """Live prices may move between the sort (refreshed each second) and the read: allow one
    neighbouring pair to cross by less than 1 %."""
    bad = 0
    for a, b in itertools.pairwise(values):
        wrong = a < b if reverse else a > b
        if wrong:
            bad += 1
            if abs(a - b) > 0.01 * max(abs(a), abs(b)):
                return False
    return bad <= 1


def test_subscriptions_follow_visible_rows(page: Page, demo: DemoServer, shot: Shot) -> None:
    log = SocketLog(page)
    open_markets(page, demo)
    first = set(page.evaluate(RENDERED_JS))
    page.wait_for_function(
        SUBSCRIBED_JS,
        arg=sorted(first),
        timeout=15_000,
    )
    assert log.subscribed() == first, (sorted(log.subscribed()), sorted(first))
    total = int(page.get_by_test_id("row-count").inner_text().split()[0])
    assert len(first) < total / 3, "every row subscribed: the table is not virtualised"
    shot("01-top-rows-subscribed")

    page.get_by_test_id("markets-scroll").evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    page.wait_for_function(
        "(first) => !document.querySelector(`[data-symbol='${first}']`)", arg=sorted(first)[0]
    )
    middle = set(page.evaluate(RENDERED_JS))
    assert middle.isdisjoint(first)
    page.wait_for_function(
        SUBSCRIBED_JS,
        arg=sorted(middle),
        timeout=15_000,
    )
    assert log.subscribed() == middle
    assert first <= log.unsubscribed(), "rows that left the screen were not unsubscribed"
    # The rows now on screen get live prices.
    page.wait_for_function(PRICED_ROWS_JS, arg=5)
    shot("02-middle-rows-subscribed")


def test_portfolio_and_watchlist_survive_reload(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    first = page.locator(ROWS).first
    starred = first.get_attribute("data-symbol")
    first.get_by_test_id("star").click()
    expect(first.get_by_test_id("star")).to_have_attribute("aria-pressed", "true")

    page.get_by_role("link", name="Portfolio").click()
    price = float(page.request.get(f"{demo.url}/api/prices/BTCUSDT").json()["price"])
    page.get_by_test_id("lot-symbol").fill("BTCUSDT")
    page.get_by_test_id("lot-amount").fill("-1")
    page.get_by_test_id("lot-price").fill(f"{price / 2:.2f}")
    page.get_by_test_id("lot-submit").click()
    expect(page.get_by_text("Amount cannot be negative")).to_be_visible()
    expect(page.get_by_test_id("position-row")).to_have_count(0)

    page.get_by_test_id("lot-amount").fill("0.5")
    page.get_by_test_id("lot-submit").click()
    row = page.locator("[data-testid=position-row][data-symbol=BTCUSDT]")
    expect(row).to_be_visible()
    # Bought at half the price: about +100 %.
    expect(row.get_by_test_id("position-pnl")).to_have_text(
        re.compile(r"^\+[\d,.]+\s*\(\+(9\d|1\d\d)\.\d\d%\)$")
    )
    expect(page.get_by_test_id("portfolio-total")).not_to_have_text("0.00")
    expect(page.get_by_test_id("allocation")).to_be_visible()
    shot("01-portfolio-with-pnl")

    # CSV out, and in: the valid line is imported, the bad one reported.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    assert exported.startswith("symbol,side,amount,price,fee,date\nBTCUSDT,buy,0.5,"), exported
    csv: FilePayload = {
        "name": "holdings.csv",
        "mimeType": "text/csv",
        "buffer": b"symbol,amount,avgBuyPrice\nETHUSDT,2,1\nNOPEUSDT,abc,1\n",
    }
    page.get_by_test_id("csv-input").set_input_files(files=[csv])
    expect(page.get_by_test_id("toast").filter(has_text="Imported 1 lot")).to_contain_text("line 3")
    expect(page.locator("[data-testid=position-row][data-symbol=ETHUSDT]")).to_be_visible()
    shot("02-portfolio-after-import")

    page.reload()
    expect(page.locator("[data-testid=position-row][data-symbol=BTCUSDT]")).to_be_visible()
    expect(page.locator("[data-testid=position-row][data-symbol=ETHUSDT]")).to_be_visible()
    expect(page.get_by_test_id("position-pnl").first).to_have_text(re.compile(r"^\+"))
    page.get_by_role("link", name=re.compile("^Watchlist")).click()
    expect(page.locator(f"{ROWS}[data-symbol={starred}]")).to_be_visible(timeout=20_000)
    expect(page.locator(ROWS)).to_have_count(1)
    shot("03-watchlist-after-reload")


def test_keyboard_opens_symbol_with_live_chart(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    page.keyboard.press("j")
    selected = page.locator(f"{ROWS}[aria-selected=true]")
    expect(selected).to_have_count(1)
    page.keyboard.press("j")
    symbol = selected.get_attribute("data-symbol")
    assert symbol == page.locator(ROWS).nth(1).get_attribute("data-symbol")
    page.keyboard.press("s")
    expect(selected.get_by_test_id("star")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/markets/{symbol}$"))
    expect(page.get_by_test_id("candle-chart")).to_have_attribute(
        "data-status", "ready", timeout=20_000
    )
    expect(page.get_by_test_id("symbol-price")).not_to_have_text("—")
    # The forming candle moves with live candle_update events.
    chart = page.get_by_test_id("candle-chart")
    page.wait_for_function(
        "el => Number(el.dataset.liveUpdates) >= 2", arg=chart.element_handle(), timeout=20_000
    )
    shot("01-symbol-page")

    page.get_by_test_id("interval-1h").click()
    expect(chart).to_have_attribute("data-status", "ready", timeout=20_000)
    page.wait_for_function(
        """(symbol) => {
            const c = window.cryptotracker.subscribed().candles;
            return c.length === 1 && c[0].symbol === symbol && c[0].interval === '1h';
        }""",
        arg=symbol,
        timeout=15_000,
    )
    page.wait_for_function(
        "el => Number(el.dataset.liveUpdates) >= 1", arg=chart.element_handle(), timeout=20_000
    )
    shot("02-symbol-page-1h")


@pytest.mark.timeout(240)
def test_row_click_and_keyboard_open_pairs(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    # The highlight cards name pairs as the table does.
    card_pair = page.locator("[data-testid=highlight-row] a").first
    expect(card_pair).to_have_text(re.compile(r"^[A-Z0-9]+/[A-Z]+$"))

    # A click on the price cell, not on the pair text, opens the pair.
    row = page.locator(ROWS).nth(2)
    symbol = row.get_attribute("data-symbol")
    row.get_by_test_id("price").click()
    expect(page).to_have_url(re.compile(f"/markets/{symbol}$"))
    expect(page.get_by_test_id("symbol-price")).to_be_visible(timeout=20_000)

    page.go_back()
    expect(page.locator(ROWS).first).to_be_visible()
    # Tab reaches the rows (after the search and quote tabs and the sort headers, the last one
    # market cap's); Enter opens.
    page.get_by_test_id("sort-marketCap").focus()
    page.keyboard.press("Tab")
    focused = page.locator(f"{ROWS}:focus")
    expect(focused).to_have_count(1)
    symbol = focused.get_attribute("data-symbol")
    shot("01-row-focused")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(f"/markets/{symbol}$"))


def test_reconnects_after_server_restart(page: Page, own_demo: DemoServer, shot: Shot) -> None:
    open_markets(page, own_demo)
    page.evaluate("() => { window.__sameDocument = true; }")
    status = page.get_by_test_id("connection-status")
    expect(status).to_have_attribute("data-state", "connected")

    own_demo.stop()
    expect(status).to_have_attribute("data-state", "reconnecting", timeout=20_000)
    expect(page.get_by_test_id("connection-label")).to_contain_text(re.compile(r"attempt \d+"))
    expect(page.get_by_test_id("outage-banner")).to_be_visible()
    expect(page.locator(f"{ROWS}[data-stale=true]").first).to_be_visible()
    expect(page.locator(f"{ROWS}[data-stale=false]")).to_have_count(0)
    expect(page.locator("[data-testid=highlight-row][data-stale=true]").first).to_be_visible()
    expect(page.locator("[data-testid=highlight-row][data-stale=false]")).to_have_count(0)
    # Cached prices stay on screen.
    assert all(
        t != "—" for t in page.locator(f"{ROWS} [data-testid=price]").all_text_contents()[:5]
    )
    shot("01-reconnecting-stale")

    own_demo.start()
    # The client retries on its own (backoff 1 s → 5 s while the tab is visible): no reload.
    expect(status).to_have_attribute("data-state", "connected", timeout=60_000)
    expect(page.get_by_test_id("outage-banner")).to_have_count(0)
    expect(page.locator(f"{ROWS}[data-stale=true]")).to_have_count(0, timeout=20_000)
    expect(page.locator("[data-testid=highlight-row][data-stale=true]")).to_have_count(0)
    # The new server session got the page's subscriptions back.
    # Compared with the rows shown at each check: the fresh prices after the reconnect re-sort them.
    page.wait_for_function(f"() => ({SUBSCRIBED_JS})(({RENDERED_JS})())", timeout=15_000)
    wait_prices_change(page)
    assert page.evaluate("() => window.__sameDocument === true"), "the page was reloaded"
    shot("02-reconnected")


def test_alert_fires_with_toast(page: Page, demo: DemoServer, shot: Shot) -> None:
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    expect(page.get_by_test_id("alert-symbol")).to_have_value("BTCUSDT")
    url = f"{demo.url}/api/prices/BTCUSDT"
    wait_until(lambda: page.request.get(url).ok, timeout=30, what="a BTCUSDT price")
    level = page.request.get(url).json()["price"]
    # One that cannot fire, and both crossings of the price now: whichever way the market
    # moves first crosses one of them (an alert already true when made waits for a crossing).
    for kind, price in (("below", "0.00000001"), ("above", level), ("below", level)):
        page.get_by_test_id("alert-kind").select_option(kind)
        page.get_by_test_id("alert-price").fill(price)
        page.get_by_test_id("alert-submit").click()
    expect(page.get_by_test_id("alert-row")).to_have_count(3)

    toast = page.get_by_test_id("toast").filter(has_text="Alert: BTCUSDT")
    expect(toast.first).to_be_visible(timeout=60_000)
    expect(toast.first).to_contain_text(re.compile(r"BTCUSDT crossed (above|below)"))
    rows = page.get_by_test_id("alert-row")
    never = rows.filter(has_text="0.00000001")
    expect(never).to_have_attribute("data-state", "active")
    triggered = rows.and_(page.locator("[data-state=triggered]"))
    expect(triggered.first).to_be_visible()
    shot("01-alert-fired")

    page.reload()
    expect(page.get_by_test_id("alert-row")).to_have_count(3)
    expect(page.locator("[data-testid=alert-row][data-state=triggered]").first).to_be_visible()
    expect(page.get_by_test_id("alert-history-row").first).to_contain_text("BTCUSDT")


def test_phone_width_light_theme(page: Page, demo: DemoServer, shot: Shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.emulate_media(color_scheme="light")
    open_markets(page, demo)
    expect(page.locator("html")).not_to_have_class(re.compile(r"\bdark\b"))
    overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
    assert page.evaluate(overflow) <= 0, "the markets page scrolls sideways on a phone"
    # The quote filter narrows the list to one quote asset.
    tabs = page.get_by_role("tab")
    if tabs.count() > 2:
        quote = tabs.nth(2).inner_text()
        tabs.nth(2).click()
        symbols = page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.symbol)")
        assert symbols and all(s.endswith(quote) for s in symbols), (quote, symbols)
        tabs.first.click()
    shot("01-markets-phone-light")

    page.locator(ROWS).first.locator("a").first.click()
    expect(page.get_by_test_id("candle-chart")).to_have_attribute(
        "data-status", "ready", timeout=20_000
    )
    assert page.evaluate(overflow) <= 0, "the symbol page scrolls sideways on a phone"
    shot("02-symbol-phone-light")

    page.get_by_test_id("theme-toggle").click()  # system → dark
    expect(page.locator("html")).to_have_class(re.compile(r"\bdark\b"))
    page.get_by_role("link", name="Portfolio").click()
    expect(page.get_by_test_id("lot-symbol")).to_be_visible()
    assert page.evaluate(overflow) <= 0, "the portfolio page scrolls sideways on a phone"
    shot("03-portfolio-phone-dark")
