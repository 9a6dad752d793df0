"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 in a thread, recording every
POST; it can be told to fail the next deliveries (HTTP 503)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True, slots=True)
class Delivery:
    """One POST: its path, headers, JSON body and the status it was answered with."""

    path: str
    headers: dict[str, str]
    body: Any
    status: int


class Receiver:
    """Records POSTs; answers 503 to the next ``failing`` of them, 200 to the rest."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.failing = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._record(self.path, dict(self.headers), data)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self.failing = count

    def ok(self) -> list[Delivery]:
        """The deliveries answered 200."""
        with self._lock:
            return [d for d in self.deliveries if d.status == 200]

    def failed(self) -> int:
        with self._lock:
            return sum(1 for d in self.deliveries if d.status != 200)

    def _record(self, path: str, headers: dict[str, str], data: bytes) -> int:
        try:
            body = json.loads(data)
        except ValueError:
            body = data.decode("utf-8", "replace")
        with self._lock:
            status = 503 if self.failing > 0 else 200
            self.failing = max(0, self.failing - 1)
            self.deliveries.append(Delivery(path, headers, body, status))
        return status


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A started webhook receiver, stopped after the test."""
    server = Receiver()
    server._thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
