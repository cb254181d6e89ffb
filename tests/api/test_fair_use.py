"""Fair use budgets through the ASGI app: RateLimit-* headers on every answer, 429 with
RATE_LIMITED and Retry-After once a caller's query cost budget is spent, callers apart, and
requests without a token limited by address. PostgreSQL keeps the budgets in a table (one
statement per request, atomic under concurrency), SQLite in the process's memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from app.auth import issue_token
from app.db.engine import create_session_factory
from app.domain.fair_use import Decision, Policy, charge, debt_limit, spend
from app.graphql.pipeline import lane as lane_module
from app.http.app import create_app
from app.repositories import fair_use as repo
from app.services.fair_use import Limiter, MemoryLimiter
from app.settings import Settings
from tests.support.graphql import lane_of

#: Costs about a hundred (a page of up to 100 services with their ids).
QUERY = "{ customServices(first: 100) { totalCount edges { node { id } } } }"
BUDGET = 1000


@pytest.fixture
def limited(settings: Settings) -> Settings:
    # A day-long window: the budget flows back at ~0.01 units a second while the test runs.
    return settings.model_copy(
        update={
            "rate_limit": True,
            "rate_limit_cost": BUDGET,
            "max_query_cost": BUDGET,
            "rate_limit_window_seconds": 86_400,
            "rate_limit_anonymous_cost": 400,
        }
    )


@pytest.fixture
async def client(limited: Settings, engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(limited, engine), client=("10.1.2.3", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def auth(settings: Settings, tenant: str = "acme", subject: str = "ann") -> dict[str, str]:
    token = issue_token(settings, tenant=tenant, subject=subject)
    return {"Authorization": f"Bearer {token}"}


async def spend_all(client: httpx.AsyncClient, headers: dict[str, str]) -> list[httpx.Response]:
    """Requests until the first refusal (at most 50), all answers."""
    answers = []
    for _ in range(50):
        answers.append(await client.post("/graphql", json={"query": QUERY}, headers=headers))
        if answers[-1].status_code == 429:
            break
    return answers


async def test_every_answer_says_what_is_left_and_the_spent_budget_is_refused(
    client: httpx.AsyncClient, limited: Settings
) -> None:
    answers = await spend_all(client, auth(limited))
    first, refused = answers[0], answers[-1]
    assert first.status_code == 200 and "errors" not in first.json()
    assert first.headers["RateLimit-Limit"] == str(BUDGET)
    assert first.headers["RateLimit-Policy"] == f'{BUDGET};w=86400;comment="query cost"'
    cost = BUDGET - int(first.headers["RateLimit-Remaining"])
    assert 50 <= cost <= BUDGET // 2
    # Each allowed request spent the query's cost; the one that no longer fit was refused.
    assert len(answers) == BUDGET // cost + 1
    remaining = [int(a.headers["RateLimit-Remaining"]) for a in answers[:-1]]
    assert remaining == [BUDGET - cost * n for n in range(1, len(answers))]
    assert int(answers[-2].headers["RateLimit-Reset"]) > 0

    assert refused.status_code == 429
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    retry_after = int(refused.headers["Retry-After"])
    assert retry_after == error["extensions"]["retryAfter"] >= 1
    # The refusal spent nothing: what is left is what the last allowed request left.
    assert refused.headers["RateLimit-Remaining"] == answers[-2].headers["RateLimit-Remaining"]


async def test_graphql_response_media_type_refuses_with_429_too(
    client: httpx.AsyncClient, limited: Settings
) -> None:
    headers = auth(limited)
    await spend_all(client, headers)
    refused = await client.post(
        "/graphql",
        json={"query": QUERY},
        headers={**headers, "Accept": "application/graphql-response+json"},
    )
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_callers_do_not_share_a_budget(client: httpx.AsyncClient, limited: Settings) -> None:
    assert (await spend_all(client, auth(limited)))[-1].status_code == 429
    for other in (auth(limited, subject="bob"), auth(limited, tenant="globex")):
        fresh = await client.post("/graphql", json={"query": QUERY}, headers=other)
        assert fresh.status_code == 200
        assert BUDGET - int(fresh.headers["RateLimit-Remaining"]) < BUDGET // 2


async def test_operations_refused_before_execution_cost_one_unit(
    client: httpx.AsyncClient, limited: Settings
) -> None:
    invalid = await client.post("/graphql", json={"query": "{ nope }"}, headers=auth(limited))
    assert invalid.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert invalid.headers["RateLimit-Remaining"] == str(BUDGET - 1)


async def test_requests_without_a_token_are_limited_by_address(
    client: httpx.AsyncClient, limited: Settings
) -> None:
    answers = [(await client.post("/graphql", json={"query": QUERY})) for _ in range(3)]
    assert [a.json()["errors"][0]["extensions"]["code"] for a in answers] == [
        "UNAUTHENTICATED",
        "UNAUTHENTICATED",
        "RATE_LIMITED",
    ]
    assert answers[-1].status_code == 429 and int(answers[-1].headers["Retry-After"]) >= 1
    # A caller with a token has a budget of its own.
    assert (
        await client.post("/graphql", json={"query": QUERY}, headers=auth(limited))
    ).status_code == 200


async def test_concurrent_requests_never_overspend(
    client: httpx.AsyncClient, limited: Settings
) -> None:
    """On PostgreSQL the budget is one row changed by one atomic statement per request."""
    headers = auth(limited)
    first = await client.post("/graphql", json={"query": QUERY}, headers=headers)
    cost = BUDGET - int(first.headers["RateLimit-Remaining"])
    answers = await asyncio.gather(
        *(client.post("/graphql", json={"query": QUERY}, headers=headers) for _ in range(16))
    )
    allowed = [a for a in answers if a.status_code == 200]
    assert len(allowed) == BUDGET // cost - 1
    assert all(a.status_code == 429 for a in answers if a not in allowed)


async def test_off_when_disabled(http: httpx.AsyncClient, settings: Settings) -> None:
    answer = await http.post("/graphql", json={"query": QUERY}, headers=auth(settings))
    assert answer.status_code == 200 and "RateLimit-Limit" not in answer.headers


class RemoteBudgets(MemoryLimiter):
    """Budgets in memory that answer like a database's: after the event loop has turned a few
    times, so whatever is started beside a charge really runs before it is decided."""

    def covers(self, caller: str, cost: int) -> bool:
        return False

    async def charge(self, caller: str, cost: int) -> Decision:
        for _ in range(20):
            await asyncio.sleep(0)
        return await super().charge(caller, cost)


class BrokenBudgets(RemoteBudgets):
    async def charge(self, caller: str, cost: int) -> Decision:
        await asyncio.sleep(0)
        raise ConnectionError("the budgets' database is out of reach")


def with_budgets(app: Starlette, monkeypatch: pytest.MonkeyPatch, limiter: Limiter) -> None:
    """`limiter` keeps the budgets of texts seen before (the read lane's)."""
    monkeypatch.setattr(lane_of(app).pipeline, "limiter", limiter)


@pytest.fixture
def limited_app(limited: Settings, engine: AsyncEngine) -> Starlette:
    return create_app(limited, engine)


@pytest.fixture
async def limited_client(limited_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app, client=("10.1.2.3", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize("beside", [True, False], ids=["read beside the charge", "charged first"])
async def test_a_refused_read_answers_the_same_whether_read_beside_its_charge_or_after(
    limited_app: Starlette,
    limited_client: httpx.AsyncClient,
    limited: Settings,
    monkeypatch: pytest.MonkeyPatch,
    beside: bool,
) -> None:
    """A cheap query's read overlaps a charge kept in a database; a dearer one waits for it.
    Either way a refused caller gets RATE_LIMITED, 429 and no data; only the statements differ."""
    with_budgets(limited_app, monkeypatch, RemoteBudgets(Policy(BUDGET, 86_400)))
    if not beside:
        monkeypatch.setattr(lane_module, "READ_BESIDE_CHARGE_MAX_COST", 10)
    answers = await spend_all(limited_client, auth(limited))
    allowed, refused = answers[-2], answers[-1]
    assert allowed.status_code == 200 and "errors" not in allowed.json()
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RATE_LIMITED"]
    assert refused.headers["RateLimit-Remaining"] == allowed.headers["RateLimit-Remaining"]
    # Read beside its charge, the refused query was read; charged first, it was not.
    assert (int(refused.headers["x-sql-statements"]) > 0) is beside


async def test_a_charge_that_fails_beside_a_read_answers_no_data(
    limited_app: Starlette,
    limited_client: httpx.AsyncClient,
    limited: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = auth(limited)
    first = await limited_client.post("/graphql", json={"query": QUERY}, headers=headers)
    assert first.status_code == 200
    with_budgets(limited_app, monkeypatch, BrokenBudgets(Policy(BUDGET, 86_400)))
    again = await limited_client.post("/graphql", json={"query": QUERY}, headers=headers)
    body = again.json()
    # The read's answer is dropped: what was not charged is not served.
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["DATABASE_UNAVAILABLE"]
    assert "out of reach" not in again.text


async def test_cheap_reads_are_spent_from_a_lease_one_statement_each(
    settings: Settings, engine: AsyncEngine
) -> None:
    """With a production-sized budget a cheap read is charged from the process's lease
    (PostgreSQL: one charge a second, not one per request): each answer costs its read
    alone and still says what is left."""
    roomy = settings.model_copy(
        update={
            "rate_limit": True,
            "rate_limit_cost": 60_000_000,
            # ~700 units flow back a second: a few between two requests.
            "rate_limit_window_seconds": 86_400,
        }
    )
    transport = httpx.ASGITransport(app=create_app(roomy, engine), client=("10.1.2.3", 1))
    query = '{ customService(id: "nope") { id name } }'
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answers = [
            await client.post("/graphql", json={"query": query}, headers=auth(roomy))
            for _ in range(6)
        ]
    assert [a.json() for a in answers] == [{"data": {"customService": None}}] * 6
    assert [a.headers["x-sql-statements"] for a in answers[1:]] == ["1"] * 5
    remaining = [int(a.headers["RateLimit-Remaining"]) for a in answers]
    cost = 60_000_000 - remaining[0]
    assert 1 <= cost <= 10
    for n, left in enumerate(remaining, 1):
        assert 60_000_000 - cost * n - 1 <= left <= 60_000_000 - cost * n + 200, remaining


async def test_the_charge_statement_gives_back_refunds_as_the_rule_does(
    settings: Settings, engine: AsyncEngine
) -> None:
    """PostgreSQL's one statement (app/repositories/fair_use.py) against `charge` of
    app/domain/fair_use.py, refunds of expired leases included: the same state and outcome
    for every step, refused ones too (they still take the refund)."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("budgets are kept in the database on PostgreSQL only")
    policy = Policy(limit=1000, window=10)
    steps = [
        # (seconds later, cost, refund in units)
        (0.0, 300, 0),
        (0.1, 400, 0),
        (0.1, 400, 50),  # refused: only the refund applies
        (0.2, 300, 100),
        (0.5, 600, 0),  # refused
        (30.0, 10, 400),  # rested: the refund cannot take the state below now
        (0.0, 2000, 0),  # more than a whole budget: refused
    ]
    sessions = create_session_factory(engine)
    now, tat = 1_700_000_000.0, None
    for later, cost, units in steps:
        now += later
        refund = units * policy.interval
        expected = charge(policy, tat, now, cost, refund)
        async with sessions() as session:
            state, allowed = await repo.charge(
                session, "t:acme\nann", now, spend(policy, cost), debt_limit(policy), refund
            )
            await session.commit()
        assert allowed == expected.allowed
        assert state == pytest.approx(expected.tat, abs=1e-6)
        tat = state
