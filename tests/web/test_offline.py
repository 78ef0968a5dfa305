"""The installed web app without its server: a reload shows the app and the last known prices,
marked stale with their age, not the browser's error page; and a page learns of a new build."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Route, expect

from tests.web.conftest import DemoServer
from tests.web.test_dashboard import ROWS, Shot, open_markets

pytestmark = pytest.mark.browser

SW_READY_JS = """async () => {
    const reg = await navigator.serviceWorker.ready;
    return reg.active !== null;
}"""


def test_reload_without_the_server_shows_last_prices_marked_stale_with_their_age(
    page: Page, own_demo: DemoServer, shot: Shot
) -> None:
    open_markets(page, own_demo)
    manifest = page.locator("link[rel=manifest]").get_attribute("href")
    assert manifest is not None
    assert page.request.get(own_demo.url + manifest).json()["name"] == "Crypto Tracker"
    # The worker has cached the app shell, and the prices on screen are in IndexedDB.
    assert page.evaluate(SW_READY_JS)
    page.wait_for_function("() => window.cryptotracker.lastSaved() !== null", timeout=15_000)
    shot("01-online")

    own_demo.stop()
    page.reload()  # without the worker: net::ERR_CONNECTION_REFUSED, the browser's error page
    expect(page.get_by_role("heading", name="Markets")).to_be_visible()
    rows = page.locator(ROWS)
    expect(rows.first).to_be_visible()
    expect(rows.first).to_have_attribute("data-stale", "true")
    expect(rows.first.get_by_test_id("stale")).to_be_visible()
    assert re.search(r"\d", rows.first.get_by_test_id("price").inner_text())
    expect(page.get_by_test_id("outage-banner")).to_contain_text("last known prices")
    expect(page.get_by_test_id("outage-age")).to_have_text(
        re.compile(r"Last update \d+(\.\d)? (s|min) ago")
    )
    expect(page.get_by_test_id("last-update")).to_have_text(re.compile(r"Last update .+ ago"))
    shot("02-offline-reload")


def test_a_new_build_on_the_server_offers_a_reload(page: Page, demo: DemoServer) -> None:
    open_markets(page, demo)
    own = page.locator("meta[name=build-id]").get_attribute("content")
    assert own and page.request.get(demo.url + "/api/prices").json()["build"] == own
    expect(page.get_by_test_id("update-prompt")).to_have_count(0)

    # The server now serves another build (a redeploy): the next /api/prices says so.
    def redeployed(route: Route) -> None:
        body = route.fetch().json()
        route.fulfill(json={**body, "build": "0123456789ab"})

    page.route(re.compile(r"/api/prices$"), redeployed)
    # Coming back to the tab fetches fresh prices, and with them the served build.
    page.evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
    prompt = page.get_by_test_id("update-prompt")
    expect(prompt).to_contain_text("A new version is available")
    expect(page.get_by_role("status").filter(has=prompt)).to_have_count(1)
    page.unroute_all()
    page.get_by_test_id("update-reload").click()
    page.wait_for_load_state()
    expect(page.locator(ROWS).first).to_be_visible(timeout=30_000)
    page.wait_for_function("() => window.cryptotracker.stats().received > 0", timeout=30_000)
    expect(page.get_by_test_id("update-prompt")).to_have_count(0)
