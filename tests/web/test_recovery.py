"""A page whose chunk failed to load says so and recovers: Retry once the server is back, Reload
once a new build is deployed."""

from __future__ import annotations

import re
from typing import Literal

import pytest
from playwright.sync_api import Page, Route, expect

from tests.web.conftest import DemoServer
from tests.web.test_dashboard import Shot, open_markets

pytestmark = pytest.mark.browser

ROWS = "[data-testid=market-row]"


@pytest.fixture
def service_workers() -> Literal["allow", "block"]:
    # These tests make chunks fail and swap index.html: the service worker would serve both
    # from its cache (what it is for), so they run as a first visit without one.
    return "block"


def test_symbol_page_loads_on_retry_after_server_restart(
    page: Page, own_demo: DemoServer, shot: Shot
) -> None:
    open_markets(page, own_demo)
    row = page.locator(ROWS).first
    symbol = row.get_attribute("data-symbol")

    own_demo.stop()
    row.locator("a").click()
    error = page.get_by_test_id("route-error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("data-deployment", "unreachable")
    expect(error).to_contain_text("server is not reachable")
    expect(page.get_by_test_id("route-retry")).to_be_visible()
    shot("01-chunk-failed")

    own_demo.start()
    page.get_by_test_id("route-retry").click()
    expect(page.get_by_test_id("symbol-price")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("route-error")).to_have_count(0)
    assert page.url.endswith(f"/markets/{symbol}")
    shot("02-retried")


def test_new_deployment_offers_reload(page: Page, demo: DemoServer, shot: Shot) -> None:
    open_markets(page, demo)
    # A redeploy: the old page chunk is gone and index.html names another entry chunk.
    page.route(re.compile(r"/assets/SymbolPage-[^/]+\.js$"), lambda route: route.abort())

    def new_index(route: Route) -> None:
        html = route.fetch().text()
        route.fulfill(
            body=re.sub(r"/assets/index-[^\"]+\.js", "/assets/index-NEWBUILD.js", html),
            content_type="text/html",
        )

    page.route(demo.url + "/", new_index)
    page.locator(ROWS).first.locator("a").click()
    error = page.get_by_test_id("route-error")
    expect(error).to_have_attribute("data-deployment", "changed")
    expect(error).to_contain_text("new version")
    expect(page.get_by_test_id("route-retry")).to_have_count(0)
    shot("01-new-version")

    page.unroute_all()
    page.get_by_test_id("route-reload").click()
    expect(page.get_by_test_id("symbol-price")).to_be_visible(timeout=30_000)
