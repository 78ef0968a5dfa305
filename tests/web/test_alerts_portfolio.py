"""Alerts and the portfolio in a real Chromium against the demo server: an alert already true
when created does not fire, a move alert is judged against the server's candles, two buys of one
coin make one position at the weighted average, and on a 390 x 844 phone the portfolio is cards
and no page scrolls sideways."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support import wait_until
from tests.web.conftest import DemoServer
from tests.web.test_money_input import btc_price, stored

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]
PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/markets/BTCUSDT", "/watchlist", "/portfolio", "/alerts"]


def add_lot(page: Page, symbol: str, amount: str, price: str, fee: str = "") -> None:
    page.get_by_test_id("lot-symbol").fill(symbol)
    page.get_by_test_id("lot-amount").fill(amount)
    page.get_by_test_id("lot-price").fill(price)
    page.get_by_test_id("lot-fee").fill(fee)
    page.get_by_test_id("lot-submit").click()


def scrolls_sideways(page: Page) -> int:
    """How many pixels the page, or <main> (it scrolls the page's content), is wider than what
    shows of it: 0 when there is no horizontal scroll."""
    width: int = page.evaluate(
        """() => Math.max(...[document.documentElement, document.querySelector("main")].map(
            (el) => el.scrollWidth - el.clientWidth))"""
    )
    return width


def test_an_alert_already_true_when_created_does_not_fire(
    page: Page, demo: DemoServer, shot: Shot
) -> None:
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    price = btc_price(page, demo)
    threshold = str(math.floor(price * 0.9))
    label = page.get_by_text(re.compile(r"^Price \(now "))
    expect(label).to_be_visible(timeout=30_000)

    page.get_by_test_id("alert-kind").select_option("above")
    page.get_by_test_id("alert-price").fill(threshold)
    note = page.get_by_test_id("alert-note")
    expect(note).to_have_text(
        re.compile(r"^BTCUSDT is already above [\d,.]+ — this fires when it crosses back above$")
    )
    page.get_by_test_id("alert-submit").click()
    row = page.get_by_test_id("alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("crosses above")
    shot("01-created")

    # The engine judges every tick the page receives: let three new BTC prices arrive.
    seen = [label.inner_text()]

    def ticked() -> bool:
        now = label.inner_text()
        if now != seen[-1]:
            seen.append(now)
        return len(seen) > 3

    wait_until(ticked, timeout=30, what="three new BTCUSDT prices on the page")
    expect(row).to_have_attribute("data-state", "active")
    alert = stored(page, "cryptotracker-alerts")["state"]
    assert alert["history"] == []
    assert alert["alerts"][0]["armed"] is False, "already true: waits to cross back"
    expect(page.get_by_test_id("toast")).to_have_count(0)
    expect(page.get_by_test_id("alert-history-row")).to_have_count(0)
    shot("02-still-waiting")


def test_a_move_alert_is_judged_against_the_servers_candles(page: Page, demo: DemoServer) -> None:
    candles: list[str] = []
    page.on("request", lambda r: candles.append(r.url) if "/api/candles/" in r.url else None)
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    btc_price(page, demo)
    page.get_by_test_id("alert-kind").select_option("move")
    page.get_by_test_id("alert-percent").fill("5")
    page.get_by_test_id("alert-minutes").fill("60")
    page.get_by_test_id("alert-rearm").select_option("crossBack")
    page.get_by_test_id("alert-submit").click()
    expect(page.get_by_test_id("alert-row")).to_contain_text("moves ±5% within 60 min")
    # Its side is set only once a window of candles has come back and been compared.
    wait_until(
        lambda: stored(page, "cryptotracker-alerts")["state"]["alerts"][0]["armed"] is not None,
        timeout=30,
        what="the move alert judged against its window",
    )
    assert any("/api/candles/BTCUSDT?interval=1m&limit=61" in url for url in candles), candles


def test_buying_btc_twice_shows_one_position_at_the_weighted_average(
    page: Page, demo: DemoServer, shot: Shot
) -> None:
    page.goto(demo.url + "/portfolio")
    add_lot(page, "BTCUSDT", "0.5", "60,000")
    add_lot(page, "BTCUSDT", "0.25", "90,000")
    rows = page.get_by_test_id("position-row")
    expect(rows).to_have_count(1)
    expect(rows.get_by_test_id("position-amount")).to_have_text("0.75")
    expect(rows.get_by_test_id("position-avg")).to_have_text("70,000.00")
    rows.get_by_test_id("position-lots-toggle").click()
    expect(page.get_by_test_id("lot-row")).to_have_count(2)

    # One slice for the coin, and the totals say their currency.
    legend = page.get_by_test_id("allocation").locator("li")
    expect(legend).to_have_count(1, timeout=30_000)
    expect(legend).to_contain_text("BTC")
    expect(page.get_by_test_id("portfolio-total").locator("..")).to_contain_text("USDT")
    shot("01-one-position")

    # A sell at 100,000 with a 20 USDT fee realises 0.25 x (100,000 - 70,000) - 20.
    page.get_by_test_id("lot-side").select_option("sell")
    add_lot(page, "BTCUSDT", "0.25", "100,000", fee="20")
    expect(rows.get_by_test_id("position-amount")).to_have_text("0.5")
    expect(rows.get_by_test_id("position-avg")).to_have_text("70,000.00")
    expect(page.get_by_test_id("portfolio-realised")).to_have_text("+7,480.00")
    expect(page.get_by_text("Average-cost method")).to_be_visible()
    sides = [lot["side"] for lot in stored(page, "cryptotracker-portfolio")["state"]["lots"]]
    assert sides == ["buy", "buy", "sell"]
    shot("02-sold")


def test_phone_portfolio_is_cards_and_no_page_scrolls_sideways(
    page: Page, demo: DemoServer, shot: Shot
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(demo.url + "/portfolio")
    add_lot(page, "BTCUSDT", "0.5", "60000")
    add_lot(page, "ETHUSDT", "2", "3000")
    cards = page.get_by_test_id("position-card")
    expect(cards).to_have_count(2)
    expect(page.get_by_test_id("position-row").first).to_be_hidden()
    for card in cards.all():
        for part in ("position-value", "position-pnl"):
            cell = card.get_by_test_id(part)
            expect(cell).to_be_visible(timeout=30_000)
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (part, box)
    cards.first.scroll_into_view_if_needed()
    cards.first.get_by_test_id("position-lots-toggle").click()
    expect(cards.first.get_by_test_id("lot-row")).to_have_count(1)
    shot("01-portfolio-cards")

    for path in PAGES:
        page.goto(demo.url + path)
        expect(page.locator("main")).to_be_visible()
        page.wait_for_load_state("networkidle")
        assert scrolls_sideways(page) == 0, f"{path} scrolls sideways on a phone"
        shot(f"02-{path.strip('/').replace('/', '-') or 'markets'}")
