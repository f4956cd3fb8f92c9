"""The ``sandan`` command: mounts every domain's sub-commands."""

from __future__ import annotations

import enum
import getpass
import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sandan.carbon.cli import app as mrv_app
from sandan.core.auth.models import OrgKind, Role
from sandan.core.errors import DomainError
from sandan.devices.cli import app as simulate_app
from sandan.gateway.cli import app as gateway_app
from sandan.grid.market.cli import app as market_app
from sandan.ingest.mqtt.cli import mqtt_command
from sandan.programs.cli import app as programs_app

app = typer.Typer(help="sandan — smart green industrial complex platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
users_app = typer.Typer(help="Users and memberships", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
import_app = typer.Typer(help="Import readings and data from files", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(gateway_app, name="gateway")
app.add_typer(simulate_app, name="simulate")
ingest_app = typer.Typer(help="Ways in for readings: services that receive telemetry", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(programs_app, name="programs")
app.add_typer(market_app, name="market")
ingest_app.command("mqtt")(mqtt_command)
app.add_typer(mrv_app, name="mrv")
console = Console()


class LabelConvention(enum.StrEnum):
    start = "start"
    end = "end"


class MidnightConvention(enum.StrEnum):
    next_day = "next-day"
    same_date = "same-date"


def _fail(error: DomainError) -> typer.Exit:
    """Print a domain error the way a person can act on it, and leave with status 1."""
    console.print(f"[red]error:[/red] {error.detail}")
    return typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply the migrations (SQLite or PostgreSQL, from SANDAN_DATABASE_URL) and load reference data."""
    from sandan.bootstrap import prepare_database
    from sandan.settings import get_settings

    url = get_settings().database_url
    prepare_database(url, revision)
    console.print(f"[green]database at {revision}[/green] ({url.split('@')[-1]})")


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, simulate: bool = typer.Option(
        False, help="append simulated readings while serving (the demo does)")) -> None:
    """Serve the web UI and the API."""
    import uvicorn

    from sandan.app import create_app

    application = create_app()
    if simulate:
        from sandan.demo.simulator import attach

        attach(application)
    uvicorn.run(application, host=host, port=port, log_level="info")


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000,
         tenants: int = typer.Option(40, min=0, help="synthetic tenants besides DAEWOO Steel"),
         days: int = typer.Option(90, min=1, help="days of history for the synthetic tenants"),
         shared_data: Path | None = typer.Option(
             None, help="folder holding steel_industry_gwangyang_2018.csv "
             "(default: SANDAN_SHARED_DATA, else ../shared/data beside the repository)"),
         serve_after: bool = typer.Option(True, "--serve/--no-serve", help="serve with the simulator after loading")
         ) -> None:
    """Create the database, load the 광양 demo complex (once), print the demo logins, serve with live data."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sandan.bootstrap import install_hooks, prepare_database
    from sandan.db import get_database
    from sandan.demo.loader import load_demo
    from sandan.settings import get_settings

    url = get_settings().database_url
    console.print(f"database: {url.split('@')[-1]}")
    try:
        prepare_database(url)
        install_hooks()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("demo complex", total=tenants + 1)

            def advance(stage: str, done: int, total: int) -> None:
                bar.update(task, description=stage, completed=done, total=total)

            report = load_demo(get_database(), tenants=tenants, days=days, shared_data=shared_data,
                               progress=advance)
    except DomainError as error:
        raise _fail(error) from None
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {warning['message']}")
    if report.already_loaded:
        console.print(f"demo already loaded ({report.companies_found} companies); nothing added")
    else:
        console.print(f"[green]demo loaded[/green] in {report.seconds:.1f} s: {report.companies_created} companies "
                      f"created, {report.readings_stored:,} readings")
    if report.steel is not None:
        console.print("DAEWOO Steel: real 15-minute data (UCI dataset 851, CC BY 4.0), moved to end now")
    logins = Table(title="demo logins (demo-only passwords)")
    for column in ("role", "e-mail", "password"):
        logins.add_column(column, no_wrap=True)  # a login is useless when cut short
    logins.add_column("sees")
    for user in report.users:
        logins.add_row(user.role.value, user.email, user.password, user.scope)
    console.print(logins)
    if serve_after:
        console.print(f"serving on http://{host}:{port} with the simulator (Ctrl+C to stop)")
        serve(host=host, port=port, simulate=True)


@users_app.command("create")
def users_create(email: str, name: str = typer.Option(..., help="display name"),
                 role: Role = typer.Option(Role.company_member, help="role in the organisation"),
                 company_id: int | None = typer.Option(None, help="company the user belongs to"),
                 complex_id: int | None = typer.Option(None, help="complex a complex operator runs"),
                 password: str | None = typer.Option(None, help="omit to be asked (not echoed)")) -> None:
    """Create a user and give them a role (platform admin, company admin, operator …)."""
    from sandan.bootstrap import create_user_with_role
    from sandan.db import get_database

    secret = password or getpass.getpass("password: ")
    with get_database().session() as session:
        user = create_user_with_role(session, email, name, secret, role, company_id=company_id,
                                     complex_id=complex_id)
        console.print(f"[green]created user {user.email}[/green] (id {user.id}) as {role.value}")


@import_app.command("readings")
def import_readings_command(
        file: Path = typer.Argument(..., help="CSV or XLSX file, one row per timestamp", exists=True, dir_okay=False),
        mapping: str = typer.Option(..., "--map", help="column=point pairs, points by code or id, optional "
                                    "@unit of the file: 'Usage_kWh=dw.main.kwh,Lagging_kVarh=dw.main.kvarh'"),
        ts_col: str | None = typer.Option(None, help="timestamp column (default: the first column)"),
        ts_format: str | None = typer.Option(None, help="strptime format, e.g. '%d/%m/%Y %H:%M' (default ISO 8601)"),
        label: LabelConvention = typer.Option(LabelConvention.start,
                                              help="a row's time is the interval's start or end"),
        midnight: MidnightConvention = typer.Option(
            MidnightConvention.next_day, help="'00:00' as written (next-day) or as the end of the written date "
            "(same-date: exports that write the interval ending at midnight with the day it ends)"),
        tz: str = typer.Option("Asia/Seoul", help="time zone of times without an offset"),
        unit: str | None = typer.Option(None, help="unit of the file's values when not the points' unit (MWh …)"),
        company_id: int | None = typer.Option(None, help="company whose point codes the mapping names"),
        sheet: str | None = typer.Option(None, help="XLSX sheet name (default: the first sheet)"),
        encoding: str | None = typer.Option(None, help="CSV encoding (default: UTF-8, then CP949)"),
        batch_size: int = typer.Option(20_000, min=1, help="readings per store batch"),
        layout: str | None = typer.Option(None, help="a known export layout: kepco-15min (KEPCO 파워플래너 "
                                          "15-minute export; sets the time columns and labels)"),
        rejects: Path | None = typer.Option(None, help="write every rejected/conflicting cell with its reason "
                                            "to this CSV or XLSX file"),
        as_json: bool = typer.Option(False, "--json", help="print the summary as JSON")) -> None:
    """Import interval readings from a meter export (runs as the system principal: an operator's tool)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sandan.core.auth.policy import Principal
    from sandan.db import get_database
    from sandan.ingest.service import ImportOptions, import_readings, prepare_import, store_import

    options = ImportOptions(mapping=mapping, ts_col=ts_col, ts_format=ts_format, tz=tz, label=label.value,
                            midnight=midnight.value, unit=unit, company_id=company_id, sheet=sheet,
                            encoding=encoding, batch_size=batch_size, layout=layout)
    try:
        with get_database().session(principal=Principal.system("cli")) as session:
            if as_json:
                summary = import_readings(session, file, options)
            else:
                with console.status(f"reading {file.name} …"):
                    prepared = prepare_import(session, file, options)
                with Progress(TextColumn("storing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                              console=console, transient=False) as bar:
                    task = bar.add_task("store", total=max(len(prepared.parsed.frame), 1))

                    def advance(done: int, total: int) -> None:
                        bar.update(task, completed=done, total=max(total, 1))

                    summary = store_import(session, prepared, batch_size=batch_size, progress=advance)
    except DomainError as error:
        raise _fail(error) from None
    if rejects is not None and summary.issues:
        frame = summary.issues_frame()
        if rejects.suffix.lower() == ".xlsx":
            frame.to_excel(rejects, index=False)
        else:
            frame.to_csv(rejects, index=False, encoding="utf-8-sig")
    if as_json:
        console.print_json(json.dumps(summary.to_dict(), ensure_ascii=False))
        return
    _print_import_summary(summary, rejects)


def _print_import_summary(summary: Any, rejects: Path | None) -> None:
    table = Table(title=f"import of {summary.file}", show_header=True)
    table.add_column("readings")
    table.add_column("count", justify="right")
    for name, value in summary.counts().items():
        style = {"stored": "green", "conflict": "yellow", "rejected": "red"}.get(name, "")
        table.add_row(name, f"[{style}]{value:,}[/{style}]" if style and value else f"{value:,}")
    console.print(table)
    if summary.first_ts is not None:
        from sandan.core.timeutil import to_kst

        console.print(f"interval starts {to_kst(summary.first_ts):%Y-%m-%d %H:%M} … "
                      f"{to_kst(summary.last_ts):%Y-%m-%d %H:%M} KST")
    if summary.issues:
        reasons = Table(title="not stored, by reason")
        reasons.add_column("code")
        reasons.add_column("count", justify="right")
        for code, count in summary.reasons.items():
            reasons.add_row(code, f"{count:,}")
        console.print(reasons)
        shown = Table(title=f"first {min(20, len(summary.issues))} of {len(summary.issues):,} cells not stored")
        for column in ("row", "column", "value", "reason"):
            shown.add_column(column)
        for issue in summary.issues[:20]:
            shown.add_row(str(issue.row), issue.column, issue.value, issue.message)
        console.print(shown)
        if rejects is not None:
            console.print(f"all {len(summary.issues):,} written to {rejects}")
        elif len(summary.issues) > 20:
            console.print("give --rejects FILE.csv to keep them all")


def main() -> None:  # pragma: no cover
    app()


__all__ = ["OrgKind", "app"]
