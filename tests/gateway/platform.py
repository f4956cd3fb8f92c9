"""A small real HTTP server implementing the platform's ingest contract, for gateway tests.

``POST /api/v1/ingest`` with a bearer token; readings kept in SQLite with UNIQUE(point, ts), so a
resend answers ``duplicate`` — the same idempotence the platform gives.  It can be told to fail
(status code), or to hold the answer to one request until the test lets it go (``hold``, ``gate``), which is
how a test kills the gateway after the platform stored a batch but before the gateway heard so.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Platform:
    def __init__(self, path: Path, token: str = "device-token", port: int = 0) -> None:
        self.token = token
        self.path = path
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.conn.execute("CREATE TABLE IF NOT EXISTS readings (point TEXT, ts TEXT, value REAL, unit TEXT, "
                          "source TEXT, UNIQUE (point, ts))")
        self.fail_with: int | None = None
        self.requests = 0
        self.duplicates = 0
        self.received = threading.Event()  # set when the held batch was stored (before its answer goes out)
        self.hold: int | None = None  # the number of the request whose answer waits for ``gate``
        self.gate = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Platform:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()
        self.conn.close()

    def count(self) -> int:
        with self.lock:
            return int(self.conn.execute("SELECT count(*) FROM readings").fetchone()[0])

    def store(self, readings: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
        results = []
        with self.lock:
            self.conn.execute("BEGIN")
            for item in readings:
                cursor = self.conn.execute("INSERT OR IGNORE INTO readings VALUES (?, ?, ?, ?, ?)",
                                           (item["point"], item["ts"], item["value"], item.get("unit"), source))
                status = "stored" if cursor.rowcount else "duplicate"
                self.duplicates += status == "duplicate"
                results.append({"index": len(results), "status": status})
            self.conn.execute("COMMIT")
        return results

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def _answer(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the gateway was killed while we held the answer

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with platform.lock:
                    platform.requests += 1
                    number = platform.requests
                if self.path != "/api/v1/ingest":
                    return self._answer(404, {"detail": "not found"})
                if self.headers.get("Authorization") != f"Bearer {platform.token}":
                    return self._answer(401, {"detail": "invalid device token"})
                if platform.fail_with is not None:
                    return self._answer(platform.fail_with, {"detail": "failing on purpose"})
                payload = json.loads(body)
                results = platform.store(payload["readings"], payload["source_ref"])
                if number == platform.hold:
                    platform.received.set()
                    platform.gate.wait(10)
                return self._answer(200, {"summary": {"received": len(results)}, "readings": results})

        return Handler
