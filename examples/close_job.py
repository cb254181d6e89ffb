"""Close a marketplace service job as the "Close service jobs" guide describes, against a
running gateway.

    .venv/bin/python -m app serve &                       # the sample data has fac-berlin-mitte
    TOKEN=$(.venv/bin/python -m app token --tenant demo)
    .venv/bin/python examples/close_job.py --url http://127.0.0.1:8000 --token "$TOKEN"

Steps: make (or reuse) an installation service connected to the facility, order it on the German
marketplace, add an appointment and start the job; create an upload destination, encrypt a PDF
with AES-256-CBC (PKCS#7), PUT it to the signed url, record the fulfilment data with the SHA-256
of the encrypted bytes, finish the job, and download the document again to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FACILITY = "fac-berlin-mitte"
MARKETPLACE_DE = "A1PA6795UKMFR9"
SERVICE = "example-installation"


def sample_pdf() -> bytes:
    """A small valid one-page PDF saying what it is."""
    text = b"BT /F1 18 Tf 72 720 Td (Proof of appointment) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def encrypt(key: bytes, iv: bytes, plain: bytes) -> bytes:
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


class Gateway:
    def __init__(self, http: httpx.AsyncClient, token: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}"}

    async def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    async def mutate(self, name: str, query: str, **input: Any) -> dict[str, Any]:
        payload: dict[str, Any] = (await self.gql(query, input=input))[name]
        if payload["userErrors"]:
            raise RuntimeError(f"{name} refused: {payload['userErrors']}")
        return payload


async def ensure_service(gateway: Gateway) -> None:
    found = await gateway.gql(
        "query($id: String) { customServices(filter: {tenantCustomServiceId: $id}) "
        "{ totalCount } }",
        id=SERVICE,
    )
    if found["customServices"]["totalCount"]:
        return
    created = await gateway.mutate(
        "createCustomService",
        "mutation($input: CreateCustomServiceInput!) { createCustomService(input: $input) "
        "{ customService { id } userErrors { code message field } } }",
        tenantCustomServiceId=SERVICE,
        nameLocalized={"en_US": "Appliance installation", "de_DE": "Geräteinstallation"},
        executionTimeInMin=90,
    )
    await gateway.mutate(
        "createFacilityCustomServiceConnection",
        "mutation($input: CreateFacilityCustomServiceConnectionInput!) { "
        "createFacilityCustomServiceConnection(input: $input) { "
        "facilityCustomServiceConnection { id } userErrors { code message field } } }",
        facilityId=FACILITY,
        customServiceId=created["customService"]["id"],
    )


async def close_job(http: httpx.AsyncClient, token: str, say: Any = print) -> dict[str, Any]:
    """Run every step; returns what the last steps saw (for tests)."""
    gateway = Gateway(http, token)
    await ensure_service(gateway)
    order_id = f"example-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    ordered = await gateway.mutate(
        "createOrder",
        "mutation($input: CreateOrderInput!) { createOrder(input: $input) { "
        "order { serviceJobs { id version } } userErrors { code message field } } }",
        tenantOrderId=order_id,
        facilityId=FACILITY,
        targetTime=(now + timedelta(days=1)).isoformat(),
        marketplaceId=MARKETPLACE_DE,
        customServices=[{"customServiceDefinition": {"tenantCustomServiceId": SERVICE}}],
    )
    job = ordered["order"]["serviceJobs"][0]
    say(f"1. order {order_id}: service job {job['id']}")

    visit = await gateway.mutate(
        "addAppointment",
        "mutation($input: AddAppointmentInput!) { addAppointment(input: $input) { "
        "appointment { appointmentId } userErrors { code message field } } }",
        serviceJobId=job["id"],
        appointmentTime={
            "startTime": (now - timedelta(hours=2)).isoformat(),
            "durationInMinutes": 120,
        },
        assignedTechnicians=[{"technicianId": "tech-7", "name": "Grace"}],
    )
    appointment_id = visit["appointment"]["appointmentId"]
    started = await gateway.mutate(
        "startServiceJob",
        "mutation($input: ServiceJobActionInput!) { startServiceJob(input: $input) { "
        "serviceJob { version status } userErrors { code message field } } }",
        id=job["id"],
        version=job["version"],
    )
    say(f"2. appointment {appointment_id}; job {started['serviceJob']['status']}")

    document = sample_pdf()
    made = await gateway.mutate(
        "createServiceDocumentUploadDestination",
        "mutation($input: CreateServiceDocumentUploadDestinationInput!) { "
        "createServiceDocumentUploadDestination(input: $input) { uploadDestination { "
        "uploadDestinationId url encryptionDetails { key initializationVector } } "
        "userErrors { code message field } } }",
        contentType="PDF",
        contentLength=len(document),
        contentMD5=base64.b64encode(hashlib.md5(document).digest()).decode(),
    )
    destination = made["uploadDestination"]
    key = base64.b64decode(destination["encryptionDetails"]["key"])
    iv = base64.b64decode(destination["encryptionDetails"]["initializationVector"])
    encrypted = encrypt(key, iv, document)
    digest = base64.b64encode(hashlib.sha256(encrypted).digest()).decode()
    url = urlsplit(destination["url"])
    put = await http.put(url.path, content=encrypted, headers={"Content-Type": "application/pdf"})
    put.raise_for_status()
    say(f"3. uploaded {len(encrypted)} encrypted bytes, sha256 {digest}")

    recorded = await gateway.mutate(
        "setAppointmentFulfillmentData",
        "mutation($input: SetAppointmentFulfillmentDataInput!) { "
        "setAppointmentFulfillmentData(input: $input) { appointment { "
        "fulfillmentDocuments { uploadDestinationId } } userErrors { code message field } } }",
        serviceJobId=job["id"],
        appointmentId=appointment_id,
        estimatedArrivalTime={
            "startTime": (now - timedelta(hours=2, minutes=10)).isoformat(),
            "endTime": (now - timedelta(hours=1, minutes=50)).isoformat(),
        },
        fulfillmentTime={
            "startTime": (now - timedelta(hours=2)).isoformat(),
            "endTime": (now - timedelta(minutes=5)).isoformat(),
        },
        appointmentResources=[{"resourceId": "tech-7"}],
        fulfillmentDocuments=[
            {"uploadDestinationId": destination["uploadDestinationId"], "contentSha256": digest}
        ],
    )
    say(f"4. fulfilment data recorded: {recorded['appointment']['fulfillmentDocuments']}")

    finished = await gateway.mutate(
        "finishServiceJob",
        "mutation($input: ServiceJobActionInput!) { finishServiceJob(input: $input) { "
        "serviceJob { status appointments { status } } userErrors { code message field } } }",
        id=job["id"],
        version=started["serviceJob"]["version"],
    )
    order = await gateway.gql(
        "query($id: String!) { order(tenantOrderId: $id) { status } }", id=order_id
    )
    say(f"5. job {finished['serviceJob']['status']}, order {order['order']['status']}")

    download = await http.get(
        f"/documents/{destination['uploadDestinationId']}", headers=gateway.headers
    )
    download.raise_for_status()
    same = download.content == document
    say(f"6. downloaded {len(download.content)} bytes, identical to the original: {same}")
    return {
        "job": finished["serviceJob"],
        "order": order["order"],
        "identical": same,
    }


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True, help="python -m app token --tenant demo")
    args = parser.parse_args(argv)
    async with httpx.AsyncClient(base_url=args.url, timeout=30) as http:
        result = await close_job(http, args.token)
    return 0 if result["identical"] and result["job"]["status"] == "FINISHED" else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
