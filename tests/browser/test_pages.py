"""GraphiQL and the tree view in a real Chromium, offline: the pre-authorised GraphiQL runs its
sample query and a live subscription, and the tree view draws every job of the sample tree."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import orjson
import pytest

from app.auth import issue_token
from app.db.engine import create_engine, create_session_factory
from app.services.seeding import seed
from app.settings import Settings
from tests.browser.conftest import OfflinePage
from tests.conftest import TEST_SECRET
from tests.support.server import Server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = orjson.loads((ROOT / "fixtures" / "sample.json").read_bytes())
SAMPLE_TREE = SAMPLE["trees"][0]
SAMPLE_TREE_ID: str = SAMPLE_TREE["id"]
FIRST_SERVICE_ID: str = SAMPLE["customServices"][0]["id"]
ROOT_JOB_ID: str = SAMPLE_TREE["links"][0]["serviceJob"]["id"]
BIG = "898feb71-1859-5004-8744-d5f03d6bac65"

EDITOR = ".graphiql-query-editor .CodeMirror"
RUN = ".graphiql-execute-button"
RESULT = ".graphiql-response"


def server_settings() -> Settings:
    """The settings the live server signs and checks tokens with."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="production",
        jwt_secret=TEST_SECRET,  # type: ignore[arg-type]
    )


def sample_tenant_token() -> str:
    settings = server_settings()
    return issue_token(settings, tenant=settings.sample_tenant, ttl_seconds=600)


async def api(server: Server, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {sample_tenant_token()}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def result_text(offline: OfflinePage, containing: str, within: float = 10.0) -> str:
    """The result pane's text once it contains `containing`."""
    deadline = time.monotonic() + within
    text = ""
    while time.monotonic() < deadline:
        text = await offline.page.locator(RESULT).inner_text()
        if containing in text:
            return text
        await asyncio.sleep(0.1)
    raise AssertionError(f"the result pane never showed {containing!r}; it shows {text!r}")


async def test_graphiql_runs_the_sample_query_offline(
    live_server: Server, offline: OfflinePage
) -> None:
    page = offline.page
    await page.goto(f"{live_server.url}/graphql")
    await page.locator(EDITOR).wait_for(state="visible", timeout=15_000)
    assert "SampleCustomServices" in await page.locator(EDITOR).inner_text()
    await page.locator(RUN).click()
    text = await result_text(offline, FIRST_SERVICE_ID)
    assert '"totalCount": 4' in text
    assert '"errors"' not in text
    # The token that ran it is in the Headers tab, as JSON a person can copy.
    await page.locator(".graphiql-editor-tools button", has_text="Headers").click()
    headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
    await headers_editor.wait_for(state="visible")
    headers = orjson.loads(await headers_editor.evaluate("e => e.CodeMirror.getValue()"))
    assert list(headers) == ["Authorization"]
    assert headers["Authorization"].startswith("Bearer ey")
    # The sample tree is a link beside the logo, not a comment cut off at the editor's edge.
    tree_link = page.get_by_role("link", name="Sample tree")
    assert await tree_link.get_attribute("href") == f"/trees/{SAMPLE_TREE_ID}"
    assert await tree_link.is_visible()
    await offline.screenshot("graphiql.png")
    assert offline.page_errors == []
    offline.assert_offline()


async def test_the_tree_view_draws_every_job_of_the_sample_tree(
    live_server: Server, offline: OfflinePage
) -> None:
    tree = await api(
        live_server,
        "query($id: ID!) { linkedServiceJobs(id: $id) { includedServiceJobRefs } }",
        {"id": SAMPLE_TREE_ID},
    )
    job_ids = tree["linkedServiceJobs"]["includedServiceJobRefs"]
    assert sorted(job_ids) == sorted(link["serviceJob"]["id"] for link in SAMPLE_TREE["links"])

    page = offline.page
    response = await page.goto(f"{live_server.url}/trees/{SAMPLE_TREE_ID}")
    assert response is not None and response.status == 200
    nodes = page.locator(".tree .job")
    assert await nodes.count() == len(job_ids)
    drawn = [await nodes.nth(i).get_attribute("data-job-id") or "" for i in range(len(job_ids))]
    assert sorted(drawn) == sorted(job_ids)
    # A small tree shows whole: every job is visible, none folded away.
    for i in range(len(job_ids)):
        assert await nodes.nth(i).is_visible()
    assert SAMPLE_TREE_ID in await page.locator("h1").inner_text()
    # The nonce'd stylesheet applies (the policy lets nothing else in): NOT_READY is grey.
    fill = await nodes.first.evaluate("box => getComputedStyle(box).backgroundColor")
    assert fill == "rgb(229, 231, 235)"
    # Each waiting job says why: the root waits for its prerequisite.
    assert "1 prerequisite not done" in await nodes.first.inner_text()
    tooltips = [await nodes.nth(i).get_attribute("title") or "" for i in range(len(job_ids))]
    assert any("White Shirt" in t for t in tooltips)
    await nodes.first.hover()
    await offline.screenshot("tree-view.png")
    assert offline.console_errors == []  # a CSP violation would be reported here
    assert offline.page_errors == []
    offline.assert_offline()


async def test_graphiql_shows_a_live_subscription_update(
    live_server: Server, offline: OfflinePage
) -> None:
    subscription = (
        f'subscription {{ serviceJobChanged(id: "{ROOT_JOB_ID}") '
        "{ id status version targetTime } }"
    )
    page = offline.page
    await page.goto(f"{live_server.url}/graphql?q={quote(subscription)}")
    await page.locator(EDITOR).wait_for(state="visible", timeout=15_000)
    assert "serviceJobChanged" in await page.locator(EDITOR).inner_text()
    await page.locator(RUN).click()

    job_query = "query($id: ID!) { serviceJob(id: $id) { version } }"
    change = """mutation($input: AddServiceJobTargetTimeInput!) {
      addServiceJobTargetTime(input: $input) { serviceJob { version } userErrors { code } } }"""
    # The server subscribes a moment after GraphiQL sends `subscribe`: change the job until a
    # change arrives (each one is a new version, so any of them may be the one shown).
    for day in range(10, 30):
        version = (await api(live_server, job_query, {"id": ROOT_JOB_ID}))["serviceJob"]["version"]
        target = f"2027-01-{day}T09:00:00Z"
        changed = await api(
            live_server,
            change,
            {"input": {"id": ROOT_JOB_ID, "version": version, "targetTime": target}},
        )
        assert changed["addServiceJobTargetTime"]["userErrors"] == []
        try:
            text = await result_text(offline, "2027-01-", within=1.0)
        except AssertionError:
            continue
        break
    else:
        raise AssertionError(
            f"no subscription update reached GraphiQL: {await page.locator(RESULT).inner_text()!r} "
            f"{offline.websockets} {offline.console_errors} {offline.page_errors}"
        )
    assert ROOT_JOB_ID in text and '"serviceJobChanged"' in text
    await offline.screenshot("graphiql-subscription.png")
    assert any(url.startswith(live_server.ws_url) for url in offline.websockets)
    assert offline.page_errors == []
    offline.assert_offline()


@pytest.fixture(scope="module")
async def big_tree(live_server: Server, live_database_url: str) -> str:
    """The benchmark's 1,000-job, 25-level tree, added for the sample tenant."""
    document = orjson.loads((ROOT / "bench" / "trees.json").read_bytes())
    document["trees"] = [t for t in document["trees"] if t["id"] == BIG]
    engine = create_engine(live_database_url)
    try:
        await seed(create_session_factory(engine), server_settings().sample_tenant, document)
    finally:
        await engine.dispose()
    return BIG


async def test_the_big_tree_opens_on_its_root(
    big_tree: str, live_server: Server, offline: OfflinePage
) -> None:
    page = offline.page
    started = time.monotonic()
    response = await page.goto(f"{live_server.url}/trees/{big_tree}")
    assert response is not None and response.status == 200
    jobs = page.locator(".tree .job")
    assert await jobs.count() == 1000
    assert time.monotonic() - started < 10
    await offline.screenshot("tree-view-big.png", full_page=False)
    # The first view, unscrolled, shows the root and its neighbourhood: the root's box and
    # those of its prerequisites lie inside the window, and the page is no wider than it.
    viewport = page.viewport_size
    assert viewport is not None
    root = page.locator(".tree > li > details > summary .job")
    box = await root.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]
    neighbours = page.locator(
        ".tree > li > details > ul > li > details > summary .job,"
        ".tree > li > details > ul > li > .row .job"
    )
    assert await neighbours.count() == 4
    for i in range(4):
        near = await neighbours.nth(i).bounding_box()
        assert near is not None and near["y"] + near["height"] <= viewport["height"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # The deep levels start folded: far fewer jobs show than the tree has.
    visible = await page.evaluate(
        "[...document.querySelectorAll('.tree .job')].filter(j => j.checkVisibility()).length"
    )
    assert 5 <= visible <= 24
    # A waiting job says why it is not ready.
    assert "4 prerequisites not done" in await root.inner_text()
    # One click folds or unfolds a branch; `?levels=all` unfolds everything.
    first_child = neighbours.first
    before = visible
    await first_child.click()
    after = await page.evaluate(
        "[...document.querySelectorAll('.tree .job')].filter(j => j.checkVisibility()).length"
    )
    assert after != before
    # Unfolded to its 25th level, it still fits a 1,280-pixel window.
    await page.set_viewport_size({"width": 1280, "height": 800})
    viewport = page.viewport_size
    assert viewport is not None
    await page.goto(f"{live_server.url}/trees/{big_tree}?levels=all")
    assert (
        await page.evaluate(
            "[...document.querySelectorAll('.tree .job')].filter(j => j.checkVisibility()).length"
        )
        == 1000
    )
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    await offline.screenshot("tree-view-big-unfolded.png", full_page=False)
    assert offline.console_errors == []
    assert offline.page_errors == []
    offline.assert_offline()
