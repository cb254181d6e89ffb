"""The typed per-request context every resolver receives."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING

from opentelemetry.trace import Tracer
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from app.db.engine import SessionFactory
from app.db.row_reads import ReadConnection, RowReads
from app.domain.access import Viewer
from app.domain.localized import locales_from_accept_language
from app.events.hub import ChangeHub
from app.graphql.loaders import Loaders
from app.repositories.tree_reads import TreeColumns
from app.settings import Settings

if TYPE_CHECKING:
    from app.graphql.fast_path import EncodedRoot


class NotAuthenticated(Exception):
    """Raised when a resolver runs without a caller; the gate normally stops this earlier."""


@dataclass
class Context:
    request: Request | WebSocket
    response: Response | WebSocket | None
    settings: Settings
    db: SessionFactory
    request_id: str
    viewer_or_none: Viewer | None
    auth_error: str | None = None
    accept_language: str | None = None
    _loaders: Loaders | None = field(default=None, repr=False)
    #: The operation's text; the tree fast path keys its compiled walks on it.
    query_text: str | None = None
    #: This process's change hub, for subscriptions.
    hub: ChangeHub | None = None
    #: The payload of a WebSocket's connection_init (strawberry sets it).
    connection_params: dict[str, object] | None = None
    #: What the operation's tree reads need (None: everything), see trees.columns.
    tree_columns: TreeColumns | None = None
    #: Sessions for reads (autocommit on PostgreSQL, see create_read_session_factory);
    #: None: `db`'s. Mutations write through `db`.
    read_db: SessionFactory | None = None
    #: Spans of DataLoader batches and tree reads, when tracing is on (app/tracing).
    tracer: Tracer | None = None
    #: The operation's estimated cost, once worked out before execution (app/graphql/cost.py).
    query_cost: int | None = None
    #: Whether the operation has been charged to its caller's fair use budget.
    charged: bool = False
    #: Connections for the read path's row reads (None: SQLAlchemy connections of `reads`).
    row_reads: RowReads | None = None
    #: Whether whoever made the context releases it once the response has been sent (the
    #: plain POST entry, app/http/graphql_view.py), instead of the schema right after the
    #: operation: freeing what a tree read loaded is then not part of the client's wait.
    released_after_response: bool = False
    #: The roots of a compiled operation with their encodings, by response key (see
    #: app/graphql/fast_path.py, EncodedRoot); None until one ran.
    encoded_roots: dict[str, EncodedRoot] | None = None

    @property
    def viewer(self) -> Viewer:
        if self.viewer_or_none is None:
            raise NotAuthenticated(self.auth_error or "Authentication required.")
        return self.viewer_or_none

    @property
    def reads(self) -> SessionFactory:
        """Sessions for reads that write nothing (query resolvers and loaders)."""
        return self.read_db or self.db

    def read_connection(
        self, any_statement: bool = False
    ) -> AbstractAsyncContextManager[ReadConnection]:
        """A connection for the read path's row reads (app/db/row_reads.py); `any_statement`
        for statements that carry their values."""
        if self.row_reads is None:
            self.row_reads = RowReads(self.reads.kw["bind"], direct=False)
        return self.row_reads.connect(any_statement)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(
                self.reads,
                self.viewer,
                self.tree_columns,
                self.tracer,
                read_connection=self.read_connection,
                service_data_rows=self.settings.max_service_data_rows,
            )
        return self._loaders

    def for_operation(self) -> Context:
        """A context of its own for one operation of a WebSocket connection: operations run
        side by side, and each one releases its loaders when it likes."""
        return replace(
            self,
            _loaders=None,
            query_text=None,
            tree_columns=None,
            query_cost=None,
            charged=False,
            encoded_roots=None,
        )

    def release(self) -> None:
        """Drop what this request loaded. graphql-core's executor sits in reference cycles
        that hold the context; without this, a whole tree would wait for a full garbage
        collection instead of being freed by reference counting when the response is out."""
        if self._loaders is not None:
            self._loaders.release()
            self._loaders = None

    @cached_property
    def preferred_locales(self) -> tuple[str, ...]:
        """Accept-Language, then the tenant's default, then the gateway's default."""
        locales = locales_from_accept_language(self.accept_language)
        tenant = self.viewer_or_none.tenant if self.viewer_or_none else None
        if tenant and tenant in self.settings.tenant_default_locales:
            locales.append(self.settings.tenant_default_locales[tenant])
        locales.append(self.settings.default_locale)
        return tuple(dict.fromkeys(locales))
