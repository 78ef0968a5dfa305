"""Fault tests of several real processes: print the measured recovery times at the end."""

from __future__ import annotations

import json
from typing import Any

from tests.cluster.kit import results


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = results()
    if not rows:
        return
    terminalreporter.section(
        "recovery times (seconds; also in test-artifacts/recovery-times.jsonl)"
    )
    for row in rows:
        terminalreporter.write_line(json.dumps(row))
