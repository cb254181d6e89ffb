"""Items flowing through a tree (seed 003, DOMAIN §6) through the HTTP API: a three-level
pass-on chain, sequences in execution order, jobs created with their items, the
REQUIRED_LINE_ITEMS_UNFULFILLABLE sub-status, correcting the service data, and orders that do
not carry what their jobs need."""

from __future__ import annotations

from typing import Any

from tests.api.test_service_data import (
    DATA,
    ORDER,
    change,
    items_of,
    job_items,
    needs,
    node,
    order,
)
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, create_job_payload, finish, job, line_item, service

ITEMS_FIELDS = """serviceData { id version availableLineItems { id quantity availableQuantity
    article { tenantArticleId }
    executedServiceJobData { serviceJobRef sequence appliedQuantity } } }
  userErrors { code message field currentVersion }"""
ADD = f"""mutation($input: AddServiceDataAvailableLineItemsInput!) {{
  addServiceDataAvailableLineItems(input: $input) {{ {ITEMS_FIELDS} }} }}"""
REMOVE = f"""mutation($input: RemoveServiceDataAvailableLineItemsInput!) {{
  removeServiceDataAvailableLineItems(input: $input) {{ {ITEMS_FIELDS} }} }}"""
UPDATE = f"""mutation($input: UpdateServiceDataAvailableLineItemsInput!) {{
  updateServiceDataAvailableLineItems(input: $input) {{ {ITEMS_FIELDS} }} }}"""
SUB = """query($id: ID!) { serviceJob(id: $id) { status subStatus version
  requiredLineItems { article { tenantArticleId } quantity } } }"""


async def sub(gql: GraphQLClient, job_id: str) -> tuple[str, str | None]:
    found = (await gql(SUB, {"id": job_id}))["serviceJob"]
    return found["status"], found["subStatus"]


def usages(item: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [
        (d["serviceJobRef"], d["sequence"], d["appliedQuantity"])
        for d in item["executedServiceJobData"]
    ]


async def test_a_three_level_chain_passes_items_on_to_the_top(gql: GraphQLClient) -> None:
    await service(gql, "step", itemsRequired="MANDATORY")
    top, middle, bottom = await order(
        gql,
        [node("step", node("step", node("step", articles={"X": 2})))],
        [{"article": {"tenantArticleId": "X"}, "quantity": 3}],
    )
    (item,) = await items_of(gql, top["id"])

    selected = await change(gql, "select", bottom["id"], bottom["version"], item["id"], 2)
    assert selected["serviceJob"]["status"] == "OPEN"
    # Middle and top need 2 of X too: passed on, no select of their own.
    assert await sub(gql, middle["id"]) == ("NOT_READY", None)
    assert await sub(gql, top["id"]) == ("NOT_READY", None)
    top_items = await job_items(gql, top["id"])
    assert [i["serviceJobRef"] for i in top_items["inheritedLineItems"]] == [bottom["id"]]
    (item,) = await items_of(gql, top["id"])
    assert item["availableQuantity"] == 1
    assert usages(item) == [(bottom["id"], 1, 2), (middle["id"], 2, 2), (top["id"], 3, 2)]

    # The middle adds one unit; it flows on to the top, and nothing is left for the top.
    middle_now = await job_items(gql, middle["id"])
    more = await change(gql, "select", middle["id"], middle_now["version"], item["id"], 1)
    assert more["userErrors"] == []
    assert (await job_items(gql, middle["id"]))["lineItems"] == [
        {"article": {"tenantArticleId": "X"}, "quantity": 1}
    ]
    (item,) = await items_of(gql, top["id"])
    assert item["availableQuantity"] == 0
    assert usages(item) == [(bottom["id"], 1, 2), (middle["id"], 2, 3), (top["id"], 3, 3)]
    top_now = await job_items(gql, top["id"])
    none_left = await change(gql, "select", top["id"], top_now["version"], item["id"], 1)
    assert [(e["code"], e["field"]) for e in none_left["userErrors"]] == [
        ("LIMIT_EXCEEDED", "items.0.quantity")
    ]
    middle_now = await job_items(gql, middle["id"])
    passed_on = await change(gql, "unselect", middle["id"], middle_now["version"], item["id"], 2)
    assert [e["code"] for e in passed_on["userErrors"]] == ["CONFLICT"]
    back = await change(gql, "unselect", middle["id"], middle_now["version"], item["id"], 1)
    assert back["userErrors"] == []
    assert (await job_items(gql, middle["id"]))["lineItems"] == []

    await finish(gql, bottom["id"])
    assert await sub(gql, middle["id"]) == ("OPEN", None)
    await finish(gql, middle["id"])
    assert await sub(gql, top["id"]) == ("OPEN", None)


async def test_sequence_follows_execution_whatever_order_jobs_selected_in(
    gql: GraphQLClient,
) -> None:
    await service(gql, "step", itemsRequired="MANDATORY")
    parent, child = await order(
        gql,
        [node("step", node("step", articles={"Y": 1}))],
        [{"article": {"tenantArticleId": "Y"}, "quantity": 2}],
    )
    (item,) = await items_of(gql, parent["id"])
    first = await change(gql, "select", parent["id"], parent["version"], item["id"], 1)
    assert first["userErrors"] == []
    (item,) = await items_of(gql, parent["id"])
    assert usages(item) == [(parent["id"], 1, 1)]
    then = await change(gql, "select", child["id"], child["version"], item["id"], 1)
    assert then["userErrors"] == []
    (item,) = await items_of(gql, parent["id"])
    assert usages(item) == [(child["id"], 1, 1), (parent["id"], 2, 2)]


async def test_jobs_created_with_their_items_need_no_select(gql: GraphQLClient) -> None:
    shirt = await service(
        gql,
        "tailoring",
        itemsRequired="MANDATORY",
        articleItems=[{"article": {"tenantArticleId": "shirt"}, "quantity": 1}],
    )
    covered = await job(gql, shirt, lineItems=[line_item("shirt", "Shirt")])
    assert await sub(gql, covered["id"]) == ("OPEN", None)

    # requiredLineItems given on creation replace the service's articleItems.
    own = await job(
        gql,
        shirt,
        requiredLineItems=[{"article": {"tenantArticleId": "button"}, "quantity": 2}],
        lineItems=[line_item("button", "Button", 2)],
    )
    assert await sub(gql, own["id"]) == ("OPEN", None)
    assert (await gql(SUB, {"id": own["id"]}))["serviceJob"]["requiredLineItems"] == [
        {"article": {"tenantArticleId": "button"}, "quantity": 2}
    ]

    # A job beneath, created with the shirt, passes it on to the job above.
    above = await job(gql, shirt)
    assert await sub(gql, above["id"]) == ("NOT_READY", "REQUIRED_LINE_ITEMS_UNFULFILLABLE")
    beneath = await job(
        gql,
        shirt,
        serviceJobLinkRef=above["serviceJobLink"]["id"],
        lineItems=[line_item("shirt", "Shirt")],
    )
    assert beneath["status"] == "OPEN" and beneath["version"] == 1
    assert await sub(gql, above["id"]) == ("NOT_READY", None)
    await finish(gql, beneath["id"])
    assert await sub(gql, above["id"]) == ("OPEN", None)


async def test_mandatory_jobs_without_required_items_are_refused(gql: GraphQLClient) -> None:
    vague = await service(gql, "vague", itemsRequired="MANDATORY")
    refused = await create_job_payload(gql, vague)
    assert refused["serviceJob"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("VALIDATION_FAILED", "requiredLineItems")
    ]
    data = await gql(
        ORDER,
        {
            "input": {
                "tenantOrderId": "o-vague",
                "facilityId": "fac-1",
                "targetTime": TARGET,
                "customServices": [node("vague")],
            }
        },
    )
    assert [(e["code"], e["field"]) for e in data["createOrder"]["userErrors"]] == [
        ("VALIDATION_FAILED", "customServices.0.customServiceDefinition")
    ]


async def test_orders_must_carry_what_their_mandatory_jobs_need(gql: GraphQLClient) -> None:
    await service(gql, "step", **needs("thread", 2, returnable=False))
    await service(gql, "free")
    data = await gql(
        ORDER,
        {
            "input": {
                "tenantOrderId": "o-short",
                "facilityId": "fac-1",
                "targetTime": TARGET,
                "customServices": [node("free", node("step"))],
                "lineItems": [{"article": {"tenantArticleId": "thread"}, "quantity": 1}],
            }
        },
    )
    assert data["createOrder"]["order"] is None
    (error,) = data["createOrder"]["userErrors"]
    assert (error["code"], error["field"]) == (
        "VALIDATION_FAILED",
        "customServices.0.customServiceItems.0",
    )
    assert "thread" in error["message"]
    # Nothing was written: the same order id is free.
    ok = await order(
        gql,
        [node("free", node("step"))],
        [{"article": {"tenantArticleId": "thread"}, "quantity": 2}],
    )
    assert len(ok) == 2


async def test_correcting_the_service_data(gql: GraphQLClient) -> None:
    needy = await service(
        gql,
        "needy",
        itemsRequired="MANDATORY",
        articleItems=[{"article": {"tenantArticleId": "glue"}, "quantity": 2}],
    )
    lone = await job(gql, needy, lineItems=[line_item("cloth", "Cloth", 3)])
    assert await sub(gql, lone["id"]) == ("NOT_READY", "REQUIRED_LINE_ITEMS_UNFULFILLABLE")
    data = (await gql(DATA, {"id": lone["id"]}))["serviceData"]
    (cloth,) = data["availableLineItems"]

    stale = (
        await gql(
            ADD,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": data["version"] + 1,
                    "items": [{"article": {"tenantArticleId": "glue"}, "quantity": 1}],
                }
            },
        )
    )["addServiceDataAvailableLineItems"]
    assert stale["serviceData"] is None
    assert [(e["code"], e["field"], e["currentVersion"]) for e in stale["userErrors"]] == [
        ("VERSION_CONFLICT", "version", data["version"])
    ]

    added = (
        await gql(
            ADD,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": data["version"],
                    "items": [
                        {"article": {"tenantArticleId": "glue", "title": "Glue"}, "quantity": 1}
                    ],
                }
            },
        )
    )["addServiceDataAvailableLineItems"]
    assert added["userErrors"] == []
    after_add = added["serviceData"]
    assert after_add["version"] == data["version"] + 1
    glue = after_add["availableLineItems"][1]
    assert (glue["article"]["tenantArticleId"], glue["availableQuantity"]) == ("glue", 1)
    assert await sub(gql, lone["id"]) == ("NOT_READY", "REQUIRED_LINE_ITEMS_UNFULFILLABLE")

    # One good and one bad entry: refused as a whole, nothing written.
    mixed = (
        await gql(
            UPDATE,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": after_add["version"],
                    "items": [
                        {"serviceItemRef": glue["id"], "quantity": 2},
                        {"serviceItemRef": cloth["id"], "quantity": 2},
                    ],
                }
            },
        )
    )["updateServiceDataAvailableLineItems"]
    assert [(e["code"], e["field"]) for e in mixed["userErrors"]] == [
        ("CONFLICT", "items.1.quantity")  # the job holds 3 units of cloth: its own line item
    ]
    assert (await gql(DATA, {"id": lone["id"]}))["serviceData"]["version"] == after_add["version"]

    updated = (
        await gql(
            UPDATE,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": after_add["version"],
                    "items": [{"serviceItemRef": glue["id"], "quantity": 2}],
                }
            },
        )
    )["updateServiceDataAvailableLineItems"]
    assert updated["userErrors"] == []
    assert await sub(gql, lone["id"]) == ("NOT_READY", "LINE_ITEMS_MISSING")
    version = updated["serviceData"]["version"]

    held = (
        await gql(
            REMOVE,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": version,
                    "serviceItemRefs": [cloth["id"]],
                }
            },
        )
    )["removeServiceDataAvailableLineItems"]
    assert [(e["code"], e["field"]) for e in held["userErrors"]] == [
        ("CONFLICT", "serviceItemRefs.0")
    ]
    unknown = (
        await gql(
            REMOVE,
            {"input": {"serviceDataId": "ghost", "version": 1, "serviceItemRefs": [glue["id"]]}},
        )
    )["removeServiceDataAvailableLineItems"]
    assert [(e["code"], e["field"]) for e in unknown["userErrors"]] == [
        ("NOT_FOUND", "serviceDataId")
    ]
    removed = (
        await gql(
            REMOVE,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": version,
                    "serviceItemRefs": [glue["id"]],
                }
            },
        )
    )["removeServiceDataAvailableLineItems"]
    assert removed["userErrors"] == []
    assert [i["id"] for i in removed["serviceData"]["availableLineItems"]] == [cloth["id"]]
    assert await sub(gql, lone["id"]) == ("NOT_READY", "REQUIRED_LINE_ITEMS_UNFULFILLABLE")

    # Given back, the glue is selected and the job opens.
    again = (
        await gql(
            ADD,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": version + 1,
                    "items": [{"article": {"tenantArticleId": "glue"}, "quantity": 2}],
                }
            },
        )
    )["addServiceDataAvailableLineItems"]
    new_glue = again["serviceData"]["availableLineItems"][1]
    current = await job_items(gql, lone["id"])
    opened = await change(gql, "select", lone["id"], current["version"], new_glue["id"], 2)
    assert (opened["serviceJob"]["status"], opened["serviceJob"]["subStatus"]) == ("OPEN", None)
    below = (
        await gql(
            UPDATE,
            {
                "input": {
                    "serviceDataId": data["id"],
                    "version": opened["serviceData"]["version"],
                    "items": [{"serviceItemRef": new_glue["id"], "quantity": 1}],
                }
            },
        )
    )["updateServiceDataAvailableLineItems"]
    assert [(e["code"], e["field"]) for e in below["userErrors"]] == [
        ("CONFLICT", "items.0.quantity")
    ]


async def test_a_parallel_branch_taking_the_last_unit_makes_a_job_unfulfillable(
    gql: GraphQLClient,
) -> None:
    await service(gql, "step", itemsRequired="MANDATORY")
    await service(gql, "free")
    _, b, c = await order(
        gql,
        [node("free", node("step", articles={"one": 1}), node("step", articles={"one": 1}))],
        [{"article": {"tenantArticleId": "one"}, "quantity": 1}],
    )
    assert await sub(gql, c["id"]) == ("NOT_READY", "LINE_ITEMS_MISSING")
    (item,) = await items_of(gql, b["id"])
    taken = await change(gql, "select", b["id"], b["version"], item["id"], 1)
    assert taken["userErrors"] == []
    assert await sub(gql, c["id"]) == ("NOT_READY", "REQUIRED_LINE_ITEMS_UNFULFILLABLE")
    b_now = await job_items(gql, b["id"])
    assert b_now["status"] == "OPEN"
