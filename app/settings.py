"""Settings from the environment and `.env` (pydantic-settings validates and documents them)."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.crypto import derive_key
from app.jwt_keys import check_jwt_keys, is_symmetric

#: Used only in development when JWT_SECRET is unset; production refuses to start with it.
DEVELOPMENT_JWT_SECRET = "development-only-secret-do-not-use-in-production"
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every knob of the gateway; names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    app_env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./jobtree.db"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    #: A pooled PostgreSQL connection idle longer than this is pinged before use (0: before
    #: every use). One used within it goes straight to its statement; should it have died
    #: meanwhile, that request gets DATABASE_UNAVAILABLE, the connection is replaced and the
    #: others of the pool are pinged before their next use.
    db_ping_after_idle_seconds: float = Field(default=1.0, ge=0, le=3600)
    #: "pgbouncer": DATABASE_URL goes through PgBouncer in transaction pooling mode, so no
    #: statement is prepared under a reusable name and no session state is relied on
    #: (app/db/engine.py); LISTEN and migrations then need direct connections (below).
    database_pooler: Literal["none", "pgbouncer"] = "none"
    #: A direct connection (not through a transaction pooler) for LISTEN; default DATABASE_URL.
    database_listen_url: str | None = None
    #: A direct connection for migrations; default DATABASE_LISTEN_URL, else DATABASE_URL.
    database_migrate_url: str | None = None

    jwt_secret: SecretStr | None = None
    jwt_public_key: str | None = None
    jwt_algorithm: str = "HS256"
    jwt_audience: str | None = None
    token_default_ttl_seconds: int = Field(default=3600, ge=60)

    sample_tenant: str = "demo"
    default_locale: str = "en_US"
    tenant_default_locales: dict[str, str] = Field(default_factory=dict)

    introspection: bool | None = None
    #: Serve GraphiQL at GET /graphql: default on in development, off in production.
    graphiql: bool | None = None
    max_query_depth: int = Field(default=30, ge=2)
    max_aliases: int = Field(default=30, ge=0)
    max_tokens: int = Field(default=8000, ge=100)
    #: Largest GraphQL request body accepted (document uploads have their own exact limit).
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    #: Largest request head (request line and headers) the server reads; more is 431.
    max_header_bytes: int = Field(default=65_536, ge=4096)
    #: Deepest nesting of arrays and objects in a request's JSON (variables, extensions): an
    #: order of 25 nested services is ~53 levels deep as variables.
    max_json_depth: int = Field(default=128, ge=16, le=512)
    #: Largest response body; a larger one is refused with RESPONSE_TOO_LARGE, while it is
    #: being built (app/graphql/response_budget.py) and once encoded. The benchmark's whole
    #: 1,000-job tree is 0.7 MB.
    max_response_bytes: int = Field(default=16_777_216, ge=65_536)
    #: Largest estimated query cost (app/graphql/cost.py): the benchmark's whole 25-level tree
    #: with its jobs and line items prices at ~0.26 million.
    max_query_cost: int = Field(default=1_000_000, ge=1000)
    #: Rows of service data (items and their usages) one request may read: a tree's service
    #: data grows with the tree, which the cost estimate cannot bound, so its reads stop at
    #: this with RESPONSE_TOO_LARGE (app/db/row_reads.py, RowAllowance). The benchmark's
    #: 1,000-job tree's whole service data is ~51,000 rows.
    max_service_data_rows: int = Field(default=200_000, ge=1000)
    max_page_size: int = Field(default=100, ge=1, le=1000)
    default_page_size: int = Field(default=20, ge=1)
    max_jobs_per_tree: int = Field(default=1000, ge=1)
    #: Young-generation threshold of Python's garbage collector in the server (default 700).
    gc_gen0_threshold: int = Field(default=50_000, ge=100)
    #: The compiled read path (app/graphql/fast_path.py): root fields that declare a read, and
    #: whole trees, and the read lane (app/graphql/pipeline/lane.py); off, Strawberry's
    #: extensions run every stage and graphql-core completes everything (the differential
    #: tests compare).
    fast_tree_path: bool = True
    upload_url_ttl_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Base of the upload urls handed out (e.g. https://gateway.example.com); default: the
    #: address the request came in on.
    public_base_url: str | None = None

    log_level: str = "INFO"
    #: "json": one JSON object per line (request id, operation, tenant); "text": for people.
    #: Default: text in development, json in production.
    log_format: Literal["json", "text"] | None = None
    #: When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
    metrics_token: SecretStr | None = None
    #: Browser origins allowed to open subscriptions (besides the page's own origin).
    ws_allowed_origins: list[str] = Field(default_factory=list)
    max_subscriptions_per_connection: int = Field(default=20, ge=1, le=1000)
    #: Seconds a stopping worker waits for in-flight requests before it closes them.
    shutdown_grace_seconds: int = Field(default=20, ge=0, le=600)

    #: Webhooks (README "Webhooks"): whether this process runs the delivery loop; how often it
    #: looks for work when nothing wakes it (a committed change wakes it at once); a request's
    #: timeout; attempts before a delivery is DEAD; the back-off's first step and cap; how long
    #: a claimed delivery stays with its worker before another may take it over (longer than
    #: the timeout); deliveries claimed (and sent at once) per round.
    webhooks_enabled: bool = True
    webhook_poll_interval_seconds: float = Field(default=2.0, gt=0, le=300)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(default=10, ge=1, le=100)
    webhook_backoff_base_seconds: float = Field(default=5.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(default=3600.0, gt=0, le=86_400)
    webhook_lease_seconds: float = Field(default=60.0, gt=0, le=3600)
    webhook_batch_size: int = Field(default=20, ge=1, le=500)
    #: Days DELIVERED and DEAD deliveries stay listed in webhookDeliveries.
    webhook_retention_days: float = Field(default=7.0, gt=0, le=3650)
    #: Callbacks to private, loopback and link-local addresses (refused by default).
    webhook_allow_private: bool = False
    #: Seals the subscriptions' signing secrets; default: derived from JWT_SECRET (changing
    #: whichever is used makes the stored secrets unreadable: subscribe again).
    webhook_secret_key: SecretStr | None = None
    #: Persisted documents (app/domain/persisted_documents.py): "off", "apq" (automatic
    #: persisted queries and registered documents, besides plain texts) or "only" (registered
    #: documents alone, `python -m app persist`).
    persisted_queries: Literal["off", "apq", "only"] = "apq"
    #: Automatic persisted queries kept per tenant (the oldest are forgotten first).
    persisted_queries_per_tenant: int = Field(default=1000, ge=1, le=100_000)

    #: Fair use (app/domain/fair_use.py): a budget of query cost per caller and window.
    #: Default: on in production, off in development.
    rate_limit: bool | None = None
    #: Query cost a caller may spend per window (at once, after a rest): with the defaults a
    #: caller may run one query of the largest cost (MAX_QUERY_COST) per second on average.
    rate_limit_cost: int = Field(default=60_000_000, ge=1000)
    rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    #: Cost charged to the client address of each request refused for want of a valid token
    #: (in each process's memory: 600 such refusals per address and minute with the defaults).
    rate_limit_anonymous_cost: int = Field(default=100_000, ge=1)

    @model_validator(mode="after")
    def _keys_are_usable(self) -> Settings:
        """Keys are checked at start-up (app/jwt_keys.py): a known algorithm; HS* with a secret
        and no public key; RS*/PS*/ES*/EdDSA with a PEM public key of the matching type. In
        production JWT_SECRET is needed whatever the algorithm: it also signs upload urls."""
        secret = self.jwt_secret.get_secret_value() if self.jwt_secret is not None else None
        check_jwt_keys(
            self.jwt_algorithm,
            self.jwt_public_key,
            has_secret=bool(secret) or (secret is None and self.is_development),
        )
        weak = len(secret or "") < MIN_SECRET_LENGTH or secret == DEVELOPMENT_JWT_SECRET
        if self.app_env == "production" and weak:
            uses = "verifies tokens and signs" if is_symmetric(self.jwt_algorithm) else "signs"
            raise ValueError(
                f"APP_ENV=production needs JWT_SECRET of at least {MIN_SECRET_LENGTH} "
                f"characters (it {uses} upload urls)"
            )
        if self.webhook_lease_seconds <= self.webhook_timeout_seconds:
            raise ValueError(
                "WEBHOOK_LEASE_SECONDS must be longer than WEBHOOK_TIMEOUT_SECONDS: a delivery "
                "still in flight would be taken over by another worker"
            )
        if self.rate_limit_enabled and self.rate_limit_cost < self.max_query_cost:
            raise ValueError(
                f"RATE_LIMIT_COST ({self.rate_limit_cost:,}) must be at least MAX_QUERY_COST "
                f"({self.max_query_cost:,}): a query the limits allow must fit in the budget"
            )
        if self.rate_limit_enabled and self.rate_limit_anonymous_cost > self.rate_limit_cost:
            raise ValueError("RATE_LIMIT_ANONYMOUS_COST must be at most RATE_LIMIT_COST")
        return self

    @model_validator(mode="after")
    def _pooler_has_direct_urls(self) -> Settings:
        """Transaction pooling hands each transaction any server connection: LISTEN (which
        lives as long as its session) cannot go through it."""
        if self.database_pooler == "pgbouncer":
            if not self.database_url.startswith("postgres"):
                raise ValueError("DATABASE_POOLER=pgbouncer needs a PostgreSQL DATABASE_URL")
            if not self.database_listen_url:
                raise ValueError(
                    "DATABASE_POOLER=pgbouncer needs DATABASE_LISTEN_URL, a direct connection "
                    "to PostgreSQL for LISTEN (transaction pooling cannot keep one)"
                )
        for name in ("database_listen_url", "database_migrate_url"):
            value = getattr(self, name)
            if value and not value.startswith("postgres"):
                raise ValueError(f"{name.upper()} must be a PostgreSQL url")
        return self

    @property
    def listen_url(self) -> str:
        """Where this process LISTENs for committed changes (a direct connection)."""
        return self.database_listen_url or self.database_url

    @property
    def migrate_url(self) -> str:
        """Where migrations (and the start-up seeding) run: a direct connection."""
        return self.database_migrate_url or self.database_listen_url or self.database_url

    @property
    def rate_limit_enabled(self) -> bool:
        return not self.is_development if self.rate_limit is None else self.rate_limit

    @property
    def is_development(self) -> bool:
        return self.app_env == "development"

    @property
    def introspection_enabled(self) -> bool:
        return self.is_development if self.introspection is None else self.introspection

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_development if self.graphiql is None else self.graphiql

    @property
    def log_format_effective(self) -> Literal["json", "text"]:
        if self.log_format is not None:
            return self.log_format
        return "text" if self.is_development else "json"

    @cached_property
    def signing_key(self) -> str:
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return DEVELOPMENT_JWT_SECRET

    @cached_property
    def webhook_sealing_key(self) -> bytes:
        """The AES-256 key that seals webhook signing secrets at rest."""
        secret = self.webhook_secret_key or self.jwt_secret
        raw = secret.get_secret_value() if secret is not None else DEVELOPMENT_JWT_SECRET
        return derive_key(raw, b"jobtree webhook secrets")

    @property
    def verification_key(self) -> str:
        return self.jwt_public_key or self.signing_key
