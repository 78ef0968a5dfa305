"""Browser fixtures: Debian's Chromium driven by Playwright, the demo server (simulator as the
exchange) as a child process, and screenshots under test-artifacts/web/<test name>/."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support import ARTIFACTS, ROOT, Proc, cli, free_port, running

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DIST = ROOT / "web" / "dist"
SHOTS = ARTIFACTS / "web"
# The demo starts the simulator and then the tracker: give both time on a busy 2-core machine.
SERVER_START_S = 60.0


def require_built_app() -> None:
    if not (DIST / "index.html").is_file():
        pytest.fail(
            f"the web app is not built ({DIST}/index.html missing): run `make web` "
            "(or `cd web && npm ci && npm run build`) before the browser tests",
            pytrace=False,
        )


class DemoServer:
    """`cryptotracker demo --port P` that can be stopped and started again on the same port."""

    def __init__(self, port: int | None = None, dist: Path = DIST) -> None:
        self.port = port or free_port()
        self.dist = dist  # the web build it serves; a test may swap it between runs (a deploy)
        self.url = f"http://127.0.0.1:{self.port}"
        self._ctx: contextlib.AbstractContextManager[Proc] | None = None
        self.proc: Proc | None = None

    def start(self) -> None:
        require_built_app()
        ctx = running(
            cli("demo", "--port", str(self.port)),
            self.port,
            name="demo",
            timeout=SERVER_START_S,
            env={
                "CRYPTOTRACKER_WEB_DIST": str(self.dist),
                "CRYPTOTRACKER_LOG_LEVEL": "warning",
            },
        )
        self.proc = ctx.__enter__()
        self._ctx = ctx

    def stop(self) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(None, None, None)
            self._ctx = None


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    """One demo server shared by a module's tests that do not stop it."""
    server = DemoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_demo() -> Iterator[DemoServer]:
    """A demo server of the test's own, for tests that stop and restart it."""
    server = DemoServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is
# started, so it must stop when the browser tests end, before any async test after them.
@pytest.fixture(scope="package")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it)", pytrace=False
        )
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000
    )
    yield browser
    browser.close()


def _test_dir(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    path = SHOTS / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def page_locale() -> str:
    """The browser's locale; `@pytest.mark.parametrize("page_locale", ["de-DE"])` changes it."""
    return "en-US"


@pytest.fixture
def service_workers() -> Literal["allow", "block"]:
    """The app's service worker runs; a module whose requests `page.route` must see (the worker
    would answer them from its cache) overrides this fixture with "block"."""
    return "allow"


@pytest.fixture
def page(
    browser: Browser,
    page_locale: str,
    service_workers: Literal["allow", "block"],
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A fresh browser context (empty localStorage) per test, dark theme, en-US numbers unless
    the test asks for another `page_locale`."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 860},
        locale=page_locale,
        color_scheme="dark",
        service_workers=service_workers,
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    request.node.page_errors = errors
    yield page
    with contextlib.suppress(Exception):
        page.screenshot(path=str(_test_dir_cached(request) / "zz-final.png"))
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


_DIRS: dict[str, Path] = {}


def _test_dir_cached(request: pytest.FixtureRequest) -> Path:
    key = request.node.nodeid
    if key not in _DIRS:
        _DIRS[key] = _test_dir(request)
    return _DIRS[key]


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """`shot("02-sorted")` saves a screenshot for a human to look at."""

    def take(step: str) -> Path:
        path = _test_dir_cached(request) / f"{step}.png"
        page.screenshot(path=str(path))
        return path

    return take
