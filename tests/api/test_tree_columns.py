"""A tree read selects only the job columns its document needs (app.graphql.trees.columns):
every field of ServiceJob must say which columns it reads, and answer the same inside a tree
(pruned columns) as alone (`serviceJob(id)`, every column)."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, GraphQLSchema, parse

from app.graphql.schema import build_schema
from app.graphql.trees.columns import ColumnPlanner
from app.repositories.tree_reads import TreeColumns
from app.settings import Settings
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient
from tests.support.jobs import tailoring_tree
from tests.support.schema_walk import Walk, render, selection, unwrap


def graphql_schema(settings: Settings) -> GraphQLSchema:
    return build_schema(settings)._schema


def job_fields(schema: GraphQLSchema) -> dict[str, str]:
    """Each field of ServiceJob with a selection of it (the leaves of an object field)."""
    job_type = schema.type_map["ServiceJob"]
    assert isinstance(job_type, GraphQLObjectType)
    selections: dict[str, str] = {}
    for name, field in job_type.fields.items():
        inner = unwrap(field.type)
        if isinstance(inner, GraphQLObjectType):
            below = render(selection(schema, inner.name, Walk(max_depth=0, max_visits=1)))
            selections[name] = f"{name} {{ {below} }}"
        else:
            selections[name] = name
    return selections


def test_every_job_field_says_which_columns_it_reads(settings: Settings) -> None:
    planner = ColumnPlanner(graphql_schema(settings))
    unmapped = sorted(name for name, columns in planner.columns_of.items() if columns is None)
    assert unmapped == [], "add them to COLUMNS_OF_FIELD in app/graphql/service_jobs/types.py"


def test_every_line_item_field_says_which_columns_it_reads(settings: Settings) -> None:
    planner = ColumnPlanner(graphql_schema(settings))
    unmapped = sorted(name for name, columns in planner.item_columns_of.items() if columns is None)
    assert unmapped == [], "add them to ITEM_COLUMNS_OF_FIELD in app/graphql/service_jobs/types.py"


def columns_of(planner: ColumnPlanner, text: str) -> TreeColumns | None:
    """What the pipeline hands the planner: a text and its parsed document."""
    return planner.for_document(text, parse(text))


def test_line_item_fields_ask_for_their_columns(settings: Settings) -> None:
    planner = ColumnPlanner(graphql_schema(settings))
    columns = columns_of(
        planner,
        "query($id: ID!) { linkedServiceJobs(id: $id) { serviceJobLinks { "
        "serviceJob { id lineItems { quantity article { title } } } } } }",
    )
    # A tree's jobs: its read takes their items, no read of jobs folds them.
    assert columns == TreeColumns(
        job_columns=frozenset({"id"}), item_columns=frozenset({"quantity", "article"})
    )
    page = columns_of(planner, "{ serviceJobs { nodes { id lineItems { quantity } } } }")
    assert page is not None and page.items_of_jobs
    # Items read only in a tree beneath the page's jobs are not folded into the page.
    beneath = columns_of(
        planner,
        "{ serviceJobs { nodes { id linkedServiceJobs { allServiceJobLinks { "
        "serviceJob { lineItems { quantity } } } } } } }",
    )
    assert beneath is not None and beneath.item_columns is not None
    assert not beneath.items_of_jobs
    # A fragment is planned on its own: as if outside a tree (a superset, always safe).
    spread = columns_of(
        planner,
        '{ linkedServiceJobs(id: "t") { allServiceJobLinks { serviceJob { ...items } } } } '
        "fragment items on ServiceJob { lineItems { id } }",
    )
    assert spread is not None and spread.items_of_jobs
    # Items of the jobs beneath: read with the tree, never folded into a read of jobs.
    inherited = columns_of(
        planner, "query($id: ID!) { serviceJob(id: $id) { inheritedLineItems { quantity } } }"
    )
    assert inherited is not None and inherited.item_columns is not None
    assert not inherited.items_of_jobs
    # A job's __typename reads no line items.
    assert columns_of(
        planner, "query($id: ID!) { serviceJob(id: $id) { id __typename } }"
    ) == TreeColumns(job_columns=frozenset({"id"}))


def test_documents_ask_for_the_columns_of_their_job_fields(settings: Settings) -> None:
    planner = ColumnPlanner(graphql_schema(settings))
    light = columns_of(
        planner,
        "query($id: ID!) { linkedServiceJobs(id: $id) { serviceJobLinks { "
        "serviceJob { id name status ...more } } } } "
        "fragment more on ServiceJob { targetTimes }",
    )
    assert light == TreeColumns(
        job_columns=frozenset({"id", "name_localized", "status", "target_time_history"}),
        item_columns=None,
    )
    assert columns_of(planner, "{ customServices { totalCount } }") == TreeColumns()


TREE_QUERY = (
    "query($id: ID!) { linkedServiceJobs(id: $id) { allServiceJobLinks { serviceJob { %s } } } }"
)


def job_statement(sql: StatementCounter) -> str:
    return next(s for s in sql.statements if "service_job_link" in s and "JOIN" in s.upper())


async def test_a_tree_read_selects_only_what_the_document_asks_for(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    tree = (await tailoring_tree(gql))["quality"]["linkedServiceJobsRef"]
    sql.reset()
    await gql(TREE_QUERY % "id name", {"id": tree})
    jobs = job_statement(sql)
    assert "name_localized" in jobs
    assert "additional_information" not in jobs and "target_time_history" not in jobs
    sql.reset()
    await gql(TREE_QUERY % "id targetTimes additionalInformation { id value }", {"id": tree})
    jobs = job_statement(sql)
    assert "target_time_history" in jobs and "additional_information_values" in jobs


JOB_FIELDS = job_fields(
    build_schema(Settings(_env_file=None, jwt_secret="x" * 40))._schema  # type: ignore[call-arg,arg-type]
)


@pytest.mark.parametrize("field", sorted(JOB_FIELDS))
async def test_each_job_field_answers_the_same_in_a_tree_as_alone(
    gql: GraphQLClient, field: str
) -> None:
    chosen = JOB_FIELDS[field]
    tree = (await tailoring_tree(gql))["quality"]["linkedServiceJobsRef"]
    in_tree = await gql(TREE_QUERY % f"id {chosen}", {"id": tree})
    for link in in_tree["linkedServiceJobs"]["allServiceJobLinks"]:
        alone = await gql(
            f"query($id: ID!) {{ serviceJob(id: $id) {{ id {chosen} }} }}",
            {"id": link["serviceJob"]["id"]},
        )
        assert link["serviceJob"] == alone["serviceJob"]


async def test_line_items_are_read_with_the_tree_only_when_the_document_asks_for_them(
    gql: GraphQLClient, sql: StatementCounter
) -> None:
    tree = (await tailoring_tree(gql))["quality"]["linkedServiceJobsRef"]
    sql.reset()
    overview = await gql(TREE_QUERY % "id status", {"id": tree})
    assert sql.count == 2  # the tree, its links with their jobs
    assert not any("line_item" in statement for statement in sql.statements)

    sql.reset()
    with_items = await gql(
        TREE_QUERY % "id status ...items"
        + " fragment items on ServiceJob { lineItems { id quantity } }",
        {"id": tree},
    )
    assert sql.count == 3
    links = with_items["linkedServiceJobs"]["allServiceJobLinks"]
    assert [link["serviceJob"]["id"] for link in links] == [
        link["serviceJob"]["id"] for link in overview["linkedServiceJobs"]["allServiceJobLinks"]
    ]
    assert sum(len(link["serviceJob"]["lineItems"]) for link in links) > 0


ITEM_FIELDS = [
    "id",
    "article { tenantArticleId title }",
    "quantity",
    "scannableCodes",
    "customAttributes",
    "__typename",
]


@pytest.mark.parametrize("field", ITEM_FIELDS)
async def test_each_line_item_field_answers_the_same_in_a_tree_as_alone(
    gql: GraphQLClient, field: str
) -> None:
    tree = (await tailoring_tree(gql))["quality"]["linkedServiceJobsRef"]
    selection = f"id lineItems {{ {field} }}"
    in_tree = await gql(TREE_QUERY % selection, {"id": tree})
    seen = 0
    for link in in_tree["linkedServiceJobs"]["allServiceJobLinks"]:
        alone = await gql(
            f"query($id: ID!) {{ serviceJob(id: $id) {{ {selection} }} }}",
            {"id": link["serviceJob"]["id"]},
        )
        assert link["serviceJob"] == alone["serviceJob"]
        seen += len(link["serviceJob"]["lineItems"])
    assert seen > 0
