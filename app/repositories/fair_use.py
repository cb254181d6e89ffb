"""Fair use state on PostgreSQL: GCRA (app/domain/fair_use.py) applied by one statement."""

from __future__ import annotations

from sqlalchemy import Boolean, Float, text
from sqlmodel.ext.asyncio.session import AsyncSession

from app.db.core import execute_core
from app.db.row_reads import ReadConnection

#: One statement per request, atomic under concurrency (the row is locked by the upsert):
#: the caller's new theoretical arrival time if the request fits within one window of debt,
#: else the old one, and which of the two it was; either way less `refund` seconds given back
#: from a lease that expired unspent (app.domain.fair_use.refund_of). SET expressions read the
#: row as it was. The condition is app.domain.fair_use.fits, with its slack.
_NOW = "CAST(:now AS double precision)"
_SPEND = "CAST(:spend AS double precision)"
_LIMIT = "CAST(:limit AS double precision)"
_GIVEN_BACK = "(b.tat - CAST(:refund AS double precision))"
_FITS = f"GREATEST({_GIVEN_BACK}, {_NOW}) + {_SPEND} - {_NOW} <= {_LIMIT}"
_CHARGE = text(
    f"""
    INSERT INTO fair_use_bucket AS b (caller, tat, allowed)
    VALUES (:caller,
            CASE WHEN {_SPEND} <= {_LIMIT} THEN {_NOW} + {_SPEND} ELSE {_NOW} END,
            {_SPEND} <= {_LIMIT})
    ON CONFLICT (caller) DO UPDATE SET
        tat = CASE WHEN {_FITS} THEN GREATEST({_GIVEN_BACK}, {_NOW}) + {_SPEND}
                   ELSE {_GIVEN_BACK} END,
        allowed = {_FITS}
    RETURNING tat, allowed
    """
).columns(tat=Float, allowed=Boolean)
_FORGET_RESTED = text("DELETE FROM fair_use_bucket WHERE tat < :now")


def _parameters(
    caller: str, now: float, spend: float, limit: float, refund: float
) -> dict[str, object]:
    return {"caller": caller, "now": now, "spend": spend, "limit": limit, "refund": refund}


async def charge(
    session: AsyncSession,
    caller: str,
    now: float,
    spend: float,
    limit: float,
    refund: float = 0.0,
) -> tuple[float, bool]:
    """Spend `spend` seconds of the caller's window (`limit` seconds plus the rule's slack),
    `refund` seconds given back first: its state afterwards (only the refund applied when
    refused) and whether the request fits."""
    row = (
        await execute_core(session, _CHARGE, _parameters(caller, now, spend, limit, refund))
    ).one()
    return float(row.tat), bool(row.allowed)


async def charge_alone(
    connection: ReadConnection,
    caller: str,
    now: float,
    spend: float,
    limit: float,
    refund: float = 0.0,
) -> tuple[float, bool]:
    """`charge` as a statement of its own, in autocommit: one round trip, no transaction
    (the upsert is atomic by itself)."""
    _, rows = await connection.rows(_CHARGE, _parameters(caller, now, spend, limit, refund))
    tat, allowed = rows[0]
    return float(tat), bool(allowed)


async def forget_rested(session: AsyncSession, now: float) -> int:
    """Delete the state of callers whose whole budget is back (they are as good as new)."""
    result = await execute_core(session, _FORGET_RESTED, {"now": now})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
