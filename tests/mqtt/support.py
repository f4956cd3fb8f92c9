"""Helpers of the broker tests: a Mosquitto of our own, a subscriber process, a publisher."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

MOSQUITTO = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


class Broker:
    """A Mosquitto on a free port with persistence in ``folder``; stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        assert MOSQUITTO is not None
        self.port = free_port()
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "mosquitto.conf"
        self.config.write_text(f"persistence true\npersistence_location {folder}/\nautosave_interval 1\n"
                               f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                               "max_queued_messages 100000\nmax_inflight_messages 0\n"
                               # started as root, mosquitto drops to user 'mosquitto', who may not write here
                               f"user {getpass.getuser()}\n")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        with (self.folder / "mosquitto.log").open("ab") as log:
            self.process = subprocess.Popen([str(MOSQUITTO), "-c", str(self.config)], stdout=log, stderr=log)
        wait_for(lambda: port_open(self.port), 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # a clean stop writes the persistence file
            self.process.wait(10)
        self.process = None


class SubscriberProcess:
    """``sandan ingest mqtt`` in a subprocess on a database URL; SIGKILL-able."""

    def __init__(self, folder: Path, database_url: str, broker_url: str, client_id: str,
                 extra: tuple[str, ...] = (), shared_group: str | None = None) -> None:
        self.folder, self.database_url, self.broker_url, self.client_id = folder, database_url, broker_url, client_id
        self.extra = extra
        self.shared_group = f"g{client_id}" if shared_group is None else shared_group
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log = self.folder / f"subscriber-{self.client_id}-{self.starts}.log"
        env = {**os.environ, "SANDAN_DATABASE_URL": self.database_url}
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", "from sandan.cli import app; app()", "ingest", "mqtt", "--url", self.broker_url,
                 "--client-id", self.client_id, "--shared-group", self.shared_group, *self.extra],
                stdout=out, stderr=subprocess.STDOUT, env=env)
        wait_for(lambda: "subscribed to" in self.log.read_text(errors="replace"), 20, "the subscriber to subscribe")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Publisher:
    """A QoS 1 publisher that waits for each PUBACK."""

    def __init__(self, port: int, client_id: str = "") -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.connect("127.0.0.1", port, keepalive=30)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        info.wait_for_publish(10)
        assert info.is_published()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
