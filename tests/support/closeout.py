"""Builders for the close-out flow: a marketplace job with an appointment, and uploads."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update

from app import crypto
from app.db import tables
from app.db.engine import SessionFactory
from app.db.types import utcnow
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, get_job, service

ORDER = """mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { serviceJobs { id } } userErrors { code message field } } }"""

DE = "A1PA6795UKMFR9"
PDF = b"%PDF-1.4\n" + b"proof of appointment " * 70 + b"\n%%EOF\n"

ADD_APPOINTMENT = """mutation($input: AddAppointmentInput!) { addAppointment(input: $input) {
  appointment { appointmentId status version assignedTechnicians { technicianId } }
  userErrors { code message field } } }"""
DESTINATION = """mutation($input: CreateServiceDocumentUploadDestinationInput!) {
  createServiceDocumentUploadDestination(input: $input) {
    uploadDestination { uploadDestinationId url expiresAt
      encryptionDetails { standard key initializationVector } }
    userErrors { code message field } } }"""
FULFILL = """mutation($input: SetAppointmentFulfillmentDataInput!) {
  setAppointmentFulfillmentData(input: $input) {
    appointment { appointmentId status fulfillmentTime { startTime endTime }
      estimatedArrivalTime { startTime endTime } appointmentResources
      fulfillmentDocuments { uploadDestinationId contentType contentLength contentSha256 } }
    userErrors { code message field } } }"""


async def marketplace_job(
    gql: GraphQLClient, service_type: str | None = None, marketplace: str = DE
) -> dict[str, Any]:
    """The one job of a marketplace order `order-<serviceType>-<marketplace>`."""
    tenant_id = f"install-{service_type or 'default'}-{marketplace}"
    await service(gql, tenant_id)
    data = await gql(
        ORDER,
        {
            "input": {
                "tenantOrderId": f"order-{service_type}-{marketplace}",
                "facilityId": "fac-1",
                "targetTime": TARGET,
                "marketplaceId": marketplace,
                "serviceType": service_type,
                "customServices": [
                    {"customServiceDefinition": {"tenantCustomServiceId": tenant_id}}
                ],
            }
        },
    )
    assert data["createOrder"]["userErrors"] == []
    (made,) = data["createOrder"]["order"]["serviceJobs"]
    return await get_job(gql, made["id"])


async def appointment(gql: GraphQLClient, job_id: str) -> dict[str, Any]:
    data = await gql(
        ADD_APPOINTMENT,
        {
            "input": {
                "serviceJobId": job_id,
                "appointmentTime": {"startTime": "2026-11-20T09:00:00Z", "durationInMinutes": 120},
                "assignedTechnicians": [{"technicianId": "tech-1", "name": "Ada"}],
            }
        },
    )
    payload = data["addAppointment"]
    assert payload["userErrors"] == []
    created: dict[str, Any] = payload["appointment"]
    return created


@dataclass
class Destination:
    id: str
    url: str
    key: bytes
    iv: bytes


async def destination(
    gql: GraphQLClient, content_type: str = "PDF", length: int = len(PDF)
) -> Destination:
    data = await gql(DESTINATION, {"input": {"contentType": content_type, "contentLength": length}})
    payload = data["createServiceDocumentUploadDestination"]
    assert payload["userErrors"] == []
    made = payload["uploadDestination"]
    details = made["encryptionDetails"]
    assert details["standard"] == "AES"
    return Destination(
        made["uploadDestinationId"],
        made["url"],
        base64.b64decode(details["key"]),
        base64.b64decode(details["initializationVector"]),
    )


async def put(
    http: httpx.AsyncClient, dest: Destination, body: bytes, mime: str = "application/pdf"
) -> httpx.Response:
    path = urlsplit(dest.url).path
    return await http.put(path, content=body, headers={"Content-Type": mime})


async def uploaded(
    gql: GraphQLClient, http: httpx.AsyncClient, document: bytes = PDF
) -> tuple[Destination, str]:
    """A destination with `document` uploaded encrypted; returns it and the digest."""
    dest = await destination(gql, length=len(document))
    encrypted = crypto.encrypt(dest.key, dest.iv, document)
    response = await put(http, dest, encrypted)
    assert response.status_code == 200, response.text
    return dest, crypto.sha256_base64(encrypted)


async def store_unchecked(db: SessionFactory, dest: Destination, data: bytes) -> str:
    """Stores `data` as the destination's upload without the checks of the upload url, as an
    upload stored before they existed (or a row altered in the database); returns the digest."""
    digest = crypto.sha256_base64(data)
    async with db() as session:
        await session.exec(
            update(tables.UploadDestination)
            .where(tables.UploadDestination.id == dest.id)  # type: ignore[arg-type]
            .values(data=data, content_sha256=digest, uploaded_at=utcnow())
        )
        await session.commit()
    return digest
