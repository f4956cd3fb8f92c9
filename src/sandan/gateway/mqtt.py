"""MQTT forwarding (paho-mqtt, QoS 1): one JSON batch per message on
``sandan/v1/<company>/<gateway>/readings``, deleted from the queue after the broker's PUBACK.

The broker holds a QoS 1 message for the platform's persistent-session subscribers, so the
broker's acknowledgement is where the gateway's responsibility ends; the platform's ingest is
idempotent on (point, ts), so a resend after a crash between PUBACK and the delete is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from sandan.gateway.buffer import Buffer
from sandan.gateway.config import GatewaySection, PlatformSection
from sandan.gateway.forward import backoff_delay, to_payload
from sandan.gateway.outlet import Outlet

log = logging.getLogger("sandan.gateway")


def topic(gateway: GatewaySection) -> str:
    return f"sandan/v1/{gateway.company}/{gateway.name}/readings"


class MqttForwarder:
    def __init__(self, platform: PlatformSection, gateway: GatewaySection, buffer: Buffer, token: str) -> None:
        self.platform, self.gateway, self.buffer = platform, gateway, buffer
        self.topic = topic(gateway)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sandan-gw-{gateway.name}",
                                  clean_session=False)
        self.client.username_pw_set(gateway.name, token)
        if platform.mqtt_tls:
            context = ssl.create_default_context(cafile=str(platform.ca_file) if platform.ca_file else None)
            self.client.tls_set_context(context)

    async def run(self, outlet: Outlet) -> None:
        attempt = 0
        self.client.connect_async(self.platform.mqtt_host, self.platform.mqtt_port, keepalive=30)
        self.client.loop_start()
        try:
            while True:
                batch = self.buffer.peek(self.platform.batch_size)
                if not batch:
                    outlet.wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(outlet.wake.wait(), self.platform.flush_interval_s)
                    continue
                body = json.dumps(to_payload(batch, self.gateway.name), ensure_ascii=False)
                error: str | None = None
                if not self.client.is_connected():
                    error = f"not connected to the broker at {self.platform.mqtt_host}:{self.platform.mqtt_port}"
                else:
                    info = self.client.publish(self.topic, body, qos=1)
                    deadline = asyncio.get_running_loop().time() + self.platform.timeout_s
                    while not info.is_published() and asyncio.get_running_loop().time() < deadline:
                        await asyncio.sleep(0.01)
                    if not info.is_published():
                        error = f"no PUBACK within {self.platform.timeout_s:g} s"
                if error is None:
                    self.buffer.ack([q.id for q in batch])
                    attempt = 0
                    continue
                delay = backoff_delay(attempt, self.platform.backoff_initial_s, self.platform.backoff_max_s)
                attempt += 1
                log.warning("%s; retry in %.1f s (%d queued)", error, delay, self.buffer.backlog())
                self.buffer.note_error(error)
                await asyncio.sleep(delay)
        finally:
            self.client.loop_stop()
            self.client.disconnect()
