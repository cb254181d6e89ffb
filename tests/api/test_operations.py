"""Operating the real server: Prometheus metrics summed over workers, JSON log lines without
secrets, and a graceful shutdown (in-flight requests finish, subscriptions are closed)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from app.auth import issue_token
from app.settings import Settings
from tests.conftest import TEST_SECRET
from tests.support.server import Server, running_server
from tests.support.ws import graphql_ws

ROOT = Path(__file__).resolve().parents[2]
BIG_TREE = "898feb71-1859-5004-8744-d5f03d6bac65"


@pytest.fixture
def server(db_kind: str, settings: Settings, tmp_path: Path) -> Iterator[Server]:
    workers = 2 if db_kind == "postgres" else 1
    env = {"JWT_SECRET": TEST_SECRET, "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    with running_server(settings.database_url, env, workers=workers, log_dir=tmp_path) as s:
        yield s


def metric(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    match = re.search("^" + pattern + "$", text, re.MULTILINE)
    assert match, f"{name} {labels} not in the metrics"
    return float(match[1])


async def test_metrics_count_requests_over_every_worker(server: Server, settings: Settings) -> None:
    token = issue_token(settings, tenant="acme")
    query = {"query": "query CountServices { customServices { totalCount } }"}
    for _ in range(12):
        # A new connection each time, so both workers answer some (on PostgreSQL).
        async with httpx.AsyncClient(base_url=server.url) as http:
            response = await http.post(
                "/graphql", json=query, headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200
    async with httpx.AsyncClient(base_url=server.url) as http:
        await http.post("/graphql", json=query)  # no token
        text = (await http.get("/metrics")).text
    assert (
        metric(text, "jobtree_graphql_operations_total", operation="CountServices", outcome="ok")
        == 12
    )
    # A caller without a token is refused before its body is read: no operation name.
    assert (
        metric(
            text,
            "jobtree_graphql_operations_total",
            operation="anonymous",
            outcome="UNAUTHENTICATED",
        )
        == 1
    )
    assert metric(text, "jobtree_sql_statements_per_request_count") == 13
    assert metric(text, "jobtree_http_request_duration_seconds_count", route="/graphql") == 13
    assert metric(text, "jobtree_db_connections_in_use") == 0
    assert metric(text, "jobtree_db_connections_open") >= 1


async def test_log_lines_are_json_with_request_id_operation_and_tenant_and_no_secrets(
    server: Server, settings: Settings
) -> None:
    token = issue_token(settings, tenant="acme")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(
            "/graphql",
            json={"query": "query Who { customServices { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "trace-12345678"},
        )
        assert response.headers["x-request-id"] == "trace-12345678"
        await http.put("/uploads/secret-upload-token-abc", content=b"x")
    await asyncio.sleep(0.3)
    lines = [
        json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")
    ]
    access = [line for line in lines if line["logger"] == "app.access"]
    mine = [line for line in access if line["request_id"] == "trace-12345678"]
    assert len(mine) == 1
    assert mine[0] | {"duration_ms": 0, "time": ""} == {
        "time": "",
        "level": "INFO",
        "logger": "app.access",
        "message": "request",
        "request_id": "trace-12345678",
        "method": "POST",
        "route": "/graphql",
        "status": 200,
        "duration_ms": 0,
        "operation": "Who",
        "outcome": "ok",
        "tenant": "acme",
        "sql_statements": mine[0]["sql_statements"],
    }
    assert any(line["route"] == "/uploads/{token}" for line in access)
    text = server.log.read_text()
    assert token not in text
    assert "secret-upload-token-abc" not in text
    assert TEST_SECRET not in text


async def test_sigterm_lets_in_flight_requests_finish_and_closes_subscriptions(
    server: Server, settings: Settings, tmp_path: Path
) -> None:
    token = issue_token(settings, tenant="acme")
    job = await _a_job(server, token)
    await _seed_big_tree(settings, tmp_path)
    headers = {"Authorization": f"Bearer {token}"}
    query = {"query": _NESTED_TREE, "variables": {"id": BIG_TREE}}

    async with graphql_ws(server.ws_url, token) as ws:
        await ws.subscribe(
            "subscription($id: ID!) { serviceJobChanged(id: $id) { id } }", {"id": job["id"]}
        )
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            in_flight = [
                asyncio.create_task(http.post("/graphql", json=query, headers=headers))
                for _ in range(30)
            ]
            # Signal once the first answer is back: by then the server has read every request
            # (it reads while the first one waits on its database), however slow the machine;
            # a fixed sleep could signal before a busy server had read them all.
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            pending = sum(not task.done() for task in in_flight)
            server.process.send_signal(signal.SIGTERM)
            responses = await asyncio.gather(*in_flight)
        assert pending > 0, "every request had finished before the signal"
        assert [r.status_code for r in responses] == [200] * 30
        trees = [r.json()["data"]["linkedServiceJobs"] for r in responses]
        assert all(len(tree["serviceJobLinks"]) == 1 for tree in trees)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive(10)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code in {1000, 1001, 1012}
    # uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
    assert await asyncio.to_thread(server.process.wait, 30) in {0, -signal.SIGTERM}
    log = server.log.read_text()
    assert "Application shutdown complete" in log
    assert '"level": "ERROR"' not in log


_NESTED_TREE = """query($id: ID!) { linkedServiceJobs(id: $id) { id status
  serviceJobLinks { id serviceJob { id status lineItems { quantity } } } } }"""


async def _seed_big_tree(settings: Settings, tmp_path: Path) -> None:
    """The benchmark's 1,000-job tree, loaded with the CLI while the server runs."""
    trees = json.loads((ROOT / "bench" / "trees.json").read_bytes())["trees"]
    document = tmp_path / "big.json"
    document.write_text(json.dumps({"trees": [t for t in trees if t["id"] == BIG_TREE]}))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "seed",
        str(document),
        "--tenant",
        "acme",
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": settings.database_url, "JWT_SECRET": TEST_SECRET},
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await process.wait() == 0


async def _a_job(server: Server, token: str) -> dict[str, str]:
    """A job of the sample tenant's... made here for acme, through the server."""
    from tests.support.jobs import CONNECT, CREATE_JOB, CREATE_SERVICE, TARGET

    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

        async def call(query: str, variables: dict[str, object]) -> dict[str, object]:
            response = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            data: dict[str, object] = response.json()["data"]
            return data

        made = await call(
            CREATE_SERVICE,
            {"input": {"nameLocalized": {"en_US": "Step"}, "tenantCustomServiceId": "step"}},
        )
        service_id = made["createCustomService"]["customService"]["id"]  # type: ignore[index]
        await call(CONNECT, {"input": {"facilityId": "fac-1", "customServiceId": service_id}})
        created = await call(
            CREATE_JOB,
            {
                "input": {
                    "customServiceRef": service_id,
                    "facilityRef": "fac-1",
                    "targetTime": TARGET,
                }
            },
        )
        return created["createServiceJob"]["serviceJob"]  # type: ignore[index,no-any-return]
