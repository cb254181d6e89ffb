"""Builders for jobs and trees through the API, shared by the job, tree and order tests."""

from __future__ import annotations

from typing import Any

from tests.support.graphql import GraphQLClient

TARGET = "2026-12-01T10:00:00+00:00"

CREATE_SERVICE = """
mutation($input: CreateCustomServiceInput!) {
  createCustomService(input: $input) { customService { id } userErrors { code message } }
}"""
CONNECT = """
mutation($input: CreateFacilityCustomServiceConnectionInput!) {
  createFacilityCustomServiceConnection(input: $input) {
    facilityCustomServiceConnection { id } userErrors { code message } }
}"""
JOB_FIELDS = """
  id status version facilityRef linkedServiceJobsRef executionTimeInMin name
  requiredLineItems { quantity article { tenantArticleId } }
  lineItems { article { tenantArticleId title } quantity }
  serviceJobLink { id depth previousServiceJobLinkRef }
  statusInformation { status reason }
"""
CREATE_JOB = f"""
mutation($input: CreateServiceJobInput!) {{
  createServiceJob(input: $input) {{
    serviceJob {{ {JOB_FIELDS} }}
    userErrors {{ code message field currentVersion }}
  }}
}}"""


async def service(
    gql: GraphQLClient, tenant_id: str, facility: str = "fac-1", **fields: Any
) -> str:
    data = await gql(
        CREATE_SERVICE,
        {
            "input": {
                "nameLocalized": {"en_US": tenant_id.title()},
                "tenantCustomServiceId": tenant_id,
                **fields,
            }
        },
    )
    assert data["createCustomService"]["userErrors"] == []
    service_id: str = data["createCustomService"]["customService"]["id"]
    connected = await gql(
        CONNECT, {"input": {"facilityId": facility, "customServiceId": service_id}}
    )
    assert connected["createFacilityCustomServiceConnection"]["userErrors"] == []
    return service_id


async def create_job_payload(
    gql: GraphQLClient, service_id: str | None, **fields: Any
) -> dict[str, Any]:
    data = await gql(
        CREATE_JOB,
        {
            "input": {
                "customServiceRef": service_id,
                "facilityRef": "fac-1",
                "targetTime": TARGET,
                **fields,
            }
        },
    )
    payload: dict[str, Any] = data["createServiceJob"]
    return payload


async def job(gql: GraphQLClient, service_id: str | None, **fields: Any) -> dict[str, Any]:
    payload = await create_job_payload(gql, service_id, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    created: dict[str, Any] = payload["serviceJob"]
    return created


def line_item(article: str, title: str, quantity: int = 1) -> dict[str, Any]:
    return {"article": {"tenantArticleId": article, "title": title}, "quantity": quantity}


async def action(
    gql: GraphQLClient, name: str, job_id: str, version: int, **extra: Any
) -> dict[str, Any]:
    input_type = {
        "cancel": "CancelServiceJobInput",
        "obsolete": "ObsoleteServiceJobInput",
    }.get(name, "ServiceJobActionInput")
    data = await gql(
        f"""mutation($input: {input_type}!) {{
          {name}ServiceJob(input: $input) {{
            serviceJob {{ {JOB_FIELDS} }} userErrors {{ code message field currentVersion }}
          }} }}""",
        {"input": {"id": job_id, "version": version, **extra}},
    )
    payload: dict[str, Any] = data[f"{name}ServiceJob"]
    return payload


async def get_job(gql: GraphQLClient, job_id: str) -> dict[str, Any]:
    data = await gql(
        f"query($id: ID!) {{ serviceJob(id: $id) {{ {JOB_FIELDS} }} }}", {"id": job_id}
    )
    found: dict[str, Any] = data["serviceJob"]
    return found


async def finish(gql: GraphQLClient, job_id: str, **extra: Any) -> dict[str, Any]:
    current = await get_job(gql, job_id)
    started = await action(gql, "start", job_id, current["version"])
    assert started["userErrors"] == [], started["userErrors"]
    done = await action(gql, "finish", job_id, started["serviceJob"]["version"], **extra)
    assert done["userErrors"] == [], done["userErrors"]
    return done["serviceJob"]  # type: ignore[no-any-return]


async def tailoring_tree(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    """Seed 003's example: tailoring (shirt) → embroidery (thread) → quality check."""
    tailoring = await service(gql, "tailoring")
    embroidery = await service(gql, "embroidery")
    quality = await service(gql, "quality-check")
    q = await job(gql, quality)
    e = await job(
        gql,
        embroidery,
        serviceJobLinkRef=q["serviceJobLink"]["id"],
        lineItems=[line_item("thread-navy", "Thread")],
    )
    t = await job(
        gql,
        tailoring,
        serviceJobLinkRef=e["serviceJobLink"]["id"],
        lineItems=[line_item("100029-W", "White Shirt")],
    )
    return {"quality": q, "embroidery": e, "tailoring": t}
