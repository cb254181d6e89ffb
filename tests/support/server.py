"""The real server, started as a user starts it (`python -m app serve`), for tests that need
real sockets: WebSockets, several worker processes, signals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    #: Where `log_text` starts reading (see `from_now`).
    log_offset: int = 0

    def from_now(self) -> Server:
        """The same server, its log read from here on: for a test of a server shared by
        several tests (a module's), which reads only the log lines of its own requests."""
        return replace(self, log_offset=self.log.stat().st_size)

    def log_text(self) -> str:
        """The server's log from `log_offset` on."""
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def worker_of(self, client_port: int) -> int:
        """The pid of the worker process holding the server side of a client's connection."""
        main = psutil.Process(self.process.pid)
        for process in [main, *main.children(recursive=True)]:
            try:
                connections = process.net_connections(kind="tcp")
            except psutil.Error:
                continue
            for c in connections:
                if (
                    c.laddr
                    and c.raddr
                    and c.laddr.port == self.port
                    and c.raddr.port == client_port
                ):
                    return int(process.pid)
        raise LookupError(f"no worker holds the connection from port {client_port}")

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@contextmanager
def running_server(
    database_url: str, env: Mapping[str, str], *, workers: int = 1, log_dir: Path
) -> Iterator[Server]:
    port = free_port()
    log = log_dir / f"server-{port}.log"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "APP_ENV": "production",
        "LOG_LEVEL": "WARNING",
        # Fair use is on in production; tests that exercise it turn it on themselves.
        "RATE_LIMIT": "false",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)],
            cwd=ROOT,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        # A bound on a busy machine (two workers each import the app), not a timing test.
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{server.url}/readyz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield server
    finally:
        server.stop()
