"""Run the Alembic migrations from inside the package (``sandan db upgrade``)."""

from __future__ import annotations

import re
from importlib import resources

from alembic import command
from alembic.config import Config


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """Leave the monthly partitions of ``readings`` (``readings_yYYYYmMM``) out of autogenerate:
    they are made at run time (``sandan.timeseries.partitions``), not by migrations."""
    return not (type_ == "table" and name is not None and re.fullmatch(r"readings_y\d{4}m\d{2}", name) is not None)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("sandan").joinpath("migrations")))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
