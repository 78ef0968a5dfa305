"""Which Redis the settings choose, and settings that cannot work: refused before anything
starts, in one line naming the variable (servers that must answer: tests/cluster)."""

from __future__ import annotations

import pytest

from cryptotracker.cli import main
from cryptotracker.pipeline.redis_clients import build
from cryptotracker.settings import Settings


def settings(**env: str) -> Settings:
    return Settings(**env)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ({}, None),
        ({"redis_url": "redis://127.0.0.1:6379/9"}, "single"),
        ({"redis_sentinels": "127.0.0.1:26379, 127.0.0.1:26380"}, "sentinel"),
        ({"redis_cluster_nodes": "127.0.0.1:7000"}, "cluster"),
    ],
)
def test_settings_choose_one_redis_mode(env: dict[str, str], mode: str | None) -> None:
    clients = build(settings(**env), 1.0)
    assert (clients.mode if clients else None) == mode


def test_sentinels_are_read_as_host_port_pairs() -> None:
    chosen = settings(redis_sentinels="127.0.0.1:26379,[::1]:26380")
    assert chosen.redis_sentinel_endpoints == [("127.0.0.1", 26379), ("::1", 26380)]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CRYPTOTRACKER_REDIS_URL": "http://:secret@127.0.0.1:6379"},
         "CRYPTOTRACKER_REDIS_URL: 'http://***@127.0.0.1:6379' is not a Redis URL"),
        ({"CRYPTOTRACKER_REDIS_URL": "redis://127.0.0.1:port"},
         "CRYPTOTRACKER_REDIS_URL: 'redis://127.0.0.1:port' is not a Redis URL"),
        ({"CRYPTOTRACKER_REDIS_SENTINELS": "127.0.0.1"},
         "CRYPTOTRACKER_REDIS_SENTINELS: '127.0.0.1' is not host:port"),
        ({"CRYPTOTRACKER_REDIS_CLUSTER_NODES": "127.0.0.1:99999"},
         "CRYPTOTRACKER_REDIS_CLUSTER_NODES: '127.0.0.1:99999' is not host:port"),
        ({"CRYPTOTRACKER_REDIS_URL": "redis://127.0.0.1:6379",
          "CRYPTOTRACKER_REDIS_CLUSTER_NODES": "127.0.0.1:7000"},
         "set one Redis mode, not CRYPTOTRACKER_REDIS_URL and CRYPTOTRACKER_REDIS_CLUSTER_NODES"),
    ],
)  # fmt: skip
def test_malformed_redis_settings_refuse_to_serve_in_one_line(
    env: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("configuration error: "), err
    assert expected in err
    assert "secret" not in err
