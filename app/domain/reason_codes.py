"""Cancellation reason codes of the marketplace close-out flow (seed 000), as data.

Each code lists the marketplaces it is valid in, per column: `default` for ordinary jobs and
`heavy_bulky` for jobs whose serviceType is "heavybulky". Codes not in use (S7-S12, S18-S19,
S21-S26, S48-S50, S53-S54) are absent, so they are refused like unknown ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.errors import validation_failed
from app.domain.service_jobs import MARKETPLACES

US, UK, DE, IN = "ATVPDKIKX0DER", "A1F83G8C2ARO7P", "A1PA6795UKMFR9", "A21TJRUUN4KGV"
ALL = frozenset({US, IN, UK, DE})
NONE: frozenset[str] = frozenset()
HEAVY_BULKY = "heavybulky"


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: str
    description: str
    default: frozenset[str]
    heavy_bulky: frozenset[str]


def _code(code: str, description: str, default: set[str], heavy: set[str]) -> ReasonCode:
    return ReasonCode(code, description, frozenset(default), frozenset(heavy))


REASON_CODES: Mapping[str, ReasonCode] = {
    r.code: r
    for r in (
        _code("S1", "Customer didn't show up.", set(ALL), set(ALL)),
        _code("S2", "Customer outside service area.", set(), {DE}),
        _code(
            "S3", "Work is different than scoped and order cannot be completed.", set(ALL), set(ALL)
        ),
        _code("S4", "Provider unable to contact customer.", set(), {DE}),
        _code("S5", "Provider cannot meet customer's schedule.", set(), {DE}),
        _code("S6", "Job requires professional trade license.", set(), {DE}),
        _code("S13", "Provider cannot meet original appointment.", set(ALL), {US, IN, UK}),
        _code("S14", "Provider cannot meet new appointment request.", {US}, {US}),
        _code("S15", "Problem with Amazon product or its delivery.", set(ALL), {US, IN, UK}),
        _code(
            "S16", "Problem with non-Amazon product, delivery, or service.", {US, UK, DE}, {US, UK}
        ),
        _code("S17", "I don't need this service.", {US, IN}, {US, IN}),
        _code("S20", "Too expensive.", {IN}, {IN}),
        _code("S27", "Brand installed.", {IN}, {IN}),
        _code("S28", "Coverage area changed.", set(), set()),
        _code("S29", "Pricing mistake.", set(), set()),
        _code("S30", "No longer works with customer schedule.", set(), set()),
        _code("S31", "Product damaged.", {IN}, set()),
        _code("S32", "Risky site.", {IN}, set()),
        _code("S33", "Customer wants cancellation.", {IN}, set()),
        _code("S34", "Site not ready.", {IN}, set()),
        _code("S35", "Product not delivered.", {IN}, set()),
        _code("S36", "Additional material needed.", {IN}, set()),
        _code("S37", "Customer wants reschedule.", {IN}, set()),
        _code("S38", "Product returned.", {IN}, set()),
        _code("S39", "We could not reach you.", {IN}, set()),
        _code("S40", "Service already completed.", {IN}, set()),
        _code("S41", "Service in another location.", {IN}, set()),
        _code("S42", "Needs revisit.", {IN}, set()),
        _code("S43", "Documents not available.", {IN}, set()),
        _code("S44", "Slot missed.", {IN}, set()),
        _code("S45", "Parts not available.", {IN}, set()),
        _code("S46", "Wrong completion.", {IN}, set()),
        _code("S47", "Need customer approval for repair.", {IN}, set()),
        _code(
            "S51",
            "Installation done by third party and customer does not require installation.",
            {IN},
            set(),
        ),
        _code(
            "S52",
            "Product damaged, non-installable product, customer returned the product, "
            "or product gifted.",
            {IN},
            set(),
        ),
        _code("S55", "Restriction on visit.", {IN}, set()),
    )
}


def is_heavy_bulky(service_type: str | None) -> bool:
    return (service_type or "").strip().lower() == HEAVY_BULKY


def codes_for(marketplace_id: str, service_type: str | None) -> list[ReasonCode]:
    """The codes valid for a marketplace, in the column the service type selects."""
    heavy = is_heavy_bulky(service_type)
    return [
        r
        for r in REASON_CODES.values()
        if marketplace_id in (r.heavy_bulky if heavy else r.default)
    ]


def check_reason_code(code: str, marketplace_id: str, service_type: str | None) -> ReasonCode:
    """The reason code if it may cancel a job of this marketplace and service type."""
    column = "Heavy bulky" if is_heavy_bulky(service_type) else "Default"
    market = MARKETPLACES.get(marketplace_id, marketplace_id)
    reason = REASON_CODES.get(code)
    if reason is None:
        raise validation_failed(f"Reason code {code!r} is not in use.", "reasonCode")
    if marketplace_id not in (
        reason.heavy_bulky if is_heavy_bulky(service_type) else reason.default
    ):
        raise validation_failed(
            f"Reason code {code!r} is not valid for marketplace {market} in the {column} column.",
            "reasonCode",
        )
    return reason
