"""The webhook delivery worker: turns committed events into deliveries and sends them.

Each round, in short transactions of its own:
1. fan-out: for each active subscription whose tenant has events after its `last_event_id`
   (row-locked, others skipped), insert one delivery per matching event and move the cursor;
2. claim: lock the due pending deliveries (skipping those another worker is claiming), move
   their `next_attempt_at` a lease ahead, count the attempt and write a fresh claim token;
3. send them at once, outside any transaction: `POST callbackUrl` with the body, `X-Event-Id`
   and `X-Signature-SHA256`, to an address checked after resolution, no redirects followed,
   bounded by a timeout;
4. record each outcome: DELIVERED on 2xx; else the next attempt after an exponential back-off
   with jitter, or DEAD once the attempts are used up.

At least once: a worker that dies between 2 and 4 leaves its deliveries pending with a lease
that runs out, and then any worker takes them over (the receiver may see an event twice, and
de-duplicates by its id). On PostgreSQL several processes and nodes run this side by side: the
row locks and SKIP LOCKED keep two of them from claiming the same delivery at once, and nothing
depends on a session (PgBouncer's transaction pooling is fine). On SQLite there is one process
and one loop, so nothing runs side by side; the statements are the same, without row locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import random
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from cryptography.exceptions import InvalidTag

from app import crypto
from app.db.engine import SessionFactory
from app.db.types import utcnow
from app.domain import webhooks
from app.domain.events import EventType
from app.domain.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    AddressRefused,
    DeliveryStatus,
    IPAddress,
    RetryPolicy,
    SubscriptionScope,
)
from app.repositories.webhook_queue import Attempt, WebhookQueue, delivery_row
from app.settings import Settings

log = logging.getLogger(__name__)

#: Subscriptions fanned out per transaction, and events read per subscription per round.
FAN_OUT_SUBSCRIPTIONS = 20
FAN_OUT_EVENTS = 500
USER_AGENT = "jobtree-webhooks/1"
#: How often a process deletes old outcomes, and how many at most each time.
RETENTION_EVERY = timedelta(minutes=10)
RETENTION_BATCH = 1000

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Outcome:
    http_status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to (a literal address is itself)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The certificate store httpx uses by default (certifi), loaded once per process: loading
    it costs a few hundred milliseconds."""
    return ssl.create_default_context(cafile=certifi.where())


class WebhookDeliverer:
    """One process's delivery loop. `clock` and `rng` are there for tests."""

    def __init__(
        self,
        db: SessionFactory,
        settings: Settings,
        *,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        resolver: Callable[[str, int], Any] = resolve,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.rng = rng
        self.resolver = resolver
        self.policy = RetryPolicy(
            max_attempts=settings.webhook_max_attempts,
            base_seconds=settings.webhook_backoff_base_seconds,
            max_seconds=settings.webhook_backoff_max_seconds,
        )
        self._client: httpx.AsyncClient | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._forgotten_at: datetime | None = None
        self._stopping = False

    # The loop.

    @property
    def running(self) -> bool:
        """Whether this process's delivery loop is running."""
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        """A change was committed: look for work now rather than at the next poll."""
        self._wake.set()

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run_forever(), name="webhook-delivery")

    async def stop(self) -> None:
        """Let the round in flight finish (its sends are bounded by the timeout), so that its
        outcomes are recorded rather than left to their leases; then stop."""
        if self._task is not None:
            self._stopping = True
            self._wake.set()
            grace = self.settings.webhook_timeout_seconds + 5
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run_forever(self) -> None:
        interval = self.settings.webhook_poll_interval_seconds
        while not self._stopping:
            self._wake.clear()
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # A lost database connection, a failover: try again at the next round.
                log.exception("webhooks: a delivery round failed; retrying")
                busy = 0
            if busy:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval)

    async def run_once(self) -> int:
        """One round: fan out, claim, send, record (and now and then forget old outcomes).
        How much it did: events read for subscriptions plus attempts made (0: nothing to do
        right now)."""
        scanned = await self.fan_out()
        attempts = await self.claim()
        if attempts:
            outcomes = await asyncio.gather(*(self.send(a) for a in attempts))
            await self.record(attempts, outcomes)
        await self.forget_old()
        return scanned + len(attempts)

    # 1. Fan-out.

    async def fan_out(self) -> int:
        """Deliveries for the events after each subscription's cursor; how many events it
        read."""
        scanned = 0
        async with self.db() as session, session.begin():
            queue = WebhookQueue(session)
            for subscription in await queue.subscriptions_behind(FAN_OUT_SUBSCRIPTIONS):
                scope = SubscriptionScope(
                    events=frozenset(EventType(e) for e in subscription.events),
                    facility_refs=frozenset(subscription.facility_refs)
                    if subscription.facility_refs is not None
                    else None,
                )
                events = await queue.events_after(
                    subscription.tenant, subscription.last_event_id, FAN_OUT_EVENTS
                )
                if not events:
                    continue
                now = self.clock()
                rows = [
                    # Created a microsecond apart: a subscription's deliveries list in event order.
                    delivery_row(
                        str(uuid.uuid4()),
                        subscription,
                        event_id,
                        event_type,
                        due=now,
                        created=now + timedelta(microseconds=index),
                    )
                    for index, (event_id, event_type, facility_ref) in enumerate(events)
                    if scope.matches(event_type, facility_ref)
                ]
                await queue.add_deliveries(rows)
                await queue.advance(subscription.id, int(events[-1][0]))
                scanned += len(events)
        return scanned

    # 2. Claim.

    async def claim(self) -> list[Attempt]:
        now = self.clock()
        lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        async with self.db() as session, session.begin():
            queue = WebhookQueue(session)
            dead: list[dict[str, Any]] = []
            claimed: list[dict[str, Any]] = []
            taken_over: list[dict[str, Any]] = []
            for row in await queue.due(now, self.settings.webhook_batch_size):
                # A claim still on a due delivery: the attempt it made never reported back.
                lost = (
                    f"Attempt {row.attempts} did not finish: its worker stopped, and its lease "
                    "ran out."
                    if row.claim is not None
                    else None
                )
                if self.policy.gives_up(row.attempts):
                    dead.append(
                        {
                            "key": row.id,
                            "seen": row.attempts,
                            "status": DeliveryStatus.DEAD.value,
                            "claim": None,
                            "next_attempt_at": None,
                            "last_error": lost,
                        }
                    )
                    continue
                change = {
                    "key": row.id,
                    "seen": row.attempts,
                    "claim": str(uuid.uuid4()),
                    "attempts": row.attempts + 1,
                    "next_attempt_at": lease,
                    "last_attempt_at": now,
                }
                if lost is None:
                    claimed.append(change)
                else:
                    taken_over.append({**change, "last_error": lost})
            for changes in (dead, claimed, taken_over):
                await queue.claim_many(changes)
            return await queue.attempts([c["claim"] for c in claimed + taken_over])

    # 3. Send.

    async def send(self, attempt: Attempt) -> Outcome:
        try:
            secret = crypto.open_sealed(
                self.settings.webhook_sealing_key, attempt.sealed_secret
            ).decode()
        except InvalidTag:
            return Outcome(
                None,
                "The signing secret cannot be read (WEBHOOK_SECRET_KEY or JWT_SECRET changed "
                "since it was made): subscribe again.",
            )
        body = webhooks.delivery_body(
            event_id=attempt.event_id,
            event_type=attempt.event_type,
            entity_type=attempt.entity_type,
            entity_id=attempt.entity_id,
            facility_ref=attempt.facility_ref,
            version=attempt.version,
            occurred_at=attempt.occurred_at.isoformat(),
            payload=attempt.payload,
        )
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_ID_HEADER: str(attempt.event_id),
            SIGNATURE_HEADER: webhooks.sign(secret, body),
        }
        try:
            async with asyncio.timeout(self.settings.webhook_timeout_seconds):
                return await self._post(attempt.callback_url, body, headers)
        except TimeoutError:
            return Outcome(
                None, f"No answer within {self.settings.webhook_timeout_seconds:g} seconds."
            )
        except AddressRefused as exc:
            return Outcome(None, str(exc))
        except (OSError, httpx.HTTPError) as exc:
            return Outcome(None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except Exception as exc:
            # Whatever else a strange url or answer raises fails this delivery only, not the
            # round (whose other outcomes would be lost with it).
            log.exception("webhooks: delivery %s failed unexpectedly", attempt.id)
            return Outcome(None, f"Unexpected failure: {type(exc).__name__}.")

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        parts = urlsplit(url)
        host = parts.hostname or ""
        allow = self.settings.webhook_allow_private
        webhooks.check_host(host, allow_private=allow)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = await self.resolver(host, port)
        except OSError as exc:
            return Outcome(None, f"The callback's host {host!r} does not resolve: {exc}.")
        webhooks.check_addresses(addresses, allow_private=allow)
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        client = self._http()
        request = client.build_request(
            "POST",
            webhooks.pinned_url(parts, addresses[0]),
            content=body,
            headers={**headers, "Host": webhooks.host_header(parts)},
            extensions=extensions,
        )
        # The answer's body is never read: only its status matters.
        response = await client.send(request, stream=True)
        await response.aclose()
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(status, None)
        if 300 <= status < 400:
            return Outcome(status, f"HTTP {status}: redirects are not followed.")
        return Outcome(status, f"HTTP {status}.")

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = self.settings.webhook_timeout_seconds
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(timeout),
                verify=tls_context(),
                follow_redirects=False,
                # Proxies from the environment would reach addresses the check never saw.
                trust_env=False,
                limits=httpx.Limits(max_connections=self.settings.webhook_batch_size),
            )
        return self._client

    # 5. Forget.

    async def forget_old(self) -> None:
        """Delete DELIVERED and DEAD deliveries older than WEBHOOK_RETENTION_DAYS, a bounded
        batch at a time, at most every RETENTION_EVERY of this process's time."""
        now = self.clock()
        if self._forgotten_at is not None and now - self._forgotten_at < RETENTION_EVERY:
            return
        self._forgotten_at = now
        cutoff = now - timedelta(days=self.settings.webhook_retention_days)
        async with self.db() as session, session.begin():
            await WebhookQueue(session).forget(cutoff, RETENTION_BATCH)

    # 4. Record.

    async def record(self, attempts: list[Attempt], outcomes: list[Outcome]) -> None:
        now = self.clock()
        async with self.db() as session, session.begin():
            queue = WebhookQueue(session)
            for attempt, outcome in zip(attempts, outcomes, strict=True):
                if outcome.error is None:
                    await queue.delivered(attempt.id, now, outcome.http_status or 200)
                    continue
                next_at = None
                if self.policy.gives_up(attempt.attempts):
                    log.warning(
                        "webhooks: delivery %s of event %s is DEAD after %d attempts",
                        attempt.id,
                        attempt.event_id,
                        attempt.attempts,
                    )
                else:
                    next_at = now + timedelta(seconds=self.policy.delay(attempt.attempts, self.rng))
                await queue.failed(
                    attempt.id,
                    attempt.claim,
                    http_status=outcome.http_status,
                    error=webhooks.failure_text(outcome.error),
                    next_attempt_at=next_at,
                )
