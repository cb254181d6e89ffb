"""The tests of the several-machines topology need PostgreSQL: they run once, in the
PostgreSQL pass, against one cluster (scripts/cluster) per module."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--db") == "postgres":
        return
    once = pytest.mark.skip(reason="the cluster runs PostgreSQL: these run in the PostgreSQL pass")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(once)
