"""Shapes of a job that follow fulfillmenttools: the cancel reason as `statusInformation {
cancelReason { reason reasonLocalized } }` (optional for jobs without a marketplace), the job's
`tenantCustomServiceId`, and its questions' `descriptionLocalized`."""

from __future__ import annotations

from typing import Any

from tests.support.closeout import marketplace_job
from tests.support.graphql import GraphQLClient
from tests.support.jobs import job, service

CANCEL = """mutation($input: CancelServiceJobInput!) { cancelServiceJob(input: $input) {
  serviceJob { id status version statusInformation { status reason
    cancelReason { reason reasonLocalized reasonCode } } }
  userErrors { code message field } } }"""
STATUS = """query($id: ID!) { serviceJob(id: $id) { status statusInformation {
  reason cancelReason { reason de: reason(locale: de_DE) reasonLocalized reasonCode } } } }"""
UPDATE_SERVICE = """mutation($input: UpdateCustomServiceInput!) { updateCustomService(input: $input)
  { customService { tenantCustomServiceId version } userErrors { code message field } } }"""
SHAPE = """query($id: ID!) { serviceJob(id: $id) { customServiceRef tenantCustomServiceId
  additionalInformation { tenantAdditionalInformationId descriptionLocalized description
    de: description(locale: de_DE) } } }"""
DEPRECATED = """{ __type(name: "StatusInformation") { fields(includeDeprecated: true) {
  name isDeprecated deprecationReason } } }"""


async def cancel(gql: GraphQLClient, job_id: str, version: int = 1, **why: Any) -> dict[str, Any]:
    data = await gql(CANCEL, {"input": {"id": job_id, "version": version, **why}})
    payload: dict[str, Any] = data["cancelServiceJob"]
    return payload


async def test_a_job_without_marketplace_is_cancelled_with_or_without_a_reason(
    gql: GraphQLClient,
) -> None:
    service_id = await service(gql, "plain")
    silent = await job(gql, service_id)
    payload = await cancel(gql, silent["id"])
    assert payload["userErrors"] == []
    assert payload["serviceJob"]["status"] == "CANCELLED"
    assert payload["serviceJob"]["statusInformation"] == {
        "status": "CANCELLED",
        "reason": None,
        "cancelReason": None,
    }

    told = await job(gql, service_id)
    payload = await cancel(
        gql,
        told["id"],
        reason="Customer moved away",
        reasonLocalized={"en_US": "Customer moved away", "de_DE": "Kunde ist umgezogen"},
    )
    assert payload["userErrors"] == []
    assert (await gql(STATUS, {"id": told["id"]}))["serviceJob"]["statusInformation"] == {
        "reason": "Customer moved away",
        "cancelReason": {
            "reason": "Customer moved away",
            "de": "Customer moved away",
            "reasonLocalized": {"en_US": "Customer moved away", "de_DE": "Kunde ist umgezogen"},
            "reasonCode": None,
        },
    }


async def test_a_localized_reason_alone_reads_in_the_callers_locale_and_cascades(
    gql: GraphQLClient,
) -> None:
    service_id = await service(gql, "plain")
    parent = await job(gql, service_id)
    child = await job(gql, service_id, serviceJobLinkRef=parent["serviceJobLink"]["id"])
    payload = await cancel(
        gql, child["id"], reasonLocalized={"en_US": "No access", "de_DE": "Kein Zugang"}
    )
    assert payload["userErrors"] == []
    for ident in (child["id"], parent["id"]):
        found = (await gql(STATUS, {"id": ident}))["serviceJob"]
        assert found["status"] == "CANCELLED"
        assert found["statusInformation"] == {
            "reason": None,
            "cancelReason": {
                "reason": "No access",
                "de": "Kein Zugang",
                "reasonLocalized": {"en_US": "No access", "de_DE": "Kein Zugang"},
                "reasonCode": None,
            },
        }


async def test_refused_reasons_name_their_field_and_change_nothing(gql: GraphQLClient) -> None:
    plain = await job(gql, await service(gql, "plain"))
    blank = await cancel(gql, plain["id"], reason="   ")
    assert [(e["code"], e["field"]) for e in blank["userErrors"]] == [
        ("VALIDATION_FAILED", "reason")
    ]
    coded = await cancel(gql, plain["id"], reasonCode="S1")
    assert [(e["code"], e["field"]) for e in coded["userErrors"]] == [
        ("VALIDATION_FAILED", "reasonCode")
    ]
    unsupported = await gql.raw(
        CANCEL, {"input": {"id": plain["id"], "version": 1, "reasonLocalized": {"xx_XX": "?"}}}
    )
    assert "not supported" in unsupported["errors"][0]["message"]
    assert (await gql(STATUS, {"id": plain["id"]}))["serviceJob"]["status"] == "OPEN"


async def test_a_marketplace_job_keeps_its_reason_code_apart(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    missing = await cancel(gql, job_["id"], reason="no code")
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [
        ("VALIDATION_FAILED", "reasonCode")
    ]
    payload = await cancel(
        gql, job_["id"], reasonCode="S1", reasonLocalized={"de_DE": "Kunde nicht da"}
    )
    assert payload["userErrors"] == []
    assert payload["serviceJob"]["statusInformation"] == {
        "status": "CANCELLED",
        "reason": "S1: Customer didn't show up.",
        "cancelReason": {
            "reason": "S1: Customer didn't show up.",
            "reasonLocalized": {"de_DE": "Kunde nicht da"},
            "reasonCode": "S1",
        },
    }


async def test_status_information_reason_is_deprecated_not_removed(gql: GraphQLClient) -> None:
    fields = {f["name"]: f for f in (await gql(DEPRECATED))["__type"]["fields"]}
    assert fields["reason"]["isDeprecated"] is True
    assert "cancelReason" in fields["reason"]["deprecationReason"]
    assert fields["cancelReason"]["isDeprecated"] is False


async def test_a_job_names_its_tenant_custom_service_id_as_it_was_made(gql: GraphQLClient) -> None:
    service_id = await service(gql, "install")
    made = await job(gql, service_id)
    renamed = await gql(
        UPDATE_SERVICE,
        {"input": {"id": service_id, "version": 1, "tenantCustomServiceId": "install-v2"}},
    )
    assert renamed["updateCustomService"]["userErrors"] == []
    later = await job(gql, service_id)
    old = (await gql(SHAPE, {"id": made["id"]}))["serviceJob"]
    new = (await gql(SHAPE, {"id": later["id"]}))["serviceJob"]
    assert (old["customServiceRef"], old["tenantCustomServiceId"]) == (service_id, "install")
    assert (new["customServiceRef"], new["tenantCustomServiceId"]) == (service_id, "install-v2")


async def test_a_jobs_questions_carry_their_description(gql: GraphQLClient) -> None:
    service_id = await service(
        gql,
        "embroidery",
        additionalInformation=[
            {
                "nameLocalized": {"en_US": "Threads"},
                "descriptionLocalized": {"en_US": "Count them", "de_DE": "Zählen"},
                "valueType": "NUMBER",
                "tenantAdditionalInformationId": "threads",
            },
            {
                "nameLocalized": {"en_US": "Note"},
                "valueType": "STRING",
                "tenantAdditionalInformationId": "note",
            },
        ],
    )
    made = await job(gql, service_id)
    questions = (await gql(SHAPE, {"id": made["id"]}))["serviceJob"]["additionalInformation"]
    assert questions == [
        {
            "tenantAdditionalInformationId": "threads",
            "descriptionLocalized": {"en_US": "Count them", "de_DE": "Zählen"},
            "description": "Count them",
            "de": "Zählen",
        },
        {
            "tenantAdditionalInformationId": "note",
            "descriptionLocalized": None,
            "description": None,
            "de": None,
        },
    ]
