"""Several machines, one database, one url: two gateway nodes behind HAProxy, on PostgreSQL
through PgBouncer in transaction pooling mode (scripts/cluster). What one node writes, the
other's subscribers see; versions hold across nodes; the events page has no gaps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.cluster import Cluster
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, service
from tests.support.ws import GraphQLWebSocket, graphql_ws

CREATE_JOB = """mutation($input: CreateServiceJobInput!) { createServiceJob(input: $input) {
  serviceJob { id version status } userErrors { code message } } }"""
ACT = """mutation($id: ID!, $v: Int!) {{ {name}ServiceJob(input: {{id: $id, version: $v}}) {{
  serviceJob {{ version status }} userErrors {{ code currentVersion }} }} }}"""
JOB_CHANGED = """subscription($id: ID!) { serviceJobChanged(id: $id) { id status version } }"""
EVENTS = """query($after: String) { events(first: 7, after: $after) {
  pageInfo { endCursor hasNextPage } nodes { id type entityId version } } }"""


@pytest.fixture(scope="module")
async def clients(cluster: Cluster) -> AsyncIterator[dict[str, GraphQLClient]]:
    """Tenant demo's client of the balancer ("lb") and of each node past it ("node1", …)."""
    token = cluster.token()
    urls = {"lb": cluster.url} | {f"node{i}": u for i, u in enumerate(cluster.node_urls, 1)}
    https = [httpx.AsyncClient(base_url=url, timeout=30) for url in urls.values()]
    try:
        yield {
            name: GraphQLClient(http, cluster.settings, tenant=None, token=token)
            for name, http in zip(urls, https, strict=True)
        }
    finally:
        for http in https:
            await http.aclose()


@pytest.fixture(scope="module")
async def service_id(clients: dict[str, GraphQLClient]) -> str:
    """A service with an ACTIVE connection in facility fac-1, written through the balancer."""
    return await service(clients["lb"], "cluster-step")


async def new_job(gql: GraphQLClient, service_id: str) -> dict[str, Any]:
    data = await gql(
        CREATE_JOB,
        {"input": {"customServiceRef": service_id, "facilityRef": "fac-1", "targetTime": TARGET}},
    )
    assert data["createServiceJob"]["userErrors"] == []
    job: dict[str, Any] = data["createServiceJob"]["serviceJob"]
    return job


async def act(gql: GraphQLClient, name: str, ident: str, version: int) -> dict[str, Any]:
    data = await gql(ACT.format(name=name), {"id": ident, "v": version})
    payload: dict[str, Any] = data[f"{name}ServiceJob"]
    return payload


async def next_version(ws: GraphQLWebSocket, ident: str) -> int:
    message = await ws.receive(10)
    assert message["id"] == ident and message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return int(message["payload"]["data"]["serviceJobChanged"]["version"])


async def test_a_subscription_through_the_balancer_sees_writes_through_every_node(
    cluster: Cluster, clients: dict[str, GraphQLClient], service_id: str
) -> None:
    job = await new_job(clients["lb"], service_id)
    token = cluster.token()
    # Two subscribers through the balancer (round robin: one per node); each change is written
    # through one node directly, so every change crosses to a subscriber on the other node.
    async with (
        graphql_ws(cluster.ws_url, token) as first,
        graphql_ws(cluster.ws_url, token) as second,
    ):
        subscriptions = [
            (ws, await ws.subscribe(JOB_CHANGED, {"id": job["id"]})) for ws in (first, second)
        ]
        # The subscribe message is handled asynchronously: give it a moment to register.
        await asyncio.sleep(0.3)
        version = job["version"]
        for node, action in (("node1", "start"), ("node2", "hold"), ("node1", "start")):
            done = await act(clients[node], action, job["id"], version)
            assert done["userErrors"] == [], done
            version = done["serviceJob"]["version"]
            for ws, ident in subscriptions:
                assert await next_version(ws, ident) == version
        for ws, _ in subscriptions:
            with pytest.raises(TimeoutError):
                await ws.receive(0.3)


async def test_one_version_has_one_winner_across_nodes(
    clients: dict[str, GraphQLClient], service_id: str
) -> None:
    job = await new_job(clients["lb"], service_id)
    version = job["version"]
    for action in ("start", "hold", "start", "hold", "start", "hold"):
        # The same change with the same expected version, through each node at once.
        outcomes = await asyncio.gather(
            act(clients["node1"], action, job["id"], version),
            act(clients["node2"], action, job["id"], version),
        )
        winners = [o for o in outcomes if o["userErrors"] == []]
        losers = [o for o in outcomes if o["userErrors"] != []]
        assert len(winners) == 1, outcomes
        assert [e["code"] for e in losers[0]["userErrors"]] == ["VERSION_CONFLICT"]
        assert losers[0]["userErrors"][0]["currentVersion"] in {version, version + 1}
        version += 1
        assert winners[0]["serviceJob"]["version"] == version
    current = await clients["lb"](
        "query($id: ID!) { serviceJob(id: $id) { version status } }", {"id": job["id"]}
    )
    assert current["serviceJob"] == {"version": version, "status": "WAITING_FOR_INPUT"}


async def page(gql: GraphQLClient, after: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Every event after `after` there is now, and the cursor to go on from."""
    found: list[dict[str, Any]] = []
    while True:
        data = (await gql(EVENTS, {"after": after}))["events"]
        found += data["nodes"]
        after = data["pageInfo"]["endCursor"] or after
        if not data["pageInfo"]["hasNextPage"]:
            return found, after


async def test_events_page_without_gaps_while_both_nodes_write(
    clients: dict[str, GraphQLClient], service_id: str
) -> None:
    lb = clients["lb"]
    _, start = await page(lb, None)
    created: list[str] = []

    async def write(node: str) -> None:
        for _ in range(6):
            created.append((await new_job(clients[node], service_id))["id"])

    writers = asyncio.gather(write("node1"), write("node2"))
    seen: list[dict[str, Any]] = []
    cursor = start
    # A reader polling through the balancer while both nodes commit.
    while not writers.done():
        found, cursor = await page(lb, cursor)
        seen += found
        await asyncio.sleep(0.02)
    await writers
    found, cursor = await page(lb, cursor)
    seen += found

    everything, _ = await page(lb, start)
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(set(ids)), "events came twice or out of order"
    assert seen == everything, "the polling reader missed events that committed late"
    created_events = [e["entityId"] for e in seen if e["type"] == "SERVICE_JOB_CREATED"]
    assert sorted(created_events) == sorted(created)
    assert len(seen) == 2 * len(created)  # each new job: its event and its new tree's
