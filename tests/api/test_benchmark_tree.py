"""The benchmark's trees.json loads with its ids, and the whole 1,000-link, 25-level tree comes
back from one request with a fixed number of statements."""

from __future__ import annotations

from pathlib import Path

import orjson

from app.db.engine import SessionFactory
from app.domain.trees import Link, TreeShape
from app.services.seeding import seed
from tests.api.test_trees import count_links, nested_query
from tests.conftest import StatementCounter
from tests.support.graphql import GraphQLClient

TREES = Path(__file__).resolve().parents[2] / "bench" / "trees.json"
BIG = "898feb71-1859-5004-8744-d5f03d6bac65"


async def test_the_big_tree_in_one_request(
    gql: GraphQLClient, db: SessionFactory, sql: StatementCounter
) -> None:
    document = orjson.loads(TREES.read_bytes())
    counts = await seed(db, "acme", document)
    assert counts["trees"] == 101 and counts["serviceJobs"] == 6000

    sql.reset()
    data = await gql(nested_query(25), {"id": BIG})
    assert sql.count == 3
    links = data["linkedServiceJobs"]["serviceJobLinks"]
    assert count_links(links) == 1000

    def walk(level: list[dict[str, object]]) -> list[str]:
        ids: list[str] = []
        for link in level:
            ids.append(str(link["id"]))
            ids += walk(link.get("nextServiceJobLinks", []))  # type: ignore[arg-type]
        return ids

    listed = next(t for t in document["trees"] if t["id"] == BIG)["links"]
    shape = TreeShape.of(Link(k["id"], k["serviceJob"]["id"], k["parentLinkId"]) for k in listed)
    assert walk(links) == [link_id for link_id, _ in shape.preorder()]
    body = orjson.dumps(data)
    assert body.count(b'"tenantArticleId"') == 3000
