"""A hostile client against the request pipeline (issue 15): every stage is bounded, cheapest
first, and every malformed request is the client's error — a 4xx or a GraphQL error with a
code, as JSON, never a 5xx, never INTERNAL_SERVER_ERROR, nothing written.

Each case is a regression test of a defect that was found by attacking a production-mode
server: work before authentication, fragments re-expanded per spread, unbounded texts,
responses bounded in fields but not bytes, text/plain refusals, suggestions in production.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from app.auth import issue_token
from app.domain.text_limits import TITLE_LENGTH
from app.graphql import fast_path
from app.graphql.cost import CAP
from app.graphql.pipeline.caches import ParsedDocuments
from app.http.app import create_app
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.graphql import GraphQLClient
from tests.support.jobs import job, line_item, service
from tests.support.server import Server, running_server
from tests.support.ws import graphql_ws

COUNT = "{ customServices { totalCount } }"
CREATE = """mutation($input: CreateCustomServiceInput!) {
  createCustomService(input: $input) { customService { id } userErrors { code message } } }"""


def fragment_chain(levels: int, type_name: str = "CustomServiceConnection") -> str:
    """`F0 { ...F1 ...F1 }` … `levels` deep: 2^levels fields once spread, 1.2 KB at 30."""
    fragments = [
        f"fragment F{i} on {type_name} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on {type_name} {{ totalCount }}")
    return "query { customServices { ...F0 } }\n" + "\n".join(fragments)


def refusal(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    """A request-level refusal as the contract has it: JSON, a code, no 5xx."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    error: dict[str, Any] = response.json()["errors"][0]
    assert error["message"] and error["extensions"]["code"], error
    return error


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or ()]


@pytest.fixture
def auth(gql: GraphQLClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {gql.token}"}


async def services(gql: GraphQLClient) -> int:
    total: int = (await gql(COUNT))["customServices"]["totalCount"]
    return total


# --- authentication first: an anonymous request costs a header check -------------------------


async def test_an_anonymous_request_is_refused_before_its_body_is_read(
    http: httpx.AsyncClient, app: Starlette
) -> None:
    parsed = _parsed_documents(app)
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"  # ~700 KB
    response = await http.post("/graphql", json={"query": huge})
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert len(parsed) == 0  # never parsed
    # Not even decoded: a body that is not JSON gets the same answer.
    garbage = await http.post(
        "/graphql", content=b"\xff not json", headers={"content-type": "application/json"}
    )
    assert codes(garbage.json()) == ["UNAUTHENTICATED"]
    strict = await http.post(
        "/graphql",
        json={"query": huge},
        headers={"accept": "application/graphql-response+json"},
    )
    assert strict.status_code == 401 and codes(strict.json()) == ["UNAUTHENTICATED"]


async def test_an_expired_or_forged_token_is_refused_the_same_way(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    for header in ("Bearer not-a-jwt", "Basic abc", "Bearer " + "x" * 10_000):
        response = await http.post(
            "/graphql", json={"query": COUNT}, headers={"Authorization": header}
        )
        assert codes(response.json()) == ["UNAUTHENTICATED"], header


async def test_the_token_limit_stops_the_lexer(
    http: httpx.AsyncClient, auth: dict[str, str], settings: Settings, app: Starlette
) -> None:
    huge = "{ " + " ".join(f"a{i}: __typename" for i in range(50_000)) + " }"
    body = (await http.post("/graphql", json={"query": huge}, headers=auth)).json()
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert f"more than {settings.max_tokens} tokens" in body["errors"][0]["message"]
    assert len(_parsed_documents(app)) == 0


def _parsed_documents(app: Starlette) -> ParsedDocuments:
    """The schema's cache of parsed documents (the CachedParse stage's)."""
    from app.graphql.pipeline.caches import CachedParse

    graphql = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    schema = graphql.endpoint.schema  # type: ignore[attr-defined]
    for factory in schema.extensions:
        extension = factory() if callable(factory) else factory
        if isinstance(extension, CachedParse):
            return extension.documents
    raise LookupError("no CachedParse stage")


# --- fragments are analysed once, never re-expanded per spread -------------------------------


@pytest.mark.parametrize("levels", [20, 30, 60])
async def test_nested_fragment_spreads_are_refused_at_once(gql: GraphQLClient, levels: int) -> None:
    body = await gql.raw(fragment_chain(levels))
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["cost"] >= min(2**levels, CAP)


async def test_aliases_are_counted_through_fragments(gql: GraphQLClient) -> None:
    document = (
        "query { customServices { ...F0 } } "
        "fragment F0 on CustomServiceConnection { ...F1 ...F1 ...F1 } "
        "fragment F1 on CustomServiceConnection { a: totalCount b: totalCount c: totalCount "
        "d: totalCount e: totalCount f: totalCount g: totalCount h: totalCount "
        "i: totalCount j: totalCount k: totalCount }"
    )
    body = await gql.raw(document)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["aliases"] == 33


async def test_depth_is_counted_through_fragments(gql: GraphQLClient, settings: Settings) -> None:
    levels = settings.max_query_depth + 2
    fragments = " ".join(
        f"fragment L{i} on ServiceJobLink {{ serviceJob {{ serviceJobLink {{ ...L{i + 1} }} }} }}"
        for i in range(levels // 2)
    )
    document = (
        'query { serviceJob(id: "x") { serviceJobLink { ...L0 } } } '
        f"{fragments} fragment L{levels // 2} on ServiceJobLink {{ id }}"
    )
    body = await gql.raw(document)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert body["errors"][0]["extensions"]["depth"] > settings.max_query_depth


@pytest.mark.parametrize(
    "document",
    [
        "{ customServices { " + "edges { node { id } } " * 300 + "} }",
        "{ customServices { "
        + " ".join(f"...F{i}" for i in range(300))
        + " } } "
        + " ".join(
            f"fragment F{i} on CustomServiceConnection {{ totalCount }}" for i in range(300)
        ),
    ],
    ids=["300 fields of one name", "300 fragments side by side"],
)
async def test_field_comparisons_in_validation_are_bounded(
    gql: GraphQLClient, document: str
) -> None:
    """graphql-core compares fields of one name pairwise; past VALIDATION_BUDGET comparisons
    the document is refused (its default budget let this validate for 1.7 s)."""
    body = await gql.raw(document)
    assert codes(body) == ["QUERY_TOO_COMPLEX"]
    assert "too many fields of one name" in body["errors"][0]["message"]


async def test_a_fragment_cycle_is_a_validation_error(gql: GraphQLClient) -> None:
    document = (
        "query { customServices { ...A } } fragment A on CustomServiceConnection { ...B } "
        "fragment B on CustomServiceConnection { ...A }"
    )
    assert codes(await gql.raw(document)) == ["BAD_REQUEST"]


# --- malformed bodies: 400 JSON with a code --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b'"x"', b"null", b"5", b"true", b"\xff\xfe{}", b"{", b"", b'{"query": "\\ud800"}'],
    ids=["string", "null", "number", "boolean", "invalid utf-8", "truncated", "empty", "surrogate"],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    http: httpx.AsyncClient, auth: dict[str, str], body: bytes
) -> None:
    response = await http.post(
        "/graphql", content=body, headers={**auth, "content-type": "application/json"}
    )
    assert refusal(response)["extensions"]["code"] == "BAD_REQUEST"


async def test_variables_nested_thousands_deep_are_refused(
    http: httpx.AsyncClient, auth: dict[str, str], settings: Settings
) -> None:
    for depth in (settings.max_json_depth + 1, 5000):
        variables = b'{"a":' * depth + b"1" + b"}" * depth
        body = b'{"query": "{ __typename }", "variables": ' + variables + b"}"
        response = await http.post(
            "/graphql", content=body, headers={**auth, "content-type": "application/json"}
        )
        assert "nest" in refusal(response)["message"] or "depth" in refusal(response)["message"]


@pytest.mark.parametrize(
    ("request_kwargs", "fragment"),
    [
        ({"json": {"variables": {}}}, "query"),
        ({"json": {"query": "query A { __typename }", "operationName": "B"}}, "B"),
        ({"json": [{"query": "{ __typename }"}] * 2}, "Batching"),
        ({"json": {"query": 5}}, "query"),
        ({"json": {"query": "{ __typename }", "variables": [1]}}, "variables"),
        ({"content": b"{ __typename }", "headers": {"content-type": "text/plain"}}, "content type"),
        (
            {"json": {"query": 'subscription { serviceJobChanged(id: "x") { id } }'}},
            "WebSocket",
        ),
    ],
    ids=["no query", "unknown operation", "batch", "query not text", "variables", "media", "sub"],
)
async def test_request_level_refusals_are_json_with_a_code(
    http: httpx.AsyncClient,
    auth: dict[str, str],
    request_kwargs: dict[str, Any],
    fragment: str,
) -> None:
    headers = {**auth, **request_kwargs.pop("headers", {})}
    response = await http.post("/graphql", headers=headers, **request_kwargs)
    error = refusal(response)
    assert fragment.lower() in error["message"].lower(), error


async def test_a_mutation_over_get_is_refused_as_json(
    http: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await http.get(
        "/graphql",
        params={"query": 'mutation { deleteWebhookSubscription(input: {id: "x"}) { ok } }'},
        headers=auth,
    )
    assert response.status_code in (400, 405)
    assert response.json()["errors"][0]["extensions"]["code"]


# --- texts are bounded; NUL and lone surrogates never reach the database --------------------


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"tenantCustomServiceId": "x" * 256}, "at most 255"),
        ({"tenantCustomServiceId": "a\u0000b"}, "NUL"),
        (
            {
                "articleItems": [
                    {"article": {"tenantArticleId": "a", "title": "t" * 18_000}, "quantity": 1}
                ]
            },
            "at most 500",
        ),
        ({"nameLocalized": {"en_US": "n" * 5000}}, "at most 4,000"),
        ({"nameLocalized": {"en_US": "nul\u0000"}}, "NUL"),
    ],
    ids=["long id", "nul id", "long title", "long localized text", "nul in localized text"],
)
async def test_texts_past_their_bound_are_bad_requests_and_nothing_is_written(
    gql: GraphQLClient, variables: dict[str, Any], expected: str
) -> None:
    before = await services(gql)
    payload = {"nameLocalized": {"en_US": "Hostile"}, **variables}
    body = await gql.raw(CREATE, {"input": payload})
    assert codes(body) == ["BAD_REQUEST"], body
    assert expected in body["errors"][0]["message"]
    assert await services(gql) == before


async def test_literal_texts_are_bounded_too(gql: GraphQLClient) -> None:
    long_id = "x" * 300
    body = await gql.raw(f'{{ order(tenantOrderId: "{long_id}") {{ status }} }}')
    assert codes(body) == ["BAD_REQUEST"]
    nul = await gql.raw('{ serviceJob(id: "a\\u0000b") { id } }')
    assert codes(nul) == ["BAD_REQUEST"]
    surrogate = await gql.raw('{ serviceJob(id: "\\ud800") { id } }')
    assert codes(surrogate) == ["BAD_REQUEST"]  # graphql-core's lexer refuses the escape


# --- responses are bounded in bytes -----------------------------------------------------------


async def test_a_response_over_max_response_bytes_is_refused_cleanly(
    settings: Settings, engine: Any
) -> None:
    small = settings.model_copy(update={"max_response_bytes": 65_536})
    app = create_app(small, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        gql = GraphQLClient(client, small, tenant="acme")
        # Every type, field and argument with its description: ~47 KB each time (introspection
        # is on in these settings).
        schema = "__schema { types { name description fields { name description args { name "
        schema += "description } } } }"
        body = await gql.raw(f"{{ a: {schema} b: {schema} }}")
    assert codes(body) == ["RESPONSE_TOO_LARGE"]
    assert body["data"] is None and body["errors"][0]["extensions"]["limit"] == 65_536


async def test_a_response_too_large_stops_while_it_is_built(
    settings: Settings, engine: Any
) -> None:
    """The regression of "one request, 3 GB": long titles under many aliases. The executor
    stops at the budget (its message says "larger than"), before the rest is built."""
    small = settings.model_copy(update={"max_response_bytes": 65_536})
    app = create_app(small, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        gql = GraphQLClient(client, small, tenant="acme")
        step = await service(gql, "long titles")
        items = [line_item(f"art-{n}", "t" * TITLE_LENGTH) for n in range(50)]
        for _ in range(3):
            await job(gql, step, lineItems=items)
        one = "serviceJobs(first: 100) { nodes { id lineItems { article { title } } } }"
        fits = await gql.raw(f"{{ {one} }}")  # ~77 KB of titles: over 64 KiB already
        assert codes(fits) == ["RESPONSE_TOO_LARGE"]
        refused = fast_path.OUTCOMES["too_large"]
        body = await gql.raw("{ " + " ".join(f"a{i}: {one}" for i in range(30)) + " }")
        # The compiled walk's encoded size passed the budget: that is the answer, nothing is
        # built again by graphql-core.
        assert fast_path.OUTCOMES["too_large"] > refused
    assert codes(body) == ["RESPONSE_TOO_LARGE"] and body["data"] is None
    assert "larger than 65,536 bytes" in body["errors"][0]["message"]
    assert len(body["errors"]) == 1


# --- production suggests no names of the schema ----------------------------------------------


@pytest.mark.parametrize(
    "document",
    [
        "{ customServices(fist: 1) { totalCount } }",  # argument
        "{ customServices(filter: {status: ACTIV}) { totalCount } }",  # enum value
        "{ customServices(filter: {statu: ACTIVE}) { totalCount } }",  # input field
        "{ customServices { totalCont } }",  # field
        "{ customService(id: 1) { nam } }",  # field on an object
    ],
)
async def test_production_errors_suggest_nothing(gql: GraphQLClient, document: str) -> None:
    body = await gql.raw(document)
    assert codes(body) and set(codes(body)) == {"BAD_REQUEST"}
    assert all("Did you mean" not in e["message"] for e in body["errors"]), body


async def test_development_still_suggests(dev_settings: Settings, engine: Any) -> None:
    app = create_app(dev_settings, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        gql = GraphQLClient(client, dev_settings, tenant="acme")
        body = await gql.raw("{ customServices(fist: 1) { totalCount } }")
    assert "Did you mean 'first'?" in body["errors"][0]["message"]


# --- request heads are bounded (a real server: the protocol layer is uvicorn's) --------------


@pytest.fixture(scope="module")
def server(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module's tests of it (starting one costs seconds)."""
    env = {"JWT_SECRET": TEST_SECRET, "MAX_HEADER_BYTES": "65536"}
    log_dir = tmp_path_factory.mktemp("server")
    with running_server(module_database_url, env, log_dir=log_dir) as s:
        yield s


def _send_huge_head(port: int, megabytes: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        try:
            for i in range(megabytes * 16):
                s.sendall(b"X-Pad-%d: " % i + b"a" * 65_000 + b"\r\n")
        except OSError:
            pass  # the server answered and closed: what we want
        return s.recv(1000)


def test_a_huge_request_head_is_refused_with_431(server: Server) -> None:
    answer = _send_huge_head(server.port, 48)
    assert answer.startswith(b"HTTP/1.1 431"), answer
    assert b'"HEADERS_TOO_LARGE"' in answer
    assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
    # A normal request with a normal head still works on a fresh connection.
    response = httpx.post(f"{server.url}/graphql", json={"query": COUNT}, timeout=5)
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


# --- the same bounds over WebSocket -----------------------------------------------------------


async def test_subscriptions_and_socket_operations_meet_the_same_limits(
    server: Server, settings: Settings
) -> None:
    token = issue_token(settings, tenant="acme")
    items = " ".join(f"i{n}: lineItems {{ article {{ title }} }}" for n in range(20))
    # One tree of up to 1,000 jobs, each with 20 x 50 line items: ~3 million.
    heavy = (
        "subscription($id: ID!) { linkedServiceJobsChanged(id: $id) { "
        f"allServiceJobLinks {{ serviceJob {{ {items} }} }} }} }}"
    )
    async with graphql_ws(server.ws_url, token) as ws:
        for document, variables, code in [
            (heavy, {"id": "x"}, "QUERY_TOO_COMPLEX"),
            (fragment_chain(30), {}, "QUERY_TOO_COMPLEX"),
            (
                "subscription($id: ID!) { serviceJobChanged(id: $id) { id } }",
                {"id": "a\u0000b"},
                "BAD_REQUEST",
            ),
        ]:
            ident = await ws.subscribe(document, variables)
            message = await ws.receive()
            assert message["id"] == ident and message["type"] in {"next", "error"}, message
            payload = message["payload"]
            errors = payload if message["type"] == "error" else payload["errors"]
            assert errors[0]["extensions"]["code"] == code, message
            if message["type"] == "next":
                assert await ws.receive() == {"id": ident, "type": "complete"}
