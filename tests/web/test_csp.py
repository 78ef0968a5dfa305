"""The web app under its Content-Security-Policy in a real Chromium: every page loads, with
content on it, and nothing is refused; prices and candles still stream."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.web.conftest import DemoServer
from tests.web.test_dashboard import ROWS, Shot, open_markets, wait_prices_change

pytestmark = pytest.mark.browser

# Injected by Playwright, outside the page's policy: records what the policy refuses.
RECORD_VIOLATIONS = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
    `${e.effectiveDirective} refused ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile}:${e.lineNumber}`));
"""


class Violations:
    """CSP refusals the page reports, from the console and from `securitypolicyviolation`."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.events: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def collect(self) -> None:
        """Before leaving a page: its events go with its document."""
        self.events += self.page.evaluate("() => window.__cspViolations || []")

    def assert_none(self) -> None:
        self.collect()
        assert not self.console and not self.events, (self.console, self.events)


def visit(page: Page, violations: Violations, url: str) -> None:
    violations.collect()
    reply = page.goto(url)
    assert reply is not None and "script-src 'self'" in reply.headers["content-security-policy"]


@pytest.mark.timeout(240)
def test_every_page_runs_under_the_policy(page: Page, demo: DemoServer, shot: Shot) -> None:
    violations = Violations(page)
    visit(page, violations, demo.url + "/")
    open_markets(page, demo)
    wait_prices_change(page)
    # theme.js (no longer inline) ran before the app: the dark scheme of the context.
    assert page.evaluate("() => document.documentElement.classList.contains('dark')")
    first = page.locator(ROWS).first
    starred = first.get_attribute("data-symbol")
    first.get_by_test_id("star").click()
    shot("01-markets")

    visit(page, violations, f"{demo.url}/markets/{starred}")
    chart = page.get_by_test_id("candle-chart")
    expect(chart).to_have_attribute("data-status", "ready", timeout=20_000)
    page.wait_for_function(
        "el => Number(el.dataset.liveUpdates) >= 2", arg=chart.element_handle(), timeout=20_000
    )
    shot("02-symbol-chart")

    visit(page, violations, demo.url + "/watchlist")
    expect(page.locator(f"{ROWS}[data-symbol={starred}]")).to_be_visible(timeout=15_000)
    shot("03-watchlist")

    visit(page, violations, demo.url + "/portfolio")
    page.get_by_test_id("lot-symbol").fill("BTCUSDT")
    page.get_by_test_id("lot-amount").fill("0.5")
    page.get_by_test_id("lot-price").fill("1000")
    page.get_by_test_id("lot-submit").click()
    expect(page.get_by_test_id("allocation")).to_be_visible(timeout=15_000)
    shot("04-portfolio")

    visit(page, violations, demo.url + "/alerts?symbol=BTCUSDT")
    page.get_by_test_id("alert-kind").select_option("above")
    page.get_by_test_id("alert-price").fill("1")
    page.get_by_test_id("alert-submit").click()
    # Already true when made: stored and waiting for a crossing, not fired.
    expect(page.get_by_test_id("alert-row")).to_have_attribute("data-state", "active")
    shot("05-alerts")
    violations.assert_none()


def test_a_violation_would_be_seen(page: Page, demo: DemoServer) -> None:
    """The check above can fail: an inline script injected by the page is refused and reported."""
    violations = Violations(page)
    visit(page, violations, demo.url + "/")
    page.evaluate("""() => { const s = document.createElement("script");
        s.textContent = "window.__ran = true"; document.head.append(s); }""")
    page.wait_for_function("() => window.__cspViolations.length > 0", timeout=5_000)
    assert page.evaluate("() => window.__ran") is None
    with pytest.raises(AssertionError, match="script-src"):
        violations.assert_none()
