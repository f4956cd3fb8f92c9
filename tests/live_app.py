"""The app served for real on a free localhost port, for tests that talk to it over TCP."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from sandan.db import Database
from tests.api.support import api_settings
from tests.gateway.conftest import free_port


@contextmanager
def served(db: Database, *, start_timeout_s: float = 60.0) -> Iterator[str]:
    """Serve ``create_app(db)`` with uvicorn in a thread; yields the base URL, stops on exit."""
    from sandan.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(db, api_settings()), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout_s
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, f"the app did not start within {start_timeout_s} s"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
