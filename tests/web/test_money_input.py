"""Typed numbers in a real Chromium: thousands separators read in the browser's locale, what is
stored (localStorage) and shown, and ambiguous input refused next to its field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Locator, Page, expect

from tests.support import wait_until
from tests.web.conftest import DemoServer

pytestmark = pytest.mark.browser

Shot = Callable[[str], Path]


def stored(page: Page, key: str) -> Any:
    return page.evaluate("(key) => JSON.parse(localStorage.getItem(key) ?? 'null')", key)


def expect_error(page: Page, field: Locator, text: str) -> None:
    """The field is marked invalid and described by the message shown next to it."""
    expect(field).to_have_attribute("aria-invalid", "true")
    described_by = field.get_attribute("aria-describedby")
    assert described_by, "an invalid field points at its message"
    expect(page.locator(f"[id='{described_by}']")).to_have_text(text)


def btc_price(page: Page, demo: DemoServer) -> float:
    """The simulator's BTCUSDT price, once it has one."""
    url = f"{demo.url}/api/prices/BTCUSDT"
    wait_until(lambda: page.request.get(url).ok, timeout=30, what="a BTCUSDT price")
    return float(page.request.get(url).json()["price"])


def create_alert(page: Page, price: str) -> None:
    page.get_by_test_id("alert-kind").select_option("above")
    page.get_by_test_id("alert-price").fill(price)
    page.get_by_test_id("alert-submit").click()


def add_lot(page: Page, amount: str, price: str) -> None:
    page.get_by_test_id("lot-symbol").fill("BTCUSDT")
    page.get_by_test_id("lot-amount").fill(amount)
    page.get_by_test_id("lot-price").fill(price)
    page.get_by_test_id("lot-submit").click()


def stored_lots(page: Page) -> list[tuple[str, str, str]]:
    lots = stored(page, "cryptotracker-portfolio")["state"]["lots"]
    return [(lot["symbol"], lot["amount"], lot["price"]) for lot in lots]


def test_en_us_thousands_separators_are_read_not_cut(
    page: Page, demo: DemoServer, shot: Shot
) -> None:
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    expect(page.get_by_test_id("alert-symbol")).to_have_value("BTCUSDT")
    create_alert(page, "1,00")
    expect_error(page, page.get_by_test_id("alert-price"), "Did you mean 100 or 1.00?")
    assert stored(page, "cryptotracker-alerts") is None
    shot("01-alert-ambiguous")

    price = btc_price(page, demo)
    assert price < 100_000, f"the simulator's BTCUSDT ({price}) should start below 100,000"
    create_alert(page, "100,000")
    row = page.get_by_test_id("alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("crosses above 100,000.00")
    alerts = stored(page, "cryptotracker-alerts")["state"]["alerts"]
    assert [a["condition"] for a in alerts] == [{"kind": "above", "price": "100000"}]
    expect(page.get_by_test_id("alert-price")).not_to_have_attribute("aria-invalid", "true")
    # The alert has seen a price below its threshold and waits to cross it (read as 100.000 it
    # would start above, not armed).
    wait_until(
        lambda: stored(page, "cryptotracker-alerts")["state"]["alerts"][0]["armed"] is True,
        timeout=20,
        what="the alert armed below 100,000",
    )
    expect(row).to_have_attribute("data-state", "active")
    shot("02-alert-saved")

    page.get_by_role("link", name="Portfolio").click()
    add_lot(page, "1,00", "100,000")
    expect_error(page, page.get_by_test_id("lot-amount"), "Did you mean 100 or 1.00?")
    expect(page.get_by_test_id("position-row")).to_have_count(0)
    add_lot(page, "100,000", "100,000")
    row = page.locator("[data-testid=position-row][data-symbol=BTCUSDT]")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("position-amount")).to_have_text("100,000")
    expect(row.get_by_test_id("position-avg")).to_have_text("100,000.00")
    assert stored_lots(page) == [("BTCUSDT", "100000", "100000")]

    # A CSV cell "1,000" is a thousand, not one.
    csv: FilePayload = {
        "name": "holdings.csv",
        "mimeType": "text/csv",
        "buffer": b'symbol,amount,avgBuyPrice\nETHUSDT,"1,000","3,000.5"\n',
    }
    page.get_by_test_id("csv-input").set_input_files(files=[csv])
    expect(page.get_by_test_id("toast").filter(has_text="Imported 1 lot")).to_be_visible()
    assert stored_lots(page) == [
        ("BTCUSDT", "100000", "100000"),
        ("ETHUSDT", "1000", "3000.5"),
    ]
    shot("03-portfolio")


@pytest.mark.parametrize("page_locale", ["de-DE"])
def test_de_de_reads_german_notation(page: Page, demo: DemoServer, shot: Shot) -> None:
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    expect(page.get_by_test_id("alert-symbol")).to_have_value("BTCUSDT")
    create_alert(page, "1.000")
    expect_error(page, page.get_by_test_id("alert-price"), "Did you mean 1000 or 1,000?")
    create_alert(page, "1.000,5")
    row = page.get_by_test_id("alert-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("crosses above 1.000,50")
    alerts = stored(page, "cryptotracker-alerts")["state"]["alerts"]
    assert [a["condition"]["price"] for a in alerts] == ["1000.5"]
    shot("01-alert-saved")

    page.get_by_role("link", name="Portfolio").click()
    add_lot(page, "1.000,5", "60.000,25")
    row = page.locator("[data-testid=position-row][data-symbol=BTCUSDT]")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("position-amount")).to_have_text("1.000,5")
    expect(row.get_by_test_id("position-avg")).to_have_text("60.000,25")
    assert stored_lots(page) == [("BTCUSDT", "1000.5", "60000.25")]
    # The total is shown in the locale's notation too.
    expect(page.get_by_test_id("portfolio-total")).to_have_text(re.compile(r"^[\d.]+,\d\d$"))
    # The lot behind the position, as entered.
    row.get_by_test_id("position-lots-toggle").click()
    expect(page.get_by_test_id("lot-row")).to_contain_text("1.000,5 @ 60.000,25")
    shot("02-portfolio")

    # A spreadsheet's CSV (";" between cells, German numbers), then the app's own export back in:
    # its 1.234 reads two ways in de-DE, and the file's other cells (1000.5) say which.
    csv: FilePayload = {
        "name": "depot.csv",
        "mimeType": "text/csv",
        "buffer": b"symbol;amount;avgBuyPrice\nETHUSDT;1.000;3.000,5\nSOLUSDT;1,234;150\n",
    }
    page.get_by_test_id("csv-input").set_input_files(files=[csv])
    expect(page.get_by_test_id("toast").filter(has_text="Imported 2 lots")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    exported = Path(download.value.path()).read_text()
    lines = exported.splitlines()
    assert lines[0] == "symbol,side,amount,price,fee,date", exported
    assert [line.rsplit(",", 1)[0] for line in lines[1:]] == [
        "BTCUSDT,buy,1000.5,60000.25,0",
        "ETHUSDT,buy,1000,3000.5,0",
        "SOLUSDT,buy,1.234,150,0",
    ], exported
    before = stored(page, "cryptotracker-portfolio")["state"]["lots"]
    own: FilePayload = {"name": "p.csv", "mimeType": "text/csv", "buffer": exported.encode()}
    page.get_by_test_id("csv-input").set_input_files(files=[own])
    expect(page.get_by_test_id("toast").filter(has_text="Imported 3 lots")).to_be_visible()
    after = stored(page, "cryptotracker-portfolio")["state"]["lots"]
    fields = ("symbol", "side", "amount", "price", "fee", "at")
    assert [[lot[f] for f in fields] for lot in after] == [
        [lot[f] for f in fields] for lot in before
    ]
