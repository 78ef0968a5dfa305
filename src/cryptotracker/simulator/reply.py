"""An HTTP answer of the simulator's REST side, as a value: status, body, headers."""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson


class Reply(NamedTuple):
    status: int
    body: bytes
    headers: list[tuple[str, str]]


def json_reply(status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    return Reply(status, orjson.dumps(body), headers or [])
