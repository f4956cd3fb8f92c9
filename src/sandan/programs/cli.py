"""``sandan programs``: load the 2026 call, add programme officers and reviewers, run a selection."""

from __future__ import annotations

import getpass

import typer
from rich.console import Console
from rich.table import Table

from sandan.core.auth.policy import Principal
from sandan.core.errors import DomainError

app = typer.Typer(help="The programme office: calls, reviewers, selection", no_args_is_help=True)
console = Console()


def _fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]error:[/red] {error.detail}")
    return typer.Exit(1)


@app.command("load-call")
def load_call() -> None:
    """Load the 2026 integrated call and its nine programmes (idempotent; status draft)."""
    from sandan.db import get_database
    from sandan.programs import service

    with get_database().session(principal=Principal.system("cli")) as session:
        call = service.load_call_2026(session)
        table = Table("code", "awards", "national per award (KRW)", "eligibility")
        for p in service.programmes_of(session, call.id):
            table.add_row(p.code, str(p.awards), f"{p.budget_per_award_krw:,}", p.eligibility_rule)
        console.print(f"call {call.code} (id {call.id}), status {call.status.value}")
        console.print(table)


@app.command("add-officer")
def add_officer(email: str, name: str = typer.Option(..., help="display name"),
                password: str | None = typer.Option(None, help="omit to be asked (not echoed)")) -> None:
    """Add a programme-office staff member."""
    from sandan.db import get_database
    from sandan.programs import service

    secret = password or getpass.getpass("password: ")
    try:
        with get_database().session(principal=Principal.system("cli")) as session:
            user = service.add_officer(session, email, name, secret)
            console.print(f"[green]programme officer {user.email}[/green] (user {user.id})")
    except DomainError as error:
        raise _fail(error) from None


@app.command("add-reviewer")
def add_reviewer(email: str, name: str = typer.Option(..., help="display name"),
                 affiliation: str = typer.Option("", help="organisation, for the conflict-of-interest check"),
                 company_id: int | None = typer.Option(None, help="the affiliation's company on the platform"),
                 password: str | None = typer.Option(None, help="omit to be asked (not echoed)")) -> None:
    """Add an external evaluator to the review pool."""
    from sandan.db import get_database
    from sandan.programs import service

    secret = password or getpass.getpass("password: ")
    try:
        with get_database().session(principal=Principal.system("cli")) as session:
            reviewer = service.add_reviewer(session, email, name, affiliation=affiliation,
                                            affiliation_company_id=company_id, password=secret)
            console.print(f"[green]reviewer {email}[/green] (reviewer {reviewer.id})")
    except DomainError as error:
        raise _fail(error) from None


@app.command("select")
def select_awards(call_id: int) -> None:
    """Aggregate the score sheets and select the awards of every programme of a call in evaluation."""
    from sandan.db import get_database
    from sandan.programs import service

    try:
        with get_database().session(principal=Principal.system("cli")) as session:
            for run in service.run_selection(session, call_id):
                console.print(f"{run['code']}: {run['scored']} scored, selected {run['selected']}")
    except DomainError as error:
        raise _fail(error) from None
