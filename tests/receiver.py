"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 in a thread, recording every
POST; it can be told to fail the next deliveries (HTTP 503) or to redirect a path."""

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
    """One request: its path, headers, JSON body (None for a GET), the status it was answered
    with and its method."""

    path: str
    headers: dict[str, str]
    body: Any
    status: int
    method: str = "POST"


class Receiver:
    """Records POSTs; answers 503 to the next ``failing`` of them, a redirect on a path told
    to, 200 to the rest. A GET (a redirected POST turned into one) is recorded too."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.failing = 0
        self.redirects: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._answer(receiver._record(self.path, dict(self.headers), data))

            def do_GET(self) -> None:
                self._answer(receiver._record(self.path, dict(self.headers), None))

            def _answer(self, status: int) -> None:
                self.send_response(status)
                if status in range(300, 400):
                    self.send_header("Location", receiver.redirects[self.path][1])
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

    def redirect(self, path: str, status: int, location: str) -> None:
        """Answer every request for ``path`` with ``status`` and this Location."""
        with self._lock:
            self.redirects[path] = (status, location)

    def ok(self) -> list[Delivery]:
        """The POSTs answered 200."""
        with self._lock:
            return [d for d in self.deliveries if d.status == 200 and d.method == "POST"]

    def failed(self) -> int:
        with self._lock:
            return sum(1 for d in self.deliveries if d.status != 200)

    def to(self, path: str) -> list[Delivery]:
        """Every request for ``path``, whatever it was answered."""
        with self._lock:
            return [d for d in self.deliveries if d.path == path]

    def _record(self, path: str, headers: dict[str, str], data: bytes | None) -> int:
        body: Any = None  # a GET
        if data is not None:
            try:
                body = json.loads(data)
            except ValueError:
                body = data.decode("utf-8", "replace")
        with self._lock:
            if path in self.redirects:
                status = self.redirects[path][0]
            else:
                status = 503 if self.failing > 0 else 200
                self.failing = max(0, self.failing - 1)
            method = "GET" if data is None else "POST"
            self.deliveries.append(Delivery(path, headers, body, status, method))
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
