"""What hostile requests cost the server, measured from the outside (issue 15).

    .venv/bin/python bench/hostile.py                       # SQLite, one worker
    scripts/with-postgres .venv/bin/python bench/hostile.py --postgres   # 2 workers

Starts the server as a user would (production settings, a real token), fills one tenant with
100 jobs of 50 line items whose titles have the longest length accepted, then sends each attack
that once stalled or exhausted the server, three at a time, while a fourth client polls
/healthz. Prints, per attack: the answer (status and code), the slowest attack request, the
slowest /healthz during it, and the servers' resident memory (all processes) before and after.
Figures, not assertions: the tests hold the behaviour (tests/api/test_hostile_pipeline.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
SECRET = "hostile-bench-secret-that-is-long-enough-for-production"
SERVICE = "6a0c7c5e-2f3a-4a8e-9d53-0f6f1d7b1a01"  # the sample data's tailoring service
FACILITY = "fac-berlin-mitte"
TITLE_LENGTH = 500  # app/domain/text_limits.TITLE_LENGTH


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    main = psutil.Process(pid)
    total = 0
    for process in [main, *main.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total / 2**20


def fragment_chain(levels: int) -> str:
    fragments = [
        f"fragment F{i} on CustomServiceConnection {{ ...F{i + 1} ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on CustomServiceConnection {{ totalCount }}")
    return "query { customServices { ...F0 } }\n" + "\n".join(fragments)


def attacks() -> list[tuple[str, dict[str, Any], bool]]:
    """(name, request, with token)."""
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"  # ~700 KB
    wide = " ".join(
        f"a{i}: serviceJobs(first: 100) {{ nodes {{ id lineItems {{ article {{ title }} }} }} }}"
        for i in range(30)
    )
    deep_variables = b'{"a":' * 5000 + b"1" + b"}" * 5000
    return [
        ("anonymous 700 KB query", {"json": {"query": huge}}, False),
        ("700 KB query with a token", {"json": {"query": huge}}, True),
        ("fragment chain, 30 levels (1.2 KB)", {"json": {"query": fragment_chain(30)}}, True),
        ("fragment chain, 60 levels", {"json": {"query": fragment_chain(60)}}, True),
        ("30 aliases x 100 jobs x 50 long titles", {"json": {"query": "{" + wide + "}"}}, True),
        (
            "variables nested 5,000 deep",
            {
                "content": b'{"query": "{ __typename }", "variables": ' + deep_variables + b"}",
                "headers": {"content-type": "application/json"},
            },
            True,
        ),
        (
            "18,000-character title",
            {
                "json": {
                    "query": "mutation($i: CreateServiceJobInput!) { createServiceJob(input: $i)"
                    " { userErrors { code } } }",
                    "variables": {"i": job_input(1, 18_000)},
                }
            },
            True,
        ),
    ]


def job_input(items: int, title_length: int) -> dict[str, Any]:
    return {
        "facilityRef": FACILITY,
        "targetTime": "2026-12-24T10:00:00Z",
        "customServiceRef": SERVICE,
        "lineItems": [
            {
                "article": {"tenantArticleId": f"art-{n}", "title": "t" * title_length},
                "quantity": 1,
            }
            for n in range(items)
        ],
    }


def answer(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} {response.headers.get('content-type')}"
    errors = body.get("errors") or []
    codes = {e.get("extensions", {}).get("code") for e in errors}
    return f"{response.status_code} {','.join(sorted(c for c in codes if c)) or 'ok'}"


async def measure(url: str, pid: int, token: str) -> list[dict[str, Any]]:
    rows = []
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        for name, request, with_token in attacks():
            before = rss_mb(pid)
            headers = {**(auth if with_token else {}), **request.get("headers", {})}
            kwargs = {k: v for k, v in request.items() if k != "headers"}
            stop = asyncio.Event()
            health: list[float] = []

            async def poll(stop: asyncio.Event = stop, health: list[float] = health) -> None:
                while not stop.is_set():
                    started = time.perf_counter()
                    await client.get("/healthz")
                    health.append(time.perf_counter() - started)
                    await asyncio.sleep(0.05)

            async def attack(
                kwargs: dict[str, Any] = kwargs, headers: dict[str, str] = headers
            ) -> tuple[float, httpx.Response]:
                started = time.perf_counter()
                response = await client.post("/graphql", headers=headers, **kwargs)
                return time.perf_counter() - started, response

            poller = asyncio.create_task(poll())
            results = await asyncio.gather(*(attack() for _ in range(3)))
            stop.set()
            await poller
            rows.append(
                {
                    "attack": name,
                    "answer": answer(results[0][1]),
                    "bytes": len(results[0][1].content),
                    "slowest_s": max(r[0] for r in results),
                    "healthz_max_s": max(health) if health else 0.0,
                    "rss_before_mb": before,
                    "rss_after_mb": rss_mb(pid),
                }
            )
    return rows


async def fill(url: str, token: str, jobs: int) -> None:
    mutation = (
        "mutation($i: CreateServiceJobInput!) { createServiceJob(input: $i) "
        "{ serviceJob { id } userErrors { code message } } }"
    )
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        for _ in range(jobs):
            response = await client.post(
                "/graphql",
                json={"query": mutation, "variables": {"i": job_input(50, TITLE_LENGTH)}},
                headers=auth,
            )
            payload = response.json()["data"]["createServiceJob"]
            assert payload["userErrors"] == [], payload


def huge_head(port: int) -> tuple[str, float]:
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(48 * 16):  # 48 MB of headers
                s.sendall(b"X-Pad-%d: " % i + b"a" * 65_000 + b"\r\n")
        except OSError:
            pass
        first = s.recv(100).split(b"\r\n")[0].decode()
    return first, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true", help="TEST_POSTGRES_URL, 2 workers")
    parser.add_argument("--jobs", type=int, default=100)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    if args.postgres:
        database = os.environ["TEST_POSTGRES_URL"]
        workers = 2
    else:
        database = f"sqlite+aiosqlite:///{work}/hostile.db"
        workers = 1
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "APP_ENV": "production",
        "JWT_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        # Measures the pipeline's own bounds; the fair use budget would refuse the flood first.
        "RATE_LIMIT": "false",
    }
    port = free_port()
    log = (work / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", str(workers)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/readyz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = (
            subprocess.check_output(
                [sys.executable, "-m", "app", "token", "--tenant", "demo"], cwd=ROOT, env=env
            )
            .decode()
            .strip()
        )
        started = time.perf_counter()
        asyncio.run(fill(url, token, args.jobs))
        print(
            f"{'PostgreSQL, 2 workers' if args.postgres else 'SQLite, 1 worker'}: "
            f"{args.jobs} jobs x 50 line items x {TITLE_LENGTH}-character titles loaded in "
            f"{time.perf_counter() - started:.1f} s"
        )
        rows = asyncio.run(measure(url, server.pid, token))
        first, seconds = huge_head(port)
        print("| attack (3 at once) | answer | bytes | slowest | /healthz max | RSS MB |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            print(
                f"| {row['attack']} | {row['answer']} | {row['bytes']:,} | "
                f"{row['slowest_s'] * 1000:.0f} ms | {row['healthz_max_s'] * 1000:.0f} ms | "
                f"{row['rss_before_mb']:.0f} → {row['rss_after_mb']:.0f} |"
            )
        rss = rss_mb(server.pid)
        print(f"| 48 MB of headers | {first} | | {seconds * 1000:.0f} ms | | {rss:.0f} |")
        alive = httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        print(f"/healthz afterwards: {'200' if alive else 'DOWN'}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
