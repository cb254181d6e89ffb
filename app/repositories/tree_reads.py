"""Reading a whole tree for the API: three statements whatever its size (the tree, its links
joined with their jobs, its line items), as driver rows indexed in memory."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    String,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType
from sqlmodel import col

from app.db import tables
from app.db.row_reads import ReadConnection, RowAllowance
from app.db.types import UTCDateTime, utc_datetime
from app.domain.trees import Link, TreeShape
from app.lru import Lru

JOB = tables.ServiceJob
LINK = tables.ServiceJobLink
ITEM = tables.LineItem
TREE = tables.LinkedServiceJobs


class LazyRow(tuple[Any, ...]):
    """A driver row of a tree read, as a tuple whose columns are attributes (C-level
    getters, like a named tuple's). JSON, datetime and boolean cells are decoded by
    `decoded_rows`: those a request will read at once, column by column, the others when first
    read, then kept.

    A whole tree carries ~17,000 JSON cells and ~3,000 timestamps for 1,000 jobs, and a query
    usually reads a handful of them per job: decoding all of them up front through
    SQLAlchemy's result processors cost more than a third of reading the tree. A class is
    made per statement shape (`row_class`)."""

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"{type(self).__name__} has no column {name!r}")


class _Decoded:
    """A column decoded on first read and then kept in the row's __dict__, which shadows
    this (non-data) descriptor from then on."""

    __slots__ = ("decode", "name", "position")

    def __init__(self, name: str, position: int, decode: Callable[[Any], Any]) -> None:
        self.name = name
        self.position = position
        self.decode = decode

    def __get__(self, row: LazyRow | None, owner: type | None = None) -> Any:
        if row is None:
            return self
        value = tuple.__getitem__(row, self.position)
        if value is not None:
            value = self.decode(value)
        row.__dict__[self.name] = value
        return value


_ROW_CLASSES: dict[tuple[tuple[str, ...], frozenset[str]], type[LazyRow]] = {}
#: Distinct column sets are few (one per kind of tree query); the bound only guards memory.
_MAX_ROW_CLASSES = 256


def row_class(names: Sequence[str], decoders: Mapping[str, Callable[[Any], Any]]) -> type[LazyRow]:
    """The LazyRow class of rows with these columns, those in `decoders` decoded on first
    read (made once per statement shape)."""
    key = (tuple(names), frozenset(decoders).intersection(names))
    cls = _ROW_CLASSES.get(key)
    if cls is None:
        namespace: dict[str, Any] = {
            name: _Decoded(name, i, decoders[name]) if name in decoders else property(itemgetter(i))
            for i, name in enumerate(names)
        }
        if len(_ROW_CLASSES) >= _MAX_ROW_CLASSES:
            _ROW_CLASSES.clear()
        cls = _ROW_CLASSES[key] = type("TreeRow", (LazyRow,), namespace)
    return cls


def decoded_rows(
    records: Sequence[Sequence[Any]],
    names: Sequence[str],
    decoders: Mapping[str, Callable[[Any], Any]],
    now: Collection[str],
) -> list[LazyRow]:
    """Driver records as LazyRows: the columns in `now` decoded at once, column by column
    (what a request will read anyway: a list comprehension per column costs a fraction of a
    descriptor call per cell), the other decodable ones on first read."""
    eager = [
        (i, decoders[name]) for i, name in enumerate(names) if name in now and name in decoders
    ]
    cls = row_class(names, {name: d for name, d in decoders.items() if name not in now})
    if not eager or not records:
        return list(map(cls, records))
    columns: list[Sequence[Any]] = list(zip(*records, strict=True))
    for i, decode in eager:
        columns[i] = [None if value is None else decode(value) for value in columns[i]]
    return list(map(cls, zip(*columns, strict=True)))


def undecoded_columns(
    table: Table,
) -> tuple[list[ColumnElement[Any]], dict[str, Callable[[Any], Any]]]:
    """The table's columns as the driver returns them (JSON as its text, timestamps as the
    driver's datetime or text, booleans as SQLite's integers), and how to decode each of those
    later: none is left with a result processor (a test checks it for both dialects)."""
    return decoding(table.columns)


def decoding(
    columns: Iterable[Any],
) -> tuple[list[ColumnElement[Any]], dict[str, Callable[[Any], Any]]]:
    """These columns (or labelled ones) as undecoded_columns gives a table's."""
    selected: list[ColumnElement[Any]] = []
    decoders: dict[str, Callable[[Any], Any]] = {}
    for column in columns:
        plain, decode = undecoded_column(column)
        selected.append(plain)
        if decode is not None:
            decoders[column.name] = decode
    return selected, decoders


def undecoded_column(column: Any) -> tuple[ColumnElement[Any], Callable[[Any], Any] | None]:
    """A column (or a labelled one) as the driver returns it, under its name, and how to
    decode its cells (None: as they are); see undecoded_columns."""
    name = column.name
    if isinstance(column.type, JSON):
        return cast(column, Text).label(name), orjson.loads
    if isinstance(column.type, UTCDateTime):
        return type_coerce(column, NullType()).label(name), utc_datetime
    if isinstance(column.type, Boolean):  # SQLite returns 0 and 1
        return type_coerce(column, NullType()).label(name), bool
    return column, None


JOB_COLUMNS, JOB_DECODERS = undecoded_columns(JOB.__table__)  # type: ignore[attr-defined]
TREE_COLUMNS, TREE_DECODERS = undecoded_columns(TREE.__table__)  # type: ignore[attr-defined]
ITEM_COLUMNS, ITEM_DECODERS = undecoded_columns(ITEM.__table__)  # type: ignore[attr-defined]
#: What line items of a tree are read for: their GraphQL fields, and their job to group by.
ITEM_COLUMNS = [
    column
    for column in ITEM_COLUMNS
    if column.name
    in {"id", "service_job_id", "article", "quantity", "scannable_codes", "custom_attributes"}
]


#: Line item columns decoded with the read: a line item is hardly ever asked for without its
#: article; its codes and attributes are decoded if read.
ITEM_NOW = frozenset({"article"})


@dataclass(slots=True)
class TreeSnapshot:
    tree: LazyRow
    shape: TreeShape
    jobs: dict[str, LazyRow]
    #: None when the read was told no line items are needed (see TreeColumns).
    items_by_job: dict[str, list[LazyRow]] | None = field(default_factory=dict)

    def line_items_of(self, job_id: str) -> list[LazyRow]:
        if self.items_by_job is None:
            raise LookupError("this tree was read without its line items")
        return self.items_by_job.get(job_id, [])


#: Columns a tree read always selects: the tree is built, checked and grouped with them.
TREE_JOB_COLUMNS = frozenset({"id", "status", "linked_service_jobs_id", "facility_ref", "version"})
TREE_ITEM_COLUMNS = frozenset({"id", "service_job_id"})


@dataclass(frozen=True, slots=True)
class TreeColumns:
    """What a tree read selects besides TREE_JOB_COLUMNS and TREE_ITEM_COLUMNS: the job
    columns a request's fields read, and the line item columns, or None when it asks for no
    line items (the read then skips them)."""

    job_columns: frozenset[str] = frozenset()
    item_columns: frozenset[str] | None = None
    #: Whether the document reads a job's own line items (`lineItems`), which a read of jobs
    #: by id or by page then folds into its statement (folded_items).
    items_of_jobs: bool = False


def selected_columns(
    columns: list[ColumnElement[Any]], always: frozenset[str], wanted: frozenset[str] | None
) -> list[ColumnElement[Any]]:
    if wanted is None:
        return columns
    keep = always.union(wanted)
    return [column for column in columns if column.name in keep]


def in_list(column: Any, name: str, postgresql: bool) -> Any:
    """`column` is one of the list parameter `name`: one parameter whatever the list's length
    (an array on PostgreSQL, JSON text on SQLite, see list_parameter), so that a statement is
    compiled once for any number of values."""
    if postgresql:
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(
        select(literal_column("value")).select_from(func.json_each(bindparam(name, type_=String)))
    )


def list_parameter(values: Sequence[str], postgresql: bool) -> Any:
    """The value of an `in_list` parameter."""
    return list(values) if postgresql else orjson.dumps(list(values)).decode()


async def rows_by_parent(
    reads: ReadConnection,
    tenant: str,
    ids: Sequence[str],
    key: tuple[Any, ...],
    build: Callable[[bool], Any],
    decoders: Mapping[str, Callable[[Any], Any]],
    parent: str,
    allowance: RowAllowance | None = None,
) -> dict[str, list[LazyRow]]:
    """The rows of the tenant's parents with these ids, by parent id (every id a key), in
    each parent's order, in one statement: `build(postgresql)` selects them by the list
    parameter `ids` and `tenant` (kept under `key`), and `parent` is the column naming
    their parent; every decodable column is decoded at once. With an `allowance`, the
    statement has a LIMIT `limit` and the rows are spent of it (TooManyRows when they pass
    it)."""
    postgresql = reads.postgresql
    statement = kept_statement((*key, postgresql), lambda: build(postgresql))
    parameters = {"ids": list_parameter(ids, postgresql), "tenant": tenant}
    if allowance is not None:
        parameters["limit"] = allowance.statement_limit
    names, records = await reads.rows(statement, parameters)
    if allowance is not None:
        allowance.spend(len(records))
    grouped: dict[str, list[LazyRow]] = {ident: [] for ident in ids}
    for row in decoded_rows(records, names, decoders, names):
        grouped[getattr(row, parent)].append(row)
    return grouped


def _items_of_jobs(columns: frozenset[str] | None, postgresql: bool) -> Any:
    """The line items of a list of jobs (`job_ids`) and a tenant: the list is one parameter
    (an array on PostgreSQL, JSON text on SQLite), so the statement is the same for any
    number of jobs and compiled once."""
    return (
        select(*selected_columns(ITEM_COLUMNS, TREE_ITEM_COLUMNS, columns))
        .where(
            in_list(col(ITEM.service_job_id), "job_ids", postgresql),
            col(ITEM.tenant) == bindparam("tenant"),
        )
        .order_by(col(ITEM.service_job_id), col(ITEM.position))
    )


async def line_item_rows(
    reads: ReadConnection, tenant: str, job_ids: Sequence[str], columns: frozenset[str] | None
) -> dict[str, list[LazyRow]]:
    """The line items of these jobs in one statement, by job, in each job's order; `columns`
    limits what is read (None: every column a line item field reads)."""
    postgresql = reads.postgresql
    statement = kept_statement(
        ("items of jobs", columns, postgresql), lambda: _items_of_jobs(columns, postgresql)
    )
    names, records = await reads.rows(
        statement, {"job_ids": list_parameter(job_ids, postgresql), "tenant": tenant}
    )
    items: dict[str, list[LazyRow]] = {job_id: [] for job_id in job_ids}
    for item in decoded_rows(records, names, ITEM_DECODERS, ITEM_NOW):
        items[item.service_job_id].append(item)
    return items


#: The label of a job read's column that holds the job's line items (`folded_items`).
FOLDED_ITEMS = "folded_line_items"


def folded_items(columns: frozenset[str], postgresql: bool) -> ColumnElement[Any]:
    """A column of a job read holding the job's line item rows, in their order, with these
    item columns besides TREE_ITEM_COLUMNS, as `line_item_rows` reads them (JSON as its text,
    see undecoded_columns): so that a page of jobs with their items is one statement, one
    round trip, where reading the items by the page's job ids waited for the page. On
    PostgreSQL an array of row values, which the driver decodes itself; on SQLite a JSON
    array of arrays. (JSON built by PostgreSQL took it 2.3-2.6 ms for a 100-job page, where
    the two statements took 1.5 ms.)"""
    cells = selected_columns(ITEM_COLUMNS, TREE_ITEM_COLUMNS, columns)
    of_job = (col(ITEM.service_job_id) == col(JOB.id), col(ITEM.tenant) == col(JOB.tenant))
    if postgresql:
        rows = select(func.row(*cells)).where(*of_job).order_by(col(ITEM.position))
        return func.array(rows.scalar_subquery()).label(FOLDED_ITEMS)
    # SQLite before 3.44 has no ORDER BY within an aggregate. json_group_array takes the rows
    # of an ordered subquery in its order: SQLite never flattens an ordered subquery into an
    # aggregate query, and aggregates the rows in the order the subquery yields them. That is
    # how SQLite works, not a documented promise; the differential tests compare the items'
    # order with graphql-core's path, which reads them with ORDER BY.
    ordered = (
        select(func.json_array(*cells).label("item"))
        .where(*of_job)
        .order_by(col(ITEM.position))
        .correlate(JOB)
        .subquery()
    )
    items = select(func.json_group_array(func.json(ordered.c.item)))
    return items.scalar_subquery().label(FOLDED_ITEMS)


def folded_item_names(columns: frozenset[str]) -> list[str]:
    """The names of the cells of each item of `folded_items`, in their order."""
    return [column.name for column in selected_columns(ITEM_COLUMNS, TREE_ITEM_COLUMNS, columns)]


def _unfolded(
    rows: list[LazyRow], cells: Sequence[Any], items: frozenset[str], postgresql: bool
) -> None:
    """Sets each job row's FOLDED_ITEMS to its line item rows, decoded for all jobs at once
    as line_item_rows decodes them (a statement's rows, not a job's few, are worth decoding
    column by column)."""
    per_job = [cell if postgresql else orjson.loads(cell) for cell in cells]
    flat = [item for job_items in per_job for item in job_items]
    decoded = decoded_rows(flat, folded_item_names(items), ITEM_DECODERS, ITEM_NOW)
    start = 0
    for row, job_items in zip(rows, per_job, strict=True):
        end = start + len(job_items)
        row.__dict__[FOLDED_ITEMS] = decoded[start:end]
        start = end


#: Columns a job read always selects: its id, and its facility to check the caller's scope.
READ_JOB_COLUMNS = frozenset({"id", "facility_ref"})


def job_columns(
    columns: frozenset[str] | None,
    also: frozenset[str] = frozenset(),
    items: frozenset[str] | None = None,
    postgresql: bool = False,
) -> list[ColumnElement[Any]]:
    """The job columns of a read: those given (None: all) with READ_JOB_COLUMNS and `also`,
    and each job's line items with these item columns when `items` is given (folded_items).
    Kept per set: the select of every shape of page with these columns shares them."""
    key = ("job columns", columns, also, items, postgresql)
    selected = _COLUMN_LISTS.get(key)
    if selected is None:
        selected = selected_columns(JOB_COLUMNS, READ_JOB_COLUMNS | also, columns)
        if items is not None:
            selected.append(folded_items(items, postgresql))
        _COLUMN_LISTS.put(key, selected)
    return list(selected)


#: Statements of the reads that run for every request, built once per column set and kept:
#: building a select and working out its cache key cost more than running it for one job.
#: Least recently used ones are forgotten first, so a caller sending ever new shapes makes
#: its own statements again, not everyone's.
_STATEMENTS: Lru[tuple[Any, ...], Any] = Lru(512)
#: Job columns (and folded line items) of a read, per column set.
_COLUMN_LISTS: Lru[tuple[Any, ...], list[ColumnElement[Any]]] = Lru(256)


def kept_statement(
    key: tuple[Any, ...], build: Callable[[], Any], kept: Lru[tuple[Any, ...], Any] | None = None
) -> Any:
    """The statement kept for `key` in `kept` (the reads' own by default), built once."""
    cache = _STATEMENTS if kept is None else kept
    statement = cache.get(key)
    if statement is None:
        statement = build()
        cache.put(key, statement)
    return statement


def job_rows_of(
    names: list[str],
    records: Sequence[Sequence[Any]],
    columns: Collection[str] | None,
    items: frozenset[str] | None = None,
    postgresql: bool = False,
) -> list[LazyRow]:
    """Driver records of job columns as rows: the document's columns (`columns`, when the
    read was pruned to them) decoded at once, since each will be read; the others (all of
    them when unpruned, a page's sort key, read only for a cursor) when first read. With
    `items` (the item columns folded into the read, its last column: job_columns), each
    row's FOLDED_ITEMS are its line item rows."""
    if items is None:
        return decoded_rows(records, names, JOB_DECODERS, columns or ())
    rows = decoded_rows(
        [record[:-1] for record in records], names[:-1], JOB_DECODERS, columns or ()
    )
    _unfolded(rows, [record[-1] for record in records], items, postgresql)
    return rows


async def job_by_id(
    reads: ReadConnection,
    tenant: str,
    job_id: str,
    columns: frozenset[str] | None,
    items: frozenset[str] | None = None,
) -> LazyRow | None:
    """One job of the tenant with these columns (None: all), and its line items with these
    item columns when `items` is given (see job_rows_of), in one statement."""
    postgresql = reads.postgresql
    statement = kept_statement(
        ("job by id", columns, items, postgresql),
        lambda: select(*job_columns(columns, items=items, postgresql=postgresql)).where(
            col(JOB.id) == bindparam("job_id"), col(JOB.tenant) == bindparam("tenant")
        ),
    )
    names, records = await reads.rows(statement, {"job_id": job_id, "tenant": tenant})
    rows = job_rows_of(names, records, columns, items, postgresql)
    return rows[0] if rows else None


def _in_trees(column: Any, many: bool, postgresql: bool) -> Any:
    """`column` is the tree read (`tree_id`), or one of the trees read (`tree_ids`, a list
    parameter, see in_list)."""
    return in_list(column, "tree_ids", postgresql) if many else column == bindparam("tree_id")


def _tree_statement(many: bool = False, postgresql: bool = False) -> Any:
    return select(*TREE_COLUMNS).where(
        _in_trees(col(TREE.id), many, postgresql), col(TREE.tenant) == bindparam("tenant")
    )


def _tree_jobs_statement(
    columns: frozenset[str] | None, many: bool = False, postgresql: bool = False
) -> Any:
    joined = col(JOB.id) == col(LINK.service_job_id)
    if many:  # each job grouped under its link's tree
        joined = joined & (col(JOB.linked_service_jobs_id) == col(LINK.linked_service_jobs_id))
    order: tuple[Any, ...] = (col(LINK.position),)
    if many:
        order = (col(LINK.linked_service_jobs_id), *order)
    return (
        select(
            col(LINK.id).label("link_id"),
            col(LINK.parent_link_id),
            *selected_columns(JOB_COLUMNS, TREE_JOB_COLUMNS, columns),
        )
        .join(JOB, joined)
        .where(
            _in_trees(col(LINK.linked_service_jobs_id), many, postgresql),
            col(LINK.tenant) == bindparam("tenant"),
        )
        # A job and its link are always in the same tree: saying so lets the database read
        # the tree's jobs by index instead of scanning every job to join them.
        .where(_in_trees(col(JOB.linked_service_jobs_id), many, postgresql))
        .order_by(*order)
    )


def _tree_items_statement(
    columns: frozenset[str] | None, many: bool = False, postgresql: bool = False
) -> Any:
    return (
        select(*selected_columns(ITEM_COLUMNS, TREE_ITEM_COLUMNS, columns))
        .where(
            _in_trees(col(ITEM.linked_service_jobs_id), many, postgresql),
            col(ITEM.tenant) == bindparam("tenant"),
        )
        # Grouped by job below, which keeps this order within each job: positions are unique
        # per job (a unique index says so), so sorting by them alone is a total order within
        # each job, and cheaper than sorting by job id text or item id text too.
        .order_by(col(ITEM.position))
    )


def _job_rows(
    names: list[str], records: Sequence[Sequence[Any]], columns: TreeColumns | None
) -> list[LazyRow]:
    """A tree read's links with their jobs. Pruned columns are the document's: every one
    will be read, so all are decoded at once. All of them (None) are read when a request's
    fields are unknown, and then each is decoded only if read."""
    return decoded_rows(records, names, JOB_DECODERS, names if columns is not None else ())


def _items_by_job(names: list[str], records: Sequence[Sequence[Any]]) -> dict[str, list[LazyRow]]:
    """A tree read's line items by job, each job's in the statement's order."""
    items: dict[str, list[LazyRow]] = defaultdict(list)
    for item in decoded_rows(records, names, ITEM_DECODERS, ITEM_NOW):
        items[item.service_job_id].append(item)
    return items


async def load_tree(
    reads: ReadConnection, tenant: str, tree_id: str, columns: TreeColumns | None = None
) -> TreeSnapshot | None:
    """The tree with its links, jobs and line items, in three statements on a read
    connection (each built and compiled once per column set); `columns` limits what is read
    to what a request needs, None reads everything. Each job column costs a decoded value per
    job: a 1,000-job tree read with every column took three times as long on PostgreSQL as
    with the handful a typical tree query needs. The line items are read on a spare
    connection when one is free, beside the jobs: the database reads them while the jobs are
    read and decoded (a 1,000-job tree's items take the database about as long as its jobs)."""
    parameters = {"tree_id": tree_id, "tenant": tenant}
    names, records = await reads.rows(kept_statement(("tree",), _tree_statement), parameters)
    if not records:
        return None
    tree = decoded_rows(records, names, TREE_DECODERS, names)[0]
    if columns is not None and columns.item_columns is None:
        shape, jobs = await _tree_jobs(reads, parameters, columns)
        return TreeSnapshot(tree=tree, shape=shape, jobs=jobs, items_by_job=None)
    item_columns = None if columns is None else columns.item_columns
    items_statement = kept_statement(
        ("tree items", item_columns), lambda: _tree_items_statement(item_columns)
    )
    async with reads.spare() as spare:
        if spare is None:
            shape, jobs = await _tree_jobs(reads, parameters, columns)
            names, records = await reads.rows(items_statement, parameters)
        else:
            beside = asyncio.ensure_future(spare.rows(items_statement, parameters))
            try:
                shape, jobs = await _tree_jobs(reads, parameters, columns)
            finally:
                # The spare connection goes back only once its statement is done.
                if not beside.done():
                    await asyncio.wait([beside])
            names, records = beside.result()
    items = _items_by_job(names, records)
    return TreeSnapshot(tree=tree, shape=shape, jobs=jobs, items_by_job=dict(items))


def _jobs_of_trees(postgresql: bool) -> Any:
    return (
        select(
            col(LINK.linked_service_jobs_id).label("tree_id"),
            col(TREE.facility_ref),
            col(LINK.service_job_id),
        )
        .join(TREE, col(TREE.id) == col(LINK.linked_service_jobs_id))
        .where(
            in_list(col(LINK.linked_service_jobs_id), "tree_ids", postgresql),
            col(LINK.tenant) == bindparam("tenant"),
        )
        .order_by(col(LINK.linked_service_jobs_id), col(LINK.position))
    )


async def job_ids_of_trees(
    reads: ReadConnection, tenant: str, tree_ids: Sequence[str]
) -> dict[str, tuple[str, list[str]]]:
    """The ids of these trees' jobs in one statement, by tree: its facility and its jobs in
    the order a tree read gives them (its links' order)."""
    postgresql = reads.postgresql
    _, records = await reads.rows(
        kept_statement(("jobs of trees", postgresql), lambda: _jobs_of_trees(postgresql)),
        {"tree_ids": list_parameter(tree_ids, postgresql), "tenant": tenant},
    )
    found: dict[str, tuple[str, list[str]]] = {}
    for tree_id, facility, job_id in records:
        found.setdefault(tree_id, (facility, []))[1].append(job_id)
    return found


async def load_trees(
    reads: ReadConnection, tenant: str, tree_ids: Sequence[str], columns: TreeColumns | None = None
) -> dict[str, TreeSnapshot]:
    """Several trees as `load_tree` reads one, in three statements whatever their number
    (the trees, their links with their jobs, their line items: each statement takes the ids
    as one list parameter and is compiled once), by id; a tree not found is absent."""
    postgresql = reads.postgresql
    parameters = {"tree_ids": list_parameter(tree_ids, postgresql), "tenant": tenant}
    names, records = await reads.rows(
        kept_statement(("trees", postgresql), lambda: _tree_statement(True, postgresql)),
        parameters,
    )
    trees = {row.id: row for row in decoded_rows(records, names, TREE_DECODERS, names)}
    if not trees:
        return {}
    job_columns = None if columns is None else columns.job_columns
    names, records = await reads.rows(
        kept_statement(
            ("trees jobs", job_columns, postgresql),
            lambda: _tree_jobs_statement(job_columns, True, postgresql),
        ),
        parameters,
    )
    shapes: dict[str, TreeShape] = {ident: TreeShape() for ident in trees}
    jobs: dict[str, dict[str, LazyRow]] = {ident: {} for ident in trees}
    for job in _job_rows(names, records, columns):
        tree = job.linked_service_jobs_id
        shapes[tree].add(Link(job.link_id, job.id, job.parent_link_id))
        jobs[tree][job.id] = job
    items: dict[str, list[LazyRow]] | None = None
    if columns is None or columns.item_columns is not None:
        item_columns = None if columns is None else columns.item_columns
        names, records = await reads.rows(
            kept_statement(
                ("trees items", item_columns, postgresql),
                lambda: _tree_items_statement(item_columns, True, postgresql),
            ),
            parameters,
        )
        items = _items_by_job(names, records)
    return {
        ident: TreeSnapshot(
            tree=tree,
            shape=shapes[ident],
            jobs=jobs[ident],
            items_by_job=None
            if items is None
            else {job_id: items[job_id] for job_id in jobs[ident] if job_id in items},
        )
        for ident, tree in trees.items()
    }


async def _tree_jobs(
    reads: ReadConnection, parameters: Mapping[str, Any], columns: TreeColumns | None
) -> tuple[TreeShape, dict[str, LazyRow]]:
    """A tree's links with their jobs: its shape and its jobs by id."""
    job_columns = None if columns is None else columns.job_columns
    names, records = await reads.rows(
        kept_statement(("tree jobs", job_columns), lambda: _tree_jobs_statement(job_columns)),
        parameters,
    )
    shape = TreeShape()
    jobs: dict[str, LazyRow] = {}
    for job in _job_rows(names, records, columns):
        shape.add(Link(job.link_id, job.id, job.parent_link_id))
        jobs[job.id] = job
    return shape, jobs
