"""Linked service job trees through the HTTP API: seed 003's tailoring example, readiness,
cancel cascades (all or nothing), linking jobs, limits, and reading whole trees."""

from __future__ import annotations

from typing import Any

import pytest

from app.repositories.service_jobs import ServiceJobRepository
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient
from tests.support.jobs import (
    action,
    create_job_payload,
    finish,
    get_job,
    job,
    service,
    tailoring_tree,
)

INHERITED = """query($id: ID!) { serviceJob(id: $id) {
  lineItems { article { title } }
  inheritedLineItems { serviceJobRef article { title } quantity } } }"""


async def test_the_tailoring_example_inherits_line_items_as_seed_003_describes(
    gql: GraphQLClient,
) -> None:
    tree = await tailoring_tree(gql)
    t, e, q = tree["tailoring"], tree["embroidery"], tree["quality"]

    tailoring = (await gql(INHERITED, {"id": t["id"]}))["serviceJob"]
    assert tailoring == {
        "lineItems": [{"article": {"title": "White Shirt"}}],
        "inheritedLineItems": [],
    }
    embroidery = (await gql(INHERITED, {"id": e["id"]}))["serviceJob"]
    assert embroidery["lineItems"] == [{"article": {"title": "Thread"}}]
    assert embroidery["inheritedLineItems"] == [
        {"serviceJobRef": t["id"], "article": {"title": "White Shirt"}, "quantity": 1}
    ]
    quality = (await gql(INHERITED, {"id": q["id"]}))["serviceJob"]
    assert quality["lineItems"] == []
    assert [(i["serviceJobRef"], i["article"]["title"]) for i in quality["inheritedLineItems"]] == [
        (e["id"], "Thread"),
        (t["id"], "White Shirt"),
    ]


async def test_a_new_prerequisite_sets_an_open_job_back_to_not_ready(gql: GraphQLClient) -> None:
    tree = await tailoring_tree(gql)
    assert (await get_job(gql, tree["tailoring"]["id"]))["status"] == "OPEN"
    assert (await get_job(gql, tree["embroidery"]["id"]))["status"] == "NOT_READY"
    assert (await get_job(gql, tree["quality"]["id"]))["status"] == "NOT_READY"


async def test_finishing_the_prerequisites_opens_the_parent(gql: GraphQLClient) -> None:
    tree = await tailoring_tree(gql)
    await finish(gql, tree["tailoring"]["id"])
    assert (await get_job(gql, tree["embroidery"]["id"]))["status"] == "OPEN"
    assert (await get_job(gql, tree["quality"]["id"]))["status"] == "NOT_READY"
    await finish(gql, tree["embroidery"]["id"])
    assert (await get_job(gql, tree["quality"]["id"]))["status"] == "OPEN"


async def test_a_parent_waits_for_every_prerequisite(gql: GraphQLClient) -> None:
    service_id = await service(gql, "step")
    parent = await job(gql, service_id)
    link = parent["serviceJobLink"]["id"]
    a = await job(gql, service_id, serviceJobLinkRef=link)
    b = await job(gql, service_id, serviceJobLinkRef=link)
    await finish(gql, a["id"])
    assert (await get_job(gql, parent["id"]))["status"] == "NOT_READY"
    obsolete = await action(gql, "obsolete", b["id"], 1)
    assert obsolete["userErrors"] == []
    assert (await get_job(gql, parent["id"]))["status"] == "OPEN"


async def test_a_prerequisite_cannot_be_added_to_a_job_in_progress(gql: GraphQLClient) -> None:
    service_id = await service(gql, "step")
    parent = await job(gql, service_id)
    await action(gql, "start", parent["id"], 1)
    payload = await create_job_payload(
        gql, service_id, serviceJobLinkRef=parent["serviceJobLink"]["id"]
    )
    assert payload["userErrors"][0]["code"] == "INVALID_TRANSITION"
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 1


async def test_cancelling_a_leaf_cancels_its_dependents_and_nothing_else(
    gql: GraphQLClient,
) -> None:
    tree = await tailoring_tree(gql)
    step = await service(gql, "side-step")
    side = await job(gql, step, serviceJobLinkRef=tree["quality"]["serviceJobLink"]["id"])
    cancelled = await action(gql, "cancel", tree["tailoring"]["id"], 1, reason="shirt damaged")
    assert cancelled["serviceJob"]["statusInformation"] == {
        "status": "CANCELLED",
        "reason": "shirt damaged",
    }
    for name in ("embroidery", "quality"):
        dependent = await get_job(gql, tree[name]["id"])
        assert dependent["statusInformation"] == {"status": "CANCELLED", "reason": "shirt damaged"}
    assert (await get_job(gql, side["id"]))["status"] == "OPEN"


async def test_a_failure_anywhere_in_a_cascade_leaves_nothing_changed(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = await tailoring_tree(gql)
    before = {name: await get_job(gql, j["id"]) for name, j in tree.items()}

    async def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(ServiceJobRepository, "set_status", broken)
    errors = await gql.errors(
        """mutation($id: ID!) { cancelServiceJob(input: {id: $id, version: 1, reason: "x"}) {
             userErrors { code } } }""",
        {"id": tree["tailoring"]["id"]},
    )
    assert errors[0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()
    after = {name: await get_job(gql, j["id"]) for name, j in tree.items()}
    assert after == before


LINK = """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
  linkedServiceJobs { id status includedServiceJobRefs
    allServiceJobLinks { serviceJobRef previousServiceJobLinkRef depth } }
  userErrors { code message field } } }"""


async def test_add_service_job_link_merges_a_lone_job_into_a_tree(gql: GraphQLClient) -> None:
    service_id = await service(gql, "step")
    root = await job(gql, service_id)
    lone = await job(gql, service_id)
    tree_id = root["linkedServiceJobsRef"]
    data = await gql(
        LINK,
        {
            "input": {
                "linkedServiceJobsId": tree_id,
                "serviceJobId": lone["id"],
                "serviceJobLinkId": root["serviceJobLink"]["id"],
            }
        },
    )
    payload = data["addServiceJobLink"]
    assert payload["userErrors"] == []
    assert payload["linkedServiceJobs"]["allServiceJobLinks"] == [
        {"serviceJobRef": root["id"], "previousServiceJobLinkRef": None, "depth": 1},
        {
            "serviceJobRef": lone["id"],
            "previousServiceJobLinkRef": root["serviceJobLink"]["id"],
            "depth": 2,
        },
    ]
    assert (await get_job(gql, root["id"]))["status"] == "NOT_READY"
    gone = await gql(
        "query($id: ID!) { linkedServiceJobs(id: $id) { id } }",
        {"id": lone["linkedServiceJobsRef"]},
    )
    assert gone["linkedServiceJobs"] is None

    # The job is now linked with others: it cannot be linked again, and its own tree is this one.
    other = await job(gql, service_id)
    again = await gql(
        LINK,
        {
            "input": {
                "linkedServiceJobsId": other["linkedServiceJobsRef"],
                "serviceJobId": root["id"],
            }
        },
    )
    assert again["addServiceJobLink"]["userErrors"][0]["code"] == "CONFLICT"
    itself = await gql(
        LINK,
        {
            "input": {
                "linkedServiceJobsId": tree_id,
                "serviceJobId": lone["id"],
                "serviceJobLinkId": root["serviceJobLink"]["id"],
            }
        },
    )
    assert itself["addServiceJobLink"]["userErrors"][0]["code"] == "CONFLICT"


async def test_links_deeper_than_25_are_refused_and_change_nothing(gql: GraphQLClient) -> None:
    service_id = await service(gql, "step")
    parent = await job(gql, service_id)
    for _ in range(24):
        parent = await job(gql, service_id, serviceJobLinkRef=parent["serviceJobLink"]["id"])
    assert parent["serviceJobLink"]["depth"] == 25
    payload = await create_job_payload(
        gql, service_id, serviceJobLinkRef=parent["serviceJobLink"]["id"]
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("LIMIT_EXCEEDED", "serviceJobLinkId")
    ]
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 25
    lone = await job(gql, service_id)
    data = await gql(
        LINK,
        {
            "input": {
                "linkedServiceJobsId": parent["linkedServiceJobsRef"],
                "serviceJobId": lone["id"],
                "serviceJobLinkId": parent["serviceJobLink"]["id"],
            }
        },
    )
    assert data["addServiceJobLink"]["userErrors"][0]["code"] == "LIMIT_EXCEEDED"
    assert (await get_job(gql, lone["id"]))["serviceJobLink"]["depth"] == 1


def nested_query(levels: int) -> str:
    level = (
        "id depth serviceJob { id name status facilityRef targetTime version "
        "lineItems { id article { tenantArticleId title } quantity } }"
    )
    inner = level
    for _ in range(levels - 1):
        inner = f"{level} nextServiceJobLinks {{ {inner} }}"
    return (
        "query($id: ID!) { linkedServiceJobs(id: $id) { id status "
        f"serviceJobLinks {{ {inner} }} }} }}"
    )


FLAT = """query($id: ID!) { linkedServiceJobs(id: $id) { id status includedServiceJobRefs
  allServiceJobLinks { id depth previousServiceJobLinkRef serviceJobRef
    serviceJob { name status inheritedLineItems { serviceJobRef article { title } } } } } }"""


def count_links(links: list[dict[str, Any]]) -> int:
    return sum(1 + count_links(link.get("nextServiceJobLinks", [])) for link in links)


@pytest.mark.parametrize("depth", [3, 25])
async def test_a_whole_tree_costs_three_statements_whatever_its_depth(
    gql: GraphQLClient, sql: StatementCounter, depth: int
) -> None:
    service_id = await service(gql, "step")
    parent = await job(
        gql, service_id, lineItems=[{"article": {"tenantArticleId": "a"}, "quantity": 1}]
    )
    for _ in range(depth - 1):
        parent = await job(
            gql,
            service_id,
            serviceJobLinkRef=parent["serviceJobLink"]["id"],
            lineItems=[{"article": {"tenantArticleId": "a"}, "quantity": 2}],
        )
    sql.reset()
    data = await gql(nested_query(depth), {"id": parent["linkedServiceJobsRef"]})
    assert sql.count == 3, sql.statements
    assert count_links(data["linkedServiceJobs"]["serviceJobLinks"]) == depth
    sql.reset()
    flat = await gql(FLAT, {"id": parent["linkedServiceJobsRef"]})
    assert sql.count == 3, sql.statements
    assert [link["depth"] for link in flat["linkedServiceJobs"]["allServiceJobLinks"]] == list(
        range(1, depth + 1)
    )


async def test_a_facility_scoped_caller_sees_only_its_facilitys_trees(gql: GraphQLClient) -> None:
    tree = await tailoring_tree(gql)
    tree_id = tree["quality"]["linkedServiceJobsRef"]
    inside = gql.as_tenant("acme", facilities=["fac-1"])
    outside = gql.as_tenant("acme", facilities=["fac-2"])
    other_tenant = gql.as_tenant("globex")
    assert (await inside(FLAT, {"id": tree_id}))["linkedServiceJobs"]["id"] == tree_id
    for caller in (outside, other_tenant):
        assert (await caller(FLAT, {"id": tree_id}))["linkedServiceJobs"] is None
        job_read = await caller(INHERITED, {"id": tree["embroidery"]["id"]})
        assert job_read["serviceJob"] is None
        payload = await create_job_payload(
            caller,
            "x",
            facilityRef="fac-2",
            serviceJobLinkRef=tree["quality"]["serviceJobLink"]["id"],
        )
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"


async def test_responses_say_how_many_statements_they_took(gql: GraphQLClient) -> None:
    service_id = await service(gql, "step")
    root = await job(gql, service_id)
    response = await gql.http.post(
        "/graphql",
        json={"query": nested_query(1), "variables": {"id": root["linkedServiceJobsRef"]}},
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    assert response.headers["x-sql-statements"] == "3"


async def test_a_query_that_multiplies_lists_is_refused_before_it_runs(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    query = (
        "{ serviceJobs(first: 100) { nodes { linkedServiceJobs { allServiceJobLinks {"
        " id serviceJob { id lineItems { id } } } } } } }"
    )
    sql.reset()
    errors = await gql.errors(query)
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert errors[0]["extensions"]["cost"] > errors[0]["extensions"]["limit"]
    assert sql.count == 0


async def test_a_remembered_cost_is_per_variables(gql: GraphQLClient) -> None:
    """Costs are remembered per query text and variables: the same text with a larger page
    in its variables is refused after a cheap run of it was allowed."""
    query = (
        "query Pages($n: Int!) { serviceJobs(first: $n) { nodes { linkedServiceJobs {"
        " allServiceJobLinks { id serviceJob { id lineItems { id } } } } } } }"
    )
    for _ in range(2):
        assert "serviceJobs" in await gql(query, {"n": 1})
    errors = await gql.errors(query, {"n": 100})
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "serviceJobs" in await gql(query, {"n": 1})


async def test_a_page_size_given_as_a_default_is_priced(gql: GraphQLClient) -> None:
    query = (
        "query Pages($n: Int = 100) { serviceJobs(first: $n) { nodes { linkedServiceJobs {"
        " allServiceJobLinks { id serviceJob { id lineItems { id } } } } } } }"
    )
    errors = await gql.errors(query)
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "serviceJobs" in await gql(query, {"n": 1})
    assert (await gql.errors(query))[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
