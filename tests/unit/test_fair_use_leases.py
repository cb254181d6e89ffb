"""Leases of fair use budget (app/domain/fair_use.py) and the PostgreSQL limiter that spends
them (app/services/fair_use.py), with an in-memory stand-in for the one SQL statement: cheap
requests cost one charge a second, every unit spent was charged first, and near the end of a
budget requests are charged one by one again."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.fair_use import (
    LEASE_SECONDS,
    LEASE_SHARE,
    Lease,
    Policy,
    charge,
    lease_from,
    lease_size,
    merged,
    spend_from_lease,
)
from app.services.fair_use import PostgresLimiter

POLICY = Policy(limit=60_000_000, window=60)
SHARE = POLICY.limit // LEASE_SHARE
T0 = 1_700_000_000.0


def test_a_lease_is_a_share_of_the_limit_when_it_covers_two_requests() -> None:
    assert lease_size(POLICY, 7) == SHARE == 60_000
    assert lease_size(POLICY, SHARE // 2) == SHARE
    assert lease_size(POLICY, SHARE // 2 + 1) == 0
    # A small budget is charged request by request.
    assert lease_size(Policy(limit=1000, window=60), 1) == 0


@given(st.lists(st.integers(1, 5000), min_size=1, max_size=40))
def test_spending_from_a_lease_tells_what_exact_charges_would(costs: list[int]) -> None:
    exact = charge(POLICY, None, T0, 1)
    leased = lease_from(charge(POLICY, exact.tat, T0, SHARE).tat, SHARE, T0)
    for charges, cost in enumerate(costs, start=1):
        decision = spend_from_lease(POLICY, leased, T0, cost)
        if decision is None:
            assert leased.units < cost
            break
        exact = charge(POLICY, exact.tat, T0, cost)
        # Both are seconds near 1.7e9 in floats, whose step is ~0.24 of a unit here: the
        # exact charges round once each, the lease once; a unit apart per charge at most.
        assert decision.allowed and abs(decision.remaining - exact.remaining) <= charges


def test_an_expired_or_spent_lease_covers_nothing() -> None:
    lease = lease_from(T0 + 1, 10, T0)
    assert spend_from_lease(POLICY, lease, T0 + LEASE_SECONDS, 1) is None
    assert spend_from_lease(POLICY, lease, T0, 11) is None
    assert spend_from_lease(POLICY, lease, T0, 10) is not None
    assert lease.units == 0


def test_two_leases_charged_side_by_side_add_up() -> None:
    both = merged(Lease(tat=T0 + 1, units=5, expires=T0 + 1), Lease(T0 + 2, 7, T0 + 2))
    assert both == Lease(tat=T0 + 2, units=12, expires=T0 + 1)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Budgets(PostgresLimiter):
    """The limiter with the statement's rule applied in memory: `charged` lists each charge
    sent to the database, `spent` those it allowed."""

    def __init__(self, policy: Policy, clock: Clock) -> None:
        super().__init__(policy, db=None, clock=clock)  # type: ignore[arg-type]
        self.tat: float | None = None
        self.charged: list[int] = []
        self.spent = 0

    async def _charge(self, caller: str, now: float, cost: int) -> tuple[float, bool]:
        await asyncio.sleep(0)
        self.charged.append(cost)
        decision = charge(self.policy, self.tat, now, cost)
        self.tat = decision.tat
        self.spent += cost if decision.allowed else 0
        return decision.tat, decision.allowed


async def test_cheap_requests_cost_one_charge_a_second() -> None:
    clock = Clock()
    budgets = Budgets(POLICY, clock)
    decisions = [await budgets.charge("ann", 7) for _ in range(100)]
    assert budgets.charged == [SHARE]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions[:3]] == [
        POLICY.limit - 7,
        POLICY.limit - 14,
        POLICY.limit - 21,
    ]
    assert budgets.covers("ann", 7) and not budgets.covers("bob", 7)
    clock.now += LEASE_SECONDS
    assert not budgets.covers("ann", 7)
    await budgets.charge("ann", 7)
    assert budgets.charged == [SHARE, SHARE]


async def test_near_the_end_of_a_budget_requests_are_charged_alone_and_never_overspend() -> None:
    clock = Clock()
    policy = Policy(limit=100_000, window=60)
    budgets = Budgets(policy, clock)
    share = policy.limit // LEASE_SHARE
    spent = 0
    allowed = True
    while allowed:
        decision = await budgets.charge("ann", 30)
        allowed = decision.allowed
        spent += 30 if allowed else 0
    # Every unit spent was charged, nothing past the budget was charged.
    assert spent <= budgets.spent <= policy.limit
    # The last requests did not fit a lease: they were charged alone.
    assert budgets.charged[-1] == 30 and share in budgets.charged
    # What a lease had left joined the next one: nothing was lost on the way.
    assert policy.limit - spent < 30


async def test_concurrent_first_requests_merge_their_leases() -> None:
    budgets = Budgets(POLICY, Clock())
    first, second = await asyncio.gather(budgets.charge("ann", 7), budgets.charge("ann", 7))
    assert first.allowed and second.allowed
    assert budgets.charged == [SHARE, SHARE]
    assert budgets.leases["ann"].units == 2 * SHARE - 14


@pytest.mark.parametrize("cost", [SHARE // 2 + 1, SHARE])
async def test_dear_requests_are_charged_one_by_one(cost: int) -> None:
    budgets = Budgets(POLICY, Clock())
    await budgets.charge("ann", cost)
    await budgets.charge("ann", cost)
    assert budgets.charged == [cost, cost]
