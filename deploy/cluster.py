"""`make cluster`: Redis, N tracker instances and nginx in front, all from the checkout.

N is one instance per core unless --instances says otherwise (each instance is one asyncio
process, so one core is what it can use). Instance i is started with the route `ti`
(CRYPTOTRACKER_INSTANCE_ROUTE), which begins every session id it issues; nginx routes on it.

Every process runs in its own session (so Ctrl-C reaches only this supervisor), writes its log
to .cluster/<name>.log, and is stopped in order on Ctrl-C / SIGTERM or when any of them dies:
nginx first (no new clients), then the instances (SIGTERM: they tell their clients and hand the
feed over), then Redis. Every wait is bounded.

    .venv/bin/python deploy/cluster.py [--instances N] [--listen 127.0.0.1:8080]
        [--base-port 8101 | --ports P1,P2,P3] [--redis-port 6390] [--exchange binance|simulator]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf.template"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
ROUTE = re.compile(r"[A-Za-z0-9]{1,16}")  # as settings.instance_route, but never empty here


def nginx_executable() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def instance_route(i: int) -> str:
    """The balancer's name for the i-th instance (from 1): its CRYPTOTRACKER_INSTANCE_ROUTE."""
    return f"t{i}"


def usable_cores() -> int:
    """Cores this process may run on (a container's or taskset's share, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def render_nginx_conf(
    prefix: Path | str,
    listen: str,
    upstreams: Mapping[str, str],
    *,
    user: str | None = None,
    fail_timeout_s: int = 5,
) -> str:
    """The nginx.conf for these instances, route -> host:port (the route each was started
    with). `user`: the worker user, needed only when nginx starts as root (it would switch to
    `nobody` otherwise)."""
    for route in upstreams:
        if not ROUTE.fullmatch(route):
            raise ValueError(f"instance route {route!r}: 1-16 letters or digits")
    if len({r.lower() for r in upstreams}) < len(upstreams):
        raise ValueError("instance routes must differ in more than case (nginx upstream names)")
    servers = "\n".join(
        f"        server {u} max_fails=1 fail_timeout={fail_timeout_s}s;"
        for u in upstreams.values()
    )
    groups = "\n".join(
        f"    upstream tracker_{route} {{\n        server {u};\n        keepalive 8;\n    }}"
        for route, u in upstreams.items()
    )
    route_map = "\n".join(f'        "~^{route}\\." tracker_{route};' for route in upstreams)
    return Template(TEMPLATE.read_text()).safe_substitute(
        CT_PREFIX=str(prefix),
        CT_LISTEN=listen,
        CT_UPSTREAM_SERVERS=servers,
        CT_INSTANCE_UPSTREAMS=groups,
        CT_ROUTE_MAP=route_map,
        CT_USER_LINE=f"user {user};" if user else "",
        CT_ERROR_LOG=f"{prefix}/error.log",
        CT_ACCESS_LOG=f"{prefix}/access.log",
    )


def write_nginx_conf(prefix: Path, listen: str, upstreams: Mapping[str, str]) -> Path:
    """Render into `prefix`/nginx.conf, with the folders nginx writes to; returns the path."""
    prefix.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None
    conf = prefix / "nginx.conf"
    conf.write_text(render_nginx_conf(prefix.resolve(), listen, upstreams, user=user))
    return conf


def nginx_command(prefix: Path, conf: Path, *extra: str) -> list[str]:
    """nginx with every path in `prefix` (-e: the error log it opens before reading conf)."""
    return [
        nginx_executable(),
        "-p",
        str(prefix.resolve()),
        "-c",
        str(conf.resolve()),
        "-e",
        str((prefix / "error.log").resolve()),
        *extra,
    ]


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class Child:
    def __init__(self, name: str, args: list[str], log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            args,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self._log.close()
        return self.popen.returncode


class Cluster:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = (ROOT / args.dir).resolve()
        self.children: list[Child] = []
        self.stopping = False
        host, _, port = args.listen.rpartition(":")
        self.listen_host, self.listen_port = host or "127.0.0.1", int(port)

    def ports(self) -> list[int]:
        if self.args.ports:
            return [int(p) for p in self.args.ports.split(",")]
        return [self.args.base_port + i for i in range(self.args.instances)]

    def start(
        self, name: str, args: list[str], port: int, env: dict[str, str] | None = None
    ) -> None:
        child = Child(name, args, self.dir, env or {})
        self.children.append(child)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not port_open("127.0.0.1" if name != "nginx" else self.listen_host, port):
            if not child.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {child.log_path}")
            time.sleep(0.05)
        shown = child.log_path
        with contextlib.suppress(ValueError):
            shown = shown.relative_to(ROOT)
        print(f"  {name:<10} :{port}  log {shown}", flush=True)

    def up(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        rport = self.args.redis_port
        self.start(
            "redis",
            [redis, "--bind", "127.0.0.1", "--port", str(rport), "--save", "", "--appendonly",
             "no", "--dir", str(self.dir)],
            rport,
        )  # fmt: skip
        origin = f"http://{self.listen_host}:{self.listen_port}"
        origins = {origin, origin.replace("127.0.0.1", "localhost")}
        upstreams: dict[str, str] = {}
        for i, port in enumerate(self.ports(), start=1):
            route = instance_route(i)
            origins |= {f"http://127.0.0.1:{port}", f"http://localhost:{port}"}
            env = {
                "CRYPTOTRACKER_HOST": "127.0.0.1",
                "CRYPTOTRACKER_PORT": str(port),
                "CRYPTOTRACKER_REDIS_URL": f"redis://127.0.0.1:{rport}/0",
                "CRYPTOTRACKER_CORS_ORIGINS": ",".join(sorted(origins)),
                "CRYPTOTRACKER_INSTANCE_ROUTE": route,  # the start of its session ids
            }
            if self.args.exchange:
                env["CRYPTOTRACKER_EXCHANGE"] = self.args.exchange
            self.start(f"tracker{i}", [sys.executable, "-m", "cryptotracker", "serve"], port, env)
            upstreams[route] = f"127.0.0.1:{port}"
        conf = write_nginx_conf(self.dir, self.args.listen, upstreams)
        self.start("nginx", nginx_command(self.dir, conf), self.listen_port)
        print(f"cluster up: http://{self.args.listen}/  (Ctrl-C stops it)", flush=True)

    def down(self) -> None:
        # nginx first (no new clients), then instances (they drain), then Redis.
        for child in reversed(self.children):
            sig = signal.SIGQUIT if child.name == "nginx" else signal.SIGTERM
            code = child.stop(sig)
            # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean stop.
            how = "cleanly" if code in (0, -sig) else f"with exit code {code}"
            print(f"  {child.name:<10} stopped {how}", flush=True)
        self.children.clear()

    def wait(self) -> int:
        """Until a signal or a child's death; 0 after a signal, 1 after a death."""
        while not self.stopping:
            for child in self.children:
                if not child.alive():
                    print(f"{child.name} exited ({child.popen.returncode}); stopping", flush=True)
                    return 1
            time.sleep(0.2)
        return 0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--instances",
        type=int,
        default=usable_cores(),
        help="how many instances (default: one per core, %(default)s here)",
    )
    parser.add_argument("--listen", default="127.0.0.1:8080", help="nginx's host:port")
    parser.add_argument("--base-port", type=int, default=8101, help="first instance's port")
    parser.add_argument(
        "--ports", help="the instances' ports, comma-separated (overrides --instances/--base-port)"
    )
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--exchange", choices=["binance", "simulator"], default=None)
    parser.add_argument("--dir", default=".cluster", help="logs, pid, temp files, nginx.conf")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cluster = Cluster(args)

    def on_signal(signum: int, _frame: object) -> None:
        cluster.stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 1
    try:
        cluster.up()
        code = cluster.wait()
    except RuntimeError as exc:
        print(f"cluster failed to start: {exc}", file=sys.stderr, flush=True)
    finally:
        print("stopping cluster", flush=True)
        cluster.down()
    return code


if __name__ == "__main__":
    sys.exit(main())
