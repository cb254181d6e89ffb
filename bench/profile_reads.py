"""Where a read's time goes, in process: the ASGI app called directly (no sockets, no client
library) with one of the peers' request bodies, timed, and optionally profiled.

    DATABASE_URL=sqlite+aiosqlite:////tmp/bench.db .venv/bin/python bench/profile_reads.py \
        ../shared/bench/peers/bodies/ours_w4_page.json --runs 300 --profile cprofile

The database must hold bench/trees.json seeded for tenant `bench` (`python -m app seed`).
`--profile pyinstrument` prints pyinstrument's tree when it is installed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth import issue_token
from app.http.app import create_app
from app.settings import Settings

SECRET = "benchmark-secret-that-is-long-enough-for-production"


async def call(app: Any, body: bytes, token: str) -> tuple[int, bytes, dict[str, str]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    chunks: list[bytes] = []
    headers: dict[str, str] = {}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.update({k.decode(): v.decode() for k, v in message["headers"]})
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks), headers


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("body", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"], default=None)
    parser.add_argument("--plain", action="store_true", help="fast path off (graphql-core)")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--warmups", type=int, default=20)
    parser.add_argument(
        "--refusal", action="store_true", help="an answer with errors is what is timed"
    )
    args = parser.parse_args()
    settings = Settings(
        app_env="production",
        jwt_secret=SECRET,  # type: ignore[arg-type]
        log_level="WARNING",
        fast_tree_path=not args.plain,
        database_url=os.environ["DATABASE_URL"],
    )
    app = create_app(settings)
    token = issue_token(settings, tenant="bench", ttl_seconds=7200)
    body = args.body.read_bytes()
    async with app.router.lifespan_context(app):
        for _ in range(max(args.warmups, 1)):
            status, content, headers = await call(app, body, token)
        if (status != 200 or b'"errors"' in content) and not args.refusal:
            raise SystemExit(f"{status} {content[:400]!r}")
        print(f"{len(content):,} bytes, {headers.get('x-sql-statements')} statements")
        if args.refusal:
            print(content[:300].decode(errors="replace"))
        times = []
        profiler: Any = None
        if args.profile == "cprofile":
            profiler = cProfile.Profile()
            profiler.enable()
        elif args.profile == "pyinstrument":
            # Optional: not among the project's dependencies.
            pyinstrument = importlib.import_module("pyinstrument")
            profiler = pyinstrument.Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
        cpu_started = time.process_time()
        for _ in range(args.runs):
            started = time.perf_counter()
            await call(app, body, token)
            times.append((time.perf_counter() - started) * 1000)
        cpu = (time.process_time() - cpu_started) * 1000 / args.runs
        if args.profile == "cprofile":
            profiler.disable()
            pstats.Stats(profiler).sort_stats(
                os.environ.get("PROFILE_SORT", "tottime")
            ).print_stats(args.top)
        elif args.profile == "pyinstrument":
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=False))
        print(
            f"median {statistics.median(times):.2f} ms, mean {statistics.mean(times):.2f} ms, "
            f"min {min(times):.2f} ms over {args.runs}; this process's CPU {cpu:.2f} ms a request"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
