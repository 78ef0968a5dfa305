"""An automated accessibility audit (axe-core, from web/node_modules) of every page in both
themes, on a desktop and a phone width: no serious or critical violation. The keyboard path
through the markets table is pinned by test_dashboard.py (test_row_click_and_keyboard_open_pairs).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.support import ROOT
from tests.web.conftest import DemoServer
from tests.web.test_dashboard import ROWS, Shot, open_markets

pytestmark = pytest.mark.browser

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
# Every route of web/src/app/App.tsx, with what shows that it has rendered its content.
PAGES = (
    ("/", ROWS),
    ("/markets/BTCUSDT", "[data-testid=candle-chart][data-status=ready]"),
    ("/watchlist", ROWS),
    ("/portfolio", "[data-testid=allocation]"),
    ("/alerts", "[data-testid=alert-price]"),
)
RUN_AXE = """async () => {
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ") + ": " + n.failureSummary),
    }));
}"""


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in violations
        if v["impact"] in BLOCKING
    ]


def audit(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.evaluate(RUN_AXE)
    return result


def set_up_content(page: Page, demo: DemoServer) -> None:
    """A starred market, a holding and an alert, so no page is audited empty."""
    open_markets(page, demo)
    page.locator(ROWS).first.get_by_test_id("star").click()
    page.goto(demo.url + "/portfolio")
    page.get_by_test_id("lot-symbol").fill("BTCUSDT")
    page.get_by_test_id("lot-amount").fill("0.5")
    page.get_by_test_id("lot-price").fill("1000")
    page.get_by_test_id("lot-submit").click()
    expect(page.get_by_test_id("allocation")).to_be_visible(timeout=15_000)
    page.goto(demo.url + "/alerts?symbol=BTCUSDT")
    page.get_by_test_id("alert-price").fill("1000000")
    page.get_by_test_id("alert-submit").click()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_every_page_has_no_serious_accessibility_violation(
    page: Page, demo: DemoServer, shot: Shot, scheme: str, width: int
) -> None:
    # An init script runs outside the page's CSP (no inline script is allowed in it).
    page.add_init_script(path=str(AXE))
    page.emulate_media(color_scheme="dark" if scheme == "dark" else "light")
    if width < 1280:
        page.set_viewport_size({"width": width, "height": 844})
    set_up_content(page, demo)
    found: dict[str, list[str]] = {}
    for path, ready in PAGES:
        page.goto(demo.url + path)
        expect(page.locator(ready).first).to_be_visible(timeout=30_000)
        assert page.evaluate("() => document.documentElement.classList.contains('dark')") == (
            scheme == "dark"
        )
        shot(f"{scheme}{path.replace('/', '-')}")
        if problems := blocking(audit(page)):
            found[path] = problems
    assert not found, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in found.items())


def test_the_audit_reports_a_serious_violation(page: Page, demo: DemoServer) -> None:
    """The check above can fail: an image button without a name is a critical violation."""
    page.add_init_script(path=str(AXE))
    open_markets(page, demo)
    page.evaluate("""() => { const b = document.createElement("button");
        b.innerHTML = "<svg width='10' height='10'></svg>"; document.body.append(b); }""")
    assert any(v.startswith("button-name") for v in blocking(audit(page)))
