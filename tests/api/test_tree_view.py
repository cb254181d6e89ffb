"""`GET /trees/{id}`: a linked service jobs tree as an HTML outline (folded beneath the first
levels), built from the GraphQL API with the caller's own context (token, tenant and facility
scope)."""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from app.auth import issue_token
from app.db.engine import SessionFactory
from app.http.graphiql import external_urls
from app.services.seeding import seed
from app.settings import Settings
from tests.conftest import StatementCounter
from tests.support.development import client_from
from tests.support.graphql import GraphQLClient
from tests.support.jobs import job, line_item, service

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = orjson.loads((ROOT / "fixtures" / "sample.json").read_bytes())
SAMPLE_TREE = SAMPLE["trees"][0]
SAMPLE_TREE_ID: str = SAMPLE_TREE["id"]
SAMPLE_JOB_IDS = [link["serviceJob"]["id"] for link in SAMPLE_TREE["links"]]
BIG = "898feb71-1859-5004-8744-d5f03d6bac65"

JOB_NODE = re.compile(r'<div class="job s-([A-Z_]+)" data-job-id="([^"]+)"')
TOOLTIP = re.compile(r'<div class="job[^>]*title="([^"]*)"')


@pytest.fixture
async def sample(db: SessionFactory) -> None:
    await seed(db, "acme", SAMPLE)


def bearer(settings: Settings, tenant: str = "acme", **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, tenant=tenant, **kwargs)}"}


def without_nonce(page: str) -> str:
    return re.sub(r'nonce="[^"]+"', 'nonce=""', page)


async def test_the_sample_tree_shows_every_job_its_links_and_line_items(
    http: httpx.AsyncClient, settings: Settings, sample: None
) -> None:
    response = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=bearer(settings))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    nodes = JOB_NODE.findall(page)
    assert sorted(job_id for _, job_id in nodes) == sorted(SAMPLE_JOB_IDS)
    # Tailoring holds its own shirt, so it is OPEN; the jobs above wait for it.
    assert sorted(status for status, _ in nodes) == ["NOT_READY", "NOT_READY", "OPEN"]
    # A chain of three: the root, its prerequisite and that one's, each under its parent.
    tree = page[page.index('<ul class="tree"') :]
    assert tree.count("<details open>") == 2 and tree.count("<li>") == 3
    assert tree.count("</ul></details></li>") == 2  # each nested in the one before
    title = f"Tree {SAMPLE_TREE_ID} \u2013 3 jobs"
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    for name in ("Custom tailoring", "Shirt initials embroidery"):
        assert name in page
    # Line items in each job's tooltip.
    tooltips = [unescape(t) for t in TOOLTIP.findall(page)]
    assert len(tooltips) == 3
    assert any("1 \u00d7 White Shirt (100029-W)" in t for t in tooltips)
    assert any("1 \u00d7 Embroidery thread, navy (thread-navy)" in t for t in tooltips)
    assert any("no line items" in t for t in tooltips)
    # The legend names every status.
    for label in ("not ready", "open", "in progress", "waiting for input", "finished"):
        assert f"{label}</li>" in page
    # Why the jobs above wait, from the domain's readiness rules.
    assert page.count('<span class="why w-PREREQUISITES">1 prerequisite not done</span>') == 2
    assert "3 jobs on 3 levels: 2 not ready, 1 open." in page


async def test_the_page_is_self_contained_under_a_strict_policy(
    http: httpx.AsyncClient, settings: Settings, sample: None
) -> None:
    response = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=bearer(settings))
    page = response.text
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:"
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9_-]+)'", directives["style-src"])
    assert nonce is not None and f'<style nonce="{nonce.group(1)}">' in page
    assert page.count("<style") == 1 and " style=" not in page
    assert "<script" not in page.lower()
    assert external_urls(page) == []
    assert "http:" not in page and "https:" not in page and "//" not in page
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    again = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=bearer(settings))
    assert again.headers["content-security-policy"] != policy  # a fresh nonce every time


async def test_without_a_valid_token_the_answer_is_401(
    http: httpx.AsyncClient, settings: Settings, sample: None
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic YTpi"},
        bearer(settings.model_copy(update={"jwt_secret": SecretStr("another-secret-" * 4)})),
    ):
        response = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "Custom tailoring" not in response.text


async def test_another_tenants_tree_and_a_missing_one_get_the_same_404(
    http: httpx.AsyncClient, settings: Settings, sample: None
) -> None:
    other = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=bearer(settings, "globex"))
    missing = await http.get(
        "/trees/5e1f3a70-9c2d-4f0e-a8b1-7d6c5b4a3999", headers=bearer(settings)
    )
    assert other.status_code == missing.status_code == 404
    assert without_nonce(other.text) == without_nonce(missing.text)
    assert "content-security-policy" in other.headers
    for bad in ("not a uuid", "%3Cscript%3E", "x" * 300, "'; drop table jobs; --"):
        response = await http.get(f"/trees/{bad}", headers=bearer(settings))
        assert response.status_code == 404, bad
        assert without_nonce(response.text) == without_nonce(missing.text)


async def test_a_facility_scoped_caller_sees_only_its_facilitys_trees(
    http: httpx.AsyncClient, settings: Settings, sample: None
) -> None:
    url = f"/trees/{SAMPLE_TREE_ID}"
    inside = await http.get(url, headers=bearer(settings, facilities=["fac-berlin-mitte"]))
    assert inside.status_code == 200
    assert len(JOB_NODE.findall(inside.text)) == 3
    outside = await http.get(url, headers=bearer(settings, facilities=["fac-hamburg-hafen"]))
    assert outside.status_code == 404
    assert "Custom tailoring" not in outside.text


async def test_names_and_line_items_are_escaped(
    gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings
) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>\"' & co"
    service_id = await service(gql, "evil", nameLocalized={"en_US": evil})
    created = await job(
        gql,
        service_id,
        lineItems=[line_item("art&<1>", '</title><script>alert(3)</script>"')],
    )
    response = await http.get(
        f"/trees/{created['linkedServiceJobsRef']}",
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    assert response.status_code == 200
    page = response.text
    assert "<script" not in page and "<img" not in page and "</title><script" not in page
    assert TOOLTIP.search(page) is not None
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in page
    # Jinja2's autoescape (markupsafe) writes " and ' as &#34; and &#39;.
    assert "&#34;&#39; &amp; co" in page
    assert "&lt;/title&gt;&lt;script&gt;alert(3)&lt;/script&gt;&#34;" in page
    assert "(art&amp;&lt;1&gt;)" in page
    assert len(JOB_NODE.findall(page)) == 1


async def test_a_tree_page_costs_the_statements_of_one_tree_read(
    http: httpx.AsyncClient, settings: Settings, sample: None, sql: StatementCounter
) -> None:
    sql.reset()
    response = await http.get(f"/trees/{SAMPLE_TREE_ID}", headers=bearer(settings))
    assert response.status_code == 200
    assert sql.count <= 3, sql.statements
    assert response.headers["x-sql-statements"] == str(sql.count)


async def test_the_big_tree_renders_every_job(
    http: httpx.AsyncClient, settings: Settings, db: SessionFactory, sql: StatementCounter
) -> None:
    document = orjson.loads((ROOT / "bench" / "trees.json").read_bytes())
    document["trees"] = [t for t in document["trees"] if t["id"] == BIG]
    await seed(db, "acme", document)
    sql.reset()
    started = time.perf_counter()
    response = await http.get(f"/trees/{BIG}", headers=bearer(settings))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert sql.count <= 3
    page = response.text
    assert len(JOB_NODE.findall(page)) == 1000
    assert "1,000 jobs on 25 levels" in page
    # The first view unfolds the root and its prerequisites; the rest waits for a click.
    branches = _branches_per_level(document["trees"][0]["links"])
    assert branches[:2] == [1, 3]  # the root, and three of its four prerequisites have their own
    assert page.count("<details open>") == sum(branches[:2])
    assert '<strong aria-current="page">2</strong>' in page
    assert len(response.content) < 3_000_000
    unfolded = await http.get(f"/trees/{BIG}?levels=all", headers=bearer(settings))
    assert unfolded.text.count("<details open>") == unfolded.text.count("<details")
    assert '<strong aria-current="page">all 25</strong>' in unfolded.text
    three = await http.get(f"/trees/{BIG}?levels=3", headers=bearer(settings))
    assert three.text.count("<details open>") == sum(branches[:3])
    for nonsense in ("-1", "x", "9" * 50, "<b>", "\u00b2", "\u0663"):
        odd = await http.get(f"/trees/{BIG}", params={"levels": nonsense}, headers=bearer(settings))
        assert odd.status_code == 200 and odd.text.count("<details open>") == sum(branches[:2])
    assert elapsed < 10, elapsed


async def test_development_mode_pre_authorises_loopback_callers_only(
    dev_settings: Settings, engine: AsyncEngine, db: SessionFactory
) -> None:
    await seed(db, dev_settings.sample_tenant, SAMPLE)
    url = f"/trees/{SAMPLE_TREE_ID}"
    async for local in client_from(dev_settings, engine, "127.0.0.1"):
        response = await local.get(url)
        assert response.status_code == 200
        assert len(JOB_NODE.findall(response.text)) == 3
        # A header that is sent is checked, as on /graphql.
        assert (await local.get(url, headers={"Authorization": "Bearer x"})).status_code == 401
        other = await local.get(url, headers=bearer(dev_settings, "globex"))
        assert other.status_code == 404
        graphiql = await local.get("/graphql", headers={"Accept": "text/html"})
        assert f"/trees/{SAMPLE_TREE_ID}" in graphiql.text
    async for remote in client_from(dev_settings, engine, "203.0.113.9"):
        assert (await remote.get(url)).status_code == 401
    async for production in client_from(
        dev_settings.model_copy(update={"app_env": "production"}), engine, "127.0.0.1"
    ):
        assert (await production.get(url)).status_code == 401


async def test_a_job_waiting_for_items_says_so(gql: GraphQLClient, http: httpx.AsyncClient) -> None:
    needy = await service(
        gql,
        "needy",
        itemsRequired="MANDATORY",
        articleItems=[{"article": {"tenantArticleId": "glue", "title": "Glue"}, "quantity": 2}],
    )
    created = await job(gql, needy, lineItems=[line_item("cloth", "Cloth", 3)])
    response = await http.get(
        f"/trees/{created['linkedServiceJobsRef']}",
        headers={"Authorization": f"Bearer {gql.token}"},
    )
    page = response.text
    assert '<span class="why w-REQUIRED_LINE_ITEMS_UNFULFILLABLE">' in page
    assert "required line items cannot be provided" in page
    (tooltip,) = [unescape(t) for t in TOOLTIP.findall(page)]
    assert "waiting: required line items cannot be provided" in tooltip
    assert "required line items:\n  2 \u00d7 Glue (glue)" in tooltip


def _branches_per_level(links: list[dict[str, Any]]) -> list[int]:
    """How many jobs on each level have prerequisites of their own."""
    parent = {link["id"]: link["parentLinkId"] for link in links}
    has_children = {p for p in parent.values() if p is not None}

    def level(link_id: str) -> int:
        up = parent[link_id]
        return 0 if up is None else 1 + level(up)

    counts: dict[int, int] = {}
    for link_id in has_children:
        counts[level(link_id)] = counts.get(level(link_id), 0) + 1
    return [counts.get(n, 0) for n in range(max(counts) + 1)]
