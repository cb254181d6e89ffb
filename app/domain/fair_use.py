"""Fair use: a budget of query cost per caller and window, spent by GCRA (the generic cell
rate algorithm, a token bucket written as one timestamp).

A caller's state is its theoretical arrival time `tat`: the moment its spent budget will have
flowed back completely. Each unit of cost moves it `window / limit` seconds ahead; a request
fits while the caller's debt after it (`tat - now`) stays within one window, so a rested caller
can spend its whole budget at once and then `limit` units per window. Nothing here reads a
clock: `now` is given, so the rule is the same in memory (SQLite, one process) and in the
single SQL statement that applies it on PostgreSQL (app/repositories/fair_use.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Rounding slack, in units of cost: seconds as floats near 1.7e9 carry ~1e-7 s of error.
_SLACK = 1e-6
#: A query estimated to cost at most this much is read while its charge is on its way to a
#: budget kept in a database, instead of after it: one round trip less for what frontends send
#: all day (one job costs 7, a page of 100 jobs with their line items about 25,700).
#: A refused one still answers RATE_LIMITED with no data; it has read at most this much. A
#: dearer query (a 1,000-job tree costs about 259,000) is charged before anything is read.
READ_BESIDE_CHARGE_MAX_COST = 50_000


@dataclass(frozen=True)
class Policy:
    """`limit` units of query cost per `window` seconds, spendable at once."""

    limit: int
    window: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("a fair use policy needs a limit >= 1 and a window > 0")

    @property
    def interval(self) -> float:
        """Seconds one unit of cost takes to flow back."""
        return self.window / self.limit

    def header(self) -> str:
        """`RateLimit-Policy` of the IETF draft (draft-ietf-httpapi-ratelimit-headers-07)."""
        window = int(self.window) if float(self.window).is_integer() else self.window
        return f'{self.limit};w={window};comment="query cost"'


@dataclass(frozen=True)
class Decision:
    """The outcome of one request: whether it may run and what the caller has left."""

    allowed: bool
    #: The caller's theoretical arrival time after this request (unchanged when refused).
    tat: float
    limit: int
    remaining: int
    #: Seconds until the whole budget is back.
    reset_after: float
    #: Seconds until this request would fit (0 when it was allowed).
    retry_after: float

    def headers(self, policy: Policy) -> dict[str, str]:
        """RateLimit-Limit, -Remaining, -Reset and -Policy, and Retry-After on refusal."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after)),
            "RateLimit-Policy": policy.header(),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_seconds())
        return headers

    def retry_after_seconds(self) -> int:
        """Retry-After in whole seconds, at least 1."""
        return max(1, math.ceil(self.retry_after))


def charge(
    policy: Policy, tat: float | None, now: float, cost: int, refund: float = 0.0
) -> Decision:
    """Spend `cost` (at least 1) of the budget of a caller whose state is `tat` (None: never
    seen), after giving back `refund` seconds of a lease that expired unspent (`refund_of`).
    A request costing more than the caller has left is refused and spends nothing; the
    refund is given back either way."""
    given_back = now if tat is None else tat - refund
    after = max(given_back, now) + spend(policy, cost)
    if fits(policy, after, now):
        return outcome(policy, after, True, now, cost)
    return outcome(policy, given_back, False, now, cost)


def fits(policy: Policy, tat_after: float, now: float) -> bool:
    """Whether a request that would move the state to `tat_after` keeps the caller's debt
    within one window. The SQL statement on PostgreSQL tests exactly this."""
    return tat_after - now <= debt_limit(policy)


def debt_limit(policy: Policy) -> float:
    """The most debt, in seconds, a caller may have after a request: one window (and the
    rounding slack)."""
    return policy.window + _SLACK * policy.interval


def spend(policy: Policy, cost: int) -> float:
    """The seconds of debt a request of `cost` adds (every request costs at least 1)."""
    return max(1, cost) * policy.interval


def outcome(policy: Policy, tat: float, allowed: bool, now: float, cost: int) -> Decision:
    """The decision for a caller whose state is now `tat`: after the request if it was
    `allowed`, as it was before the request if not (what the SQL statement returns)."""
    debt = max(0.0, tat - now)
    remaining = math.floor((policy.window - debt) / policy.interval + _SLACK)
    retry_after = 0.0
    if not allowed:
        retry_after = max(0.0, max(tat, now) + spend(policy, cost) - policy.window - now)
    return Decision(
        allowed=allowed,
        tat=tat,
        limit=policy.limit,
        remaining=max(0, min(policy.limit, remaining)),
        reset_after=debt,
        retry_after=retry_after,
    )


#: Where budgets are kept in a database, a process charges a caller a share of its limit
#: ahead (a lease: 1/LEASE_SHARE of it, when that covers at least two requests of the cost
#: at hand) and spends it in memory, so a caller's requests cost one statement a
#: LEASE_SECONDS (or a share) instead of one each: a page of 100 jobs (cost ~25,700) takes
#: one statement in ~23 with the default budget. Every unit spent was charged first, so a
#: caller never gets more than its budget plus one share per process. What a lease has left
#: when it expires is given back with the process's next charge for that caller, as far as it
#: has not flowed back already (`refund_of`): sporadic requests spread over processes cost
#: what they spend, not a share each. A caller may be refused up to one share per process
#: early (units leased by other processes and not spent yet).
LEASE_SHARE = 100
LEASE_SECONDS = 1.0


@dataclass
class Lease:
    """Budget a process charged ahead for one caller: `units` of it left to spend until
    `expires`, and the caller's state `tat` once the whole lease was charged; `size`: the
    units of the charge that left it at `tat` (the most that may be refunded, see
    `refund_of`)."""

    tat: float
    units: int
    expires: float
    size: int


def lease_size(policy: Policy, cost: int) -> int:
    """The units to charge ahead for a request of `cost` (0: charge the request alone)."""
    share = policy.limit // LEASE_SHARE
    return share if share >= 2 * max(1, cost) else 0


def lease_from(tat: float, size: int, now: float) -> Lease:
    """A lease of `size` units just charged, which left the caller's state at `tat`."""
    return Lease(tat=tat, units=size, expires=now + LEASE_SECONDS, size=size)


def refund_of(policy: Policy, lease: Lease, now: float) -> float:
    """The seconds of debt to give back for what a lease has left: its units, at most those
    of its last charge (spending counts earlier charges' units first), and no more than the
    debt that charge left beyond `now`.

    Why that never gives back what the caller used: removing the unspent units from the
    lease's charge would have left every later state of the caller at most that many units'
    seconds lower, and exactly that lower until the caller's debt ran out at a charge (a
    state never goes below the time of a charge). A charge at time t leaves the state at
    least at the lease's `tat`, so after it the difference is at least `tat - t`, hence at
    least `tat - now`. The smaller of the two bounds is given back."""
    units = min(lease.units, lease.size)
    if units <= 0:
        return 0.0
    return max(0.0, min(units * policy.interval, lease.tat - now))


def spend_from_lease(policy: Policy, lease: Lease, now: float, cost: int) -> Decision | None:
    """Spends a request of `cost` from the lease: the decision, with what the caller would
    have left had exactly what was spent been charged; None when the lease has expired or
    has too little left (the request is then charged otherwise)."""
    units = max(1, cost)
    if now >= lease.expires or lease.units < units:
        return None
    lease.units -= units
    return outcome(policy, lease.tat - lease.units * policy.interval, True, now, cost)


def merged(lease: Lease, other: Lease) -> Lease:
    """Two leases of one caller charged side by side (concurrent requests): both charges
    were applied, so the later state holds and the units add up."""
    later = lease if lease.tat >= other.tat else other
    return Lease(
        tat=later.tat,
        units=lease.units + other.units,
        expires=min(lease.expires, other.expires),
        size=later.size,
    )
