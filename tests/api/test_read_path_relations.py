"""Batched relations beneath jobs (`ServiceJob.appointments`, `Appointment.fulfillmentDocuments`,
`ServiceJob.linkedServiceJobs` and `serviceJobLink`): the compiled path reads each for every
parent of a level at once (one statement; a tree's three, whatever the number of trees),
beneath a job, a page of jobs and a tree's jobs alike, and answers exactly like graphql-core,
which reads them through its DataLoaders."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import tables
from app.db.engine import SessionFactory
from app.graphql import fast_path
from app.graphql.common.articles import Article
from app.graphql.read_path.sources import StepAside
from app.services.seeding import seed
from app.settings import Settings
from tests.api.test_fast_path import TREE, random_tree, same
from tests.api.test_read_path import JOB, other_facility
from tests.conftest import StatementCounter
from tests.support.read_path import Clients, assert_compiled_read, both_paths

APPOINTMENT = """appointmentId serviceJobRef status version created lastModified
  appointmentTime { startTime durationInMinutes }
  assignedTechnicians { technicianId name }
  rescheduledAppointmentId rescheduleReasonCode
  estimatedArrivalTime { startTime endTime } fulfillmentTime { startTime endTime }
  appointmentResources __typename"""
DOCUMENTS = "fulfillmentDocuments { uploadDestinationId contentType contentLength contentSha256 }"

JOB_WITH_APPOINTMENTS = (
    "query($id: ID!) { serviceJob(id: $id) { id "
    f"appointments {{ {APPOINTMENT} {DOCUMENTS} }} }} }}"
)
PAGE_WITH_APPOINTMENTS = (
    f"{{ serviceJobs(first: 50) {{ nodes {{ id appointments {{ {APPOINTMENT} }} }} }} }}"
)
PAGE_WITH_DOCUMENTS = (
    "{ serviceJobs(first: 50) { nodes { id "
    f"appointments {{ appointmentId {DOCUMENTS} }} }} }} }}"
)
#: A tree's appointments cost much (a list beneath each of a thousand jobs): a few fields.
TREE_WITH_APPOINTMENTS = (
    "query($tree: ID!) { linkedServiceJobs(id: $tree) { id allServiceJobLinks { id "
    "serviceJob { id status appointments { appointmentId status "
    "fulfillmentDocuments { uploadDestinationId } } } } } }"
)

TREES_OF_A_PAGE = """{ serviceJobs(first: 60) { nodes { id
  linkedServiceJobs { id status version includedServiceJobRefs
    serviceJobLinks { id depth nextServiceJobLinks { id } } }
  serviceJobLink { id depth previousServiceJobLinkRef serviceJob { id status } } } } }"""
TREE_OF_A_JOB = """query($id: ID!) { serviceJob(id: $id) { id
  linkedServiceJobs { id status allServiceJobLinks { id depth serviceJob { id name
    lineItems { id quantity } inheritedLineItems { id serviceJobRef } } } }
  serviceJobLink { id depth serviceJob { id linkedServiceJobsRef } } } }"""
#: Beneath a tree, its jobs' own tree and links: the tree read once.
TREE_BENEATH_A_TREE = """query($tree: ID!) { linkedServiceJobs(id: $tree) { id
  allServiceJobLinks { id serviceJob { id serviceJobLink { id depth }
    linkedServiceJobs { id version } } } } }"""

APPOINTMENTS_TWICE = """{ serviceJobs(first: 60) { nodes { id appointments { appointmentId }
  serviceJobLink { id serviceJob { id appointments { appointmentId status } } } } } }"""

SERVICE_DATA = """id version linkedServiceJobsRef created lastModified serviceJobRefs
  availableLineItems { id quantity availableQuantity article { tenantArticleId title }
    executedServiceJobData { serviceJobRef sequence appliedQuantity itemsReturnable } }"""
SERVICE_DATA_OF_A_PAGE = (
    f"{{ serviceJobs(first: 60) {{ nodes {{ id serviceData {{ {SERVICE_DATA} }} }} }} }}"
)
SERVICE_DATA_ROWS_OF_A_PAGE = (
    "{ serviceJobs(first: 60) { nodes { id serviceData { id version created } } } }"
)
#: The tree's and every job's: one read of the service data, its jobs read with the tree.
SERVICE_DATA_IN_A_TREE = (
    f"query($tree: ID!) {{ linkedServiceJobs(id: $tree) {{ id serviceData {{ {SERVICE_DATA} }} "
    "allServiceJobLinks { id serviceJob { id serviceData { id version serviceJobRefs } } } } }"
)

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def second_tree(document: dict[str, Any]) -> dict[str, Any]:
    """The same tree with other ids, in the same facility."""
    loaded: dict[str, Any] = json.loads(json.dumps(document).replace("0b5d6f1e", "2e8f9a3c"))
    return loaded


def _appointment(ident: str, job: str, minutes: int, tenant: str = "acme") -> tables.Appointment:
    """An appointment of `job`; the ones of one test share their creation time in pairs, so
    that their order rests on the id as it does in the repository."""
    made = START - timedelta(days=1, minutes=minutes // 2)
    return tables.Appointment(
        id=ident,
        tenant=tenant,
        service_job_id=job,
        status="COMPLETED" if minutes % 3 == 0 else "ACTIVE",
        start_time=START + timedelta(minutes=minutes),
        duration_in_minutes=30 + minutes,
        assigned_technicians=[{"technicianId": f"tech-{minutes}", "name": None}]
        if minutes % 2
        else [],
        estimated_arrival_start=START if minutes % 2 else None,
        estimated_arrival_end=None,
        fulfillment_start=START if minutes % 3 == 0 else None,
        fulfillment_end=START + timedelta(hours=1) if minutes % 3 == 0 else None,
        appointment_resources=["tech-1"] if minutes % 3 == 0 else [],
        created=made,
        last_modified=made,
    )


def _document(
    ident: str, appointment: str | None, tenant: str = "acme"
) -> tables.UploadDestination:
    return tables.UploadDestination(
        id=ident,
        tenant=tenant,
        created_by="test",
        content_type="PDF",
        content_length=len(ident),
        key=b"k" * 32,
        iv=b"i" * 16,
        expires_at=START,
        data=b"encrypted bytes that no read shows",
        content_sha256=None if ident.endswith("0") else f"sha-{ident}",
        appointment_id=appointment,
        created=START,
    )


@pytest.fixture
async def clients(
    settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> AsyncIterator[Clients]:
    tree = random_tree(40, 11)
    await seed(db, "acme", tree)
    await seed(db, "acme", other_facility(random_tree(10, 12)))
    await seed(db, "acme", second_tree(random_tree(15, 13)))
    jobs = [link["serviceJob"]["id"] for link in tree["trees"][0]["links"]]
    async with db() as session:
        # Three appointments on the first job, one on every third job, none on the others.
        appointments = [_appointment(f"ap-{JOB[-4:]}-{n}", JOB, n) for n in range(3)]
        appointments += [
            _appointment(f"ap-{job[-6:]}", job, 10 + n)
            for n, job in enumerate(jobs[1::3])
            if job != JOB
        ]
        session.add_all(appointments)
        await session.flush()
        documents = [_document(f"doc-{n}", appointments[n % 4].id) for n in range(7)] + [
            _document("doc-loose", None)
        ]
        session.add_all(documents)
        await session.commit()
    async with both_paths(settings, engine, facilities=["fac-1"]) as clients:
        yield clients


VARIABLES = {"id": JOB, "tree": TREE}


async def test_appointments_and_documents_answer_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    job = await same(clients, JOB_WITH_APPOINTMENTS, VARIABLES)
    appointments = job["data"]["serviceJob"]["appointments"]
    assert [a["appointmentId"] for a in appointments] == [f"ap-{JOB[-4:]}-{n}" for n in (2, 0, 1)]
    documents = [d["uploadDestinationId"] for a in appointments for d in a["fulfillmentDocuments"]]
    assert sorted(documents) == sorted(f"doc-{n}" for n in range(7) if n % 4 < 3)
    page = await same(clients, PAGE_WITH_APPOINTMENTS, VARIABLES)
    assert "errors" not in page, page
    assert sum(bool(n["appointments"]) for n in page["data"]["serviceJobs"]["nodes"]) > 1
    await same(clients, PAGE_WITH_DOCUMENTS, VARIABLES)
    tree = await same(clients, TREE_WITH_APPOINTMENTS, VARIABLES)
    assert "errors" not in tree, tree
    links = tree["data"]["linkedServiceJobs"]["allServiceJobLinks"]
    assert sum(len(link["serviceJob"]["appointments"]) for link in links) >= 3
    # aliases, fragments and directives on the way down
    await same(
        clients,
        """query($id: ID!, $yes: Boolean!) { serviceJob(id: $id) {
          a: appointments { ...appointment }
          b: appointments @include(if: $yes) { id: appointmentId }
        } }
        fragment appointment on Appointment { appointmentId
          d: fulfillmentDocuments { contentType }
          fulfillmentDocuments @skip(if: $yes) { contentLength } }""",
        {"id": JOB, "yes": True},
    )
    # Every one of them was answered by the compiled path (twice: sent again, by the lane).
    assert fast_path.OUTCOMES["compiled"] - before >= 10


async def test_trees_and_links_of_jobs_answer_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    page = await same(clients, TREES_OF_A_PAGE, VARIABLES)
    assert "errors" not in page, page
    trees = {node["linkedServiceJobs"]["id"] for node in page["data"]["serviceJobs"]["nodes"]}
    assert len(trees) == 2  # the caller's two trees; the other facility's is not seen
    job = await same(clients, TREE_OF_A_JOB, VARIABLES)
    assert job["data"]["serviceJob"]["serviceJobLink"]["serviceJob"]["id"] == JOB
    twice = await same(clients, APPOINTMENTS_TWICE, VARIABLES)
    for node in twice["data"]["serviceJobs"]["nodes"]:
        again = node["serviceJobLink"]["serviceJob"]["appointments"]
        assert [a["appointmentId"] for a in again] == [
            a["appointmentId"] for a in node["appointments"]
        ]
    beneath = await same(clients, TREE_BENEATH_A_TREE, VARIABLES)
    for link in beneath["data"]["linkedServiceJobs"]["allServiceJobLinks"]:
        assert link["serviceJob"]["serviceJobLink"]["id"] == link["id"]
        assert link["serviceJob"]["linkedServiceJobs"]["id"] == TREE
    assert fast_path.OUTCOMES["compiled"] - before >= 8


@pytest.mark.parametrize(
    ("query", "statements"),
    [
        (TREES_OF_A_PAGE, 3),  # the page, its jobs' trees, their links with their jobs
        (TREE_OF_A_JOB, 4),  # the job, its tree, its links with their jobs, its line items
        (TREE_BENEATH_A_TREE, 2),  # the tree, its links with their jobs: nothing again
        # The page, its jobs' appointments, their trees (the trees, their links with their
        # jobs); the same jobs met again in their trees: their appointments read already.
        (APPOINTMENTS_TWICE, 4),
        (JOB_WITH_APPOINTMENTS, 3),  # the job, its appointments, their documents
        (PAGE_WITH_APPOINTMENTS, 2),  # the page, the appointments of all its jobs
        (PAGE_WITH_DOCUMENTS, 3),  # and the documents of all those appointments
        (TREE_WITH_APPOINTMENTS, 4),  # the tree, its jobs, their appointments, documents
        # The page, its trees' service data, their jobs' ids, their items, the items' usages.
        (SERVICE_DATA_OF_A_PAGE, 5),
        # The tree, its jobs, its service data, its items, their usages (its jobs' ids are
        # the tree's, read already).
        (SERVICE_DATA_IN_A_TREE, 5),
        # The page and its trees' service data rows: no item nor usage is read.
        (SERVICE_DATA_ROWS_OF_A_PAGE, 2),
    ],
)
async def test_each_relation_is_one_statement_per_level(
    clients: Clients,
    sql: StatementCounter,
    transactions: list[str],
    query: str,
    statements: int,
) -> None:
    await assert_compiled_read(clients, sql, transactions, query, VARIABLES, statements)


async def test_no_other_tenants_appointments_or_documents(
    clients: Clients, db: SessionFactory
) -> None:
    """Another tenant's appointment on a job of the same id, and its document, stay unseen."""
    async with db() as session:
        session.add(_appointment("ap-intruder", JOB, 99, tenant="other"))
        await session.flush()
        session.add(_document("doc-intruder", "ap-intruder", tenant="other"))
        session.add(_document("doc-intruder-2", f"ap-{JOB[-4:]}-0", tenant="other"))
        await session.commit()
    answer = await same(clients, JOB_WITH_APPOINTMENTS, VARIABLES)
    text = str(answer)
    assert "intruder" not in text
    assert "encrypted" not in text


CANCEL = """mutation($input: CancelServiceJobInput!) { cancelServiceJob(input: $input) {
  userErrors { message } } }"""
CANCEL_REASONS = """query($locale: Locale) { serviceJobs(first: 60) { nodes { id status
  statusInformation { status reason cancelReason { reason reasonCode reasonLocalized
    inLocale: reason(locale: $locale) } } } } }"""


async def test_cancel_reasons_answer_identically(clients: Clients) -> None:
    """A reason given as text, one given per locale (in the caller's locale, or the one
    asked for): the compiled walk picks the same text as graphql-core."""
    fast, _, headers = clients
    page = await same(clients, "{ serviceJobs(first: 60) { nodes { id version } } }", {})
    nodes = page["data"]["serviceJobs"]["nodes"]
    reasons: list[dict[str, Any]] = [
        {"reason": "worn out"},
        {"reasonLocalized": {"de_DE": "Kaputt", "en_US": "Broken"}},
    ]
    for node, reason in zip(nodes[-2:], reasons, strict=True):
        variables = {"input": {"id": node["id"], "version": node["version"], **reason}}
        response = await fast.post(
            "/graphql", json={"query": CANCEL, "variables": variables}, headers=headers
        )
        assert response.json()["data"]["cancelServiceJob"]["userErrors"] == []
    before = fast_path.OUTCOMES["compiled"]
    for locale in ("de_DE", "fr_FR", None):
        answer = await same(clients, CANCEL_REASONS, {"locale": locale})
        given = {
            node["statusInformation"]["cancelReason"]["inLocale"]
            for node in answer["data"]["serviceJobs"]["nodes"]
            if node["statusInformation"]["cancelReason"]
        }
        assert given == {"worn out", "Kaputt" if locale == "de_DE" else "Broken"}
    assert fast_path.OUTCOMES["compiled"] - before == 6


async def test_service_data_answers_identically(clients: Clients) -> None:
    before = fast_path.OUTCOMES["compiled"]
    page = await same(clients, SERVICE_DATA_OF_A_PAGE, VARIABLES)
    assert "errors" not in page, page
    held = [node["serviceData"] for node in page["data"]["serviceJobs"]["nodes"]]
    assert len({data["id"] for data in held}) == 2  # one per tree
    assert all(len(data["serviceJobRefs"]) in (40, 15) for data in held)
    tree = await same(clients, SERVICE_DATA_IN_A_TREE, VARIABLES)
    data = tree["data"]["linkedServiceJobs"]["serviceData"]
    assert data["linkedServiceJobsRef"] == TREE
    assert data["availableLineItems"] and any(
        item["executedServiceJobData"] for item in data["availableLineItems"]
    )
    assert fast_path.OUTCOMES["compiled"] - before == 4


async def test_service_data_past_the_row_allowance_is_refused_on_both_paths(
    clients: Clients, settings: Settings, engine: AsyncEngine
) -> None:
    """Items and usages are read within MAX_SERVICE_DATA_ROWS: one row past it, the request
    fails whole with RESPONSE_TOO_LARGE on both paths; service data without its lists reads
    none of it."""
    whole = await same(clients, SERVICE_DATA_IN_A_TREE, VARIABLES)
    items = whole["data"]["linkedServiceJobs"]["serviceData"]["availableLineItems"]
    rows = len(items) + sum(len(item["executedServiceJobData"]) for item in items)
    for allowed, refused in ((rows, False), (rows - 1, True), (len(items), True)):
        tight = settings.model_copy(update={"max_service_data_rows": allowed})
        async with both_paths(tight, engine, facilities=["fac-1"]) as limited:
            answer = await same(limited, SERVICE_DATA_IN_A_TREE, VARIABLES)
            if not refused:
                assert answer == whole
                continue
            assert answer["data"] is None and len(answer["errors"]) == 1, answer
            error = answer["errors"][0]
            assert error["extensions"] == {"code": "RESPONSE_TOO_LARGE", "rowLimit": allowed}
            assert f"more than {allowed:,} rows of service data" in error["message"]
            lean = await same(limited, SERVICE_DATA_ROWS_OF_A_PAGE, VARIABLES)
            assert "errors" not in lean and lean["data"]["serviceJobs"]["nodes"]


INHERITED = """query($id: ID!) { serviceJob(id: $id) { id
  inheritedLineItems { serviceJobRef id quantity scannableCodes article { tenantArticleId } } } }
"""
INHERITED_OF_A_PAGE = """{ serviceJobs(first: 60) { nodes { id
  inheritedLineItems { serviceJobRef id quantity } } } }"""


async def test_inherited_line_items_outside_a_tree_answer_identically(
    clients: Clients, sql: StatementCounter, transactions: list[str]
) -> None:
    """A job's inheritedLineItems outside a tree: its tree read whole (once for a page's
    jobs, whatever the number of trees), the same answer as graphql-core's."""
    before = fast_path.OUTCOMES["compiled"]
    root = await same(clients, INHERITED, {"id": "0b5d6f1e-0000-4000-a000-000000000000"})
    assert root["data"]["serviceJob"]["inheritedLineItems"]  # the root job inherits them all
    page = await same(clients, INHERITED_OF_A_PAGE, {})
    assert "errors" not in page, page
    assert fast_path.OUTCOMES["compiled"] - before == 4
    # The page, its trees, their links with their jobs, their line items.
    await assert_compiled_read(clients, sql, transactions, INHERITED_OF_A_PAGE, {}, 4)


async def test_inherited_line_items_asked_for_twice_are_made_once(
    clients: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Aliases of a job's inheritedLineItems answer as graphql-core answers, from one list
    made once per job (a job high in a big tree inherits thousands), each item's fields read
    from its row only when asked for: no article is made for a selection without one."""
    made: list[dict[str, Any]] = []
    article = Article.from_json

    def counted(cls: type[Article], data: dict[str, Any]) -> Article:
        made.append(data)
        return article(data)

    monkeypatch.setattr(Article, "from_json", classmethod(counted))
    query = """query($id: ID!) { serviceJob(id: $id) { a: inheritedLineItems { id }
      b: inheritedLineItems { id serviceJobRef } c: inheritedLineItems { quantity } } }"""
    root = "0b5d6f1e-0000-4000-a000-000000000000"
    answer = await same(clients, query, {"id": root})
    job = answer["data"]["serviceJob"]
    assert job["a"] and [i["id"] for i in job["a"]] == [i["id"] for i in job["b"]]
    assert made == []
    with_articles = await same(
        clients,
        "query($id: ID!) { serviceJob(id: $id) { inheritedLineItems { article { title } } } }",
        {"id": root},
    )
    assert len(made) == 3 * len(with_articles["data"]["serviceJob"]["inheritedLineItems"])


async def test_trees_completed_one_by_one_share_their_relations_statement(
    clients: Clients, sql: StatementCounter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When graphql-core completes a list of trees (here the root's read steps aside before
    reading anything), each tree's walk fetches the relations beneath it: those of trees
    completed side by side share one statement (the request's loader)."""

    async def aside(*_: Any) -> Any:
        raise StepAside

    monkeypatch.setattr(fast_path, "complete_root", aside)
    query = """{ searchLinkedServiceJobs(first: 5) { nodes { id
      allServiceJobLinks { serviceJob { id appointments { appointmentId } } } } } }"""
    fast, _, headers = clients
    sql.reset()
    response = await fast.post("/graphql", json={"query": query}, headers=headers)
    nodes = response.json()["data"]["searchLinkedServiceJobs"]["nodes"]
    assert len(nodes) == 2
    appointments = [s for s in sql.statements if "FROM appointment" in s]
    assert len(appointments) == 1, appointments


_FIVE_REFS = " ".join(f"a{n}: serviceData {{ serviceJobRefs }}" for n in range(5))
REPEATED_REFS = f"{{ serviceJobs(first: 60) {{ nodes {{ {_FIVE_REFS} }} }} }}"


@pytest.mark.parametrize(
    "query",
    [
        """{ serviceJobs(first: 60) { nodes { serviceData { availableLineItems { id
          executedServiceJobData { serviceJobRef } } } } } }""",
        # Lists of texts are counted by their size: a tree's job ids, five times per job.
        REPEATED_REFS,
    ],
)
async def test_one_service_data_repeated_past_the_response_budget_stops_the_walk(
    clients: Clients, settings: Settings, engine: AsyncEngine, query: str
) -> None:
    """The same tree's service data beneath each of 60 jobs is a few rows read once and a
    response many times the budget: the walk stops as soon as the least size of what it
    completes passes MAX_RESPONSE_BYTES, before building the rest, and graphql-core, counting
    its leaves, refuses it too."""
    whole = await same(clients, query, VARIABLES)
    size = len(orjson.dumps(whole))
    small = settings.model_copy(update={"max_response_bytes": size // 6})
    async with both_paths(small, engine, facilities=["fac-1"]) as limited:
        before = fast_path.OUTCOMES["too_large"]
        answer = await same(limited, query, VARIABLES)
        assert fast_path.OUTCOMES["too_large"] - before == 2  # the walk, both times
    assert answer["data"] is None and len(answer["errors"]) == 1, answer
    assert answer["errors"][0]["extensions"] == {
        "code": "RESPONSE_TOO_LARGE",
        "limit": size // 6,
    }


async def test_the_walk_refusal_is_the_answer_even_on_a_first_run(
    clients: Clients, settings: Settings, engine: AsyncEngine
) -> None:
    """A document's first run goes through graphql-core's executor, which hands its roots to
    the walk: the walk's refusal is the operation's answer there too, without graphql-core
    building the response again (which would count a field error)."""
    small = settings.model_copy(update={"max_response_bytes": 4096})
    async with both_paths(small, engine, facilities=["fac-1"]) as (fast, _, headers):
        refused, errors = fast_path.OUTCOMES["too_large"], fast_path.OUTCOMES["field_error"]
        body = {"query": REPEATED_REFS + " ", "variables": VARIABLES}
        answer = (await fast.post("/graphql", json=body, headers=headers)).json()
    assert answer["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    assert fast_path.OUTCOMES["too_large"] > refused
    assert fast_path.OUTCOMES["field_error"] == errors


async def test_a_response_exactly_at_the_budget_is_answered(
    clients: Clients, settings: Settings, engine: AsyncEngine
) -> None:
    """The least size the walk takes never passes the real one: lists of texts inside
    objects (each line item's empty scannableCodes) are not counted twice."""
    query = "{ serviceJobs(first: 60) { nodes { lineItems { scannableCodes } } } }"
    whole = await same(clients, query, VARIABLES)
    size = len(orjson.dumps(whole))  # the body the view measures
    exact = settings.model_copy(update={"max_response_bytes": size})
    async with both_paths(exact, engine, facilities=["fac-1"]) as (fast, _, headers):
        before = fast_path.OUTCOMES["too_large"]
        body = {"query": query, "variables": VARIABLES}
        for _ in range(2):  # the executor's run, then the compiled operation's
            answer = (await fast.post("/graphql", json=body, headers=headers)).json()
            assert answer == whole
        assert fast_path.OUTCOMES["too_large"] == before
