"""Persisted documents through the ASGI app: Apollo's automatic persisted queries and GraphQL
over HTTP's documentId, over GET and POST, in the modes off, apq (the default) and only."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.cli import persist_documents as persist
from app.db.edge_tables import PersistedDocument
from app.db.engine import create_session_factory
from app.domain.persisted_documents import MAX_DOCUMENT_CHARS
from app.http.app import create_app
from app.services.persisted_documents import register
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.server import running_server
from tests.support.ws import graphql_ws

QUERY = "query Count { customServices { totalCount } }"
OTHER = "query Jobs { serviceJobs(first: 1) { totalCount } }"
#: Deeper than MAX_QUERY_DEPTH (30): valid GraphQL, refused by the depth limit.
TOO_DEEP = (
    "{ serviceJobs { nodes { linkedServiceJobs { serviceJobLinks { "
    + "nextServiceJobLinks { " * 30
    + "id"
    + " }" * 30
    + " } } } } }"
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def apq(text: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(text)}}


def auth(settings: Settings, tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, tenant=tenant)}"}


async def client_for(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, engine), client=("10.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def only(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(
        settings.model_copy(update={"persisted_queries": "only"}), engine
    ):
        yield client


@pytest.fixture
async def off(settings: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    async for client in client_for(
        settings.model_copy(update={"persisted_queries": "off"}), engine
    ):
        yield client


async def stored(engine: AsyncEngine, scope: str | None = None) -> int:
    statement = select(func.count()).select_from(PersistedDocument)
    if scope is not None:
        statement = statement.where(PersistedDocument.scope == scope)  # type: ignore[arg-type]
    async with engine.connect() as connection:
        return int((await connection.execute(statement)).scalar_one())


def code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) <= {"errors", "data"}, body
    return str(body["errors"][0]["extensions"]["code"])


async def test_automatic_persisted_query_round_trip_over_post_and_get(
    http: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    headers = auth(settings)
    # Given a hash the server has never seen: Apollo's "not found", which no cache may keep.
    missing = await http.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert missing.status_code == 404 and code(missing) == "PERSISTED_QUERY_NOT_FOUND"
    assert missing.json()["errors"][0]["message"] == "PersistedQueryNotFound"
    assert "no-cache" in missing.headers["cache-control"]

    # When the client sends the text with its hash, it runs and is remembered.
    sent = await http.post(
        "/graphql", json={"query": QUERY, "extensions": apq(QUERY)}, headers=headers
    )
    assert sent.json() == {"data": {"customServices": {"totalCount": 0}}}
    assert await stored(engine, "acme") == 1

    # Then the hash alone runs it, over POST and over GET (what Apollo sends for queries).
    again = await http.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert again.json() == sent.json()
    params = {"extensions": json.dumps(apq(QUERY)), "operationName": "Count"}
    got = await http.get("/graphql", params=params, headers={**headers, "Accept": "text/html,*/*"})
    assert got.status_code == 200 and got.json() == sent.json()


async def test_another_tenants_automatic_entries_are_not_found(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    body = {"query": QUERY, "extensions": apq(QUERY)}
    assert (await http.post("/graphql", json=body, headers=auth(settings))).status_code == 200
    intruder = await http.post(
        "/graphql", json={"extensions": apq(QUERY)}, headers=auth(settings, "other")
    )
    assert intruder.status_code == 404 and code(intruder) == "PERSISTED_QUERY_NOT_FOUND"


async def test_hostile_automatic_persisted_queries_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    headers = auth(settings)
    mismatch = await http.post(
        "/graphql", json={"query": OTHER, "extensions": apq(QUERY)}, headers=headers
    )
    assert mismatch.status_code == 400 and code(mismatch) == "PERSISTED_QUERY_HASH_MISMATCH"

    huge = QUERY + " #" + "x" * MAX_DOCUMENT_CHARS
    too_large = await http.post(
        "/graphql", json={"query": huge, "extensions": apq(huge)}, headers=headers
    )
    assert too_large.status_code == 413 and code(too_large) == "PERSISTED_QUERY_TOO_LARGE"

    for extensions in (
        {"persistedQuery": "yes"},
        {"persistedQuery": {"version": 2, "sha256Hash": sha(QUERY)}},
        {"persistedQuery": {"version": 1, "sha256Hash": "not hex"}},
        {"persistedQuery": {"version": 1, "sha256Hash": ["a"] * 64}},
    ):
        bad = await http.post("/graphql", json={"extensions": extensions}, headers=headers)
        assert bad.status_code == 400 and code(bad) == "BAD_REQUEST", extensions
    for document_id in (sha(QUERY), "md5:abc", 5, {"sha256": sha(QUERY)}):
        bad = await http.post("/graphql", json={"documentId": document_id}, headers=headers)
        assert bad.status_code == 400 and code(bad) == "BAD_REQUEST", document_id

    # Texts the pipeline refuses (unknown field, too deep) run as errors and are not kept.
    for text in ("{ noSuchField }", TOO_DEEP):
        refused = await http.post(
            "/graphql", json={"query": text, "extensions": apq(text)}, headers=headers
        )
        assert refused.json()["errors"][0]["extensions"]["code"] in {
            "BAD_REQUEST",
            "QUERY_TOO_COMPLEX",
        }
    assert await stored(engine) == 0


async def test_automatic_entries_are_bounded_per_tenant(
    settings: Settings, engine: AsyncEngine
) -> None:
    bounded = settings.model_copy(update={"persisted_queries_per_tenant": 3})
    async for client in client_for(bounded, engine):
        for n in range(6):
            text = f"query Q{n} {{ customServices {{ totalCount }} }}"
            body = {"query": text, "extensions": apq(text)}
            assert (
                await client.post("/graphql", json=body, headers=auth(settings))
            ).status_code == 200
        body = {"query": QUERY, "extensions": apq(QUERY)}
        assert (
            await client.post("/graphql", json=body, headers=auth(settings, "b"))
        ).status_code == 200
    assert await stored(engine, "acme") == 3
    assert await stored(engine, "b") == 1


async def test_registered_documents_run_by_document_id_for_every_tenant(
    http: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    [registered] = await register(create_session_factory(engine), [QUERY])
    assert registered.new
    [again] = await register(create_session_factory(engine), [QUERY])
    assert not again.new and again.sha256 == registered.sha256
    document_id = f"sha256:{registered.sha256}"
    for tenant in ("acme", "other"):
        posted = await http.post(
            "/graphql", json={"documentId": document_id}, headers=auth(settings, tenant)
        )
        assert posted.json() == {"data": {"customServices": {"totalCount": 0}}}
        got = await http.get(
            "/graphql",
            params={"documentId": document_id},
            headers={**auth(settings, tenant), "Accept": "text/html"},
        )
        assert got.status_code == 200 and got.json() == posted.json()

    unknown = await http.post(
        "/graphql", json={"documentId": f"sha256:{sha(OTHER)}"}, headers=auth(settings)
    )
    assert unknown.status_code == 404 and code(unknown) == "PERSISTED_QUERY_NOT_FOUND"
    assert "python -m app persist" in unknown.json()["errors"][0]["message"]


async def test_a_persisted_document_passes_the_same_limits_as_a_text(
    http: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    # Registered before the limits were what they are now: stored, but refused when run.
    [deep] = await register(create_session_factory(engine), [TOO_DEEP])
    response = await http.post(
        "/graphql", json={"documentId": f"sha256:{deep.sha256}"}, headers=auth(settings)
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_requests_without_a_token_are_refused_before_any_lookup(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/graphql", json={"documentId": f"sha256:{sha(QUERY)}"})
    assert code(response) == "UNAUTHENTICATED"


async def test_only_mode_accepts_registered_documents_alone(
    only: httpx.AsyncClient, settings: Settings, engine: AsyncEngine
) -> None:
    await register(create_session_factory(engine), [QUERY])
    headers = auth(settings)
    by_id = await only.post(
        "/graphql", json={"documentId": f"sha256:{sha(QUERY)}"}, headers=headers
    )
    assert by_id.json() == {"data": {"customServices": {"totalCount": 0}}}
    by_hash = await only.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert by_hash.json() == by_id.json()
    # The registered text itself is accepted too (it is the same document).
    assert (
        await only.post("/graphql", json={"query": QUERY}, headers=headers)
    ).json() == by_id.json()

    raw = await only.post("/graphql", json={"query": OTHER}, headers=headers)
    assert raw.status_code == 403 and code(raw) == "PERSISTED_QUERY_REQUIRED"
    got = await only.get("/graphql", params={"query": OTHER}, headers=headers)
    assert got.status_code == 403 and code(got) == "PERSISTED_QUERY_REQUIRED"
    registering = await only.post(
        "/graphql", json={"query": OTHER, "extensions": apq(OTHER)}, headers=headers
    )
    assert registering.status_code == 403 and code(registering) == "PERSISTED_QUERY_REQUIRED"
    assert await stored(engine) == 1


async def test_off_mode_says_persisted_queries_are_not_supported(
    off: httpx.AsyncClient, settings: Settings
) -> None:
    headers = auth(settings)
    refused = await off.post("/graphql", json={"extensions": apq(QUERY)}, headers=headers)
    assert refused.status_code == 400 and code(refused) == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert refused.json()["errors"][0]["message"] == "PersistedQueryNotSupported"
    plain = await off.post("/graphql", json={"query": QUERY}, headers=headers)
    assert plain.json() == {"data": {"customServices": {"totalCount": 0}}}


async def test_the_persist_command_registers_checked_documents_and_prints_their_ids(
    http: httpx.AsyncClient,
    settings: Settings,
    engine: AsyncEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    count, jobs = tmp_path / "count.graphql", tmp_path / "jobs.graphql"
    count.write_text(QUERY, encoding="utf-8")
    jobs.write_text(OTHER, encoding="utf-8")
    assert await persist(settings, [count, jobs]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"sha256:{sha(QUERY)}  {count}  (registered)",
        f"sha256:{sha(OTHER)}  {jobs}  (registered)",
    ]
    # Idempotent: the same ids, nothing new.
    assert await persist(settings, [count]) == 0
    assert capsys.readouterr().out.strip() == f"sha256:{sha(QUERY)}  {count}  (already registered)"

    # A document that would not run here is refused, and then nothing is registered.
    broken, fine = tmp_path / "broken.graphql", tmp_path / "fine.graphql"
    broken.write_text("{ customServices { noSuchField } }", encoding="utf-8")
    fine.write_text("query Fine { serviceJobs { totalCount } }", encoding="utf-8")
    assert await persist(settings, [fine, broken]) == 1
    error = capsys.readouterr().err
    assert f"{broken}: " in error and "noSuchField" in error and "nothing registered" in error
    assert await stored(engine) == 2

    document_id = lines[1].split()[0]
    ran = await http.post("/graphql", json={"documentId": document_id}, headers=auth(settings))
    assert ran.json() == {"data": {"serviceJobs": {"totalCount": 0}}}


async def test_over_websocket_documents_are_named_by_id_and_only_mode_holds(
    settings: Settings, engine: AsyncEngine, tmp_path: Path
) -> None:
    await register(create_session_factory(engine), [QUERY])
    env = {"JWT_SECRET": TEST_SECRET, "PERSISTED_QUERIES": "only"}
    bearer = issue_token(settings, tenant="acme")
    with running_server(settings.database_url, env, log_dir=tmp_path) as server:
        async with graphql_ws(server.ws_url, bearer) as ws:
            payload = {"documentId": f"sha256:{sha(QUERY)}"}
            await ws.send({"id": "1", "type": "subscribe", "payload": payload})
            result = await ws.receive()
            assert result["type"] == "next"
            assert result["payload"] == {"data": {"customServices": {"totalCount": 0}}}
            assert (await ws.receive()) == {"id": "1", "type": "complete"}

            await ws.send({"id": "2", "type": "subscribe", "payload": {"query": OTHER}})
            refused = await ws.receive()
            assert refused["type"] == "error" and refused["id"] == "2"
            assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
