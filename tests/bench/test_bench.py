"""`cryptotracker bench --quick` runs end to end and writes every figure it promises. Speed is
never asserted here: the figures are the bench's to report, not the test suite's to judge."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

RUN_TIMEOUT_S = 100
LATENCY_FIELDS = {"n", "p50_ms", "p95_ms", "p99_ms", "max_ms", "mean_ms"}
FANOUT_FIELDS = {
    "server", "clients", "rate", "connect", "updates_per_s", "batches_per_s", "messages_per_s",
    "bytes_per_s", "latency", "late_messages", "lost_batches", "cpu_percent",
    "cpu_us_per_message", "rss_mb", "rss_kb_per_connection",
}  # fmt: skip


def _run_bench(out: Path) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cryptotracker", "bench", "--quick",
         "--scenarios", "ingest,fanout,handshake,storm", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        output, _ = proc.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # the bench stops its children on SIGTERM
        output, _ = proc.communicate(timeout=30)
        pytest.fail(f"bench did not finish in {RUN_TIMEOUT_S}s:\n{output[-3000:]}")
    assert proc.returncode == 0, output[-3000:]
    return output


@pytest.mark.slow
def test_quick_bench_writes_every_reported_figure(tmp_path: Path) -> None:
    output = _run_bench(tmp_path)

    results = orjson.loads((tmp_path / "latest.json").read_bytes())
    assert {"machine", "command", "scenarios", "ratios", "targets"} <= set(results)
    assert len(results["machine"]["load_before"]) == 3
    ingest = results["scenarios"]["ingest"]
    assert set(ingest) == {"agg_trade", "mini_ticker"}
    assert all(v["updates"] > 0 for v in ingest.values())
    fanout = results["scenarios"]["fanout"]
    assert {r["server"] for r in fanout} == {"tracker", "floor", "websockets"}
    for row in fanout:
        assert set(row) >= FANOUT_FIELDS, row["server"]
        assert set(row["latency"]) >= LATENCY_FIELDS
        assert row["messages_per_s"] > 0, row["server"]
    tracker = next(r for r in fanout if r["server"] == "tracker")
    assert tracker["updates_per_s"] > 0
    assert tracker["connect"]["connected"] == tracker["clients"]
    assert {"vs_floor", "vs_websockets"} <= set(results["ratios"][0])
    assert "CPU per delivered message vs references" in output

    (handshake,) = results["scenarios"]["handshake"]
    assert handshake["connected"] == handshake["clients"]
    assert handshake["per_s"] > 0
    assert {"span_s", "server_cpu_percent", "per_cpu_s", "loadgen_cpu_percent"} <= set(handshake)
    storm = results["scenarios"]["storm"]
    assert storm["receiving"] == storm["dropped"]
    assert storm["all_receiving_s"] is not None
    assert set(storm["receiving_ms"]) >= LATENCY_FIELDS
    assert "lost_batches" in storm["bystanders"]
    assert "handshake rate" in output and "reconnect storm" in output
