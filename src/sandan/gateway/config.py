"""Gateway configuration: one TOML file, validated before anything runs.

The device token is never in the file: the file names the environment variable holding it
(``token_env``), and the token is read only when the forwarder starts.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sandan.gateway.csvdrop.config import CsvDrop
from sandan.gateway.modbus.config import ModbusDevice
from sandan.gateway.opcua.config import OpcUaServer

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"

Device = Annotated[ModbusDevice | OpcUaServer | CsvDrop, Field(discriminator="protocol")]


class ConfigError(ValueError):
    """The configuration cannot be used; ``problems`` says each thing to fix, one per line."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))

    def __str__(self) -> str:
        return f"{self.path} is not a usable gateway configuration:\n" + "\n".join(
            f"  - {problem}" for problem in self.problems)


class GatewaySection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME, description="sent as source_ref; part of the MQTT topic")
    company: str = Field("", pattern=r"^(\d{1,9})?$",
                         description="the platform's numeric company id; the MQTT topic's company segment")
    queue: Path = Field(Path("gateway-queue.db"), description="SQLite store-and-forward queue")


class PlatformSection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://", description="base URL of the platform, e.g. https://sandan.example.kr")
    token_env: str = Field("SANDAN_DEVICE_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                           description="environment variable holding the device token")
    transport: Literal["http", "mqtt"] = "http"
    batch_size: int = Field(500, ge=1, le=50_000)
    flush_interval_s: float = Field(1.0, gt=0, description="longest wait before sending a partial batch")
    timeout_s: float = Field(30.0, gt=0)
    backoff_initial_s: float = Field(1.0, gt=0)
    backoff_max_s: float = Field(300.0, gt=0)
    ca_file: Path | None = Field(None, description="CA bundle for a platform with a private CA")
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = Field(1883, ge=1, le=65535)
    mqtt_tls: bool = False
    commands: bool = Field(True, description="poll the platform for confirmed control commands and execute them")
    commands_interval_s: float = Field(5.0, gt=0, description="how often to poll for control commands")

    @field_validator("url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _backoff(self) -> PlatformSection:
        if self.backoff_max_s < self.backoff_initial_s:
            raise ValueError("backoff_max_s must be at least backoff_initial_s")
        return self


class GatewayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gateway: GatewaySection
    platform: PlatformSection
    devices: list[Device] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> GatewayConfig:
        if self.platform.transport == "mqtt" and not self.gateway.company:
            raise ValueError("gateway.company (the platform's numeric company id) is needed to forward over "
                             "MQTT: it is the topic's company segment")
        names: set[str] = set()
        owner: dict[str, str] = {}
        for device in self.devices:
            if device.name in names:
                raise ValueError(f"two devices are named {device.name!r}; names must be unique")
            names.add(device.name)
            specs = device.registers if isinstance(device, ModbusDevice) else (
                device.nodes if isinstance(device, OpcUaServer) else [])
            for spec in specs:
                if spec.point in owner:
                    raise ValueError(f"point {spec.point!r} is fed by both {owner[spec.point]!r} and "
                                     f"{device.name!r}; a point has one source")
                owner[spec.point] = device.name
            if isinstance(device, CsvDrop):
                try:
                    ZoneInfo(device.timezone)
                except (ZoneInfoNotFoundError, ValueError):
                    raise ValueError(f"device {device.name!r}: unknown time zone {device.timezone!r}") from None
        return self

    def device_token(self) -> str:
        """The token from the environment variable the file names (never logged, never printed)."""
        token = os.environ.get(self.platform.token_env, "").strip()
        if not token:
            raise ConfigError("environment", [f"the device token is missing: set {self.platform.token_env}"])
        return token


def load_config(path: Path) -> GatewayConfig:
    """Read and validate a gateway TOML file; relative paths are taken from the file's folder."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["the file does not exist"]) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, [f"not valid TOML: {error}"]) from None
    try:
        config = GatewayConfig.model_validate(data)
    except ValidationError as error:
        raise ConfigError(path, [_describe(err, data) for err in error.errors()]) from None
    base = path.resolve().parent
    if not config.gateway.queue.is_absolute():
        config.gateway.queue = base / config.gateway.queue
    for device in config.devices:
        if isinstance(device, CsvDrop) and not device.folder.is_absolute():
            device.folder = base / device.folder
    return config


def _describe(error: object, data: object) -> str:
    """One line a person can act on: where in the file (``devices[1] 'main-meter' → registers[0].type``) and what."""
    assert isinstance(error, dict)
    loc = list(error.get("loc", ()))
    parts: list[str] = []
    node: object = data
    i = 0
    while i < len(loc):
        key = loc[i]
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "name" in node and parts and parts[-1].startswith("devices["):
                parts[-1] += f" ({node['name']!r})"
        elif isinstance(node, dict) and key not in node and key in {"modbus", "opcua", "csv"} and i > 0:
            i += 1  # the union branch pydantic names after the discriminator: not a key in the file
            continue
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
        i += 1
    where = ".".join(parts) or "(top level)"
    message = str(error.get("msg", "invalid"))
    message = re.sub(r"^Value error, ", "", message)
    if error.get("type") == "extra_forbidden":
        message = "unknown setting (misspelt?)"
    elif error.get("type") == "union_tag_invalid":
        message = "protocol must be 'modbus', 'opcua' or 'csv'"
    elif error.get("type") == "union_tag_not_found":
        message = "each device needs protocol = 'modbus', 'opcua' or 'csv'"
    return f"{where}: {message}"
