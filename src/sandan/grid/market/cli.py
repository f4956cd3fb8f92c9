"""``sandan market``: run a clearing and the daily PPA job from the command line (on behalf of the
platform, as a scheduler would)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer

from sandan.core.auth.policy import Principal
from sandan.core.errors import DomainError
from sandan.db import get_database
from sandan.grid.market import schemas, service

app = typer.Typer(help="The complex power market: clearings and direct PPAs", no_args_is_help=True)


@app.command("clear")
def clear_command(complex_id: Annotated[int, typer.Option("--complex", help="complex id")],
                  day: Annotated[str, typer.Option(help="market day, YYYY-MM-DD (KST)")],
                  interval: Annotated[int | None, typer.Option(help="re-clear this quarter hour (0-95) only")] = None,
                  ) -> None:
    """Clear a market day (day-ahead) or one quarter hour (intraday) and print the run's summary."""
    try:
        with get_database().session(principal=Principal.system("cli")) as session:
            run = service.run_clearing(session, complex_id, schemas.ClearRequest(
                market_day=dt.date.fromisoformat(day), interval=interval))
            typer.echo(json.dumps({"run_id": run.id, "kind": run.kind, "orders": run.orders,
                                   "welfare_krw": round(run.welfare_krw), "digest": run.digest,
                                   "binding_limits": len(run.results["binding"])}))
    except (DomainError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command("advance-ppas")
def advance_command(day: Annotated[str | None, typer.Option(help="today, YYYY-MM-DD (KST)")] = None) -> None:
    """Activate signed contracts whose term has begun and end those whose term is over."""
    with get_database().session(principal=Principal.system("cli")) as session:
        changed = service.advance_ppas(session, service.day_or_today(dt.date.fromisoformat(day) if day else None))
    typer.echo(json.dumps({"changed": changed}))
