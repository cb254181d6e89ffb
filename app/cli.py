"""Command line: serve, migrate, seed, reset, token, persist, export-schema
(`python -m app --help`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import ipaddress
import os
import shutil
import socket
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
    serve.add_argument(
        "--reload",
        action="store_true",
        help="development: restart when a file under app/ changes (uvicorn's reload)",
    )
    serve.add_argument(
        "--reset",
        action="store_true",
        help="development: empty the database first (as `reset --yes`), then load the sample data",
    )

    commands.add_parser("migrate", help="apply the Alembic migrations to DATABASE_URL")

    reset = commands.add_parser(
        "reset",
        help="delete every table and row of DATABASE_URL, migrate, load the sample data",
    )
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    reset.add_argument(
        "--force", action="store_true", help="allow it with APP_ENV=production as well"
    )

    seed = commands.add_parser("seed", help="load a JSON document of sample data")
    seed.add_argument("file", type=Path)
    seed.add_argument("--tenant", default=None, help="tenant to load into (default: demo)")

    token = commands.add_parser("token", help="print a signed JWT for a caller")
    token.add_argument("--tenant", required=True)
    token.add_argument("--facility", action="append", default=None, dest="facilities")
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.add_argument("--subject", default=None)

    persist = commands.add_parser(
        "persist",
        help="register GraphQL documents for every tenant (migrates first); prints their ids",
    )
    persist.add_argument("files", type=Path, nargs="+", metavar="FILE.graphql")

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


async def persist_documents(settings: Settings, files: Sequence[Path]) -> int:
    """Checks every file against the schema and its limits, then registers them all (or, if
    any is refused, none) and prints `sha256:<hex>  FILE` for each."""
    from app.db.engine import create_engine, create_session_factory
    from app.domain.persisted_documents import document_id
    from app.graphql.pipeline.persisted import document_problems
    from app.graphql.schema import build_schema
    from app.services.persisted_documents import register

    schema = build_schema(settings)._schema
    texts, refused = [], False
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{path}: cannot be read ({exc})", file=sys.stderr)
            refused = True
            continue
        problems = document_problems(schema, text, settings)
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        refused = refused or bool(problems)
        texts.append(text)
    if refused:
        print("nothing registered", file=sys.stderr)
        return 1
    await _migrate(settings)
    engine = create_engine(settings.database_url)
    try:
        registered = await register(create_session_factory(engine), texts)
    finally:
        await engine.dispose()
    for path, document in zip(files, registered, strict=True):
        state = "registered" if document.new else "already registered"
        print(f"{document_id(document.sha256)}  {path}  ({state})")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _port_in_use(host: str, port: int) -> str | None:
    """A one-line explanation when host:port cannot be bound (checked before migrating, so
    the answer comes at once), else None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: a port whose old connections are in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is already in use (another server?): "
                    f"pick another one with --port, e.g. scripts/serve --port {port + 1}"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def _reset(settings: Settings, *, yes: bool, force: bool, load_sample: bool = True) -> int:
    """Tell what goes, ask (unless `yes`), drop every table; then migrate and load the sample
    data (`serve --reset` leaves those two steps to the serve that follows)."""
    from app.db.engine import create_engine
    from app.db.reset import Contents, contents, drop_everything

    if not settings.is_development and not force:
        print(
            "refusing to reset with APP_ENV=production: it deletes every tenant's data; "
            "add --force if that is what you want",
            file=sys.stderr,
        )
        return 2

    async def run(confirmed: bool) -> Contents:
        # DDL over the direct connection, as migrations (DATABASE_MIGRATE_URL).
        engine = create_engine(settings.migrate_url)
        try:
            found = await contents(engine)
            if confirmed:
                await drop_everything(engine)
            return found
        finally:
            await engine.dispose()

    found = asyncio.run(run(confirmed=False))
    print(
        f"reset: deletes every table and row, of every tenant, in {found.url} "
        f"({found.summary()}), then migrates and loads the sample data "
        f"({SAMPLE_FIXTURE.relative_to(ROOT)}) for tenant {settings.sample_tenant}"
    )
    anything = bool(found.rows)
    if anything and not yes:
        if not sys.stdin.isatty():
            print("reset: not confirmed (add --yes)", file=sys.stderr)
            return 2
        if input("Type yes to go on: ").strip().lower() != "yes":
            print("reset: nothing deleted", file=sys.stderr)
            return 1
    asyncio.run(run(confirmed=True))
    if not load_sample:
        print("reset: every table dropped")
        return 0
    asyncio.run(_migrate(settings))
    loaded = asyncio.run(_seed(settings, SAMPLE_FIXTURE.read_bytes(), settings.sample_tenant))
    print(f"reset: done; {loaded}")
    return 0


def _serve(
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    *,
    reload: bool = False,
    reset: bool = False,
) -> int:
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
    if reload and (workers > 1 or not settings.is_development):
        print(
            "refusing --reload: it is for development (APP_ENV=development, one worker)",
            file=sys.stderr,
        )
        return 2
    busy = _port_in_use(host, port)
    if busy is not None:
        print(busy, file=sys.stderr)
        return 1
    if reset:
        status = _reset(settings, yes=True, force=False, load_sample=False)
        if status != 0:
            return status
    print(asyncio.run(_migrate(settings, sample=SAMPLE_FIXTURE.read_bytes())))
    print(f"GraphQL at http://{host}:{port}/graphql ({settings.app_env})")
    with _metrics_directory(workers):
        uvicorn.run(
            "app.http.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            reload_dirs=[str(ROOT / "app")] if reload else None,
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
        return _serve(
            settings, args.host, args.port, args.workers, reload=args.reload, reset=args.reset
        )
    if args.command == "reset":
        return _reset(settings, yes=args.yes, force=args.force)
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
    elif args.command == "persist":
        return asyncio.run(persist_documents(settings, args.files))
    elif args.command == "export-schema":
        from app.graphql.schema import sdl

        args.output.write_text(sdl(), encoding="utf-8")
        print(f"wrote {args.output}")
    return 0
