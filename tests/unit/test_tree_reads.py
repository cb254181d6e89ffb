"""Tree reads take the driver's rows as they are: no selected column may need SQLAlchemy's
result processing on either dialect, or its values would reach clients undecoded."""

from contextlib import AbstractAsyncContextManager, nullcontext
from datetime import UTC, datetime
from itertools import combinations
from typing import Any

import orjson
import pytest
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.aiosqlite import dialect as aiosqlite_dialect
from sqlalchemy.engine import Dialect

from app.repositories import job_search, tree_reads
from app.repositories.job_search import (
    FILTER_FIELDS,
    JOB_SORT_KEYS,
    JobSearch,
    ServiceJobFilter,
    job_sort_key,
)
from app.repositories.keyset import Window


@pytest.mark.parametrize(
    "dialect",
    [aiosqlite_dialect(), asyncpg_dialect()],  # type: ignore[no-untyped-call]
    ids=lambda d: d.name,
)
def test_no_tree_read_column_needs_result_processing(dialect: Dialect) -> None:
    columns = [*tree_reads.JOB_COLUMNS, *tree_reads.ITEM_COLUMNS]
    processed = [
        column.name
        for column in columns
        if column.type._cached_result_processor(dialect, None) is not None
    ]
    assert processed == []


def test_decoded_cells_are_decoded_on_first_read_and_kept() -> None:
    row_class = tree_reads.row_class(
        ["id", "items_returnable", "article"],
        {"items_returnable": bool, "article": orjson.loads},
    )
    row = row_class(("job-1", 0, '{"title": "Rim"}'))
    assert row.id == "job-1"
    assert row.items_returnable is False
    assert row.article == {"title": "Rim"}
    assert row.article is row.article  # decoded once
    with pytest.raises(AttributeError):
        _ = row.missing


def test_rows_decode_some_columns_at_once_and_the_others_on_first_read() -> None:
    decoders = {"article": orjson.loads, "codes": orjson.loads}
    rows = tree_reads.decoded_rows(
        [("i1", '{"title": "Rim"}', "[1]"), ("i2", None, None)],
        ["id", "article", "codes"],
        decoders,
        now={"article"},
    )
    first, second = rows
    assert tuple.__getitem__(first, 1) == {"title": "Rim"}  # decoded with the read
    assert tuple.__getitem__(first, 2) == "[1]"  # not yet
    assert first.article == {"title": "Rim"} and first.codes == [1]
    assert second.article is None and second.codes is None
    assert tree_reads.decoded_rows([], ["id", "article"], decoders, now={"article"}) == []


class _NoRows:
    """A read connection whose every statement finds nothing."""

    postgresql = False

    async def rows(self, statement: object, parameters: object) -> tuple[list[str], list[Any]]:
        return ["id"], []

    def spare(self) -> AbstractAsyncContextManager[None]:
        return nullcontext()


def _value_of(name: str) -> Any:
    if name.endswith(("_from", "_to")):
        return datetime(2026, 1, 1, tzinfo=UTC)
    return ["v"] if name in ("statuses", "marketplace_ids") else "v"


async def test_many_page_shapes_evict_no_other_kept_statement() -> None:
    """A caller sending ever new filter shapes makes its page statements again; the reads'
    other kept statements (trees, a job by id) stay as they are."""
    tree = tree_reads.kept_statement(("tree",), tree_reads._tree_statement)
    shapes = 0
    for order in JOB_SORT_KEYS:
        for pair in combinations(FILTER_FIELDS, 2):
            flt = ServiceJobFilter(**{name: _value_of(name) for name in pair})
            search = JobSearch(None, "acme", None)
            key = job_sort_key(order, False)
            page = await search.page_rows(_NoRows(), flt, key, Window(first=5), None)
            assert page.rows == []
            shapes += 1
    assert shapes > job_search._PAGES.maxsize
    assert len(job_search._PAGES) == job_search._PAGES.maxsize
    assert tree_reads.kept_statement(("tree",), tree_reads._tree_statement) is tree
