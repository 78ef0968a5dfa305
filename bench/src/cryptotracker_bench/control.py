"""Control group: a few official python-socketio clients, measured like the load generator's
probes, to show the raw clients see what real clients see.

    python -m cryptotracker_bench.control CONFIG.json   # then JSON commands on stdin
"""

from __future__ import annotations

import sys
import time
from typing import Any

from cryptotracker_bench.loadgen import Window
from cryptotracker_bench.worker import load_config, reply, run, serve_commands


class Control:
    def __init__(self, config: dict[str, Any]) -> None:
        self.url = f"http://{config.get('host', '127.0.0.1')}:{config['port']}"
        self.subs: list[list[str]] = config["subs"]
        self.deadline_ms = float(config.get("deadline_ms", 125.0))
        self.clients: list[Any] = []
        self.window = Window()

    def _on_batch(self, envelope: Any) -> None:
        now = time.time() * 1000.0
        w = self.window
        w.messages += 1
        data = envelope["data"]
        if data.get("snapshot"):
            w.snapshots += 1
            return
        w.delivery.add(now - data["timestamp"])
        times = [u["lastUpdateTime"] for u in data["updates"]]
        for t in times:
            w.latency.add(now - t)
        w.probe_messages += 1
        if times and now - min(times) > self.deadline_ms:
            w.late_messages += 1

    async def connect(self, _: dict[str, Any]) -> dict[str, Any]:
        import socketio

        started = time.time()
        errors = []
        for symbols in self.subs:
            client = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2)

            async def on_batch(data: Any) -> None:
                self._on_batch(data)

            client.on("batch_update", on_batch)
            try:
                await client.connect(self.url, transports=["websocket"], wait_timeout=20)
                await client.call("subscribe", {"symbols": symbols}, timeout=20)
                self.clients.append(client)
            except Exception as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
        return {"connected": len(self.clients), "took_s": time.time() - started,
                "errors": errors[:3]}  # fmt: skip

    async def mark(self, _: dict[str, Any]) -> dict[str, Any]:
        self.window = Window()
        return {}

    async def report(self, _: dict[str, Any]) -> dict[str, Any]:
        w = self.window
        return {
            "duration_s": time.time() - w.started,
            "clients": len(self.subs),
            "ready": sum(1 for c in self.clients if c.connected),
            "messages": w.messages,
            "snapshots": w.snapshots,
            "probe_messages": w.probe_messages,
            "late_messages": w.late_messages,
            "latency": w.latency.to_json(),
            "delivery": w.delivery.to_json(),
        }

    async def close(self, _: dict[str, Any]) -> dict[str, Any]:
        for client in self.clients:
            await client.disconnect()
        return {}


async def _main() -> None:
    config = load_config(sys.argv[1])
    control = Control(config)
    await serve_commands({
        "connect": control.connect, "mark": control.mark, "report": control.report,
        "close": control.close,
    })  # fmt: skip


if __name__ == "__main__":
    try:
        run(_main)
    except KeyboardInterrupt:  # pragma: no cover
        reply({"event": "interrupted"})
