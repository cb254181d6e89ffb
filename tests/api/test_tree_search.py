"""Finding trees: `searchLinkedServiceJobs` with every condition, and/or nesting and its bounds,
orders both ways, pages both ways, scope, statement counts and hostile searches."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient, codes
from tests.support.jobs import action, finish, job, line_item, service

TREES = """query($filter: LinkedServiceJobsSearchInput, $orderBy: LinkedServiceJobsOrderInput,
               $first: Int, $after: String, $last: Int, $before: String) {
  searchLinkedServiceJobs(filter: $filter, orderBy: $orderBy, first: $first, after: $after,
                          last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes { id status tenantOrderId facilityRef allServiceJobLinks { serviceJob { name } } } } }"""


def at(hour: int, day: int = 1) -> str:
    return f"2026-12-{day:02d}T{hour:02d}:00:00+00:00"


async def search(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await gql(TREES, variables))["searchLinkedServiceJobs"]
    return data


async def orders(gql: GraphQLClient, **variables: Any) -> list[str | None]:
    """The trees found, by order id (the labels of `forest`)."""
    return [n["tenantOrderId"] for n in (await search(gql, **variables))["nodes"]]


async def forest(gql: GraphQLClient) -> None:
    """Four trees, by order id:
    T1 (fac-1, 09:00) quality check ← embroidery with thread: OPEN;
    T2 (fac-1, 12:00) tailoring of a white shirt, started: IN_PROGRESS;
    T3 (fac-2, 15:00) repair, finished: FINISHED;
    T4 (fac-1, next day) tailoring, cancelled: CANCELLED."""
    tailoring = await service(gql, "tailoring")
    quality = await service(gql, "quality-check")
    embroidery = await service(gql, "embroidery")
    await service(gql, "repair", facility="fac-2")
    root = await job(gql, quality, tenantOrderId="T1", targetTime=at(9))
    await job(
        gql,
        embroidery,
        tenantOrderId="T1",
        targetTime=at(9),
        serviceJobLinkRef=root["serviceJobLink"]["id"],
        lineItems=[line_item("THREAD-N", "Thread navy")],
    )
    shirt = await job(
        gql,
        tailoring,
        tenantOrderId="T2",
        targetTime=at(12),
        lineItems=[line_item("SHIRT-W", "White Shirt")],
    )
    assert (await action(gql, "start", shirt["id"], 1))["userErrors"] == []
    repair = await job(
        gql,
        None,
        customServiceRef=None,
        tenantCustomServiceId="repair",
        facilityRef="fac-2",
        tenantOrderId="T3",
        targetTime=at(15),
    )
    await finish(gql, repair["id"])
    dropped = await job(gql, tailoring, tenantOrderId="T4", targetTime=at(8, day=2))
    cancelled = await action(gql, "cancel", dropped["id"], 1, reason="customer left")
    assert cancelled["userErrors"] == []


async def test_each_condition_finds_exactly_its_trees(gql: GraphQLClient) -> None:
    await forest(gql)
    found = await search(gql)
    assert [n["status"] for n in found["nodes"]] == ["OPEN", "IN_PROGRESS", "FINISHED", "CANCELLED"]
    assert found["totalCount"] == 4

    async def matching(**condition: Any) -> list[str | None]:
        return await orders(gql, filter=condition)

    assert await matching(status="OPEN") == ["T1"]
    assert await matching(statuses=["IN_PROGRESS", "FINISHED"]) == ["T2", "T3"]
    assert await matching(statuses=["CANCELLED"], status="CANCELLED") == ["T4"]
    assert await matching(statuses=["OPEN"], status="FINISHED") == []
    assert await matching(status="WAITING_FOR_INPUT") == []  # never a tree's status
    assert await matching(status="NOT_READY") == []  # T1's root waits, the tree is OPEN
    assert await matching(facilityRef="fac-2") == ["T3"]
    assert await matching(tenantOrderId="T2") == ["T2"]
    assert await matching(serviceName="QUALITY") == ["T1"]
    assert await matching(serviceName="broider") == ["T1"]
    assert await matching(serviceName="tailor") == ["T2", "T4"]
    assert await matching(articleTitle="thread") == ["T1"]
    assert await matching(articleTitle="shirt-w") == []  # an article id is no title
    assert await matching(searchTerm="shirt-w") == ["T2"]
    assert await matching(searchTerm="t3") == ["T3"]
    assert await matching(searchTerm="repai") == ["T3"]
    assert await matching(targetTimeFrom=at(10), targetTimeTo=at(15)) == ["T2", "T3"]
    assert await matching(targetTimeFrom=at(0, day=2)) == ["T4"]
    newest = (await search(gql, orderBy={"field": "LAST_MODIFIED", "direction": "DESC"}))["nodes"]
    assert newest[0]["tenantOrderId"] == "T4"  # cancelled last
    stamp = await last_modified(gql, newest[0]["id"])
    assert await matching(lastModifiedFrom=stamp) == ["T4"]
    assert "T4" not in await matching(lastModifiedTo=at(0, day=1))


async def last_modified(gql: GraphQLClient, tree_id: str) -> str:
    data = await gql(
        "query($id: ID!) { linkedServiceJobs(id: $id) { lastModified } }", {"id": tree_id}
    )
    stamp: str = data["linkedServiceJobs"]["lastModified"]
    return stamp


async def test_and_or_nest(gql: GraphQLClient) -> None:
    await forest(gql)
    either = {"or": [{"tenantOrderId": "T1"}, {"facilityRef": "fac-2"}]}
    assert await orders(gql, filter=either) == ["T1", "T3"]
    both = {
        "and": [
            {"or": [{"status": "OPEN"}, {"status": "IN_PROGRESS"}]},
            {"searchTerm": "shirt"},
        ]
    }
    assert await orders(gql, filter=both) == ["T2"]
    own_and_or = {"facilityRef": "fac-1", "or": [{"serviceName": "tailor"}, {"articleTitle": "x"}]}
    assert await orders(gql, filter=own_and_or) == ["T2", "T4"]
    deepest = {"and": [{"or": [{"and": [{"serviceName": "repair"}]}]}]}  # four levels
    assert await orders(gql, filter=deepest) == ["T3"]
    assert await orders(gql, filter={"or": []}) == ["T1", "T2", "T3", "T4"]  # no alternative given
    assert await orders(gql, filter={"and": [{"status": "OPEN"}, {"status": "FINISHED"}]}) == []


@pytest.mark.parametrize(
    ("field", "expected"),
    [("TARGET_TIME", ["T1", "T2", "T3", "T4"]), ("LAST_MODIFIED", ["T1", "T2", "T3", "T4"])],
)
async def test_orders_run_both_ways(gql: GraphQLClient, field: str, expected: list[str]) -> None:
    await forest(gql)
    assert await orders(gql, orderBy={"field": field, "direction": "ASC"}) == expected
    assert await orders(gql, orderBy={"field": field, "direction": "DESC"}) == expected[::-1]


async def test_pages_both_ways_cover_every_tree_once_while_trees_are_made(
    gql: GraphQLClient,
) -> None:
    tailoring = await service(gql, "tailoring")
    for index, hour in enumerate((5, 3, 3, 9, 1, 7, 3)):
        await job(gql, tailoring, tenantOrderId=f"o{index}", targetTime=at(hour))
    whole = await orders(gql, first=100)
    forwards: list[str | None] = []
    after = None
    while True:
        page = await search(gql, first=2, after=after)
        forwards += [n["tenantOrderId"] for n in page["nodes"]]
        await job(gql, tailoring, tenantOrderId="early", targetTime=at(0))  # before the cursor
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forwards == whole
    backwards: list[str | None] = []
    before = None
    while True:
        page = await search(gql, last=3, before=before, orderBy={"field": "TARGET_TIME"})
        backwards = [n["tenantOrderId"] for n in page["nodes"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backwards == ["early"] * 4 + whole
    assert (await search(gql, first=1))["totalCount"] == 11


async def test_scope_tenant_and_facility_totals_included(gql: GraphQLClient) -> None:
    await forest(gql)
    scoped = gql.as_tenant("acme", facilities=["fac-2"])
    mine = await search(scoped)
    assert [n["tenantOrderId"] for n in mine["nodes"]] == ["T3"] and mine["totalCount"] == 1
    hidden = await search(scoped, filter={"or": [{"tenantOrderId": "T1"}, {"searchTerm": "t"}]})
    assert [n["tenantOrderId"] for n in hidden["nodes"]] == ["T3"] and hidden["totalCount"] == 1
    stranger = gql.as_tenant("globex")
    for condition in ({}, {"searchTerm": "t"}, {"facilityRef": "fac-1"}, {"status": "OPEN"}):
        found = await search(stranger, filter=condition, last=5)
        assert found["totalCount"] == 0 and found["nodes"] == []


@pytest.mark.parametrize(
    ("job_fields", "per_tree"),
    [("name", 2), ("name lineItems { article { title } }", 3)],
)
async def test_statements_per_page_are_fixed(
    gql: GraphQLClient, sql: StatementCounter, job_fields: str, per_tree: int
) -> None:
    await forest(gql)
    query = TREES.replace("serviceJob { name }", f"serviceJob {{ {job_fields} }}")
    counts = []
    for size in (1, 4):
        sql.reset()
        variables = {"first": size, "filter": {"or": [{"searchTerm": "t"}, {"status": "OPEN"}]}}
        page = (await gql(query, variables))["searchLinkedServiceJobs"]
        assert len(page["nodes"]) == size and page["totalCount"] == 4
        counts.append(sql.count)
    # One statement for the page, one for totalCount, and the page's trees read at once (the
    # trees, their links and jobs, their line items when they are asked for), whatever the
    # number of trees and their size.
    assert counts == [2 + per_tree, 2 + per_tree]


def nested(levels: int) -> dict[str, Any]:
    condition: dict[str, Any] = {"serviceName": "x"}
    for _ in range(levels - 1):
        condition = {"or": [condition]}
    return condition


@pytest.mark.parametrize(
    "condition",
    [
        pytest.param(nested(5), id="five-levels"),
        pytest.param(nested(50), id="fifty-levels"),
        pytest.param({"or": [{"serviceName": "x"}] * 32}, id="thirty-three-conditions"),
        pytest.param({"and": [{"or": [{"status": "OPEN"}] * 20}] * 20}, id="four-hundred"),
        pytest.param({"or": [{}] * 5000}, id="five-thousand-wide"),
        pytest.param({"serviceName": "  "}, id="blank-name"),
        pytest.param({"or": [{"articleTitle": ""}]}, id="blank-nested-title"),
        pytest.param({"statuses": ["OPEN"] * 21}, id="too-many-statuses"),
        pytest.param({"searchTerm": "x" * 501}, id="term-too-long"),
    ],
)
async def test_hostile_searches_are_bad_requests(
    gql: GraphQLClient, condition: dict[str, Any]
) -> None:
    assert codes(await gql.errors(TREES, {"filter": condition})) == ["BAD_REQUEST"]


async def test_a_hostile_search_in_the_document_itself_is_refused(gql: GraphQLClient) -> None:
    literal = '{serviceName: "x"}'
    for _ in range(40):
        literal = f"{{or: [{literal}]}}"
    query = f"{{ searchLinkedServiceJobs(filter: {literal}) {{ totalCount }} }}"
    assert codes(await gql.errors(query)) == ["BAD_REQUEST"]


async def test_like_wildcards_and_bad_cursors(gql: GraphQLClient) -> None:
    await forest(gql)
    assert await orders(gql, filter={"articleTitle": "%"}) == []
    assert await orders(gql, filter={"serviceName": "_"}) == []
    job_cursor = (await gql("{ serviceJobs(first: 1) { pageInfo { endCursor } } }"))["serviceJobs"][
        "pageInfo"
    ]["endCursor"]
    for bad in ("garbage", job_cursor):
        assert codes(await gql.errors(TREES, {"after": bad})) == ["BAD_REQUEST"]
    assert codes(await gql.errors(TREES, {"first": 2, "last": 2})) == ["BAD_REQUEST"]
