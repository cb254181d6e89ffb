"""The gateway beside its peers (issue 16): W1–W4 of `../shared/bench/peers/README.md` against
the gateway on SQLite and PostgreSQL and, when they are up, against PostGraphile 5 (:5054) and
PostGraphile 4 (:5050), in one run, interleaved round by round, with ratios; and W5, a page of
100 custom services with their names, questions and prerequisites (bench/services.py), which
only the gateway serves (the peers' database has no custom services).

    # peers set up and started as ../shared/bench/peers/README.md says (cluster on :55432):
    .venv/bin/python bench/peers.py                       # 4 rounds, 10 s of load per cell
    .venv/bin/python bench/peers.py --rounds 1 --duration 3 --workloads w3,w4   # a quick look

The gateway's PostgreSQL database is `jobtree_peers` on the peers' cluster (made and seeded
with the project's own `migrate` and `seed`), so `pg_stat_statements` counts every statement
each system sends per request, BEGIN and ROLLBACK included. Latency: median and p95 of
sequential requests on one keep-alive connection per system, the systems taking turns request
by request, and "paired", the median of each turn's ratio to PostGraphile 5 (4 for W1);
throughput: `wrk -t2 -c8` (the Python load loop of run.py when wrk is missing). Figures are
medians over the rounds; the machine is shared and its speed moves, so only ratios within one
run mean much. Appends one JSON line per run to bench/peers.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import (
    ROOT,
    SECRET,
    TENANT,
    TREES,
    Client,
    cli,
    concurrent,
    free_port,
    peak_rss_mb,
    percentile,
    port_open,
    start_server,
)
from bench.services import services_document

PEERS = Path(os.environ.get("PEERS_DIR", ROOT.parent / "shared" / "bench" / "peers"))
BODIES = PEERS / "bodies"
RESULTS = ROOT / "bench" / "peers.jsonl"
PEER_PG = os.environ.get("PEERS_PG", "postgresql://postgres@127.0.0.1:55432")
WORKLOADS = {
    "w1": "tree25",
    "w2": "flat",
    "w3": "w3_job",
    "w4": "w4_page",
    "w5": "w5_services",
}
LABELS = {
    "w1": "W1 nested 1,000-job tree",
    "w2": "W2 flat tree",
    "w3": "W3 one job by id",
    "w4": "W4 100 jobs with line items",
    "w5": "W5 100 custom services (names, questions, prerequisites)",
}
#: Bodies of the workloads only the gateway has (the peers' database holds no custom
#: services): bench/bodies/, made by bench/services.py.
OWN_BODIES = ROOT / "bench" / "bodies"

COUNT_SQL = """
SELECT upper(substring(regexp_replace(query, '^(\\s*--[^\\n]*\\n)*', '') from '^\\s*(\\S+)')),
       sum(calls)
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND query NOT ILIKE '%pg_stat_statements%'
GROUP BY 1 ORDER BY 2 DESC
"""


@dataclass
class System:
    """One server under test: its label, port, the body prefix of its dialect, and where its
    statements can be counted."""

    label: str
    port: int
    dialect: str
    token: str | None = None
    dsn: str | None = None
    server: subprocess.Popen[bytes] | None = None
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def body(self, workload: str) -> Path:
        name = f"{self.dialect}_{WORKLOADS[workload]}.json"
        own = OWN_BODIES / name
        return own if own.exists() else BODIES / name


def psql(dsn: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", dsn, "-AtqX", "-c", sql], check=True, capture_output=True, text=True
    )
    return done.stdout


def statements_per_request(system: System, body: bytes, n: int = 20) -> dict[str, float]:
    """Statements per request in the system's database, by first keyword (pg_stat_statements)."""
    assert system.dsn is not None
    psql(system.dsn, "SELECT pg_stat_statements_reset()")

    async def send() -> None:
        client = Client(system.port, system.token or "")
        for _ in range(n):
            await client.post(body)
        await client.close()

    asyncio.run(send())
    time.sleep(0.3)
    kinds: dict[str, float] = {}
    for line in psql(system.dsn, COUNT_SQL).splitlines():
        kind, calls = line.split("|")
        kinds[kind or "?"] = round(int(calls) / n, 2)
    return kinds


async def latency(
    cells: list[tuple[System, bytes]], warmups: int, runs: int
) -> list[dict[str, Any]]:
    """Median and p95 of sequential requests, for every system of a workload at once: one
    request each in turn, the order rotating, so that every system meets the same moments of
    a machine whose speed moves within seconds. `paired` is the median, over the turns, of
    each request's time over PostGraphile 5's in the same turn (PostGraphile 4's for the
    nested tree, which PostGraphile 5 cannot serve)."""
    clients = [Client(system.port, system.token or "") for system, _ in cells]
    times: list[list[float]] = [[] for _ in cells]
    last: list[tuple[int, bytes]] = [(0, b"")] * len(cells)
    try:
        for client, (_, body) in zip(clients, cells, strict=True):
            for _ in range(warmups):
                await client.post(body)
        for turn in range(runs):
            for k in [(turn + j) % len(cells) for j in range(len(cells))]:
                started = time.perf_counter()
                status, _, content = await clients[k].post(cells[k][1])
                times[k].append((time.perf_counter() - started) * 1000)
                last[k] = (status, content)
    finally:
        for client in clients:
            await client.close()
    labels = [system.label for system, _ in cells]
    reference = next(
        (
            labels.index(label)
            for peer in ("PostGraphile 5", "PostGraphile 4")
            for label in labels
            if label.startswith(peer)
        ),
        None,
    )
    rows = []
    for k, (system, _) in enumerate(cells):
        status, content = last[k]
        if status != 200 or b'"errors"' in content:
            raise SystemExit(f"{system.label}: the query failed: {status} {content[:300]!r}")
        row: dict[str, Any] = {
            "median_ms": round(statistics.median(times[k]), 2),
            "p95_ms": round(percentile(times[k], 0.95), 2),
            "bytes": len(content),
        }
        if reference is not None and k != reference:
            ratios = [a / b for a, b in zip(times[k], times[reference], strict=True)]
            row["paired"] = round(statistics.median(ratios), 3)
        rows.append(row)
    return rows


def throughput(system: System, body_file: Path, clients: int, seconds: float) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        body = body_file.read_bytes()
        return asyncio.run(concurrent(system.port, system.token or "", [body], clients, seconds))
    env = {**os.environ, "BODY_FILE": str(body_file)}
    if system.token:
        env["AUTH_TOKEN"] = system.token
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            str(PEERS / "wrk_post.lua"),
            f"http://127.0.0.1:{system.port}/graphql",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "req_per_s": float(found.group(1)) if found else 0.0,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def start_gateway(database: str, url: str, workers: int) -> System:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "JWT_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
        # Fair use stays on (its charge is part of every request) with the default budget
        # flowing back every second instead of every minute: at a quiet hour W1 alone spends
        # 60 M a minute in seconds, and the rest of the run would be measuring refusals. The
        # budget's size is the default's, so are its leases (a share of 60,000 units).
        "RATE_LIMIT": "true",
        "RATE_LIMIT_COST": "60000000",
        "RATE_LIMIT_WINDOW_SECONDS": "1",
    }
    print(f"[gateway {database}] migrate and seed {TREES.name} …", flush=True)
    cli(env, "migrate")
    cli(env, "seed", str(TREES), "--tenant", TENANT)
    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8") as services:
        json.dump(services_document(), services)
        services.flush()
        cli(env, "seed", services.name, "--tenant", TENANT)
    token = cli(env, "token", "--tenant", TENANT, "--ttl", "7200")
    port = free_port()
    server = start_server(env, port, workers)
    for _ in range(300):
        if port_open(port):
            break
        if server.poll() is not None:
            raise SystemExit(f"[gateway {database}] the server exited ({server.returncode})")
        time.sleep(0.1)
    time.sleep(1.0)
    dsn = None
    if database == "postgres":
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    label = f"gateway {database}" + (f" ({workers} workers)" if workers > 1 else "")
    return System(label, port, "ours", token=token, dsn=dsn, server=server)


def fresh_pg_database(name: str) -> str:
    admin = f"{PEER_PG}/postgres"
    psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(admin, f"CREATE DATABASE {name}")
    psql(f"{PEER_PG}/{name}", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    return f"postgresql+asyncpg://{PEER_PG.split('://', 1)[1]}/{name}"


def median_of(rows: list[dict[str, Any]], key: str) -> float:
    values = [row[key] for row in rows if key in row]
    return round(statistics.median(values), 2) if values else float("nan")


def report(systems: list[System], workloads: list[str]) -> str:
    lines = [
        "| workload | system | median ms (p95) | req/s, 8 clients | statements | "
        "ratio to PostGraphile 5, W1 to 4 (latency · req/s) | paired latency ratio |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for workload in workloads:
        reference = next(
            (
                s
                for peer in ("PostGraphile 5", "PostGraphile 4")
                for s in systems
                if s.label.startswith(peer) and s.rows.get(workload)
            ),
            None,
        )
        for system in systems:
            rows = system.rows.get(workload)
            if not rows:
                continue
            median, p95 = median_of(rows, "median_ms"), median_of(rows, "p95_ms")
            rate = median_of(rows, "req_per_s")
            kinds = next((row["statements"] for row in rows if "statements" in row), None)
            statements = f"{sum(kinds.values()):g}" if kinds else ""
            ratio = ""
            if reference is not None and reference is not system and reference.rows.get(workload):
                ref_median = median_of(reference.rows[workload], "median_ms")
                ref_rate = median_of(reference.rows[workload], "req_per_s")
                if ref_median and ref_rate:
                    ratio = f"{median / ref_median:.2f} × · {rate / ref_rate:.2f} ×"
            paired = median_of(rows, "paired")
            lines.append(
                f"| {LABELS[workload]} | {system.label} | {median} ({p95}) | {rate} | "
                f"{statements} | {ratio} | {'' if paired != paired else f'{paired:.2f} ×'} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="The gateway beside PostGraphile 5 and 4.")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--workloads", default="w1,w2,w3,w4,w5")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--runs", type=int, default=30, help="sequential requests per cell")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per cell")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gateway workers on PostgreSQL")
    parser.add_argument("--no-peers", action="store_true", help="measure the gateway alone")
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    systems: list[System] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for database in args.databases.split(","):
                if database == "sqlite":
                    systems.append(start_gateway("sqlite", f"sqlite+aiosqlite:///{tmp}/b.db", 1))
                elif database == "postgres":
                    url = fresh_pg_database("jobtree_peers")
                    systems.append(start_gateway("postgres", url, args.workers))
            if not args.no_peers:
                for label, port in (("PostGraphile 5", 5054), ("PostGraphile 4", 5050)):
                    if port_open(port):
                        dialect = "pgl5" if port == 5054 else "postgraphile"
                        systems.append(System(label, port, dialect, dsn=f"{PEER_PG}/peers"))
                    else:
                        print(f"{label} is not running on :{port}: left out", flush=True)
            for round_index in range(args.rounds):
                print(f"round {round_index + 1} of {args.rounds}", flush=True)
                for workload in workloads:
                    cells = [
                        (system, system.body(workload))
                        for system in systems
                        # PostGraphile 5 cannot serve the 25-level tree; W5 is the gateway's.
                        if not (system.dialect == "pgl5" and workload == "w1")
                        and system.body(workload).exists()
                    ]
                    rows = asyncio.run(
                        latency([(s, f.read_bytes()) for s, f in cells], 5, args.runs)
                    )
                    for (system, body_file), row in zip(cells, rows, strict=True):
                        row.update(throughput(system, body_file, args.clients, args.duration))
                        if round_index == 0 and system.dsn:
                            row["statements"] = statements_per_request(
                                system, body_file.read_bytes()
                            )
                        system.rows.setdefault(workload, []).append(row)
                        print(f"  {workload} {system.label}: {row}", flush=True)
            for system in systems:
                if system.server is not None:
                    system.rows["peak_rss_mb"] = [{"mb": peak_rss_mb(system.server.pid)}]
        finally:
            for system in systems:
                if system.server is not None:
                    system.server.terminate()
                    try:
                        system.server.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        system.server.kill()
    rendered = report(systems, workloads)
    print("\n" + rendered + "\n", flush=True)
    for system in systems:
        if "peak_rss_mb" in system.rows:
            print(f"{system.label}: peak RSS {system.rows['peak_rss_mb'][0]['mb']:.0f} MB")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write(json.dumps({"at": stamp, "systems": {s.label: s.rows for s in systems}}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
