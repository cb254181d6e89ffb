"""The example client in examples/ closes a sample job end to end against the real app."""

from __future__ import annotations

from pathlib import Path

import httpx
import orjson

from app.db.engine import SessionFactory
from app.services.seeding import seed
from examples.close_job import close_job
from tests.support.graphql import GraphQLClient

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sample.json"


async def test_the_example_closes_a_sample_job(
    gql: GraphQLClient, http: httpx.AsyncClient, db: SessionFactory
) -> None:
    await seed(db, "acme", orjson.loads(FIXTURE.read_bytes()))
    steps: list[str] = []
    assert gql.token is not None
    result = await close_job(http, gql.token, say=steps.append)
    assert result["identical"] is True
    assert result["job"] == {"status": "FINISHED", "appointments": [{"status": "COMPLETED"}]}
    assert result["order"] == {"status": "COMPLETED"}
    assert len(steps) == 6
