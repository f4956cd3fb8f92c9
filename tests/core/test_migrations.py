"""Migrations run on both databases, down and up again, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import sandan.registry  # noqa: F401 - registers every table
from sandan.db import Base, make_engine
from sandan.migrate import downgrade, include_name, upgrade


def test_models_match_the_migrations(backend):
    engine = make_engine(backend.url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    # the partitioned readings table is created by hand on PostgreSQL; its columns still match
    assert diff == [], f"models and migrations differ: {diff}"


def test_down_and_up_again(backend, tmp_path):
    if backend.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrate.db'}"
    else:
        admin = make_engine(backend.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        name = backend.url.rsplit("/", 1)[1] + "_mig"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = backend.url.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(url)
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert {"readings", "rollups", "group_rollups", "companies", "points", "audit_log"} <= tables
    if backend.name == "postgres":
        with engine.connect() as conn:
            kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'readings'")).scalar_one()
        assert kind == "p"  # partitioned table
    engine.dispose()
    if backend.name == "postgres":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
