"""Fulfilment document uploads: destinations with fresh key material, signed single-use upload
urls served by the gateway itself, and decrypted downloads."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner
from sqlalchemy import update
from sqlmodel import col, select

from app import crypto
from app.db import tables
from app.db.engine import SessionFactory
from app.db.types import utcnow
from app.domain import fulfillment
from app.domain.access import Viewer
from app.domain.errors import Problems
from app.repositories.appointments import AppointmentRepository
from app.services import transaction

SALT = "upload-destination"
DEST = tables.UploadDestination


@dataclass(frozen=True, slots=True)
class NewDestination:
    row: tables.UploadDestination
    token: str


class UploadRefused(Exception):
    """An upload that is not stored; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Undecryptable(Exception):
    """Stored bytes that do not decrypt with their destination's key (uploads are refused
    unless they decrypt, so only a document stored before that check can be one)."""


def check_decrypts(row: tables.UploadDestination, data: bytes) -> str | None:
    """Why `data` is not the destination's document encrypted with its key (AES-256-CBC,
    PKCS#7, the announced length), or None when it is."""
    try:
        plain = crypto.decrypt(row.key, row.iv, data)
    except ValueError:
        return (
            "The document does not decrypt with its destination's key and initialization "
            "vector (AES-256-CBC, PKCS#7 padding)."
        )
    if len(plain) != row.content_length:
        return (
            f"The document decrypts to {len(plain)} bytes, not the {row.content_length} announced."
        )
    return None


def _signer(secret: str) -> TimestampSigner:
    return TimestampSigner(secret, salt=SALT)


async def create_destination(
    db: SessionFactory,
    viewer: Viewer,
    *,
    content_type: str,
    content_length: int,
    content_md5: str | None,
    ttl: timedelta,
    secret: str,
) -> NewDestination:
    problems = Problems()
    fulfillment.check_destination(content_type, content_length, problems)
    if content_md5 is not None and len(content_md5) > 64:
        problems.invalid("contentMD5 is too long.", "contentMD5")
    problems.raise_if_any()
    key, iv = crypto.new_key_material()
    row = tables.UploadDestination(
        id=str(uuid.uuid4()),
        tenant=viewer.tenant,
        created_by=viewer.subject,
        created_scope=viewer.scope_key,
        content_type=content_type,
        content_length=content_length,
        content_md5=content_md5,
        key=key,
        iv=iv,
        expires_at=utcnow() + ttl,
    )
    async with transaction(db) as session:
        session.add(row)
    return NewDestination(row=row, token=_signer(secret).sign(row.id).decode())


async def receive_upload(
    db: SessionFactory,
    *,
    token: str,
    secret: str,
    ttl: timedelta,
    content_type: str | None,
    content_length: str | None,
    body: AsyncIterator[bytes],
) -> tables.UploadDestination:
    """Store the encrypted bytes of a signed, unexpired, unused destination; anything else is
    refused with an HTTP status and nothing is stored."""
    try:
        ident = _signer(secret).unsign(token, max_age=int(ttl.total_seconds())).decode()
    except SignatureExpired as exc:
        raise UploadRefused(410, "This upload url has expired.") from exc
    except BadSignature as exc:
        raise UploadRefused(403, "This upload url is not valid.") from exc

    async with db() as session:
        row = (await session.exec(select(DEST).where(DEST.id == ident))).first()
    if row is None:
        raise UploadRefused(404, "There is no such upload destination.")
    if row.uploaded_at is not None:
        raise UploadRefused(409, "This upload url was already used.")
    if row.expires_at <= utcnow():
        raise UploadRefused(410, "This upload url has expired.")
    mime = fulfillment.MIME_TYPES[row.content_type]
    if (content_type or "").split(";")[0].strip().lower() != mime:
        raise UploadRefused(415, f"The document must be sent as {mime}.")
    expected = fulfillment.encrypted_length(row.content_length)
    if content_length is None or not content_length.isdigit():
        raise UploadRefused(411, f"Send Content-Length: {expected}.")
    if int(content_length) != expected:
        raise UploadRefused(
            400, f"The encrypted document must be exactly {expected} bytes, not {content_length}."
        )
    received = bytearray()
    async for chunk in body:
        received += chunk
        if len(received) > expected:
            raise UploadRefused(413, f"The body is longer than {expected} bytes.")
    if len(received) != expected:
        raise UploadRefused(400, f"The body has {len(received)} bytes, not {expected}.")

    data = bytes(received)
    wrong = check_decrypts(row, data)
    if wrong is not None:
        raise UploadRefused(422, wrong)
    digest = crypto.sha256_base64(data)
    async with transaction(db) as session:
        stored = await session.exec(
            update(DEST)
            .where(col(DEST.id) == ident, col(DEST.uploaded_at).is_(None))
            .values(data=data, content_sha256=digest, uploaded_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not stored.rowcount:
            raise UploadRefused(409, "This upload url was already used.")
    row.data = data
    row.content_sha256 = digest
    return row


async def download(db: SessionFactory, viewer: Viewer, ident: str) -> tuple[bytes, str] | None:
    """The decrypted document and its MIME type, if the caller may see it (None otherwise,
    exactly as for an id that never existed); Undecryptable if its bytes do not decrypt."""
    async with db() as session:
        repo = AppointmentRepository(session, viewer.tenant)
        row = await repo.destination(ident)
        if row is None or row.data is None:
            return None
        facility = await _facility_of_appointment(repo, row.appointment_id)
        if not viewer.sees_document(row.created_by, row.created_scope, facility):
            return None
    try:
        plain = crypto.decrypt(row.key, row.iv, row.data)
    except ValueError as exc:
        raise Undecryptable(
            "The stored document does not decrypt with its destination's key; upload it again "
            "to a new destination."
        ) from exc
    return plain, fulfillment.MIME_TYPES[row.content_type]


async def _facility_of_appointment(
    repo: AppointmentRepository, appointment_id: str | None
) -> str | None:
    if appointment_id is None:
        return None
    return (await repo.facilities_of([appointment_id]))[appointment_id]
