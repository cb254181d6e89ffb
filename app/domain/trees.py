"""Linked service job trees (DOMAIN §4): limits, readiness, cancel cascades, inherited items.

A tree is a forest of links: root-level links have no parent; a link's children ("next service
job links") are its job's prerequisites and run first. Everything here works on a `TreeShape`
built from plain link tuples, so it is tested without a database.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from app.domain.errors import DomainError, ErrorCode, conflict, limit_exceeded
from app.domain.job_status import ACTIVE_WORK, TERMINAL, JobStatus, prerequisites_ended

MAX_DEPTH = 25
MAX_CHILDREN = 50


@dataclass(frozen=True, slots=True)
class Link:
    id: str
    job_id: str
    parent_id: str | None


@dataclass(slots=True)
class TreeShape:
    """The links of one tree, indexed; `links` are in sibling order."""

    links: dict[str, Link] = field(default_factory=dict)
    children: dict[str | None, list[str]] = field(default_factory=dict)
    link_of_job: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, links: Iterable[Link]) -> TreeShape:
        shape = cls()
        for link in links:
            shape.add(link)
        return shape

    def add(self, link: Link) -> None:
        self.links[link.id] = link
        self.children.setdefault(link.parent_id, []).append(link.id)
        self.link_of_job[link.job_id] = link.id

    def depth(self, link_id: str) -> int:
        """1 for a root-level link."""
        depth = 0
        current: str | None = link_id
        while current is not None:
            depth += 1
            current = self.links[current].parent_id
        return depth

    def ancestors(self, link_id: str) -> list[str]:
        """The links above, nearest first, up to the root level."""
        result: list[str] = []
        parent = self.links[link_id].parent_id
        while parent is not None:
            result.append(parent)
            parent = self.links[parent].parent_id
        return result

    def descendants(self, link_id: str) -> Iterator[str]:
        """Links beneath, depth first, siblings in order."""
        stack = list(reversed(self.children.get(link_id, [])))
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(self.children.get(current, [])))

    def preorder(self) -> Iterator[tuple[str, int]]:
        """Every link once, parents before children, with its depth."""
        stack = [(root, 1) for root in reversed(self.children.get(None, []))]
        while stack:
            current, depth = stack.pop()
            yield current, depth
            stack.extend((c, depth + 1) for c in reversed(self.children.get(current, [])))


def check_new_link(
    shape: TreeShape, parent_link_id: str | None, job_count: int, max_jobs: int
) -> None:
    """Refuse a new link beneath `parent_link_id` (None: root level) that breaks a limit."""
    if parent_link_id is not None:
        if parent_link_id not in shape.links:
            raise DomainError.one(
                ErrorCode.NOT_FOUND,
                f"Service job link {parent_link_id!r} is not in this tree.",
                "serviceJobLinkId",
            )
        depth = shape.depth(parent_link_id) + 1
        if depth > MAX_DEPTH:
            raise limit_exceeded(
                f"The link would sit at depth {depth}; a tree is at most {MAX_DEPTH} deep.",
                "serviceJobLinkId",
            )
    if len(shape.children.get(parent_link_id, [])) >= MAX_CHILDREN:
        raise limit_exceeded(
            f"At most {MAX_CHILDREN} links may sit beneath one link.", "serviceJobLinkId"
        )
    if job_count + 1 > max_jobs:
        raise limit_exceeded(f"A tree holds at most {max_jobs} service jobs.", "serviceJobId")


def check_parent_accepts_prerequisite(status: JobStatus) -> JobStatus:
    """The parent's status after it gains a non-terminal prerequisite, or a refusal."""
    if status in ACTIVE_WORK or status in TERMINAL:
        raise DomainError.one(
            ErrorCode.INVALID_TRANSITION,
            f"A prerequisite cannot be added to a service job in status {status.value}.",
            "serviceJobLinkId",
        )
    return JobStatus.NOT_READY


def check_job_not_linked_elsewhere(own_tree_size: int) -> None:
    if own_tree_size > 1:
        raise conflict(
            "The service job is already linked with other jobs; only a job alone in its own "
            "tree can be linked into another tree.",
            "serviceJobId",
        )


def jobs_to_open(
    shape: TreeShape,
    statuses: Mapping[str, JobStatus],
    candidates: Iterable[str],
    lacking_items: Collection[str] = (),
) -> list[str]:
    """Jobs among `candidates` that are NOT_READY with every prerequisite ended and every
    required item selected (`lacking_items` names the jobs still missing some)."""
    ready: list[str] = []
    for job_id in candidates:
        if statuses.get(job_id) is not JobStatus.NOT_READY or job_id in lacking_items:
            continue
        link_id = shape.link_of_job[job_id]
        children = shape.children.get(link_id, [])
        if prerequisites_ended(statuses[shape.links[c].job_id] for c in children):
            ready.append(job_id)
    return ready


def dependents_to_cancel(
    shape: TreeShape, statuses: Mapping[str, JobStatus], job_id: str
) -> list[str]:
    """Every non-terminal job that depends on `job_id`: the jobs of the links above it."""
    return [
        shape.links[link].job_id
        for link in shape.ancestors(shape.link_of_job[job_id])
        if statuses[shape.links[link].job_id] not in TERMINAL
    ]


def parent_job(shape: TreeShape, job_id: str) -> str | None:
    parent = shape.links[shape.link_of_job[job_id]].parent_id
    return shape.links[parent].job_id if parent is not None else None


def inherited_from(shape: TreeShape, job_id: str) -> list[str]:
    """Jobs whose line items `job_id` inherits: every job beneath it, depth first."""
    return [shape.links[link].job_id for link in shape.descendants(shape.link_of_job[job_id])]


def check_shape(links: Sequence[Link]) -> TreeShape:
    """Validate a whole tree given as links (parents listed before children): depth, fan-out,
    one link per job, no unknown parents (so no cycles)."""
    shape = TreeShape()
    for link in links:
        if link.id in shape.links:
            raise conflict(f"Link {link.id!r} is listed twice.")
        if link.job_id in shape.link_of_job:
            raise conflict(f"Service job {link.job_id!r} is in two links.")
        if link.parent_id is not None and link.parent_id not in shape.links:
            raise DomainError.one(
                ErrorCode.VALIDATION_FAILED,
                f"Link {link.id!r} names parent {link.parent_id!r}, which is not listed before it.",
            )
        check_new_link(shape, link.parent_id, len(shape.links), max_jobs=len(links))
        shape.add(link)
    return shape
