"""``sandan market clear`` and ``advance-ppas`` against a fresh SQLite database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from sandan import cli
from sandan.core.auth.policy import Principal
from sandan.core.tenancy.models import Complex
from sandan.db import Database, get_database
from sandan.settings import get_settings


def test_clear_and_advance_from_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SANDAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_database.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli.app, ["db", "upgrade"]).exit_code == 0
        db = Database(get_settings().database_url)
        with db.session(principal=Principal.system("test")) as s:
            complex_id = s.execute(select(Complex.id).where(Complex.code == "gwangyang")).scalar_one()
        db.engine.dispose()
        # An empty book clears (nothing trades, the welfare is 0) and prints the run.
        done = runner.invoke(cli.app, ["market", "clear", "--complex", str(complex_id), "--day", "2026-03-02"])
        assert done.exit_code == 0, done.output
        summary = json.loads(done.output)
        assert (summary["kind"], summary["orders"], summary["welfare_krw"]) == ("day_ahead", 0, 0)
        bad = runner.invoke(cli.app, ["market", "clear", "--complex", str(complex_id), "--day", "2026-03-02",
                                      "--interval", "96"])
        assert bad.exit_code == 1
        advanced = runner.invoke(cli.app, ["market", "advance-ppas", "--day", "2026-03-02"])
        assert json.loads(advanced.output) == {"changed": 0}
    finally:
        get_settings.cache_clear()
        get_database.cache_clear()
