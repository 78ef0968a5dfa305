"""What one bench run measures: the scenarios, their sizes and the cores they may use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCENARIOS = ("ingest", "fanout", "handshake", "idle", "redis", "storm")


@dataclass(slots=True)
class Options:
    out: Path = Path("results")
    scenarios: tuple[str, ...] = SCENARIOS
    clients: tuple[int, ...] = (1000, 5000, 10000)
    rates: tuple[float, ...] = (1000.0, 10000.0)
    k: int = 20
    symbols: int = 300
    quotes: tuple[str, ...] = ("USDT",)  # the simulator's; more quotes, ~5x the markets
    seconds: float = 8.0  # each measurement window
    warmup_s: float = 2.0
    references: bool = True
    control_clients: int = 5
    # Load-generator clients per process (fewer processes on the load core: fewer switches
    # and probes); capped below the file-descriptor limit, which is per process.
    per_process: int = 5000
    idle_clients: int = 10000
    storm_clients: int = 2000
    bystanders: int = 200
    redis_clients: int = 1000
    redis_url: str | None = None  # None: start a private redis-server
    ingest_seconds: float = 3.0
    soak_minutes: float = 0.0
    soak_clients: int = 1000
    soak_rate: float = 1000.0
    interval_ms: int = 100
    server_cores: str | None = "0"
    load_cores: str | None = "1"
    seed: int = 1
    quick: bool = False

    @property
    def deadline_ms(self) -> float:
        """A batch is late when its oldest update is older than the interval plus 25 ms."""
        return self.interval_ms + 25.0

    @classmethod
    def quick_preset(cls, out: Path = Path("results")) -> Options:
        """Every default scenario at a toy size: a smoke test of the instrument (seconds)."""
        return cls(
            out=out, clients=(40,), rates=(300.0,), k=5, seconds=2.0, warmup_s=1.0,
            control_clients=2, per_process=25, idle_clients=40, storm_clients=30,
            bystanders=10, redis_clients=20, ingest_seconds=0.3, quick=True,
        )  # fmt: skip
