"""Per-request DataLoaders: each batch is one `IN (...)` query in its own short session, so
concurrently resolved fields never share an AsyncSession."""

from __future__ import annotations

from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from app.db import tables
from app.db.engine import SessionFactory
from app.repositories.custom_services import CustomServiceRepository

#: Keeps `IN (...)` lists well under asyncpg's bind-parameter cap.
MAX_BATCH = 1000


class Loaders:
    """Built for one request and one tenant; never shared."""

    def __init__(self, db: SessionFactory, tenant: str) -> None:
        self._db = db
        self._tenant = tenant
        self.custom_service_by_id = DataLoader(self._custom_services, max_batch_size=MAX_BATCH)
        self.additional_information_by_service_id = DataLoader(
            self._additional_information, max_batch_size=MAX_BATCH
        )
        self.required_service_ids_by_service_id = DataLoader(
            self._required_ids, max_batch_size=MAX_BATCH
        )

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
