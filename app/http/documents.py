"""Document transfer outside GraphQL: the signed upload url (PUT, the url is the credential)
and the decrypted download (GET, bearer token). Refusals are JSON: `{"errors": [{"message",
"extensions": {"code"}}]}` as the contract has them, plus the message as `error`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from app.auth import AuthenticationFailed, viewer_from_authorization
from app.db.engine import SessionFactory
from app.http.observability import CLIENT_CLOSED_REQUEST
from app.services import documents
from app.settings import Settings

Endpoint = Callable[[Request], Awaitable[Response]]
log = logging.getLogger(__name__)

_CODES = {
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    410: "EXPIRED",
    422: "UNDECRYPTABLE",
}


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    code = _CODES.get(status, "BAD_REQUEST")
    return JSONResponse(
        {"error": message, "errors": [{"message": message, "extensions": {"code": code}}]},
        status_code=status,
        headers=headers,
    )


def upload_endpoint(settings: Settings, db: SessionFactory) -> Endpoint:
    async def upload(request: Request) -> Response:
        try:
            row = await documents.receive_upload(
                db,
                token=request.path_params["token"],
                secret=settings.signing_key,
                ttl=timedelta(minutes=settings.upload_url_ttl_minutes),
                content_type=request.headers.get("content-type"),
                content_length=request.headers.get("content-length"),
                body=request.stream(),
            )
        except documents.UploadRefused as refused:
            return refusal(refused.status, refused.message)
        except ClientDisconnect:
            # Nothing was stored (bytes are written once all of them are in); the url stays
            # usable. Not an error of ours: one line, no traceback.
            log.info("upload abandoned: the client disconnected before the end of the body")
            return Response(status_code=CLIENT_CLOSED_REQUEST)
        return JSONResponse(
            {"uploadDestinationId": row.id, "contentSha256": row.content_sha256}, status_code=200
        )

    return upload


def download_endpoint(settings: Settings, db: SessionFactory) -> Endpoint:
    async def download(request: Request) -> Response:
        try:
            viewer = viewer_from_authorization(settings, request.headers.get("authorization"))
        except AuthenticationFailed as exc:
            return refusal(401, str(exc), headers={"WWW-Authenticate": "Bearer"})
        try:
            found = await documents.download(db, viewer, request.path_params["ident"])
        except documents.Undecryptable as exc:
            return refusal(422, str(exc))
        if found is None:
            return refusal(404, "There is no such document.")
        content, mime = found
        return Response(content, media_type=mime, headers={"Cache-Control": "private, no-store"})

    return download
