"""The topology of `scripts/cluster` (PostgreSQL, PgBouncer in transaction pooling, gateway nodes,
HAProxy), for the tests of tests/cluster and the soak (bench/soak.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.auth import issue_token
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "cluster"
#: The tenant of the tests and the soak (the sample data is tenant demo's).
TENANT = "cluster"


def missing_tools() -> list[str]:
    """What `scripts/cluster up` would have to install (it can only as root)."""
    return [n for n in ("pgbouncer", "haproxy") if not Path(f"/usr/sbin/{n}").exists()]


@dataclass
class Cluster:
    directory: Path

    @property
    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.directory / "state.json").read_text())
        return state

    @property
    def url(self) -> str:
        """The load balancer: what clients use."""
        return f"http://127.0.0.1:{self.state['ports']['balancer']}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.state['ports']['balancer']}/graphql"

    @property
    def node_urls(self) -> list[str]:
        """Each node directly, past the balancer."""
        return [f"http://127.0.0.1:{port}" for port in self.state["ports"]["nodes"]]

    @property
    def direct_database_url(self) -> str:
        pg = self.state["postgres"]
        return f"postgresql+asyncpg://{pg['user']}@{pg['host']}:{pg['port']}/{pg['database']}"

    @property
    def settings(self) -> Settings:
        """Settings that sign tokens the nodes accept."""
        return Settings(
            _env_file=None,  # type: ignore[call-arg]
            app_env="production",
            database_url=self.direct_database_url,
            jwt_secret=self.state["jwt_secret"],
        )

    def token(self, tenant: str = TENANT, ttl_seconds: int | None = None) -> str:
        return issue_token(self.settings, tenant=tenant, ttl_seconds=ttl_seconds)

    def run(self, *args: str) -> None:
        """A `scripts/cluster` command on this cluster (kill-node 1, restart-pgbouncer …)."""
        subprocess.run(
            [str(SCRIPT), "--dir", str(self.directory), *args],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )


@contextmanager
def running_cluster(
    directory: Path,
    *,
    nodes: int = 2,
    workers: int = 1,
    postgres_admin_url: str | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[Cluster]:
    """`scripts/cluster up`, then `down` whatever happens. With `postgres_admin_url` the
    cluster makes a database of its own on that server instead of starting one; `settings`
    are the nodes' (environment variables), on top of the cluster's."""
    argv = [str(SCRIPT), "--dir", str(directory), "up", "--nodes", str(nodes)]
    argv += ["--workers", str(workers)]
    argv += [f"--set={name}={value}" for name, value in (settings or {}).items()]
    if postgres_admin_url:
        argv += ["--postgres", postgres_admin_url]
    env = {k: v for k, v in os.environ.items() if k != "CLUSTER_DIR"}
    cluster = Cluster(directory)
    try:
        subprocess.run(argv, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        yield cluster
    finally:
        subprocess.run([str(SCRIPT), "--dir", str(directory), "down"], cwd=ROOT, check=False)
        shutil.rmtree(directory, ignore_errors=True)
