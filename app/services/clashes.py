"""Racing writes of one unique value: the writer that loses hits the table's unique key
(IntegrityError) after its own check found the value free. Each such key a client's value can
hit is named here, so the loser gets the same CONFLICT a later writer gets from the check."""

from __future__ import annotations

from app.db.unique import UniqueKey
from app.domain.errors import DomainError, conflict

_KEYS: dict[UniqueKey, tuple[str, str]] = {
    UniqueKey("service_order", frozenset({"tenant", "tenant_order_id"})): (
        "This tenantOrderId is already taken in this tenant.",
        "tenantOrderId",
    ),
    UniqueKey("custom_service", frozenset({"tenant", "tenant_custom_service_id"})): (
        "This tenantCustomServiceId is already used by another custom service.",
        "tenantCustomServiceId",
    ),
    UniqueKey(
        "custom_service_additional_information",
        frozenset({"custom_service_id", "tenant_additional_information_id"}),
    ): (
        "This tenantAdditionalInformationId is already used on this custom service.",
        "additionalInformation.tenantAdditionalInformationId",
    ),
    UniqueKey(
        "facility_custom_service_connection",
        frozenset({"tenant", "facility_ref", "custom_service_id"}),
    ): (
        "The facility is already connected to this custom service; update that connection instead.",
        "customServiceId",
    ),
}

#: Any other key (a requirement listed by two writers at once, a job linked twice): the
#: client's change met another one made at the same moment.
_OTHER = "It clashes with a change made at the same time; reload and try again."


def clash_conflict(key: UniqueKey) -> DomainError:
    message, field = _KEYS.get(key, (_OTHER, None))
    return conflict(message, field)


def known_keys() -> frozenset[UniqueKey]:
    return frozenset(_KEYS)


def removed_meanwhile() -> DomainError:
    """A write that refers to a row (a custom service, a job, a tree) another writer removed
    after this one had checked it."""
    return conflict(
        "Something it refers to was removed by a change made at the same time; reload and "
        "try again.",
        None,
    )
