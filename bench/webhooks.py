"""Webhook delivery across processes, with a node killed: figures, not a test.

    scripts/with-postgres .venv/bin/python -m bench.webhooks [--jobs 60] [--workers 2]

Starts two gateway nodes (`python -m app serve`, each with --workers processes) on the
PostgreSQL of TEST_POSTGRES_URL (or DATABASE_URL), a receiver on loopback, and subscribes it to
every event type. Then it creates and starts jobs through both nodes, kills the second node
with SIGKILL half-way (its claims in flight are left to their leases) and restarts it. It waits
until every event of the `events` list has reached the receiver, and prints: events, requests
received, distinct event ids, duplicates, deliveries by status, and the delay from an event's
commit to its first arrival (p50, p99, max). Every event must arrive; duplicates are allowed
(at least once) and are counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from app.auth import issue_token
from app.settings import Settings
from tests.support.graphql import GraphQLClient
from tests.support.jobs import action, job, service
from tests.support.webhook_receiver import Received, running_receiver

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-webhooks-secret-that-is-long-enough-0123456789"
EVENTS = """query($after: String) { events(first: 100, after: $after) {
  pageInfo { endCursor hasNextPage } nodes { id occurredAt } } }"""
SUBSCRIBE = """mutation($url: String!) { createWebhookSubscription(input: {callbackUrl: $url,
  events: [SERVICE_JOB_CREATED, SERVICE_JOB_CHANGED, LINKED_SERVICE_JOBS_CREATED,
           LINKED_SERVICE_JOBS_CHANGED, LINKED_SERVICE_JOBS_MERGED]}) {
  webhookSubscription { id } secret userErrors { message } } }"""
STATUSES = """query($id: ID!, $after: String) { webhookDeliveries(subscriptionId: $id,
  first: 100, after: $after) { pageInfo { endCursor hasNextPage } nodes { status } } }"""


def start_node(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        cwd=ROOT, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def ready(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(900):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"node on port {port} did not get ready")


async def all_pages(
    gql: GraphQLClient, query: str, field: str, **variables: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gql(query, {**variables, "after": after}))[field]
        found += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def main(jobs: int, workers: int) -> None:
    url = os.environ.get("TEST_POSTGRES_URL") or os.environ["DATABASE_URL"]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "production",
        "JWT_SECRET": SECRET,
        "WEBHOOK_ALLOW_PRIVATE": "true",
        "WEBHOOK_TIMEOUT_SECONDS": "2",
        "WEBHOOK_LEASE_SECONDS": "5",
        "WEBHOOK_BACKOFF_BASE_SECONDS": "0.5",
        "LOG_LEVEL": "WARNING",
    }
    settings = Settings(_env_file=None, app_env="production", jwt_secret=SECRET)  # type: ignore[call-arg,arg-type]
    ports = (18101, 18102)
    nodes = {ports[0]: start_node(ports[0], workers, env)}
    try:
        await ready(ports[0])  # the first node migrates; the second starts on a migrated one
        nodes[ports[1]] = start_node(ports[1], workers, env)
        await ready(ports[1])
        await measure(settings, env, nodes, ports, jobs, workers)
    finally:
        for process in nodes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)


async def measure(
    settings: Settings,
    env: dict[str, str],
    nodes: dict[int, subprocess.Popen[bytes]],
    ports: tuple[int, int],
    jobs: int,
    workers: int,
) -> None:
    with running_receiver() as receiver:
        arrived: dict[str, float] = {}
        original = receiver.record

        def record(item: Received) -> None:
            arrived.setdefault(item.event_id, time.time())
            original(item)

        receiver.record = record  # type: ignore[method-assign]
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{p}", timeout=30) for p in ports]
        try:
            token = issue_token(settings, tenant="bench-webhooks")
            gqls = [GraphQLClient(c, settings, tenant=None, token=token) for c in clients]
            made = await gqls[0](SUBSCRIBE, {"url": receiver.url("/ok")})
            subscription = made["createWebhookSubscription"]["webhookSubscription"]["id"]
            service_id = await service(gqls[0], "bench-step")
            for index in range(jobs):
                if index == jobs // 2:
                    os.killpg(nodes[ports[1]].pid, signal.SIGKILL)
                    nodes[ports[1]].wait()
                    nodes[ports[1]] = start_node(ports[1], workers, env)
                gql = gqls[0] if index % 2 or index >= jobs // 2 else gqls[1]
                made_job = await job(gql, service_id)
                await action(gql, "start", made_job["id"], 1)
            await ready(ports[1])
            events = await all_pages(gqls[0], EVENTS, "events")
            deadline = time.time() + 60
            # The receiver records from its own threads: its count is polled.
            while time.time() < deadline and len(arrived) < len(events):  # noqa: ASYNC110
                await asyncio.sleep(0.1)
            received = receiver.received()
            ids = [r.event_id for r in received]
            delays = sorted(
                arrived[e["id"]] - datetime.fromisoformat(e["occurredAt"]).timestamp()
                for e in events
                if e["id"] in arrived
            )
            statuses = await all_pages(gqls[0], STATUSES, "webhookDeliveries", id=subscription)
            by_status: dict[str, int] = {}
            for row in statuses:
                by_status[row["status"]] = by_status.get(row["status"], 0) + 1
            print(f"nodes: 2 x {workers} workers on PostgreSQL; node 2 killed (SIGKILL) and "
                  f"restarted after {jobs // 2} of {jobs} jobs")  # fmt: skip
            distinct = len(set(ids))
            print(f"events: {len(events)}; requests received: {len(ids)}; "
                  f"distinct event ids: {distinct}; duplicates: {len(ids) - distinct}")  # fmt: skip
            print(f"missing: {len({e['id'] for e in events} - set(ids))}; deliveries: {by_status}")
            if delays:
                p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
                print(f"commit -> first arrival: p50 {statistics.median(delays) * 1000:.0f} ms, "
                      f"p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms")  # fmt: skip
        finally:
            for client in clients:
                await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.jobs, arguments.workers))
