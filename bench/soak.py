"""Soak under faults: mixed reads and writes from several clients through the load balancer of
`scripts/cluster` for a fixed time, while node 1 is killed with SIGKILL and started again and
PgBouncer is restarted; then every promise is checked against the database:

- every acknowledged write is there exactly once (creates carry a unique tenantOrderId; an
  unacknowledged one is there at most once), and every acknowledged version is someone's alone;
- versions are monotonic: no reader ever sees a job's version go down, and each job's events
  run 1, 2, … its final version, each once, in id order; readers paging `events(after:)` never
  see an id twice or out of order;
- no open subscription missed a change without being told: a subscriber whose socket closes
  reconnects, subscribes and re-reads; when the load stops, every subscriber knows each of its
  jobs' final version;
- every job event reached a webhook receiver on loopback at least once, signed with the
  subscription's secret, and de-duplicates by its event id to exactly the events there are.

The report prints requests served, errors by kind, and p50/p99 latency before, during and after
the faults. Exit status 1 if a promise was broken.

    .venv/bin/python -m bench.soak                      # the long form: about 3 minutes
    .venv/bin/python -m bench.soak --before 8 --after 8 # about the CI form (tests/cluster)
    .venv/bin/python -m bench.soak --postgres "$TEST_POSTGRES_ADMIN_URL"   # on a running server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from tests.support.cluster import Cluster, running_cluster
from tests.support.graphql import GraphQLClient
from tests.support.jobs import TARGET, service
from tests.support.webhook_receiver import Receiver, running_receiver
from tests.support.ws import graphql_ws

PHASES = ("before", "during", "after")

CREATE = """mutation($input: CreateServiceJobInput!) { createServiceJob(input: $input) {
  serviceJob { id version } userErrors { code } } }"""
READ = """query($id: ID!) { serviceJob(id: $id) { version status } }"""
ACT = """mutation($id: ID!, $v: Int!) {{ {name}ServiceJob(input: {{id: $id, version: $v}}) {{
  serviceJob {{ version }} userErrors {{ code }} }} }}"""
EVENTS = """query($after: String) { events(first: 50, after: $after) {
  pageInfo { endCursor } nodes { id } } }"""
CHANGED = """subscription($id: ID!) { serviceJobChanged(id: $id) { version } }"""
WEBHOOK = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) { secret userErrors { code message } } }"""
JOB_EVENTS = ["SERVICE_JOB_CREATED", "SERVICE_JOB_CHANGED"]
#: How long deliveries may take to catch up once the load stops.
DELIVERY_PATIENCE_SECONDS = 60.0

#: The nodes' webhook settings for a soak: attempts retried within a second or two, and a dead
#: node's leased deliveries taken over after 10 s, so that everything arrives within the run.
NODE_SETTINGS = {
    "WEBHOOK_POLL_INTERVAL_SECONDS": "0.5",
    "WEBHOOK_BACKOFF_BASE_SECONDS": "0.5",
    "WEBHOOK_BACKOFF_MAX_SECONDS": "4",
    "WEBHOOK_TIMEOUT_SECONDS": "5",
    "WEBHOOK_LEASE_SECONDS": "10",
    "WEBHOOK_MAX_ATTEMPTS": "30",
}


@dataclass
class Sample:
    kind: str  # read | write
    phase: str
    seconds: float
    outcome: str  # ok | VERSION_CONFLICT | an error's kind


@dataclass
class Options:
    before: float = 50.0
    after: float = 50.0
    #: Seconds node 1 stays dead; PgBouncer restarts halfway through them.
    down: float = 6.0
    writers: int = 4
    readers: int = 4
    subscribers: int = 3
    jobs_per_subscriber: int = 3
    tenant: str = "soak"


@dataclass
class Result:
    samples: list[Sample] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    timeline: list[tuple[float, str]] = field(default_factory=list)
    reconnects: int = 0
    subscription_errors: int = 0
    notices: int = 0
    checked: dict[str, int] = field(default_factory=dict)
    webhooks: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        phases: dict[str, Any] = {}
        for phase in PHASES:
            samples = [s for s in self.samples if s.phase == phase]
            served = [s.seconds * 1000 for s in samples if s.outcome in {"ok", "VERSION_CONFLICT"}]
            errors = Counter(
                s.outcome for s in samples if s.outcome not in {"ok", "VERSION_CONFLICT"}
            )
            phases[phase] = {
                "requests": len(samples),
                "served": len(served),
                "reads": sum(1 for s in samples if s.kind == "read"),
                "writes": sum(1 for s in samples if s.kind == "write"),
                "conflicts": sum(1 for s in samples if s.outcome == "VERSION_CONFLICT"),
                "errors": dict(errors.most_common()),
                "p50_ms": round(percentile(served, 50), 1),
                "p99_ms": round(percentile(served, 99), 1),
            }
        return {
            "phases": phases,
            "timeline": [{"at_s": round(t, 1), "what": what} for t, what in self.timeline],
            "subscriber_reconnects": self.reconnects,
            "subscription_errors": self.subscription_errors,
            "subscription_messages": self.notices,
            "checked": self.checked,
            "webhooks": self.webhooks,
            "violations": self.violations,
        }


def percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def error_kind(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped"
    return type(exc).__name__


class Soak:
    def __init__(self, cluster: Cluster, options: Options) -> None:
        self.cluster = cluster
        self.options = options
        self.token = cluster.token(options.tenant)
        self.result = Result()
        self.phase = "before"
        self.running = True
        self.started = 0.0
        self.jobs: list[str] = []
        self.acked_creates: dict[str, str] = {}  # tenantOrderId -> job id
        self.unacked_creates: set[str] = set()
        self.acked_versions: list[tuple[str, int]] = []
        self.known: list[dict[str, int]] = []  # per subscriber: job -> latest version it knows
        self.event_ids: list[int] = []

    # -- requests ------------------------------------------------------------------------------

    async def call(
        self, http: httpx.AsyncClient, kind: str, query: str, variables: dict[str, Any]
    ) -> tuple[str, dict[str, Any] | None, float, str]:
        """(outcome, data, seconds, phase at the start); never raises for a failed request."""
        phase, began = self.phase, time.perf_counter()
        try:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {self.token}"},
            )
        except httpx.HTTPError as exc:
            return error_kind(exc), None, time.perf_counter() - began, phase
        seconds = time.perf_counter() - began
        if response.status_code != 200:
            return f"HTTP {response.status_code}", None, seconds, phase
        body = response.json()
        if body.get("errors"):
            code = body["errors"][0].get("extensions", {}).get("code") or "error"
            return f"GraphQL {code}", None, seconds, phase
        return "ok", body["data"], seconds, phase

    def record(self, kind: str, outcome: str, seconds: float, phase: str) -> None:
        self.result.samples.append(Sample(kind, phase, seconds, outcome))

    # -- clients -------------------------------------------------------------------------------

    async def create(self, http: httpx.AsyncClient, marker: str) -> None:
        variables = {
            "input": {
                "customServiceRef": self.service_id,
                "facilityRef": "fac-1",
                "targetTime": TARGET,
                "tenantOrderId": marker,
            }
        }
        outcome, data, seconds, phase = await self.call(http, "write", CREATE, variables)
        if data is not None:
            payload = data["createServiceJob"]
            if payload["userErrors"]:
                outcome = payload["userErrors"][0]["code"]
            else:
                self.acked_creates[marker] = payload["serviceJob"]["id"]
                self.jobs.append(payload["serviceJob"]["id"])
        if marker not in self.acked_creates:
            self.unacked_creates.add(marker)
        self.record("write", outcome, seconds, phase)

    async def change(self, http: httpx.AsyncClient, job: str) -> None:
        outcome, data, seconds, phase = await self.call(http, "read", READ, {"id": job})
        self.record("read", outcome, seconds, phase)
        if data is None or data["serviceJob"] is None:
            return
        current = data["serviceJob"]
        name = "hold" if current["status"] == "IN_PROGRESS" else "start"
        variables = {"id": job, "v": current["version"]}
        outcome, data, seconds, phase = await self.call(
            http, "write", ACT.format(name=name), variables
        )
        if data is not None:
            payload = data[f"{name}ServiceJob"]
            if payload["userErrors"]:
                outcome = payload["userErrors"][0]["code"]
            else:
                self.acked_versions.append((job, payload["serviceJob"]["version"]))
        self.record("write", outcome, seconds, phase)

    async def writer(self, index: int) -> None:
        async with self.client() as http:
            for n in range(1_000_000):
                if not self.running:
                    return
                if random.random() < 0.25:
                    await self.create(http, f"soak-{index}-{n}")
                else:
                    await self.change(http, random.choice(self.jobs))

    async def reader(self, index: int) -> None:
        seen: dict[str, int] = {}
        cursor: str | None = None
        last_event = 0
        async with self.client() as http:
            for n in range(1_000_000):
                if not self.running:
                    return
                if n % 5 == 4:
                    outcome, data, seconds, phase = await self.call(
                        http, "read", EVENTS, {"after": cursor}
                    )
                    self.record("read", outcome, seconds, phase)
                    if data is not None:
                        page = data["events"]
                        for event in page["nodes"]:
                            if int(event["id"]) <= last_event:
                                self.violate(
                                    f"reader {index}: event {event['id']} after {last_event}"
                                )
                            last_event = int(event["id"])
                        cursor = page["pageInfo"]["endCursor"] or cursor
                    continue
                job = random.choice(self.jobs)
                outcome, data, seconds, phase = await self.call(http, "read", READ, {"id": job})
                self.record("read", outcome, seconds, phase)
                if data is not None and data["serviceJob"] is not None:
                    version = data["serviceJob"]["version"]
                    if version < seen.get(job, 0):
                        self.violate(f"reader {index}: {job} went from v{seen[job]} to v{version}")
                    seen[job] = version

    async def subscriber(self, index: int, jobs: list[str]) -> None:
        """Keeps its subscriptions open through the faults: when the socket closes it
        reconnects, subscribes again and re-reads, as a client must."""
        known = self.known[index]
        async with self.client() as http:
            while self.running or self.settling:
                try:
                    async with graphql_ws(self.cluster.ws_url, self.token) as ws:
                        idents = {await ws.subscribe(CHANGED, {"id": job}): job for job in jobs}
                        # Told nothing about what happened while not subscribed: re-read now,
                        # and once more when the server has surely set the subscriptions up
                        # (the protocol does not acknowledge a subscribe).
                        await self.reread(http, jobs, known)
                        again = time.monotonic() + 1.0
                        while self.running or self.settling:
                            if again and time.monotonic() > again:
                                await self.reread(http, jobs, known)
                                again = 0
                            try:
                                message = await ws.receive(0.5)
                            except TimeoutError:
                                continue
                            data = (message.get("payload") or {}).get("data")
                            if message.get("type") != "next" or not data:
                                # An error or the end of a subscription tells the client
                                # that it may miss changes: subscribe again and re-read.
                                self.result.subscription_errors += 1
                                raise ConnectionError(f"subscription ended: {message}")
                            self.result.notices += 1
                            job = idents[message["id"]]
                            version = data["serviceJobChanged"]["version"]
                            known[job] = max(known[job], version)
                        return
                except (
                    ConnectionClosed,
                    InvalidHandshake,
                    OSError,
                    TimeoutError,
                    ConnectionError,
                    AssertionError,
                ):
                    self.result.reconnects += 1
                    await asyncio.sleep(0.2)

    async def reread(self, http: httpx.AsyncClient, jobs: list[str], known: dict[str, int]) -> None:
        for job in jobs:
            outcome, data, seconds, phase = await self.call(http, "read", READ, {"id": job})
            self.record("read", outcome, seconds, phase)
            if data is None:
                raise ConnectionError("could not re-read")
            known[job] = max(known[job], data["serviceJob"]["version"])

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.cluster.url, timeout=10)

    def violate(self, what: str) -> None:
        self.result.violations.append(what)

    # -- faults --------------------------------------------------------------------------------

    def mark(self, what: str) -> None:
        self.result.timeline.append((time.monotonic() - self.started, what))

    async def faults(self) -> None:
        options = self.options
        await asyncio.sleep(options.before)
        self.phase = "during"
        self.mark("node 1: SIGKILL")
        await asyncio.to_thread(self.cluster.run, "kill-node", "1")
        await asyncio.sleep(options.down / 2)
        self.mark("PgBouncer: restart")
        await asyncio.to_thread(self.cluster.run, "restart-pgbouncer")
        self.mark("PgBouncer: back")
        await asyncio.sleep(options.down / 2)
        self.mark("node 1: start")
        await asyncio.to_thread(self.cluster.run, "start-node", "1")
        self.mark("node 1: ready")
        self.phase = "after"
        await asyncio.sleep(options.after)
        self.mark("load stops")
        self.running = False

    # -- the run -------------------------------------------------------------------------------

    settling = False

    async def run(self) -> Result:
        with running_receiver() as receiver:
            return await self.run_with(receiver)

    async def run_with(self, receiver: Receiver) -> Result:
        options = self.options
        async with self.client() as http:
            gql = GraphQLClient(http, self.cluster.settings, tenant=None, token=self.token)
            self.service_id = await service(gql, "soak-step")
            hook = (
                await gql(
                    WEBHOOK,
                    {"input": {"callbackUrl": receiver.url("/ok/soak"), "events": JOB_EVENTS}},
                )
            )["createWebhookSubscription"]
            if hook["userErrors"]:
                raise RuntimeError(f"the soak could not subscribe its receiver: {hook}")
            secret: str = hook["secret"]
        async with self.client() as http:
            for n in range(options.subscribers * options.jobs_per_subscriber):
                await self.create(http, f"soak-setup-{n}")
        self.result.samples.clear()
        if len(self.jobs) < options.subscribers * options.jobs_per_subscriber:
            raise RuntimeError("the soak could not create its jobs")
        self.started = time.monotonic()
        self.mark("load starts")
        watched = [
            self.jobs[i * options.jobs_per_subscriber : (i + 1) * options.jobs_per_subscriber]
            for i in range(options.subscribers)
        ]
        self.known = [dict.fromkeys(jobs, 1) for jobs in watched]
        self.settling = True
        subscribers = [
            asyncio.create_task(self.subscriber(i, jobs)) for i, jobs in enumerate(watched)
        ]
        load = [asyncio.create_task(self.writer(i)) for i in range(options.writers)]
        load += [asyncio.create_task(self.reader(i)) for i in range(options.readers)]
        await self.faults()
        await asyncio.gather(*load)
        # The last changes' notices are on their way: a few seconds, then every subscriber
        # must know every final version.
        await asyncio.sleep(3)
        self.settling = False
        await asyncio.gather(*subscribers)
        await self.verify(watched)
        await self.verify_webhooks(receiver, secret)
        return self.result

    async def verify_webhooks(self, receiver: Receiver, secret: str) -> None:
        """Every job event delivered at least once, signed; by event id, exactly once."""
        expected = {str(ident) for ident in self.event_ids}
        began = time.monotonic()
        while time.monotonic() - began < DELIVERY_PATIENCE_SECONDS:
            if expected <= {r.event_id for r in receiver.received("/ok/soak")}:
                break
            await asyncio.sleep(0.25)
        waited = time.monotonic() - began
        received = receiver.received("/ok/soak")
        ids = [r.event_id for r in received]
        missing = expected - set(ids)
        if missing:
            self.violate(
                f"{len(missing)} of {len(expected)} events never reached the webhook receiver "
                f"(in {DELIVERY_PATIENCE_SECONDS:.0f} s), e.g. {sorted(missing, key=int)[:5]}"
            )
        if set(ids) - expected:
            self.violate(f"the receiver got events that are not there: {set(ids) - expected}")
        for delivery in received:
            if not delivery.signed_with(secret):
                self.violate(f"delivery of event {delivery.event_id} is not signed right")
            if str(delivery.json.get("eventId")) != delivery.event_id:
                self.violate(f"event {delivery.event_id}: body and X-Event-Id differ")
        self.result.webhooks = {
            "events": len(expected),
            "deliveries": len(ids),
            "duplicates": len(ids) - len(set(ids)),
            "caught_up_after_s": round(waited, 1),
        }

    async def verify(self, watched: list[list[str]]) -> None:
        connection = await asyncpg.connect(self.cluster.direct_database_url.replace("+asyncpg", ""))
        try:
            tenant = self.options.tenant
            markers = await connection.fetch(
                "SELECT tenant_order_id, array_agg(id) AS ids FROM service_job "
                "WHERE tenant = $1 AND tenant_order_id LIKE 'soak-%' GROUP BY 1",
                tenant,
            )
            versions = dict(
                await connection.fetch(
                    "SELECT id, version FROM service_job WHERE tenant = $1", tenant
                )
            )
            events = await connection.fetch(
                "SELECT id, entity_id, event_type, version FROM event "
                "WHERE tenant = $1 AND entity_type = 'ServiceJob' ORDER BY id",
                tenant,
            )
        finally:
            await connection.close()
        self.event_ids = [row["id"] for row in events]
        by_marker = {row["tenant_order_id"]: list(row["ids"]) for row in markers}
        for marker, ident in self.acked_creates.items():
            if by_marker.get(marker) != [ident]:
                self.violate(f"acknowledged create {marker} ({ident}) is {by_marker.get(marker)}")
        for marker in self.unacked_creates:
            if len(by_marker.get(marker, [])) > 1:
                self.violate(f"unacknowledged create {marker} is there twice")
        unknown = set(by_marker) - set(self.acked_creates) - self.unacked_creates
        if unknown:
            self.violate(f"creates nobody sent: {sorted(unknown)[:5]}")
        acked = Counter(self.acked_versions)
        for (job, version), times in acked.items():
            if times > 1:
                self.violate(f"{job} v{version} acknowledged {times} times")
            if version > versions.get(job, 0):
                self.violate(f"{job} acknowledged v{version} but is at v{versions.get(job)}")
        history: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for row in events:
            history[row["entity_id"]].append((row["event_type"], row["version"]))
        for job, final in versions.items():
            expected = [("SERVICE_JOB_CREATED", 1)]
            expected += [("SERVICE_JOB_CHANGED", v) for v in range(2, final + 1)]
            if history.get(job) != expected:
                self.violate(f"{job}: events {history.get(job)} for final version {final}")
        for index, jobs in enumerate(watched):
            for job in jobs:
                if self.known[index][job] != versions[job]:
                    self.violate(
                        f"subscriber {index} knows {job} at v{self.known[index][job]}, "
                        f"it is at v{versions[job]}"
                    )
        self.result.checked = {
            "acknowledged_creates": len(self.acked_creates),
            "unacknowledged_creates": len(self.unacked_creates),
            "acknowledged_changes": len(self.acked_versions),
            "jobs": len(versions),
            "events": len(events),
            "subscribed_jobs": sum(len(jobs) for jobs in watched),
        }


def report(result: Result, out: Any = None) -> None:
    out = out or sys.stdout
    summary = result.summary()
    print("soak: requests through the balancer, by phase", file=out)
    print(
        f"{'phase':8} {'requests':>8} {'served':>7} {'conflicts':>9} {'p50 ms':>7} "
        f"{'p99 ms':>7}  errors",
        file=out,
    )
    for phase, figures in summary["phases"].items():
        errors = ", ".join(f"{k}: {v}" for k, v in figures["errors"].items()) or "none"
        print(
            f"{phase:8} {figures['requests']:>8} {figures['served']:>7} "
            f"{figures['conflicts']:>9} {figures['p50_ms']:>7} {figures['p99_ms']:>7}  {errors}",
            file=out,
        )
    print(
        "faults: " + "; ".join(f"{e['at_s']} s {e['what']}" for e in summary["timeline"]), file=out
    )
    print(
        f"subscriptions: {summary['subscription_messages']} messages, "
        f"{summary['subscription_errors']} ended with an error, "
        f"{summary['subscriber_reconnects']} reconnects",
        file=out,
    )
    print("checked: " + ", ".join(f"{k} {v}" for k, v in summary["checked"].items()), file=out)
    hooks = summary["webhooks"]
    if hooks:
        print(
            f"webhooks: {hooks['events']} events, {hooks['deliveries']} deliveries received "
            f"({hooks['duplicates']} duplicates, dropped by event id), all caught up "
            f"{hooks['caught_up_after_s']} s after the load stopped",
            file=out,
        )
    if summary["violations"]:
        print(f"VIOLATIONS ({len(summary['violations'])}):", file=out)
        for violation in summary["violations"][:50]:
            print(f"  {violation}", file=out)
    else:
        print("every promise held", file=out)


async def soak(cluster: Cluster, options: Options) -> Result:
    return await Soak(cluster, options).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    defaults = Options()
    parser.add_argument(
        "--before", type=float, default=defaults.before, help="seconds of load before the faults"
    )
    parser.add_argument(
        "--after", type=float, default=defaults.after, help="seconds of load once node 1 is back"
    )
    parser.add_argument(
        "--down", type=float, default=defaults.down, help="seconds node 1 stays dead"
    )
    parser.add_argument("--writers", type=int, default=defaults.writers)
    parser.add_argument("--readers", type=int, default=defaults.readers)
    parser.add_argument("--subscribers", type=int, default=defaults.subscribers)
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="workers per node")
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="ADMIN_URL",
        help="make the cluster's database on this server",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    options = Options(
        before=args.before,
        after=args.after,
        down=args.down,
        writers=args.writers,
        readers=args.readers,
        subscribers=args.subscribers,
    )
    with (
        tempfile.TemporaryDirectory(prefix="jobtree-soak-") as directory,
        running_cluster(
            Path(directory) / "cluster",
            nodes=args.nodes,
            workers=args.workers,
            postgres_admin_url=args.postgres,
            settings=NODE_SETTINGS,
        ) as cluster,
    ):
        result = asyncio.run(soak(cluster, options))
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result.summary(), indent=2))
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())
