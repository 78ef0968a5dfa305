"""`cryptotracker`: serve, simulate, demo, conformance, schema (and bench)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from pydantic import ValidationError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cryptotracker", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the tracker (HTTP + Socket.IO)")
    serve.add_argument("--host", help="bind address (CRYPTOTRACKER_HOST)")
    serve.add_argument("--port", type=int, help="port (CRYPTOTRACKER_PORT)")

    demo = sub.add_parser("demo", help="run the tracker with the built-in simulator as exchange")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)

    sim = sub.add_parser("simulate", help="run the Binance-compatible market simulator")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=9443)
    sim.add_argument("--symbols", type=int, default=300, help="number of USDT markets")
    sim.add_argument("--rate", type=float, default=1000.0, help="trade updates per second")
    sim.add_argument("--seed", type=int, default=None, help="random seed (repeatable walks)")

    conf = sub.add_parser(
        "conformance", help="the server the official Socket.IO protocol test suite expects"
    )
    conf.add_argument("--host", default="localhost")
    conf.add_argument("--port", type=int, default=3000)

    sub.add_parser("schema", help="print the protocol's JSON Schema")
    _bench_parser(sub)
    return parser


def _csv(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> tuple[int | float, ...]:
        return tuple(kind(part) for part in text.split(",") if part.strip())

    return parse


def _bench_parser(sub: Any) -> None:
    from cryptotracker.bench.options import SCENARIOS

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


def _bench(args: argparse.Namespace) -> int:
    from cryptotracker.bench.options import SCENARIOS, Options
    from cryptotracker.bench.run import main as bench_main

    if args.report is not None:
        from cryptotracker.bench.run import show

        return show(args.report)
    opts = Options.quick_preset() if args.quick else Options()
    if args.scenarios is not None:
        chosen = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
        unknown = set(chosen) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))}")
        opts.scenarios = chosen
    for name in (
        "clients", "rates", "k", "seconds", "warmup_s", "idle_clients", "storm_clients",
        "redis_clients", "redis_url", "per_process", "soak_minutes", "soak_clients",
        "references", "server_cores", "load_cores", "out",
    ):  # fmt: skip
        value = getattr(args, name)
        if value is not None:
            setattr(opts, name, value)
    return bench_main(opts)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from cryptotracker.protocol import json_schema

        sys.stdout.write(
            orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
            + "\n"
        )
        return 0
    if args.command == "bench":
        return _bench(args)
    if args.command == "conformance":
        from cryptotracker.gateway.conformance import run

        run(args.host, args.port)
        return 0
    if args.command == "simulate":
        from cryptotracker.simulator.server import run_simulator

        run_simulator(
            host=args.host, port=args.port, symbols=args.symbols, rate=args.rate, seed=args.seed
        )
        return 0
    if args.command in ("serve", "demo"):
        return _serve(args)
    return 2


def _serve(args: argparse.Namespace) -> int:
    """Run the server; configuration it cannot run with is one line on stderr and exit 2
    (settings are read before the app is imported: a typo is refused at once)."""
    from pydantic import ValidationError

    from cryptotracker.settings import Settings

    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port:
        overrides["port"] = args.port
    if args.command == "demo":
        overrides["exchange"] = "simulator"
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        sys.stderr.write(f"configuration error: {_one_line(exc)}\n")
        return 2

    from cryptotracker.app import run_server
    from cryptotracker.pipeline.redis_clients import RedisConfigError

    try:
        run_server(settings)
    except RedisConfigError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    return 0


def _one_line(exc: ValidationError) -> str:
    """Pydantic's errors as `CRYPTOTRACKER_<FIELD>: message; ...`."""
    parts = []
    for error in exc.errors():
        field = "_".join(str(p) for p in error["loc"] if isinstance(p, str))
        where = f"CRYPTOTRACKER_{field.upper()}: " if field else ""
        parts.append(where + str(error["msg"]).removeprefix("Value error, "))
    return "; ".join(parts)
