"""The symbol page's chart as a reader uses it: it loads even when opened as the server starts,
hovering a candle reads out its open, high, low and close with thousands separators, and the
chosen interval survives a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import DemoServer
from tests.web.test_dashboard import Shot

pytestmark = pytest.mark.browser

GROUPED = r"\d{1,3}(,\d{3})+\.\d{2}"


def test_hover_reads_out_the_candle_and_the_interval_survives_a_reload(
    page: Page, demo: DemoServer, shot: Shot
) -> None:
    # Straight to the chart of a server just started: its first answers may be 503 (no candles
    # yet, Retry-After), which the page waits out instead of showing an error.
    page.goto(demo.url + "/markets/BTCUSDT")
    chart = page.get_by_test_id("candle-chart")
    expect(chart).to_have_attribute("data-status", "ready", timeout=30_000)
    readout = page.get_by_test_id("ohlc-readout")
    expect(readout).to_have_text("")

    box = chart.bounding_box()
    assert box is not None
    # Over the newest bars (the view ends a few bars after the last one) at mid height.
    page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.5)
    expect(readout).to_have_text(re.compile(rf"^O {GROUPED} H {GROUPED} L {GROUPED} C {GROUPED}$"))
    shot("01-hover-readout")
    page.mouse.move(box["x"] - 5, box["y"] - 5)
    expect(readout).to_have_text("")

    page.get_by_test_id("interval-4h").click()
    expect(page.get_by_test_id("interval-4h")).to_have_attribute("aria-selected", "true")
    page.reload()
    expect(page.get_by_test_id("interval-4h")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("interval-1m")).to_have_attribute("aria-selected", "false")
    expect(chart).to_have_attribute("data-status", "ready", timeout=30_000)
