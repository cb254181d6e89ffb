"""The outbox: every job and tree change writes an event in its own transaction, readable
through `events(after:)`; refused and rolled-back changes write none."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQLClient
from tests.support.jobs import action, job, service

EVENTS = """query($after: String, $first: Int, $filter: EventFilterInput) {
  events(after: $after, first: $first, filter: $filter) {
    totalCount
    pageInfo { endCursor hasNextPage }
    nodes { id type entityType entityId facilityRef version payload occurredAt }
  } }"""

LINK = """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
  userErrors { code } } }"""


async def events(gql: GraphQLClient, **variables: Any) -> list[dict[str, Any]]:
    """Every event the caller sees, paging through with `after`."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        data = (await gql(EVENTS, {"after": after, "first": 3, **variables}))["events"]
        found += data["nodes"]
        if not data["pageInfo"]["hasNextPage"]:
            return found
        after = data["pageInfo"]["endCursor"]


def summary(found: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return [(e["type"], e["entityId"], e["version"]) for e in found]


async def test_a_new_job_and_its_actions_are_events_in_commit_order(gql: GraphQLClient) -> None:
    created = await job(gql, await service(gql, "step"))
    tree = created["linkedServiceJobsRef"]
    started = await action(gql, "start", created["id"], 1)
    assert started["userErrors"] == []

    found = await events(gql)
    assert summary(found) == [
        ("SERVICE_JOB_CREATED", created["id"], 1),
        ("LINKED_SERVICE_JOBS_CREATED", tree, 1),
        ("SERVICE_JOB_CHANGED", created["id"], 2),
        ("LINKED_SERVICE_JOBS_CHANGED", tree, 2),
    ]
    ids = [int(e["id"]) for e in found]
    assert ids == sorted(ids)
    assert found[2]["payload"] == {
        "status": "IN_PROGRESS",
        "subStatus": None,
        "statusReason": None,
        "linkedServiceJobsId": tree,
        "tenantOrderId": None,
    }
    assert {e["facilityRef"] for e in found} == {"fac-1"}
    assert all(e["entityType"] in {"SERVICE_JOB", "LINKED_SERVICE_JOBS"} for e in found)

    # `after` the last cursor: only what happened since.
    last = (await gql(EVENTS, {"first": 100}))["events"]["pageInfo"]["endCursor"]
    assert (await gql(EVENTS, {"after": last}))["events"]["nodes"] == []
    finished = await action(gql, "finish", created["id"], 2)
    assert finished["userErrors"] == []
    since = (await gql(EVENTS, {"after": last}))["events"]["nodes"]
    assert [(e["type"], e["version"]) for e in since] == [
        ("SERVICE_JOB_CHANGED", 3),
        ("LINKED_SERVICE_JOBS_CHANGED", 3),
    ]


async def test_refused_changes_write_no_event(gql: GraphQLClient) -> None:
    created = await job(gql, await service(gql, "step"))
    before = await events(gql)
    stale = await action(gql, "start", created["id"], 7)
    assert [e["code"] for e in stale["userErrors"]] == ["VERSION_CONFLICT"]
    wrong = await action(gql, "finish", created["id"], 1)
    assert [e["code"] for e in wrong["userErrors"]] == ["INVALID_TRANSITION"]
    assert await events(gql) == before


async def test_a_cancel_cascade_and_a_merge_are_events_of_every_job_and_tree(
    gql: GraphQLClient,
) -> None:
    step = await service(gql, "step")
    root = await job(gql, step)
    child = await job(gql, step, serviceJobLinkRef=root["serviceJobLink"]["id"])
    lone = await job(gql, step)
    before = len(await events(gql))

    linked = await gql(
        LINK,
        {
            "input": {
                "linkedServiceJobsId": root["linkedServiceJobsRef"],
                "serviceJobId": lone["id"],
                "serviceJobLinkId": root["serviceJobLink"]["id"],
            }
        },
    )
    assert linked["addServiceJobLink"]["userErrors"] == []
    merge = summary((await events(gql))[before:])
    assert ("LINKED_SERVICE_JOBS_MERGED", lone["linkedServiceJobsRef"], 2) in merge
    assert ("SERVICE_JOB_CHANGED", lone["id"], 2) in merge
    assert ("LINKED_SERVICE_JOBS_CHANGED", root["linkedServiceJobsRef"], 3) in merge
    merged = [e for e in await events(gql) if e["type"] == "LINKED_SERVICE_JOBS_MERGED"]
    assert merged[0]["payload"] == {"mergedInto": root["linkedServiceJobsRef"]}

    before = len(await events(gql))
    current = await gql("query($id: ID!) { serviceJob(id: $id) { version } }", {"id": child["id"]})
    cancelled = await action(
        gql, "cancel", child["id"], current["serviceJob"]["version"], reason="customer"
    )
    assert cancelled["userErrors"] == []
    cascade = (await events(gql))[before:]
    changed_jobs = {e["entityId"] for e in cascade if e["type"] == "SERVICE_JOB_CHANGED"}
    assert child["id"] in changed_jobs
    assert [e["type"] for e in cascade].count("LINKED_SERVICE_JOBS_CHANGED") == 1


async def test_events_are_the_tenants_and_the_facilitys_own(gql: GraphQLClient) -> None:
    await job(gql, await service(gql, "step"))
    await job(gql, await service(gql, "other", facility="fac-2"), facilityRef="fac-2")
    assert len(await events(gql)) == 4
    assert await events(gql.as_tenant("tenant-b")) == []
    scoped = await events(gql.as_tenant("acme", facilities=["fac-2"]))
    assert {e["facilityRef"] for e in scoped} == {"fac-2"}
    assert len(scoped) == 2


async def test_events_filter_and_bad_cursor(gql: GraphQLClient) -> None:
    created = await job(gql, await service(gql, "step"))
    only_job = await events(
        gql, filter={"entityType": "SERVICE_JOB", "types": ["SERVICE_JOB_CREATED"]}
    )
    assert summary(only_job) == [("SERVICE_JOB_CREATED", created["id"], 1)]
    by_id = await events(gql, filter={"entityId": created["linkedServiceJobsRef"]})
    assert [e["type"] for e in by_id] == ["LINKED_SERVICE_JOBS_CREATED"]
    errors = await gql.errors(EVENTS, {"after": "bm90LWEtY3Vyc29y"})
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
