"""Batched relations: a field's values for every parent of a level, in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.repositories.tree_reads import line_item_rows


class LineItemsOfJobs:
    """`ServiceJob.lineItems`: the line item rows of every job of a level in one statement,
    attached to each job (as a tree read whole attaches them) with the columns the document's
    LineItem fields read. Jobs that have theirs already (a tree's) cost nothing."""

    async def fetch(self, context: Any, parents: Sequence[Any]) -> Sequence[Any]:
        missing = [job for job in parents if job._line_item_rows is None]
        if missing:
            planned = context.tree_columns
            columns = None if planned is None else planned.item_columns
            async with context.read_connection() as reads:
                rows = await line_item_rows(
                    reads,
                    context.viewer.tenant,
                    list(dict.fromkeys(str(job.id) for job in missing)),
                    columns,
                )
            for job in missing:
                job._line_item_rows = rows[str(job.id)]
        return [row for job in parents for row in job._line_item_rows]


LINE_ITEMS_OF_JOBS = LineItemsOfJobs()
