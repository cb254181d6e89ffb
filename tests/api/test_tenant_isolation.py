"""A token of tenant B sees none of tenant A's data and cannot change it: every root field and
mutation of this slice, looked up by A's own ids. Another tenant's ids look like missing ones."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_custom_services import ADD_AI, DELETE_AI, REPLACE_AI, UPDATE, create
from tests.api.test_facility_connections import (
    CREATE as CREATE_CONNECTION,
)
from tests.api.test_facility_connections import (
    DELETE as DELETE_CONNECTION,
)
from tests.api.test_facility_connections import (
    LIST as LIST_CONNECTIONS,
)
from tests.api.test_facility_connections import (
    UPDATE as UPDATE_CONNECTION,
)
from tests.api.test_facility_connections import connect
from tests.support.graphql import GraphQLClient


@pytest.fixture
async def tenant_a(gql: GraphQLClient) -> dict[str, Any]:
    base = await create(gql, tenantCustomServiceId="base")
    service = await create(gql, requiredCustomServiceRefs=[base["id"]])
    connection = await connect(gql, "fac-1", service["id"])
    return {"service": service, "base": base, "connection": connection}


async def test_reads_by_id_and_lists_show_nothing_of_another_tenant(
    gql: GraphQLClient, tenant_a: dict[str, Any]
) -> None:
    b = gql.as_tenant("tenant-b")
    data = await b(
        """query($id: ID!) {
          customService(id: $id) { id }
          customServices { totalCount edges { node { id } } }
          facilityCustomServiceConnections(facilityId: "fac-1") { totalCount nodes { id } }
        }""",
        {"id": tenant_a["service"]["id"]},
    )
    assert data == {
        "customService": None,
        "customServices": {"totalCount": 0, "edges": []},
        "facilityCustomServiceConnections": {"totalCount": 0, "nodes": []},
    }
    filtered = await b('{ customServices(filter: {tenantCustomServiceId: "base"}) { totalCount } }')
    assert filtered["customServices"]["totalCount"] == 0


async def test_mutations_on_another_tenants_ids_are_not_found_and_change_nothing(
    gql: GraphQLClient, tenant_a: dict[str, Any]
) -> None:
    b = gql.as_tenant("tenant-b")
    service_id = tenant_a["service"]["id"]
    ai_id = tenant_a["service"]["additionalInformation"][0]["id"]
    connection_id = tenant_a["connection"]["id"]
    material = {"nameLocalized": {"en_US": "M"}, "valueType": "STRING"}
    attempts: list[tuple[str, str, dict[str, Any]]] = [
        (UPDATE, "updateCustomService", {"id": service_id, "version": 1, "status": "INACTIVE"}),
        (
            ADD_AI,
            "addCustomServiceAdditionalInformation",
            {"customServiceId": service_id, "version": 1, "additionalInformation": material},
        ),
        (
            REPLACE_AI,
            "replaceCustomServiceAdditionalInformation",
            {
                "customServiceId": service_id,
                "version": 1,
                "additionalInformationId": ai_id,
                "additionalInformation": material,
            },
        ),
        (
            DELETE_AI,
            "deleteCustomServiceAdditionalInformation",
            {"customServiceId": service_id, "version": 1, "additionalInformationId": ai_id},
        ),
        (
            CREATE_CONNECTION,
            "createFacilityCustomServiceConnection",
            {"facilityId": "fac-9", "customServiceId": service_id},
        ),
        (
            UPDATE_CONNECTION,
            "updateFacilityCustomServiceConnection",
            {"id": connection_id, "version": 1, "status": "INACTIVE"},
        ),
        (DELETE_CONNECTION, "deleteFacilityCustomServiceConnection", {"id": connection_id}),
    ]
    for mutation, field, variables in attempts:
        payload = (await b(mutation, {"input": variables}))[field]
        assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"], field

    # Requiring another tenant's service is as if it did not exist.
    data = await b(
        """mutation($input: CreateCustomServiceInput!) {
          createCustomService(input: $input) { userErrors { code } } }""",
        {"input": {"nameLocalized": {"en_US": "x"}, "requiredCustomServiceRefs": [service_id]}},
    )
    assert data["createCustomService"]["userErrors"] == [{"code": "NOT_FOUND"}]

    # Tenant A's data is untouched.
    after = await gql(
        "query($id: ID!) { customService(id: $id) { version status } }",
        {"id": service_id},
    )
    assert after["customService"]["version"] == 1
    assert after["customService"]["status"] == "ACTIVE"
    connections = await gql(LIST_CONNECTIONS, {"facilityId": "fac-1"})
    assert connections["facilityCustomServiceConnections"]["nodes"][0]["version"] == 1
