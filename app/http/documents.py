"""Document transfer outside GraphQL: the signed upload url (PUT, the url is the credential)
and the decrypted download (GET, bearer token)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.auth import AuthenticationFailed, viewer_from_authorization
from app.db.engine import SessionFactory
from app.services import documents
from app.settings import Settings

Endpoint = Callable[[Request], Awaitable[Response]]


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
            return JSONResponse({"error": refused.message}, status_code=refused.status)
        return JSONResponse(
            {"uploadDestinationId": row.id, "contentSha256": row.content_sha256}, status_code=200
        )

    return upload


def download_endpoint(settings: Settings, db: SessionFactory) -> Endpoint:
    async def download(request: Request) -> Response:
        try:
            viewer = viewer_from_authorization(settings, request.headers.get("authorization"))
        except AuthenticationFailed as exc:
            return JSONResponse(
                {"error": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        found = await documents.download(db, viewer, request.path_params["ident"])
        if found is None:
            return JSONResponse({"error": "There is no such document."}, status_code=404)
        content, mime = found
        return Response(content, media_type=mime, headers={"Cache-Control": "private, no-store"})

    return download
