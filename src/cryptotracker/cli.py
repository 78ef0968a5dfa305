"""`cryptotracker`: serve, simulate, demo, conformance, schema, and the subcommands of packages
installed beside it (the bench, in development: entry point group `cryptotracker.commands`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import entry_points
from typing import Any, Protocol, cast

import orjson

PLUGIN_GROUP = "cryptotracker.commands"


class Command(Protocol):
    """What a plugin module offers: `register` adds its subparser and sets `plugin` (a handler
    of the parsed arguments returning an exit code) as its default."""

    def register(self, sub: Any) -> None: ...


Handler = Callable[[argparse.Namespace], int]


def _plugins() -> Iterator[Command]:
    for point in sorted(entry_points(group=PLUGIN_GROUP), key=lambda p: p.name):
        yield cast(Command, point.load())


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
    for command in _plugins():
        command.register(sub)
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
    plugin = getattr(args, "plugin", None)
    if plugin is not None:
        return int(plugin(args))
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
