"""The compiled read path of root fields (`serviceJob`, `serviceJobs`) answers exactly like
graphql-core: a corpus and hypothesis-generated selections run through both (the fast path on
and off), responses compared byte for byte, errors and nulls included; and it answers with
the statements it promises (one for a job or a page, line items included), without
transactions."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.engine import SessionFactory
from app.graphql import fast_path
from app.graphql.schema import build_schema
from app.services.seeding import seed
from app.settings import Settings
from tests.api.test_fast_path import TREE, random_tree, same
from tests.conftest import StatementCounter
from tests.support.read_path import Clients, assert_compiled_read, both_paths
from tests.support.schema_walk import Walk, render, selection, unwrap
from tests.support.selections import selections

JOB = "0b5d6f1e-0000-4000-a000-000000000003"
OTHER_FACILITY_JOB = "1c6e7f2a-0000-4000-a000-000000000003"

W3 = "query Job($id: ID!) { serviceJob(id: $id) { id name status facilityRef targetTime version } }"
W4 = (
    "query Page($fac: String!) { serviceJobs(first: 100, filter: {facilityRef: $fac}) { nodes { "
    "id name status facilityRef targetTime version "
    "lineItems { id article { tenantArticleId title } quantity } } } }"
)
EVERY_JOB_FIELD = """id status facilityRef targetTime processRef operativeProcessRef shortId
  tenantOrderId customServiceRef tenantCustomServiceId linkedServiceJobsRef nameLocalized
  descriptionLocalized itemsRequired itemsReturnable executionTimeInMin customAttributes
  marketplaceId serviceType subStatus created lastModified version targetTimes
  additionalInformation { id tenantAdditionalInformationId nameLocalized descriptionLocalized
    valueType isMandatory value name description(locale: de_DE) }
  requiredLineItems { quantity article { tenantArticleId title imageUrl
    attributes { key value category priority } } }
  assignedUsers { userId username }
  statusInformation { status reason lastModified
    cancelReason { reason reasonLocalized reasonCode } }
  name description fr: name(locale: fr_FR) __typename
  lineItems { id quantity scannableCodes customAttributes __typename
    article { tenantArticleId title imageUrl attributes { key value category priority } } }"""

CORPUS: list[str] = [
    W3,
    W4,
    f"query($id: ID!) {{ serviceJob(id: $id) {{ {EVERY_JOB_FIELD} }} }}",
    f"{{ serviceJobs(first: 30) {{ totalCount nodes {{ {EVERY_JOB_FIELD} }} }} }}",
    # edges, cursors, page info, an order, a count
    """{ serviceJobs(first: 7, orderBy: {field: TARGET_TIME, direction: DESC}) {
      totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id targetTime } } } }""",
    """{ serviceJobs(last: 4, orderBy: {field: LAST_MODIFIED}) {
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { id } } }""",
    # aliases, the same field twice, __typename, fragments, directives
    """query($id: ID!, $yes: Boolean!, $no: Boolean!) {
      a: serviceJob(id: $id) { __typename k: id id n: name(locale: de_DE) ...job }
      b: serviceJobs(first: 3) @include(if: $yes) { __typename ... on ServiceJobConnection {
        nodes { ...job version @skip(if: $yes) } } }
      c: serviceJobs(first: 2) @skip(if: $yes) { totalCount } }
    fragment job on ServiceJob { status ... @include(if: $no) { version }
      lineItems { ...item q: quantity } }
    fragment item on LineItem { id article { t: title } }""",
    # filters
    """{ serviceJobs(first: 50, filter: {statuses: [OPEN, IN_PROGRESS], facilityRef: "fac-1"})
      { totalCount nodes { id status } } }""",
    """{ serviceJobs(first: 50, filter: {searchTerm: "art-1"}) { nodes { id lineItems {
      article { tenantArticleId } } } } }""",
    # fields read by batched relations (appointments, service data, the job's tree and link,
    # the line items it inherits, read with its tree)
    """query($id: ID!) { serviceJob(id: $id) { id appointments { appointmentId }
      serviceData { version } linkedServiceJobs { id status } serviceJobLink { id depth }
      inheritedLineItems { serviceJobRef id } } }""",
    """{ serviceJobs(first: 5) { nodes { id serviceJobLink { depth } } } }""",
    # nulls and errors
    """{ serviceJob(id: "nope") { id name } }""",
    f'{{ serviceJob(id: "{OTHER_FACILITY_JOB}") {{ id }} }}',
    """{ serviceJobs(first: 500) { nodes { id } } }""",
    """{ serviceJobs(first: 5, last: 5) { nodes { id } } }""",
    """{ serviceJobs(after: "garbage") { nodes { id } } }""",
    """{ serviceJobs(first: 2, filter: {searchTerm: ""}) { nodes { id } } }""",
    # two roots of one operation, one each way
    """query($id: ID!) { one: serviceJob(id: $id) { id version }
      two: serviceJobs(first: 2) { nodes { id appointments { appointmentId } } } }""",
]


def other_facility(document: dict[str, Any]) -> dict[str, Any]:
    """The same tree with other ids, in facility fac-2."""
    text = json.dumps(document).replace("0b5d6f1e", "1c6e7f2a").replace('"fac-1"', '"fac-2"')
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> AsyncIterator[Clients]:
    await seed(db, "acme", random_tree(40, 11))
    await seed(db, "acme", other_facility(random_tree(10, 12)))
    async with both_paths(settings, engine, facilities=["fac-1"]) as clients:
        yield clients


VARIABLES = {"id": JOB, "fac": "fac-1", "yes": True, "no": False}


async def test_the_corpus_answers_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    direct = fast_path.OUTCOMES["direct"]
    answers = [await same(clients, query, VARIABLES) for query in CORPUS]
    for answer in answers[:11]:
        assert "errors" not in answer, answer
    assert answers[0]["data"]["serviceJob"]["id"] == JOB
    assert len(answers[1]["data"]["serviceJobs"]["nodes"]) == 40
    assert answers[11]["data"] == {"serviceJob": None}
    assert answers[12]["data"] == {"serviceJob": None}  # another facility's job: as if missing
    assert answers[13]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # The corpus really went through the compiled path, most of it; and, sent again, the
    # documents whose roots all compile were answered without graphql-core's executor.
    assert fast_path.OUTCOMES["compiled"] - before >= 10
    assert fast_path.OUTCOMES["direct"] - direct >= 5


async def test_pages_continue_identically_both_ways(clients: Clients) -> None:
    page = "query($after: String, $before: String) { serviceJobs(first: 6, after: $after) { "
    page += "pageInfo { endCursor hasNextPage } nodes { id } } "
    page += "back: serviceJobs(last: 3, before: $before) { nodes { id } } }"
    after = before = None
    seen: list[str] = []
    for _ in range(8):
        data = (await same(clients, page, {"after": after, "before": before}))["data"]
        ids = [node["id"] for node in data["serviceJobs"]["nodes"]]
        seen += ids
        info = data["serviceJobs"]["pageInfo"]
        if not info["hasNextPage"]:
            break
        after = before = info["endCursor"]
    assert len(seen) == len(set(seen)) == 40


SCALARS = {
    "ServiceJob": [
        "id",
        "status",
        "facilityRef",
        "targetTime",
        "version",
        "name",
        "name(locale: fr_FR)",
        "description",
        "processRef",
        "subStatus",
        "targetTimes",
        "created",
        "customServiceRef",
        "nameLocalized",
        "__typename",
    ],
    "LineItem": ["id", "quantity", "scannableCodes", "customAttributes", "__typename"],
    "Article": ["tenantArticleId", "title", "imageUrl", "__typename"],
    "StatusInformation": ["status", "reason", "lastModified"],
    "PageInfo": ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor"],
    "ServiceJobEdge": ["cursor", "__typename"],
    "ServiceJobConnection": ["totalCount", "__typename"],
}
CHILDREN = {
    "ServiceJob": [("lineItems", "LineItem"), ("statusInformation", "StatusInformation")],
    "LineItem": [("article", "Article")],
    "Article": [],
    "StatusInformation": [],
    "PageInfo": [],
    "ServiceJobEdge": [("node", "ServiceJob")],
    "ServiceJobConnection": [
        ("nodes", "ServiceJob"),
        ("edges", "ServiceJobEdge"),
        ("pageInfo", "PageInfo"),
    ],
}


async def test_generated_selections_answer_identically(clients: Clients) -> None:
    queries: list[str] = []

    @settings(
        max_examples=30, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(
        selections(SCALARS, CHILDREN, "ServiceJobConnection"),
        selections(SCALARS, CHILDREN, "ServiceJob"),
        st.integers(0, 12),
    )
    def collect(page: str, job: str, first: int) -> None:
        queries.append(
            f"query($id: ID!, $yes: Boolean!) {{ serviceJobs(first: {first}) {{ {page} }} "
            f"serviceJob(id: $id) {{ {job} }} }}"
        )

    collect()
    for query in queries:
        for flag in (True, False):
            await same(clients, query, {"id": JOB, "yes": flag})


async def test_every_path_below_a_job_answers_identically(
    clients: Clients, settings: Settings
) -> None:
    """Every field path of ServiceJob two levels down, as the schema walker finds them."""
    schema = build_schema(settings)._schema
    below = render(selection(schema, "ServiceJob", Walk(max_depth=2, max_visits=1)))
    for query in (
        f"query($id: ID!) {{ serviceJob(id: $id) {{ {below} }} }}",
        f"{{ serviceJobs(first: 3) {{ nodes {{ {below} }} }} }}",
    ):
        await same(clients, query, {"id": JOB})


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        (W3, 1),  # the job
        (W4, 1),  # the page, its jobs' line items folded into it
        ("query($id: ID!) { serviceJob(id: $id) { id lineItems { id quantity } } }", 1),
        ("{ serviceJobs(first: 20) { totalCount nodes { id } } }", 2),  # the page, the count
        (  # the same line items under two selections: still folded once
            "{ serviceJobs(first: 50) { edges { node { lineItems { id } } } "
            "nodes { lineItems { quantity } } } }",
            1,
        ),
    ],
)
async def test_reads_cost_one_statement_per_level_and_no_transaction(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    statements: int,
) -> None:
    await assert_compiled_read(clients, sql, transactions, query, VARIABLES, statements)


#: A value for each required argument of a root query field.
ROOT_ARGUMENTS = {
    "id": JOB,
    "facilityId": "fac-1",
    "tenantOrderId": "order-1",
    "serviceJobId": JOB,
    "marketplaceId": "A1PA6795UKMFR9",
    # A subscription nobody has: its deliveries are an empty page on both paths.
    "subscriptionId": "nope",
}
#: Root fields taking an `id` of something other than a job.
ROOT_IDS = {"linkedServiceJobs": TREE, "customService": "nope"}


async def test_every_root_field_answers_identically(clients: Clients, settings: Settings) -> None:
    """Each root query field with every field path below it (as deep as the limits allow),
    through both paths."""
    schema = build_schema(settings)._schema
    assert schema.query_type is not None
    for name, field in schema.query_type.fields.items():
        values = {
            argument: ROOT_IDS.get(name, ROOT_ARGUMENTS[argument])
            if argument == "id"
            else ROOT_ARGUMENTS[argument]
            for argument, definition in field.args.items()
            if str(definition.type).endswith("!")
        }
        declared = ", ".join(f"${a}: {field.args[a].type}" for a in values)
        passed = ", ".join(f"{a}: ${a}" for a in values)
        head = f"query{f'({declared})' if declared else ''} {{ {name}"
        head += f"({passed})" if passed else ""
        for depth in (3, 2, 1):
            below = render(selection(schema, unwrap(field.type).name, Walk(depth, max_visits=1)))
            answer = await same(clients, f"{head} {{ {below} }} }}", values)
            codes = {e.get("extensions", {}).get("code") for e in answer.get("errors") or ()}
            if "QUERY_TOO_COMPLEX" not in codes:
                break
        assert "QUERY_TOO_COMPLEX" not in codes, name
