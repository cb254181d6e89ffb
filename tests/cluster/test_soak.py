"""The soak's short form (bench/soak.py) on the package's cluster: mixed reads and writes
through the balancer while node 1 is killed with SIGKILL and started again and PgBouncer is
restarted. What it asserts are the promises, never timings: every acknowledged write there
exactly once, versions monotonic, no subscriber left behind, every event delivered to a webhook
receiver at least once and, by event id, exactly once. Its figures go to the log."""

from __future__ import annotations

import pytest

from bench.soak import Options, report, soak
from tests.support.cluster import Cluster


async def test_promises_hold_while_a_node_dies_and_pgbouncer_restarts(
    cluster: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    result = await soak(cluster, Options(before=6, after=6, down=4, writers=3, readers=3))
    with capsys.disabled():
        print()
        report(result)
    assert result.violations == []
    phases = result.summary()["phases"]
    assert all(phases[phase]["served"] > 0 for phase in ("before", "during", "after")), phases
    assert result.checked["acknowledged_creates"] > 0
    assert result.checked["acknowledged_changes"] > 0
    assert result.notices > 0
    assert result.webhooks["events"] == result.checked["events"] > 0
