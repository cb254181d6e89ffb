"""A tiny webhook receiver on loopback for tests: it records every request and answers by path
(`/ok…` 200, `/fail…` 500, `/redirect…` 302 to /ok, anything else 404)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from app.domain.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify


@dataclass(frozen=True, slots=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def event_id(self) -> str:
        return self.headers[EVENT_ID_HEADER.lower()]

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed

    def signed_with(self, secret: str) -> bool:
        return verify(secret, self.body, self.headers[SIGNATURE_HEADER.lower()])


class Receiver:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._received: list[Received] = []

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def record(self, item: Received) -> None:
        with self._lock:
            self._received.append(item)

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.receiver.record(Received(self.path, headers, body))
        if self.path.startswith("/ok"):
            self._answer(200)
        elif self.path.startswith("/fail"):
            self._answer(500)
        elif self.path.startswith("/redirect"):
            self._answer(302, {"Location": "/ok"})
        else:
            self._answer(404)

    def _answer(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextmanager
def running_receiver(host: str = "127.0.0.1") -> Iterator[Receiver]:
    server = ThreadingHTTPServer((host, 0), _Handler)
    receiver = Receiver(server)
    server.RequestHandlerClass = type("Handler", (_Handler,), {"receiver": receiver})
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
