"""Fixtures of the market tests."""

from __future__ import annotations

import pytest

from tests.market.helpers import RecordingSink


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()
