"""Roots read by the same function as their resolver (`RootCall`: `order`, `events`,
`webhookSubscriptions`, `webhookDeliveries`, `searchLinkedServiceJobs`, `serviceData`,
`cancellationReasonCodes`) are completed by the compiled walk: with data in
every one of them, each answers exactly as graphql-core answers, and through the compiled path
(an order's trees too: the tree's walk completes them wherever it meets them)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from graphql import get_named_type
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.graphql import fast_path
from app.graphql.read_path.sources import is_read_whole
from app.graphql.schema import build_schema
from app.settings import Settings
from tests.api.test_fast_path import same
from tests.api.test_orders import create, item
from tests.api.test_webhooks import subscribed
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient
from tests.support.jobs import service
from tests.support.read_path import Clients, assert_compiled_read, both_paths


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback callback urls allowed (nothing is delivered here)."""
    return settings.model_copy(update={"webhook_allow_private": True})


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, gql: GraphQLClient
) -> AsyncIterator[Clients]:
    await service(gql, "parent")
    await service(gql, "child")
    created = await create(gql, "order-1", [item("parent", item("child"), item("child"))])
    assert created["userErrors"] == []
    await subscribed(gql, "http://127.0.0.1:9/hook")
    await subscribed(gql, "http://127.0.0.1:9/other", facilityRefs=["fac-1"])
    async with both_paths(settings, engine) as clients:
        yield clients


ORDER = """query($order: String!) { order(tenantOrderId: $order) { __typename id tenantOrderId
  facilityRef targetTime marketplaceId serviceType status created
  serviceJobs { id status name facilityRef version lineItems { id quantity } } } }"""
EVENTS = """{ events(first: 50) { totalCount pageInfo { hasNextPage endCursor }
  edges { cursor node { id type entityType entityId facilityRef version payload occurredAt
    __typename } } } }"""
FILTERED_EVENTS = """query($types: [EventType!]) { events(first: 3, filter: {types: $types,
  entityType: SERVICE_JOB}) { nodes { id type } } }"""
SUBSCRIPTIONS = """{ webhookSubscriptions(first: 5) { totalCount
  nodes { id callbackUrl events facilityRefs active created __typename } } }"""
SEARCH = """query($term: String) { searchLinkedServiceJobs(first: 5,
  filter: {searchTerm: $term, or: [{status: OPEN}, {status: NOT_READY}]}) { totalCount
  pageInfo { hasNextPage endCursor } nodes { id status tenantOrderId
    allServiceJobLinks { depth serviceJob { id name status } } } } }"""
SERVICE_DATA = """query($job: ID!) { serviceData(serviceJobId: $job) { __typename id version
  linkedServiceJobsRef availableLineItems { id quantity availableQuantity
    article { tenantArticleId title } executedServiceJobData { sequence appliedQuantity } } } }"""
REASONS = """{ heavy: cancellationReasonCodes(marketplaceId: "A1PA6795UKMFR9",
  serviceType: "heavybulky") { code description __typename }
  default: cancellationReasonCodes(marketplaceId: "A1PA6795UKMFR9") { code } }"""
DELIVERIES = """query($subscription: ID!) { webhookDeliveries(subscriptionId: $subscription,
  first: 10) { totalCount nodes { id eventId status attempts } } }"""


async def test_each_root_answers_identically_through_the_compiled_walk(clients: Clients) -> None:
    fast, _, headers = clients
    listed = await fast.post("/graphql", json={"query": SUBSCRIPTIONS}, headers=headers)
    subscription = listed.json()["data"]["webhookSubscriptions"]["nodes"][0]["id"]
    order = await fast.post(
        "/graphql", json={"query": ORDER, "variables": {"order": "order-1"}}, headers=headers
    )
    variables = {
        "order": "order-1",
        "types": ["SERVICE_JOB_CREATED"],
        "subscription": subscription,
        "term": None,
        "job": order.json()["data"]["order"]["serviceJobs"][0]["id"],
    }
    roots = {
        ORDER: 1,
        EVENTS: 1,
        FILTERED_EVENTS: 1,
        SUBSCRIPTIONS: 1,
        DELIVERIES: 1,
        SEARCH: 1,
        SERVICE_DATA: 1,
        REASONS: 2,
    }
    for query, count in roots.items():
        compiled = fast_path.OUTCOMES["compiled"]
        answer = await same(clients, query, variables)
        assert "errors" not in answer, answer
        # `same` sends the text twice to the compiled app: each root compiled both times.
        assert fast_path.OUTCOMES["compiled"] - compiled == 2 * count, query
    order = (await same(clients, ORDER, variables))["data"]["order"]
    assert (order["status"], len(order["serviceJobs"])) == ("OPEN", 3)
    events = (await same(clients, EVENTS, variables))["data"]["events"]
    assert events["totalCount"] >= 3
    subscriptions = (await same(clients, SUBSCRIPTIONS, variables))["data"]
    assert subscriptions["webhookSubscriptions"]["totalCount"] == 2
    found = (await same(clients, SEARCH, variables))["data"]["searchLinkedServiceJobs"]
    assert found["totalCount"] == 1
    assert len(found["nodes"][0]["allServiceJobLinks"]) == 3
    data = (await same(clients, SERVICE_DATA, variables))["data"]["serviceData"]
    assert data["__typename"] == "ServiceData"
    reasons = (await same(clients, REASONS, variables))["data"]
    assert reasons["heavy"] and reasons["default"]


async def test_an_order_a_search_and_service_data_are_read_without_a_transaction(
    clients: Clients, sql: StatementCounter, transactions: list[str]
) -> None:
    """On read connections: the order and its jobs; a tree search's page, its trees (the
    tree, its links with their jobs) and its count; the job (its tree), its tree's service
    data and its items (it has none: no usages are read)."""
    fast, _, headers = clients
    order = await fast.post(
        "/graphql", json={"query": ORDER, "variables": {"order": "order-1"}}, headers=headers
    )
    job = order.json()["data"]["order"]["serviceJobs"][0]["id"]
    transactions.clear()
    await assert_compiled_read(clients, sql, transactions, ORDER, {"order": "order-1"}, 2)
    await assert_compiled_read(clients, sql, transactions, SERVICE_DATA, {"job": job}, 3)
    await assert_compiled_read(clients, sql, transactions, SEARCH, {"term": None}, 4)


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        (EVENTS, 2),  # the page and its count
        (FILTERED_EVENTS, 1),
        (SUBSCRIPTIONS, 2),  # the caller's subscriptions, paged in memory; and counted
        # A page of jobs and one of services, each with its count.
        ("{ serviceJobs(first: 2, filter: {status: OPEN}) { totalCount nodes { id } } }", 2),
        ("{ customServices(first: 2) { totalCount nodes { id } } }", 2),
    ],
)
async def test_pages_and_their_counts_are_read_without_a_transaction(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    statements: int,
) -> None:
    transactions.clear()
    variables = {"types": ["SERVICE_JOB_CREATED"]}
    await assert_compiled_read(clients, sql, transactions, query, variables, statements)


async def test_an_order_out_of_scope_and_a_missing_one_are_null_on_both_paths(
    clients: Clients, settings: Settings, sql: StatementCounter
) -> None:
    token = issue_token(settings, tenant="acme", facilities=["fac-2"])
    scoped = (clients[0], clients[1], {"Authorization": f"Bearer {token}"})
    hidden = await same(scoped, ORDER, {"order": "order-1"})
    assert hidden["data"] == {"order": None}
    # Out of scope, its jobs are not read.
    sql.reset()
    await scoped[0].post(
        "/graphql", json={"query": ORDER, "variables": {"order": "order-1"}}, headers=scoped[2]
    )
    assert sql.count == 1, sql.statements
    missing = await same(clients, ORDER, {"order": "nope"})
    assert missing["data"] == {"order": None}


async def test_an_orders_trees_are_completed_by_the_tree_walk(clients: Clients) -> None:
    query = """{ order(tenantOrderId: "order-1") { status
      linkedServiceJobs { id status allServiceJobLinks { depth } } } }"""
    compiled = fast_path.OUTCOMES["compiled"]
    answer = await same(clients, query, {})
    assert "errors" not in answer
    assert len(answer["data"]["order"]["linkedServiceJobs"]) == 1
    # Trees are completed by the tree's walk wherever the walk meets them (read_whole).
    assert fast_path.OUTCOMES["compiled"] - compiled == 2


def test_every_root_query_field_declares_its_read(settings: Settings) -> None:
    """A new root field cannot bypass the read path unnoticed: each declares a root read
    (`reads(root=...)`), or returns a type read whole (a tree), which the compiled walk
    completes wherever it is met (`read_whole`)."""
    schema = build_schema(settings)._schema
    assert schema.query_type is not None
    undeclared = [
        name
        for name, field in schema.query_type.fields.items()
        if fast_path.root_read_of(schema.query_type, name) is None
        and not is_read_whole(get_named_type(field.type))
    ]
    assert undeclared == []
