"""The product's wheel holds the product: the bench is a package of its own beside it, which
registers `cryptotracker bench` only where it is installed (development)."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from cryptotracker.cli import PLUGIN_GROUP, _parser
from tests.support import ROOT


def test_the_product_wheel_does_not_contain_the_bench(tmp_path: Path) -> None:
    subprocess.run(
        [str(ROOT / ".tools/bin/uv"), "build", "--wheel", "--package", "cryptotracker",
         "--out-dir", str(tmp_path), "--quiet"],
        cwd=ROOT, check=True, timeout=120,
    )  # fmt: skip
    [wheel] = tmp_path.glob("cryptotracker-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "cryptotracker/cli.py" in names and "cryptotracker/gateway/engine.py" in names
    assert not [n for n in names if "bench" in n]


def test_the_bench_registers_its_subcommand_where_it_is_installed() -> None:
    help_text = _parser().format_help()
    assert "bench" in help_text and PLUGIN_GROUP == "cryptotracker.commands"
