"""The installed web app without its server: a reload shows the app and the last known prices,
marked stale with their age, not the browser's error page; and after a redeploy, open pages offer
a reload that brings the new build (through the service worker that cached the old one)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import DIST, DemoServer
from tests.web.test_a11y import AXE, audit, blocking
from tests.web.test_dashboard import ROWS, Shot, open_markets

pytestmark = pytest.mark.browser

SW_READY_JS = """async () => {
    const reg = await navigator.serviceWorker.ready;
    return reg.active !== null;
}"""


def test_reload_without_the_server_shows_last_prices_marked_stale_with_their_age(
    page: Page, own_demo: DemoServer, shot: Shot
) -> None:
    page.add_init_script(path=str(AXE))
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
    assert not blocking(audit(page))
    shot("02-offline-reload")


def deploy_copy(target: Path, build: str) -> Path:
    """The built app as another deploy would ship it: index.html names `build`, and sw.js, which
    lists index.html with a revision, differs, so browsers install the new worker."""
    shutil.copytree(DIST, target)
    index = target / "index.html"
    html, n = re.subn(r'(name="build-id" content=")[^"]+', rf"\g<1>{build}", index.read_text())
    assert n == 1, "the build wrote no build-id meta tag"
    index.write_text(html)
    sw = target / "sw.js"
    worker, n = re.subn(r'(url:"index.html",revision:")[^"]+', rf"\g<1>{build}", sw.read_text())
    assert n == 1, "sw.js does not precache index.html"
    sw.write_text(worker)
    return target


@pytest.mark.timeout(240)
def test_a_redeploy_offers_a_reload_that_brings_the_new_build(
    page: Page, tmp_path: Path, shot: Shot
) -> None:
    server = DemoServer(dist=deploy_copy(tmp_path / "old", "0000000000aa"))
    server.start()
    page.add_init_script(path=str(AXE))
    try:
        open_markets(page, server)
        assert page.evaluate(SW_READY_JS)
        assert page.request.get(server.url + "/api/prices").json()["build"] == "0000000000aa"
        expect(page.get_by_test_id("update-prompt")).to_have_count(0)

        server.stop()
        server.dist = deploy_copy(tmp_path / "new", "0000000000bb")
        server.start()
        # The page reconnects on its own and learns the served build with the fresh prices.
        prompt = page.get_by_test_id("update-prompt")
        expect(prompt).to_contain_text("A new version is available", timeout=30_000)
        expect(page.get_by_role("status").filter(has=prompt)).to_have_count(1)
        expect(page.locator(ROWS).first).to_be_visible()  # not blocking: the page goes on
        assert not blocking(audit(page))
        shot("01-update-prompt")

        page.get_by_test_id("update-reload").click()
        page.wait_for_function(
            "() => document.querySelector('meta[name=build-id]')?.content === '0000000000bb'",
            timeout=30_000,
        )
        expect(page.locator(ROWS).first).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("update-prompt")).to_have_count(0)
        shot("02-new-build")
    finally:
        server.stop()
