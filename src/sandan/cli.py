"""The ``sandan`` command: mounts every domain's sub-commands."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console

from sandan.core.auth.models import OrgKind, Role

app = typer.Typer(help="sandan — smart green industrial complex platform", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
users_app = typer.Typer(help="Users and memberships", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
console = Console()


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


def main() -> None:  # pragma: no cover
    app()


__all__ = ["OrgKind", "app"]
