"""`cryptotracker bench`, registered by this package (entry point group
`cryptotracker.commands`): the product's CLI does not know the bench is there."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _csv(kind: type[int] | type[float] | type[str]) -> Any:
    def parse(text: str) -> tuple[int | float | str, ...]:
        return tuple(kind(part.strip()) for part in text.split(",") if part.strip())

    return parse


def register(sub: Any) -> None:
    # Imports inside: every `cryptotracker` command loads this module to register `bench`.
    from cryptotracker_bench.options import SCENARIOS

    bench = sub.add_parser(
        "bench",
        help="measure ingest, fan-out, latency and memory against the references",
        description="Starts the simulator, the tracker and load generators (pinned to separate "
        "cores); prints tables and writes JSON under --out.",
    )
    bench.add_argument("--quick", action="store_true", help="every scenario at a toy size")
    bench.add_argument(
        "--scenarios", default=None, help=f"comma-separated, of: {','.join(SCENARIOS)}"
    )
    bench.add_argument("--clients", type=_csv(int), help="fan-out client counts, e.g. 1000,5000")
    bench.add_argument("--rates", type=_csv(float), help="exchange updates/s, e.g. 1000,10000")
    bench.add_argument("--k", type=int, help="symbols per client")
    bench.add_argument("--symbols", type=int, help="simulated coins (default 300)")
    bench.add_argument(
        "--quotes",
        type=_csv(str),
        help="the simulator's quote assets (default USDT; USDT,USDC,BTC,EUR,... lists ~5x more)",
    )
    bench.add_argument("--seconds", type=float, help="length of each measurement window")
    bench.add_argument("--warmup", type=float, dest="warmup_s")
    bench.add_argument("--idle-clients", type=int)
    bench.add_argument("--storm-clients", type=int)
    bench.add_argument("--redis-clients", type=int)
    bench.add_argument("--redis-url", help="use this Redis (default: a private redis-server)")
    bench.add_argument("--per-process", type=int, help="load-generator clients per process")
    bench.add_argument("--soak", type=float, dest="soak_minutes", metavar="MINUTES")
    bench.add_argument("--soak-clients", type=int)
    bench.add_argument("--no-references", action="store_false", dest="references", default=None)
    bench.add_argument("--server-cores", help="taskset list for the servers (default 0)")
    bench.add_argument("--load-cores", help="taskset list for load and simulator (default 1)")
    bench.add_argument("--out", type=Path, help="results folder (default results/)")
    bench.add_argument("--report", type=Path, metavar="JSON", help="print a saved run, run none")
    bench.set_defaults(plugin=run)


def run(args: argparse.Namespace) -> int:
    from cryptotracker_bench.options import SCENARIOS, Options
    from cryptotracker_bench.run import main as bench_main
    from cryptotracker_bench.run import show

    if args.report is not None:
        return show(args.report)
    opts = Options.quick_preset() if args.quick else Options()
    if args.scenarios is not None:
        chosen = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
        unknown = set(chosen) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
        opts.scenarios = chosen
    for name in (
        "clients", "rates", "k", "symbols", "quotes", "seconds", "warmup_s", "idle_clients",
        "storm_clients", "redis_clients", "redis_url", "per_process", "soak_minutes",
        "soak_clients", "references", "server_cores", "load_cores", "out",
    ):  # fmt: skip
        value = getattr(args, name)
        if value is not None:
            setattr(opts, name, value)
    return bench_main(opts)
