"""Subscriptions over graphql-transport-ws against the real server: two worker processes on
PostgreSQL (a change made through one worker reaches a subscriber on the other), one process
on SQLite. Authorised like queries, at subscribe time and for every change.

The module's tests share one server and one database (starting a server costs seconds): each
test works as a tenant of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from app.auth import issue_token
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.graphql import GraphQLClient
from tests.support.jobs import action, job, line_item, service
from tests.support.server import Server, running_server
from tests.support.ws import GraphQLWebSocket, graphql_ws

JOB_CHANGED = """subscription($id: ID!) { serviceJobChanged(id: $id) {
  id status version } }"""
TREE_CHANGED = """subscription($id: ID!) { linkedServiceJobsChanged(id: $id) {
  id version status serviceJobLinks { serviceJob { id status } } } }"""
ACT = """mutation($id: ID!, $v: Int!) {{ {name}ServiceJob(input: {{id: $id, version: $v}}) {{
  serviceJob {{ version }} userErrors {{ code }} }} }}"""


@pytest.fixture
def database_url(module_database_url: str) -> str:
    return module_database_url


@pytest.fixture
def gql(http: httpx.AsyncClient, settings: Settings) -> GraphQLClient:
    """The in-process app's client for a tenant of this test's own."""
    return GraphQLClient(http, settings, tenant=f"acme-{uuid4().hex[:12]}")


@pytest.fixture(scope="module")
def server(
    db_kind: str, module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workers = 2 if db_kind == "postgres" else 1
    env = {"JWT_SECRET": TEST_SECRET, "MAX_SUBSCRIPTIONS_PER_CONNECTION": "3"}
    log_dir = tmp_path_factory.mktemp("server")
    with running_server(module_database_url, env, workers=workers, log_dir=log_dir) as s:
        yield s


@pytest.fixture
async def remote(server: Server, gql: GraphQLClient) -> AsyncIterator[GraphQLClient]:
    """Tenant acme's client of the real server. Changes made while a subscription is open go
    through it: on SQLite only the server's own process hears of its changes."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield GraphQLClient(http, gql.settings, tenant=None, token=gql.token)


def token(
    gql: GraphQLClient, tenant: str | None = None, facilities: list[str] | None = None
) -> str:
    """A token of `tenant`, by default the test's own tenant (gql's)."""
    return issue_token(gql.settings, tenant=tenant or str(gql.tenant), facilities=facilities)


async def next_data(ws: GraphQLWebSocket, ident: str, within: float = 1.0) -> dict[str, Any]:
    message = await ws.receive(within)
    assert message["id"] == ident and message["type"] == "next", message
    assert "errors" not in message["payload"], message
    data: dict[str, Any] = message["payload"]["data"]
    return data


async def nothing_more(ws: GraphQLWebSocket, wait: float = 0.4) -> None:
    with pytest.raises(TimeoutError):
        await ws.receive(wait)


async def test_a_change_through_one_worker_reaches_a_subscriber_on_another_once_in_order(
    server: Server, gql: GraphQLClient, db_kind: str
) -> None:
    created = await job(gql, await service(gql, "step"))
    bearer = token(gql)
    async with graphql_ws(server.ws_url, bearer) as writer:
        # Find a subscriber connection held by another worker than the writer's.
        subscriber_socket = None
        for _ in range(30):
            candidate = graphql_ws(server.ws_url, bearer)
            socket = await candidate.__aenter__()
            if db_kind != "postgres" or server.worker_of(socket.local_port) != server.worker_of(
                writer.local_port
            ):
                subscriber_socket = (candidate, socket)
                break
            await candidate.__aexit__(None, None, None)
        assert subscriber_socket is not None, "every connection landed on the writer's worker"
        context, subscriber = subscriber_socket
        try:
            ident = await subscriber.subscribe(JOB_CHANGED, {"id": created["id"]})
            await nothing_more(subscriber, 0.3)
            delays = []
            version = 1
            for name in ("start", "finish"):
                began = time.monotonic()
                result = await writer.execute(
                    ACT.format(name=name), {"id": created["id"], "v": version}
                )
                assert result["data"][f"{name}ServiceJob"]["userErrors"] == []
                data = await next_data(subscriber, ident, within=1.0)
                delays.append(time.monotonic() - began)
                version += 1
                assert data["serviceJobChanged"]["version"] == version
            assert [d < 1.0 for d in delays] == [True, True]
            await nothing_more(subscriber)
        finally:
            await context.__aexit__(None, None, None)


async def test_a_tree_subscription_sees_each_change_inside_the_tree(
    server: Server, gql: GraphQLClient, remote: GraphQLClient
) -> None:
    step = await service(gql, "step")
    root = await job(gql, step)
    child = await job(gql, step, serviceJobLinkRef=root["serviceJobLink"]["id"])
    tree = root["linkedServiceJobsRef"]
    async with graphql_ws(server.ws_url, token(gql)) as ws:
        ident = await ws.subscribe(TREE_CHANGED, {"id": tree})
        await nothing_more(ws, 0.3)
        started = await action(remote, "start", child["id"], 1)
        assert started["userErrors"] == []
        first = (await next_data(ws, ident))["linkedServiceJobsChanged"]
        statuses = {
            link["serviceJob"]["id"]: link["serviceJob"]["status"]
            for link in first["serviceJobLinks"]
        }
        assert statuses == {root["id"]: "NOT_READY"}
        finished = await action(remote, "finish", child["id"], 2)
        assert finished["userErrors"] == []
        second = (await next_data(ws, ident))["linkedServiceJobsChanged"]
        assert second["version"] > first["version"]
        assert second["serviceJobLinks"][0]["serviceJob"]["status"] == "OPEN"
        await nothing_more(ws)


async def test_a_merged_tree_ends_its_subscription(
    server: Server, gql: GraphQLClient, remote: GraphQLClient
) -> None:
    step = await service(gql, "step")
    root = await job(gql, step)
    lone = await job(gql, step)
    async with graphql_ws(server.ws_url, token(gql)) as ws:
        ident = await ws.subscribe(TREE_CHANGED, {"id": lone["linkedServiceJobsRef"]})
        await nothing_more(ws, 0.3)
        linked = await remote(
            """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
              userErrors { code } } }""",
            {
                "input": {
                    "linkedServiceJobsId": root["linkedServiceJobsRef"],
                    "serviceJobId": lone["id"],
                }
            },
        )
        assert linked["addServiceJobLink"]["userErrors"] == []
        assert await ws.receive(2) == {"id": ident, "type": "complete"}


async def test_subscribing_needs_a_valid_token(server: Server, settings: Settings) -> None:
    for bearer in (None, "not-a-token"):
        async with graphql_ws(server.ws_url, None, init=False) as ws:
            payload = {"Authorization": f"Bearer {bearer}"} if bearer else {}
            await ws.send({"type": "connection_init", "payload": payload})
            with pytest.raises(ConnectionClosed) as closed:
                await ws.receive()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403


async def test_other_tenants_and_facilities_ids_are_not_found(
    server: Server, gql: GraphQLClient
) -> None:
    created = await job(gql, await service(gql, "step"))
    intruders = [token(gql, "tenant-b"), token(gql, facilities=["fac-other"])]
    for bearer in intruders:
        async with graphql_ws(server.ws_url, bearer) as ws:
            for query, ident in (
                (JOB_CHANGED, created["id"]),
                (TREE_CHANGED, created["linkedServiceJobsRef"]),
                (JOB_CHANGED, "no-such-job"),
            ):
                op = await ws.subscribe(query, {"id": ident})
                message = await ws.receive()
                assert message["id"] == op
                assert message["type"] == "next", message
                errors = message["payload"]["errors"]
                assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
                assert await ws.receive() == {"id": op, "type": "complete"}
    # The owner's change is not delivered to anyone else: their subscriptions never started.
    started = await action(gql, "start", created["id"], 1)
    assert started["userErrors"] == []


async def test_limits_origins_and_protocols(server: Server, gql: GraphQLClient) -> None:
    created = await job(gql, await service(gql, "step"))
    async with graphql_ws(server.ws_url, token(gql)) as ws:
        # The server allows three operations at a time per connection (its setting here).
        for _ in range(3):
            await ws.subscribe(JOB_CHANGED, {"id": created["id"]})
        await nothing_more(ws, 0.3)
        fourth = await ws.subscribe(JOB_CHANGED, {"id": created["id"]})
        refused = await ws.receive()
        assert refused["id"] == fourth and refused["type"] == "error"
        assert refused["payload"][0]["message"] == "Subscription limit reached"

    with pytest.raises(InvalidStatus) as forbidden:
        async with graphql_ws(server.ws_url, token(gql), origin="https://evil.example"):
            pass
    assert forbidden.value.response.status_code == 403
    async with graphql_ws(server.ws_url, token(gql), origin=server.url):
        pass  # the page's own origin is welcome

    # Only graphql-transport-ws: the legacy graphql-ws protocol is not spoken.
    async with connect(server.ws_url, subprotocols=[Subprotocol("graphql-ws")]) as legacy:
        assert legacy.subprotocol is None
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(legacy.recv(), 2)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4406


async def test_queries_over_the_socket_answer_as_over_http_once_compiled(
    server: Server, gql: GraphQLClient, remote: GraphQLClient
) -> None:
    """A query sent again is answered by the read lane and the compiled path (their plans
    made by the first): over the socket as over HTTP, the same data each time."""
    step = await service(gql, "step")
    made = await job(gql, step, lineItems=[line_item("SHIRT", "Shirt")])
    query = """query($id: ID!) { serviceJob(id: $id) { id status version
      lineItems { id quantity article { title } } }
      serviceJobs(first: 5) { nodes { id } } }"""
    over_http = await remote(query, {"id": made["id"]})
    assert over_http["serviceJob"]["lineItems"][0]["article"] == {"title": "Shirt"}
    async with graphql_ws(server.ws_url, token(gql)) as ws:
        for _ in range(3):
            payload = await ws.execute(query, {"id": made["id"]})
            assert payload == {"data": over_http}
