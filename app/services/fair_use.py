"""Fair use budgets (app/domain/fair_use.py), kept where every worker sees them.

On PostgreSQL each request runs one atomic statement on the caller's row, so the budget holds
across workers and nodes. On SQLite the gateway is one process (`serve` refuses workers), and
the state lives in that process's memory: lost on restart, which only forgives debts."""

from __future__ import annotations

import random
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from app.db.engine import SessionFactory
from app.db.row_reads import RowReads
from app.domain.access import Viewer
from app.domain.fair_use import (
    Decision,
    Lease,
    Policy,
    charge,
    debt_limit,
    lease_from,
    lease_size,
    merged,
    outcome,
    refund_of,
    spend,
    spend_from_lease,
)
from app.repositories import fair_use as repo

Clock = Callable[[], float]
#: Callers a process remembers in memory; the least recently seen is forgotten beyond this
#: (which forgives its debt: bounded memory matters more than a perfect count).
REMEMBERED_CALLERS = 100_000
#: One request in this many also deletes the rows of callers whose whole budget is back.
_SWEEP_ONE_IN = 1000


def caller_of(viewer: Viewer) -> str:
    """The budget a token spends: its tenant and subject (facility scopes share it)."""
    return f"t:{viewer.tenant}\n{viewer.subject}"


def caller_at(address: str | None) -> str:
    """The budget of requests without a valid token: their client address."""
    return f"a:{address or '-'}"


class Limiter(Protocol):
    policy: Policy

    async def charge(self, caller: str, cost: int) -> Decision: ...

    def covers(self, caller: str, cost: int) -> bool:
        """Whether charging `cost` now takes no round trip to a database (the lane reads a
        cheap query beside a charge that does)."""
        ...


class MemoryLimiter:
    """Budgets in this process's memory (SQLite; and anonymous callers everywhere)."""

    def __init__(self, policy: Policy, clock: Clock = time.time) -> None:
        self.policy = policy
        self.clock = clock
        self.states: OrderedDict[str, float] = OrderedDict()

    def covers(self, caller: str, cost: int) -> bool:
        return True

    async def charge(self, caller: str, cost: int) -> Decision:
        decision = charge(self.policy, self.states.get(caller), self.clock(), cost)
        if decision.allowed:
            self.states[caller] = decision.tat
            self.states.move_to_end(caller)
            if len(self.states) > REMEMBERED_CALLERS:
                self.states.popitem(last=False)
        return decision


class PostgresLimiter:
    """Budgets in PostgreSQL, one statement per charge (app/repositories/fair_use.py): sent
    alone on a connection of `direct` (autocommit, no BEGIN and COMMIT around it) when given,
    else in a transaction of its own (behind PgBouncer, or while statements are traced).
    Requests are spent from leases charged ahead when a share of the budget covers two of
    them (app/domain/fair_use.py, LEASE_SHARE): one statement a second (or a share) per
    caller and process instead of one per request; what an expired lease has left is given
    back with the next charge."""

    def __init__(
        self,
        policy: Policy,
        db: SessionFactory,
        clock: Clock = time.time,
        direct: RowReads | None = None,
    ) -> None:
        self.policy = policy
        self.db = db
        self.clock = clock
        self.direct = direct
        #: Leases by caller, the least recently used forgotten beyond REMEMBERED_CALLERS
        #: (what it had left is not given back: it flows back with the rest).
        self.leases: OrderedDict[str, Lease] = OrderedDict()

    def covers(self, caller: str, cost: int) -> bool:
        lease = self.leases.get(caller)
        return lease is not None and lease.units >= max(1, cost) and self.clock() < lease.expires

    async def charge(self, caller: str, cost: int) -> Decision:
        now = self.clock()
        lease = self.leases.get(caller)
        refund = 0.0
        if lease is not None:
            decision = spend_from_lease(self.policy, lease, now, cost)
            if decision is not None:
                return decision
            if now >= lease.expires:
                # What it has left goes back with this charge (as far as it has not flowed
                # back already), whatever the charge's outcome.
                del self.leases[caller]
                refund = refund_of(self.policy, lease, now)
            # else what it has left joins the next lease
        size = lease_size(self.policy, cost)
        if size:
            tat, allowed = await self._charge(caller, now, size, refund)
            if allowed:
                return self._spend_new_lease(caller, lease_from(tat, size, now), now, cost)
            # Too little left for a lease: the request alone may still fit.
            refund = 0.0
        tat, allowed = await self._charge(caller, now, cost, refund)
        return outcome(self.policy, tat, allowed, now, cost)

    def _spend_new_lease(self, caller: str, lease: Lease, now: float, cost: int) -> Decision:
        # Another request of the caller may have charged a lease meanwhile: both were charged.
        current = self.leases.get(caller)
        if current is not None and now < current.expires:
            lease = merged(current, lease)
        self.leases[caller] = lease
        self.leases.move_to_end(caller)
        if len(self.leases) > REMEMBERED_CALLERS:
            self.leases.popitem(last=False)
        decision = spend_from_lease(self.policy, lease, now, cost)
        assert decision is not None, "a lease covers at least two requests of its cost"
        return decision

    async def _charge(
        self, caller: str, now: float, cost: int, refund: float = 0.0
    ) -> tuple[float, bool]:
        """Charges `cost` in the database, `refund` seconds given back first: the caller's
        state after it, and whether it fit."""
        charged = spend(self.policy, cost)
        limit = debt_limit(self.policy)
        if self.direct is not None and random.randrange(_SWEEP_ONE_IN) != 0:
            async with self.direct.connect() as connection:
                return await repo.charge_alone(connection, caller, now, charged, limit, refund)
        async with self.db() as session:
            result = await repo.charge(session, caller, now, charged, limit, refund)
            if random.randrange(_SWEEP_ONE_IN) == 0:
                await repo.forget_rested(session, now)
            await session.commit()
        return result


def create_limiter(
    policy: Policy, db: SessionFactory, dialect: str, direct: RowReads | None = None
) -> Limiter:
    """Budgets in PostgreSQL (shared by every process), else in this process's memory;
    `direct`: connections for sending the charge alone (only those on the driver's calls)."""
    if dialect == "postgresql":
        return PostgresLimiter(policy, db, direct=direct if direct and direct.direct else None)
    return MemoryLimiter(policy)
