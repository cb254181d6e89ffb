"""Hostile clients of the upload urls, the downloads and the WebSockets (issue 15): an upload
not recorded yet belongs to its uploader's subject and facility scope; the upload PUT answers
the digest it stored; bytes that do not decrypt are refused at PUT and a stored one downloads
as a 4xx; clients that vanish mid-body are one quiet log line; a WebSocket closes (4403) when
the token that opened it expires."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from app import crypto
from app.auth import issue_token
from app.db.engine import SessionFactory
from app.domain.fulfillment import encrypted_length
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.closeout import (
    FULFILL,
    PDF,
    Destination,
    appointment,
    destination,
    marketplace_job,
    put,
    store_unchecked,
    uploaded,
)
from tests.support.graphql import GraphQLClient
from tests.support.jobs import action, job, service
from tests.support.server import Server, running_server
from tests.support.ws import PROTOCOL, GraphQLWebSocket, graphql_ws

GHOST = "00000000-0000-4000-8000-000000000000"


def auth(client: GraphQLClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}


async def download(http: httpx.AsyncClient, client: GraphQLClient, ident: str) -> httpx.Response:
    return await http.get(f"/documents/{ident}", headers=auth(client))


async def record(
    client: GraphQLClient, job_id: str, appointment_id: str, dest: Destination, digest: str
) -> list[dict[str, Any]]:
    data = await client(
        FULFILL,
        {
            "input": {
                "serviceJobId": job_id,
                "appointmentId": appointment_id,
                "fulfillmentDocuments": [{"uploadDestinationId": dest.id, "contentSha256": digest}],
            }
        },
    )
    errors: list[dict[str, Any]] = data["setAppointmentFulfillmentData"]["userErrors"]
    return errors


def not_found_like_a_ghost(
    errors: list[dict[str, Any]], ghost_errors: list[dict[str, Any]], ident: str
) -> None:
    assert [e["code"] for e in errors] == ["NOT_FOUND"], errors
    expected = [{**e, "message": e["message"].replace(GHOST, ident)} for e in ghost_errors]
    assert errors == expected, errors


# Uploads not recorded yet: subject and facility scope


async def test_an_unrecorded_upload_belongs_to_its_uploaders_subject_and_facility_scope(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    # Every token the CLI makes for a tenant has the same subject (`acme-cli`).
    uploader = gql.as_tenant("acme", ["fac-1", "fac-2"])
    dest, digest = await uploaded(uploader, http)
    same_scope = gql.as_tenant("acme", ["fac-2", "fac-1", "fac-1"])
    assert (await download(http, same_scope, dest.id)).content == PDF

    ghost = await download(http, uploader, GHOST)
    assert ghost.status_code == 404
    for other in (
        gql.as_tenant("acme", ["fac-1"]),  # a part of the scope
        gql.as_tenant("acme", ["fac-1", "fac-2", "fac-3"]),  # more than the scope
        gql.as_tenant("acme", ["fac-3"]),
        gql,  # the tenant-wide token of the same subject
        gql.as_tenant("globex", ["fac-1", "fac-2"]),
    ):
        answer = await download(http, other, dest.id)
        assert (answer.status_code, answer.json()) == (404, ghost.json())

    # Recording it: a token of the same subject limited to the job's facility sees the job and
    # its appointment, not the upload: NOT_FOUND exactly as for an id that never existed.
    job_ = await marketplace_job(gql)  # in fac-1
    visit = await appointment(gql, job_["id"])
    fac_1 = gql.as_tenant("acme", ["fac-1"])
    ghost_dest = Destination(GHOST, "", b"", b"")
    ghost_errors = await record(fac_1, job_["id"], visit["appointmentId"], ghost_dest, digest)
    errors = await record(fac_1, job_["id"], visit["appointmentId"], dest, digest)
    not_found_like_a_ghost(errors, ghost_errors, dest.id)
    errors = await record(gql, job_["id"], visit["appointmentId"], dest, digest)
    not_found_like_a_ghost(errors, ghost_errors, dest.id)

    # Its uploader records it; recorded, it is seen by whoever sees the job's facility.
    assert await record(uploader, job_["id"], visit["appointmentId"], dest, digest) == []
    for viewer in (fac_1, gql, uploader):
        assert (await download(http, viewer, dest.id)).content == PDF
    assert (await download(http, gql.as_tenant("acme", ["fac-2"]), dest.id)).status_code == 404


async def test_a_tenant_wide_upload_is_not_seen_by_scoped_tokens_of_its_subject(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    dest, _ = await uploaded(gql, http)
    assert (await download(http, gql.as_tenant("acme"), dest.id)).content == PDF
    scoped = await download(http, gql.as_tenant("acme", ["fac-1"]), dest.id)
    ghost = await download(http, gql.as_tenant("acme", ["fac-1"]), GHOST)
    assert (scoped.status_code, scoped.json()) == (404, ghost.json())


# The upload PUT


async def test_the_upload_put_answers_the_sha256_of_the_stored_bytes(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    dest = await destination(gql)
    encrypted = crypto.encrypt(dest.key, dest.iv, PDF)
    response = await put(http, dest, encrypted)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "uploadDestinationId": dest.id,
        "contentSha256": crypto.sha256_base64(encrypted),
    }
    job_ = await marketplace_job(gql)
    visit = await appointment(gql, job_["id"])
    digest = response.json()["contentSha256"]
    assert await record(gql, job_["id"], visit["appointmentId"], dest, digest) == []


def broken_padding(encrypted: bytes, bit: int = 0x80) -> bytes:
    """The same ciphertext whose last block always decrypts to invalid padding: in CBC a bit
    flipped in the block before flips that bit of the last plaintext block, and the padding
    byte (1 to 16) with 0x20 or a higher bit flipped is above 16. (Flipping a bit of the last
    block itself leaves valid padding once in 256 tries.)"""
    broken = bytearray(encrypted)
    broken[-17] ^= bit
    return bytes(broken)


async def test_bytes_that_do_not_decrypt_are_refused_at_put_and_nothing_is_stored(
    gql: GraphQLClient, http: httpx.AsyncClient
) -> None:
    dest = await destination(gql)
    encrypted = crypto.encrypt(dest.key, dest.iv, PDF)
    bad_padding = broken_padding(encrypted)
    other_bad_padding = broken_padding(encrypted, bit=0x20)
    shorter = crypto.encrypt(dest.key, dest.iv, PDF[:-3])  # same blocks, not the length announced
    assert len(shorter) == len(encrypted)
    for body, reason in (
        (bad_padding, "does not decrypt"),
        (other_bad_padding, "does not decrypt"),
        (shorter, f"decrypts to {len(PDF) - 3} bytes, not the {len(PDF)} announced"),
    ):
        response = await put(http, dest, body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/json"
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "UNDECRYPTABLE"}
        assert reason in error["message"]
    # Nothing was stored: the url is still unused, and the document was never downloadable.
    assert (await download(http, gql, dest.id)).status_code == 404
    assert (await put(http, dest, encrypted)).status_code == 200
    assert (await download(http, gql, dest.id)).content == PDF


async def test_a_stored_document_that_does_not_decrypt_downloads_as_a_json_422(
    gql: GraphQLClient, http: httpx.AsyncClient, db: SessionFactory
) -> None:
    """A document stored before uploads were checked (or altered in the database)."""
    dest = await destination(gql)
    tampered = broken_padding(crypto.encrypt(dest.key, dest.iv, PDF))
    await store_unchecked(db, dest, tampered)
    response = await download(http, gql, dest.id)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNDECRYPTABLE"}
    assert "does not decrypt" in error["message"]
    # Still nobody else's: another scope gets the unknown id's answer, not a 422.
    other = await download(http, gql.as_tenant("acme", ["fac-1"]), dest.id)
    assert other.status_code == 404


# Clients that vanish in the middle of a request body


@pytest.fixture(scope="module")
def module_server(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One server for the module's tests of it (starting one costs seconds)."""
    env = {"JWT_SECRET": TEST_SECRET, "LOG_LEVEL": "INFO"}
    log_dir = tmp_path_factory.mktemp("server")
    with running_server(module_database_url, env, workers=1, log_dir=log_dir) as s:
        yield s


@pytest.fixture
def server(module_server: Server) -> Server:
    """The module's server, its log read from this test's start on."""
    return module_server.from_now()


@pytest.fixture
async def remote(server: Server, settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
        yield GraphQLClient(http, settings, tenant="acme")


async def half_a_body(
    server: Server, method: str, path: str, mime: str, length: int, token: str | None = None
) -> None:
    """Announces `length` bytes, sends a few, and goes away."""
    _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {mime}\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    writer.write(f"{head}Content-Length: {length}\r\n\r\n".encode() + b'{"query": "{')
    await writer.drain()
    await asyncio.sleep(0.2)  # the server is waiting for the rest now
    writer.close()
    await writer.wait_closed()


async def log_records(
    server: Server, done: Callable[[list[dict[str, Any]]], bool], within: float = 5
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + within
    while True:
        lines = server.log_text().splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        if done(records) or time.monotonic() > deadline:
            return records
        await asyncio.sleep(0.1)


async def test_a_client_that_disconnects_mid_body_is_one_info_line_without_traceback(
    server: Server, remote: GraphQLClient
) -> None:
    dest = await destination(remote)
    upload_path = urlsplit(dest.url).path
    await half_a_body(server, "POST", "/graphql", "application/json", 5000, remote.token)
    await half_a_body(server, "PUT", upload_path, "application/pdf", encrypted_length(len(PDF)))

    def closed(records: list[dict[str, Any]]) -> list[str]:
        return [r["route"] for r in records if r.get("status") == 499]

    records = await log_records(server, lambda records: len(closed(records)) == 2)
    assert sorted(closed(records)) == ["/graphql", "/uploads/{token}"]
    assert [r for r in records if r["level"] not in ("INFO", "DEBUG")] == []
    assert not any("exc_info" in r or "Traceback" in r["message"] for r in records)
    assert upload_path.rsplit("/", 1)[1] not in server.log_text()
    # Nothing was stored: the url still takes the whole document, and the server still serves.
    encrypted = crypto.encrypt(dest.key, dest.iv, PDF)
    assert (await put(remote.http, dest, encrypted)).status_code == 200
    assert (await remote("{ __typename }")) == {"__typename": "Query"}


# WebSockets and the token that opened them

JOB_CHANGED = "subscription($id: ID!) { serviceJobChanged(id: $id) { id version } }"
#: Seconds a token lives here: its `exp` is whole seconds, so 2 to 3 seconds from now.
TTL = 3


def expiry_of(token: str) -> float:
    return float(jwt.decode(token, options={"verify_signature": False})["exp"])


async def closed_at_expiry(ws: GraphQLWebSocket, expires_at: float) -> None:
    """Nothing more arrives, and the server closes the socket with 4403 at `expires_at`."""
    received = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            received.append(await ws.receive(within=max(0.1, expires_at - time.time() + 3)))
    assert received == []
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4403, "The token has expired.")
    assert expires_at - 0.1 <= time.time() <= expires_at + 2.5


async def test_a_websocket_closes_with_4403_when_the_token_that_opened_it_expires(
    server: Server, remote: GraphQLClient, settings: Settings
) -> None:
    created = await job(remote, await service(remote, "step"))

    async def subscription_with_the_token_in_connection_init() -> None:
        bearer = issue_token(settings, tenant="acme", ttl_seconds=TTL)
        async with graphql_ws(server.ws_url, bearer) as ws:
            ident = await ws.subscribe(JOB_CHANGED, {"id": created["id"]})
            await asyncio.sleep(0.3)
            assert (await action(remote, "start", created["id"], 1))["userErrors"] == []
            delivered = await ws.receive(2)
            assert delivered["id"] == ident and delivered["type"] == "next", delivered
            assert (await ws.execute("{ __typename }"))["data"] == {"__typename": "Query"}
            await closed_at_expiry(ws, expiry_of(bearer))
        # Changes after the expiry went nowhere, and the server is fine.
        assert (await action(remote, "finish", created["id"], 2))["userErrors"] == []

    async def queries_with_the_token_in_the_handshake(init_after_expiry: bool) -> None:
        bearer = issue_token(settings, tenant="acme", ttl_seconds=TTL)
        headers = {"Authorization": f"Bearer {bearer}"}
        async with connect(
            server.ws_url,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            additional_headers=headers,
        ) as socket:
            ws = GraphQLWebSocket(socket)
            if init_after_expiry:
                # Valid at the handshake, expired by connection_init: refused, never acked.
                await asyncio.sleep(expiry_of(bearer) - time.time() + 0.1)
                await ws.send({"type": "connection_init", "payload": {}})
                with pytest.raises(ConnectionClosed) as refused:
                    await ws.receive(2)
                assert refused.value.rcvd is not None and refused.value.rcvd.code == 4403
                return
            await ws.send({"type": "connection_init", "payload": {}})
            assert (await ws.receive())["type"] == "connection_ack"
            assert (await ws.execute("{ __typename }"))["data"] == {"__typename": "Query"}
            await closed_at_expiry(ws, expiry_of(bearer))

    await asyncio.gather(
        subscription_with_the_token_in_connection_init(),
        queries_with_the_token_in_the_handshake(init_after_expiry=False),
        queries_with_the_token_in_the_handshake(init_after_expiry=True),
    )
    records = await log_records(server, lambda records: False, within=0)
    assert [r for r in records if r["level"] not in ("INFO", "DEBUG")] == []
    expired = [r for r in records if r["message"] == "websocket closed: its token expired"]
    assert len(expired) == 2
