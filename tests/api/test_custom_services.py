"""Custom services through the HTTP API: create, read, update with versions, questions,
prerequisites, paging, and the errors of each."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.graphql import GraphQLClient

FIELDS = """
  id tenantCustomServiceId status name nameLocalized descriptionLocalized executionTimeInMin
  itemsReturnable itemsRequired version customAttributes requiredCustomServiceRefs
  articleItems { quantity article { tenantArticleId title } }
  additionalInformation { id tenantAdditionalInformationId name valueType isMandatory }
"""

CREATE = f"""
mutation Create($input: CreateCustomServiceInput!) {{
  createCustomService(input: $input) {{
    customService {{ {FIELDS} }}
    userErrors {{ code message field currentVersion }}
  }}
}}
"""

UPDATE = f"""
mutation Update($input: UpdateCustomServiceInput!) {{
  updateCustomService(input: $input) {{
    customService {{ {FIELDS} }}
    userErrors {{ code message field currentVersion }}
  }}
}}
"""

GET = f"""
query Get($id: ID!, $locale: Locale) {{
  customService(id: $id) {{ {FIELDS} localizedName: name(locale: $locale) }}
}}
"""

EMBROIDERY: dict[str, Any] = {
    "tenantCustomServiceId": "embroidery",
    "status": "ACTIVE",
    "nameLocalized": {"en_US": "Shirt initials embroidery", "de_DE": "Hemd Initialien Bestickung"},
    "descriptionLocalized": {"en_US": "Initials on collar and sleeve."},
    "executionTimeInMin": 60,
    "itemsReturnable": False,
    "itemsRequired": "MANDATORY",
    "additionalInformation": [
        {
            "nameLocalized": {"en_US": "Number of threads", "de_DE": "Anzahl der Fäden"},
            "valueType": "NUMBER",
            "isMandatory": True,
            "tenantAdditionalInformationId": "threads",
        }
    ],
    "articleItems": [
        {"article": {"tenantArticleId": "thread-1", "title": "Thread"}, "quantity": 2}
    ],
    "customAttributes": {"actionId": "b1eef2b0"},
}


async def create(gql: GraphQLClient, **overrides: Any) -> dict[str, Any]:
    data = await gql(CREATE, {"input": {**EMBROIDERY, **overrides}})
    payload = data["createCustomService"]
    assert payload["userErrors"] == []
    service: dict[str, Any] = payload["customService"]
    return service


async def test_create_then_read_a_custom_service(gql: GraphQLClient) -> None:
    created = await create(gql)
    assert created["version"] == 1
    assert created["name"] == "Shirt initials embroidery"
    assert created["additionalInformation"][0]["valueType"] == "NUMBER"
    assert created["articleItems"] == [
        {"quantity": 2, "article": {"tenantArticleId": "thread-1", "title": "Thread"}}
    ]

    data = await gql(GET, {"id": created["id"], "locale": "de_DE"})
    assert data["customService"]["localizedName"] == "Hemd Initialien Bestickung"
    assert data["customService"]["customAttributes"] == {"actionId": "b1eef2b0"}


async def test_name_follows_accept_language_then_falls_back_to_en_us(gql: GraphQLClient) -> None:
    created = await create(gql)
    german = await gql(GET, {"id": created["id"]}, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert german["customService"]["name"] == "Hemd Initialien Bestickung"
    polish = await gql(GET, {"id": created["id"]}, headers={"Accept-Language": "pl"})
    assert polish["customService"]["name"] == "Shirt initials embroidery"


async def test_enabled_is_accepted_and_stored_as_active(gql: GraphQLClient) -> None:
    created = await create(gql, status="DISABLED")
    assert created["status"] == "INACTIVE"


async def test_an_unsupported_locale_is_refused_before_anything_runs(gql: GraphQLClient) -> None:
    errors = await gql.errors(CREATE, {"input": {**EMBROIDERY, "nameLocalized": {"xx_XX": "?"}}})
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
    assert "xx_XX" in errors[0]["message"]


async def test_invalid_fields_come_back_together_as_user_errors(gql: GraphQLClient) -> None:
    data = await gql(
        CREATE,
        {
            "input": {
                **EMBROIDERY,
                "executionTimeInMin": -5,
                "articleItems": [{"article": {"tenantArticleId": "a"}, "quantity": 0}],
                "customAttributes": {"$where": 1},
            }
        },
    )
    payload = data["createCustomService"]
    assert payload["customService"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("VALIDATION_FAILED", "executionTimeInMin"),
        ("VALIDATION_FAILED", "articleItems.0.quantity"),
        ("VALIDATION_FAILED", "customAttributes"),
    ]
    listed = await gql("{ customServices { totalCount } }")
    assert listed["customServices"]["totalCount"] == 0


async def test_tenant_custom_service_id_is_unique_per_tenant(gql: GraphQLClient) -> None:
    await create(gql)
    data = await gql(CREATE, {"input": EMBROIDERY})
    assert [e["code"] for e in data["createCustomService"]["userErrors"]] == ["CONFLICT"]
    # Another tenant may use the same id.
    await create(gql.as_tenant("other"))


async def test_update_bumps_the_version_and_changes_only_what_was_sent(gql: GraphQLClient) -> None:
    created = await create(gql)
    data = await gql(UPDATE, {"input": {"id": created["id"], "version": 1, "status": "INACTIVE"}})
    updated = data["updateCustomService"]["customService"]
    assert updated["version"] == 2
    assert updated["status"] == "INACTIVE"
    assert updated["nameLocalized"] == created["nameLocalized"]
    assert updated["executionTimeInMin"] == 60

    cleared = await gql(
        UPDATE, {"input": {"id": created["id"], "version": 2, "executionTimeInMin": None}}
    )
    assert cleared["updateCustomService"]["customService"]["executionTimeInMin"] is None


async def test_a_stale_version_is_a_conflict_that_changes_nothing(gql: GraphQLClient) -> None:
    created = await create(gql)
    await gql(UPDATE, {"input": {"id": created["id"], "version": 1, "executionTimeInMin": 5}})

    data = await gql(
        UPDATE, {"input": {"id": created["id"], "version": 1, "executionTimeInMin": 99}}
    )
    payload = data["updateCustomService"]
    assert payload["customService"] is None
    assert payload["userErrors"] == [
        {
            "code": "VERSION_CONFLICT",
            "message": "The custom service is at version 2, not 1: reload it and apply the "
            "change again.",
            "field": "version",
            "currentVersion": 2,
        }
    ]
    current = (await gql(GET, {"id": created["id"]}))["customService"]
    assert (current["version"], current["executionTimeInMin"]) == (2, 5)


async def test_updating_a_missing_service_is_not_found(gql: GraphQLClient) -> None:
    data = await gql(UPDATE, {"input": {"id": "nope", "version": 1, "status": "ACTIVE"}})
    assert [e["code"] for e in data["updateCustomService"]["userErrors"]] == ["NOT_FOUND"]


async def test_an_empty_update_is_refused(gql: GraphQLClient) -> None:
    created = await create(gql)
    data = await gql(UPDATE, {"input": {"id": created["id"], "version": 1}})
    assert [e["code"] for e in data["updateCustomService"]["userErrors"]] == ["VALIDATION_FAILED"]


ADD_AI = """
mutation Add($input: AddCustomServiceAdditionalInformationInput!) {
  addCustomServiceAdditionalInformation(input: $input) {
    customService { version additionalInformation { id name valueType } }
    additionalInformation { id name }
    userErrors { code field currentVersion }
  }
}
"""
REPLACE_AI = """
mutation Replace($input: ReplaceCustomServiceAdditionalInformationInput!) {
  replaceCustomServiceAdditionalInformation(input: $input) {
    customService { version additionalInformation { id name valueType } }
    userErrors { code field currentVersion }
  }
}
"""
DELETE_AI = """
mutation Delete($input: DeleteCustomServiceAdditionalInformationInput!) {
  deleteCustomServiceAdditionalInformation(input: $input) {
    customService { version additionalInformation { id } }
    userErrors { code field currentVersion }
  }
}
"""
MATERIAL = {"nameLocalized": {"en_US": "Thread Material"}, "valueType": "STRING"}


async def test_additional_information_add_replace_delete_each_bump_the_version(
    gql: GraphQLClient,
) -> None:
    created = await create(gql)
    service_id = created["id"]
    added = await gql(
        ADD_AI,
        {"input": {"customServiceId": service_id, "version": 1, "additionalInformation": MATERIAL}},
    )
    payload = added["addCustomServiceAdditionalInformation"]
    assert payload["userErrors"] == []
    assert payload["customService"]["version"] == 2
    new_id = payload["additionalInformation"]["id"]
    assert [ai["name"] for ai in payload["customService"]["additionalInformation"]] == [
        "Number of threads",
        "Thread Material",
    ]

    replaced = await gql(
        REPLACE_AI,
        {
            "input": {
                "customServiceId": service_id,
                "version": 2,
                "additionalInformationId": new_id,
                "additionalInformation": {
                    "nameLocalized": {"en_US": "Yarn"},
                    "valueType": "BOOLEAN",
                },
            }
        },
    )
    service = replaced["replaceCustomServiceAdditionalInformation"]["customService"]
    assert service["version"] == 3
    assert service["additionalInformation"][1] == {
        "id": new_id,
        "name": "Yarn",
        "valueType": "BOOLEAN",
    }

    deleted = await gql(
        DELETE_AI,
        {
            "input": {
                "customServiceId": service_id,
                "version": 3,
                "additionalInformationId": new_id,
            }
        },
    )
    service = deleted["deleteCustomServiceAdditionalInformation"]["customService"]
    assert service["version"] == 4
    assert len(service["additionalInformation"]) == 1


async def test_additional_information_changes_need_the_current_version(
    gql: GraphQLClient,
) -> None:
    created = await create(gql)
    data = await gql(
        ADD_AI,
        {
            "input": {
                "customServiceId": created["id"],
                "version": 7,
                "additionalInformation": MATERIAL,
            }
        },
    )
    errors = data["addCustomServiceAdditionalInformation"]["userErrors"]
    assert errors == [{"code": "VERSION_CONFLICT", "field": "version", "currentVersion": 1}]
    unknown = await gql(
        DELETE_AI,
        {
            "input": {
                "customServiceId": created["id"],
                "version": 1,
                "additionalInformationId": "missing",
            }
        },
    )
    assert unknown["deleteCustomServiceAdditionalInformation"]["userErrors"][0]["code"] == (
        "NOT_FOUND"
    )


async def test_at_most_15_additional_information(gql: GraphQLClient) -> None:
    created = await create(gql, additionalInformation=[MATERIAL] * 15)
    data = await gql(
        ADD_AI,
        {
            "input": {
                "customServiceId": created["id"],
                "version": 1,
                "additionalInformation": MATERIAL,
            }
        },
    )
    errors = data["addCustomServiceAdditionalInformation"]["userErrors"]
    assert [e["code"] for e in errors] == ["LIMIT_EXCEEDED"]


async def test_prerequisites_are_resolved_and_cycles_are_refused_naming_the_chain(
    gql: GraphQLClient,
) -> None:
    a = await create(gql, tenantCustomServiceId="A")
    b = await create(gql, tenantCustomServiceId="B", requiredCustomServiceRefs=[a["id"]])
    c = await create(gql, tenantCustomServiceId="C", requiredCustomServiceRefs=[b["id"]])
    data = await gql(
        "query($id: ID!) { customService(id: $id) { requiredCustomServices {"
        " tenantCustomServiceId requiredCustomServices { tenantCustomServiceId } } } }",
        {"id": c["id"]},
    )
    assert data["customService"]["requiredCustomServices"] == [
        {"tenantCustomServiceId": "B", "requiredCustomServices": [{"tenantCustomServiceId": "A"}]}
    ]

    cycle = await gql(
        UPDATE, {"input": {"id": a["id"], "version": 1, "requiredCustomServiceRefs": [c["id"]]}}
    )
    errors = cycle["updateCustomService"]["userErrors"]
    assert errors[0]["code"] == "VALIDATION_FAILED"
    assert "A -> C -> B -> A" in errors[0]["message"]
    unchanged = await gql(GET, {"id": a["id"]})
    assert unchanged["customService"]["requiredCustomServiceRefs"] == []


async def test_a_prerequisite_chain_deeper_than_25_is_refused(gql: GraphQLClient) -> None:
    previous: list[str] = []
    for index in range(25):
        service = await create(
            gql, tenantCustomServiceId=f"S{index}", requiredCustomServiceRefs=previous
        )
        previous = [service["id"]]
    data = await gql(
        CREATE,
        {
            "input": {
                **EMBROIDERY,
                "tenantCustomServiceId": "S25",
                "requiredCustomServiceRefs": previous,
            }
        },
    )
    errors = data["createCustomService"]["userErrors"]
    assert errors[0]["code"] == "LIMIT_EXCEEDED"
    assert "S25 -> S24" in errors[0]["message"] and "-> S0." in errors[0]["message"]


async def test_an_unknown_prerequisite_is_not_found(gql: GraphQLClient) -> None:
    data = await gql(CREATE, {"input": {**EMBROIDERY, "requiredCustomServiceRefs": ["ghost"]}})
    assert data["createCustomService"]["userErrors"][0] == {
        "code": "NOT_FOUND",
        "message": "Required custom service 'ghost' was not found.",
        "field": "requiredCustomServices.0",
        "currentVersion": None,
    }


LIST = """
query List($first: Int, $after: String, $filter: CustomServiceFilterInput) {
  customServices(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor node { tenantCustomServiceId status } }
  }
}
"""


async def test_list_pages_through_every_service_once_in_creation_order(gql: GraphQLClient) -> None:
    for index in range(5):
        await create(
            gql, tenantCustomServiceId=f"svc-{index}", status="INACTIVE" if index % 2 else "ACTIVE"
        )
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(LIST, {"first": 2, "after": after}))["customServices"]
        assert page["totalCount"] == 5
        seen += [edge["node"]["tenantCustomServiceId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"svc-{i}" for i in range(5)]

    inactive = (await gql(LIST, {"filter": {"status": "INACTIVE"}}))["customServices"]
    assert inactive["totalCount"] == 2
    assert {e["node"]["tenantCustomServiceId"] for e in inactive["edges"]} == {"svc-1", "svc-3"}


@pytest.mark.parametrize(("first", "after"), [(101, None), (-1, None), (5, "not-a-cursor")])
async def test_bad_paging_arguments_are_bad_requests(
    gql: GraphQLClient, first: int, after: str | None
) -> None:
    errors = await gql.errors(LIST, {"first": first, "after": after})
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"
