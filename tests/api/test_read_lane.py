"""The read lane (app/graphql/pipeline/lane.py): a query text seen before runs without
Strawberry's extension runner, through the same stages, and answers exactly as the extensions
do; whatever a stage refuses, and everything but queries, is left to the extensions."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.auth import issue_token
from app.http.app import create_app
from app.settings import Settings
from tests.support.graphql import GraphQLClient, lane_of
from tests.support.jobs import job, service

JOBS = "query Jobs($first: Int) { serviceJobs(first: $first) { totalCount nodes { id name } } }"


def headers(settings: Settings, tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(settings, tenant=tenant)}"}


async def post(
    http: httpx.AsyncClient, auth: dict[str, str], query: str, **variables: object
) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, "variables": variables}, headers=auth)


async def test_a_repeated_query_takes_the_lane_and_answers_the_same(
    app: Starlette, http: httpx.AsyncClient, gql: GraphQLClient, settings: Settings
) -> None:
    await job(gql, await service(gql, "svc-1"))
    auth = headers(settings)
    lane = lane_of(app)
    first = await post(http, auth, JOBS, first=5)
    answered = lane.answered
    again = await post(http, auth, JOBS, first=5)
    assert lane.answered == answered + 1
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again.json()["data"]["serviceJobs"]["totalCount"] == 1
    # Other variables, same text: the lane again, with the new values.
    other = await post(http, auth, JOBS, first=0)
    assert lane.answered == answered + 2
    assert other.json()["data"]["serviceJobs"]["nodes"] == []


async def test_refusals_and_mutations_are_left_to_the_extensions(
    app: Starlette, http: httpx.AsyncClient, settings: Settings
) -> None:
    auth = headers(settings)
    lane = lane_of(app)
    too_costly = (
        "{ serviceJobs(first: 100) { nodes { lineItems { article { attributes { key value "
        "category } } } requiredLineItems { article { attributes { key value } } } } } }"
    )
    bad_variable = JOBS
    mutation = (
        'mutation { cancelServiceJob(input: {id: "nope", version: 1, reason: "x"}) '
        "{ userErrors { code } } }"
    )
    for query, variables in ((too_costly, {}), (bad_variable, {"first": "many"}), (mutation, {})):
        answers = []
        for _ in range(2):
            before = lane.answered
            response = await http.post(
                "/graphql", json={"query": query, "variables": variables}, headers=auth
            )
            answers.append(response.json())
            if query is not bad_variable:
                assert lane.answered == before, query
        assert answers[0] == answers[1], query
    codes = {error["extensions"]["code"] for error in answers[0].get("errors") or ()}
    assert codes <= {"BAD_REQUEST", "QUERY_TOO_COMPLEX"}


async def test_an_invalid_variable_is_refused_as_before(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    auth = headers(settings)
    answers = [(await post(http, auth, JOBS, first="many")).json() for _ in range(2)]
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@pytest.fixture
async def limited(
    settings: Settings, engine: AsyncEngine
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    limited = settings.model_copy(
        update={
            "rate_limit": True,
            "rate_limit_cost": 1000,
            "max_query_cost": 1000,
            "rate_limit_window_seconds": 86_400,
        }
    )
    app = create_app(limited, engine)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, client


async def test_the_lane_charges_fair_use_once_and_refuses_a_spent_budget(
    limited: tuple[Starlette, httpx.AsyncClient], settings: Settings
) -> None:
    app, http = limited
    lane = lane_of(app)
    auth = headers(settings, tenant="lane-fair-use")
    remaining = []
    for _ in range(60):
        response = await post(http, auth, JOBS, first=100)
        if response.status_code == 429:
            break
        remaining.append(int(response.headers["ratelimit-remaining"]))
    else:
        pytest.fail("the budget was never spent")
    assert lane.answered > 0
    # The same cost from every request, whichever path answered it: each charged once.
    spent = {a - b for a, b in itertools.pairwise(remaining)}
    assert len(spent) == 1 and spent.pop() > 0
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert "retry-after" in response.headers


async def test_a_failure_in_the_lane_is_translated_like_any_other(
    limited: tuple[Starlette, httpx.AsyncClient],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A database out of reach while the lane charges fair use is DATABASE_UNAVAILABLE, as in
    the extensions, not an HTTP 500."""
    app, http = limited
    lane = lane_of(app)
    auth = headers(settings, tenant="lane-failure")
    assert (await post(http, auth, JOBS, first=1)).status_code == 200
    assert lane.pipeline.limiter is not None

    async def unreachable(*_: object) -> None:
        raise ConnectionRefusedError("the database is restarting")

    monkeypatch.setattr(lane.pipeline.limiter, "charge", unreachable)
    answered = lane.answered
    response = await post(http, auth, JOBS, first=1)
    assert lane.answered == answered + 1
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
