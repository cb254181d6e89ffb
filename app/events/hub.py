"""Brings committed changes to the subscribers of this process.

On SQLite there is one process: a unit of work hands its events to the hub once it has
committed. On PostgreSQL every worker process LISTENs on one channel and the committing
transaction NOTIFYs it (see app/events/outbox.py), so a change made through any worker reaches
the subscribers of every worker, in commit order, and only if it committed. PostgreSQL is the
broker; the hub only fans a notice out to the local subscribers of its topic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Final

from sqlalchemy.engine import URL

from app.domain.events import ChangeNotice, Topic

log = logging.getLogger(__name__)


class Resync:
    """Tells a subscriber that notices may have been missed (queue overflow, a lost LISTEN
    connection): it should read its entity again and deliver it if it changed."""


RESYNC: Final = Resync()
#: Tells a subscriber the hub is closing (graceful shutdown): the subscription ends.
CLOSED: Final = None

Message = ChangeNotice | Resync | None
START_TIMEOUT_SECONDS = 10.0


class Subscription:
    """One subscriber's queue of notices. Bounded: a subscriber that falls behind gets one
    RESYNC instead of an ever-growing backlog."""

    def __init__(self, topic: Topic, size: int) -> None:
        self.topic = topic
        self._queue: asyncio.Queue[Message] = asyncio.Queue(size)

    def put(self, message: Message) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(message if message is CLOSED else RESYNC)

    async def get(self) -> Message:
        return await self._queue.get()


class ChangeHub:
    """The subscribers of this process, by topic (tenant, entity type, id)."""

    #: Whether committed changes come back through the database (LISTEN) rather than
    #: straight from the unit of work that committed them.
    listens_to_database = False

    def __init__(self, queue_size: int = 64) -> None:
        self._queue_size = queue_size
        self._subscriptions: dict[Topic, set[Subscription]] = defaultdict(set)
        self._closed = False
        self._observers: list[Callable[[], None]] = []

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: Topic) -> AsyncIterator[Subscription]:
        subscription = Subscription(topic, self._queue_size)
        if self._closed:
            subscription.put(CLOSED)
        self._subscriptions[topic].add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._subscriptions.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscriptions[topic]

    def observe(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever committed changes arrive, whatever their topic (the webhook
        worker wakes up on it)."""
        self._observers.append(callback)

    def publish(self, notices: Iterable[ChangeNotice]) -> None:
        seen = False
        for notice in notices:
            seen = True
            for subscription in self._subscriptions.get(notice.topic, ()):
                subscription.put(notice)
        if seen:
            for callback in self._observers:
                callback()

    def committed(self, notices: Iterable[ChangeNotice]) -> None:
        """Called by a unit of work after it committed."""
        if not self.listens_to_database:
            self.publish(notices)

    def resync_all(self) -> None:
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.put(RESYNC)

    async def start(self) -> None:
        self._closed = False

    async def stop(self) -> None:
        """End every subscription of this process (graceful shutdown)."""
        self._closed = True
        for subscriptions in self._subscriptions.values():
            for subscription in subscriptions:
                subscription.put(CLOSED)


class PostgresChangeHub(ChangeHub):
    """Listens on the outbox channel over one dedicated asyncpg connection, reconnecting with
    backoff when it is lost; after a reconnect every subscriber resyncs, since notices sent
    while nobody listened are gone."""

    listens_to_database = True

    def __init__(self, url: URL, channel: str, queue_size: int = 64) -> None:
        super().__init__(queue_size)
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel = channel
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    async def start(self) -> None:
        """Start listening; waits (a few seconds at most) until the first LISTEN is in place,
        so that a process serves subscriptions only once it can deliver to them."""
        await super().start()
        self._task = asyncio.create_task(self._listen_forever(), name="change-hub-listen")
        try:
            await asyncio.wait_for(self._listening.wait(), START_TIMEOUT_SECONDS)
        except TimeoutError:
            log.warning("change hub: not listening yet; subscriptions wait for the database")

    async def stop(self) -> None:
        await super().stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _on_notify(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = ChangeNotice.decode(payload)
        except (ValueError, TypeError):
            log.warning("change hub: ignored a malformed notice %r", payload[:200])
            return
        self.publish([notice])

    async def _listen_forever(self) -> None:
        import asyncpg

        delay, connected_before = 0.2, False
        while True:
            lost = asyncio.Event()

            def on_lost(_connection: Any, lost: asyncio.Event = lost) -> None:
                lost.set()

            try:
                connection = await asyncpg.connect(self._dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("change hub: cannot listen (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            try:
                connection.add_termination_listener(on_lost)
                await connection.add_listener(self._channel, self._on_notify)
                self._listening.set()
                delay = 0.2
                if connected_before:
                    log.info("change hub: listening again; subscribers resync")
                    self.resync_all()
                connected_before = True
                await lost.wait()
                log.warning("change hub: lost the LISTEN connection; reconnecting")
            finally:
                self._listening.clear()
                if not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await asyncio.shield(connection.close(timeout=2))
                    # connection.close may itself be cancelled on shutdown; terminate then.
                    if not connection.is_closed():
                        connection.terminate()


def create_hub(url: URL, channel: str) -> ChangeHub:
    if url.get_backend_name() == "postgresql":
        return PostgresChangeHub(url, channel)
    return ChangeHub()
