"""Orders through the HTTP API: nested custom services become one tree in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.graphql import fast_path
from app.settings import Settings
from tests.api.test_fast_path import same
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, action, finish, service
from tests.support.read_path import assert_compiled_read, both_paths

CREATE = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { tenantOrderId status
    serviceJobs { id status requiredLineItems { quantity article { tenantArticleId } } }
    linkedServiceJobs { status allServiceJobLinks { depth serviceJob { id name status } } } }
  userErrors { code message field } } }"""
ORDER = "query($id: String!) { order(tenantOrderId: $id) { status serviceJobs { id status } } }"


def item(
    ref: str, *children: dict[str, Any], articles: tuple[tuple[str, int], ...] = ()
) -> dict[str, Any]:
    return {
        "customServiceDefinition": {"tenantCustomServiceId": ref},
        "articleItems": [{"tenantArticleRef": a, "quantity": q} for a, q in articles],
        "customServiceItems": list(children),
    }


async def create(gql: GraphQLClient, order_id: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    data = await gql(
        CREATE,
        {
            "input": {
                "tenantOrderId": order_id,
                "facilityId": "fac-1",
                "targetTime": TARGET,
                "customServices": items,
            }
        },
    )
    payload: dict[str, Any] = data["createOrder"]
    return payload


async def test_seed_003s_order_example_becomes_one_tree(gql: GraphQLClient) -> None:
    await service(gql, "parent")
    await service(gql, "child")
    payload = await create(
        gql, "order-1", [item("parent", item("child", articles=(("Item_1", 1),)))]
    )
    assert payload["userErrors"] == []
    order = payload["order"]
    assert order["status"] == "OPEN"
    parent, child = order["serviceJobs"]
    item_1 = [{"quantity": 1, "article": {"tenantArticleId": "Item_1"}}]
    assert parent["requiredLineItems"] == item_1
    assert child["requiredLineItems"] == item_1
    assert (parent["status"], child["status"]) == ("NOT_READY", "OPEN")
    (tree,) = order["linkedServiceJobs"]
    assert [(link["depth"], link["serviceJob"]["id"]) for link in tree["allServiceJobLinks"]] == [
        (1, parent["id"]),
        (2, child["id"]),
    ]


async def test_the_order_completes_or_cancels_with_its_jobs(gql: GraphQLClient) -> None:
    await service(gql, "parent")
    await service(gql, "child")
    payload = await create(gql, "order-2", [item("parent", item("child"))])
    parent, child = payload["order"]["serviceJobs"]
    await finish(gql, child["id"])
    assert (await gql(ORDER, {"id": "order-2"}))["order"]["status"] == "OPEN"
    await finish(gql, parent["id"])
    assert (await gql(ORDER, {"id": "order-2"}))["order"]["status"] == "COMPLETED"

    payload = await create(gql, "order-3", [item("parent", item("child"))])
    parent, child = payload["order"]["serviceJobs"]
    await action(gql, "cancel", child["id"], 1, reason="customer withdrew")
    order = (await gql(ORDER, {"id": "order-3"}))["order"]
    assert order["status"] == "CANCELLED"
    assert {j["status"] for j in order["serviceJobs"]} == {"CANCELLED"}


async def test_cancelling_the_only_active_job_cancels_the_order_after_a_finished_one(
    gql: GraphQLClient,
) -> None:
    # seed 000: "If the given job is the only active job in the order, then it marks the
    # entire order as cancelled", even though its prerequisite finished before.
    await service(gql, "parent")
    await service(gql, "child")
    parent, child = (await create(gql, "order-4", [item("parent", item("child"))]))["order"][
        "serviceJobs"
    ]
    await finish(gql, child["id"])
    opened = (await gql(ORDER, {"id": "order-4"}))["order"]["serviceJobs"][0]
    assert opened == {"id": parent["id"], "status": "OPEN"}
    cancelled = await action(gql, "cancel", parent["id"], 2, reason="customer withdrew")
    assert cancelled["userErrors"] == []
    order = (await gql(ORDER, {"id": "order-4"}))["order"]
    assert order["status"] == "CANCELLED"
    assert [j["status"] for j in order["serviceJobs"]] == ["CANCELLED", "FINISHED"]


async def test_siblings_the_last_active_job_decides_the_order(gql: GraphQLClient) -> None:
    await service(gql, "one")
    await service(gql, "two")
    first, second = (await create(gql, "order-5", [item("one"), item("two")]))["order"][
        "serviceJobs"
    ]
    await finish(gql, first["id"])
    assert (await gql(ORDER, {"id": "order-5"}))["order"]["status"] == "OPEN"
    await action(gql, "cancel", second["id"], 1)
    assert (await gql(ORDER, {"id": "order-5"}))["order"]["status"] == "CANCELLED"

    first, second = (await create(gql, "order-6", [item("one"), item("two")]))["order"][
        "serviceJobs"
    ]
    await action(gql, "cancel", first["id"], 1)
    assert (await gql(ORDER, {"id": "order-6"}))["order"]["status"] == "OPEN"
    await finish(gql, second["id"])
    assert (await gql(ORDER, {"id": "order-6"}))["order"]["status"] == "COMPLETED"

    # obsolete decides nothing: the order keeps the outcome of the last finish or cancel
    first, second = (await create(gql, "order-7", [item("one"), item("two")]))["order"][
        "serviceJobs"
    ]
    await finish(gql, first["id"])
    await action(gql, "obsolete", second["id"], 1)
    assert (await gql(ORDER, {"id": "order-7"}))["order"]["status"] == "COMPLETED"


async def test_order_limits_are_refused_and_nothing_is_written(gql: GraphQLClient) -> None:
    await service(gql, "step")
    wide = await create(gql, "wide", [item("step") for _ in range(16)])
    assert [e["code"] for e in wide["userErrors"]] == ["LIMIT_EXCEEDED"]
    deep = item("step")
    for _ in range(25):
        deep = item("step", deep)
    too_deep = await create(gql, "deep", [deep])
    assert [e["code"] for e in too_deep["userErrors"]] == ["LIMIT_EXCEEDED"]
    many = await create(
        gql, "many", [item("step", *[item("step") for _ in range(12)]) for _ in range(4)]
    )
    assert many["userErrors"][0]["message"] == "An order holds at most 50 custom services."
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 0


async def test_an_unusable_service_anywhere_refuses_the_whole_order(gql: GraphQLClient) -> None:
    await service(gql, "parent")
    payload = await create(gql, "order-4", [item("parent", item("unknown"))])
    assert payload["userErrors"] == [
        {
            "code": "NOT_FOUND",
            "message": "Custom service 'unknown' was not found.",
            "field": "customServices.0.customServiceItems.0.customServiceDefinition",
        }
    ]
    assert (await gql(ORDER, {"id": "order-4"}))["order"] is None
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 0


async def test_an_order_id_is_unique_per_tenant(gql: GraphQLClient) -> None:
    await service(gql, "step")
    assert (await create(gql, "order-5", [item("step")]))["userErrors"] == []
    again = await create(gql, "order-5", [item("step")])
    assert [e["code"] for e in again["userErrors"]] == ["CONFLICT"]
    assert (await gql.as_tenant("globex")(ORDER, {"id": "order-5"}))["order"] is None


ORDER_TREES = """query($id: String!) { order(tenantOrderId: $id) { id status
  serviceJobs { id linkedServiceJobs { id version } serviceJobLink { depth } }
  linkedServiceJobs { id status allServiceJobLinks { depth serviceJob { id status } } } } }"""


async def test_an_orders_trees_answer_identically_in_fixed_statements(
    gql: GraphQLClient,
    settings: Settings,
    engine: AsyncEngine,
    sql: StatementCounter,
    transactions: list[str],
) -> None:
    """Order.linkedServiceJobs, and its jobs' trees and links, read at once by the compiled
    path: the same answer as graphql-core's."""
    await service(gql, "parent")
    await service(gql, "child")
    for order_id in ("order-1", "order-2"):
        made = await create(gql, order_id, [item("parent", item("child")), item("child")])
        assert made["userErrors"] == []
    async with both_paths(settings, engine) as clients:
        before = fast_path.OUTCOMES["compiled"]
        answer = await same(clients, ORDER_TREES, {"id": "order-1"})
        assert "errors" not in answer, answer
        order = answer["data"]["order"]
        assert len(order["linkedServiceJobs"]) == 1
        assert {job["linkedServiceJobs"]["id"] for job in order["serviceJobs"]} == {
            tree["id"] for tree in order["linkedServiceJobs"]
        }
        assert fast_path.OUTCOMES["compiled"] - before == 2
        # The order, its jobs (only the columns asked for, and those an order is made of),
        # then its trees at once (the tree, its links with their jobs); its jobs' trees and
        # links are the order's, read already. No transaction.
        transactions.clear()  # the orders' writes above
        await assert_compiled_read(clients, sql, transactions, ORDER_TREES, {"id": "order-2"}, 4)
