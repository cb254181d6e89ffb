"""Custom services on the compiled read path (`customService`, `customServices`, their
questions and prerequisites): a corpus and generated selections answer exactly as graphql-core
answers them, and with the statements promised (one per relation per level, whatever the
number of services)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import SessionFactory
from app.graphql import fast_path
from app.services.seeding import seed
from app.settings import Settings
from bench.services import PAGE, service_id, services_document
from tests.api.test_fast_path import same
from tests.conftest import StatementCounter
from tests.support.read_path import Clients, assert_compiled_read, both_paths
from tests.support.selections import selections

#: Three chains of prerequisites (services 0 to 9, 10 to 19, 20 to 24).
COUNT = 25
SERVICE = service_id(12)

EVERY_SERVICE_FIELD = """id tenantCustomServiceId status nameLocalized descriptionLocalized
  executionTimeInMin itemsReturnable itemsRequired customAttributes created lastModified
  version name description fr: name(locale: fr_FR) de: description(locale: de_DE)
  __typename
  articleItems { quantity article { tenantArticleId title imageUrl
    attributes { key value category priority } } }
  additionalInformation { id tenantAdditionalInformationId nameLocalized descriptionLocalized
    valueType isMandatory name description de: name(locale: de_DE) __typename }
  requiredCustomServiceRefs"""

CORPUS: list[str] = [
    PAGE,
    f"""query($id: ID!) {{ customService(id: $id) {{ {EVERY_SERVICE_FIELD}
      requiredCustomServices {{ {EVERY_SERVICE_FIELD}
        requiredCustomServices {{ id requiredCustomServices {{ id }} }} }} }} }}""",
    f"{{ customServices(first: 30) {{ totalCount nodes {{ {EVERY_SERVICE_FIELD} }} }} }}",
    # edges, cursors, page info, a filter
    """{ customServices(first: 4) { totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id name } } } }""",
    """{ customServices(first: 5, filter: {status: ACTIVE}) { nodes { id status } } }""",
    """{ customServices(filter: {tenantCustomServiceId: "bench-service-007"})
      { totalCount nodes { id tenantCustomServiceId requiredCustomServiceRefs } } }""",
    # aliases, fragments, directives, __typename
    """query($id: ID!, $yes: Boolean!, $no: Boolean!) {
      a: customService(id: $id) { __typename k: id ...service
        r: requiredCustomServices { ...service } }
      b: customServices(first: 3) @include(if: $yes) { nodes { ...service } }
      c: customServices(first: 2) @skip(if: $yes) { totalCount } }
    fragment service on CustomService { n: name(locale: de_DE) version @skip(if: $yes)
      ... @include(if: $no) { status }
      additionalInformation { q: name isMandatory } requiredCustomServiceRefs }""",
    # the same relation twice at a level, and both prerequisite fields
    """{ customServices(first: 12) { nodes { id
      one: additionalInformation { id } two: additionalInformation { name }
      requiredCustomServiceRefs requiredCustomServices { id requiredCustomServiceRefs } } } }""",
    # nulls and errors
    """{ customService(id: "nope") { id name } }""",
    """{ customServices(first: 500) { nodes { id } } }""",
    """{ customServices(after: "garbage") { nodes { id } } }""",
    # two roots of one operation
    """query($id: ID!) { one: customService(id: $id) { id name }
      two: customServices(first: 2) { nodes { id } } }""",
]

VARIABLES = {"id": SERVICE, "yes": True, "no": False}


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> AsyncIterator[Clients]:
    await seed(db, "acme", services_document(COUNT))
    async with both_paths(settings, engine) as clients:
        yield clients


async def test_the_corpus_answers_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    direct = fast_path.OUTCOMES["direct"]
    answers = [await same(clients, query, VARIABLES) for query in CORPUS]
    nodes = answers[0]["data"]["customServices"]["nodes"]
    assert len(nodes) == COUNT
    assert nodes[12]["requiredCustomServices"] == [
        {"tenantCustomServiceId": "bench-service-011", "name": "Service 11"},
        {"tenantCustomServiceId": "bench-service-010", "name": "Service 10"},
    ]
    assert nodes[12]["de"] == "Dienst 12"
    for answer in answers[:8] + answers[11:]:
        assert "errors" not in answer, answer
    service = answers[1]["data"]["customService"]
    assert service["id"] == SERVICE
    assert [q["name"] for q in service["additionalInformation"]] == [
        "Question 0",
        "Question 1",
        "Question 2",
    ]
    assert service["requiredCustomServices"][0]["requiredCustomServices"][0]["id"] == (
        service_id(10)
    )
    assert answers[8]["data"] == {"customService": None}
    assert answers[9]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert answers[10]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # Through the compiled path; sent again, without graphql-core's executor.
    assert fast_path.OUTCOMES["compiled"] - before >= 10
    assert fast_path.OUTCOMES["direct"] - direct >= 6


SCALARS = {
    "CustomService": [
        "id",
        "status",
        "name",
        "name(locale: de_DE)",
        "description",
        "nameLocalized",
        "executionTimeInMin",
        "itemsRequired",
        "requiredCustomServiceRefs",
        "created",
        "__typename",
    ],
    "AdditionalInformation": ["id", "name", "valueType", "isMandatory", "__typename"],
    "ArticleItem": ["quantity", "__typename"],
    "Article": ["tenantArticleId", "title", "__typename"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    "CustomServiceEdge": ["cursor", "__typename"],
    "CustomServiceConnection": ["totalCount", "__typename"],
}
CHILDREN = {
    "CustomService": [
        ("additionalInformation", "AdditionalInformation"),
        ("articleItems", "ArticleItem"),
        ("requiredCustomServices", "CustomService"),
    ],
    "AdditionalInformation": [],
    "ArticleItem": [("article", "Article")],
    "Article": [],
    "PageInfo": [],
    "CustomServiceEdge": [("node", "CustomService")],
    "CustomServiceConnection": [
        ("nodes", "CustomService"),
        ("edges", "CustomServiceEdge"),
        ("pageInfo", "PageInfo"),
    ],
}


async def test_generated_selections_answer_identically(clients: Clients) -> None:
    queries: list[str] = []

    @settings(
        max_examples=25, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        selections(SCALARS, CHILDREN, "CustomServiceConnection"),
        selections(SCALARS, CHILDREN, "CustomService"),
        st.integers(0, 12),
    )
    def collect(page: str, service: str, first: int) -> None:
        queries.append(
            f"query($id: ID!, $yes: Boolean!) {{ customServices(first: {first}) {{ {page} }} "
            f"customService(id: $id) {{ {service} }} }}"
        )

    collect()
    for query in queries:
        for flag in (True, False):
            await same(clients, query, {"id": SERVICE, "yes": flag})


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        ("query($id: ID!) { customService(id: $id) { id name } }", 1),
        # the page, the count, the questions, the prerequisites' ids, the prerequisites
        (PAGE, 5),
        # the page, the prerequisites' ids, the prerequisites; then theirs, one level down
        (
            "{ customServices(first: 25) { nodes { requiredCustomServices { "
            "requiredCustomServices { id } } } } }",
            5,
        ),
        ("{ customServices(first: 25) { nodes { requiredCustomServiceRefs } } }", 2),
    ],
)
async def test_reads_cost_one_statement_per_relation_and_level_and_no_transaction(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    statements: int,
) -> None:
    await assert_compiled_read(clients, sql, transactions, query, VARIABLES, statements)
