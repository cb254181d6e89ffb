"""After items flowed (a select, a job added with items, trees merged, the service data
corrected): rewrite the derived executedServiceJobData and move every NOT_READY job of the tree
to the sub-status it has now, opening those that are ready (DOMAIN §6). Runs inside the caller's
transaction, on a locked tree."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from app.domain import service_data as rules
from app.domain import trees
from app.domain.job_status import JobStatus
from app.domain.service_data import ServiceItem
from app.repositories.service_data import ServiceDataRepository
from app.repositories.service_jobs import ServiceJobRepository, TreeState


def readiness_changes(
    tree: TreeState, items: Mapping[str, ServiceItem]
) -> dict[str, dict[str, Any]]:
    """Per job, the columns that change: `sub_status` and, for jobs now ready, `status`."""
    statuses = {k: JobStatus(v) for k, v in tree.statuses.items()}
    subs = rules.settle(tree.shape, statuses, list(items.values()), tree.needs)
    lacking = {job for job, sub in subs.items() if sub is not None}
    opening = set(trees.jobs_to_open(tree.shape, statuses, subs, lacking))
    changes: dict[str, dict[str, Any]] = {}
    for job, sub in subs.items():
        change: dict[str, Any] = {}
        if sub != tree.sub_statuses.get(job):
            change["sub_status"] = sub
        if job in opening:
            change["status"] = JobStatus.OPEN.value
        if change:
            changes[job] = change
    return changes


async def write_usages(
    data: ServiceDataRepository, tree: TreeState, items: Collection[ServiceItem]
) -> None:
    await data.save_usages(
        [replace(i, usages=rules.executed(tree.shape, i, tree.returnable)) for i in items]
    )


async def apply_readiness(
    repo: ServiceJobRepository,
    changes: Mapping[str, Mapping[str, Any]],
    *,
    fresh: Collection[str] = (),
) -> None:
    """Write readiness changes; jobs in `fresh` were made in this transaction and keep their
    first version."""
    groups: dict[tuple[tuple[str, Any], ...], list[str]] = {}
    for job, change in changes.items():
        groups.setdefault(tuple(sorted(change.items())), []).append(job)
    for values, jobs in groups.items():
        for bump in (True, False):
            chosen = [j for j in jobs if (j not in fresh) is bump]
            await repo.update_jobs(chosen, dict(values), bump=bump)


async def settle_tree(
    repo: ServiceJobRepository,
    data: ServiceDataRepository,
    tree_id: str,
    *,
    refresh: Collection[str] | None = None,
    fresh: Collection[str] = (),
) -> None:
    """Rewrite executedServiceJobData of the items in `refresh` (None: all) and settle every
    job's readiness."""
    tree = await repo.tree_state(tree_id)
    state = await data.load_with_holdings(tree_id)
    assert state is not None, "every tree has its service data"
    chosen = state.items.values() if refresh is None else [state.items[i] for i in refresh]
    await write_usages(data, tree, list(chosen))
    await apply_readiness(repo, readiness_changes(tree, state.items), fresh=fresh)
