"""deploy/ cannot run here (no Docker engine), so its files are checked for what can be checked:
nginx accepts the config `make cluster` and compose render, the YAML and JSON parse, and the
compose file, Prometheus, Grafana and the production settings agree with the code."""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from pathlib import Path
from string import Template
from typing import Any

import pytest
import yaml

from cryptotracker.metrics import REGISTRY
from cryptotracker.settings import Settings
from tests.cluster.kit import deploy_module, nginx_available
from tests.support import ROOT

DEPLOY = ROOT / "deploy"
needs_nginx = pytest.mark.skipif(not nginx_available(), reason="nginx is installed by make test")


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "docker-compose.yml").read_text()))


def nginx_test(conf: Path, prefix: Path) -> subprocess.CompletedProcess[str]:
    command = deploy_module().nginx_command(prefix, conf, "-t")
    return subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)


@needs_nginx
def test_nginx_accepts_the_cluster_config(tmp_path: Path) -> None:
    deploy = deploy_module()
    prefix = tmp_path / "nginx"
    conf = deploy.write_nginx_conf(
        prefix, "127.0.0.1:18080", {"t1": "127.0.0.1:18101", "t2": "127.0.0.1:18102"}
    )
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    text = conf.read_text()
    assert "${CT_" not in text  # every placeholder filled, nginx's own $variables kept
    assert "map $arg_sid $ct_backend" in text and "proxy_pass http://$ct_backend;" in text
    assert '"~^t2\\." tracker_t2;' in text and "server 127.0.0.1:18102;" in text
    assert "least_conn;" in text and "$http_upgrade" in text
    directives = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [d for d in directives if "cookie" in d.lower()]  # nothing a client must keep


def test_routes_are_names_nginx_can_tell_apart() -> None:
    deploy = deploy_module()
    for bad in ({"": "a:1"}, {"t.1": "a:1"}, {"t-1": "a:1"}, {"x" * 17: "a:1"}):
        with pytest.raises(ValueError, match="letters or digits"):
            deploy.render_nginx_conf("/tmp", "127.0.0.1:1", bad)
    with pytest.raises(ValueError, match="case"):
        deploy.render_nginx_conf("/tmp", "127.0.0.1:1", {"A1": "a:1", "a1": "a:2"})
    assert deploy.instance_route(2) == "t2"
    Settings(instance_route=deploy.instance_route(99))  # the server accepts what we pass


def test_cluster_runs_one_instance_per_core_by_default() -> None:
    deploy = deploy_module()
    assert deploy.parse_args([]).instances == deploy.usable_cores() >= 1
    assert deploy.parse_args(["--instances", "5"]).instances == 5


def compose_nginx_env() -> dict[str, str]:
    return dict(compose()["services"]["nginx"]["environment"])


@needs_nginx
def test_nginx_accepts_the_compose_rendering(tmp_path: Path) -> None:
    """The compose service fills the template with its own values (envsubst there, with the
    list of CT_* names its command gives; every placeholder of the template is in it)."""
    command = " ".join(compose()["services"]["nginx"]["command"])
    substituted = set(re.findall(r"\$\$\{(CT_[A-Z_]+)\}", command))
    template = (DEPLOY / "nginx.conf.template").read_text()
    assert set(re.findall(r"\$\{(CT_[A-Z_]+)\}", template)) == substituted
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    values = {
        **compose_nginx_env(),
        "CT_PREFIX": str(prefix),
        "CT_LISTEN": "127.0.0.1:18081",
        "CT_USER_LINE": "",  # the image's user; nginx -t here runs as whoever runs the tests
        "CT_ACCESS_LOG": "off",
    }
    text = Template(template).safe_substitute(values)
    # Resolvable stand-ins for the compose host names: trackerN -> 127.0.0.N.
    text = re.sub(r"\btracker(\d+):", r"127.0.0.\1:", text)
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, result.stderr


def test_compose_routes_each_session_to_the_instance_that_issued_it() -> None:
    """Each trackerN is started with a route; nginx's map sends that route to a group holding
    exactly trackerN; the balanced group holds every instance."""
    services = compose()["services"]
    route_of = {
        name: s["environment"]["CRYPTOTRACKER_INSTANCE_ROUTE"]
        for name, s in services.items()
        if name.startswith("tracker")
    }
    assert route_of == {"tracker1": "t1", "tracker2": "t2", "tracker3": "t3"}
    env = compose_nginx_env()
    route_map = dict(re.findall(r'"~\^(\w+)\\\." (\w+);', env["CT_ROUTE_MAP"]))
    groups = dict(re.findall(r"upstream (\w+) \{ server (\S+);", env["CT_INSTANCE_UPSTREAMS"]))
    balanced = re.findall(r"server (\S+) max_fails", env["CT_UPSTREAM_SERVERS"])
    assert {route: groups[group] for route, group in route_map.items()} == {
        route: f"{name}:8000" for name, route in route_of.items()
    }
    assert len(groups) == len(route_map) == len(route_of)
    assert balanced == [f"{name}:8000" for name in route_of]


def test_compose_runs_redis_three_instances_nginx_prometheus_grafana() -> None:
    services = compose()["services"]
    assert {"redis", "tracker1", "tracker2", "tracker3", "nginx", "prometheus", "grafana"} <= set(
        services
    )
    for name in ("tracker1", "tracker2", "tracker3"):
        tracker = services[name]
        assert tracker["build"]["dockerfile"] == "deploy/Dockerfile"
        assert tracker["env_file"] == "production.env"
        assert tracker["environment"]["CRYPTOTRACKER_REDIS_URL"] == "redis://redis:6379/0"
    mounted = [v.split(":")[0] for s in services.values() for v in s.get("volumes", [])]
    for path in mounted:
        assert (DEPLOY / path).exists(), path


def test_production_settings_are_valid_and_strict() -> None:
    values: dict[str, str] = {}
    for line in (DEPLOY / "production.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    fields = {f"CRYPTOTRACKER_{name.upper()}" for name in Settings.model_fields}
    assert set(values) <= fields, set(values) - fields
    settings = Settings(**{k.removeprefix("CRYPTOTRACKER_").lower(): v for k, v in values.items()})
    assert settings.simulator_fallback is False
    assert settings.cors_origins and all(o.startswith("https://") for o in settings.cors_origins)
    assert settings.log_level == "info"
    assert settings.max_connections_per_ip > 0 and settings.limit_exempt_ips == []
    assert settings.sentry_dsn is None  # a secret: never committed
    assert settings.serve_docs is False
    private = [ipaddress.ip_network(n) for n in settings.metrics_allow]
    assert private and all(n.is_private for n in private)
    assert "*" not in settings.forwarded_allow_ips  # else a client can name its own address


def test_prometheus_scrapes_every_instance_of_compose() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["rules.yml"]  # beside it, as compose mounts both
    mounts = compose()["services"]["prometheus"]["volumes"]
    assert "./prometheus/rules.yml:/etc/prometheus/rules.yml:ro" in mounts
    [job] = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    targets = job["static_configs"][0]["targets"]
    trackers = [s for s in compose()["services"] if s.startswith("tracker")]
    assert sorted(targets) == sorted(f"{s}:8000" for s in trackers)


def test_grafana_dashboard_plots_metrics_the_server_exports() -> None:
    for path in (DEPLOY / "grafana" / "provisioning").rglob("*.yml"):
        assert yaml.safe_load(path.read_text())["apiVersion"] == 1
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "cryptotracker.json").read_text())
    exported = {m.name for m in REGISTRY.collect()}
    used = {
        re.sub(r"_(bucket|total|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"cryptotracker_[a-z_]+", target["expr"])
    }
    assert used and used <= exported, used - exported


def test_dockerfile_serves_the_locked_package_on_port_8000() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "uv sync --frozen --no-dev" in text
    assert 'CMD ["cryptotracker", "serve"]' in text
    assert "CRYPTOTRACKER_PORT=8000" in text and "EXPOSE 8000" in text
    assert "npm ci" in text and "web/dist" in text
