"""assignAppointmentResources (seed 000, DOMAIN §7): the resources of an ACTIVE appointment are
set without rescheduling it, so the technician who did the work can be recorded."""

from __future__ import annotations

from typing import Any

from tests.support.closeout import FULFILL, appointment, marketplace_job
from tests.support.graphql import GraphQLClient

ASSIGN = """mutation($input: AssignAppointmentResourcesInput!) {
  assignAppointmentResources(input: $input) {
    appointment { appointmentId status version rescheduledAppointmentId
      appointmentTime { startTime durationInMinutes } assignedTechnicians { technicianId name } }
    userErrors { code message field currentVersion } } }"""
RESCHEDULE = """mutation($input: RescheduleAppointmentInput!) {
  rescheduleAppointment(input: $input) {
    appointment { appointmentId } userErrors { code field } } }"""
APPOINTMENTS = """query($id: ID!) { serviceJob(id: $id) { appointments {
  appointmentId status version assignedTechnicians { technicianId name } } } }"""
START = "2026-11-20T09:05:00Z"
END = "2026-11-20T10:40:00Z"


async def assign(
    gql: GraphQLClient, job_id: str, appointment_id: str, *resources: str, **extra: Any
) -> dict[str, Any]:
    data = await gql(
        ASSIGN,
        {
            "input": {
                "serviceJobId": job_id,
                "appointmentId": appointment_id,
                "resources": [{"resourceId": r} for r in resources],
                **extra,
            }
        },
    )
    payload: dict[str, Any] = data["assignAppointmentResources"]
    return payload


async def listed(gql: GraphQLClient, job_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await gql(APPOINTMENTS, {"id": job_id}))["serviceJob"][
        "appointments"
    ]
    return found


def errors(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_resources_change_without_a_reschedule_and_can_then_be_recorded(
    gql: GraphQLClient,
) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])  # tech-1 (Ada)
    payload = await assign(gql, job_["id"], visit["appointmentId"], "tech-2", "tech-1")
    assert payload["userErrors"] == []
    assert payload["appointment"] == {
        "appointmentId": visit["appointmentId"],
        "status": "ACTIVE",
        "version": visit["version"] + 1,
        "rescheduledAppointmentId": None,
        "appointmentTime": {"startTime": "2026-11-20T09:00:00+00:00", "durationInMinutes": 120},
        "assignedTechnicians": [
            {"technicianId": "tech-2", "name": None},
            {"technicianId": "tech-1", "name": "Ada"},
        ],
    }
    assert [a["appointmentId"] for a in await listed(gql, job_["id"])] == [visit["appointmentId"]]

    # The technician who did the work, assigned only now, is recorded as such.
    recorded = (
        await gql(
            FULFILL,
            {
                "input": {
                    "serviceJobId": job_["id"],
                    "appointmentId": visit["appointmentId"],
                    "fulfillmentTime": {"startTime": START, "endTime": END},
                    "appointmentResources": [{"resourceId": "tech-2"}],
                }
            },
        )
    )["setAppointmentFulfillmentData"]
    assert recorded["userErrors"] == []
    assert recorded["appointment"]["appointmentResources"] == ["tech-2"]

    # A resource recorded as having done the work stays assigned.
    dropped = await assign(gql, job_["id"], visit["appointmentId"], "tech-1")
    assert errors(dropped) == [("VALIDATION_FAILED", "resources")]
    assert "tech-2" in dropped["userErrors"][0]["message"]


async def test_a_stale_version_is_a_conflict_and_changes_nothing(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    first = await assign(gql, job_["id"], visit["appointmentId"], "tech-2", version=1)
    assert first["userErrors"] == [] and first["appointment"]["version"] == 2
    stale = await assign(gql, job_["id"], visit["appointmentId"], "tech-3", version=1)
    assert stale["appointment"] is None
    assert [(e["code"], e["field"], e["currentVersion"]) for e in stale["userErrors"]] == [
        ("VERSION_CONFLICT", "version", 2)
    ]
    (kept,) = await listed(gql, job_["id"])
    assert kept["assignedTechnicians"] == [{"technicianId": "tech-2", "name": None}]


async def test_only_an_active_appointment_takes_resources(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    old = await appointment(gql, job_["id"])
    moved = await gql(
        RESCHEDULE,
        {
            "input": {
                "serviceJobId": job_["id"],
                "appointmentId": old["appointmentId"],
                "version": old["version"],
                "reasonCode": "CUSTOMER_REQUESTED",
                "appointmentTime": {"startTime": "2026-11-21T09:00:00Z", "durationInMinutes": 60},
            }
        },
    )
    assert moved["rescheduleAppointment"]["userErrors"] == []
    refused = await assign(gql, job_["id"], old["appointmentId"], "tech-2")
    assert refused["appointment"] is None
    assert errors(refused) == [("INVALID_TRANSITION", "appointmentId")]
    assert "CANCELLED" in refused["userErrors"][0]["message"]
    cancelled, active = await listed(gql, job_["id"])
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["assignedTechnicians"] == [{"technicianId": "tech-1", "name": "Ada"}]
    assert active["status"] == "ACTIVE"


async def test_the_list_is_bounded_and_checked_as_a_whole(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    where = visit["appointmentId"]
    assert errors(await assign(gql, job_["id"], where)) == [("VALIDATION_FAILED", "resources")]
    assert errors(await assign(gql, job_["id"], where, "tech-2", " ", "tech-2")) == [
        ("VALIDATION_FAILED", "resources.1.resourceId"),
        ("VALIDATION_FAILED", "resources.2.resourceId"),
    ]
    many = [f"tech-{i}" for i in range(21)]
    assert errors(await assign(gql, job_["id"], where, *many)) == [("LIMIT_EXCEEDED", "resources")]
    long_id = await gql.raw(
        ASSIGN,
        {
            "input": {
                "serviceJobId": job_["id"],
                "appointmentId": where,
                "resources": [{"resourceId": "x" * 256}],
            }
        },
    )
    assert long_id["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    (unchanged,) = await listed(gql, job_["id"])
    assert unchanged["version"] == visit["version"]


async def test_ids_the_caller_may_not_see_answer_like_unknown_ones(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    other_job = await marketplace_job(gql, "heavybulky")
    unknown_job = await assign(gql, "no-such-job", visit["appointmentId"], "tech-2")
    unknown_visit = await assign(gql, job_["id"], "no-such-appointment", "tech-2")
    assert errors(unknown_job) == [("NOT_FOUND", "serviceJobId")]
    assert errors(unknown_visit) == [("NOT_FOUND", "appointmentId")]

    def like(payload: dict[str, Any], unknown: dict[str, Any], ident: str, gone: str) -> None:
        assert payload["appointment"] is None
        assert [
            {**e, "message": e["message"].replace(ident, gone)} for e in payload["userErrors"]
        ] == unknown["userErrors"]

    for intruder in (gql.as_tenant("globex"), gql.as_tenant(gql.tenant or "", ["fac-2"])):
        seen = await assign(intruder, job_["id"], visit["appointmentId"], "tech-2")
        like(seen, unknown_job, job_["id"], "no-such-job")
    # another job's appointment, through a job the caller sees
    wrong = await assign(gql, other_job["id"], visit["appointmentId"], "tech-2")
    like(wrong, unknown_visit, visit["appointmentId"], "no-such-appointment")
    (unchanged,) = await listed(gql, job_["id"])
    assert unchanged["version"] == visit["version"]
    assert unchanged["assignedTechnicians"] == [{"technicianId": "tech-1", "name": "Ada"}]


async def test_an_ended_job_takes_no_resources(gql: GraphQLClient) -> None:
    # Obsolete leaves the appointment ACTIVE (only cancel and complete close it).
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    ended = await gql(
        """mutation($input: ObsoleteServiceJobInput!) { obsoleteServiceJob(input: $input) {
             userErrors { code } } }""",
        {"input": {"id": job_["id"], "version": 1}},
    )
    assert ended["obsoleteServiceJob"]["userErrors"] == []
    refused = await assign(gql, job_["id"], visit["appointmentId"], "tech-2")
    assert errors(refused) == [("INVALID_TRANSITION", "serviceJobId")]
    (unchanged,) = await listed(gql, job_["id"])
    assert (unchanged["status"], unchanged["version"]) == ("ACTIVE", visit["version"])
