"""deploy/ cannot run here (no Docker engine), so its files are checked for what can be checked:
nginx accepts the config `make cluster` and compose render, the YAML and JSON parse, and the
compose file, Prometheus, Grafana and the production settings agree with the code."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
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
        prefix, "127.0.0.1:18080", ["127.0.0.1:18101", "127.0.0.1:18102"]
    )
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
    text = conf.read_text()
    assert "${CT_" not in text  # every placeholder filled, nginx's own $variables kept
    assert "hash $ct_sticky consistent" in text and "$http_upgrade" in text


@needs_nginx
def test_nginx_accepts_the_compose_rendering(tmp_path: Path) -> None:
    """The compose service fills the same template with its own values (envsubst there)."""
    env = compose()["services"]["nginx"]["environment"]
    upstreams = re.findall(r"server (\S+) ", env["CT_UPSTREAM_SERVERS"])
    assert upstreams == ["tracker1:8000", "tracker2:8000", "tracker3:8000"]
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    # Resolvable stand-ins for the compose host names; stderr logs as in the container.
    text = deploy_module().render_nginx_conf(
        prefix, "127.0.0.1:18081", [u.replace("tracker", "127.0.0.") for u in upstreams]
    )
    text = text.replace(f"{prefix}/error.log", "stderr").replace(f"{prefix}/access.log", "off")
    conf = prefix / "nginx.conf"
    conf.write_text(text)
    result = nginx_test(conf, prefix)
    assert result.returncode == 0, result.stderr


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


def test_prometheus_scrapes_every_instance_of_compose() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
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
