"""Leases of fair use budget (app/domain/fair_use.py) and the PostgreSQL limiter that spends
them (app/services/fair_use.py), with an in-memory stand-in for the one SQL statement: cheap
requests cost one charge a second, every unit spent was charged first, near the end of a
budget requests are charged one by one again, and what an expired lease has left is given
back without ever giving back what was used."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
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
    refund_of,
    spend_from_lease,
)
from app.services.fair_use import PostgresLimiter

POLICY = Policy(limit=60_000_000, window=60)
SHARE = POLICY.limit // LEASE_SHARE
T0 = 1_700_000_000.0


def test_a_lease_is_a_share_of_the_limit_when_it_covers_two_requests() -> None:
    assert lease_size(POLICY, 7) == SHARE == 600_000
    assert lease_size(POLICY, SHARE // 2) == SHARE
    assert lease_size(POLICY, SHARE // 2 + 1) == 0
    # A small budget is charged request by request.
    assert lease_size(Policy(limit=100, window=60), 1) == 0


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
    both = merged(Lease(tat=T0 + 1, units=5, expires=T0 + 1, size=9), Lease(T0 + 2, 7, T0 + 2, 8))
    # The later charge's state holds, with its size (what may be refunded).
    assert both == Lease(tat=T0 + 2, units=12, expires=T0 + 1, size=8)


def test_an_expired_lease_gives_back_what_it_has_left_as_far_as_it_has_not_flowed_back() -> None:
    policy = Policy(limit=1000, window=10)  # a unit flows back in 0.01 s
    lease = lease_from(T0 + 5, 100, T0)
    lease.units = 40
    # Its charge left 5 s of debt: 40 units (0.4 s) are given back whole a second later...
    assert refund_of(policy, lease, T0 + 1) == pytest.approx(0.4)
    # ...as much as has not flowed back once the lease's debt runs out...
    assert refund_of(policy, lease, T0 + 4.9) == pytest.approx(0.1)
    # ...and nothing after.
    assert refund_of(policy, lease, T0 + 6) == 0
    lease.units = 0
    assert refund_of(policy, lease, T0 + 1) == 0


def test_a_merged_lease_gives_back_at_most_its_last_charge() -> None:
    policy = Policy(limit=1000, window=10)
    both = merged(lease_from(T0 + 1, 100, T0), lease_from(T0 + 2, 100, T0))
    assert both.units == 200
    assert refund_of(policy, both, T0 + 1) == pytest.approx(1.0)  # 100 units, not 200


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
        self.refunds: list[float] = []
        self.spent = 0

    async def _charge(
        self, caller: str, now: float, cost: int, refund: float = 0.0
    ) -> tuple[float, bool]:
        await asyncio.sleep(0)
        self.charged.append(cost)
        self.refunds.append(refund)
        decision = charge(self.policy, self.tat, now, cost, refund)
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
    policy = Policy(limit=10_000, window=60)
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


class SharedBudgets(Budgets):
    """One process's limiter whose charges go to `state`, the one row every process shares."""

    def __init__(self, policy: Policy, clock: Clock, state: Budgets) -> None:
        super().__init__(policy, clock)
        self.state = state

    async def _charge(
        self, caller: str, now: float, cost: int, refund: float = 0.0
    ) -> tuple[float, bool]:
        self.charged.append(cost)
        return await self.state._charge(caller, now, cost, refund)


async def test_sporadic_requests_over_two_processes_cost_what_they_spend() -> None:
    """Each request finds its process's lease expired: without refunds every one would cost a
    share (a hundredth of the budget), and the caller would be refused after ~100 requests."""
    clock = Clock()
    policy = Policy(limit=60_000_000, window=86_400)
    state = Budgets(policy, clock)
    processes = [SharedBudgets(policy, clock, state) for _ in range(2)]
    decisions = []
    for turn in range(300):
        clock.now += 0.7
        decisions.append(await processes[turn % 2].charge("ann", 7))
    assert all(d.allowed for d in decisions)
    assert len(state.charged) == 300 and all(r > 0 for r in state.refunds[2:])
    # Spent: 300 requests of 7; charged ahead: the two leases still running.
    assert state.tat is not None
    left = policy.limit - (state.tat - clock.now) / policy.interval
    assert left >= policy.limit - 300 * 7 - 2 * (policy.limit // LEASE_SHARE) - 1


steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # the process
        # seconds since the last request: mostly a burst, sometimes past a lease's expiry
        st.one_of(st.floats(min_value=0, max_value=0.02), st.floats(min_value=0.9, max_value=2)),
        st.integers(1, 8),  # its cost (a lease of 5 covers up to 2)
    ),
    # Enough to spend the budget several times over.
    min_size=200,
    max_size=300,
)


@settings(max_examples=60, deadline=None)
@given(steps)
async def test_leases_and_refunds_never_spend_more_than_the_budget_allows(
    requests: list[tuple[int, float, int]],
) -> None:
    """Over any stretch of requests from three processes, what the allowed ones spent stays
    within one budget plus what flowed back meanwhile, plus what leases charged before the
    stretch held (two shares per process at most: a lease and one merged into it)."""
    clock = Clock()
    policy = Policy(limit=500, window=1000)  # a share is 5 units; one flows back in 2 s
    state = Budgets(policy, clock)
    processes = [SharedBudgets(policy, clock, state) for _ in range(3)]
    spent: list[tuple[float, int]] = []
    for process, pause, cost in requests:
        clock.now += pause
        decision = await processes[process].charge("ann", cost)
        if decision.allowed:
            spent.append((clock.now, cost))
    slack = 3 * 2 * (policy.limit // LEASE_SHARE) + len(spent) * 1e-3
    for first in range(len(spent)):
        total = 0
        for when, cost in spent[first:]:
            total += cost
            flowed = (when - spent[first][0]) / policy.interval
            assert total <= policy.limit + flowed + slack
