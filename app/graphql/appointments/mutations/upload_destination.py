"""createServiceDocumentUploadDestination"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import strawberry

from app import crypto
from app.graphql.appointments.types import EncryptionDetails, UploadDestination
from app.graphql.common.errors import UserError
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.context import Context
from app.services import documents


@strawberry.input(description="A document to upload.")
class CreateServiceDocumentUploadDestinationInput:
    content_type: str = strawberry.field(description="TIFF, JPG, PNG, JPEG, GIF or PDF.")
    content_length: int = strawberry.field(
        description="Length of the plain document in bytes (1 to 5,242,880)."
    )
    content_md5: str | None = strawberry.field(
        default=None, name="contentMD5", description="Optional base64 MD5 of the plain document."
    )


@strawberry.type(description="Result of createServiceDocumentUploadDestination.")
class CreateServiceDocumentUploadDestinationPayload(MutationPayload):
    upload_destination: UploadDestination | None = strawberry.field(
        description="Where and how to upload; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused, if it was.")


async def create_service_document_upload_destination(
    info: strawberry.Info[Context, None],
    input: Annotated[
        CreateServiceDocumentUploadDestinationInput,
        strawberry.argument(description="The document to be uploaded."),
    ],
) -> CreateServiceDocumentUploadDestinationPayload:
    context = info.context
    settings = context.settings
    base = settings.public_base_url or str(context.request.base_url)
    return await answer(
        CreateServiceDocumentUploadDestinationPayload,
        lambda: documents.create_destination(
            context.db,
            context.viewer,
            content_type=input.content_type,
            content_length=input.content_length,
            content_md5=input.content_md5,
            ttl=timedelta(minutes=settings.upload_url_ttl_minutes),
            secret=settings.signing_key,
        ),
        lambda created: CreateServiceDocumentUploadDestinationPayload(
            upload_destination=_destination(created, base), user_errors=[]
        ),
    )


def _destination(created: documents.NewDestination, base: str) -> UploadDestination:
    """Where and how the client uploads: the signed url on this gateway and the key material."""
    row = created.row
    return UploadDestination(
        upload_destination_id=strawberry.ID(row.id),
        url=f"{base.rstrip('/')}/uploads/{created.token}",
        encryption_details=EncryptionDetails(
            standard="AES", key=crypto.b64(row.key), initialization_vector=crypto.b64(row.iv)
        ),
        expires_at=row.expires_at,
    )
