"""Tables of the HTTP edge rather than of the domain: persisted GraphQL documents and the
fair use budgets of callers. Registered on the metadata by app/db/tables.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, Float, Index, String, Text
from sqlmodel import Field, SQLModel

from app.db.types import UTCDateTime, utcnow

#: The `scope` of a document registered with `python -m app persist`: every tenant may run it.
REGISTERED_SCOPE = ""


class PersistedDocument(SQLModel, table=True):
    """A GraphQL document by the SHA-256 of its text: registered (scope ''), or an automatic
    persisted query of one tenant (scope = the tenant), at most PERSISTED_QUERIES_PER_TENANT
    of those per tenant, the oldest forgotten first."""

    __tablename__ = "persisted_document"
    __table_args__ = (Index("ix_persisted_document_scope_created", "scope", "created"),)

    scope: str = Field(sa_column=Column(String(64), primary_key=True))
    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    text: str = Field(sa_column=Column(Text, nullable=False))
    created: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FairUseBucket(SQLModel, table=True):
    """A caller's fair use state on PostgreSQL (app/domain/fair_use.py): its theoretical
    arrival time in seconds since the epoch, and whether its last request was allowed. One
    row per caller, changed by one statement per request; SQLite keeps this in memory."""

    __tablename__ = "fair_use_bucket"
    __table_args__ = (Index("ix_fair_use_bucket_tat", "tat"),)

    caller: str = Field(sa_column=Column(String(400), primary_key=True))
    tat: float = Field(sa_column=Column(Float(precision=53), nullable=False))
    allowed: bool = Field(sa_column=Column(Boolean, nullable=False))
