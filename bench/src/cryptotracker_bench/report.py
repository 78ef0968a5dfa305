"""The bench's results as text: one table per scenario, ratios against the references, and the
targets of the bench issue each marked met or missed. Pure functions of the results JSON."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Targets (the bench issue); never asserted in tests, only reported.
INGEST_TARGET = 50_000  # updates/s on one core
FLOOR_RATIO_TARGET = 1.5  # server CPU per message vs the floor
IDLE_KB_TARGET = 20.0  # per idle connection
LATENCY_SLACK_MS = 25.0  # p99 <= batch interval + this
HANDSHAKE_TARGET = 2_000  # new Socket.IO connections per second on one core
STORM_TARGET_S = 3.0  # every dropped client back, resubscribed and receiving


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [
        [str(h) for h in headers],
        *[[_num(c) if not isinstance(c, str) else c for c in r] for r in rows],
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratios(fanout: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tracker CPU per delivered message against the floor and the websockets baseline, for
    every (clients, rate) point that has them."""
    by_point: dict[tuple[int, float], dict[str, dict[str, Any]]] = {}
    for row in fanout:
        by_point.setdefault((row["clients"], row["rate"]), {})[row["server"]] = row
    out = []
    for (clients, rate), servers in by_point.items():
        tracker = servers.get("tracker", {})
        ours = tracker.get("cpu_us_per_message")
        cpu = tracker.get("cpu_percent")
        floor = servers.get("floor", {}).get("cpu_us_per_message")
        raw = servers.get("websockets", {}).get("cpu_us_per_message")
        out.append(
            {
                "clients": clients,
                "rate": rate,
                "tracker_us": ours,
                "floor_us": floor,
                "websockets_us": raw,
                "vs_floor": ours / floor if ours and floor else None,
                "vs_websockets": ours / raw if ours and raw else None,
                # Where one core would saturate, extrapolating this run's CPU linearly.
                "clients_per_core": clients * 100 / cpu if cpu else None,
            }
        )
    return out


def _late_percent(row: dict[str, Any]) -> float | None:
    """Late probe messages as a share of probe messages (the count depends on how many probes)."""
    probes = row.get("probe_messages")
    return 100 * row["late_messages"] / probes if probes else None


def render(results: dict[str, Any]) -> str:
    parts = [
        f"cryptotracker bench  {results['started']}  ({results['command']})",
        f"machine: {results['machine']['cpus']} CPUs, {results['machine']['cpu_model']}; "
        f"load average before {results['machine']['load_before']}, "
        f"after {results['machine'].get('load_after')}",
    ]
    scen = results["scenarios"]
    if "ingest" in scen:
        ing = scen["ingest"]
        parts += [
            "",
            "ingest (parse + normalise + batch, one core, no sockets)",
            table(
                ["frames", "updates/CPU-s", "updates", "batches"],
                [[k, v["updates_per_cpu_s"], v["updates"], v["batches"]] for k, v in ing.items()],
            ),
        ]
    if "fanout" in scen:
        parts += [
            "",
            "fan-out (K symbols per client, Zipf)",
            table(
                [
                    "server",
                    "C",
                    "rate",
                    "conn s",
                    "upd/s",
                    "batch/s",
                    "msg/s",
                    "MB/s",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                    "late %",
                    "lost",
                    "CPU%",
                    "us/msg",
                    "RSS MB",
                    "KB/conn",
                    "load CPU%",
                    "lg lag p99",
                ],
                [
                    [
                        r["server"],
                        r["clients"],
                        r["rate"],
                        r["connect"]["took_s"],
                        r["updates_per_s"],
                        r["batches_per_s"],
                        r["messages_per_s"],
                        r["bytes_per_s"] / 2**20,
                        r["latency"]["p50_ms"],
                        r["latency"]["p95_ms"],
                        r["latency"]["p99_ms"],
                        r["latency"]["max_ms"],
                        _late_percent(r),
                        r["lost_batches"],
                        r["cpu_percent"],
                        r["cpu_us_per_message"],
                        r["rss_mb"],
                        r["rss_kb_per_connection"],
                        r.get("load_cpu_percent"),
                        (r.get("loadgen_lag") or {}).get("p99_ms"),
                    ]
                    for r in scen["fanout"]
                ],
            ),
        ]
        parts += [
            "",
            "CPU per delivered message vs references",
            table(
                [
                    "C",
                    "rate",
                    "tracker us",
                    "floor us",
                    "websockets us",
                    "x floor",
                    "x websockets",
                    "clients/core",
                ],
                [
                    [
                        r["clients"],
                        r["rate"],
                        r["tracker_us"],
                        r["floor_us"],
                        r["websockets_us"],
                        r["vs_floor"],
                        r["vs_websockets"],
                        r.get("clients_per_core"),
                    ]
                    for r in results.get("ratios", [])
                ],
            ),
        ]
        controls = [r for r in scen["fanout"] if r.get("control")]
        if controls:
            parts += [
                "",
                "control group (official python-socketio clients)",
                table(
                    ["C", "rate", "clients", "messages", "p50", "p99", "max", "late"],
                    [
                        [
                            r["clients"],
                            r["rate"],
                            r["control"]["ready"],
                            r["control"]["messages"],
                            r["control"]["latency"]["p50_ms"],
                            r["control"]["latency"]["p99_ms"],
                            r["control"]["latency"]["max_ms"],
                            r["control"]["late_messages"],
                        ]
                        for r in controls
                    ],
                ),
            ]
    if "handshake" in scen:
        parts += [
            "",
            "handshake rate (no subscriptions, market quiet; first connect -> last CONNECT ack)",
            table(
                [
                    "C",
                    "connected",
                    "span s",
                    "per s",
                    "server CPU%",
                    "us/handshake",
                    "per CPU-s",
                    "loadgen CPU%",
                    "p50 ms",
                    "p99 ms",
                ],
                [
                    [
                        r["clients"],
                        r["connected"],
                        r["span_s"],
                        r["per_s"],
                        r["server_cpu_percent"],
                        r["server_cpu_us_per_handshake"],
                        r["per_cpu_s"],
                        r["loadgen_cpu_percent"],
                        r["per_client"]["p50_ms"],
                        r["per_client"]["p99_ms"],
                    ]
                    for r in scen["handshake"]
                ],
            ),
        ]
    if "idle" in scen:
        parts += [
            "",
            "idle connections",
            table(
                ["server", "C", "connected", "conn s", "RSS before MB", "RSS after MB", "KB/conn"],
                [
                    [
                        r["server"],
                        r["clients"],
                        r["connect"]["connected"],
                        r["connect"]["took_s"],
                        r["rss_baseline_mb"],
                        r["rss_mb"],
                        r["rss_kb_per_connection"],
                    ]
                    for r in scen["idle"]
                ],
            ),
        ]
    if "redis" in scen and "skipped" in scen["redis"]:
        parts += ["", f"two instances on Redis: skipped ({scen['redis']['skipped']})"]
    elif "redis" in scen:
        red = scen["redis"]
        parts += [
            "",
            f"two instances on Redis ({red['clients']} clients, rate {red['rate']:g})",
            table(
                [
                    "instance",
                    "ingesting",
                    "msg/s",
                    "p50",
                    "p95",
                    "p99",
                    "max",
                    "deliv p50",
                    "deliv p99",
                    "lost",
                    "CPU%",
                ],
                [
                    [
                        x["instance"],
                        str(x["ingesting"]),
                        x["messages_per_s"],
                        x["latency"]["p50_ms"],
                        x["latency"]["p95_ms"],
                        x["latency"]["p99_ms"],
                        x["latency"]["max_ms"],
                        x["delivery"]["p50_ms"],
                        x["delivery"]["p99_ms"],
                        x["lost_batches"],
                        x["cpu_percent"],
                    ]
                    for x in red["instances"]
                ],
            ),
            "added by crossing instances (delivery: batch time -> arrival, probes): "
            f"p50 {_num(red.get('added_p50_ms'))} ms, "
            f"p99 {_num(red.get('added_p99_ms'))} ms",
        ]
    if "storm" in scen:
        st = scen["storm"]
        by = st["bystanders"]
        parts += [
            "",
            "reconnect storm",
            table(
                [
                    "dropped",
                    "back",
                    "receiving",
                    "all back s",
                    "all receiving s",
                    "p50 s",
                    "p99 s",
                    "server CPU%",
                    "bystander p99",
                    "bystander max",
                    "bystander lost",
                ],
                [
                    [
                        st["dropped"],
                        st["back"],
                        st["receiving"],
                        st["all_back_s"],
                        st["all_receiving_s"],
                        st.get("receiving_ms", {}).get("p50_ms", math.nan) / 1000,
                        st.get("receiving_ms", {}).get("p99_ms", math.nan) / 1000,
                        st["server_cpu_percent"],
                        by["latency"]["p99_ms"],
                        by["latency"]["max_ms"],
                        by["lost_batches"],
                    ]
                ],
            ),
        ]
    if "soak" in scen:
        parts += [
            "",
            "soak",
            table(
                ["minute", "msg/s", "p50", "p99", "max", "lost", "CPU%", "RSS MB"],
                [
                    [
                        r["minute"],
                        r["messages_per_s"],
                        r["latency"]["p50_ms"],
                        r["latency"]["p99_ms"],
                        r["latency"]["max_ms"],
                        r["lost_batches"],
                        r["cpu_percent"],
                        r["rss_mb"],
                    ]
                    for r in scen["soak"]
                ],
            ),
        ]
    if results.get("targets"):
        parts += [
            "",
            "targets",
            table(
                ["target", "figure", "verdict"],
                [[t["target"], t["figure"], t["verdict"]] for t in results["targets"]],
            ),
        ]
    return "\n".join(parts)


def targets(results: dict[str, Any], interval_ms: int) -> list[dict[str, str]]:
    """Each target of the bench issue that this run measured: met or missed, with its figure."""
    scen = results["scenarios"]
    out: list[dict[str, str]] = []

    def add(target: str, figure: str, met: bool | None) -> None:
        verdict = "n/a" if met is None else ("met" if met else "MISSED")
        out.append({"target": target, "figure": figure, "verdict": verdict})

    if "ingest" in scen:
        best = min(v["updates_per_cpu_s"] for v in scen["ingest"].values())
        add(
            f"ingest >= {INGEST_TARGET:,} updates/s on one core",
            f"{best:,.0f}/s (aggTrade and miniTicker, the slower)",
            best >= INGEST_TARGET,
        )
    for r in results.get("ratios", []):
        if r["vs_floor"] is not None:
            add(
                f"CPU/msg <= {FLOOR_RATIO_TARGET}x floor (C={r['clients']}, {r['rate']:g}/s)",
                f"{r['tracker_us']:.1f} us = {r['vs_floor']:.2f}x floor",
                r["vs_floor"] <= FLOOR_RATIO_TARGET,
            )
        if r["vs_websockets"] is not None:
            add(
                f"CPU/msg <= websockets (C={r['clients']}, {r['rate']:g}/s)",
                f"{r['vs_websockets']:.2f}x websockets",
                r["vs_websockets"] <= 1.0,
            )
    limit = interval_ms + LATENCY_SLACK_MS
    for r in scen.get("fanout", []):
        if r["server"] != "tracker":
            continue
        p99 = r["latency"]["p99_ms"]
        ok = p99 <= limit and r["lost_batches"] == 0 and r["clients_ready"] == r["clients"]
        add(
            f"p99 <= {limit:g} ms, none lost (C={r['clients']}, {r['rate']:g}/s)",
            f"p99 {p99:.1f} ms, lost {r['lost_batches']}, ready {r['clients_ready']}",
            ok,
        )
    for r in scen.get("handshake", []):
        add(
            f"handshakes >= {HANDSHAKE_TARGET:,}/s on one core (C={r['clients']})",
            f"{r['per_s']:,.0f}/s at {r['server_cpu_percent']:.0f} % server CPU"
            f" ({_num(r['per_cpu_s'], 0)} per CPU-s), {r['connected']} connected",
            r["per_s"] >= HANDSHAKE_TARGET and r["connected"] == r["clients"],
        )
    if "storm" in scen:
        st = scen["storm"]
        back = st["all_receiving_s"]
        lost = st["bystanders"]["lost_batches"]
        add(
            f"storm of {st['dropped']:,}: all receiving <= {STORM_TARGET_S:g} s, none lost",
            f"{_num(back, 2)} s, bystanders lost {lost}",
            back is not None and back <= STORM_TARGET_S and lost == 0,
        )
    for r in scen.get("idle", []):
        if r["server"] == "tracker":
            kb = r["rss_kb_per_connection"]
            add(
                f"<= {IDLE_KB_TARGET:g} KB per idle connection ({r['clients']})",
                f"{kb:.1f} KB",
                kb <= IDLE_KB_TARGET,
            )
    return out
