"""deploy/k8s/ offline: every manifest against the Kubernetes API schemas (kubernetes-validate,
strict), the security linter (checkov) with nothing failing, and the parts agreeing with each
other and with the app: selectors, probes on the app's health routes, a termination grace that
covers the app's shutdown, settings that exist, an Ingress that keeps a polling session on its
pod. The ServiceMonitor and PrometheusRule are CRDs without a schema here: their fields are
checked by hand, and the rules are deploy/prometheus/rules.yml's (tested by promtool)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from cryptotracker.api.routes import router
from cryptotracker.metrics import REGISTRY
from cryptotracker.settings import Settings
from tests.deploy.kit import DEPLOY, run, tool

K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor the manifests target (preStop sleep: 1.30)


def manifests() -> dict[str, dict[str, Any]]:
    """kind -> the resource, over every file the kustomization lists."""
    found: dict[str, dict[str, Any]] = {}
    for name in yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            assert doc["kind"] not in found, f"a second {doc['kind']} in {name}"
            found[doc["kind"]] = doc
    return found


def container() -> dict[str, Any]:
    [tracker] = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(tracker)


def test_kustomization_lists_every_manifest_and_all_but_the_crd_have_a_schema() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(manifests()) - set(SCHEMA_KINDS) == {"ServiceMonitor", "PrometheusRule"}


SCHEMA_KINDS = ["Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "Ingress",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"]  # fmt: skip


@pytest.mark.parametrize("kind", SCHEMA_KINDS)
def test_manifest_matches_the_kubernetes_schema(kind: str) -> None:
    for version in (KUBERNETES_VERSION, kubernetes_validate.latest_version()):
        kubernetes_validate.validate(manifests()[kind], version, strict=True)


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    deployment = manifests()["Deployment"]
    deployment["spec"]["template"]["spec"]["terminationGracePeriod"] = 20
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_checkov_finds_nothing_and_every_skip_says_why(tmp_path: Path) -> None:
    result = run(
        tool("checkov"), "-d", str(K8S), "--framework", "kubernetes", "--skip-download",
        "-o", "json", "--output-file-path", str(tmp_path), timeout=180,
    )  # fmt: skip
    report = json.loads((tmp_path / "results_json.json").read_text())
    summary = report["summary"]
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert result.returncode == 0 and summary["failed"] == 0, failed
    assert summary["passed"] >= 80 and summary["resource_count"] >= 9
    skipped = report["results"]["skipped_checks"]
    assert {c["check_id"] for c in skipped} == {"CKV_K8S_43", "CKV_K8S_35"}  # deployment.yaml
    for check in skipped:
        assert len(check["check_result"].get("suppress_comment", "")) > 20, check["check_id"]


def test_selectors_and_references_agree() -> None:
    m = manifests()
    pod_labels = m["Deployment"]["spec"]["template"]["metadata"]["labels"]
    selected = [
        m["Deployment"]["spec"]["selector"]["matchLabels"],
        m["Service"]["spec"]["selector"],
        m["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
        m["NetworkPolicy"]["spec"]["podSelector"]["matchLabels"],
    ]
    assert all(s.items() <= pod_labels.items() for s in selected)
    assert m["ServiceMonitor"]["spec"]["selector"]["matchLabels"].items() <= (
        m["Service"]["metadata"]["labels"].items()
    )
    ports = {p["name"]: p for p in m["Service"]["spec"]["ports"]}
    [endpoint] = m["ServiceMonitor"]["spec"]["endpoints"]
    assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
    [rule] = m["Ingress"]["spec"]["rules"]
    [path] = rule["http"]["paths"]
    assert path["backend"]["service"]["name"] == m["Service"]["metadata"]["name"]
    assert path["backend"]["service"]["port"]["name"] in ports
    assert {p["name"] for p in container()["ports"]} >= {p["targetPort"] for p in ports.values()}
    target = m["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", m["Deployment"]["metadata"]["name"])
    namespaces = {d["metadata"].get("namespace") for k, d in m.items() if k != "Namespace"}
    assert namespaces == {m["Namespace"]["metadata"]["name"]}


def test_prometheus_rule_carries_the_tested_rules() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "rules.yml").read_text())
    assert manifests()["PrometheusRule"]["spec"]["groups"] == rules["groups"]


def test_probes_use_the_app_health_routes_and_port() -> None:
    routes = {getattr(r, "path", None) for r in router.routes}
    tracker = container()
    assert tracker["readinessProbe"]["httpGet"]["path"] == "/health/ready" in routes
    assert tracker["startupProbe"]["httpGet"]["path"] == "/health/ready"
    assert tracker["livenessProbe"]["httpGet"]["path"] == "/health" in routes
    env = manifests()["ConfigMap"]["data"]
    [port] = tracker["ports"]
    assert int(env["CRYPTOTRACKER_PORT"]) == port["containerPort"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert tracker[probe]["httpGet"]["port"] == port["name"]


def test_termination_grace_covers_prestop_and_the_app_shutdown() -> None:
    """SIGTERM comes after preStop; the app then drains within shutdown_timeout_s and forces
    its exit 3 s later (app.run_server): the kubelet's SIGKILL must come after all that."""
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    pre_stop = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    settings = Settings(_env_file=None, **{  # the ConfigMap's value, as the pod reads it
        "shutdown_timeout_s": manifests()["ConfigMap"]["data"]["CRYPTOTRACKER_SHUTDOWN_TIMEOUT_S"]
    })  # fmt: skip
    assert pod["terminationGracePeriodSeconds"] >= pre_stop + settings.shutdown_timeout_s + 3
    assert pre_stop >= 2  # long enough for the Ingress controller to drop the endpoint


def test_config_map_sets_only_settings_that_exist() -> None:
    env = manifests()["ConfigMap"]["data"]
    names = {k.removeprefix("CRYPTOTRACKER_").lower() for k in env}
    secret = {e["name"].removeprefix("CRYPTOTRACKER_").lower() for e in container()["env"]}
    assert all(k.startswith("CRYPTOTRACKER_") for k in env)
    assert (names | secret) <= set(Settings.model_fields)
    assert "redis_url" not in names and {"redis_sentinels", "redis_sentinel_master"} <= names
    assert env["CRYPTOTRACKER_SIMULATOR_FALLBACK"] == "false"


def test_pods_run_non_root_on_a_read_only_root_filesystem() -> None:
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    security = container()["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False and security["capabilities"]["drop"] == [
        "ALL"
    ]
    assert pod["automountServiceAccountToken"] is False


def test_autoscaler_scales_on_cpu_and_the_connections_metric_the_pods_export() -> None:
    spec = manifests()["HorizontalPodAutoscaler"]["spec"]
    kinds = {m["type"]: m for m in spec["metrics"]}
    assert kinds["Resource"]["resource"]["name"] == "cpu"
    metric = kinds["Pods"]["pods"]["metric"]["name"]
    assert metric in {m.name for m in REGISTRY.collect()}
    budget = manifests()["PodDisruptionBudget"]["spec"]
    assert spec["minReplicas"] > budget["maxUnavailable"]  # a drain never empties the service


def test_ingress_keeps_a_polling_session_on_its_pod_and_outlasts_a_heartbeat() -> None:
    notes = manifests()["Ingress"]["metadata"]["annotations"]
    key = "nginx.ingress.kubernetes.io/"
    assert notes[key + "affinity"] == "cookie"
    assert notes[key + "affinity-mode"] == "persistent"
    settings = Settings(_env_file=None)
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(notes[key + timeout]) > settings.heartbeat_s + settings.heartbeat_timeout_s
    assert manifests()["Ingress"]["spec"]["ingressClassName"] == "nginx"
