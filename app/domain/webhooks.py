"""Webhooks, the pure rules: which callback urls and addresses are allowed, which events a
subscription receives, who sees a subscription, how a delivery is signed, and when a failed one
is tried again. No I/O: the delivery service (app/services/webhook_delivery.py) resolves names
and sends requests, these functions decide."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import SplitResult, urlsplit

import orjson

from app.domain.access import Viewer
from app.domain.errors import Problems, not_found
from app.domain.events import EventType
from app.domain.text_limits import ID_LENGTH, URL_LENGTH

#: Most subscriptions one tenant may have (each costs a scan of the tenant's events).
MAX_SUBSCRIPTIONS_PER_TENANT = 50
#: Most facilities one subscription may name.
MAX_FACILITY_REFS = 100
SIGNATURE_HEADER = "X-Signature-SHA256"
EVENT_ID_HEADER = "X-Event-Id"
#: Longest error text kept on a delivery.
MAX_ERROR_LENGTH = 500
SECRET_PREFIX = "whsec_"


class DeliveryStatus(StrEnum):
    #: Waiting for its first or next attempt (or being attempted right now).
    PENDING = "PENDING"
    #: The receiver answered 2xx.
    DELIVERED = "DELIVERED"
    #: Every attempt failed; no more are made.
    DEAD = "DEAD"


# Callback urls and addresses.


class AddressRefused(ValueError):
    """A callback's host is, or resolves to, an address webhooks are not sent to."""


def check_callback_url(url: str, problems: Problems, *, allow_private: bool) -> None:
    """An absolute http(s) url with a host, no credentials and no fragment, at most URL_LENGTH
    characters; a literal address (or `localhost`) must be one callbacks may reach. Names are
    resolved, and their addresses checked, on every delivery (app/services/webhook_delivery.py),
    since what a name resolves to can change."""
    field = "callbackUrl"
    if len(url) > URL_LENGTH:
        problems.invalid(f"The callback url is longer than {URL_LENGTH} characters.", field)
        return
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        problems.invalid(f"The callback url is not a valid url: {exc}.", field)
        return
    if parts.scheme not in {"http", "https"}:
        problems.invalid("The callback url must start with https:// or http://.", field)
        return
    if not parts.hostname:
        problems.invalid("The callback url names no host.", field)
        return
    if not parts.hostname.isascii():
        problems.invalid("Give the callback url's host in its ASCII form (punycode, xn--…).", field)
        return
    if parts.username is not None or parts.password is not None:
        problems.invalid(
            "The callback url must not carry credentials; check the signature instead.", field
        )
    if parts.fragment or url.endswith("#"):
        problems.invalid("The callback url must not have a fragment (#…).", field)
    if port == 0:
        problems.invalid("The callback url's port must be between 1 and 65535.", field)
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        problems.invalid("The callback url must not contain spaces or control characters.", field)
    try:
        check_host(parts.hostname, allow_private=allow_private)
    except AddressRefused as exc:
        problems.invalid(str(exc), field)


def check_host(host: str, *, allow_private: bool) -> None:
    """Refuse `localhost` and literal addresses callbacks may not reach; other names pass
    (their addresses are checked once resolved)."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        if not allow_private:
            raise AddressRefused(
                f"Callbacks to {host!r} (loopback) are refused (WEBHOOK_ALLOW_PRIVATE)."
            )
        return
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return
    check_address(address, allow_private=allow_private)


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def check_address(address: IPAddress, *, allow_private: bool) -> None:
    """Callbacks go to public unicast addresses only, unless `allow_private` (then private,
    loopback and link-local ones are reached too); unspecified and multicast addresses never.
    An IPv4 address mapped into IPv6 (::ffff:a.b.c.d) is judged as the IPv4 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        raise AddressRefused(f"Callbacks to {address} are refused (not a unicast address).")
    if address.is_global and not address.is_reserved:
        return
    if allow_private:
        return
    kind = (
        "loopback"
        if address.is_loopback
        else "link-local"
        if address.is_link_local
        else "private or reserved"
    )
    raise AddressRefused(
        f"Callbacks to {address} ({kind}) are refused; WEBHOOK_ALLOW_PRIVATE=true allows them."
    )


def check_addresses(addresses: Iterable[IPAddress], *, allow_private: bool) -> None:
    """Every address a name resolves to must be allowed: a name with one private address among
    public ones could be steered to it."""
    found = False
    for address in addresses:
        check_address(address, allow_private=allow_private)
        found = True
    if not found:
        raise AddressRefused("The callback's host resolves to no address.")


def pinned_url(parts: SplitResult, address: IPAddress) -> str:
    """The callback url with its host replaced by the checked address, so the request goes
    where the check looked (a second resolution could answer differently)."""
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def host_header(parts: SplitResult) -> str:
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host if parts.port is None else f"{host}:{parts.port}"


# Which events a subscription receives, and who sees it.


@dataclass(frozen=True, slots=True)
class SubscriptionScope:
    """What a subscription receives: these event types, in these facilities (None: all the
    tenant's facilities)."""

    events: frozenset[EventType]
    facility_refs: frozenset[str] | None

    def matches(self, event_type: str, facility_ref: str) -> bool:
        if event_type not in self.events:
            return False
        return self.facility_refs is None or facility_ref in self.facility_refs


def check_events(events: Collection[EventType], problems: Problems) -> None:
    if not events:
        problems.invalid("Name at least one event type.", "events")
    elif len(set(events)) != len(events):
        problems.invalid("Each event type may be named once.", "events")


def facility_scope(viewer: Viewer, facility_refs: list[str] | None) -> frozenset[str] | None:
    """The facilities a new subscription of `viewer` covers. A tenant-wide caller names any
    facilities (or none: all of them). A facility-scoped caller's subscription never reaches
    beyond its token's facilities: naming none means all of its own; naming one outside them is
    NOT_FOUND, like any facility it cannot see."""
    problems = Problems()
    if facility_refs is not None:
        if not facility_refs:
            problems.invalid(
                "Name at least one facility, or leave facilityRefs out for all.", "facilityRefs"
            )
        if len(facility_refs) > MAX_FACILITY_REFS:
            problems.too_many(
                f"A subscription names at most {MAX_FACILITY_REFS} facilities.", "facilityRefs"
            )
        for ref in facility_refs:
            if not ref or len(ref) > ID_LENGTH or ref != ref.strip():
                problems.invalid(f"{ref[:80]!r} is not a facility id.", "facilityRefs")
                break
    problems.raise_if_any()
    if facility_refs is None:
        return viewer.facilities
    for ref in facility_refs:
        if not viewer.sees_facility(ref):
            raise not_found("Facility", ref, "facilityRefs")
    return frozenset(facility_refs)


def sees_subscription(viewer: Viewer, facility_refs: Collection[str] | None) -> bool:
    """A tenant-wide caller sees every subscription of its tenant; a facility-scoped one those
    limited to facilities within its own (never a tenant-wide subscription)."""
    if viewer.facilities is None:
        return True
    return facility_refs is not None and set(facility_refs) <= viewer.facilities


# The request: its body, its signature.


def delivery_body(
    *,
    event_id: int,
    event_type: str,
    entity_type: str,
    entity_id: str,
    facility_ref: str,
    version: int,
    occurred_at: str,
    payload: dict[str, Any],
) -> bytes:
    """`{"event", "eventId", "payload"}`: the payload carries the entity, its facility and
    version, when it happened and the event's own summary (as the `events` query shows it)."""
    return orjson.dumps(
        {
            "event": event_type,
            "eventId": str(event_id),
            "payload": {
                "entityType": entity_type,
                "entityId": entity_id,
                "facilityRef": facility_ref,
                "version": version,
                "occurredAt": occurred_at,
                **payload,
            },
        }
    )


def sign(secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(secret, body)): the X-Signature-SHA256 header."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), signature)


# When to try again.


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds before the next attempt after `attempts` failed ones: exponential
        (base · 2^(attempts-1), capped at max_seconds) with "equal jitter" — half of it fixed,
        the other half random — so receivers coming back are not hit by every retry at once
        and a retry never comes sooner than half its step."""
        step = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return float(step / 2 + (rng or _RANDOM).uniform(0, step / 2))

    def gives_up(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


_RANDOM = random.SystemRandom()


def failure_text(message: str) -> str:
    """An error kept on a delivery: one line, bounded."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"
