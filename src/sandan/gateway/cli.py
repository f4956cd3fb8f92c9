"""``sandan gateway --config gateway.toml`` runs the gateway; ``sandan gateway status`` shows its queue."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from datetime import datetime
from pathlib import Path

import typer

from sandan.gateway.config import ConfigError, load_config

app = typer.Typer(help="Edge gateway: poll meters, buffer locally, forward to the platform",
                  invoke_without_command=True)

ConfigOption = typer.Option(..., "--config", "-c", help="gateway TOML file", dir_okay=False)


@app.callback()
def gateway(ctx: typer.Context,
            config: Path | None = typer.Option(None, "--config", "-c", help="gateway TOML file", dir_okay=False),
            verbose: bool = typer.Option(False, "--verbose", "-v", help="log every batch sent")) -> None:
    """Run the gateway until stopped (Ctrl+C or SIGTERM); a `kill -9` loses nothing queued."""
    if ctx.invoked_subcommand is not None:
        return
    if config is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("sandan.gateway").setLevel(logging.INFO)
    if not verbose:
        logging.getLogger("sandan.gateway").addFilter(lambda record: not record.getMessage().startswith("sent "))
    try:
        settings = load_config(config)
        settings.device_token()
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    asyncio.run(_run_until_signal(settings))


async def _run_until_signal(settings: object) -> None:
    from sandan.gateway.runner import run_gateway

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_gateway(settings, stop)  # type: ignore[arg-type]


@app.command("status")
def status(config: Path = ConfigOption, as_json: bool = typer.Option(False, "--json")) -> None:
    """Backlog, oldest queued reading, last successful send and last error."""
    from sandan.gateway.buffer import Buffer

    try:
        settings = load_config(config)
    except ConfigError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    path = settings.gateway.queue
    if not path.exists():
        typer.echo(f"no queue yet at {path} (the gateway has not run)")
        raise typer.Exit(0)
    buffer = Buffer(path, readonly=True)
    try:
        state = buffer.status()
    finally:
        buffer.close()
    if as_json:
        typer.echo(json.dumps({"gateway": settings.gateway.name, "queue": str(path), **state.to_dict()}))
        return

    def when(ts: datetime | None) -> str:
        return ts.isoformat(timespec="seconds") if ts else "never"

    typer.echo(f"gateway        {settings.gateway.name} → {settings.platform.url}")
    typer.echo(f"queue          {path}")
    typer.echo(f"backlog        {state.backlog:,} readings")
    typer.echo(f"oldest queued  {when(state.oldest_ts) if state.backlog else '-'}"
               + (f" (queued {when(state.oldest_queued_at)})" if state.backlog else ""))
    typer.echo(f"last success   {when(state.last_success_at)} ({state.sent_total:,} sent in all)")
    typer.echo(f"last error     {state.last_error or 'none'}"
               + (f" at {when(state.last_error_at)}" if state.last_error else ""))
    if state.blocked:
        typer.echo(f"FORWARDING STOPPED: {state.blocked} — fix it and restart the gateway")
