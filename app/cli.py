"""Command line: serve, migrate, seed, token, export-schema (`python -m app --help`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
from pydantic import ValidationError

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FIXTURE = ROOT / "fixtures" / "sample.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, load sample data if empty, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    commands.add_parser("migrate", help="apply the Alembic migrations to DATABASE_URL")

    seed = commands.add_parser("seed", help="load a JSON document of sample data")
    seed.add_argument("file", type=Path)
    seed.add_argument("--tenant", default=None, help="tenant to load into (default: demo)")

    token = commands.add_parser("token", help="print a signed JWT for a caller")
    token.add_argument("--tenant", required=True)
    token.add_argument("--facility", action="append", default=None, dest="facilities")
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--subject", default=None)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL")
    export.add_argument("--output", type=Path, default=ROOT / "schema.graphql")
    return parser


async def _migrate(settings: Settings, *, sample: bytes | None = None) -> str | None:
    """Migrate over a direct connection (DATABASE_MIGRATE_URL), one process at a time; with
    `sample`, also load it when the database is empty, under the same lock."""
    from app.db.engine import create_engine, create_session_factory
    from app.db.migrate import startup_lock, upgrade
    from app.services.seeding import is_empty, seed

    engine = create_engine(settings.migrate_url)
    try:
        async with startup_lock(engine):
            await upgrade(engine)
            if sample is None:
                return None
            db = create_session_factory(engine)
            if not await is_empty(db):
                return "database not empty: sample data not loaded"
            counts = await seed(db, settings.sample_tenant, orjson.loads(sample))
            return "loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
    finally:
        await engine.dispose()


async def _seed(settings: Settings, document: bytes, tenant: str) -> str:
    from app.db.engine import create_engine, create_session_factory
    from app.services.seeding import seed

    engine = create_engine(settings.database_url, pooler=settings.database_pooler)
    try:
        counts = await seed(create_session_factory(engine), tenant, orjson.loads(document))
        return "loaded " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
    finally:
        await engine.dispose()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn

    if settings.is_development and not _is_loopback(host):
        print(
            f"refusing to bind {host}: development mode pre-authorises GraphiQL and only "
            "binds to loopback; set APP_ENV=production to serve other hosts",
            file=sys.stderr,
        )
        return 2
    if workers > 1 and not settings.database_url.startswith("postgresql"):
        print(
            "refusing --workers > 1 on SQLite: one process owns the file and delivers its "
            "subscriptions; use PostgreSQL (DATABASE_URL=postgresql+asyncpg://...) for workers",
            file=sys.stderr,
        )
        return 2
    print(asyncio.run(_migrate(settings, sample=SAMPLE_FIXTURE.read_bytes())))
    print(f"GraphQL at http://{host}:{port}/graphql ({settings.app_env})")
    with _metrics_directory(workers):
        uvicorn.run(
            "app.http.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            # Logging is the app's (app/logs.py): JSON lines, our access log instead of uvicorn's.
            log_config=None,
            proxy_headers=False,
            # SIGTERM: stop accepting, let in-flight requests finish (this long at most), close
            # WebSockets with 1012 (service restart, clients reconnect), then shut down.
            timeout_graceful_shutdown=settings.shutdown_grace_seconds,
            # A WebSocket message is a GraphQL request too: the same size limit.
            ws_max_size=settings.max_request_bytes,
            # Request heads of at most MAX_HEADER_BYTES (app/http/bounded_head.py).
            http="app.http.bounded_head:BoundedHeadProtocol",
        )
    return 0


@contextlib.contextmanager
def _metrics_directory(workers: int) -> Iterator[None]:
    """Several workers share their metrics through files (prometheus_client's multiprocess
    mode): a fresh directory for this run unless PROMETHEUS_MULTIPROC_DIR names one."""
    if workers <= 1:
        yield
        return
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    directory = Path(given) if given else Path(tempfile.mkdtemp(prefix="jobtree-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield
    finally:
        if not given:
            shutil.rmtree(directory, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        # A misconfiguration stops every command, the server before it binds: say what to fix.
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"invalid settings: {problems}", file=sys.stderr)
        return 2
    if args.command == "serve":
        from app.tracing import TracingConfigError, exporters_from

        try:
            exporters_from(os.environ)
        except TracingConfigError as exc:
            print(f"invalid settings: {exc}", file=sys.stderr)
            return 2
        return _serve(settings, args.host, args.port, args.workers)
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("migrated")
    elif args.command == "seed":
        tenant = args.tenant or settings.sample_tenant
        print(asyncio.run(_seed(settings, args.file.read_bytes(), tenant)))
    elif args.command == "token":
        from app.auth import issue_token
        from app.jwt_keys import is_symmetric

        if not is_symmetric(settings.jwt_algorithm):
            print(
                f"token: with JWT_ALGORITHM={settings.jwt_algorithm} this gateway only verifies "
                "tokens (it holds the public key); sign them where the private key is",
                file=sys.stderr,
            )
            return 2
        print(
            issue_token(
                settings,
                tenant=args.tenant,
                facilities=args.facilities,
                subject=args.subject,
                ttl_seconds=args.ttl,
            )
        )
    elif args.command == "export-schema":
        from app.graphql.schema import sdl

        args.output.write_text(sdl(), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0
