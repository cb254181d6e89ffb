"""Seed 000's close-out flow through the HTTP API: appointments, encrypted uploads, fulfilment
data, completing and cancelling marketplace jobs, and every refusal the issue names."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app import crypto
from app.db.engine import SessionFactory
from tests.support.closeout import (
    DE,
    FULFILL,
    PDF,
    appointment,
    destination,
    marketplace_job,
    put,
    store_unchecked,
    uploaded,
)
from tests.support.graphql import GraphQLClient
from tests.support.jobs import action, get_job, job, service

START = "2026-11-20T09:05:00Z"
END = "2026-11-20T10:40:00Z"
ORDER = "query($id: String!) { order(tenantOrderId: $id) { status } }"
APPOINTMENTS = """query($id: ID!) { serviceJob(id: $id) { appointments {
  appointmentId status rescheduledAppointmentId rescheduleReasonCode
  fulfillmentDocuments { uploadDestinationId } } } }"""


async def fulfil(
    gql: GraphQLClient, job_id: str, appointment_id: str, **parts: Any
) -> dict[str, Any]:
    data = await gql(
        FULFILL, {"input": {"serviceJobId": job_id, "appointmentId": appointment_id, **parts}}
    )
    payload: dict[str, Any] = data["setAppointmentFulfillmentData"]
    return payload


async def started(gql: GraphQLClient, job_id: str) -> int:
    payload = await action(gql, "start", job_id, (await get_job(gql, job_id))["version"])
    assert payload["userErrors"] == []
    return int(payload["serviceJob"]["version"])


async def test_the_whole_flow_closes_the_job_its_appointment_and_its_order(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    dest, digest = await uploaded(gql, http)
    version = await started(gql, job_["id"])

    early = await action(gql, "finish", job_["id"], version)
    assert early["userErrors"][0]["code"] == "VALIDATION_FAILED"

    payload = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        estimatedArrivalTime={
            "startTime": "2026-11-20T08:50:00Z",
            "endTime": "2026-11-20T09:10:00Z",
        },
        fulfillmentTime={"startTime": START, "endTime": END},
        appointmentResources=[{"resourceId": "tech-1"}],
        fulfillmentDocuments=[{"uploadDestinationId": dest.id, "contentSha256": digest}],
    )
    assert payload["userErrors"] == []
    recorded = payload["appointment"]
    assert recorded["fulfillmentTime"] == {
        "startTime": "2026-11-20T09:05:00+00:00",
        "endTime": "2026-11-20T10:40:00+00:00",
    }
    assert recorded["fulfillmentDocuments"] == [
        {
            "uploadDestinationId": dest.id,
            "contentType": "PDF",
            "contentLength": len(PDF),
            "contentSha256": digest,
        }
    ]

    done = await action(gql, "finish", job_["id"], version)
    assert done["userErrors"] == []
    assert done["serviceJob"]["status"] == "FINISHED"
    (closed,) = (await gql(APPOINTMENTS, {"id": job_["id"]}))["serviceJob"]["appointments"]
    assert closed["status"] == "COMPLETED"
    assert (await gql(ORDER, {"id": f"order-None-{DE}"}))["order"]["status"] == "COMPLETED"
    downloaded = await http.get(
        f"/documents/{dest.id}", headers={"Authorization": f"Bearer {gql.token}"}
    )
    assert downloaded.status_code == 200
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.content == PDF


async def test_a_marketplace_job_completes_from_open_once_its_fulfilment_data_is_recorded(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # seed 000: a job in NotServiced (OPEN here) is completed without being started first.
    job_ = await marketplace_job(gql)
    assert job_["status"] == "OPEN"
    visit = await appointment(gql, job_["id"])
    early = await action(gql, "finish", job_["id"], 1)
    assert [(e["code"], e["field"]) for e in early["userErrors"]] == [("VALIDATION_FAILED", "id")]
    assert (await get_job(gql, job_["id"]))["status"] == "OPEN"

    dest, digest = await uploaded(gql, http)
    recorded = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        fulfillmentTime={"startTime": START, "endTime": END},
        fulfillmentDocuments=[{"uploadDestinationId": dest.id, "contentSha256": digest}],
    )
    assert recorded["userErrors"] == []
    done = await action(gql, "finish", job_["id"], 1)
    assert done["userErrors"] == []
    assert (done["serviceJob"]["status"], done["serviceJob"]["version"]) == ("FINISHED", 2)
    (closed,) = (await gql(APPOINTMENTS, {"id": job_["id"]}))["serviceJob"]["appointments"]
    assert closed["status"] == "COMPLETED"
    assert (await gql(ORDER, {"id": f"order-None-{DE}"}))["order"]["status"] == "COMPLETED"


async def test_a_job_without_marketplace_is_still_started_before_it_finishes(
    gql: GraphQLClient,
) -> None:
    plain = await job(gql, await service(gql, "plain"))
    refused = await action(gql, "finish", plain["id"], 1)
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("INVALID_TRANSITION", "id")
    ]
    assert "OPEN cannot finish" in refused["userErrors"][0]["message"]
    assert (await get_job(gql, plain["id"]))["status"] == "OPEN"


async def test_a_document_is_only_for_its_tenant_and_facility(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    dest, digest = await uploaded(gql, http)
    await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        fulfillmentDocuments=[{"uploadDestinationId": dest.id, "contentSha256": digest}],
    )

    def auth(client: GraphQLClient) -> dict[str, str]:
        return {"Authorization": f"Bearer {client.token}"}

    path = f"/documents/{dest.id}"
    assert (await http.get(path, headers=auth(gql.as_tenant("acme", ["fac-1"])))).status_code == 200
    assert (await http.get(path, headers=auth(gql.as_tenant("acme", ["fac-2"])))).status_code == 404
    assert (await http.get(path, headers=auth(gql.as_tenant("globex")))).status_code == 404
    assert (await http.get(path)).status_code == 401


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("forged", 403),
        ("wrong type", 415),
        ("too short", 400),
        ("too long", 400),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    gql: GraphQLClient, http: httpx.AsyncClient, change: str, status: int
) -> None:
    dest = await destination(gql)
    body = crypto.encrypt(dest.key, dest.iv, PDF)
    mime = "application/pdf"
    if change == "forged":
        dest.url = dest.url[:-3] + ("AAA" if not dest.url.endswith("AAA") else "BBB")
    elif change == "wrong type":
        mime = "image/png"
    elif change == "too short":
        body = body[:-16]
    elif change == "too long":
        body = body + b"\0" * 16
    response = await put(http, dest, body, mime)
    assert response.status_code == status, response.text
    assert response.json()["error"]
    # Nothing stored: the honest upload still works afterwards (the url is not used up).
    if change != "forged":
        assert (await put(http, dest, crypto.encrypt(dest.key, dest.iv, PDF))).status_code == 200


async def test_a_used_url_cannot_be_used_again(gql: GraphQLClient, http: httpx.AsyncClient) -> None:
    dest = await destination(gql)
    body = crypto.encrypt(dest.key, dest.iv, PDF)
    assert (await put(http, dest, body)).status_code == 200
    again = await put(http, dest, body)
    assert again.status_code == 409


async def test_an_expired_url_is_refused(
    gql: GraphQLClient, http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = await destination(gql)
    body = crypto.encrypt(dest.key, dest.iv, PDF)
    import itsdangerous.timed

    later = datetime.now(UTC) + timedelta(hours=2)
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: int(later.timestamp())
    )
    response = await put(http, dest, body)
    assert response.status_code == 410


async def test_destination_input_is_checked(gql: GraphQLClient) -> None:
    from tests.support.closeout import DESTINATION

    data = await gql(DESTINATION, {"input": {"contentType": "DOCX", "contentLength": 0}})
    errors = data["createServiceDocumentUploadDestination"]["userErrors"]
    assert [e["field"] for e in errors] == ["contentType", "contentLength"]
    too_big = await gql(DESTINATION, {"input": {"contentType": "PDF", "contentLength": 5_242_881}})
    assert too_big["createServiceDocumentUploadDestination"]["userErrors"][0]["code"] == (
        "VALIDATION_FAILED"
    )


async def test_fulfilment_data_refusals_come_back_together_and_record_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient, db: SessionFactory
) -> None:
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    dest, digest = await uploaded(gql, http)
    tampered_dest = await destination(gql)
    tampered = bytearray(crypto.encrypt(tampered_dest.key, tampered_dest.iv, PDF))
    # Flips the top bit of the last block's padding byte (CBC): always invalid padding, where
    # flipping a bit of the last block itself leaves valid padding once in 256 tries.
    tampered[-17] ^= 0x80
    # The upload url refuses it; stored anyway (as before that check), recording refuses it.
    assert (await put(http, tampered_dest, bytes(tampered))).status_code == 422
    await store_unchecked(db, tampered_dest, bytes(tampered))
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    empty = await fulfil(gql, job_["id"], visit["appointmentId"])
    assert [e["code"] for e in empty["userErrors"]] == ["VALIDATION_FAILED"]

    payload = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        estimatedArrivalTime={"startTime": START},
        fulfillmentTime={"startTime": START, "endTime": future},
        appointmentResources=[{"resourceId": "stranger"}],
        fulfillmentDocuments=[
            {"uploadDestinationId": dest.id, "contentSha256": base64.b64encode(b"x" * 32).decode()},
            {
                "uploadDestinationId": tampered_dest.id,
                "contentSha256": crypto.sha256_base64(bytes(tampered)),
            },
            {"uploadDestinationId": "ghost", "contentSha256": digest},
        ],
    )
    assert payload["appointment"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("VALIDATION_FAILED", "estimatedArrivalTime"),
        ("VALIDATION_FAILED", "fulfillmentTime.endTime"),
        ("VALIDATION_FAILED", "appointmentResources.0.resourceId"),
        ("VALIDATION_FAILED", "fulfillmentDocuments.0.contentSha256"),
        ("VALIDATION_FAILED", "fulfillmentDocuments.1.uploadDestinationId"),
        ("NOT_FOUND", "fulfillmentDocuments.2.uploadDestinationId"),
    ]
    non_utc = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        fulfillmentTime={"startTime": "2026-11-20T10:00:00+02:00"},
    )
    assert non_utc["userErrors"][0]["field"] == "fulfillmentTime.startTime"
    backwards = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        fulfillmentTime={"startTime": END, "endTime": START},
    )
    assert backwards["userErrors"][0]["field"] == "fulfillmentTime.endTime"
    (unchanged,) = (await gql(APPOINTMENTS, {"id": job_["id"]}))["serviceJob"]["appointments"]
    assert unchanged["fulfillmentDocuments"] == []

    later = await fulfil(
        gql,
        job_["id"],
        visit["appointmentId"],
        fulfillmentTime={"startTime": START, "endTime": END},
    )
    assert later["userErrors"] == []
    update = await fulfil(
        gql, job_["id"], visit["appointmentId"], appointmentResources=[{"resourceId": "tech-1"}]
    )
    assert update["appointment"]["fulfillmentTime"]["startTime"] == "2026-11-20T09:05:00+00:00"
    assert update["appointment"]["appointmentResources"] == ["tech-1"]


CODES = """query($m: String!, $t: String) { cancellationReasonCodes(marketplaceId: $m,
  serviceType: $t) { code description } }"""


async def test_reason_codes_follow_seed_000s_table(gql: GraphQLClient) -> None:
    german = [c["code"] for c in (await gql(CODES, {"m": DE}))["cancellationReasonCodes"]]
    assert german == ["S1", "S3", "S13", "S15", "S16"]
    heavy = [
        c["code"]
        for c in (await gql(CODES, {"m": DE, "t": "heavybulky"}))["cancellationReasonCodes"]
    ]
    assert heavy == ["S1", "S2", "S3", "S4", "S5", "S6"]
    assert (await gql(CODES, {"m": "nowhere"}))["cancellationReasonCodes"] == []


@pytest.mark.parametrize(
    ("service_type", "marketplace", "code", "accepted"),
    [
        (None, DE, "S1", True),
        (None, DE, "S9", False),  # a code not in use
        (None, DE, "S20", False),  # valid only in another marketplace (IN)
        (None, DE, "S2", False),  # a heavy-bulky code on a default job
        ("heavybulky", DE, "S2", True),
        ("heavybulky", "ATVPDKIKX0DER", "S16", True),
        ("heavybulky", "A21TJRUUN4KGV", "S31", False),
    ],
)
async def test_cancelling_a_marketplace_job_checks_its_reason_code(
    gql: GraphQLClient, service_type: str | None, marketplace: str, code: str, accepted: bool
) -> None:
    job_ = await marketplace_job(gql, service_type, marketplace)
    visit = await appointment(gql, job_["id"])
    payload = await action(gql, "cancel", job_["id"], 1, reasonCode=code)
    if accepted:
        assert payload["userErrors"] == []
        assert payload["serviceJob"]["statusInformation"]["reason"].startswith(f"{code}: ")
        (closed,) = (await gql(APPOINTMENTS, {"id": job_["id"]}))["serviceJob"]["appointments"]
        assert closed["status"] == "CANCELLED"
        order = (await gql(ORDER, {"id": f"order-{service_type}-{marketplace}"}))["order"]
        assert order["status"] == "CANCELLED"
    else:
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("VALIDATION_FAILED", "reasonCode")
        ]
        assert (await get_job(gql, job_["id"]))["status"] == "OPEN"
    assert visit["status"] == "ACTIVE"


async def test_a_marketplace_job_needs_a_code_and_others_a_reason(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    without = await action(gql, "cancel", job_["id"], 1, reason="no code")
    assert without["userErrors"][0]["field"] == "reasonCode"
    plain = await job(gql, await service(gql, "plain"))
    with_code = await action(gql, "cancel", plain["id"], 1, reasonCode="S1")
    assert with_code["userErrors"][0]["field"] == "reasonCode"


async def test_reschedule_makes_a_new_appointment_linked_to_the_old(gql: GraphQLClient) -> None:
    job_ = await marketplace_job(gql)
    old = await appointment(gql, job_["id"])
    data = await gql(
        """mutation($input: RescheduleAppointmentInput!) { rescheduleAppointment(input: $input) {
             appointment { appointmentId status rescheduledAppointmentId rescheduleReasonCode
               appointmentTime { startTime durationInMinutes }
               assignedTechnicians { technicianId } }
             userErrors { code field currentVersion } } }""",
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
    new = data["rescheduleAppointment"]["appointment"]
    assert new["status"] == "ACTIVE"
    assert new["rescheduledAppointmentId"] == old["appointmentId"]
    assert new["rescheduleReasonCode"] == "CUSTOMER_REQUESTED"
    assert new["assignedTechnicians"] == [{"technicianId": "tech-1"}]
    listed = (await gql(APPOINTMENTS, {"id": job_["id"]}))["serviceJob"]["appointments"]
    assert [a["status"] for a in listed] == ["CANCELLED", "ACTIVE"]
    cancelled_one = await fulfil(
        gql, job_["id"], old["appointmentId"], fulfillmentTime={"startTime": START, "endTime": END}
    )
    assert cancelled_one["userErrors"][0]["code"] == "INVALID_TRANSITION"


async def test_key_material_is_returned_once_and_never_logged(
    gql: GraphQLClient, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    with caplog.at_level(logging.DEBUG):
        job_ = await marketplace_job(gql)
        visit = await appointment(gql, job_["id"])
        dest, digest = await uploaded(gql, http)
        await fulfil(
            gql,
            job_["id"],
            visit["appointmentId"],
            fulfillmentDocuments=[{"uploadDestinationId": dest.id, "contentSha256": digest}],
        )
        listed = await gql(APPOINTMENTS, {"id": job_["id"]})
    key, iv = base64.b64encode(dest.key).decode(), base64.b64encode(dest.iv).decode()
    assert key not in caplog.text and iv not in caplog.text
    assert key not in str(listed) and iv not in str(listed)
    introspection = await gql('{ __type(name: "FulfillmentDocument") { fields { name } } }')
    names = {f["name"] for f in introspection["__type"]["fields"]}
    assert not names & {"key", "encryptionDetails", "initializationVector"}
