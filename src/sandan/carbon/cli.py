"""``sandan mrv``: check an MRV bundle or a verification statement offline (no database, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sandan.carbon import mrv

app = typer.Typer(help="MRV: verification statements and their ledger", no_args_is_help=True)


def check(document: dict[str, Any], trusted_key: str | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) for a bundle (``/carbon/reports/{id}/bundle``) or a bare statement
    (``body``, ``signature``, ``public_key``)."""
    if "format" in document:
        problems = mrv.verify_bundle(document, trusted_key=trusted_key)
        statement = document.get("statement")
        notes = [f"report {document.get('report', {}).get('id')}: {len(document.get('versions', []))} version(s), "
                 f"{len(document.get('findings', []))} finding(s), {len(document.get('ledger', []))} ledger entries"]
        if statement is None:
            notes.append("no statement yet: the chain and the hashes were checked")
        return problems, notes + _key_notes(statement)
    if {"body", "signature", "public_key"} <= set(document):
        problems = [] if mrv.signature_valid(str(document["public_key"]), str(document["signature"]),
                                             document["body"]) else ["the Ed25519 signature does not match the body"]
        if trusted_key and not mrv.is_key(str(document["public_key"]), trusted_key):
            problems.append("signed by a key other than the trusted one")
        return problems, ["a bare statement: its signature was checked; the bundle also checks the ledger",
                          *_key_notes(document)]
    return ["neither an MRV bundle nor a verification statement"], []


def _key_notes(statement: dict[str, Any] | None) -> list[str]:
    if not statement:
        return []
    body = statement.get("body", {})
    return [f"signed by {body.get('verifier')} with key {mrv.key_fingerprint(str(statement.get('public_key')))} "
            f"({body.get('assurance')} assurance, opinion {body.get('opinion')}, issued {body.get('issued_at')})"]


@app.command("verify")
def verify(path: Annotated[Path, typer.Argument(help="statement.json: a bundle or a bare statement")],
           key: Annotated[str | None, typer.Option(help="the public key (base64) or fingerprint the statement "
                                                        "must be signed with")] = None) -> None:
    """Check the signature, the hashes and the hash chain; exit 1 when anything does not match."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"cannot read {path}: {exc}", err=True)
        raise typer.Exit(2) from exc
    if not isinstance(document, dict):
        typer.echo("neither an MRV bundle nor a verification statement", err=True)
        raise typer.Exit(1)
    problems, notes = check(document, key)
    for note in notes:
        typer.echo(note)
    if problems:
        for problem in problems:
            typer.echo(f"FAILED: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("OK: intact")
