"""Optional error tracking: Sentry when CRYPTOTRACKER_SENTRY_DSN is set, nothing otherwise.

What reaches it: unhandled exceptions (process, asyncio tasks, ASGI requests), log events at
error level (`log.exception(...)`), and circuit-breaker openings, each with its event name and
fields as context. What never does: the DSN, passwords in URLs, values of secret-looking keys,
local variables, request bodies, cookies or headers (scrubbed in `before_send`, and most of it
not collected in the first place).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

from cryptotracker import __version__
from cryptotracker.settings import Settings

# Keys whose values are never sent, wherever they occur in an event.
SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|dsn|api[_-]?key|auth|cookie|session|credential", re.I
)
# user:password@ in any URL.
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]*@", re.I)
REDACTED = "[redacted]"
# Log events that are reported although they are not errors.
CIRCUIT_EVENT = "circuit_transition"

EventDict = MutableMapping[str, Any]


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` without URL credentials and without any of `secrets`."""
    text = URL_CREDENTIALS.sub(lambda m: m.group("scheme") + "***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def scrub(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """A copy of an event (nested dicts, lists, strings) with secrets removed."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {
            k: REDACTED if isinstance(k, str) and SECRET_KEY.search(k) else scrub(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value


def _secrets(settings: Settings) -> tuple[str, ...]:
    found: list[str] = []
    if settings.sentry_dsn is not None:
        found.append(settings.sentry_dsn.get_secret_value())
    if settings.redis_password is not None:
        found.append(settings.redis_password.get_secret_value())
    if settings.redis_url and "@" in settings.redis_url:
        userinfo = settings.redis_url.split("://", 1)[-1].split("@", 1)[0]
        found.extend(part for part in userinfo.split(":") if len(part) >= 4)
    return tuple(found)


def init_error_tracking(settings: Settings) -> bool:
    """Start the Sentry client if a DSN is configured; True when it runs."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.asyncio import AsyncioIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    secrets = _secrets(settings)

    def before_send(event: Any, _hint: Any) -> Any:
        return scrub(event, secrets)

    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment,
        release=f"cryptotracker@{__version__}",
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_send_transaction=before_send,
        # The server's and asyncio's own error records (stdlib logging) become events.
        integrations=[AsyncioIntegration(), LoggingIntegration(event_level=logging.ERROR)],
    )
    sentry_sdk.set_tag("service", "cryptotracker")
    return True


def set_instance(instance_id: str) -> None:
    """Tag every later event with the instance that sent it (no-op when tracking is off)."""
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        sentry_sdk.set_tag("instance", instance_id)


def report_to_sentry(_logger: Any, method: str, event: EventDict) -> EventDict:
    """structlog processor: error-level events and circuit openings become Sentry events, with
    the log event's name and fields as context. Installed only when tracking runs."""
    opened = event.get("event") == CIRCUIT_EVENT and event.get("new") == "open"
    if method not in ("error", "exception", "critical") and not opened:
        return event
    import sentry_sdk

    name = str(event.get("event", "error"))
    fields = {k: v for k, v in event.items() if k not in ("event", "exc_info")}
    exc_info = event.get("exc_info")
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("event", name)
        scope.set_context("log", {k: str(v)[:500] for k, v in fields.items()})
        if opened:
            scope.set_tag("breaker", str(event.get("name", "")))
            scope.set_level("warning")
            sentry_sdk.capture_message(f"circuit {event.get('name')} opened: {event.get('reason')}")
        elif exc_info:
            error = sys.exc_info()[1] if exc_info is True else exc_info
            if isinstance(error, tuple):
                error = error[1]
            sentry_sdk.capture_exception(error)
        else:
            scope.set_level("error")
            sentry_sdk.capture_message(name)
    return event
