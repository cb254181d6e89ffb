"""Service jobs through the HTTP API: creation rules, the status machine, answers, users and
target times, lists and facility scope."""

from __future__ import annotations

from tests.support.graphql import GraphQLClient
from tests.support.jobs import (
    CONNECT,
    action,
    create_job_payload,
    finish,
    get_job,
    job,
    line_item,
    service,
)

UPDATE_SERVICE = """
mutation($input: UpdateCustomServiceInput!) {
  updateCustomService(input: $input) { userErrors { code } } }"""


async def test_a_job_copies_its_service_and_later_edits_do_not_reach_it(
    gql: GraphQLClient,
) -> None:
    service_id = await service(
        gql,
        "embroidery",
        executionTimeInMin=60,
        articleItems=[line_item("thread-navy", "Thread", 2)],
    )
    created = await job(gql, service_id, lineItems=[line_item("100029-W", "White Shirt")])
    assert created["status"] == "OPEN"
    assert created["version"] == 1
    assert created["name"] == "Embroidery"
    assert created["executionTimeInMin"] == 60
    assert created["requiredLineItems"] == [
        {"quantity": 2, "article": {"tenantArticleId": "thread-navy"}}
    ]
    assert created["lineItems"] == [
        {"article": {"tenantArticleId": "100029-W", "title": "White Shirt"}, "quantity": 1}
    ]
    assert created["serviceJobLink"]["depth"] == 1

    changed = await gql(
        UPDATE_SERVICE,
        {"input": {"id": service_id, "version": 1, "nameLocalized": {"en_US": "Renamed"}}},
    )
    assert changed["updateCustomService"]["userErrors"] == []
    assert (await get_job(gql, created["id"]))["name"] == "Embroidery"


async def test_the_connections_execution_time_wins(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring", facility="fac-0", executionTimeInMin=60)
    await gql(
        CONNECT,
        {"input": {"facilityId": "fac-1", "customServiceId": service_id, "executionTimeInMin": 90}},
    )
    created = await job(gql, service_id)
    assert created["executionTimeInMin"] == 90


async def test_a_job_needs_an_active_connection_to_an_active_service(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring", facility="fac-0")
    payload = await create_job_payload(gql, service_id)  # no connection in fac-1
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("VALIDATION_FAILED", "customServiceRef")
    ]
    inactive = await service(gql, "inactive", status="INACTIVE")
    payload = await create_job_payload(gql, inactive)
    assert "not ACTIVE" in payload["userErrors"][0]["message"]
    payload = await create_job_payload(gql, "ghost")
    assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 0


async def test_a_job_can_name_its_service_by_the_tenants_id(gql: GraphQLClient) -> None:
    await service(gql, "tailoring")
    payload = await create_job_payload(
        gql, None, customServiceRef=None, tenantCustomServiceId="tailoring"
    )
    assert payload["userErrors"] == []


async def test_creation_limits_and_bad_input_are_reported_together(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    payload = await create_job_payload(
        gql,
        service_id,
        lineItems=[line_item("a", "A", 0)] + [line_item("b", "B")] * 50,
        assignedUsers=[f"user-{i}" for i in range(11)],
        marketplaceId="XX",
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("LIMIT_EXCEEDED", "lineItems"),
        ("VALIDATION_FAILED", "lineItems.0.quantity"),
        ("LIMIT_EXCEEDED", "assignedUsers"),
        ("VALIDATION_FAILED", "marketplaceId"),
    ]


async def test_an_article_has_a_bounded_number_of_attributes(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    crowded = line_item("a", "A")
    crowded["article"]["attributes"] = [{"key": f"k{i}", "value": "v"} for i in range(21)]
    payload = await create_job_payload(gql, service_id, lineItems=[crowded])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("LIMIT_EXCEEDED", "lineItems.0.article.attributes")
    ]
    assert (await gql("{ serviceJobs { totalCount } }"))["serviceJobs"]["totalCount"] == 0
    crowded["article"]["attributes"].pop()
    assert (await create_job_payload(gql, service_id, lineItems=[crowded]))["userErrors"] == []


async def test_the_status_machine_through_the_api(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    created = await job(gql, service_id)
    started = await action(gql, "start", created["id"], 1)
    assert started["serviceJob"]["status"] == "IN_PROGRESS"
    held = await action(gql, "hold", created["id"], 2)
    assert held["serviceJob"]["status"] == "WAITING_FOR_INPUT"
    reopened = await action(gql, "open", created["id"], 3)
    assert reopened["serviceJob"]["status"] == "OPEN"

    refused = await action(gql, "finish", created["id"], 4)
    assert refused["serviceJob"] is None
    error = refused["userErrors"][0]
    assert error["code"] == "INVALID_TRANSITION"
    assert "status OPEN cannot finish" in error["message"]
    assert (await get_job(gql, created["id"]))["version"] == 4

    stale = await action(gql, "start", created["id"], 2)
    assert [(e["code"], e["currentVersion"]) for e in stale["userErrors"]] == [
        ("VERSION_CONFLICT", 4)
    ]
    assert (await get_job(gql, created["id"]))["status"] == "OPEN"

    obsolete = await action(gql, "obsolete", created["id"], 4)
    assert obsolete["serviceJob"]["status"] == "OBSOLETE"
    final = await action(gql, "cancel", created["id"], 5, reason="too late")
    assert final["userErrors"][0]["code"] == "INVALID_TRANSITION"


ANSWERS = """query($id: ID!) { serviceJob(id: $id) { additionalInformation {
  tenantAdditionalInformationId name valueType isMandatory value } } }"""


async def test_finish_needs_every_mandatory_answer_checked_by_type(gql: GraphQLClient) -> None:
    service_id = await service(
        gql,
        "embroidery",
        additionalInformation=[
            {
                "nameLocalized": {"en_US": "Threads"},
                "valueType": "NUMBER",
                "isMandatory": True,
                "tenantAdditionalInformationId": "threads",
            },
            {
                "nameLocalized": {"en_US": "Note"},
                "valueType": "STRING",
                "tenantAdditionalInformationId": "note",
            },
        ],
    )
    created = await job(gql, service_id)
    started = await action(gql, "start", created["id"], 1)
    assert started["userErrors"] == []

    missing = await action(gql, "finish", created["id"], 2)
    assert missing["userErrors"][0]["code"] == "VALIDATION_FAILED"
    assert "missing: Threads" in missing["userErrors"][0]["message"]

    wrong_type = await action(
        gql,
        "finish",
        created["id"],
        2,
        additionalInformation=[{"tenantAdditionalInformationRef": "threads", "value": "many"}],
    )
    assert wrong_type["userErrors"][0]["field"] == "additionalInformation.0.value"

    held = await action(
        gql,
        "hold",
        created["id"],
        2,
        additionalInformation=[{"tenantAdditionalInformationRef": "note", "value": "later"}],
    )
    assert held["userErrors"] == []
    done = await action(
        gql,
        "finish",
        created["id"],
        3,
        additionalInformation=[{"tenantAdditionalInformationRef": "threads", "value": "3"}],
    )
    assert done["serviceJob"]["status"] == "FINISHED"
    answers = (await gql(ANSWERS, {"id": created["id"]}))["serviceJob"]["additionalInformation"]
    assert answers == [
        {
            "tenantAdditionalInformationId": "threads",
            "name": "Threads",
            "valueType": "NUMBER",
            "isMandatory": True,
            "value": "3",
        },
        {
            "tenantAdditionalInformationId": "note",
            "name": "Note",
            "valueType": "STRING",
            "isMandatory": False,
            "value": "later",
        },
    ]


async def test_obsolete_takes_no_answers_and_cancel_needs_a_reason(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    created = await job(gql, service_id)
    errors = await gql.errors(
        """mutation($id: ID!) { obsoleteServiceJob(input: {id: $id, version: 1,
           additionalInformation: []}) { userErrors { code } } }""",
        {"id": created["id"]},
    )
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    blank = await action(gql, "cancel", created["id"], 1, reason="  ")
    assert [(e["code"], e["field"]) for e in blank["userErrors"]] == [
        ("VALIDATION_FAILED", "reason")
    ]


async def test_assigned_users_and_target_times(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    created = await job(gql, service_id)
    data = await gql(
        """mutation($input: ReplaceServiceJobAssignedUsersInput!) {
          replaceServiceJobAssignedUsers(input: $input) {
            serviceJob { version assignedUsers { userId } } userErrors { code } } }""",
        {"input": {"id": created["id"], "version": 1, "assignedUsers": ["ann", "bob"]}},
    )
    payload = data["replaceServiceJobAssignedUsers"]
    assert payload["serviceJob"] == {
        "version": 2,
        "assignedUsers": [{"userId": "ann"}, {"userId": "bob"}],
    }
    too_many = await gql(
        """mutation($input: ReplaceServiceJobAssignedUsersInput!) {
          replaceServiceJobAssignedUsers(input: $input) { userErrors { code } } }""",
        {
            "input": {
                "id": created["id"],
                "version": 2,
                "assignedUsers": [f"u{i}" for i in range(11)],
            }
        },
    )
    assert too_many["replaceServiceJobAssignedUsers"]["userErrors"] == [{"code": "LIMIT_EXCEEDED"}]
    moved = await gql(
        """mutation($input: AddServiceJobTargetTimeInput!) {
          addServiceJobTargetTime(input: $input) {
            serviceJob { version targetTime targetTimes } userErrors { code } } }""",
        {"input": {"id": created["id"], "version": 2, "targetTime": "2026-12-24T08:00:00Z"}},
    )
    job_after = moved["addServiceJobTargetTime"]["serviceJob"]
    assert job_after["version"] == 3
    assert job_after["targetTime"] == "2026-12-24T08:00:00+00:00"
    assert job_after["targetTimes"] == ["2026-12-01T10:00:00+00:00", "2026-12-24T08:00:00+00:00"]


LIST = """query($filter: ServiceJobFilterInput, $first: Int, $after: String) {
  serviceJobs(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id status facilityRef } } }"""


async def test_lists_filter_page_and_respect_facility_scope(gql: GraphQLClient) -> None:
    service_id = await service(gql, "tailoring")
    await service(gql, "other", facility="fac-2")
    ids = [(await job(gql, service_id, tenantOrderId=f"o{i % 2}"))["id"] for i in range(4)]
    other = await job(
        gql, None, customServiceRef=None, tenantCustomServiceId="other", facilityRef="fac-2"
    )
    everything = (await gql(LIST, {"first": 3}))["serviceJobs"]
    assert everything["totalCount"] == 5 and everything["pageInfo"]["hasNextPage"]
    rest = (await gql(LIST, {"after": everything["pageInfo"]["endCursor"]}))["serviceJobs"]
    assert [n["id"] for n in everything["nodes"] + rest["nodes"]] == [*ids, other["id"]]

    by_order = (await gql(LIST, {"filter": {"tenantOrderId": "o1"}}))["serviceJobs"]
    assert [n["id"] for n in by_order["nodes"]] == [ids[1], ids[3]]
    window = (
        await gql(
            LIST,
            {
                "filter": {
                    "targetTimeFrom": "2026-12-01T10:00:00Z",
                    "targetTimeTo": "2026-12-01T10:00:00Z",
                    "facilityRef": "fac-1",
                }
            },
        )
    )["serviceJobs"]
    assert window["totalCount"] == 4
    assert (await gql(LIST, {"filter": {"status": "FINISHED"}}))["serviceJobs"]["totalCount"] == 0

    scoped = gql.as_tenant("acme", facilities=["fac-2"])
    mine = (await scoped(LIST, {}))["serviceJobs"]
    assert [n["id"] for n in mine["nodes"]] == [other["id"]]
    assert (await scoped("query($id: ID!) { serviceJob(id: $id) { id } }", {"id": ids[0]}))[
        "serviceJob"
    ] is None
    refused = await action(scoped, "start", ids[0], 1)
    assert refused["userErrors"][0]["code"] == "NOT_FOUND"
    assert (await finish(gql, ids[0]))["status"] == "FINISHED"
