"""Concurrency against a real server: PostgreSQL with two uvicorn worker processes (SQLite, one
process, through the ASGI app). Many clients, the same version: one winner, the rest
VERSION_CONFLICT, and trees that stay whole."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.graphql import GraphQLClient
from tests.support.jobs import JOB_FIELDS, get_job, job, service

ROOT = Path(__file__).resolve().parents[2]
START = f"""mutation($id: ID!, $v: Int!) {{ startServiceJob(input: {{id: $id, version: $v}}) {{
  serviceJob {{ {JOB_FIELDS} }} userErrors {{ code currentVersion }} }} }}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server_url(db_kind: str, settings: Settings) -> Iterator[str | None]:
    """A real server with two workers on PostgreSQL; None on SQLite (the ASGI app is used)."""
    if db_kind != "postgres":
        yield None
        return
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "APP_ENV": "production",
        "JWT_SECRET": TEST_SECRET,
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture
async def clients(server_url: str | None, gql: GraphQLClient) -> AsyncIterator[list[GraphQLClient]]:
    if server_url is None:
        yield [gql] * 50
        return
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        yield [GraphQLClient(http, gql.settings, tenant=None, token=gql.token)] * 50


async def test_fifty_clients_one_version_one_winner(
    gql: GraphQLClient, clients: list[GraphQLClient]
) -> None:
    created = await job(gql, await service(gql, "step"))
    results = await asyncio.gather(
        *(client(START, {"id": created["id"], "v": 1}) for client in clients)
    )
    payloads = [r["startServiceJob"] for r in results]
    winners = [p for p in payloads if not p["userErrors"]]
    losers = [p["userErrors"][0] for p in payloads if p["userErrors"]]
    assert len(winners) == 1
    assert len(losers) == 49
    assert {(e["code"], e["currentVersion"]) for e in losers} == {("VERSION_CONFLICT", 2)}
    after = await get_job(gql, created["id"])
    assert (after["status"], after["version"]) == ("IN_PROGRESS", 2)


TREE = """query($id: ID!) { linkedServiceJobs(id: $id) { includedServiceJobRefs
  allServiceJobLinks { id previousServiceJobLinkRef serviceJob { id status } } } }"""
LINK = """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
  userErrors { code } } }"""
CANCEL = """mutation($id: ID!) { cancelServiceJob(input: {id: $id, version: 1, reason: "x"}) {
  userErrors { code } } }"""


async def test_links_and_cancels_racing_on_one_tree_leave_it_whole(
    gql: GraphQLClient, clients: list[GraphQLClient]
) -> None:
    step = await service(gql, "step")
    root = await job(gql, step)
    middle = await job(gql, step, serviceJobLinkRef=root["serviceJobLink"]["id"])
    leaf = await job(gql, step, serviceJobLinkRef=middle["serviceJobLink"]["id"])
    # Nothing is linked beneath this one, so its cancel cannot lose on its version.
    doomed = await job(gql, step, serviceJobLinkRef=middle["serviceJobLink"]["id"])
    lone = [await job(gql, step) for _ in range(12)]
    tree_id = root["linkedServiceJobsRef"]
    parents = [root, middle, leaf]
    work: list[Any] = [
        clients[i](
            LINK,
            {
                "input": {
                    "linkedServiceJobsId": tree_id,
                    "serviceJobId": j["id"],
                    "serviceJobLinkId": parents[i % 3]["serviceJobLink"]["id"],
                }
            },
        )
        for i, j in enumerate(lone)
    ]
    work.insert(6, clients[40](CANCEL, {"id": doomed["id"]}))
    outcome = await asyncio.gather(*work)
    assert outcome[6] == {"cancelServiceJob": {"userErrors": []}}

    tree = (await gql(TREE, {"id": tree_id}))["linkedServiceJobs"]
    links = tree["allServiceJobLinks"]
    jobs = {link["serviceJob"]["id"] for link in links}
    assert len(links) == len(jobs) == len(tree["includedServiceJobRefs"])
    parent_of = {link["id"]: link["previousServiceJobLinkRef"] for link in links}
    status_of = {link["id"]: link["serviceJob"]["status"] for link in links}
    for link_id in parent_of:  # no cycle: every chain reaches the root level
        seen: set[str] = set()
        current: str | None = link_id
        while current is not None:
            assert current not in seen
            seen.add(current)
            current = parent_of[current]
    for link_id, status in status_of.items():  # no dependent of a cancelled job left open
        if status == "CANCELLED":
            parent = parent_of[link_id]
            while parent is not None:
                assert status_of[parent] in {"CANCELLED", "FINISHED", "OBSOLETE"}
                parent = parent_of[parent]
    for cancelled in (doomed, middle, root):
        assert status_of[cancelled["serviceJobLink"]["id"]] == "CANCELLED"
