"""Hostile inputs are the client's error: dates that overflow in UTC or have no zone, custom
attributes past their bounds, token claims longer than the columns that store them, and racing
writes of one unique value. Each ends as BAD_REQUEST, UNAUTHENTICATED or a CONFLICT userError,
never INTERNAL_SERVER_ERROR, and nothing is written."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import jwt
import orjson
import pytest
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import MAX_FACILITY_LENGTH, MAX_SUBJECT_LENGTH, MAX_TENANT_LENGTH
from tests.support.closeout import DESTINATION, FULFILL, appointment, marketplace_job
from tests.support.graphql import GraphQLClient, codes
from tests.support.jobs import CONNECT, CREATE_JOB, CREATE_SERVICE, TARGET, job, service

OVERFLOWING = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
NAIVE = "2026-12-01T10:00:00"

ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { tenantOrderId } userErrors { code message field } } }"""
ORDER_OF = "query($id: String!) { order(tenantOrderId: $id) { tenantOrderId } }"
JOBS = """query($filter: ServiceJobFilterInput) { serviceJobs(filter: $filter) {
  totalCount nodes { id } } }"""
TARGET_TIME = """mutation($input: AddServiceJobTargetTimeInput!) {
  addServiceJobTargetTime(input: $input) {
    serviceJob { version targetTime } userErrors { code message field } } }"""
APPOINTMENTS = """query($id: ID!) { serviceJob(id: $id) { appointments {
  appointmentId estimatedArrivalTime { startTime } fulfillmentTime { startTime } } } }"""
ADD_APPOINTMENT = """mutation($input: AddAppointmentInput!) { addAppointment(input: $input) {
  appointment { appointmentId } userErrors { code message field } } }"""
SERVICES = "{ customServices { totalCount } }"
UPDATE_SERVICE = """mutation($input: UpdateCustomServiceInput!) {
  updateCustomService(input: $input) {
    customService { version customAttributes } userErrors { code message field } } }"""
SERVICE_OF = "query($id: ID!) { customService(id: $id) { version customAttributes } }"
CREATE_LITERAL = """mutation { createCustomService(input: {nameLocalized: {en_US: "X"}}) {
  userErrors { code } } }"""


def order_input(order_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "tenantOrderId": order_id,
        "facilityId": "fac-1",
        "targetTime": TARGET,
        "customServices": [{"customServiceDefinition": {"tenantCustomServiceId": "step"}}],
        **fields,
    }


def bad_request(errors: list[dict[str, Any]], *words: str) -> None:
    assert codes(errors) == ["BAD_REQUEST"], errors
    for word in words:
        assert word in errors[0]["message"], errors[0]["message"]


# --- DateTime: a zone is required, and the moment must exist in UTC -----------------------------


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_an_order_whose_target_time_overflows_in_utc_is_refused(
    gql: GraphQLClient, moment: str
) -> None:
    await service(gql, "step")
    errors = await gql.errors(ORDER, {"input": order_input("o-1", targetTime=moment)})
    bad_request(errors, "UTC")
    literal = await gql.errors(
        f"""mutation {{ createOrder(input: {{tenantOrderId: "o-1", facilityId: "fac-1",
          targetTime: "{moment}",
          customServices: [{{customServiceDefinition: {{tenantCustomServiceId: "step"}}}}]}}) {{
          userErrors {{ code }} }} }}"""
    )
    bad_request(literal, "UTC")
    assert (await gql(ORDER_OF, {"id": "o-1"}))["order"] is None
    assert (await gql(JOBS))["serviceJobs"]["totalCount"] == 0


@pytest.mark.parametrize("moment", OVERFLOWING)
async def test_job_target_times_and_appointments_that_overflow_in_utc_are_refused(
    gql: GraphQLClient, moment: str
) -> None:
    step = await service(gql, "step")
    errors = await gql.errors(
        CREATE_JOB,
        {"input": {"customServiceRef": step, "facilityRef": "fac-1", "targetTime": moment}},
    )
    bad_request(errors, "UTC")
    made = await job(gql, step)
    errors = await gql.errors(
        TARGET_TIME, {"input": {"id": made["id"], "version": 1, "targetTime": moment}}
    )
    bad_request(errors, "UTC")
    literal = await gql.errors(
        f"""mutation {{ addServiceJobTargetTime(input: {{id: "{made["id"]}", version: 1,
          targetTime: "{moment}"}}) {{ userErrors {{ code }} }} }}"""
    )
    bad_request(literal, "UTC")
    assert (await gql(JOBS))["serviceJobs"]["totalCount"] == 1

    marketplace = await marketplace_job(gql)
    visit = await appointment(gql, marketplace["id"])
    errors = await gql.errors(
        ADD_APPOINTMENT,
        {
            "input": {
                "serviceJobId": marketplace["id"],
                "appointmentTime": {"startTime": moment, "durationInMinutes": 60},
            }
        },
    )
    bad_request(errors, "UTC")
    for part in ("estimatedArrivalTime", "fulfillmentTime"):
        fulfilment = {
            "serviceJobId": marketplace["id"],
            "appointmentId": visit["appointmentId"],
            part: {"startTime": moment, "endTime": "2026-11-20T10:00:00Z"},
        }
        bad_request(await gql.errors(FULFILL, {"input": fulfilment}), "UTC")
    (only,) = (await gql(APPOINTMENTS, {"id": marketplace["id"]}))["serviceJob"]["appointments"]
    assert only == {
        "appointmentId": visit["appointmentId"],
        "estimatedArrivalTime": None,
        "fulfillmentTime": None,
    }


@pytest.mark.parametrize("moment", [*OVERFLOWING, NAIVE])
@pytest.mark.parametrize("bound", ["targetTimeFrom", "targetTimeTo"])
async def test_a_job_filter_with_an_overflowing_or_zoneless_time_is_a_bad_request(
    gql: GraphQLClient, moment: str, bound: str
) -> None:
    await job(gql, await service(gql, "step"))
    word = "zone" if moment == NAIVE else "UTC"
    bad_request(await gql.errors(JOBS, {"filter": {bound: moment}}), word)
    literal = f'{{ serviceJobs(filter: {{{bound}: "{moment}"}}) {{ totalCount }} }}'
    bad_request(await gql.errors(literal), word)


async def test_a_time_without_a_zone_is_refused_in_every_input(gql: GraphQLClient) -> None:
    step = await service(gql, "step")
    bad_request(await gql.errors(ORDER, {"input": order_input("o-1", targetTime=NAIVE)}), "zone")
    errors = await gql.errors(
        CREATE_JOB,
        {"input": {"customServiceRef": step, "facilityRef": "fac-1", "targetTime": NAIVE}},
    )
    bad_request(errors, "zone")
    bad_request(await gql.errors(JOBS, {"filter": {"targetTimeFrom": "2026-12-01"}}), "zone")
    assert (await gql(JOBS))["serviceJobs"]["totalCount"] == 0


async def test_times_at_the_ends_of_the_utc_range_and_with_offsets_are_accepted(
    gql: GraphQLClient,
) -> None:
    step = await service(gql, "step")
    early = await job(gql, step, targetTime="0001-01-01T00:00:00Z")
    late = await job(gql, step, targetTime="9999-12-31T23:59:59.999999+00:00")
    await job(gql, step, targetTime="2026-12-01T10:00:00+14:00")
    found = await gql(
        JOBS,
        {
            "filter": {
                "targetTimeFrom": "0001-01-01T01:00:00+01:00",
                "targetTimeTo": "1000-01-01T00:00:00Z",
            }
        },
    )
    assert found["serviceJobs"]["nodes"] == [{"id": early["id"]}]
    found = await gql(JOBS, {"filter": {"targetTimeFrom": "9999-12-31T23:59:59Z"}})
    assert found["serviceJobs"]["nodes"] == [{"id": late["id"]}]


# --- customAttributes: bounded in depth and in number range -------------------------------------


def nested(depth: int) -> dict[str, Any]:
    """An object `depth` levels deep: {"a": {"a": … {"a": 1}}}."""
    value: dict[str, Any] = {"a": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


#: Values every JSON body parser hands over as they are (orjson reads an integer past 64 bits
#: unsigned as a float: see the test of 10^40 below).
HOSTILE_ATTRIBUTES = [
    pytest.param({"big": 2**63}, "64-bit", id="int-2^63"),
    pytest.param({"list": [[[1, [2**64 - 1]]]]}, "64-bit", id="int-in-a-list"),
    pytest.param(nested(11), "10 levels", id="nested-11"),
    pytest.param({"l": [[[[[[[[[[[1]]]]]]]]]]]}, "10 levels", id="lists-11"),
]


@pytest.mark.parametrize(("attributes", "word"), HOSTILE_ATTRIBUTES)
async def test_custom_attributes_past_their_bounds_are_a_bad_request_everywhere(
    gql: GraphQLClient, attributes: dict[str, Any], word: str
) -> None:
    step = await service(gql, "step")
    name = {"en_US": "X"}
    errors = await gql.errors(
        CREATE_SERVICE,
        {
            "input": {
                "nameLocalized": name,
                "tenantCustomServiceId": "x",
                "customAttributes": attributes,
            }
        },
    )
    bad_request(errors, word)
    assert (await gql(SERVICES))["customServices"]["totalCount"] == 1
    errors = await gql.errors(
        UPDATE_SERVICE, {"input": {"id": step, "version": 1, "customAttributes": attributes}}
    )
    bad_request(errors, word)
    assert (await gql(SERVICE_OF, {"id": step}))["customService"] == {
        "version": 1,
        "customAttributes": None,
    }
    job_input = {"customServiceRef": step, "facilityRef": "fac-1", "targetTime": TARGET}
    errors = await gql.errors(CREATE_JOB, {"input": {**job_input, "customAttributes": attributes}})
    bad_request(errors, word)
    item = {"article": {"tenantArticleId": "a"}, "quantity": 1, "customAttributes": attributes}
    errors = await gql.errors(CREATE_JOB, {"input": {**job_input, "lineItems": [item]}})
    bad_request(errors, word)
    assert (await gql(JOBS))["serviceJobs"]["totalCount"] == 0


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param({"big": 10**40}, id="int-10^40"),
        pytest.param({"small": -(2**63) - 1}, id="int-below-64-bit"),
        pytest.param(nested(255), id="nested-255"),
    ],
)
async def test_custom_attributes_in_variables_never_crash_whatever_reads_the_body(
    gql: GraphQLClient, attributes: dict[str, Any]
) -> None:
    """A body parser may refuse these (BAD_REQUEST, HTTP 400 or 200) or read a long integer as
    the float JSON makes of it; the scalar refuses what reaches it unbounded."""
    create = {"input": {"nameLocalized": {"en_US": "X"}, "customAttributes": attributes}}
    response = await gql.http.post(
        "/graphql",
        json={"query": CREATE_SERVICE, "variables": create},
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if body.get("errors"):
        assert codes(body["errors"]) == ["BAD_REQUEST"], body
        assert (await gql(SERVICES))["customServices"]["totalCount"] == 0
        return
    (value,) = attributes.values()
    assert isinstance(value, int), body
    made = body["data"]["createCustomService"]["customService"]["id"]
    stored = (await gql(SERVICE_OF, {"id": made}))["customService"]["customAttributes"]
    assert stored == {key: float(value) for key in attributes}


@pytest.mark.parametrize(
    ("literal", "word"),
    [
        ("{big: 10000000000000000000000000000000000000000}", "64-bit"),
        ("{huge: 1e400}", "finite"),
        ("{a: " * 11 + "1" + "}" * 11, "10 levels"),
        ("{a: " * 255 + "1" + "}" * 255, "nested"),
    ],
    ids=["int-10^40", "float-1e400", "nested-11", "nested-255"],
)
async def test_custom_attributes_written_in_the_query_are_bounded_too(
    gql: GraphQLClient, literal: str, word: str
) -> None:
    errors = await gql.errors(
        f"""mutation {{ createCustomService(input: {{nameLocalized: {{en_US: "X"}},
          customAttributes: {literal}}}) {{ userErrors {{ code }} }} }}"""
    )
    bad_request(errors, word)
    assert (await gql(SERVICES))["customServices"]["totalCount"] == 0


async def test_custom_attributes_at_their_bounds_are_stored_as_given(gql: GraphQLClient) -> None:
    attributes = {
        "deep": nested(9),
        "max": 2**63 - 1,
        "min": -(2**63),
        "float": 1e300,
        "list": [[[[[[[[[1]]]]]]]]],
    }
    step = await service(gql, "step", customAttributes=attributes)
    stored = (await gql(SERVICE_OF, {"id": step}))["customService"]["customAttributes"]
    assert stored == attributes


# --- Token claims no longer than the columns that store them ------------------------------------


def token(gql: GraphQLClient, **claims: Any) -> GraphQLClient:
    encoded = jwt.encode(
        {"sub": "someone", "exp": int(time.time()) + 300, **claims},
        gql.settings.signing_key,
        algorithm="HS256",
    )
    return gql.with_token(encoded)


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"tenant": "t" * (MAX_TENANT_LENGTH + 1)}, id="tenant"),
        pytest.param({"tenant": "acme", "sub": "s" * (MAX_SUBJECT_LENGTH + 1)}, id="sub"),
        pytest.param(
            {"tenant": "acme", "facilities": ["f" * (MAX_FACILITY_LENGTH + 1)]}, id="facility"
        ),
        pytest.param({"tenant": "ac\x00me"}, id="nul-in-tenant"),
        pytest.param({"tenant": "acme", "sub": "\ud800"}, id="surrogate-in-sub"),
    ],
)
async def test_claims_longer_than_their_columns_are_unauthenticated(
    gql: GraphQLClient, claims: dict[str, Any]
) -> None:
    caller = token(gql, **claims)
    for operation in (SERVICES, CREATE_LITERAL):
        errors = await caller.errors(operation)
        assert codes(errors) == ["UNAUTHENTICATED"], errors
        assert "claim" in errors[0]["message"]


async def test_claims_as_long_as_their_columns_can_write(gql: GraphQLClient) -> None:
    tenant, subject, facility = (
        "t" * MAX_TENANT_LENGTH,
        "s" * MAX_SUBJECT_LENGTH,
        "f" * MAX_FACILITY_LENGTH,
    )
    tenant_wide = token(gql, tenant=tenant, sub=subject)
    step = await service(tenant_wide, "step", facility=facility)
    scoped = token(gql, tenant=tenant, sub=subject, facilities=[facility, "fac-1"])
    made = await job(scoped, step, facilityRef=facility)
    assert made["facilityRef"] == facility
    marketplace = await marketplace_job(tenant_wide)
    await appointment(scoped, marketplace["id"])
    data = await scoped(DESTINATION, {"input": {"contentType": "PDF", "contentLength": 10}})
    assert data["createServiceDocumentUploadDestination"]["userErrors"] == []


async def test_claim_limits_fit_the_migrated_columns(engine: AsyncEngine) -> None:
    def lengths(connection: Connection) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {"tenant": set(), "created_by": set(), "facility_ref": set()}
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            for column in inspector.get_columns(table):
                length = getattr(column["type"], "length", None)
                if column["name"] in found and length:
                    found[column["name"]].add(length)
        return found

    async with engine.connect() as connection:
        found = await connection.run_sync(lengths)
    assert min(found["tenant"]) == MAX_TENANT_LENGTH
    assert min(found["created_by"]) == MAX_SUBJECT_LENGTH
    assert min(found["facility_ref"]) == MAX_FACILITY_LENGTH


# --- Racing unique writes: one winner, the rest CONFLICT ----------------------------------------

RACERS = 30


async def test_racing_orders_with_one_tenant_order_id_give_one_order_and_conflicts(
    gql: GraphQLClient,
) -> None:
    await service(gql, "step")
    results = await asyncio.gather(
        *(gql.raw(ORDER, {"input": order_input("o-race")}) for _ in range(RACERS))
    )
    assert [r for r in results if "errors" in r] == []
    payloads = [r["data"]["createOrder"] for r in results]
    winners = [p for p in payloads if not p["userErrors"]]
    losers = [e for p in payloads for e in p["userErrors"]]
    assert len(winners) == 1
    assert len(losers) == RACERS - 1
    assert {(e["code"], e["field"]) for e in losers} == {("CONFLICT", "tenantOrderId")}
    assert all("o-race" in e["message"] or "already" in e["message"] for e in losers)
    assert (await gql(ORDER_OF, {"id": "o-race"}))["order"] == {"tenantOrderId": "o-race"}
    assert (await gql(JOBS))["serviceJobs"]["totalCount"] == 1


async def test_racing_custom_services_with_one_tenant_id_give_one_service(
    gql: GraphQLClient,
) -> None:
    create = {"input": {"nameLocalized": {"en_US": "Step"}, "tenantCustomServiceId": "step"}}
    results = await asyncio.gather(*(gql.raw(CREATE_SERVICE, create) for _ in range(RACERS)))
    assert [r for r in results if "errors" in r] == []
    errors = [r["data"]["createCustomService"]["userErrors"] for r in results]
    assert errors.count([]) == 1
    assert {e["code"] for es in errors for e in es} == {"CONFLICT"}
    assert all("tenantCustomServiceId" in e["message"] for es in errors for e in es)
    assert (await gql(SERVICES))["customServices"]["totalCount"] == 1


async def test_racing_connections_of_one_facility_and_service_give_one_connection(
    gql: GraphQLClient,
) -> None:
    data = await gql(CREATE_SERVICE, {"input": {"nameLocalized": {"en_US": "Step"}}})
    step = data["createCustomService"]["customService"]["id"]
    connect = {"input": {"facilityId": "fac-9", "customServiceId": step}}
    results = await asyncio.gather(*(gql.raw(CONNECT, connect) for _ in range(RACERS)))
    assert [r for r in results if "errors" in r] == []
    errors = [r["data"]["createFacilityCustomServiceConnection"]["userErrors"] for r in results]
    assert errors.count([]) == 1
    assert {e["code"] for es in errors for e in es} == {"CONFLICT"}
    listed = await gql('{ facilityCustomServiceConnections(facilityId: "fac-9") { totalCount } }')
    assert listed["facilityCustomServiceConnections"]["totalCount"] == 1


# --- Cursors carry a moment and an id too -------------------------------------------------------


def cursor(created: str, ident: object) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([created, ident])).decode().rstrip("=")


@pytest.mark.parametrize(
    "after",
    [
        pytest.param(cursor("0001-01-01T00:00:00+14:00", "x"), id="overflowing-time"),
        pytest.param(cursor("2026-01-01T00:00:00", "x"), id="zoneless-time"),
        pytest.param(cursor("2026-01-01T00:00:00Z", "a\x00b"), id="nul-in-id"),
        pytest.param(cursor("2026-01-01T00:00:00Z", 5), id="number-id"),
        pytest.param(cursor("2026-01-01T00:00:00Z", "x" * 65), id="long-id"),
    ],
)
async def test_a_forged_cursor_is_a_bad_request(gql: GraphQLClient, after: str) -> None:
    for listing in ("serviceJobs", "customServices"):
        query = f"query($a: String) {{ {listing}(after: $a) {{ totalCount }} }}"
        bad_request(await gql.errors(query, {"a": after}), "cursor")


@pytest.mark.parametrize("number", [2**63, 10**30, -1])
async def test_an_event_cursor_past_the_ids_is_a_bad_request(
    gql: GraphQLClient, number: int
) -> None:
    after = base64.urlsafe_b64encode(f"event:{number}".encode()).decode()
    errors = await gql.errors(
        "query($a: String) { events(after: $a) { totalCount } }", {"a": after}
    )
    bad_request(errors, "cursor")
