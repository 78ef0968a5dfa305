"""deploy/Dockerfile without a container engine: hadolint passes it, and the final stage's
entry point, user and HEALTHCHECK are run here as the image would run them: the CMD as the
image's numeric non-root user with the image's environment (its /app paths mapped to this
checkout, the port passed as `docker run -e` would), the HEALTHCHECK command passing while it
serves and failing once it stopped, STOPSIGNAL ending it cleanly within its timeout; and the
CI workflow's smoke test (deploy/smoke.sh) passing against it, failing once it stopped. Not
covered without an engine: the image build itself and its read-only root filesystem."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from cryptotracker.settings import Settings
from tests.deploy.dockerfile import final_stage
from tests.deploy.kit import DEPLOY, run, tool
from tests.support import ROOT, Proc, free_port, port_open, wait_until

DOCKERFILE = DEPLOY / "Dockerfile"
SMOKE = DEPLOY / "smoke.sh"
IMAGE_USER = 10001


def test_dockerfile_passes_hadolint() -> None:
    result = run(tool("hadolint"), "--no-color", str(DOCKERFILE), timeout=30)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr


def test_image_runs_as_the_numeric_non_root_user_kubernetes_expects() -> None:
    stage = final_stage(DOCKERFILE)
    assert stage.user == f"{IMAGE_USER}:{IMAGE_USER}"
    assert any(f"useradd --system --uid {IMAGE_USER} --gid {IMAGE_USER}" in r for r in stage.run)
    [deployment] = [
        d
        for d in yaml.safe_load_all((DEPLOY / "k8s" / "deployment.yaml").read_text())
        if d["kind"] == "Deployment"
    ]
    pod = deployment["spec"]["template"]["spec"]["securityContext"]
    assert pod["runAsNonRoot"] is True and pod["runAsUser"] == IMAGE_USER


def as_image_user() -> list[str]:
    """Run as the image's user: switched to it when we are root (as on CI); otherwise we are
    a non-root user already, which is what matters."""
    if os.geteuid() != 0:
        return []
    switch = ["setpriv", f"--reuid={IMAGE_USER}", f"--regid={IMAGE_USER}", "--clear-groups"]
    probe = [*switch, sys.executable, "-c", "import sys; print(sys.version)"]
    if run(*probe, timeout=30).stdout.strip() == sys.version:
        return switch
    # This venv's interpreter lives where only root may look (a Python under /root): keep the
    # right to read and search, nothing else, so the user can start it. Writes stay the user's.
    read = "+dac_read_search"
    return [*switch, f"--inh-caps={read}", f"--ambient-caps={read}"]


def image_env(stage_env: dict[str, str], port: int, home: Path) -> dict[str, str]:
    """The image's ENV with /app (its WORKDIR) mapped to this checkout, and what a `docker run
    -e` would pass: the port, and the simulator as the CI smoke test runs it."""
    env = {k: v.replace("/app/.venv", str(ROOT / ".venv")) for k, v in stage_env.items()}
    env = {k: v.replace("/app", str(ROOT)) for k, v in env.items()}
    env["PATH"] = env["PATH"].replace("$PATH", os.environ["PATH"])
    return {**env, "HOME": str(home), "CRYPTOTRACKER_PORT": str(port),
            "CRYPTOTRACKER_EXCHANGE": "simulator"}  # fmt: skip


def test_entry_point_serves_as_the_image_user_and_its_healthcheck_tells(tmp_path: Path) -> None:
    stage = final_stage(DOCKERFILE)
    assert stage.cmd == ["cryptotracker", "serve"] and stage.stopsignal == "SIGTERM"
    assert stage.healthcheck[0] == "python" and "/health/ready" in stage.healthcheck[-1]
    port = free_port()
    env = image_env(stage.env, port, tmp_path)
    assert env["CRYPTOTRACKER_HOST"] == "0.0.0.0"  # reachable from outside the container

    def healthcheck() -> int:
        # Docker runs the exec form with the container's environment: the same here.
        command = [*as_image_user(), *stage.healthcheck]
        timeout = float(stage.healthcheck_options["timeout"].removesuffix("s"))
        done = subprocess.run(
            command,
            env={**os.environ, **env},
            capture_output=True,
            timeout=timeout + 5,
            check=False,
        )
        return done.returncode

    assert healthcheck() != 0  # nothing listens yet: the check can fail
    proc = Proc([*as_image_user(), *stage.cmd], env=env, name="image-cmd")
    try:
        wait_until(lambda: port_open(port) or not proc.alive(), 30, "the entry point listening")
        assert proc.alive(), proc.log()[-2000:]
        assert healthcheck() == 0
        uid = Path(f"/proc/{proc.pid}/status").read_text().split("Uid:")[1].split()[0]
        assert int(uid) == (IMAGE_USER if os.geteuid() == 0 else os.geteuid()) != 0
        ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["ready"] is True
        # The CI workflow's smoke test of the image, against the same entry point.
        smoke = run(str(SMOKE), f"http://127.0.0.1:{port}", "30", timeout=60)
        assert smoke.returncode == 0, smoke.stdout + smoke.stderr
        assert smoke.stdout.count("smoke: ok") == 2
        # STOPSIGNAL: a clean stop within the app's bound (shutdown timeout + its 3 s margin).
        proc.signal(getattr(signal, stage.stopsignal))
        proc.popen.wait(Settings().shutdown_timeout_s + 3)
        assert proc.popen.returncode in (0, -signal.SIGTERM), proc.log()[-2000:]
        assert healthcheck() != 0
        smoke = run(str(SMOKE), f"http://127.0.0.1:{port}", "1", timeout=30)
        assert smoke.returncode == 1 and "smoke: FAILED" in smoke.stderr
    finally:
        proc.stop()
