"""What tracing costs the hot path: the nested `lsj-big` query (1,000 jobs, 25 levels) run in
process through the ASGI app, on SQLite, with tracing off and with tracing on (every span
recorded by the SDK and handed to an exporter that drops it, so the export itself costs
nothing). Prints the median and spread of each.

    .venv/bin/python bench/tracing_overhead.py --runs 60
    PYTHONPATH=/path/to/an/older/checkout .venv/bin/python bench/tracing_overhead.py --modes off

The second form measures another checkout of the code (one without tracing: `--modes off`),
for a before / after comparison of the path with tracing off.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import inspect
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

# The tree benchmark's query and trees: bench/run.py, beside this script (whose directory
# comes first on sys.path, whichever checkout's app is measured; run.py imports only the
# standard library).
from run import BIG, SECRET, TENANT, TREES, nested, request  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
if not os.environ.get("PYTHONPATH"):
    # This checkout's code, not whatever the virtualenv has installed.
    sys.path.insert(0, str(HERE.parent))


def _tracing(mode: str) -> Any:
    if mode == "off":
        return None
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Dropped(SpanExporter):
        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    from app.tracing import recording_to

    return recording_to(SimpleSpanProcessor(Dropped()))


async def measure(
    mode: str,
    database: Path,
    warmups: int,
    runs: int,
    calls: list[tuple[int, int, int]] | None = None,
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each run (CPU: the whole process's, SQLite's
    thread included; steadier than wall-clock on a machine shared with other work)."""
    from app.auth import issue_token
    from app.db.engine import create_engine
    from app.http.app import create_app, tune_garbage_collector
    from app.settings import Settings

    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="production",
        database_url=f"sqlite+aiosqlite:///{database}",
        jwt_secret=SECRET,
        log_level="WARNING",
    )
    engine = create_engine(settings.database_url)
    arguments: dict[str, Any] = {}
    if "tracing" in inspect.signature(create_app).parameters:
        arguments["tracing"] = _tracing(mode)
    elif mode != "off":
        raise SystemExit("this checkout has no tracing: measure it with --modes off")
    app = create_app(settings, engine, **arguments)
    tune_garbage_collector(settings.gc_gen0_threshold)
    body = request(nested(), BIG)
    headers = {
        "authorization": f"Bearer {issue_token(settings, tenant=TENANT)}",
        "content-type": "application/json",
    }
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    timings: list[float] = []
    cpu: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for i in range(warmups + runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = await client.post("/graphql", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            cpu_elapsed = time.process_time() - cpu_started
            if response.status_code != 200 or b'"errors"' in response.content[:20]:
                raise SystemExit(f"the query failed: {response.text[:300]}")
            if i >= warmups:
                timings.append(elapsed * 1000)
                cpu.append(cpu_elapsed * 1000)
        if calls is not None:
            # Python function calls of one request: the same on a busy machine and a quiet one.
            profile = cProfile.Profile()
            profile.enable()
            await client.post("/graphql", content=body, headers=headers)
            profile.disable()
            calls.append(counted_calls(pstats.Stats(profile)))
    await engine.dispose()
    if arguments.get("tracing") is not None:
        arguments["tracing"].shutdown()
    gc.collect()
    return timings, cpu


async def prepare(directory: Path) -> Path:
    from app.db.engine import create_engine, create_session_factory
    from app.db.migrate import upgrade
    from app.services.seeding import seed

    database = directory / "bench.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    await upgrade(engine)
    document = orjson.loads(TREES.read_bytes())
    document["trees"] = [tree for tree in document["trees"] if tree["id"] == BIG]
    await seed(create_session_factory(engine), TENANT, document)
    await engine.dispose()
    return database


def counted_calls(stats: pstats.Stats) -> tuple[int, int, int]:
    """Python calls of one request: all of them (asyncio's share varies from run to run with
    the timing of SQLite's thread), those into the gateway's own code, and into OpenTelemetry
    (both deterministic)."""
    import app

    ours = str(Path(app.__file__).parent)
    total = gateway = telemetry = 0
    for (filename, _, _), (_, calls, *_) in stats.stats.items():  # type: ignore[attr-defined]
        total += calls
        if filename.startswith(ours):
            gateway += calls
        elif "/opentelemetry/" in filename:
            telemetry += calls
    return total, gateway, telemetry


def summary(timings: list[float]) -> str:
    ordered = sorted(timings)
    p10 = ordered[len(ordered) // 10]
    p90 = ordered[(len(ordered) * 9) // 10]
    return f"median {statistics.median(ordered):6.2f} ms   p10 {p10:6.2f}   p90 {p90:6.2f}"


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmups", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the modes")
    parser.add_argument("--modes", default="off,on")
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    with tempfile.TemporaryDirectory() as directory:
        database = await prepare(Path(directory))
        results: dict[str, list[float]] = {mode: [] for mode in modes}
        cpu: dict[str, list[float]] = {mode: [] for mode in modes}
        calls: dict[str, list[tuple[int, int, int]]] = {mode: [] for mode in modes}
        for _ in range(args.rounds):
            for mode in modes:
                wall, used = await measure(mode, database, args.warmups, args.runs, calls[mode])
                results[mode] += wall
                cpu[mode] += used
    import app

    print(f"nested lsj-big in process, SQLite, {args.rounds} x {args.runs} runs ({app.__file__})")
    for mode, timings in results.items():
        print(f"  tracing {mode:3}: wall {summary(timings)}")
        total, gateway, telemetry = min(calls[mode])
        print(f"  tracing {mode:3}: CPU  {summary(cpu[mode])}")
        print(
            f"  tracing {mode:3}: Python calls per request {total:,} (fewest seen), "
            f"{gateway:,} in app/, {telemetry:,} in opentelemetry"
        )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
