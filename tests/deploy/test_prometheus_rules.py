"""deploy/prometheus/: the alerting rules load, every alert has unit tests that show it firing
(promtool test rules), and both Prometheus configs (compose's, and the one `make cluster`
renders) are valid with the rules they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.cluster.kit import deploy_module
from tests.deploy.kit import DEPLOY, run, tool

PROMETHEUS = DEPLOY / "prometheus"
SEED_ALERTS = {  # the seed's monitoring list, by the alert that covers each item
    "CryptoTrackerNoFreshPrice",
    "CryptoTrackerCircuitOpen",
    "CryptoTrackerNoIngestLeader",
    "CryptoTrackerTwoIngestLeaders",
    "CryptoTrackerRedisDown",
    "CryptoTrackerSlowClientDisconnects",
    "CryptoTrackerBatchLatencyHigh",
}


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((PROMETHEUS / name).read_text()))


def alerts() -> set[str]:
    return {r["alert"] for g in load("rules.yml")["groups"] for r in g["rules"] if "alert" in r}


def test_rules_pass_promtool_check() -> None:
    result = run(tool("promtool"), "check", "rules", str(PROMETHEUS / "rules.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_rules_cover_the_seed_monitoring_list() -> None:
    assert alerts() >= SEED_ALERTS


def test_every_alert_is_unit_tested_firing_and_the_tests_pass() -> None:
    cases = [c for t in load("rules.test.yml")["tests"] for c in t["alert_rule_test"]]
    fired = {c["alertname"] for c in cases if c["exp_alerts"]}
    assert fired == alerts()
    result = run(tool("promtool"), "test", "rules", "rules.test.yml", cwd=PROMETHEUS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_compose_prometheus_config_is_valid_with_its_rules() -> None:
    result = run(tool("promtool"), "check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules.yml" in result.stdout and f"SUCCESS: {len(alerts())} rules found" in result.stdout


def test_cluster_prometheus_config_is_valid_and_scrapes_every_instance(tmp_path: Path) -> None:
    targets = ["127.0.0.1:8101", "127.0.0.1:8102", "127.0.0.1:8103"]
    conf = tmp_path / "prometheus.yml"
    conf.write_text(deploy_module().render_prometheus_conf(targets, scrape_interval="2s"))
    result = run(tool("promtool"), "check", "config", str(conf))
    assert result.returncode == 0, result.stdout + result.stderr
    [job] = yaml.safe_load(conf.read_text())["scrape_configs"]
    assert job["static_configs"] == [{"targets": targets}]
