"""A deadlock or a restarting database answers a retryable 503 problem, never a 500."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from sandan.core.http import install_problem_handlers


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/deadlock")
    def deadlock() -> None:
        raise OperationalError("INSERT …", {}, _PgError("40P01"))

    @app.get("/other")
    def other() -> None:
        raise OperationalError("SELECT …", {}, _PgError("42P01"))

    return app


def test_deadlock_is_a_retryable_problem():
    client = TestClient(_app(), raise_server_exceptions=False)
    answer = client.get("/deadlock")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.headers["content-type"] == "application/problem+json"
    assert "send the same request again" in json.loads(answer.text)["detail"]
    assert client.get("/other").status_code == 500  # a real bug stays visible as one
