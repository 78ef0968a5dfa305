"""`cryptotracker`: serve, simulate, demo, schema (and bench)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import orjson


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

    sub.add_parser("schema", help="print the protocol's JSON Schema")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        from cryptotracker.protocol import json_schema

        sys.stdout.write(
            orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
            + "\n"
        )
        return 0
    if args.command == "simulate":
        from cryptotracker.simulator.server import run_simulator

        run_simulator(
            host=args.host, port=args.port, symbols=args.symbols, rate=args.rate, seed=args.seed
        )
        return 0
    if args.command in ("serve", "demo"):
        from cryptotracker.app import run_server
        from cryptotracker.settings import Settings

        overrides: dict[str, object] = {}
        if args.host:
            overrides["host"] = args.host
        if args.port:
            overrides["port"] = args.port
        if args.command == "demo":
            overrides["exchange"] = "simulator"
        run_server(Settings(**overrides))  # type: ignore[arg-type]
        return 0
    return 2
