"""Facility connections on the compiled read path (`facilityCustomServiceConnections` and
each connection's `customService`): a corpus and generated selections answer exactly as
graphql-core answers them, a facility out of the caller's scope looks empty on both paths,
and the statements are the ones promised (the page, then one for the services of a level)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.db.engine import SessionFactory
from app.graphql import fast_path
from app.services.seeding import seed
from app.settings import Settings
from bench.services import service_id, services_document
from tests.api.test_fast_path import same
from tests.conftest import StatementCounter
from tests.support.read_path import Clients, assert_compiled_read, both_paths
from tests.support.selections import selections

SERVICES = 12
#: fac-a offers every service (the odd ones inactive, one with its own duration); fac-b
#: offers services 0 to 3; fac-c nothing.
FACILITIES = {"fac-a": range(SERVICES), "fac-b": range(4)}


def catalogue() -> dict[str, Any]:
    document = services_document(SERVICES)
    document["facilityConnections"] = [
        {
            "id": f"conn-{facility}-{n:02d}",
            "facilityRef": facility,
            "customServiceRef": service_id(n),
            "status": "INACTIVE" if n % 2 else "ACTIVE",
            "executionTimeInMin": 45 if n == 5 else None,
        }
        for facility, services in FACILITIES.items()
        for n in services
    ]
    return document


EVERY_CONNECTION_FIELD = """id facilityRef customServiceRef status executionTimeInMin created
  lastModified version __typename
  customService { id name de: name(locale: de_DE) status executionTimeInMin
    additionalInformation { name isMandatory }
    requiredCustomServices { id name requiredCustomServiceRefs } }"""

CORPUS: list[str] = [
    f"""query($facility: ID!) {{ facilityCustomServiceConnections(facilityId: $facility,
      first: 50) {{ totalCount nodes {{ {EVERY_CONNECTION_FIELD} }} }} }}""",
    # edges, cursors, page info, a small page
    """{ facilityCustomServiceConnections(facilityId: "fac-a", first: 5) { totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id status customService { id } } } } }""",
    # a facility with fewer connections, one without any
    """{ b: facilityCustomServiceConnections(facilityId: "fac-b") { totalCount
        nodes { customServiceRef customService { name } } }
      c: facilityCustomServiceConnections(facilityId: "fac-c") { totalCount nodes { id }
        pageInfo { hasNextPage } } }""",
    # aliases, fragments, directives
    """query($facility: ID!, $yes: Boolean!) {
      facilityCustomServiceConnections(facilityId: $facility, first: 3) {
        nodes { ...connection s: customService @include(if: $yes) { k: id } } } }
    fragment connection on FacilityCustomServiceConnection { __typename id
      version @skip(if: $yes) ... on FacilityCustomServiceConnection { facilityRef } }""",
    # errors
    """{ facilityCustomServiceConnections(facilityId: "fac-a", first: 500) { nodes { id } } }""",
    """{ facilityCustomServiceConnections(facilityId: "fac-a", after: "x") { nodes { id } } }""",
]

VARIABLES = {"facility": "fac-a", "yes": True}


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> AsyncIterator[Clients]:
    await seed(db, "acme", catalogue())
    async with both_paths(settings, engine) as clients:
        yield clients


async def test_the_corpus_answers_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    direct = fast_path.OUTCOMES["direct"]
    answers = [await same(clients, query, VARIABLES) for query in CORPUS]
    for answer in answers[:4]:
        assert "errors" not in answer, answer
    page = answers[0]["data"]["facilityCustomServiceConnections"]
    assert page["totalCount"] == SERVICES
    fifth = page["nodes"][5]
    assert (fifth["status"], fifth["executionTimeInMin"]) == ("INACTIVE", 45)
    assert fifth["customService"]["de"] == "Dienst 5"
    assert [s["id"] for s in fifth["customService"]["requiredCustomServices"]] == [
        service_id(4),
        service_id(3),
    ]
    second = answers[2]["data"]
    assert second["b"]["totalCount"] == 4
    assert second["c"] == {"totalCount": 0, "nodes": [], "pageInfo": {"hasNextPage": False}}
    assert answers[4]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert answers[5]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert fast_path.OUTCOMES["compiled"] - before >= 5
    assert fast_path.OUTCOMES["direct"] - direct >= 3


async def test_a_facility_out_of_scope_looks_empty_on_both_paths(
    clients: Clients, settings: Settings
) -> None:
    token = issue_token(settings, tenant="acme", facilities=["fac-b"])
    scoped = (clients[0], clients[1], {"Authorization": f"Bearer {token}"})
    query = """query($facility: ID!) { facilityCustomServiceConnections(facilityId: $facility)
      { totalCount nodes { id customService { id } } pageInfo { hasNextPage } } }"""
    hidden = await same(scoped, query, {"facility": "fac-a"})
    assert hidden["data"]["facilityCustomServiceConnections"] == {
        "totalCount": 0,
        "nodes": [],
        "pageInfo": {"hasNextPage": False},
    }
    seen = await same(scoped, query, {"facility": "fac-b"})
    assert seen["data"]["facilityCustomServiceConnections"]["totalCount"] == 4


SCALARS = {
    "FacilityCustomServiceConnection": [
        "id",
        "facilityRef",
        "customServiceRef",
        "status",
        "executionTimeInMin",
        "version",
        "__typename",
    ],
    "CustomService": ["id", "name", "status", "requiredCustomServiceRefs", "__typename"],
    "AdditionalInformation": ["name", "valueType"],
    "PageInfo": ["hasNextPage", "endCursor"],
    "FacilityCustomServiceConnectionEdge": ["cursor"],
    "FacilityCustomServiceConnectionConnection": ["totalCount", "__typename"],
}
CHILDREN = {
    "FacilityCustomServiceConnection": [("customService", "CustomService")],
    "CustomService": [
        ("additionalInformation", "AdditionalInformation"),
        ("requiredCustomServices", "CustomService"),
    ],
    "AdditionalInformation": [],
    "PageInfo": [],
    "FacilityCustomServiceConnectionEdge": [("node", "FacilityCustomServiceConnection")],
    "FacilityCustomServiceConnectionConnection": [
        ("nodes", "FacilityCustomServiceConnection"),
        ("edges", "FacilityCustomServiceConnectionEdge"),
        ("pageInfo", "PageInfo"),
    ],
}


async def test_generated_selections_answer_identically(clients: Clients) -> None:
    queries: list[str] = []

    @settings(
        max_examples=20, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        selections(SCALARS, CHILDREN, "FacilityCustomServiceConnectionConnection"),
        st.integers(0, 12),
        st.sampled_from(["fac-a", "fac-b", "fac-c"]),
    )
    def collect(page: str, first: int, facility: str) -> None:
        queries.append(
            "query($yes: Boolean!) { facilityCustomServiceConnections("
            f'facilityId: "{facility}", first: {first}) {{ {page} }} }}'
        )

    collect()
    for query in queries:
        for flag in (True, False):
            await same(clients, query, {"yes": flag})


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        ('{ facilityCustomServiceConnections(facilityId: "fac-a") { nodes { id } } }', 1),
        # the page, the count, the services of the level (each read once)
        (
            '{ facilityCustomServiceConnections(facilityId: "fac-a") { totalCount '
            "nodes { customService { id name } } } }",
            3,
        ),
        # then the services' questions and prerequisites' ids, one statement each
        (
            '{ facilityCustomServiceConnections(facilityId: "fac-a") { nodes { '
            "customService { additionalInformation { name } requiredCustomServiceRefs } } } }",
            4,
        ),
    ],
)
async def test_reads_cost_one_statement_per_relation_and_level_and_no_transaction(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    statements: int,
) -> None:
    await assert_compiled_read(clients, sql, transactions, query, {}, statements)
