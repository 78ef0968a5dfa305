"""`cryptotracker`: serve, simulate, demo, conformance, schema, and the subcommands of packages
installed beside it (the bench, in development: entry point group `cryptotracker.commands`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol, cast

import orjson

if TYPE_CHECKING:
    from pydantic import ValidationError

PLUGIN_GROUP = "cryptotracker.commands"


class Command(Protocol):
    """What a plugin module offers: `register` adds its subparser and sets `plugin` (a handler
    of the parsed arguments returning an exit code) as its default."""

    def register(self, sub: Any) -> None: ...


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
    sim.add_argument("--symbols", type=int, default=300, help="number of coins (USDT markets)")
    sim.add_argument(
        "--quotes",
        default="USDT",
        help="quote assets, comma-separated (e.g. USDT,USDC,BTC,EUR,TRY): the coins' markets "
        "against each and the fiat ones' USDT markets",
    )
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

        quotes = tuple(q.strip().upper() for q in args.quotes.split(",") if q.strip())
        run_simulator(
            host=args.host,
            port=args.port,
            symbols=args.symbols,
            rate=args.rate,
            seed=args.seed,
            quotes=quotes or ("USDT",),
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
