"""`make cluster`: Redis, N tracker instances, Prometheus and nginx in front, all from the checkout.

N is one instance per core unless --instances says otherwise (each instance is one asyncio
process, so one core is what it can use). Instance i is started with the route `ti`
(CRYPTOTRACKER_INSTANCE_ROUTE), which begins every session id it issues; nginx routes on it.

Every process runs in its own session (so Ctrl-C reaches only this supervisor) and appends its
log to .cluster/<name>.log. Prometheus scrapes every instance and evaluates the alerting rules
of deploy/prometheus/rules.yml (its config rendered into .cluster/prometheus.yml); without the
`prometheus` binary the cluster runs without it and says so. A port a member needs that is
taken already fails start-up with one line naming it.

A member that dies (instance, Redis, Prometheus or nginx) is restarted alone,
after a capped exponential backoff (0.5 s doubling to 10 s, reset after 30 s up), with a line
saying so; what it left in its process group is killed first. Only Ctrl-C / SIGTERM stops
everything, in order: nginx first (no new clients), then the instances (SIGTERM: they tell
their clients and hand the feed over), then Redis. Every wait is bounded.

    .venv/bin/python deploy/cluster.py [--instances N] [--listen 127.0.0.1:8080]
        [--base-port 8101 | --ports P1,P2,P3] [--redis-port 6390] [--exchange binance|simulator]
        [--prometheus-port 9090 | --no-prometheus] [--scrape-interval 5s]
"""

from __future__ import annotations

import argparse
import contextlib
import json
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
RULES = Path(__file__).resolve().parent / "prometheus" / "rules.yml"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
ROUTE = re.compile(r"[A-Za-z0-9]{1,16}")  # as settings.instance_route, but never empty here


def nginx_executable() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def prometheus_executable() -> str | None:
    return shutil.which("prometheus")


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


def render_prometheus_conf(
    targets: Sequence[str], *, rules: Path = RULES, scrape_interval: str = "5s"
) -> str:
    """Prometheus' config scraping these instances (host:port) with the alerting rules of
    `rules`. JSON, which is YAML too: no YAML writer needed at run time."""
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(rules.resolve())],
        "scrape_configs": [
            {
                "job_name": "cryptotracker",
                "metrics_path": "/metrics",
                "static_configs": [{"targets": list(targets)}],
            }
        ],
    }
    return json.dumps(config, indent=2) + "\n"


def prometheus_command(conf: Path, data: Path, listen: str) -> list[str]:
    executable = prometheus_executable()
    if executable is None:
        raise RuntimeError("prometheus is not installed (make install-system installs it)")
    return [
        executable,
        f"--config.file={conf.resolve()}",
        f"--storage.tsdb.path={data.resolve()}",
        f"--web.listen-address={listen}",
        "--storage.tsdb.retention.time=1d",
    ]


def last_line(path: Path) -> str:
    """The last non-empty line of a log: usually the reason a process gave up."""
    with contextlib.suppress(OSError):
        for line in reversed(path.read_text(errors="replace").splitlines()):
            if line.strip():
                return line.strip()
    return ""


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class Backoff:
    """Capped exponential restart delays for one member: 0.5 s, 1 s, 2 s ... 10 s; back to the
    start once the member has stayed up for STABLE_S."""

    BASE_S = 0.5
    CAP_S = 10.0
    STABLE_S = 30.0

    def __init__(self) -> None:
        self.failures = 0

    def next_delay(self, uptime_s: float) -> float:
        if uptime_s >= self.STABLE_S:
            self.failures = 0
        delay = min(self.CAP_S, self.BASE_S * 2**self.failures)
        self.failures += 1
        return delay


class Child:
    """One member: its command, started (and restarted) in a session of its own so a signal to
    its process group reaches everything it started (nginx's workers, an instance's
    simulator)."""

    def __init__(
        self, name: str, args: list[str], port: int, host: str, log_dir: Path, env: dict[str, str]
    ) -> None:
        self.name = name
        self.args = args
        self.port = port
        self.host = host
        self.env = {**os.environ, **env}
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")  # one file per run; restarts append to it
        self.backoff = Backoff()
        self.started = time.monotonic()
        self.restart_at: float | None = None  # set while dead, waiting for its restart
        self.down_since: float | None = None  # set from its death until it listens again
        self.popen = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        return subprocess.Popen(
            self.args,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )

    def alive(self) -> bool:
        return self.popen.poll() is None

    def listening(self) -> bool:
        return port_open(self.host, self.port)

    def reap_group(self) -> None:
        """Kill what the dead leader left in its process group (nginx workers still holding the
        port, a simulator whose instance was killed): the restart must start clean."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)

    def died(self) -> float:
        """Called once per death: reap, plan the restart; returns the delay."""
        self.reap_group()
        delay = self.backoff.next_delay(time.monotonic() - self.started)
        now = time.monotonic()
        self.restart_at = now + delay
        if self.down_since is None:
            self.down_since = now
        return delay

    def restart(self) -> None:
        self.restart_at = None
        self.popen = self._spawn()

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
        self.reap_group()
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
        host = self.listen_host if name == "nginx" else "127.0.0.1"
        # Another process on the port would pass the "listening" check below for this member.
        if port_open(host, port):
            raise RuntimeError(f"{name} cannot listen on {host}:{port}: the port is in use")
        child = Child(name, args, port, host, self.dir, env or {})
        self.children.append(child)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not child.listening():
            if not child.alive() or time.monotonic() > deadline or self.stopping:
                why = last_line(child.log_path)
                raise RuntimeError(f"{name} did not start on {host}:{port}: {why or 'no output'}")
            time.sleep(0.05)
        shown = child.log_path
        with contextlib.suppress(ValueError):
            shown = shown.relative_to(ROOT)
        print(f"  {name:<10} :{port}  pid {child.popen.pid}  log {shown}", flush=True)

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
        self.start_prometheus(list(upstreams.values()))
        conf = write_nginx_conf(self.dir, self.args.listen, upstreams)
        self.start("nginx", nginx_command(self.dir, conf), self.listen_port)
        print(f"cluster up: http://{self.args.listen}/  (Ctrl-C stops it)", flush=True)
        if any(c.name == "prometheus" for c in self.children):
            print(f"alerts: http://127.0.0.1:{self.args.prometheus_port}/alerts", flush=True)

    def start_prometheus(self, targets: list[str]) -> None:
        if self.args.no_prometheus:
            return
        if prometheus_executable() is None:
            print("  prometheus not installed (make install-system): none runs", flush=True)
            return
        conf = self.dir / "prometheus.yml"
        conf.write_text(render_prometheus_conf(targets, scrape_interval=self.args.scrape_interval))
        port = self.args.prometheus_port
        command = prometheus_command(conf, self.dir / "prometheus-data", f"127.0.0.1:{port}")
        self.start("prometheus", command, port)

    def down(self) -> None:
        # nginx first (no new clients), then instances (they drain), then Redis.
        for child in reversed(self.children):
            sig = signal.SIGQUIT if child.name == "nginx" else signal.SIGTERM
            if child.restart_at is not None:  # dead, waiting for its restart
                child.stop(sig)
                print(f"  {child.name:<10} was down (restart cancelled)", flush=True)
                continue
            code = child.stop(sig)
            # uvicorn re-raises the signal once it has shut down: -SIGTERM is a clean stop.
            how = "cleanly" if code in (0, -sig) else f"with exit code {code}"
            print(f"  {child.name:<10} stopped {how}", flush=True)
        self.children.clear()

    def tend(self, child: Child) -> None:
        """One look at one member: note a death, restart it when its delay is over, say when
        it listens again. Never touches the other members."""
        now = time.monotonic()
        if child.restart_at is None and not child.alive():
            delay = child.died()
            code = child.popen.returncode
            print(f"{child.name} exited ({code}); restarting in {delay:g} s", flush=True)
        elif child.restart_at is not None and now >= child.restart_at:
            child.restart()
            print(f"{child.name} restarting (pid {child.popen.pid})", flush=True)
        elif child.down_since is not None and child.alive() and child.listening():
            took = now - child.down_since
            child.down_since = None
            print(f"{child.name} serving again on :{child.port} after {took:.1f} s", flush=True)

    def wait(self) -> int:
        """Supervise until Ctrl-C / SIGTERM (then 0): a member that dies is restarted after its
        backoff, the others go on."""
        while not self.stopping:
            for child in self.children:
                if self.stopping:
                    break
                self.tend(child)
            time.sleep(0.1)
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
    parser.add_argument("--prometheus-port", type=int, default=9090, help="on 127.0.0.1")
    parser.add_argument("--no-prometheus", action="store_true", help="run without Prometheus")
    parser.add_argument(
        "--scrape-interval", default="5s", help="Prometheus' scrape and rule evaluation interval"
    )
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
