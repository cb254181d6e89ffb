"""Facility custom service connections through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.api.test_custom_services import create
from tests.support.graphql import GraphQLClient

CONNECTION = "id facilityRef customServiceRef status executionTimeInMin version customService { tenantCustomServiceId }"  # noqa: E501
CREATE = f"""
mutation($input: CreateFacilityCustomServiceConnectionInput!) {{
  createFacilityCustomServiceConnection(input: $input) {{
    facilityCustomServiceConnection {{ {CONNECTION} }}
    userErrors {{ code message field currentVersion }}
  }}
}}
"""
UPDATE = f"""
mutation($input: UpdateFacilityCustomServiceConnectionInput!) {{
  updateFacilityCustomServiceConnection(input: $input) {{
    facilityCustomServiceConnection {{ {CONNECTION} }}
    userErrors {{ code message field currentVersion }}
  }}
}}
"""
DELETE = """
mutation($input: DeleteFacilityCustomServiceConnectionInput!) {
  deleteFacilityCustomServiceConnection(input: $input) {
    facilityCustomServiceConnection { id }
    userErrors { code field currentVersion }
  }
}
"""
LIST = f"""
query($facilityId: ID!, $first: Int, $after: String) {{
  facilityCustomServiceConnections(facilityId: $facilityId, first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {CONNECTION} }}
  }}
}}
"""


async def connect(
    gql: GraphQLClient, facility: str, service_id: str, **extra: Any
) -> dict[str, Any]:
    data = await gql(
        CREATE, {"input": {"facilityId": facility, "customServiceId": service_id, **extra}}
    )
    payload = data["createFacilityCustomServiceConnection"]
    assert payload["userErrors"] == []
    connection: dict[str, Any] = payload["facilityCustomServiceConnection"]
    return connection


async def test_connect_a_service_to_a_facility_and_list_it(gql: GraphQLClient) -> None:
    service = await create(gql)
    connection = await connect(gql, "fac-1", service["id"], executionTimeInMin=90)
    assert connection["status"] == "ACTIVE"
    assert connection["executionTimeInMin"] == 90
    assert connection["customService"] == {"tenantCustomServiceId": "embroidery"}

    listed = (await gql(LIST, {"facilityId": "fac-1"}))["facilityCustomServiceConnections"]
    assert listed["totalCount"] == 1
    assert listed["nodes"][0]["id"] == connection["id"]
    other = (await gql(LIST, {"facilityId": "fac-2"}))["facilityCustomServiceConnections"]
    assert other == {
        "totalCount": 0,
        "pageInfo": {"hasNextPage": False, "endCursor": None},
        "nodes": [],
    }


async def test_one_connection_per_facility_and_service(gql: GraphQLClient) -> None:
    service = await create(gql)
    await connect(gql, "fac-1", service["id"])
    data = await gql(CREATE, {"input": {"facilityId": "fac-1", "customServiceId": service["id"]}})
    errors = data["createFacilityCustomServiceConnection"]["userErrors"]
    assert [e["code"] for e in errors] == ["CONFLICT"]


async def test_connecting_an_unknown_service_is_not_found(gql: GraphQLClient) -> None:
    data = await gql(CREATE, {"input": {"facilityId": "fac-1", "customServiceId": "ghost"}})
    errors = data["createFacilityCustomServiceConnection"]["userErrors"]
    assert [(e["code"], e["field"]) for e in errors] == [("NOT_FOUND", "customServiceId")]


async def test_update_is_versioned_and_delete_removes(gql: GraphQLClient) -> None:
    service = await create(gql)
    connection = await connect(gql, "fac-1", service["id"], executionTimeInMin=90)
    data = await gql(
        UPDATE,
        {
            "input": {
                "id": connection["id"],
                "version": 1,
                "status": "INACTIVE",
                "executionTimeInMin": None,
            }
        },
    )
    updated = data["updateFacilityCustomServiceConnection"]["facilityCustomServiceConnection"]
    assert (updated["status"], updated["executionTimeInMin"], updated["version"]) == (
        "INACTIVE",
        None,
        2,
    )

    stale = await gql(UPDATE, {"input": {"id": connection["id"], "version": 1, "status": "ACTIVE"}})
    errors = stale["updateFacilityCustomServiceConnection"]["userErrors"]
    assert [(e["code"], e["currentVersion"]) for e in errors] == [("VERSION_CONFLICT", 2)]

    stale_delete = await gql(DELETE, {"input": {"id": connection["id"], "version": 1}})
    assert stale_delete["deleteFacilityCustomServiceConnection"]["userErrors"][0]["code"] == (
        "VERSION_CONFLICT"
    )
    deleted = await gql(DELETE, {"input": {"id": connection["id"], "version": 2}})
    assert deleted["deleteFacilityCustomServiceConnection"]["userErrors"] == []
    listed = (await gql(LIST, {"facilityId": "fac-1"}))["facilityCustomServiceConnections"]
    assert listed["totalCount"] == 0
    again = await gql(DELETE, {"input": {"id": connection["id"]}})
    assert again["deleteFacilityCustomServiceConnection"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_paging_through_connections(gql: GraphQLClient) -> None:
    ids = []
    for index in range(3):
        service = await create(gql, tenantCustomServiceId=f"s{index}")
        ids.append((await connect(gql, "fac-1", service["id"]))["id"])
    first = await gql(LIST, {"facilityId": "fac-1", "first": 2})
    page = first["facilityCustomServiceConnections"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        LIST, {"facilityId": "fac-1", "first": 2, "after": page["pageInfo"]["endCursor"]}
    )
    rest = second["facilityCustomServiceConnections"]
    assert [n["id"] for n in page["nodes"] + rest["nodes"]] == ids
    assert rest["totalCount"] == 3


async def test_a_facility_scoped_caller_sees_and_changes_only_its_facilities(
    gql: GraphQLClient,
) -> None:
    service = await create(gql)
    mine = await connect(gql, "fac-1", service["id"])
    theirs = await connect(gql, "fac-2", service["id"])
    scoped = gql.as_tenant("acme", facilities=["fac-1"])

    visible = (await scoped(LIST, {"facilityId": "fac-1"}))["facilityCustomServiceConnections"]
    assert [n["id"] for n in visible["nodes"]] == [mine["id"]]
    hidden = (await scoped(LIST, {"facilityId": "fac-2"}))["facilityCustomServiceConnections"]
    assert hidden["totalCount"] == 0 and hidden["nodes"] == []

    refused = await scoped(
        UPDATE, {"input": {"id": theirs["id"], "version": 1, "status": "INACTIVE"}}
    )
    assert refused["updateFacilityCustomServiceConnection"]["userErrors"][0]["code"] == "NOT_FOUND"
    create_elsewhere = await scoped(
        CREATE, {"input": {"facilityId": "fac-2", "customServiceId": service["id"]}}
    )
    errors = create_elsewhere["createFacilityCustomServiceConnection"]["userErrors"]
    assert [e["code"] for e in errors] == ["NOT_FOUND"]
