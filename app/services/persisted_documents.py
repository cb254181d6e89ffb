"""Persisted documents: registering them (`python -m app persist`), remembering automatic
persisted queries per tenant, and finding the text a request names by hash, through a small
cache per process in front of the database (app/domain/persisted_documents.py has the rules).

Registered documents belong to the deployment (every tenant may run them); automatic entries
belong to the tenant whose caller sent them, so one tenant can neither learn which texts
another sends nor push them out: each tenant keeps at most `per_tenant` entries, the oldest
forgotten first (a forgotten entry costs its client one more round trip, nothing else)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from app.db.edge_tables import REGISTERED_SCOPE
from app.db.engine import SessionFactory
from app.domain.persisted_documents import (
    MAX_DOCUMENT_CHARS,
    Mode,
    PersistedRequest,
    Resolution,
    document_hash,
    lookup_hash,
    resolve,
)
from app.repositories import persisted_documents as repo

#: Documents a process keeps in memory (each at most MAX_DOCUMENT_CHARS characters).
CACHED_DOCUMENTS = 256


@dataclass(frozen=True)
class Registered:
    """A document registered by `persist`: its hash, and whether it was new."""

    sha256: str
    new: bool


class PersistedDocuments:
    """The documents of one deployment, as one process sees them."""

    def __init__(self, db: SessionFactory, mode: Mode, per_tenant: int) -> None:
        self.db = db
        self.mode = mode
        self.per_tenant = per_tenant
        self.cache: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def resolve(self, tenant: str, request: PersistedRequest) -> Resolution:
        """The text a request runs (raises PersistedQueryRefused)."""
        sha256 = lookup_hash(self.mode, request)
        stored = await self.text(sha256, tenant) if sha256 is not None else None
        return resolve(self.mode, request, stored)

    async def text(self, sha256: str, tenant: str) -> str | None:
        """A registered document, or in `apq` mode one of the tenant's automatic entries."""
        scopes = [REGISTERED_SCOPE] + ([tenant] if self.mode is Mode.APQ else [])
        for scope in scopes:
            cached = self.cache.get((scope, sha256))
            if cached is not None:
                self.cache.move_to_end((scope, sha256))
                return cached
        async with self.db() as session:
            found = await repo.find(session, sha256, scopes)
        if found is None:
            return None
        scope, text = found
        self._keep(scope, sha256, text)
        return text

    async def remember(self, tenant: str, sha256: str, text: str) -> None:
        """Keep an automatic persisted query of `tenant` (after its operation passed every
        check), forgetting the tenant's oldest beyond `per_tenant`."""
        if len(text) > MAX_DOCUMENT_CHARS or document_hash(text) != sha256:
            raise ValueError("not a document that may be persisted")
        async with self.db() as session:
            inserted = await repo.insert_if_absent(session, tenant, sha256, text)
            if inserted and await repo.count(session, tenant) > self.per_tenant:
                await repo.keep_newest(session, tenant, self.per_tenant)
            await session.commit()
        self._keep(tenant, sha256, text)

    def _keep(self, scope: str, sha256: str, text: str) -> None:
        self.cache[(scope, sha256)] = text
        self.cache.move_to_end((scope, sha256))
        if len(self.cache) > CACHED_DOCUMENTS:
            self.cache.popitem(last=False)


async def register(db: SessionFactory, texts: Iterable[str]) -> list[Registered]:
    """Register documents for every tenant, in one transaction; a document already
    registered is left as it is."""
    registered = []
    async with db() as session:
        for text in texts:
            if len(text) > MAX_DOCUMENT_CHARS:
                raise ValueError(f"a document has more than {MAX_DOCUMENT_CHARS:,} characters")
            sha256 = document_hash(text)
            new = await repo.insert_if_absent(session, REGISTERED_SCOPE, sha256, text)
            registered.append(Registered(sha256, new))
        await session.commit()
    return registered
