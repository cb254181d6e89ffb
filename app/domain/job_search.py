"""Finding jobs and trees: what a search may ask for and how its text is matched.

Text conditions (`searchTerm`, `serviceName`, `articleTitle`) match a case-insensitive
substring: the term is lowered and its LIKE wildcards (`%`, `_`) and the escape character
itself are escaped, so a term matches only its own characters. SQLite lowers ASCII letters
only, so on SQLite `É` and `é` are different letters; PostgreSQL lowers every letter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from app.domain.errors import BadRequest
from app.domain.job_status import ACTIVE_WORK, JobStatus

T = TypeVar("T")

#: The escape character of every LIKE pattern made here.
LIKE_ESCAPE = "\\"
#: A tree search nests `and`/`or` at most this deep (the top level is depth 1) …
MAX_CONDITION_DEPTH = 4
#: … with at most this many conditions (every object of the filter, nested ones included).
MAX_CONDITIONS = 32
#: Lists of values a filter may give (statuses, marketplaces).
MAX_FILTER_VALUES = 20

#: The tree's status is the status of its job of lowest rank (DOMAIN §4): a tree's status is
#: one SQL aggregate, `min(rank)`, over its jobs.
TREE_STATUS_RANK: dict[JobStatus, int] = {
    JobStatus.IN_PROGRESS: 1,
    JobStatus.WAITING_FOR_INPUT: 1,
    JobStatus.OPEN: 2,
    JobStatus.NOT_READY: 3,
    JobStatus.FINISHED: 4,
    JobStatus.CANCELLED: 5,
    JobStatus.OBSOLETE: 6,
}
assert set(TREE_STATUS_RANK) == set(JobStatus)
assert {s for s, r in TREE_STATUS_RANK.items() if r == 1} == ACTIVE_WORK


def tree_status_ranks(statuses: Iterable[JobStatus]) -> list[int]:
    """The ranks a tree's lowest job rank must have for the tree to be in one of these statuses.
    WAITING_FOR_INPUT is never a tree's status (such a tree is IN_PROGRESS)."""
    return sorted({TREE_STATUS_RANK[s] for s in statuses if s is not JobStatus.WAITING_FOR_INPUT})


def like_pattern(term: str) -> str:
    """A LIKE pattern (escaped with LIKE_ESCAPE) matching texts that contain `term`, lowered."""
    escaped = (
        term.lower()
        .replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def check_values(values: Sequence[object] | None, name: str) -> None:
    if values is not None and len(values) > MAX_FILTER_VALUES:
        raise BadRequest(f"`{name}` takes at most {MAX_FILTER_VALUES} values.")


def check_search_term(term: str | None, name: str) -> None:
    if term is not None and not term.strip():
        raise BadRequest(f"`{name}` must not be blank.")


@dataclass(frozen=True, slots=True)
class TreeCondition:
    """One object of a tree search: its own conditions, all of `all_of`, one of `any_of`."""

    statuses: tuple[JobStatus, ...] | None = None
    facility_ref: str | None = None
    tenant_order_id: str | None = None
    service_name: str | None = None
    article_title: str | None = None
    search_term: str | None = None
    target_time_from: datetime | None = None
    target_time_to: datetime | None = None
    last_modified_from: datetime | None = None
    last_modified_to: datetime | None = None
    all_of: tuple[TreeCondition, ...] = field(default_factory=tuple)
    any_of: tuple[TreeCondition, ...] = field(default_factory=tuple)


def check_nesting(root: T, children: Callable[[T], Iterable[T]]) -> None:
    """Refuse a search nested deeper than MAX_CONDITION_DEPTH or holding more than
    MAX_CONDITIONS objects, before anything walks it recursively or sends it to the database."""
    count = 0
    stack: list[tuple[T, int]] = [(root, 1)]
    while stack:
        current, depth = stack.pop()
        count += 1
        if depth > MAX_CONDITION_DEPTH:
            raise BadRequest(
                f"A search nests `and`/`or` at most {MAX_CONDITION_DEPTH} levels deep."
            )
        if count > MAX_CONDITIONS:
            raise BadRequest(f"A search holds at most {MAX_CONDITIONS} conditions.")
        stack.extend((child, depth + 1) for child in children(current))
