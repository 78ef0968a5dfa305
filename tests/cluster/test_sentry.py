"""Optional Sentry reporting, against a local HTTP endpoint standing in for Sentry's ingest
(the DSN points at 127.0.0.1): events arrive, with context, and carry no secrets."""

from __future__ import annotations

import contextlib
import gzip
import json
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cryptotracker.sentry import _secrets, init_error_tracking, redact
from cryptotracker.settings import Settings
from tests.cluster.kit import simulator, tracker
from tests.support import ROOT, free_port, running, wait_until

PASSWORD = "s3cret-redis-pw"
KEY = "0123456789abcdef0123456789abcdef"


class Ingest:
    """Records every envelope POSTed to it, decompressed."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        self.paths: list[str] = []
        ingest = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    raw = gzip.decompress(raw)
                elif encoding == "deflate":
                    raw = zlib.decompress(raw)
                ingest.paths.append(self.path)
                ingest.bodies.append(raw.decode("utf-8", "replace"))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.dsn = f"http://{KEY}@127.0.0.1:{self.server.server_address[1]}/42"

    def events(self) -> list[dict[str, Any]]:
        found = []
        for body in self.bodies:
            lines = body.splitlines()
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@contextlib.contextmanager
def ingest() -> Iterator[Ingest]:
    server = Ingest()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join(5)


def test_error_tracking_is_off_without_a_dsn() -> None:
    assert init_error_tracking(Settings()) is False
    assert "sentry_sdk" not in sys.modules or not _sentry_active()


def _sentry_active() -> bool:
    import sentry_sdk

    return bool(sentry_sdk.get_client().is_active())


def test_urls_lose_their_credentials() -> None:
    assert redact(f"redis://:{PASSWORD}@db:6379/0") == "redis://***@db:6379/0"
    assert redact(f"lost {KEY} here", (KEY,)) == "lost [redacted] here"


def test_the_sentinel_or_cluster_password_is_a_secret() -> None:
    settings = Settings(redis_sentinels=["127.0.0.1:26379"], redis_password=PASSWORD)  # type: ignore[arg-type]
    assert redact(f"auth {PASSWORD} failed", _secrets(settings)) == "auth [redacted] failed"


@pytest.mark.slow
def test_breaker_opening_reaches_sentry_with_context_and_no_secrets() -> None:
    """An operator's Sentry shows "circuit binance opened" with the instance and the reason;
    neither the Redis password nor the DSN appear in the event or in the logs."""
    redis_port = free_port()
    redis_args = ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                  "--appendonly", "no", "--requirepass", PASSWORD]  # fmt: skip
    with (
        ingest() as sentry,
        running(redis_args, redis_port, name="redis-auth"),
        simulator() as sim,
    ):
        sim.fault("ws_status", status=451)
        sim.fault("rest_status", status=451)
        redis_url = f"redis://:{PASSWORD}@127.0.0.1:{redis_port}/0"
        with tracker(sim, redis_url, CRYPTOTRACKER_SENTRY_DSN=sentry.dsn) as server:

            def opened() -> bool:
                return any("circuit binance opened" in (e.get("message") or "")
                           for e in sentry.events())  # fmt: skip

            wait_until(opened, 30, "the circuit event at the local ingest")
            assert server.health()["redis"]["status"] == "ok"  # the password was used
            log = server.proc.log()
        [event] = [e for e in sentry.events() if "circuit" in (e.get("message") or "")][:1]
        assert event["level"] == "warning"
        assert event["tags"]["breaker"] == "binance" and event["tags"]["instance"]
        assert "451" in json.dumps(event["contexts"]["log"])
        assert sentry.paths[0].startswith("/api/42/envelope")
        # The DSN's public key goes in envelope headers by design (Sentry's client key, the
        # one a browser SDK ships); in the events themselves and in the logs, nothing.
        assert all(PASSWORD not in body for body in sentry.bodies)
        for text in [*(json.dumps(e) for e in sentry.events()), log]:
            assert PASSWORD not in text
            assert KEY not in text


@pytest.mark.slow
def test_unhandled_error_reaches_sentry_without_secrets() -> None:
    """A crash (an exception nobody caught) is reported before the process ends; the password
    in the error's message is not."""
    script = (
        "import asyncio\n"
        "from cryptotracker.sentry import init_error_tracking\n"
        "from cryptotracker.settings import Settings\n"
        "import sys\n"
        "assert init_error_tracking(Settings(sentry_dsn=sys.argv[1],"
        " redis_url=sys.argv[2]))\n"
        "async def main():\n"
        "    raise RuntimeError('cannot reach ' + sys.argv[2])\n"
        "asyncio.run(main())\n"
    )
    with ingest() as sentry:
        url = f"redis://:{PASSWORD}@127.0.0.1:1/0"
        done = subprocess.run(
            [sys.executable, "-c", script, sentry.dsn, url],
            cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 1 and "RuntimeError" in done.stderr
        wait_until(lambda: bool(sentry.events()), 10, "the crash at the local ingest")
        [event] = sentry.events()
        [exc] = event["exception"]["values"]
        assert exc["type"] == "RuntimeError"
        assert exc["value"] == "cannot reach redis://***@127.0.0.1:1/0"
        assert all(PASSWORD not in b for b in sentry.bodies)
        assert KEY not in json.dumps(event) and PASSWORD not in json.dumps(event)
