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
from app.domain.fair_use import Decision, Policy, charge, debt_limit, outcome, spend
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
    #: Whether a charge is a round trip to a database (worth overlapping with a cheap read).
    remote: bool

    async def charge(self, caller: str, cost: int) -> Decision: ...


class MemoryLimiter:
    """Budgets in this process's memory (SQLite; and anonymous callers everywhere)."""

    remote = False

    def __init__(self, policy: Policy, clock: Clock = time.time) -> None:
        self.policy = policy
        self.clock = clock
        self.states: OrderedDict[str, float] = OrderedDict()

    async def charge(self, caller: str, cost: int) -> Decision:
        decision = charge(self.policy, self.states.get(caller), self.clock(), cost)
        if decision.allowed:
            self.states[caller] = decision.tat
            self.states.move_to_end(caller)
            if len(self.states) > REMEMBERED_CALLERS:
                self.states.popitem(last=False)
        return decision


class PostgresLimiter:
    """Budgets in PostgreSQL, one statement per request (app/repositories/fair_use.py): sent
    alone on a connection of `direct` (autocommit, no BEGIN and COMMIT around it) when given,
    else in a transaction of its own (behind PgBouncer, or while statements are traced)."""

    remote = True

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

    async def charge(self, caller: str, cost: int) -> Decision:
        now = self.clock()
        if self.direct is not None and random.randrange(_SWEEP_ONE_IN) != 0:
            async with self.direct.connect() as connection:
                tat, allowed = await repo.charge_alone(
                    connection, caller, now, spend(self.policy, cost), debt_limit(self.policy)
                )
            return outcome(self.policy, tat, allowed, now, cost)
        async with self.db() as session:
            tat, allowed = await repo.charge(
                session, caller, now, spend(self.policy, cost), debt_limit(self.policy)
            )
            if random.randrange(_SWEEP_ONE_IN) == 0:
                await repo.forget_rested(session, now)
            await session.commit()
        return outcome(self.policy, tat, allowed, now, cost)


def create_limiter(
    policy: Policy, db: SessionFactory, dialect: str, direct: RowReads | None = None
) -> Limiter:
    """Budgets in PostgreSQL (shared by every process), else in this process's memory;
    `direct`: connections for sending the charge alone (only those on the driver's calls)."""
    if dialect == "postgresql":
        return PostgresLimiter(policy, db, direct=direct if direct and direct.direct else None)
    return MemoryLimiter(policy)
