"""Finding service jobs: every filter of `serviceJobs`, orders both ways, pages forwards and
backwards without gaps or duplicates (also while jobs are written between pages), scope,
statement counts, hostile inputs, and users assigned by id or username."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.settings import Settings
from tests.api.test_fast_path import same
from tests.conftest import StatementCounter
from tests.support.closeout import ADD_APPOINTMENT
from tests.support.graphql import GraphQLClient, codes
from tests.support.jobs import action, job, line_item, service
from tests.support.read_path import both_paths

JOBS = """query($filter: ServiceJobFilterInput, $orderBy: ServiceJobOrderInput,
               $first: Int, $after: String, $last: Int, $before: String) {
  serviceJobs(filter: $filter, orderBy: $orderBy, first: $first, after: $after,
              last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id shortId targetTime } } } }"""
ASSIGN = """mutation($input: ReplaceServiceJobAssignedUsersInput!) {
  replaceServiceJobAssignedUsers(input: $input) {
    serviceJob { version assignedUsers { userId username } }
    userErrors { code field message } } }"""
MARKETPLACE_DE = "A1PA6795UKMFR9"


def at(hour: int, day: int = 1) -> str:
    return f"2026-12-{day:02d}T{hour:02d}:00:00+00:00"


async def jobs(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data: dict[str, Any] = (await gql(JOBS, variables))["serviceJobs"]
    return data


async def short_ids(gql: GraphQLClient, **variables: Any) -> list[str]:
    return [e["node"]["shortId"] for e in (await jobs(gql, **variables))["edges"]]


async def assign(gql: GraphQLClient, job_id: str, version: int, **users: Any) -> dict[str, Any]:
    data = await gql(ASSIGN, {"input": {"id": job_id, "version": version, **users}})
    payload: dict[str, Any] = data["replaceServiceJobAssignedUsers"]
    return payload


async def world(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    """Five jobs that differ in every searchable way (short ids a … e)."""
    tailoring = await service(gql, "tailoring")
    await service(gql, "repair", facility="fac-2", nameLocalized={"de_DE": "Änderung Naht"})
    return {
        "a": await job(
            gql,
            tailoring,
            shortId="a",
            tenantOrderId="ORDER-100",
            targetTime=at(12),
            lineItems=[
                {**line_item("SHIRT-W", "White Shirt"), "scannableCodes": ["4006381333931"]}
            ],
        ),
        "b": await job(gql, tailoring, shortId="b", tenantOrderId="ORDER-200", targetTime=at(9)),
        "c": await job(
            gql,
            None,
            customServiceRef=None,
            tenantCustomServiceId="repair",
            facilityRef="fac-2",
            shortId="c",
            targetTime=at(15),
            marketplaceId=MARKETPLACE_DE,
        ),
        "d": await job(gql, tailoring, shortId="d", targetTime=at(10, day=3)),
        "e": await job(
            gql,
            tailoring,
            shortId="e",
            targetTime=at(11),
            lineItems=[line_item("TROUSERS-9", "Grey Trousers")],
        ),
    }


async def appointment_on_the_5th(gql: GraphQLClient, job_id: str) -> None:
    """An hour's appointment for the job on 2026-12-05 at 09:00 UTC."""
    await gql(
        ADD_APPOINTMENT,
        {
            "input": {
                "serviceJobId": job_id,
                "appointmentTime": {"startTime": "2026-12-05T09:00:00Z", "durationInMinutes": 60},
                "assignedTechnicians": [{"technicianId": "tech-1"}],
            }
        },
    )


async def test_each_filter_finds_exactly_its_jobs(gql: GraphQLClient) -> None:
    made = await world(gql)
    a, b, c, e = made["a"], made["b"], made["c"], made["e"]
    started = await action(gql, "start", b["id"], b["version"])
    assert started["userErrors"] == []
    assert (await assign(gql, a["id"], a["version"], users=[{"userId": "u-7"}]))["userErrors"] == []
    assert (await assign(gql, e["id"], e["version"], users=[{"username": "ann.smith"}]))[
        "userErrors"
    ] == []
    await appointment_on_the_5th(gql, c["id"])
    created = (await jobs(gql, orderBy={"field": "CREATED"}))["edges"]
    stamps = {
        edge["node"]["shortId"]: (await created_and_modified(gql, edge["node"]["id"]))
        for edge in created
    }

    async def found(**flt: Any) -> list[str]:
        return sorted(await short_ids(gql, filter=flt))

    assert await found() == ["a", "b", "c", "d", "e"]
    assert await found(status="IN_PROGRESS") == ["b"]
    assert await found(statuses=["IN_PROGRESS", "NOT_READY"]) == ["b"]
    assert await found(statuses=["OPEN"], status="OPEN") == ["a", "c", "d", "e"]
    assert await found(statuses=["OPEN"], status="IN_PROGRESS") == []
    assert await found(facilityRef="fac-2") == ["c"]
    assert await found(tenantOrderId="ORDER-200") == ["b"]
    assert await found(customServiceRef=a["id"]) == []  # a job id is no service id
    assert await found(targetTimeFrom=at(10), targetTimeTo=at(12)) == ["a", "e"]
    assert await found(targetTimeFrom=at(0, day=2)) == ["d"]
    assert await found(assignedUser="u-7") == ["a"]
    assert await found(assignedUser="ann.smith") == ["e"]
    assert await found(assignedUser="nobody") == []
    assert await found(marketplaceIds=[MARKETPLACE_DE, "A1F83G8C2ARO7P"]) == ["c"]
    assert await found(marketplaceIds=[]) == []
    assert await found(appointmentFrom="2026-12-05T00:00:00Z") == ["c"]
    assert await found(appointmentTo="2026-12-04T00:00:00Z") == []
    assert await found(appointmentFrom="2026-12-05T09:00:00Z", appointmentTo=at(9, 5)) == ["c"]
    created_c, modified_b = stamps["c"][0], stamps["b"][1]
    assert await found(createdFrom=created_c) == ["c", "d", "e"]
    assert await found(createdTo=created_c) == ["a", "b", "c"]
    assert await found(createdFrom=created_c, createdTo=created_c) == ["c"]
    assert "b" in await found(lastModifiedFrom=modified_b)
    assert "b" not in await found(lastModifiedTo=stamps["a"][0])
    # searchTerm: order id, short id, names in any locale, article ids, titles, codes
    assert await found(searchTerm="order-1") == ["a"]
    assert await found(searchTerm="ORDER") == ["a", "b"]
    assert await found(searchTerm="d") == ["a", "b", "c", "d"]  # oR"D"er, Än"d"erung, "d"
    assert await found(searchTerm="NAHT") == ["c"]
    assert await found(searchTerm="tailor") == ["a", "b", "d", "e"]
    assert await found(searchTerm="shirt-w") == ["a"]
    assert await found(searchTerm="grey trou") == ["e"]
    assert await found(searchTerm="333931") == ["a"]
    assert await found(searchTerm="en_US") == []  # a locale is a key, not a name
    assert await found(searchTerm="title") == []  # nor is a JSON key of the article


async def test_every_filter_order_and_window_answers_the_same_both_ways(
    gql: GraphQLClient, settings: Settings, engine: AsyncEngine
) -> None:
    """The compiled path reads a page with a statement built once per shape, its values as
    parameters; graphql-core's path with one built per request, its values in it. Every
    filter field, alone and combined, each order and direction, and pages after and before a
    cursor answer byte for byte the same both ways, for a whole tenant and a scoped caller."""
    made = await world(gql)
    a, c = made["a"], made["c"]
    assert (await assign(gql, a["id"], a["version"], users=[{"userId": "u-7"}]))["userErrors"] == []
    await appointment_on_the_5th(gql, c["id"])
    created_c, modified_c = await created_and_modified(gql, c["id"])
    service_of_a = (
        await gql("query($id: ID!) { serviceJob(id: $id) { customServiceRef } }", {"id": a["id"]})
    )["serviceJob"]["customServiceRef"]
    filters: list[dict[str, Any]] = [
        {},
        {"status": "OPEN"},
        {"statuses": ["OPEN", "IN_PROGRESS"]},
        {"statuses": []},
        {"facilityRef": "fac-2"},
        {"tenantOrderId": "ORDER-200"},
        {"customServiceRef": service_of_a},
        {"targetTimeFrom": at(10), "targetTimeTo": at(12)},
        {"targetTimeTo": at(10, day=2)},
        {"assignedUser": "u-7"},
        {"searchTerm": "shirt"},
        {"searchTerm": "naht", "facilityRef": "fac-2"},
        {"marketplaceIds": [MARKETPLACE_DE]},
        {"createdFrom": created_c},
        {"createdTo": created_c, "lastModifiedTo": modified_c},
        {"lastModifiedFrom": modified_c},
        {"appointmentFrom": "2026-12-05T00:00:00Z", "appointmentTo": "2026-12-06T00:00:00Z"},
        {"appointmentTo": "2026-12-04T00:00:00Z"},
        {"statuses": ["OPEN"], "searchTerm": "order", "targetTimeFrom": at(0)},
    ]
    orders = [
        {"field": field, "direction": d}
        for field in ("CREATED", "TARGET_TIME")
        for d in ("ASC", "DESC")
    ]
    for facilities in (None, ["fac-1"]):
        async with both_paths(settings, engine, facilities=facilities) as clients:
            found = []
            for flt in filters:
                answer = await same(clients, JOBS, {"filter": flt, "first": 10})
                assert "errors" not in answer, (flt, answer)
                found.append(answer["data"]["serviceJobs"]["totalCount"])
            # Most filters find some of the jobs and leave others.
            assert sum(0 < count < found[0] for count in found) >= (8 if facilities else 12)
            for order in orders:
                whole = await same(clients, JOBS, {"orderBy": order, "first": 10})
                cursors = [edge["cursor"] for edge in whole["data"]["serviceJobs"]["edges"]]
                assert cursors
                middle = cursors[len(cursors) // 2]
                for window in (
                    {"first": 2, "after": middle},
                    {"last": 2, "before": middle},
                    {"last": 1},
                    {"first": 5, "after": cursors[0], "before": cursors[-1]},
                ):
                    answer = await same(clients, JOBS, {"orderBy": order, **window})
                    assert answer["data"]["serviceJobs"]["edges"], (order, window)


async def created_and_modified(gql: GraphQLClient, job_id: str) -> tuple[str, str]:
    data = await gql(
        "query($id: ID!) { serviceJob(id: $id) { created lastModified } }", {"id": job_id}
    )
    return data["serviceJob"]["created"], data["serviceJob"]["lastModified"]


async def test_filters_combine_open_jobs_of_a_facility_for_a_user_soonest_first(
    gql: GraphQLClient,
) -> None:
    made = await world(gql)
    for key in ("a", "d", "e"):
        payload = await assign(
            gql, made[key]["id"], made[key]["version"], users=[{"userId": "u-1", "username": "y"}]
        )
        assert payload["userErrors"] == []
    started = await action(gql, "start", made["e"]["id"], 2)
    assert started["userErrors"] == []
    soonest_first = {"field": "TARGET_TIME", "direction": "ASC"}
    for user in ("y", "u-1"):
        flt = {"statuses": ["OPEN"], "facilityRef": "fac-1", "assignedUser": user}
        assert await short_ids(gql, filter=flt, orderBy=soonest_first) == ["a", "d"]
        assert (await jobs(gql, filter=flt, orderBy=soonest_first))["totalCount"] == 2


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("TARGET_TIME", ["b", "e", "a", "c", "d"]),
        ("CREATED", ["a", "b", "c", "d", "e"]),
        ("LAST_MODIFIED", ["a", "c", "d", "e", "b"]),
    ],
)
async def test_each_order_runs_both_ways(
    gql: GraphQLClient, field: str, expected: list[str]
) -> None:
    made = await world(gql)
    touched = await action(gql, "start", made["b"]["id"], 1)  # b changes last
    assert touched["userErrors"] == []
    ascending = await short_ids(gql, orderBy={"field": field, "direction": "ASC"})
    descending = await short_ids(gql, orderBy={"field": field, "direction": "DESC"})
    assert ascending == expected
    assert descending == list(reversed(expected))
    assert await short_ids(gql, orderBy={"field": field}) == expected  # ASC by default


async def test_ties_are_broken_by_id_in_either_direction(gql: GraphQLClient) -> None:
    tailoring = await service(gql, "tailoring")
    ids = [(await job(gql, tailoring, targetTime=at(8)))["id"] for _ in range(5)]
    up = await jobs(gql, orderBy={"field": "TARGET_TIME"})
    down = await jobs(gql, orderBy={"field": "TARGET_TIME", "direction": "DESC"})
    assert [e["node"]["id"] for e in up["edges"]] == sorted(ids)
    assert [e["node"]["id"] for e in down["edges"]] == sorted(ids, reverse=True)


async def walk_forwards(gql: GraphQLClient, size: int, **variables: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    after = None
    while True:
        page = await jobs(gql, first=size, after=after, **variables)
        pages.append([e["node"]["id"] for e in page["edges"]])
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


async def walk_backwards(gql: GraphQLClient, size: int, **variables: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    before = None
    while True:
        page = await jobs(gql, last=size, before=before, **variables)
        pages.append([e["node"]["id"] for e in page["edges"]])
        assert page["pageInfo"]["hasNextPage"] == (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            return pages
        before = page["pageInfo"]["startCursor"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_pages_forwards_and_backwards_cover_the_list_once(
    gql: GraphQLClient, direction: str
) -> None:
    tailoring = await service(gql, "tailoring")
    for hour in (5, 3, 3, 9, 1, 7, 3):
        await job(gql, tailoring, targetTime=at(hour))
    order = {"orderBy": {"field": "TARGET_TIME", "direction": direction}}
    whole = [e["node"]["id"] for e in (await jobs(gql, first=100, **order))["edges"]]
    assert len(whole) == 7
    forwards = await walk_forwards(gql, 2, **order)
    assert [len(p) for p in forwards] == [2, 2, 2, 1]
    assert [i for p in forwards for i in p] == whole
    backwards = await walk_backwards(gql, 2, **order)
    assert [len(p) for p in backwards] == [2, 2, 2, 1]
    assert [i for p in reversed(backwards) for i in p] == whole
    last_three = await jobs(gql, last=3, **order)
    assert [e["node"]["id"] for e in last_three["edges"]] == whole[-3:]
    assert last_three["pageInfo"]["hasPreviousPage"] and not last_three["pageInfo"]["hasNextPage"]
    # Both cursors at once: the rows between them.
    first_cursor = (await jobs(gql, first=1, **order))["pageInfo"]["endCursor"]
    last_cursor = last_three["pageInfo"]["startCursor"]
    between = await jobs(gql, first=10, after=first_cursor, before=last_cursor, **order)
    assert [e["node"]["id"] for e in between["edges"]] == whole[1:4]


async def test_paging_while_jobs_are_written_has_no_gap_and_no_duplicate(
    gql: GraphQLClient,
) -> None:
    tailoring = await service(gql, "tailoring")
    for hour in range(10, 16):
        await job(gql, tailoring, targetTime=at(hour))
    order = {"orderBy": {"field": "TARGET_TIME"}}
    before_writes = [e["node"]["id"] for e in (await jobs(gql, first=100, **order))["edges"]]
    seen: list[str] = []
    after = None
    for step in range(10):
        page = await jobs(gql, first=2, after=after, **order)
        seen += [e["node"]["id"] for e in page["edges"]]
        # Writers between pages: one job sorts before the cursor, one after it (to come).
        await job(gql, tailoring, targetTime=at(1))
        await job(gql, tailoring, targetTime=at(23, day=1 + step % 2))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen))  # no duplicate
    assert [i for i in seen if i in before_writes] == before_writes  # no gap, same order
    late = {e["node"]["id"] for e in (await jobs(gql, first=100, **order))["edges"][-10:]}
    assert set(seen) - set(before_writes) <= late  # only jobs written beyond the cursor


async def test_statements_per_page_do_not_grow_with_the_page(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    tailoring = await service(gql, "tailoring")
    for hour in range(8):
        await job(gql, tailoring, targetTime=at(hour), lineItems=[line_item("x", "X")])
    counts = []
    for size in (1, 8):
        sql.reset()
        page = await jobs(
            gql,
            first=size,
            filter={"searchTerm": "x", "assignedUser": None, "statuses": ["OPEN"]},
            orderBy={"field": "TARGET_TIME", "direction": "DESC"},
        )
        assert len(page["edges"]) == size and page["totalCount"] == 8
        counts.append(sql.count)
    assert counts[0] == counts[1] == 2  # the page and its count


async def test_scope_tenant_and_facility_totals_included(gql: GraphQLClient) -> None:
    await world(gql)
    everything = {"filter": {"searchTerm": "e"}}
    assert (await jobs(gql, **everything))["totalCount"] >= 1
    scoped = gql.as_tenant("acme", facilities=["fac-2"])
    mine = await jobs(scoped, first=100)
    assert [e["node"]["shortId"] for e in mine["edges"]] == ["c"] and mine["totalCount"] == 1
    assert (await jobs(scoped, filter={"facilityRef": "fac-1"}))["totalCount"] == 0
    assert (await jobs(scoped, filter={"searchTerm": "order"}))["totalCount"] == 0
    stranger = gql.as_tenant("globex")
    for flt in ({}, {"searchTerm": "a"}, {"facilityRef": "fac-1"}, {"assignedUser": "u-7"}):
        found = await jobs(stranger, filter=flt, last=10)
        assert found["totalCount"] == 0 and found["edges"] == []


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("%", ["50%_off"]),
        ("_", ["50%_off", "a_b"]),
        ("0%_", ["50%_off"]),
        ("\\", ["back\\slash"]),
        ("\\%", []),
        ("[a]", []),
        ("a_b", ["a_b"]),
    ],
)
async def test_like_wildcards_in_a_search_term_match_only_themselves(
    gql: GraphQLClient, term: str, expected: list[str]
) -> None:
    tailoring = await service(gql, "tailoring")
    for order in ("50%_off", "50xyoff", "a_b", "axb", "back\\slash", "backxslash"):
        await job(gql, tailoring, tenantOrderId=order, shortId=order)
    assert sorted(await short_ids(gql, filter={"searchTerm": term})) == expected


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"after": "not a cursor"}, id="garbage"),
        pytest.param({"before": base64.urlsafe_b64encode(b"[1,2]").decode()}, id="wrong-shape"),
        pytest.param({"first": 1, "last": 1}, id="first-and-last"),
        pytest.param({"last": 101}, id="last-too-large"),
        pytest.param({"last": -1}, id="last-negative"),
        pytest.param({"filter": {"searchTerm": "   "}}, id="blank-term"),
        pytest.param({"filter": {"statuses": ["OPEN"] * 21}}, id="too-many-statuses"),
        pytest.param({"filter": {"searchTerm": "x" * 501}}, id="term-too-long"),
        pytest.param({"filter": {"assignedUser": "x" * 501}}, id="user-too-long"),
    ],
)
async def test_bad_paging_and_filter_arguments_are_bad_requests(
    gql: GraphQLClient, variables: dict[str, Any]
) -> None:
    assert codes(await gql.errors(JOBS, variables)) == ["BAD_REQUEST"]


async def test_a_cursor_of_another_order_is_a_bad_request(gql: GraphQLClient) -> None:
    tailoring = await service(gql, "tailoring")
    await job(gql, tailoring)
    await job(gql, tailoring)
    cursor = (await jobs(gql, first=1, orderBy={"field": "CREATED"}))["pageInfo"]["endCursor"]
    errors = await gql.errors(
        JOBS, {"first": 1, "after": cursor, "orderBy": {"field": "TARGET_TIME"}}
    )
    assert codes(errors) == ["BAD_REQUEST"]
    forged = base64.urlsafe_b64encode(
        orjson.dumps(["job.created", "2026-01-01T00:00:00+00:00", "a\x00b"])
    ).decode()
    assert codes(await gql.errors(JOBS, {"after": forged})) == ["BAD_REQUEST"]


async def test_users_are_assigned_by_id_username_or_both(gql: GraphQLClient) -> None:
    tailoring = await service(gql, "tailoring")
    created = await job(gql, tailoring, assignedUsers=["legacy-id"])
    assert (await short_ids(gql, filter={"assignedUser": "legacy-id"})) == [None]
    users = [{"userId": "u-1"}, {"username": "ann"}, {"userId": "u-2", "username": "bob"}]
    payload = await assign(gql, created["id"], 1, users=users)
    assert payload == {
        "serviceJob": {
            "version": 2,
            "assignedUsers": [
                {"userId": "u-1", "username": None},
                {"userId": None, "username": "ann"},
                {"userId": "u-2", "username": "bob"},
            ],
        },
        "userErrors": [],
    }
    for name in ("u-1", "ann", "u-2", "bob"):
        assert (await jobs(gql, filter={"assignedUser": name}))["totalCount"] == 1
    assert (await jobs(gql, filter={"assignedUser": "legacy-id"}))["totalCount"] == 0

    deprecated = await assign(gql, created["id"], 2, assignedUsers=["carol"])
    assert deprecated["serviceJob"]["assignedUsers"] == [{"userId": "carol", "username": None}]
    assert (await jobs(gql, filter={"assignedUser": "ann"}))["totalCount"] == 0
    assert (await jobs(gql, filter={"assignedUser": "carol"}))["totalCount"] == 1


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        ({"users": [{}]}, [("VALIDATION_FAILED", "users.0")]),
        ({"users": [{"username": "a"}, {"username": "a"}]}, [("VALIDATION_FAILED", "users")]),
        ({"users": [{"userId": " "}]}, [("VALIDATION_FAILED", "users.0.userId")]),
        ({"users": [{"userId": f"u{i}"} for i in range(11)]}, [("LIMIT_EXCEEDED", "users")]),
        ({"users": [], "assignedUsers": []}, [("VALIDATION_FAILED", "users")]),
        ({}, [("VALIDATION_FAILED", "users")]),
    ],
)
async def test_assigning_users_refuses_what_names_no_one_and_writes_nothing(
    gql: GraphQLClient, users: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    tailoring = await service(gql, "tailoring")
    created = await job(gql, tailoring, assignedUsers=["kept"])
    payload = await assign(gql, created["id"], 1, **users)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == expected
    assert payload["serviceJob"] is None
    assert (await jobs(gql, filter={"assignedUser": "kept"}))["totalCount"] == 1


def readme_queries() -> list[str]:
    """The GraphQL examples of the README's "Finding jobs and trees"."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Finding jobs and trees", 1)[1].split("\n### ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```graphql\n")[1:]]


async def test_the_readmes_examples_find_what_they_promise(gql: GraphQLClient) -> None:
    tailoring = await service(gql, "tailoring", facility="fac-berlin-mitte")
    found_jobs, found_trees = readme_queries()

    def placed(**fields: Any) -> dict[str, Any]:
        return {"facilityRef": "fac-berlin-mitte", "tenantOrderId": "Z", **fields}

    late = await job(gql, tailoring, **placed(targetTime=at(14), assignedUsers=["y"]))
    soon = await job(gql, tailoring, **placed(targetTime=at(8)))
    assert (await assign(gql, soon["id"], 1, users=[{"username": "y"}]))["userErrors"] == []
    await job(gql, tailoring, **placed(targetTime=at(6)))  # not assigned to y
    other = await job(gql, tailoring, **placed(targetTime=at(7), assignedUsers=["y"]))
    assert (await action(gql, "start", other["id"], 1))["userErrors"] == []  # not open

    jobs_found = (await gql(found_jobs))["serviceJobs"]
    assert [n["id"] for n in jobs_found["nodes"]] == [soon["id"], late["id"]]
    assert jobs_found["nodes"][0]["assignedUsers"] == [{"userId": None, "username": "y"}]
    trees_found = (await gql(found_trees))["searchLinkedServiceJobs"]
    assert trees_found["totalCount"] == 4
    assert {n["allServiceJobLinks"][0]["serviceJob"]["name"] for n in trees_found["nodes"]} == {
        "Tailoring"
    }
