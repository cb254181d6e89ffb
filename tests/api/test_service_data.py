"""Service data through the HTTP API: seed 003's example reproduced, the A/B/C branch rule,
refusals with stable codes, concurrency, and the tree's statement count."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.api.test_trees import nested_query
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, finish, get_job, service

ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { serviceJobs { id status version linkedServiceJobsRef } }
  userErrors { code message field } } }"""
DATA = """query($id: ID!) { serviceData(serviceJobId: $id) { id version
  availableLineItems { id quantity availableQuantity article { tenantArticleId title }
    executedServiceJobData { serviceJobRef sequence appliedQuantity itemsReturnable } } } }"""
SELECT = """mutation($input: ServiceJobItemsInput!) { %s(input: $input) {
  serviceJob { id status subStatus version }
  serviceData { version availableLineItems { id availableQuantity } }
  userErrors { code message field currentVersion } } }"""


def needs(article: str, quantity: int, returnable: bool) -> dict[str, Any]:
    return {
        "itemsRequired": "MANDATORY",
        "itemsReturnable": returnable,
        "articleItems": [{"article": {"tenantArticleId": article}, "quantity": quantity}],
    }


def node(
    ref: str, *children: dict[str, Any], articles: dict[str, int] | None = None
) -> dict[str, Any]:
    return {
        "customServiceDefinition": {"tenantCustomServiceId": ref},
        "articleItems": [
            {"tenantArticleRef": article, "quantity": quantity}
            for article, quantity in (articles or {}).items()
        ],
        "customServiceItems": list(children),
    }


async def order(
    gql: GraphQLClient, items: list[dict[str, Any]], line_items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    data = await gql(
        ORDER,
        {
            "input": {
                "tenantOrderId": "o-1",
                "facilityId": "fac-1",
                "targetTime": TARGET,
                "customServices": items,
                "lineItems": line_items,
            }
        },
    )
    assert data["createOrder"]["userErrors"] == []
    jobs: list[dict[str, Any]] = data["createOrder"]["order"]["serviceJobs"]
    return jobs


async def change(
    gql: GraphQLClient, verb: str, job: str, version: int, item: str, quantity: int
) -> dict[str, Any]:
    name = f"{verb}ItemsForServiceJob"
    data = await gql(
        SELECT % name,
        {
            "input": {
                "serviceJobId": job,
                "serviceJobVersion": version,
                "items": [{"serviceItemRef": item, "quantity": quantity}],
            }
        },
    )
    payload: dict[str, Any] = data[name]
    return payload


async def items_of(gql: GraphQLClient, job_id: str) -> list[dict[str, Any]]:
    data = await gql(DATA, {"id": job_id})
    items: list[dict[str, Any]] = data["serviceData"]["availableLineItems"]
    return items


JOB_ITEMS = """query($id: ID!) { serviceJob(id: $id) { status subStatus version
  lineItems { article { tenantArticleId } quantity }
  inheritedLineItems { serviceJobRef article { tenantArticleId } quantity } } }"""


async def job_items(gql: GraphQLClient, job_id: str) -> dict[str, Any]:
    data = await gql(JOB_ITEMS, {"id": job_id})
    found: dict[str, Any] = data["serviceJob"]
    return found


async def test_seed_003s_service_data_example(gql: GraphQLClient) -> None:
    await service(gql, "abc", **needs("TenantArticleId", 4, returnable=True))
    await service(gql, "def", **needs("TenantArticleId", 4, returnable=False))
    parent, child = await order(
        gql,
        [node("def", node("abc"))],
        [{"article": {"tenantArticleId": "TenantArticleId", "title": "Title"}, "quantity": 4}],
    )
    assert (await get_job(gql, child["id"]))["status"] == "NOT_READY"
    (item,) = await items_of(gql, child["id"])
    assert (item["quantity"], item["availableQuantity"]) == (4, 4)

    selected = await change(gql, "select", child["id"], child["version"], item["id"], 4)
    assert selected["userErrors"] == []
    assert selected["serviceJob"]["status"] == "OPEN"  # its items are there, nothing before it
    assert selected["serviceJob"]["subStatus"] is None
    # Stored in the child's lineItems; passed on to the parent without a select of its own.
    assert (await job_items(gql, child["id"]))["lineItems"] == [
        {"article": {"tenantArticleId": "TenantArticleId"}, "quantity": 4}
    ]
    parent_now = await job_items(gql, parent["id"])
    assert (parent_now["status"], parent_now["subStatus"]) == ("NOT_READY", None)
    assert parent_now["lineItems"] == []
    assert parent_now["inheritedLineItems"] == [
        {
            "serviceJobRef": child["id"],
            "article": {"tenantArticleId": "TenantArticleId"},
            "quantity": 4,
        }
    ]

    data = await gql(DATA, {"id": parent["id"]})
    assert data["serviceData"]["availableLineItems"] == [
        {
            "id": item["id"],
            "quantity": 4,
            "availableQuantity": 0,
            "article": {"tenantArticleId": "TenantArticleId", "title": "Title"},
            "executedServiceJobData": [
                {
                    "serviceJobRef": child["id"],
                    "sequence": 1,
                    "appliedQuantity": 4,
                    "itemsReturnable": True,
                },
                {
                    "serviceJobRef": parent["id"],
                    "sequence": 2,
                    "appliedQuantity": 4,
                    "itemsReturnable": False,
                },
            ],
        }
    ]
    assert data["serviceData"]["version"] == 2

    unselect = await change(gql, "unselect", parent["id"], parent_now["version"], item["id"], 1)
    assert [(e["code"], e["field"]) for e in unselect["userErrors"]] == [
        ("CONFLICT", "items.0.quantity")
    ]

    await finish(gql, child["id"])
    assert (await get_job(gql, parent["id"]))["status"] == "OPEN"


async def test_the_a_b_c_picture_of_seed_003(gql: GraphQLClient) -> None:
    for ref in ("a", "b", "c"):
        await service(gql, ref, itemsRequired="MANDATORY")
    line_items = [{"article": {"tenantArticleId": f"Item_{i}"}, "quantity": 1} for i in range(1, 5)]
    a, b, c = await order(
        gql,
        [node("a", node("b", articles={"Item_1": 1}), node("c", articles={"Item_3": 1}))],
        line_items,
    )
    items = {i["article"]["tenantArticleId"]: i["id"] for i in await items_of(gql, a["id"])}

    ok = await change(gql, "select", b["id"], b["version"], items["Item_1"], 1)
    assert ok["userErrors"] == []
    not_possible = await change(gql, "select", c["id"], c["version"], items["Item_1"], 1)
    assert not_possible["serviceJob"] is None
    (error,) = not_possible["userErrors"]
    assert (error["code"], error["field"]) == ("CONFLICT", "items.0.serviceItemRef")
    assert "parallel branch" in error["message"]
    possible = await change(gql, "select", c["id"], c["version"], items["Item_3"], 1)
    assert possible["userErrors"] == []

    # A needs Item_1 and Item_3 (its children's articles); B and C passed them on.
    after = await job_items(gql, a["id"])
    assert (after["status"], after["subStatus"]) == ("NOT_READY", None)
    assert sorted(
        (i["serviceJobRef"], i["article"]["tenantArticleId"]) for i in after["inheritedLineItems"]
    ) == sorted([(b["id"], "Item_1"), (c["id"], "Item_3")])
    refused = await change(gql, "unselect", a["id"], after["version"], items["Item_1"], 1)
    assert [e["code"] for e in refused["userErrors"]] == ["CONFLICT"]

    await finish(gql, b["id"])
    await finish(gql, c["id"])
    opened = await job_items(gql, a["id"])
    assert (opened["status"], opened["subStatus"]) == ("OPEN", None)
    assert opened["lineItems"] == []
    # Jobs above may still use an item a branch used: nothing left of Item_1, Item_2 is free.
    by_id = {i["id"]: i for i in await items_of(gql, a["id"])}
    assert by_id[items["Item_1"]]["availableQuantity"] == 0
    assert [
        (d["serviceJobRef"], d["sequence"])
        for d in by_id[items["Item_1"]]["executedServiceJobData"]
    ] == [(b["id"], 1), (a["id"], 2)]


async def test_refusals_name_their_reason_and_change_nothing(gql: GraphQLClient) -> None:
    await service(gql, "step", **needs("art", 1, returnable=False))
    (job,) = await order(
        gql, [node("step")], [{"article": {"tenantArticleId": "art"}, "quantity": 2}]
    )
    (item,) = await items_of(gql, job["id"])
    stale = await change(gql, "select", job["id"], job["version"] + 5, item["id"], 1)
    assert [(e["code"], e["currentVersion"]) for e in stale["userErrors"]] == [
        ("VERSION_CONFLICT", job["version"])
    ]
    too_many = await change(gql, "select", job["id"], job["version"], item["id"], 3)
    assert [e["code"] for e in too_many["userErrors"]] == ["LIMIT_EXCEEDED"]
    unknown = await change(gql, "select", job["id"], job["version"], "ghost", 1)
    assert [e["code"] for e in unknown["userErrors"]] == ["NOT_FOUND"]
    not_used = await change(gql, "unselect", job["id"], job["version"], item["id"], 1)
    assert [e["code"] for e in not_used["userErrors"]] == ["VALIDATION_FAILED"]
    data = await gql(DATA, {"id": job["id"]})
    assert data["serviceData"]["version"] == 1
    assert data["serviceData"]["availableLineItems"][0]["executedServiceJobData"] == []

    opened = await change(gql, "select", job["id"], job["version"], item["id"], 1)
    assert opened["serviceJob"]["status"] == "OPEN"
    late = await change(gql, "select", job["id"], job["version"] + 1, item["id"], 1)
    assert [e["code"] for e in late["userErrors"]] == ["INVALID_TRANSITION"]


async def test_two_clients_with_the_same_version_one_wins(gql: GraphQLClient) -> None:
    await service(gql, "step", **needs("art", 2, returnable=False))
    (job,) = await order(
        gql, [node("step")], [{"article": {"tenantArticleId": "art"}, "quantity": 3}]
    )
    (item,) = await items_of(gql, job["id"])
    results = await asyncio.gather(
        *(change(gql, "select", job["id"], job["version"], item["id"], 1) for _ in range(4))
    )
    winners = [r for r in results if not r["userErrors"]]
    losers = [r for r in results if r["userErrors"]]
    assert len(winners) == 1
    assert {e["code"] for r in losers for e in r["userErrors"]} == {"VERSION_CONFLICT"}
    (after,) = await items_of(gql, job["id"])
    assert after["availableQuantity"] == 2
    assert [d["appliedQuantity"] for d in after["executedServiceJobData"]] == [1]


async def test_a_tree_with_its_service_data_costs_five_statements(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    """The tree (3), its service data (1) and the service data's items (1): the same
    service data met at every job is read once, and its usages not at all (not asked)."""
    await service(gql, "step", **needs("art", 1, returnable=False))
    jobs = await order(
        gql,
        [node("step", node("step", node("step")))],
        [{"article": {"tenantArticleId": "art"}, "quantity": 1}],
    )
    query = (
        nested_query(3)
        .replace(
            "serviceJob { id",
            "serviceJob { serviceData { availableLineItems { availableQuantity } } subStatus id",
        )
        .replace(
            "{ id status serviceJobLinks", "{ id status serviceData { id version } serviceJobLinks"
        )
    )
    sql.reset()
    data = await gql(query, {"id": jobs[0]["linkedServiceJobsRef"]})
    assert sql.count == 5, sql.statements
    assert not any("service_data_usage.sequence" in s for s in sql.statements)
    assert data["linkedServiceJobs"]["serviceData"]["version"] == 1


async def test_service_data_follows_jobs_added_and_trees_merged(gql: GraphQLClient) -> None:
    from tests.support.jobs import job, line_item

    step = await service(gql, "step")
    root = await job(gql, step, lineItems=[line_item("shirt", "Shirt")])
    child = await job(
        gql,
        step,
        serviceJobLinkRef=root["serviceJobLink"]["id"],
        lineItems=[line_item("thread", "Thread", 2)],
    )
    lone = await job(gql, step, lineItems=[line_item("button", "Button", 5)])
    articles = [i["article"]["tenantArticleId"] for i in await items_of(gql, child["id"])]
    assert articles == ["shirt", "thread"]

    data = await gql(
        """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
             linkedServiceJobs { serviceData {
               availableLineItems { article { tenantArticleId } } } }
             userErrors { code } } }""",
        {
            "input": {
                "linkedServiceJobsId": root["linkedServiceJobsRef"],
                "serviceJobId": lone["id"],
            }
        },
    )
    merged = data["addServiceJobLink"]["linkedServiceJobs"]["serviceData"]
    assert [i["article"]["tenantArticleId"] for i in merged["availableLineItems"]] == [
        "shirt",
        "thread",
        "button",
    ]
    assert [i["article"]["tenantArticleId"] for i in await items_of(gql, lone["id"])] == [
        "shirt",
        "thread",
        "button",
    ]
