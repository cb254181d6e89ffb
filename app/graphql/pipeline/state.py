"""What the stages of one schema share, built in one place: the caches of parsed documents,
validation results and document facts, the pricing and the limits, the column planner, fair use
and persisted documents; and the Strawberry extensions that run the stages, in order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLSchema
from opentelemetry.trace import Tracer
from strawberry.extensions import DisableIntrospection, SchemaExtension

from app.graphql.cost import Pricing
from app.graphql.pipeline.auth import AuthenticationGate
from app.graphql.pipeline.caches import (
    CachedParse,
    CachedValidation,
    ParsedDocuments,
    ValidationResults,
)
from app.graphql.pipeline.cost import BeforeExecution, CostCheck, QueryCosts
from app.graphql.pipeline.fair_use import FairUseCharge
from app.graphql.pipeline.persisted import RememberPersisted
from app.graphql.trees.columns import ColumnPlanner
from app.lru import MAX_CACHED_TEXT
from app.services.fair_use import Limiter
from app.services.persisted_documents import PersistedDocuments
from app.settings import Settings
from app.tracing.graphql import TracedPhases

#: Entries of each per-schema cache (each also bounded in query text: MAX_CACHED_TEXT).
CACHED_DOCUMENTS = 256

Extension = type[SchemaExtension] | Callable[[], SchemaExtension]


@dataclass
class Pipeline:
    """The per-schema state of the stages (see app/graphql/pipeline/__init__.py)."""

    settings: Settings
    parsed: ParsedDocuments
    validated: ValidationResults
    cost: CostCheck
    planner: ColumnPlanner
    limiter: Limiter | None = None
    documents: PersistedDocuments | None = None
    tracer: Tracer | None = None

    @classmethod
    def for_schema(
        cls,
        schema: GraphQLSchema,
        settings: Settings,
        tracer: Tracer | None = None,
        limiter: Limiter | None = None,
        documents: PersistedDocuments | None = None,
    ) -> Pipeline:
        pricing = Pricing(
            default_page=settings.default_page_size,
            max_page=settings.max_page_size,
            tree_size=settings.max_jobs_per_tree,
        )
        return cls(
            settings=settings,
            parsed=ParsedDocuments(CACHED_DOCUMENTS, MAX_CACHED_TEXT),
            validated=ValidationResults(CACHED_DOCUMENTS, MAX_CACHED_TEXT),
            cost=CostCheck(
                schema,
                settings.max_query_cost,
                pricing,
                QueryCosts(CACHED_DOCUMENTS, MAX_CACHED_TEXT),
            ),
            planner=ColumnPlanner(schema),
            limiter=limiter,
            documents=documents,
            tracer=tracer,
        )

    def extensions(self) -> list[Extension]:
        """The stages as Strawberry extensions, in the order they run (each extension's hooks
        run in list order; tracing's first, so its phase spans enclose the others' work)."""
        settings = self.settings
        extensions: list[Extension] = [
            AuthenticationGate,
            lambda: CachedParse(self.parsed, settings.max_tokens),
            lambda: CachedValidation(
                self.validated, settings.max_query_depth, settings.max_aliases
            ),
            lambda: BeforeExecution(self.cost, self.planner),
        ]
        if self.limiter is not None:
            limiter = self.limiter
            extensions.append(lambda: FairUseCharge(limiter))
        if self.documents is not None:
            documents = self.documents
            extensions.append(lambda: RememberPersisted(documents))
        if not settings.introspection_enabled:
            extensions.append(DisableIntrospection)
        if self.tracer is not None:
            tracer = self.tracer
            extensions.insert(0, lambda: TracedPhases(tracer))
        return extensions
