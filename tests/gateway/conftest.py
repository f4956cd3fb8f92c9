"""Fixtures for the gateway tests: free ports, the stub platform, config files."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.platform import Platform

TOKEN = "device-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    stub = Platform(tmp_path / "platform.db", TOKEN).start()
    yield stub
    stub.stop()


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SANDAN_DEVICE_TOKEN", TOKEN)
    return TOKEN


def write_config(path: Path, url: str, devices: str = "", **platform: object) -> Path:
    settings = {"batch_size": 50, "backoff_initial_s": 0.05, "backoff_max_s": 0.4, "flush_interval_s": 0.05,
                "timeout_s": 5, **platform}
    lines = [f"{key} = {value!r}".replace("'", '"') if isinstance(value, str) else f"{key} = {value}"
             for key, value in settings.items()]
    path.write_text('[gateway]\nname = "gw-test"\ncompany = "1"\nqueue = "queue.db"\n\n'
                    f'[platform]\nurl = "{url}"\n' + "\n".join(lines) + "\n\n" + devices, encoding="utf-8")
    return path
