"""Webhooks through the real app and a real receiver on loopback: subscriptions, signed
deliveries from the outbox, retries with back-off until DEAD, leases that run out, facility and
tenant scoping, refused addresses.

The delivery worker is driven round by round (`run_once`, `claim`, `record`) with a clock the
test moves, so that back-off and leases need no sleeping; one test runs the loop the app's
lifespan starts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.db import tables
from app.db.engine import create_session_factory
from app.domain.webhooks import SECRET_PREFIX
from app.http.app import create_app
from app.services.webhook_delivery import WebhookDeliverer
from app.settings import Settings
from tests.support.graphql import GraphQLClient, GraphQLError
from tests.support.jobs import action, job, service
from tests.support.webhook_receiver import Receiver, running_receiver

SUBSCRIBE = """mutation($input: CreateWebhookSubscriptionInput!) {
  createWebhookSubscription(input: $input) {
    webhookSubscription { id callbackUrl events facilityRefs active }
    secret
    userErrors { code message field } } }"""
UNSUBSCRIBE = """mutation($id: ID!) { deleteWebhookSubscription(input: {id: $id}) {
  webhookSubscription { id active } userErrors { code message field } } }"""
SUBSCRIPTIONS = """query($after: String) { webhookSubscriptions(first: 2, after: $after) {
  totalCount pageInfo { hasNextPage endCursor }
  nodes { id callbackUrl events facilityRefs active } } }"""
DELIVERIES = """query($id: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(subscriptionId: $id, first: 100, status: $status) {
    totalCount
    nodes { id subscriptionId eventId eventType status attempts lastHttpStatus lastError
            lastAttemptAt nextAttemptAt deliveredAt } } }"""
EVENTS = """query($types: [EventType!]) { events(first: 100, filter: {types: $types}) {
  nodes { id type entityId facilityRef } } }"""

JOB_EVENTS = ["SERVICE_JOB_CREATED", "SERVICE_JOB_CHANGED"]
MAX_ATTEMPTS = 3
BACKOFF = 10.0
LEASE = 30.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback receivers allowed; three attempts, 10 s back-off steps, a 30 s lease."""
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_max_attempts": MAX_ATTEMPTS,
            "webhook_backoff_base_seconds": BACKOFF,
            "webhook_lease_seconds": LEASE,
            "webhook_timeout_seconds": 5.0,
            "webhook_poll_interval_seconds": 0.05,
        }
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh_receiver(receiver: Receiver) -> None:
    receiver.clear()


class Clock:
    """Now, as far as the worker knows; the test moves it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def worker(engine: AsyncEngine, settings: Settings, clock: Clock) -> Any:
    deliverer = WebhookDeliverer(create_session_factory(engine), settings, clock=clock)
    yield deliverer
    await deliverer.stop()


async def subscribe(gql: GraphQLClient, callback_url: str, **fields: Any) -> dict[str, Any]:
    data = await gql(
        SUBSCRIBE, {"input": {"callbackUrl": callback_url, "events": JOB_EVENTS, **fields}}
    )
    payload: dict[str, Any] = data["createWebhookSubscription"]
    return payload


async def subscribed(gql: GraphQLClient, callback_url: str, **fields: Any) -> tuple[str, str]:
    """(id, secret) of a new subscription."""
    payload = await subscribe(gql, callback_url, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["webhookSubscription"]["id"], payload["secret"]


async def deliveries(gql: GraphQLClient, ident: str, status: str | None = None) -> Any:
    return (await gql(DELIVERIES, {"id": ident, "status": status}))["webhookDeliveries"]


async def drain(worker: WebhookDeliverer, rounds: int = 5) -> None:
    """Rounds until there is nothing left to do right now (bounded)."""
    for _ in range(rounds):
        if not await worker.run_once():
            return
    raise AssertionError(f"still busy after {rounds} rounds")


def parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)


async def test_a_subscriber_receives_each_event_signed_once(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver
) -> None:
    # Given a subscription to job events, and an event from before it (not delivered).
    early = await job(gql, await service(gql, "step"))
    ident, secret = await subscribed(gql, receiver.url("/ok"))
    assert secret.startswith(SECRET_PREFIX) and len(secret) > 40

    # When a job is created and started.
    created = await job(gql, await service(gql, "other"))
    assert (await action(gql, "start", created["id"], 1))["userErrors"] == []
    await drain(worker)

    # Then the receiver got each of those job events once, signed, in a body of
    # {event, eventId, payload} whose id is the X-Event-Id header and the event's id.
    # (Sent side by side: the order they arrive in is not promised.)
    got = sorted(receiver.received("/ok"), key=lambda r: int(r.event_id))
    expected = [
        e
        for e in (await gql(EVENTS, {"types": JOB_EVENTS}))["events"]["nodes"]
        if e["entityId"] == created["id"]
    ]
    assert [r.event_id for r in got] == [e["id"] for e in expected]
    assert all(r.signed_with(secret) for r in got)
    assert not any(r.signed_with(secret + "x") for r in got)
    bodies = [r.json for r in got]
    assert [b["eventId"] for b in bodies] == [e["id"] for e in expected]
    assert [b["event"] for b in bodies] == ["SERVICE_JOB_CREATED", "SERVICE_JOB_CHANGED"]
    assert bodies[1]["payload"]["status"] == "IN_PROGRESS"
    assert bodies[1]["payload"]["entityId"] == created["id"]
    assert bodies[1]["payload"]["facilityRef"] == "fac-1"
    assert bodies[1]["payload"]["version"] == 2
    assert early["id"] not in {b["payload"]["entityId"] for b in bodies}
    assert got[0].headers["content-type"] == "application/json"

    # And the deliveries show it; another round sends nothing again.
    listed = await deliveries(gql, ident)
    assert listed["totalCount"] == 2
    assert [d["eventId"] for d in listed["nodes"]] == [e["id"] for e in expected]
    for delivery in listed["nodes"]:
        assert delivery["status"] == "DELIVERED"
        assert delivery["attempts"] == 1
        assert delivery["lastHttpStatus"] == 200
        assert delivery["lastError"] is None and delivery["nextAttemptAt"] is None
        assert delivery["deliveredAt"] is not None
    assert await worker.run_once() == 0
    assert len(receiver.received()) == 2


async def test_the_secret_is_returned_once_and_kept_sealed(
    gql: GraphQLClient, receiver: Receiver, engine: AsyncEngine
) -> None:
    _, secret = await subscribed(gql, receiver.url("/ok"))
    _, other_secret = await subscribed(gql, receiver.url("/ok"))
    assert secret != other_secret

    # No read shows it: the type has no such field.
    with pytest.raises(GraphQLError, match="secret"):
        await gql("{ webhookSubscriptions { nodes { id secret } } }")
    listed = (await gql(SUBSCRIPTIONS))["webhookSubscriptions"]
    assert listed["totalCount"] == 2
    assert secret not in str(listed)

    # At rest it is sealed (AES-GCM), never in clear.
    async with engine.connect() as connection:
        rows = (
            await connection.execute(
                select(tables.WebhookSubscription.__table__.c.sealed_secret)  # type: ignore[attr-defined]
            )
        ).all()
    for (sealed,) in rows:
        assert secret.encode() not in bytes(sealed) and other_secret.encode() not in bytes(sealed)


async def test_subscriptions_page_like_every_list(gql: GraphQLClient, receiver: Receiver) -> None:
    made = [(await subscribed(gql, receiver.url(f"/ok/{i}")))[0] for i in range(3)]
    first = (await gql(SUBSCRIPTIONS))["webhookSubscriptions"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"]
    second = (await gql(SUBSCRIPTIONS, {"after": first["pageInfo"]["endCursor"]}))[
        "webhookSubscriptions"
    ]
    assert not second["pageInfo"]["hasNextPage"]
    assert [n["id"] for n in first["nodes"] + second["nodes"]] == made
    assert all(n["active"] and n["facilityRefs"] is None for n in first["nodes"])


async def test_a_failing_receiver_is_retried_with_backoff_until_dead(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver, clock: Clock
) -> None:
    ident, _ = await subscribed(gql, receiver.url("/fail"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))

    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await worker.run_once() >= 1
        (delivery,) = (await deliveries(gql, ident))["nodes"]
        assert delivery["attempts"] == attempt
        assert delivery["lastHttpStatus"] == 500
        assert delivery["lastError"] == "HTTP 500."
        if attempt < MAX_ATTEMPTS:
            # Exponential steps (10 s, 20 s, …) with jitter: between half a step and a step.
            assert delivery["status"] == "PENDING"
            step = BACKOFF * 2 ** (attempt - 1)
            wait = (
                parse(delivery["nextAttemptAt"]) - parse(delivery["lastAttemptAt"])
            ).total_seconds()
            assert step / 2 <= wait <= step
            # Not due before its time.
            clock.advance(step / 2 - 1)
            assert await worker.run_once() == 0
            clock.advance(step / 2 + 1)
    assert delivery["status"] == "DEAD"
    assert delivery["nextAttemptAt"] is None and delivery["deliveredAt"] is None
    clock.advance(10_000)
    assert await worker.run_once() == 0
    # Every attempt carried the same event id.
    assert len({r.event_id for r in receiver.received("/fail")}) == 1
    assert len(receiver.received("/fail")) == MAX_ATTEMPTS
    dead = await deliveries(gql, ident, "DEAD")
    assert dead["totalCount"] == 1
    assert (await deliveries(gql, ident, "PENDING"))["totalCount"] == 0


async def test_redirects_are_not_followed(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver
) -> None:
    ident, _ = await subscribed(gql, receiver.url("/redirect"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))
    await worker.run_once()
    (delivery,) = (await deliveries(gql, ident))["nodes"]
    assert delivery["status"] == "PENDING" and delivery["lastHttpStatus"] == 302
    assert "redirects are not followed" in delivery["lastError"]
    assert receiver.received("/ok") == []


async def test_a_claim_whose_worker_died_is_taken_over_after_its_lease(
    gql: GraphQLClient,
    engine: AsyncEngine,
    settings: Settings,
    worker: WebhookDeliverer,
    receiver: Receiver,
    clock: Clock,
) -> None:
    ident, secret = await subscribed(gql, receiver.url("/ok"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))

    # A worker claims the delivery and dies before sending it.
    await worker.fan_out()
    (claimed,) = await worker.claim()
    (delivery,) = (await deliveries(gql, ident))["nodes"]
    assert delivery["status"] == "PENDING" and delivery["attempts"] == 1
    assert parse(delivery["nextAttemptAt"]) == clock.now + timedelta(seconds=LEASE)

    # Another worker leaves it alone while the lease runs, and takes it over afterwards.
    other = WebhookDeliverer(create_session_factory(engine), settings, clock=clock)
    try:
        assert await other.run_once() == 0
        clock.advance(LEASE + 1)
        assert await other.run_once() == 1
    finally:
        await other.stop()
    (delivery,) = (await deliveries(gql, ident))["nodes"]
    assert delivery["status"] == "DELIVERED" and delivery["attempts"] == 2
    (got,) = receiver.received()
    assert got.signed_with(secret)

    # The dead worker's late report (had it failed) changes nothing.
    outcome = await worker.send(claimed)
    assert outcome.delivered
    await worker.record([claimed], [type(outcome)(500, "HTTP 500.")])
    (delivery,) = (await deliveries(gql, ident))["nodes"]
    assert delivery["status"] == "DELIVERED" and delivery["lastError"] is None
    # At least once: the receiver saw the event twice and de-duplicates it by its id.
    assert len({r.event_id for r in receiver.received()}) == 1


async def test_a_lost_last_attempt_makes_the_delivery_dead(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver, clock: Clock
) -> None:
    ident, _ = await subscribed(gql, receiver.url("/fail"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))
    for _ in range(MAX_ATTEMPTS - 1):
        await worker.run_once()
        clock.advance(BACKOFF * 4)
    # The last attempt is claimed, and its worker dies.
    assert len(await worker.claim()) == 1
    clock.advance(LEASE + 1)
    assert await worker.run_once() == 0
    (delivery,) = (await deliveries(gql, ident))["nodes"]
    assert delivery["status"] == "DEAD" and delivery["attempts"] == MAX_ATTEMPTS
    assert "did not finish" in delivery["lastError"]


async def test_deleting_a_subscription_stops_its_deliveries(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver, clock: Clock
) -> None:
    ident, _ = await subscribed(gql, receiver.url("/fail"), events=["SERVICE_JOB_CREATED"])
    kept, _ = await subscribed(gql, receiver.url("/ok"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))
    await worker.run_once()
    assert len(receiver.received("/fail")) == 1

    deleted = (await gql(UNSUBSCRIBE, {"id": ident}))["deleteWebhookSubscription"]
    assert deleted == {"webhookSubscription": {"id": ident, "active": False}, "userErrors": []}
    await job(gql, await service(gql, "again"))
    clock.advance(BACKOFF * 10)
    await drain(worker)
    assert len(receiver.received("/fail")) == 1
    assert len(receiver.received("/ok")) == 2
    assert (await deliveries(gql, ident))["totalCount"] == 0
    again = (await gql(UNSUBSCRIBE, {"id": ident}))["deleteWebhookSubscription"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_FOUND"]
    listed = (await gql(SUBSCRIPTIONS))["webhookSubscriptions"]
    assert [n["id"] for n in listed["nodes"]] == [kept]


async def test_facility_filters_and_facility_scoped_callers(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver
) -> None:
    wide, _ = await subscribed(gql, receiver.url("/ok/wide"))
    only_2, _ = await subscribed(gql, receiver.url("/ok/fac-2"), facilityRefs=["fac-2"])
    scoped = gql.as_tenant("acme", facilities=["fac-1"])
    # A facility-scoped caller's subscription covers its own facilities when it names none.
    payload = await subscribe(scoped, receiver.url("/ok/scoped"))
    assert payload["userErrors"] == []
    assert payload["webhookSubscription"]["facilityRefs"] == ["fac-1"]
    own = payload["webhookSubscription"]["id"]
    # It cannot name a facility outside its scope (as if it did not exist).
    refused = await subscribe(scoped, receiver.url("/ok/x"), facilityRefs=["fac-1", "fac-2"])
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("NOT_FOUND", "facilityRefs")
    ]

    one = await job(gql, await service(gql, "one", facility="fac-1"))
    two = await job(gql, await service(gql, "two", facility="fac-2"), facilityRef="fac-2")
    await drain(worker)

    def entities(path: str) -> set[str]:
        return {r.json["payload"]["entityId"] for r in receiver.received(path)}

    assert entities("/ok/wide") == {one["id"], two["id"]}
    assert entities("/ok/fac-2") == {two["id"]}
    assert entities("/ok/scoped") == {one["id"]}

    # It sees its own subscription only: not the tenant-wide one, nor fac-2's.
    listed = (await scoped(SUBSCRIPTIONS))["webhookSubscriptions"]
    assert [n["id"] for n in listed["nodes"]] == [own] and listed["totalCount"] == 1
    for hidden in (wide, only_2):
        assert await deliveries(scoped, hidden) == {"totalCount": 0, "nodes": []}
        gone = (await scoped(UNSUBSCRIBE, {"id": hidden}))["deleteWebhookSubscription"]
        assert [e["code"] for e in gone["userErrors"]] == ["NOT_FOUND"]
    assert (await deliveries(scoped, own))["totalCount"] == 1
    # The tenant-wide caller sees all three.
    assert (await gql(SUBSCRIPTIONS))["webhookSubscriptions"]["totalCount"] == 3


async def test_another_tenant_neither_receives_nor_sees(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver
) -> None:
    mine, _ = await subscribed(gql, receiver.url("/ok/acme"))
    other = gql.as_tenant("tenant-b")
    theirs, _ = await subscribed(other, receiver.url("/ok/b"), facilityRefs=["fac-1"])
    await job(gql, await service(gql, "step"))
    await drain(worker)
    assert len(receiver.received("/ok/acme")) == 1
    assert receiver.received("/ok/b") == []

    listed = (await other(SUBSCRIPTIONS))["webhookSubscriptions"]
    assert [n["id"] for n in listed["nodes"]] == [theirs]
    assert await deliveries(other, mine) == {"totalCount": 0, "nodes": []}
    assert await deliveries(other, theirs) == {"totalCount": 0, "nodes": []}
    gone = (await other(UNSUBSCRIBE, {"id": mine}))["deleteWebhookSubscription"]
    assert [e["code"] for e in gone["userErrors"]] == ["NOT_FOUND"]
    assert (await deliveries(gql, mine))["totalCount"] == 1


BAD_URLS = {
    "ftp://hooks.example.com/x": "must start with https:// or http://",
    "hooks.example.com/x": "must start with https:// or http://",
    "https://user:secret@hooks.example.com/x": "must not carry credentials",
    "https://hooks.example.com/x#part": "must not have a fragment",
    "https:///x": "names no host",
    "https://hooks.example.com:99999/x": "not a valid url",
    "http://127.0.0.1:8080/x": "loopback",
    "http://localhost/x": "loopback",
    "http://[::1]/x": "loopback",
    "http://[::ffff:127.0.0.1]/x": "loopback",
    "http://10.1.2.3/x": "private",
    "http://192.168.0.10/x": "private",
    "http://169.254.169.254/latest/meta-data": "link-local",
    "http://[fe80::1]/x": "link-local",
    "http://0.0.0.0/x": "not a unicast address",
    "https://hooks.example.com/" + "x" * 2048: "longer than",
}


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private": False})


@pytest.fixture
async def strict(strict_settings: Settings, engine: AsyncEngine) -> Any:
    """The app as deployed: private addresses refused."""
    app = create_app(strict_settings, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield GraphQLClient(client, strict_settings, tenant="acme")


async def test_bad_and_private_callback_urls_are_refused(strict: GraphQLClient) -> None:
    for url, reason in BAD_URLS.items():
        assert reason, url
        body = await strict.raw(SUBSCRIBE, {"input": {"callbackUrl": url, "events": JOB_EVENTS}})
        if body.get("errors"):
            # The url bound is the input text limit's (BAD_REQUEST before execution).
            assert reason == "longer than", url
            assert "a url may have at most 2,048" in body["errors"][0]["message"]
            continue
        payload = body["data"]["createWebhookSubscription"]
        assert payload["webhookSubscription"] is None and payload["secret"] is None, url
        assert [e["field"] for e in payload["userErrors"]] == ["callbackUrl"], url
        assert reason in payload["userErrors"][0]["message"], (url[:80], payload["userErrors"])
    for events in ([], ["SERVICE_JOB_CREATED", "SERVICE_JOB_CREATED"]):
        payload = (
            await strict(
                SUBSCRIBE, {"input": {"callbackUrl": "https://h.example.com/", "events": events}}
            )
        )["createWebhookSubscription"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("VALIDATION_FAILED", "events")
        ]
    assert (await strict(SUBSCRIPTIONS))["webhookSubscriptions"]["totalCount"] == 0


async def test_a_name_that_resolves_to_a_private_address_is_not_called(
    strict: GraphQLClient,
    gql: GraphQLClient,
    engine: AsyncEngine,
    strict_settings: Settings,
    receiver: Receiver,
    clock: Clock,
) -> None:
    # The name is public-looking; at delivery it resolves to the loopback receiver.
    port = receiver.base_url.rsplit(":", 1)[1]
    ident, _ = await subscribed(
        strict, f"http://hooks.example.com:{port}/ok", events=["SERVICE_JOB_CREATED"]
    )
    await job(gql, await service(gql, "step"))

    async def to_loopback(host: str, port: int) -> list[Any]:
        import ipaddress

        return [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("127.0.0.1")]

    worker = WebhookDeliverer(
        create_session_factory(engine), strict_settings, clock=clock, resolver=to_loopback
    )
    try:
        await worker.run_once()
    finally:
        await worker.stop()
    (delivery,) = (await deliveries(strict, ident))["nodes"]
    assert delivery["status"] == "PENDING" and delivery["lastHttpStatus"] is None
    assert "127.0.0.1 (loopback) are refused" in delivery["lastError"]
    assert receiver.received() == []


async def test_two_workers_never_send_one_delivery_at_once(
    gql: GraphQLClient,
    engine: AsyncEngine,
    settings: Settings,
    receiver: Receiver,
    clock: Clock,
) -> None:
    """Several processes share the queue (SKIP LOCKED on PostgreSQL; SQLite serialises)."""
    await subscribed(gql, receiver.url("/ok/a"))
    await subscribed(gql, receiver.url("/ok/b"))
    service_id = await service(gql, "step")
    for _ in range(4):
        await job(gql, service_id)
    workers = [
        WebhookDeliverer(
            create_session_factory(engine),
            settings.model_copy(update={"webhook_batch_size": 1}),
            clock=clock,
        )
        for _ in range(3)
    ]
    try:
        for _ in range(20):
            done = await asyncio.gather(*(w.run_once() for w in workers))
            if not any(done):
                break
    finally:
        for w in workers:
            await w.stop()
    created = (await gql(EVENTS, {"types": ["SERVICE_JOB_CREATED"]}))["events"]["nodes"]
    assert len(created) == 4
    for path in ("/ok/a", "/ok/b"):
        ids = [r.event_id for r in receiver.received(path)]
        assert sorted(ids) == sorted(e["id"] for e in created), path


async def test_the_app_lifespan_runs_the_delivery_loop(
    settings: Settings, engine: AsyncEngine, receiver: Receiver
) -> None:
    app: Starlette = create_app(settings, engine)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert app.state.webhooks.running
        gql = GraphQLClient(client, settings, tenant="acme")
        _, secret = await subscribed(gql, receiver.url("/ok/live"), events=["SERVICE_JOB_CREATED"])
        made = await job(gql, await service(gql, "step"))
        for _ in range(500):
            if receiver.received("/ok/live"):
                break
            await asyncio.sleep(0.02)
        (got,) = receiver.received("/ok/live")
        assert got.signed_with(secret) and got.json["payload"]["entityId"] == made["id"]


async def test_old_outcomes_are_forgotten_pending_deliveries_kept(
    gql: GraphQLClient, worker: WebhookDeliverer, receiver: Receiver, clock: Clock
) -> None:
    done, _ = await subscribed(gql, receiver.url("/ok"), events=["SERVICE_JOB_CREATED"])
    failing, _ = await subscribed(gql, receiver.url("/fail"), events=["SERVICE_JOB_CREATED"])
    await job(gql, await service(gql, "step"))
    await worker.run_once()
    assert (await deliveries(gql, done, "DELIVERED"))["totalCount"] == 1

    clock.advance(8 * 24 * 3600)  # past WEBHOOK_RETENTION_DAYS (7)
    await worker.run_once()
    assert (await deliveries(gql, done))["totalCount"] == 0
    (pending,) = (await deliveries(gql, failing))["nodes"]
    assert pending["status"] == "PENDING" and pending["attempts"] == 2


async def test_webhooks_enabled_false_leaves_the_loop_off(
    settings: Settings, engine: AsyncEngine
) -> None:
    """A node that only serves (WEBHOOKS_ENABLED=false) runs no delivery loop; another node's
    loop delivers."""
    quiet = settings.model_copy(update={"webhooks_enabled": False})
    app: Starlette = create_app(quiet, engine)
    async with app.router.lifespan_context(app):
        assert not app.state.webhooks.running
