"""The compiled tree path answers exactly like graphql-core: a corpus of hand-written queries
and hypothesis-generated selections run through both, responses compared byte for byte (data
and errors)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.db.engine import SessionFactory
from app.graphql.appointments.types import APPOINTMENTS_OF_JOBS
from app.graphql.read_path.sources import StepAside
from app.graphql.service_jobs.types import ServiceJob
from app.services.seeding import seed
from app.settings import Settings
from tests.support.read_path import both_paths
from tests.support.selections import selections

TREE = "0b5d6f1e-0000-4000-8000-000000000001"


def random_tree(size: int, seed_value: int) -> dict[str, Any]:
    """A tree document with a random shape, statuses, names and line items."""
    rng = random.Random(seed_value)
    links: list[dict[str, Any]] = []
    depth: dict[str, int] = {}
    for index in range(size):
        parents = [link["id"] for link in links if depth[link["id"]] < 25]
        parent = rng.choice(parents) if parents and index else None
        link_id = f"0b5d6f1e-0000-4000-8000-{index + 100:012d}"
        depth[link_id] = 1 if parent is None else depth[parent] + 1
        items = [
            {
                "id": f"0b5d6f1e-0000-4000-9000-{index * 10 + n:012d}",
                "article": {
                    "tenantArticleId": f"art-{rng.randint(1, 50)}",
                    **({"title": f"Item {n}"} if rng.random() < 0.7 else {}),
                },
                "quantity": rng.randint(1, 5),
            }
            for n in range(rng.randint(0, 3))
        ]
        links.append(
            {
                "id": link_id,
                "parentLinkId": parent,
                "serviceJob": {
                    "id": f"0b5d6f1e-0000-4000-a000-{index:012d}",
                    "name": f"Job {index}",
                    "status": rng.choice(["NOT_READY", "OPEN", "IN_PROGRESS", "FINISHED"]),
                    "facilityRef": "fac-1",
                    "targetTime": f"2026-12-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:00Z",
                    "lineItems": items,
                },
            }
        )
    return {"trees": [{"id": TREE, "facilityRef": "fac-1", "links": links}]}


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]]]:
    await seed(db, "acme", random_tree(60, 7))
    async with both_paths(settings, engine) as both:
        yield both


async def same(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    fast, plain, default_headers = clients
    headers = headers or default_headers
    body: dict[str, Any] = {"query": query, "variables": variables or {"id": TREE}}
    if operation_name is not None:
        body["operationName"] = operation_name
    one = await fast.post("/graphql", json=body, headers=headers)
    # The same text again: answered by the read lane (app/graphql/pipeline/lane.py) when
    # every check before execution passes, now that it has been parsed and validated.
    again = await fast.post("/graphql", json=body, headers=headers)
    two = await plain.post("/graphql", json=body, headers=headers)
    left, repeated, right = one.json(), again.json(), two.json()
    for response in (left, repeated, right):  # request ids differ by design
        for error in response.get("errors") or ():
            error.get("extensions", {}).pop("requestId", None)
            error["message"] = error["message"].split(" (request id")[0]
    assert orjson.dumps(left) == orjson.dumps(right), query
    assert orjson.dumps(repeated) == orjson.dumps(right), query
    result: dict[str, Any] = left
    return result


LINK = "id depth serviceJobRef previousServiceJobLinkRef"
JOB = """id status facilityRef targetTime version name processRef tenantOrderId subStatus
  itemsRequired itemsReturnable executionTimeInMin created lastModified targetTimes
  statusInformation { status reason } assignedUsers { userId }
  lineItems { id quantity scannableCodes article { tenantArticleId title imageUrl } }"""
CORPUS = [
    f"query($id: ID!) {{ linkedServiceJobs(id: $id) {{ id status version "
    f"serviceJobLinks {{ {LINK} serviceJob {{ {JOB} }} nextServiceJobLinks {{ {LINK} "
    f"serviceJob {{ {JOB} }} nextServiceJobLinks {{ {LINK} }} }} }} }} }}",
    # aliases, the same field twice, __typename
    """query($id: ID!) { t: linkedServiceJobs(id: $id) { __typename key: id id
      all: allServiceJobLinks { __typename a: id b: depth serviceJob { n: name n2: name
        de: name(locale: de_DE) __typename } } } }""",
    # named and inline fragments, nested fragment spreads, type conditions
    """query($id: ID!) { linkedServiceJobs(id: $id) { ...tree } }
    fragment tree on LinkedServiceJobs { status serviceJobLinks { ...link
      nextServiceJobLinks { ...link nextServiceJobLinks { ... on ServiceJobLink { id } } } } }
    fragment link on ServiceJobLink { id ... on ServiceJobLink { depth serviceJob { ...job } } }
    fragment job on ServiceJob { id ... { status } lineItems { ...item } }
    fragment item on LineItem { id article { tenantArticleId } }""",
    # @include / @skip with variables, on fields and fragments
    """query($id: ID!, $yes: Boolean!, $no: Boolean!) { linkedServiceJobs(id: $id) {
      id @include(if: $yes) status @skip(if: $yes)
      allServiceJobLinks { depth @include(if: $no) ... @include(if: $yes) { id }
        serviceJob @skip(if: $no) { name @include(if: $yes) version @skip(if: $yes) } } } }""",
    # inherited line items, additional information, required line items, nullables
    """query($id: ID!) { linkedServiceJobs(id: $id) { allServiceJobLinks { serviceJob {
      id description customServiceRef inheritedLineItems { serviceJobRef id quantity }
      additionalInformation { id name value } requiredLineItems { quantity } } } } }""",
    # relations the tree does not hold: fetched for the whole tree, then the walk
    """query($id: ID!) { linkedServiceJobs(id: $id) { id serviceData { version }
      serviceJobLinks { id serviceJob { appointments { appointmentId } } } } }""",
    # a tree that does not exist
    """query { linkedServiceJobs(id: "nope") { id serviceJobLinks { id } } }""",
    # graphql-core completing line items of a tree read with only the columns asked for
    """query($id: ID!) { linkedServiceJobs(id: $id) { serviceData { version }
      allServiceJobLinks { serviceJob { id lineItems { quantity } } } } }""",
]


@pytest.mark.parametrize("index", range(len(CORPUS)))
async def test_the_corpus_answers_identically(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]], index: int
) -> None:
    data = await same(clients, CORPUS[index], {"id": TREE, "yes": True, "no": False})
    assert "errors" not in data or index == 6


async def test_a_field_error_inside_the_tree_is_reported_identically(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: ServiceJob) -> list[Any]:
        raise RuntimeError("boom")

    # Strawberry calls the function it wrapped; break that one.
    definition = ServiceJob.__strawberry_definition__  # type: ignore[attr-defined]
    field = next(f for f in definition.fields if f.python_name == "assigned_users")
    monkeypatch.setattr(field.base_resolver, "wrapped_func", broken)
    data = await same(
        clients,
        "query($id: ID!) { linkedServiceJobs(id: $id) { allServiceJobLinks { id serviceJob "
        "{ id assignedUsers { userId } } } } }",
    )
    assert data["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    # serviceJob is non-null, so the null travels up to the nullable tree.
    assert data["data"] == {"linkedServiceJobs": None}


SCALAR_FIELDS = {
    "ServiceJobLink": ["id", "depth", "serviceJobRef", "previousServiceJobLinkRef", "__typename"],
    "ServiceJob": [
        "id",
        "status",
        "facilityRef",
        "targetTime",
        "version",
        "name",
        "name(locale: fr_FR)",
        "processRef",
        "subStatus",
        "targetTimes",
        "created",
        "itemsRequired",
        "__typename",
    ],
    "LineItem": ["id", "quantity", "scannableCodes", "__typename"],
    "Article": ["tenantArticleId", "title", "imageUrl"],
}
CHILDREN = {
    "ServiceJobLink": [("serviceJob", "ServiceJob"), ("nextServiceJobLinks", "ServiceJobLink")],
    "ServiceJob": [("lineItems", "LineItem"), ("statusInformation", "StatusInformation")],
    "LineItem": [("article", "Article")],
    "StatusInformation": [],
    "Article": [],
}
SCALAR_FIELDS["StatusInformation"] = ["status", "reason"]


async def test_generated_selections_answer_identically(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
) -> None:
    queries: list[str] = []

    @settings(
        max_examples=40, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(selections(SCALAR_FIELDS, CHILDREN, "ServiceJobLink"), st.booleans())
    def collect(inner: str, flat: bool) -> None:
        root = "allServiceJobLinks" if flat else "serviceJobLinks"
        queries.append(
            f"query($id: ID!, $yes: Boolean!) {{ linkedServiceJobs(id: $id) {{ id "
            f"{root} {{ {inner} }} }} }}"
        )

    collect()
    assert len(queries) >= 20
    for query in queries:
        for flag in (True, False):
            await same(clients, query, {"id": TREE, "yes": flag})


async def test_the_fast_path_really_answers_the_tree_queries(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guards the differential tests above against passing because the fast path always
    stepped aside: the ordinary completion must not see a LinkedServiceJobs object."""
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    ordinary = StrawberryGraphQLCoreExecutionContext.complete_object_value
    seen: list[str] = []

    def spy(self: Any, return_type: Any, *args: Any) -> Any:
        seen.append(return_type.name)
        return ordinary(self, return_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "complete_object_value", spy)
    fast, _, headers = clients
    for query in CORPUS[:5]:
        response = await fast.post(
            "/graphql",
            json={"query": query, "variables": {"id": TREE, "yes": True, "no": False}},
            headers=headers,
        )
        assert "errors" not in response.json()
    await fast.post(
        "/graphql", json={"query": CORPUS[5], "variables": {"id": TREE}}, headers=headers
    )
    assert "LinkedServiceJobs" not in seen

    # The spy does see a tree when the walk steps aside (a relation saying it cannot).
    async def cannot(context: Any, parents: Any) -> Any:
        raise StepAside

    monkeypatch.setattr(APPOINTMENTS_OF_JOBS, "fetch", cannot)
    response = await fast.post(
        "/graphql", json={"query": CORPUS[5], "variables": {"id": TREE}}, headers=headers
    )
    assert "errors" not in response.json()
    assert "LinkedServiceJobs" in seen


def nested_links(levels: int) -> str:
    inner = "id"
    for _ in range(levels - 1):
        inner = f"id nextServiceJobLinks {{ {inner} }}"
    return f"query($id: ID!) {{ linkedServiceJobs(id: $id) {{ serviceJobLinks {{ {inner} }} }} }}"


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("another tenant", CORPUS[0]),
        ("another facility", CORPUS[0]),
        ("the owner", nested_links(40)),  # deeper than the depth limit
        (
            "the owner",
            "query($id: ID!) { linkedServiceJobs(id: $id) { "
            + " ".join(f"a{n}: id" for n in range(40))  # more aliases than allowed
            + " } }",
        ),
        (
            "the owner",  # lists multiplied beyond the cost limit
            "{ serviceJobs(first: 100) { nodes { linkedServiceJobs {"
            " allServiceJobLinks { serviceJob { lineItems { id } } } } } } }",
        ),
    ],
)
async def test_limits_and_scoping_apply_on_both_paths(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
    settings: Settings,
    who: str,
    query: str,
) -> None:
    token = {
        "another tenant": issue_token(settings, tenant="globex"),
        "another facility": issue_token(settings, tenant="acme", facilities=["fac-2"]),
        "the owner": issue_token(settings, tenant="acme"),
    }[who]
    response = await same(
        clients, query, {"id": TREE, "yes": True, "no": False}, {"Authorization": f"Bearer {token}"}
    )
    if who == "the owner":
        assert response["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert "data" not in response or response["data"] is None
    else:
        assert response["data"] == {"linkedServiceJobs": None}


async def test_each_operation_of_a_document_gets_its_own_walk(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
) -> None:
    """Walks are cached by query text and position: the operation is part of the key, or a
    document's second operation would be answered with the first one's fields."""
    document = """
      query A($id: ID!) { linkedServiceJobs(id: $id) { id status } }
      query B($id: ID!) { linkedServiceJobs(id: $id) { version allServiceJobLinks { id } } }
    """
    first = await same(clients, document, operation_name="A")
    second = await same(clients, document, operation_name="B")
    assert set(first["data"]["linkedServiceJobs"]) == {"id", "status"}
    assert set(second["data"]["linkedServiceJobs"]) == {"version", "allServiceJobLinks"}


async def test_the_tree_id_does_not_make_a_walk_of_its_own(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient, dict[str, str]],
) -> None:
    """Only variables used beneath the root change a walk: every tree shares one."""
    from app.graphql import fast_path

    query = "query Shared($id: ID!, $de: Boolean!) { linkedServiceJobs(id: $id) { id "
    query += "allServiceJobLinks { id serviceJob { name @include(if: $de) } } } }"
    await same(clients, query, {"id": TREE, "de": True})
    used = [
        names for (text, _, _), names in fast_path._VARIABLES_USED._items.items() if text == query
    ]
    assert used == [("de",)]
