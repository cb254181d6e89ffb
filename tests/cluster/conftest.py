"""The tests of the several-machines topology need PostgreSQL: they run once, in the
PostgreSQL pass, against one cluster (scripts/cluster) that the whole package shares."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.soak import NODE_SETTINGS
from tests.support.cluster import Cluster, missing_tools, running_cluster

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgres":
        return
    once = pytest.mark.skip(reason="the cluster runs PostgreSQL: these run in the PostgreSQL pass")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(once)


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two nodes of one worker each, PgBouncer, HAProxy; its own database on the suite's
    PostgreSQL server (TEST_POSTGRES_ADMIN_URL), so no second server starts."""
    missing = missing_tools()
    if missing and os.geteuid() != 0 and os.environ.get("CI") != "true":
        pytest.skip(f"scripts/cluster needs {', '.join(missing)} (apt-get install, as root)")
    with running_cluster(
        tmp_path_factory.mktemp("cluster"),
        postgres_admin_url=os.environ.get("TEST_POSTGRES_ADMIN_URL"),
        settings=NODE_SETTINGS,
    ) as running:
        yield running
