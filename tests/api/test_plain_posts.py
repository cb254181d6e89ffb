"""POSTs of one operation in JSON (app/http/graphql_view.py, `_run_plain_post`) skip the
generic steps of Strawberry's view; every request answers exactly as through the view:
status, media type and body, refusals included. What such a request may not be (documents,
automatic persisted queries, malformed fields) is left to the view."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from starlette.applications import Starlette

from app.auth import issue_token
from app.graphql.context import Context
from app.http.app import create_app
from app.http.graphql_view import GatewayGraphQL
from app.http.media import GRAPHQL_RESPONSE
from app.settings import Settings
from tests.support.graphql import GraphQLClient
from tests.support.jobs import job, service

JOB = "query Job($id: ID!) { serviceJob(id: $id) { id name status } }"
JOBS = "query Jobs($first: Int) { serviceJobs(first: $first) { totalCount nodes { id } } }"
MUTATION = (
    'mutation { cancelServiceJob(input: {id: "nope", version: 1, reason: "x"}) '
    "{ userErrors { code } } }"
)

#: (body, headers beyond the token): each is sent twice per way, so that the second goes
#: through the read lane where the first parsed and validated the text.
TAKEN: list[tuple[object, dict[str, str]]] = [
    ({"query": JOBS, "variables": {"first": 2}}, {}),
    ({"query": JOBS, "variables": {"first": "many"}}, {}),
    ({"query": JOBS}, {"accept": GRAPHQL_RESPONSE}),
    ({"query": JOBS, "variables": {"first": "many"}}, {"accept": GRAPHQL_RESPONSE}),
    ({"query": JOBS, "operationName": "Other"}, {}),
    ({"query": JOB, "variables": {"id": "nope"}, "operationName": "Job"}, {}),
    ({"query": "{ serviceJobs { totalCount } ", "variables": None}, {}),
    ({"query": "{ nope }"}, {"accept": GRAPHQL_RESPONSE}),
    ({"query": "query A { __typename } query B { __typename }"}, {}),
    ({"query": ""}, {}),
    ({"query": MUTATION}, {}),
    ({"query": 'subscription { serviceJobChanged(id: "x") { id } }'}, {}),
    ({"query": JOBS, "extensions": {"tracing": True}}, {}),
    ({"query": JOBS}, {"content-type": "application/json; charset=utf-8"}),
]
LEFT: list[tuple[object, dict[str, str]]] = [
    ({"query": JOBS}, {"content-type": "text/plain"}),
    ({"query": JOBS}, {"content-type": "Application/JSON"}),
    ({"query": None}, {}),
    ({"query": 5}, {}),
    ({"query": JOBS, "variables": [1]}, {}),
    ({"query": JOBS, "operationName": 7}, {}),
    ({"query": JOBS, "extensions": "x"}, {}),
    ({"query": JOBS, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}}, {}),
    ({"documentId": "sha256:" + "0" * 64}, {}),
    ([{"query": JOBS}], {}),
    ("a string", {}),
]


def view_of(app: Starlette) -> GatewayGraphQL:
    route = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    assert isinstance(route.endpoint, GatewayGraphQL)  # type: ignore[attr-defined]
    return route.endpoint  # type: ignore[attr-defined]


#: Bodies that are not a JSON document the view reads: each is refused the same way, 400.
MALFORMED: list[bytes] = [
    b"",
    b"{",
    b'{"query": "{ __typename }"',
    b"\xff\xfe{}",
    b'{"query": "\\ud800"}',
    b'{"query": "{ __typename }", "variables": ' + b'{"a": ' * 300 + b"1" + b"}" * 301,
    b"null",
    b"5",
]


async def answers(
    http: httpx.AsyncClient, token: str, body: object, extra: dict[str, str]
) -> list[tuple[int, str, object]]:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json", **extra}
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    got = []
    for _ in range(2):
        response = await http.post("/graphql", content=content, headers=headers)
        got.append((response.status_code, response.headers["content-type"], response.json()))
    return got


@pytest.mark.parametrize(("body", "extra"), TAKEN + LEFT)
async def test_a_post_answers_the_same_with_the_plain_entry_and_without(
    app: Starlette,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    settings: Settings,
    body: object,
    extra: dict[str, str],
) -> None:
    await job(gql, await service(gql, "svc-1"))
    view = view_of(app)
    token = issue_token(settings, tenant="acme")
    assert view.plain_posts
    view.plain_posts = False
    through_view = await answers(http, token, body, extra)
    view.plain_posts = True
    taken = view.plain_taken
    plain = await answers(http, token, body, extra)
    assert plain == through_view
    assert view.plain_taken == taken + (2 if (body, extra) in TAKEN else 0)


@pytest.mark.parametrize("body", MALFORMED)
async def test_a_malformed_body_is_refused_the_same_with_the_plain_entry_and_without(
    app: Starlette, http: httpx.AsyncClient, settings: Settings, body: bytes
) -> None:
    view = view_of(app)
    token = issue_token(settings, tenant="acme")
    view.plain_posts = False
    through_view = await answers(http, token, body, {})
    view.plain_posts = True
    plain = await answers(http, token, body, {})
    assert plain == through_view
    assert all(status == 400 for status, _, _ in plain)


async def test_the_plain_entry_answers_a_read_with_its_data(
    app: Starlette, http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings
) -> None:
    created = await job(gql, await service(gql, "svc-1"))
    token = issue_token(settings, tenant="acme")
    body = {"query": JOB, "variables": {"id": created["id"]}}
    view = view_of(app)
    taken = view.plain_taken
    for status, media, answer in await answers(http, token, body, {}):
        assert (status, media) == (200, "application/json")
        assert isinstance(answer, dict) and "errors" not in answer
        assert answer["data"]["serviceJob"]["id"] == created["id"]
    assert view.plain_taken == taken + 2


def test_registered_documents_only_leave_every_post_to_the_view(settings: Settings) -> None:
    only = settings.model_copy(update={"persisted_queries": "only"})
    assert not view_of(create_app(only)).plain_posts
    assert view_of(create_app(settings)).plain_posts


@pytest.mark.parametrize("slow_reader", [False, True])
async def test_what_an_operation_built_is_freed_after_its_response_is_sent(
    app: Starlette, gql: GraphQLClient, settings: Settings, slow_reader: bool
) -> None:
    """The operation's context (what it loaded) and result live until the response body has
    been handed to the server, and are released then: freeing them is not part of the
    client's wait. A client that does not read its response (the server waits for it to
    drain) keeps the body's bytes waiting, not what they were made of."""
    created = await job(gql, await service(gql, "svc-1"))
    body = orjson.dumps({"query": JOB, "variables": {"id": created["id"]}})
    token = issue_token(settings, tenant="acme")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    received = False
    held_at_body: list[bool] = []
    sent: list[bytes] = []

    async def receive() -> dict[str, object]:
        nonlocal received
        if received:
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    contexts: list[Context] = []

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.body":
            held = scope.get("gateway.held")
            held_at_body.append(held is not None)
            if held is not None:
                contexts.append(held[0])  # type: ignore[index]
                # Not released yet: loaders made now are released after this send.
                assert held[0].loaders is not None  # type: ignore[index]
            sent.append(message["body"])  # type: ignore[arg-type]
            if slow_reader:
                # The server waits for the socket to drain: the release happens meanwhile.
                await asyncio.sleep(0)
                assert "gateway.held" not in scope and contexts[0]._loaders is None

    await app(scope, receive, send)  # type: ignore[arg-type]
    assert orjson.loads(b"".join(sent))["data"]["serviceJob"]["id"] == created["id"]
    assert held_at_body == [True]
    assert "gateway.held" not in scope
    assert contexts[0].released_after_response and contexts[0]._loaders is None


PAGE = (
    "query Page { serviceJobs(first: 5) { totalCount nodes { id name status lineItems { id } } }"
    ' other: serviceJob(id: "nope") { id } }'
)


async def test_compiled_roots_are_encoded_once_into_the_same_bytes(
    app: Starlette, http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings
) -> None:
    """The encoding the compiled path measured each root by is the response's: the same bytes
    as the view's own encoding, roots and nulls in their order, made once."""
    created = await service(gql, "svc-1")
    for _ in range(3):
        await job(gql, created)
    view = view_of(app)
    token = issue_token(settings, tenant="acme")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    body = orjson.dumps({"query": PAGE})
    view.plain_posts = False
    through_view = (await http.post("/graphql", content=body, headers=headers)).content
    view.plain_posts = True
    before = view.pre_encoded
    answers = [(await http.post("/graphql", content=body, headers=headers)).content for _ in "ab"]
    # Planned by the request through the view: both are compiled, and encoded once.
    assert view.pre_encoded == before + 2
    assert answers == [through_view, through_view]
    data = orjson.loads(through_view)["data"]
    assert list(data) == ["serviceJobs", "other"] and data["other"] is None
    assert len(data["serviceJobs"]["nodes"]) == 3
