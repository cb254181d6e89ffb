"""Concurrency against a real server: PostgreSQL with two uvicorn worker processes (SQLite, one
process, through the ASGI app). Many clients, the same version: one winner, the rest
VERSION_CONFLICT; trees that stay whole; and service data updates that are never lost."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.api.test_service_data import DATA, SELECT, needs, node, order
from tests.conftest import TEST_SECRET
from tests.support.graphql import GraphQLClient
from tests.support.jobs import JOB_FIELDS, get_job, job, service
from tests.support.server import running_server

START = f"""mutation($id: ID!, $v: Int!) {{ startServiceJob(input: {{id: $id, version: $v}}) {{
  serviceJob {{ {JOB_FIELDS} }} userErrors {{ code currentVersion }} }} }}"""


@pytest.fixture(scope="module")
def server_url(
    db_kind: str, module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str | None]:
    """A real server with two workers on PostgreSQL, shared by the module's tests (each test
    empties the database, tests/conftest.py); None on SQLite (the ASGI app is used)."""
    if db_kind != "postgres":
        yield None
        return
    env = {"JWT_SECRET": TEST_SECRET}
    log_dir = tmp_path_factory.mktemp("server")
    with running_server(module_database_url, env, workers=2, log_dir=log_dir) as server:
        yield server.url


@pytest.fixture
async def clients(server_url: str | None, gql: GraphQLClient) -> AsyncIterator[list[GraphQLClient]]:
    if server_url is None:
        yield [gql] * 50
        return
    async with httpx.AsyncClient(base_url=server_url, timeout=30) as http:
        yield [GraphQLClient(http, gql.settings, tenant=None, token=gql.token)] * 50


async def test_fifty_clients_one_version_one_winner(
    gql: GraphQLClient, clients: list[GraphQLClient]
) -> None:
    created = await job(gql, await service(gql, "step"))
    results = await asyncio.gather(
        *(client(START, {"id": created["id"], "v": 1}) for client in clients)
    )
    payloads = [r["startServiceJob"] for r in results]
    winners = [p for p in payloads if not p["userErrors"]]
    losers = [p["userErrors"][0] for p in payloads if p["userErrors"]]
    assert len(winners) == 1
    assert len(losers) == 49
    assert {(e["code"], e["currentVersion"]) for e in losers} == {("VERSION_CONFLICT", 2)}
    after = await get_job(gql, created["id"])
    assert (after["status"], after["version"]) == ("IN_PROGRESS", 2)


TREE = """query($id: ID!) { linkedServiceJobs(id: $id) { includedServiceJobRefs
  allServiceJobLinks { id previousServiceJobLinkRef serviceJob { id status } } } }"""
LINK = """mutation($input: AddServiceJobLinkInput!) { addServiceJobLink(input: $input) {
  userErrors { code } } }"""
CANCEL = """mutation($id: ID!) { cancelServiceJob(input: {id: $id, version: 1, reason: "x"}) {
  userErrors { code } } }"""


async def test_links_and_cancels_racing_on_one_tree_leave_it_whole(
    gql: GraphQLClient, clients: list[GraphQLClient]
) -> None:
    step = await service(gql, "step")
    root = await job(gql, step)
    middle = await job(gql, step, serviceJobLinkRef=root["serviceJobLink"]["id"])
    leaf = await job(gql, step, serviceJobLinkRef=middle["serviceJobLink"]["id"])
    # Nothing is linked beneath this one, so its cancel cannot lose on its version.
    doomed = await job(gql, step, serviceJobLinkRef=middle["serviceJobLink"]["id"])
    lone = [await job(gql, step) for _ in range(12)]
    tree_id = root["linkedServiceJobsRef"]
    parents = [root, middle, leaf]
    work: list[Any] = [
        clients[i](
            LINK,
            {
                "input": {
                    "linkedServiceJobsId": tree_id,
                    "serviceJobId": j["id"],
                    "serviceJobLinkId": parents[i % 3]["serviceJobLink"]["id"],
                }
            },
        )
        for i, j in enumerate(lone)
    ]
    work.insert(6, clients[40](CANCEL, {"id": doomed["id"]}))
    outcome = await asyncio.gather(*work)
    assert outcome[6] == {"cancelServiceJob": {"userErrors": []}}

    status_of = await tree_is_whole(gql, tree_id)
    for cancelled in (doomed, middle, root):
        assert status_of[cancelled["serviceJobLink"]["id"]] == "CANCELLED"


async def tree_is_whole(gql: GraphQLClient, tree_id: str) -> dict[str, str]:
    """Asserts that every link has its job, there is no cycle, and no dependent of a cancelled
    job is left open; returns each link's job status."""
    tree = (await gql(TREE, {"id": tree_id}))["linkedServiceJobs"]
    links = tree["allServiceJobLinks"]
    jobs = {link["serviceJob"]["id"] for link in links}
    assert len(links) == len(jobs) == len(tree["includedServiceJobRefs"])
    parent_of = {link["id"]: link["previousServiceJobLinkRef"] for link in links}
    status_of: dict[str, str] = {link["id"]: link["serviceJob"]["status"] for link in links}
    for link_id in parent_of:  # no cycle: every chain reaches the root level
        seen: set[str] = set()
        current: str | None = link_id
        while current is not None:
            assert current not in seen
            seen.add(current)
            current = parent_of[current]
    for link_id, status in status_of.items():  # no dependent of a cancelled job left open
        if status == "CANCELLED":
            parent = parent_of[link_id]
            while parent is not None:
                assert status_of[parent] in {"CANCELLED", "FINISHED", "OBSOLETE"}
                parent = parent_of[parent]
    return status_of


VERSION = "query($id: ID!) { serviceJob(id: $id) { version } }"
SHAPE = """query($id: ID!) { linkedServiceJobs(id: $id) { allServiceJobLinks {
  id previousServiceJobLinkRef serviceJob { id version } } } }"""
CANCEL_AT = """mutation($id: ID!, $v: Int!) {
  cancelServiceJob(input: {id: $id, version: $v, reason: "x"}) { userErrors { code } } }"""
#: Clients racing on each (job, item) pair of the service data test.
CLIENTS_PER_ITEM = 2
#: Attempts of one change before a client gives up (it never should).
MAX_ATTEMPTS = 100


@dataclass
class Tally:
    """What the racing clients were answered, and what they achieved."""

    responses: int = 0
    applied: Counter[tuple[str, str]] = field(default_factory=Counter)  # (job, item) → units
    updates: Counter[str] = field(default_factory=Counter)  # job → updates applied
    conflicts: int = 0
    links: int = 0

    async def call(
        self, client: GraphQLClient, query: str, variables: dict[str, Any]
    ) -> dict[str, Any]:
        """The data of an answer that has no request-level error (so nothing masked as
        INTERNAL_SERVER_ERROR) and does not mention a locked database."""
        body = await client.raw(query, variables)
        self.responses += 1
        text = json.dumps(body)
        assert "database is locked" not in text.lower(), text
        assert not body.get("errors"), text
        data: dict[str, Any] = body["data"]
        return data

    async def change_until_applied(
        self, client: GraphQLClient, job_id: str, verb: str, item: str, quantity: int
    ) -> None:
        """Select or unselect with the job's current version, reading it again after every
        VERSION_CONFLICT, until the change is applied."""
        name = f"{verb}ItemsForServiceJob"
        for _ in range(MAX_ATTEMPTS):
            version = (await self.call(client, VERSION, {"id": job_id}))["serviceJob"]["version"]
            entry = {"serviceItemRef": item, "quantity": quantity}
            change = {"serviceJobId": job_id, "serviceJobVersion": version, "items": [entry]}
            errors = (await self.call(client, SELECT % name, {"input": change}))[name]["userErrors"]
            if not errors:
                self.applied[job_id, item] += quantity if verb == "select" else -quantity
                self.updates[job_id] += 1
                return
            assert [e["code"] for e in errors] == ["VERSION_CONFLICT"], errors
            self.conflicts += 1
            await asyncio.sleep(random.uniform(0, 0.005))
        raise AssertionError(f"{verb} for {job_id} still in conflict after {MAX_ATTEMPTS} tries")

    async def cancel_until_applied(self, client: GraphQLClient, job_id: str) -> None:
        for _ in range(MAX_ATTEMPTS):
            version = (await self.call(client, VERSION, {"id": job_id}))["serviceJob"]["version"]
            data = await self.call(client, CANCEL_AT, {"id": job_id, "v": version})
            errors = data["cancelServiceJob"]["userErrors"]
            if not errors:
                return
            assert [e["code"] for e in errors] == ["VERSION_CONFLICT"], errors
            self.conflicts += 1
        raise AssertionError(f"cancel of {job_id} still in conflict after {MAX_ATTEMPTS} tries")

    async def link(self, client: GraphQLClient, tree_id: str, job_id: str, parent: str) -> None:
        link = {"linkedServiceJobsId": tree_id, "serviceJobId": job_id, "serviceJobLinkId": parent}
        errors = (await self.call(client, LINK, {"input": link}))["addServiceJobLink"]["userErrors"]
        # Beneath a job the cancel cascade has reached, a prerequisite is refused.
        assert [e["code"] for e in errors] in ([], ["INVALID_TRANSITION"]), errors
        if not errors:
            self.links += 1


async def test_service_data_updates_racing_on_one_tree_are_never_lost(
    gql: GraphQLClient, clients: list[GraphQLClient]
) -> None:
    # Every job needs an article no client selects (an order must carry what its jobs need):
    # all of them stay NOT_READY, so items can be selected and unselected for them throughout.
    step = await service(gql, "step", **needs("held-back", 1, returnable=False))
    line_items = [{"article": {"tenantArticleId": f"art-{i}"}, "quantity": 1000} for i in range(8)]
    line_items.append({"article": {"tenantArticleId": "held-back"}, "quantity": 1})
    branch = node("step", node("step"))
    (root, *_) = await order(gql, [node("step", branch, branch, branch)], line_items)
    tree_id = root["linkedServiceJobsRef"]
    links = (await gql(SHAPE, {"id": tree_id}))["linkedServiceJobs"]["allServiceJobLinks"]
    job_of = {link["id"]: link["serviceJob"] for link in links}
    (root_link,) = [link["id"] for link in links if link["previousServiceJobLinkRef"] is None]
    middles = [link["id"] for link in links if link["previousServiceJobLinkRef"] == root_link]
    leaf_of = {link["previousServiceJobLinkRef"]: link["id"] for link in links}
    assert len(links) == 7 and len(middles) == 3
    # A, its prerequisite La, B, Lb take the selections; C and Lc the cancel and the links.
    selectable = [job_of[link]["id"] for m in middles[:2] for link in (m, leaf_of[m])]
    cancelled = [root_link, middles[2], leaf_of[middles[2]]]
    versions_before = {job["id"]: job["version"] for job in job_of.values()}
    data_before = (await gql(DATA, {"id": root["id"]}))["serviceData"]
    items = sorted(data_before["availableLineItems"], key=lambda i: i["article"]["tenantArticleId"])
    lone = [await job(gql, step) for _ in range(6)]

    rng = random.Random(20261123)
    plans: list[tuple[str, str, list[tuple[str, int]]]] = []
    for index, job_id in enumerate(selectable):
        for item in items[2 * index : 2 * index + 2]:
            for _ in range(CLIENTS_PER_ITEM):
                # A client unselects only units it selected itself before, so the unselect
                # holds whatever the others do in between.
                first, second = rng.randint(1, 5), rng.randint(1, 5)
                changes = [("select", first), ("select", second)]
                changes += [("unselect", rng.randint(1, first + second)), ("select", 1)]
                plans.append((job_id, item["id"], changes))
    tally = Tally()

    async def client_work(
        client: GraphQLClient, job_id: str, item: str, changes: list[tuple[str, int]]
    ) -> None:
        for verb, quantity in changes:
            await tally.change_until_applied(client, job_id, verb, item, quantity)

    started = time.monotonic()
    async with asyncio.TaskGroup() as group:
        for client, (job_id, item, changes) in zip(clients, plans, strict=False):
            group.create_task(client_work(client, job_id, item, changes))
        group.create_task(tally.cancel_until_applied(clients[-1], job_of[cancelled[2]]["id"]))
        for index, lone_job in enumerate(lone):
            parent = cancelled[index % 3]
            group.create_task(tally.link(clients[-2], tree_id, lone_job["id"], parent))
    duration = time.monotonic() - started

    total = sum(len(changes) for _, _, changes in plans)
    assert tally.conflicts > 0, "the clients never raced"
    data_after = (await gql(DATA, {"id": root["id"]}))["serviceData"]
    recorded = {
        (usage["serviceJobRef"], item["id"]): usage["appliedQuantity"]
        for item in data_after["availableLineItems"]
        for usage in item["executedServiceJobData"]
    }
    # Each item is selected by one job; its units pass on to every job above it (seed 003).
    parent_of = {
        job_of[link["id"]]["id"]: (
            job_of[link["previousServiceJobLinkRef"]]["id"]
            if link["previousServiceJobLinkRef"]
            else None
        )
        for link in links
    }
    expected: dict[tuple[str, str], int] = {}
    for (holder, item_id), units in tally.applied.items():
        above: str | None = holder
        while units and above is not None:
            expected[above, item_id] = units
            above = parent_of[above]
    assert recorded == expected
    # One bump per applied change and per tree merged in: none lost, none doubled.
    assert data_after["version"] == data_before["version"] + total + tally.links
    for job_id in selectable:
        after = await get_job(gql, job_id)
        assert after["status"] == "NOT_READY"
        assert after["version"] == versions_before[job_id] + tally.updates[job_id]
    status_of = await tree_is_whole(gql, tree_id)
    assert [status_of[link] for link in cancelled] == ["CANCELLED"] * 3
    print(
        f"\nservice data race: {len(plans)} clients, {total} updates applied, "
        f"{tally.conflicts} conflicts retried, {tally.links} links, "
        f"{tally.responses} responses, {duration:.1f}s"
    )


async def test_lone_jobs_linked_crosswise_at_once_never_fail_internally(
    gql: GraphQLClient,
    clients: list[GraphQLClient],
) -> None:
    """X into Y's tree while Y goes into X's: one move wins, the other is refused."""
    step = await service(gql, "step")
    pairs = [(await job(gql, step), await job(gql, step)) for _ in range(16)]
    tally = Tally()

    async def link(client: GraphQLClient, moved: dict[str, Any], into: dict[str, Any]) -> list[str]:
        link = {"linkedServiceJobsId": into["linkedServiceJobsRef"], "serviceJobId": moved["id"]}
        data = await tally.call(client, LINK, {"input": link})
        return [e["code"] for e in data["addServiceJobLink"]["userErrors"]]

    async with asyncio.TaskGroup() as group:
        moves = [
            (
                group.create_task(link(clients[2 * i], x, y)),
                group.create_task(link(clients[2 * i + 1], y, x)),
            )
            for i, (x, y) in enumerate(pairs)
        ]
    for (x, y), (there, back) in zip(pairs, moves, strict=True):
        # The loser finds its job already joined to another, or its target tree merged away.
        codes = sorted([there.result(), back.result()], key=len)
        assert codes in ([[], ["CONFLICT"]], [[], ["NOT_FOUND"]])
        tree = (await get_job(gql, x["id"]))["linkedServiceJobsRef"]
        assert (await get_job(gql, y["id"]))["linkedServiceJobsRef"] == tree
        assert len(await tree_is_whole(gql, tree)) == 2
