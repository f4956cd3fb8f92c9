"""Settings refuse unsafe production secrets; the core CLI commands migrate and create users."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from typer.testing import CliRunner

from sandan.core.auth.models import Membership, User
from sandan.core.auth.policy import Principal
from sandan.db import Database
from sandan.settings import Settings


def test_sqlite_is_the_default_and_a_local_secret_is_made(tmp_path):
    settings = Settings(var_dir=tmp_path, _env_file=None)
    assert settings.database_url == f"sqlite:///{(tmp_path / 'sandan.db').as_posix()}"
    assert len(settings.secret_key) >= 40
    assert Settings(var_dir=tmp_path, _env_file=None).secret_key == settings.secret_key  # kept in var/
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_a_default_secret(tmp_path):
    with pytest.raises(ValidationError, match="SANDAN_SECRET_KEY"):
        Settings(var_dir=tmp_path, environment="production", secret_key="changeme", _env_file=None)
    with pytest.raises(ValidationError, match="development, test or production"):
        Settings(var_dir=tmp_path, environment="staging", _env_file=None)


def test_db_upgrade_and_users_create(tmp_path, monkeypatch):
    from sandan import cli
    from sandan.db import get_database
    from sandan.settings import get_settings

    monkeypatch.setenv("SANDAN_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SANDAN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    get_database.cache_clear()
    runner = CliRunner()
    try:
        upgraded = runner.invoke(cli.app, ["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        created = runner.invoke(cli.app, ["users", "create", "Admin@Example.kr", "--name", "관리자",
                                          "--role", "platform_admin", "--password", "a-long-password"])
        assert created.exit_code == 0, created.output
        refused = runner.invoke(cli.app, ["users", "create", "m@example.kr", "--name", "m",
                                          "--role", "company_member", "--password", "a-long-password"])
        assert refused.exit_code != 0  # a company member needs --company-id
        db = Database(get_settings().database_url)
        with db.session(principal=Principal.system("test")) as s:
            user = s.execute(select(User).where(User.email == "admin@example.kr")).scalar_one()
            assert (user.password_hash or "").startswith("$argon2")
            assert [m.role.value for m in s.execute(select(Membership)).scalars()] == ["platform_admin"]
        db.engine.dispose()
    finally:
        get_settings.cache_clear()
        get_database.cache_clear()
