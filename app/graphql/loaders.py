"""Per-request DataLoaders: each batch is one `IN (...)` query in its own short session, so
concurrently resolved fields never share an AsyncSession."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from opentelemetry.trace import Tracer
from sqlalchemy import Row
from strawberry.dataloader import DataLoader

from app.db import tables
from app.db.engine import SessionFactory
from app.db.row_reads import ReadConnection, RowAllowance, TooManyRows
from app.domain.access import Viewer
from app.graphql.response_budget import RowsTooMany
from app.repositories.appointment_reads import appointment_rows, document_rows
from app.repositories.appointments import AppointmentRepository
from app.repositories.custom_services import CustomServiceRepository
from app.repositories.service_data_reads import item_rows, service_data_rows, usage_rows
from app.repositories.service_jobs import ServiceJobRepository
from app.repositories.tree_reads import TreeColumns, TreeSnapshot, load_tree, load_trees
from app.tracing.graphql import traced_batch

#: Keeps `IN (...)` lists well under asyncpg's bind-parameter cap.
MAX_BATCH = 1000


class Loaders:
    """Built for one request and one caller; never shared. Jobs and trees outside the
    caller's facilities load as None, exactly like missing ones."""

    def __init__(
        self,
        db: SessionFactory,
        viewer: Viewer,
        tree_columns: TreeColumns | None = None,
        tracer: Tracer | None = None,
        *,
        read_connection: Callable[[], AbstractAsyncContextManager[ReadConnection]],
        service_data_rows: int,
    ) -> None:
        self._db = db
        #: Connections for row reads (trees): the request's (Context.read_connection).
        self._read_connection = read_connection
        self._tracer = tracer
        self._viewer = viewer
        self._tree_columns = tree_columns
        self._tenant = viewer.tenant
        self.custom_service_by_id = DataLoader(self._custom_services, max_batch_size=MAX_BATCH)
        self.additional_information_by_service_id = DataLoader(
            self._additional_information, max_batch_size=MAX_BATCH
        )
        self.required_service_ids_by_service_id = DataLoader(
            self._required_ids, max_batch_size=MAX_BATCH
        )
        self.service_job_by_id = DataLoader(self._service_jobs, max_batch_size=MAX_BATCH)
        self.line_items_by_job_id = DataLoader(self._line_items, max_batch_size=MAX_BATCH)
        #: GraphQL line items of loaded jobs, by job id (see ServiceJob.line_items).
        self.built_line_items: dict[str, list[Any]] = {}
        self.tree_by_id = DataLoader(self._trees, max_batch_size=MAX_BATCH)
        #: GraphQL views of loaded trees, by id() of their snapshot (see service_jobs.types).
        self.tree_views: dict[int, Any] = {}
        #: Service data rows by tree id; their items by service data id; the items' usages
        #: by item id (one statement per batch, whatever its size: the ids are one list
        #: parameter). Items and usages are read within `service_data_allowance`.
        self.service_data_by_tree_id = DataLoader(self._service_data, max_batch_size=MAX_BATCH)
        self.service_data_items_by_id = DataLoader(self._service_data_items)
        self.usages_by_item_id = DataLoader(self._usages)
        self.service_data_allowance = RowAllowance(service_data_rows)
        #: GraphQL service data objects by tree id, built once per request (the compiled
        #: path's, see service_jobs.service_data.ServiceDataOf).
        self.service_data_objects: dict[str, Any] = {}
        self.appointments_by_job_id = DataLoader(self._appointments, max_batch_size=MAX_BATCH)
        self.documents_by_appointment_id = DataLoader(self._documents, max_batch_size=MAX_BATCH)
        #: Driver rows of the same, for the compiled path's relations (app/graphql/
        #: appointments/types.py): one statement per batch on a read connection, and each
        #: id read once per request however many objects and levels ask for it.
        self.appointment_rows_by_job_id = DataLoader(
            self._appointment_rows, max_batch_size=MAX_BATCH
        )
        self.document_rows_by_appointment_id = DataLoader(
            self._document_rows, max_batch_size=MAX_BATCH
        )
        if tracer is not None:
            for name, loader in vars(self).items():
                if isinstance(loader, DataLoader):
                    loader.load_fn = traced_batch(tracer, name, loader.load_fn)

    async def _custom_services(self, ids: Sequence[str]) -> list[tables.CustomService | None]:
        async with self._db() as session:
            found = await CustomServiceRepository(session, self._tenant).get_many(ids)
        return [found.get(i) for i in ids]

    async def _additional_information(
        self, ids: Sequence[str]
    ) -> list[list[tables.CustomServiceAdditionalInformation]]:
        async with self._db() as session:
            grouped = await CustomServiceRepository(session, self._tenant).additional_information(
                ids
            )
        return [grouped[i] for i in ids]

    async def _required_ids(self, ids: Sequence[str]) -> list[list[str]]:
        async with self._db() as session:
            grouped = await CustomServiceRepository(session, self._tenant).requirements(ids)
        return [grouped[i] for i in ids]

    async def _service_jobs(self, ids: Sequence[str]) -> list[tables.ServiceJob | None]:
        async with self._db() as session:
            found = await ServiceJobRepository(session, self._tenant).get_many(ids)
        return [
            job if (job := found.get(i)) and self._viewer.sees_facility(job.facility_ref) else None
            for i in ids
        ]

    async def _line_items(self, ids: Sequence[str]) -> list[list[Row[Any]]]:
        async with self._db() as session:
            grouped = await ServiceJobRepository(session, self._tenant).line_items_by_job(ids)
        return [grouped[i] for i in ids]

    async def _trees(self, ids: Sequence[str]) -> list[TreeSnapshot | None]:
        """Whole trees in three statements, whether one is asked for or many (a page of
        jobs' trees, a search's, an order's)."""
        found: dict[str, TreeSnapshot | None]
        async with self._read_connection() as connection:
            if len(ids) > 1:
                found = dict(await load_trees(connection, self._tenant, ids, self._tree_columns))
            elif self._tracer is None:
                found = {
                    ids[0]: await load_tree(connection, self._tenant, ids[0], self._tree_columns)
                }
            else:
                found = {ids[0]: await self._traced_tree_read(connection, ids[0], self._tracer)}
        snapshots: list[TreeSnapshot | None] = []
        for ident in ids:
            snapshot = found.get(ident)
            visible = snapshot and self._viewer.sees_facility(snapshot.tree.facility_ref)
            snapshots.append(snapshot if visible else None)
        return snapshots

    async def _traced_tree_read(
        self, connection: ReadConnection, ident: str, tracer: Tracer
    ) -> TreeSnapshot | None:
        """A tree read in a span of its own, with what it found."""
        with tracer.start_as_current_span(
            "tree read", attributes={"jobtree.tree.id": ident}
        ) as span:
            snapshot = await load_tree(connection, self._tenant, ident, self._tree_columns)
            if snapshot is not None:
                items = snapshot.items_by_job
                span.set_attribute("jobtree.tree.jobs", len(snapshot.jobs))
                if items is not None:
                    span.set_attribute("jobtree.tree.line_items", sum(map(len, items.values())))
            return snapshot

    async def _service_data(self, tree_ids: Sequence[str]) -> list[Any | None]:
        """Only for trees the caller may see (callers pass ids of visible jobs and trees):
        one statement for them all."""
        async with self._read_connection() as connection:
            found = await service_data_rows(connection, self._tenant, tree_ids)
        return [found.get(tree_id) for tree_id in tree_ids]

    async def _service_data_items(self, data_ids: Sequence[str]) -> list[list[Any]]:
        return await self._service_data_part(item_rows, data_ids)

    async def _usages(self, item_ids: Sequence[str]) -> list[list[Any]]:
        return await self._service_data_part(usage_rows, item_ids)

    async def _service_data_part(
        self, read: Callable[..., Awaitable[dict[str, list[Any]]]], ids: Sequence[str]
    ) -> list[list[Any]]:
        """Items or usages of service data, by these ids, within the request's allowance."""
        try:
            async with self._read_connection() as connection:
                found = await read(connection, self._tenant, ids, self.service_data_allowance)
        except TooManyRows as passed:
            raise RowsTooMany(passed.limit) from None
        return [found[i] for i in ids]

    async def _appointments(self, job_ids: Sequence[str]) -> list[list[tables.Appointment]]:
        async with self._db() as session:
            grouped = await AppointmentRepository(session, self._tenant).of_jobs(job_ids)
        return [grouped[i] for i in job_ids]

    async def _appointment_rows(self, job_ids: Sequence[str]) -> list[list[Any]]:
        async with self._read_connection() as connection:
            found = await appointment_rows(connection, self._tenant, job_ids)
        return [found[i] for i in job_ids]

    async def _document_rows(self, appointment_ids: Sequence[str]) -> list[list[Any]]:
        async with self._read_connection() as connection:
            found = await document_rows(connection, self._tenant, appointment_ids)
        return [found[i] for i in appointment_ids]

    async def _documents(self, ids: Sequence[str]) -> list[list[tables.UploadDestination]]:
        async with self._db() as session:
            grouped = await AppointmentRepository(session, self._tenant).documents_of(ids)
        return [grouped[i] for i in ids]

    def release(self) -> None:
        """Forget everything loaded (see Context.release)."""
        self.tree_views.clear()
        for loader in vars(self).values():
            if isinstance(loader, DataLoader):
                loader.clear_all()
        # Each loader refers back to this object (its load function is a bound method) and
        # keeps its last batch; letting go of the loaders breaks that cycle.
        vars(self).clear()

    async def trees(self, ids: Sequence[str]) -> dict[str, TreeSnapshot | None]:
        """These trees by id, read at once (tree_by_id); None for one missing or out of the
        caller's scope."""
        return dict(zip(ids, await self.tree_by_id.load_many(ids), strict=True))

    def tree_read(self, ident: str) -> tuple[bool, TreeSnapshot | None]:
        """Whether this request read the tree already (tree_by_id's cache), and what it
        found: its snapshot, or None for one missing or out of the caller's scope."""
        cached = self.tree_by_id.cache_map.get(ident)
        if cached is None or not cached.done() or cached.cancelled() or cached.exception():
            return False, None
        return True, cached.result()

    async def fresh_tree(self, ident: str) -> TreeSnapshot | None:
        """The tree as it is now, past anything this request has cached (after a change)."""
        snapshot = (await self._trees([ident]))[0]
        self.tree_by_id.prime(ident, snapshot, force=True)
        return snapshot
