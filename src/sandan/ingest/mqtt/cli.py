"""``sandan ingest mqtt``: run the MQTT subscriber service."""

from __future__ import annotations

import logging
import signal
from typing import Any

import typer


def mqtt_command(
        url: str = typer.Option("mqtt://127.0.0.1:1883", help="broker: mqtt://[user:password@]host:port or mqtts://…"),
        shared_group: str = typer.Option("sandan", help="MQTT 5 shared-subscription group ('' for none)"),
        client_id: str = typer.Option("", help="stable client id of this process (default sandan-ingest-<host>); "
                                      "give each process its own"),
        session_expiry: int = typer.Option(7 * 24 * 3600, min=0, help="seconds the broker keeps the session"),
        batch_messages: int = typer.Option(500, min=1, help="messages per transaction at most"),
        sparkplug: bool = typer.Option(True, "--sparkplug/--no-sparkplug", help="also subscribe to spBv1.0/#"),
        sparkplug_group: list[str] = typer.Option([], "--sparkplug-group",
                                                  help="GROUP=COMPANY_ID for non-numeric Sparkplug group ids"),
        ca_file: str | None = typer.Option(None, help="CA bundle for mqtts://"),
        verbose: bool = typer.Option(False, "--verbose", "-v")) -> None:
    """Subscribe to readings (sandan/v1/<company_id>/<source>/readings, Sparkplug B) and ingest them."""
    from sandan.bootstrap import install_hooks
    from sandan.db import get_database
    from sandan.ingest.mqtt.subscriber import Subscriber, SubscriberConfig

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    groups: dict[str, int] = {}
    for item in sparkplug_group:
        name, _, company = item.partition("=")
        if not name or not company.isdigit():
            raise typer.BadParameter(f"'{item}' is not GROUP=COMPANY_ID", param_hint="--sparkplug-group")
        groups[name] = int(company)
    install_hooks()
    config = SubscriberConfig(url=url, shared_group=shared_group or None, client_id=client_id,
                              session_expiry_s=session_expiry, batch_messages=batch_messages, sparkplug=sparkplug,
                              sparkplug_groups=groups, ca_file=ca_file)
    subscriber = Subscriber(get_database(), config)

    def stop(_signum: int, _frame: Any) -> None:
        subscriber.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    subscriber.run()
