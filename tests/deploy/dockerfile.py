"""Reading deploy/Dockerfile's final stage: what the image runs, as whom, with which health check.
Just enough of the format for this file: continuation lines, ENV k=v lists, exec-form JSON."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Stage:
    env: dict[str, str] = field(default_factory=dict)
    user: str = ""
    cmd: list[str] = field(default_factory=list)
    healthcheck: list[str] = field(default_factory=list)  # the exec-form CMD of HEALTHCHECK
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    stopsignal: str = ""
    run: list[str] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    lines = [x.strip() for x in joined.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (x.partition(" ") for x in lines if x and not x.startswith("#"))
    ]


def final_stage(path: Path) -> Stage:
    stage = Stage()
    for word, rest in instructions(path.read_text()):
        if word == "FROM":
            stage = Stage()
        elif word == "ENV":
            stage.env.update(p.split("=", 1) for p in shlex.split(rest))
        elif word == "USER":
            stage.user = rest
        elif word == "CMD":
            stage.cmd = json.loads(rest)
        elif word == "STOPSIGNAL":
            stage.stopsignal = rest
        elif word == "RUN":
            stage.run.append(rest)
        elif word == "HEALTHCHECK":
            options, _, command = rest.partition("CMD ")
            stage.healthcheck = json.loads(command)
            stage.healthcheck_options = dict(o.lstrip("-").split("=") for o in options.split())
    return stage
