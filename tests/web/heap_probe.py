"""Measure the dashboard's JS heap over time with the demo feed running (not a pass/fail test).

    .venv/bin/python -m tests.web.heap_probe --minutes 10 --every 30

Starts `cryptotracker demo`, opens the markets page in Debian's Chromium, and at each sample
forces a garbage collection over CDP and prints the used heap, so growth means retained memory,
not garbage waiting for a collection. Between samples it scrolls the table so rows mount,
unmount, subscribe and unsubscribe as they do for a user.
"""

from __future__ import annotations

import argparse
import time

from playwright.sync_api import sync_playwright

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, DemoServer

SCROLL_JS = """(step) => {
    const el = document.querySelector('[data-testid=markets-scroll]');
    const max = el.scrollHeight - el.clientHeight;
    el.scrollTop = (step % 2) ? max * ((step % 7) / 7) : 0;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description="JS heap of the dashboard over time")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    args = parser.parse_args()

    server = DemoServer()
    server.start()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(server.url + "/")
            page.wait_for_selector("[data-testid=market-row][data-source]", timeout=60_000)
            cdp = page.context.new_cdp_session(page)
            start = time.monotonic()
            samples: list[tuple[float, float, int]] = []
            step = 0
            while True:
                cdp.send("HeapProfiler.collectGarbage")
                used = cdp.send("Runtime.getHeapUsage")["usedSize"] / 1024 / 1024
                received = page.evaluate("() => window.cryptotracker.stats().received")
                elapsed = time.monotonic() - start
                samples.append((elapsed, used, received))
                print(f"{elapsed:7.0f} s  heap {used:7.2f} MB  messages {received}", flush=True)
                if elapsed >= args.minutes * 60:
                    break
                # Scroll a few times within the interval, then wait out the rest.
                deadline = time.monotonic() + args.every
                while time.monotonic() < deadline:
                    step += 1
                    page.evaluate(SCROLL_JS, step)
                    page.wait_for_timeout(min(5000.0, max(0.0, deadline - time.monotonic()) * 1000))
            browser.close()
    finally:
        server.stop()
    first, last = samples[0][1], samples[-1][1]
    settled = [s[1] for s in samples[len(samples) // 3 :]]
    print(
        f"first {first:.2f} MB, last {last:.2f} MB, after warm-up min {min(settled):.2f} "
        f"max {max(settled):.2f} MB over {samples[-1][0] / 60:.1f} min, "
        f"{samples[-1][2]} socket messages"
    )


if __name__ == "__main__":
    main()
