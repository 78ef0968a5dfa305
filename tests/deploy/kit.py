"""What the deploy/ checks share: where the files are, and running a linter with a bound."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT

DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A linter installed by the Makefile: in this venv (PyPI), a venv of its own in .tools/, or
    the system (Debian).
    Missing is a failure, not a skip: `make test` installs them (install-py, install-tools,
    install-system)."""
    for candidate in (VENV_BIN / name, ROOT / ".tools" / name / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    assert found, f"{name} is not installed: run make install-py install-tools install-system"
    return found


def run(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
