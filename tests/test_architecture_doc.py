"""docs/architecture.md stays true: every file it names exists."""

from __future__ import annotations

import re

from tests.support import ROOT

DOC = ROOT / "docs" / "architecture.md"
NAMED = re.compile(r"`((?:src|web|bench|deploy)/[\w./-]+\.(?:py|ts|tsx))`")


def test_every_file_the_architecture_page_names_exists() -> None:
    named = set(NAMED.findall(DOC.read_text()))
    assert len(named) >= 30  # the page names the path, not just a few files
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert not missing, f"docs/architecture.md names files that are gone: {missing}"
