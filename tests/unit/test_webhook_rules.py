"""The pure rules of webhooks: callback urls and addresses, which events a subscription gets,
who sees it, the body and its signature, the back-off schedule, sealed secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import random
from urllib.parse import urlsplit

import orjson
import pytest
from cryptography.exceptions import InvalidTag
from hypothesis import given
from hypothesis import strategies as st

from app import crypto
from app.domain.access import Viewer
from app.domain.errors import DomainError, ErrorCode, Problems
from app.domain.events import EventType
from app.domain.webhooks import (
    AddressRefused,
    RetryPolicy,
    SubscriptionScope,
    check_address,
    check_addresses,
    check_callback_url,
    check_events,
    delivery_body,
    facility_scope,
    failure_text,
    host_header,
    pinned_url,
    sees_subscription,
    sign,
    verify,
)
from app.settings import Settings

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",  # carrier-grade NAT
    "192.0.2.1",  # documentation
    "::1",
    "fe80::1",
    "fc00::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]
NEVER = ["0.0.0.0", "::", "224.0.0.1", "ff02::1"]
PUBLIC = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("text", REFUSED)
def test_private_loopback_and_link_local_addresses_need_the_setting(text: str) -> None:
    address = ipaddress.ip_address(text)
    with pytest.raises(AddressRefused, match="WEBHOOK_ALLOW_PRIVATE"):
        check_address(address, allow_private=False)
    check_address(address, allow_private=True)


@pytest.mark.parametrize("text", NEVER)
def test_unspecified_and_multicast_addresses_are_never_called(text: str) -> None:
    for allow in (False, True):
        with pytest.raises(AddressRefused, match="not a unicast address"):
            check_address(ipaddress.ip_address(text), allow_private=allow)


@pytest.mark.parametrize("text", PUBLIC)
def test_public_addresses_are_called(text: str) -> None:
    check_address(ipaddress.ip_address(text), allow_private=False)


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    mixed = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.1")]
    with pytest.raises(AddressRefused, match=r"10\.0\.0\.1"):
        check_addresses(mixed, allow_private=False)
    with pytest.raises(AddressRefused, match="no address"):
        check_addresses([], allow_private=True)
    check_addresses(mixed[:1], allow_private=False)


def url_problems(url: str, allow_private: bool = False) -> list[str]:
    problems = Problems()
    check_callback_url(url, problems, allow_private=allow_private)
    return [p.message for p in problems]


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/events",
        "http://hooks.example.com:8080/a/b?c=d",
        "https://[2606:4700:4700::1111]/x",
        "https://8.8.8.8/x",
    ],
)
def test_good_callback_urls(url: str) -> None:
    assert url_problems(url) == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/", "https:// or http://"),
        ("//hooks.example.com/", "https:// or http://"),
        ("https://u:p@hooks.example.com/", "credentials"),
        ("https://u@hooks.example.com/", "credentials"),
        ("https://hooks.example.com/#x", "fragment"),
        ("https://hooks.example.com:0/", "port"),
        ("https://hooks.example.com:70000/", "not a valid url"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://[::1/", "not a valid url"),
        ("https://bücher.example/", "ASCII form"),
        ("https://localhost/", "loopback"),
        ("https://api.localhost./", "loopback"),
        ("https://127.0.0.1/", "loopback"),
        ("https://" + "h" * 2100 + ".example.com/", "longer than 2048"),
    ],
)
def test_bad_callback_urls(url: str, reason: str) -> None:
    problems = url_problems(url)
    assert problems and any(reason in p for p in problems), problems


def test_loopback_callbacks_pass_when_allowed() -> None:
    assert url_problems("http://localhost:9000/hook", allow_private=True) == []
    assert url_problems("http://127.0.0.1:9000/hook", allow_private=True) == []


def test_the_request_goes_to_the_checked_address_with_the_original_host() -> None:
    parts = urlsplit("https://hooks.example.com:8443/in?x=1")
    assert pinned_url(parts, ipaddress.ip_address("8.8.8.8")) == "https://8.8.8.8:8443/in?x=1"
    assert (
        pinned_url(parts, ipaddress.ip_address("2606:4700::1"))
        == "https://[2606:4700::1]:8443/in?x=1"
    )
    assert host_header(parts) == "hooks.example.com:8443"
    assert host_header(urlsplit("http://[2606:4700::1]/")) == "[2606:4700::1]"
    assert pinned_url(urlsplit("http://h.example.com/p"), ipaddress.ip_address("8.8.4.4")) == (
        "http://8.8.4.4/p"
    )


def test_a_subscription_matches_its_types_in_its_facilities() -> None:
    everywhere = SubscriptionScope(frozenset({EventType.SERVICE_JOB_CHANGED}), None)
    assert everywhere.matches("SERVICE_JOB_CHANGED", "any")
    assert not everywhere.matches("SERVICE_JOB_CREATED", "any")
    some = SubscriptionScope(frozenset(EventType), frozenset({"fac-1", "fac-2"}))
    assert some.matches("LINKED_SERVICE_JOBS_MERGED", "fac-2")
    assert not some.matches("SERVICE_JOB_CHANGED", "fac-3")


def test_event_types_are_named_once_at_least_once() -> None:
    for events, fine in (
        ([], False),
        ([EventType.SERVICE_JOB_CREATED], True),
        ([EventType.SERVICE_JOB_CREATED, EventType.SERVICE_JOB_CREATED], False),
    ):
        problems = Problems()
        check_events(events, problems)
        assert (not problems) is fine


WIDE = Viewer("u", "acme")
SCOPED = Viewer("u", "acme", frozenset({"fac-1", "fac-2"}))


def test_facility_scope_of_a_new_subscription() -> None:
    assert facility_scope(WIDE, None) is None
    assert facility_scope(WIDE, ["fac-9"]) == frozenset({"fac-9"})
    # A facility-scoped caller: its own facilities when it names none, a subset when it does.
    assert facility_scope(SCOPED, None) == frozenset({"fac-1", "fac-2"})
    assert facility_scope(SCOPED, ["fac-2"]) == frozenset({"fac-2"})
    with pytest.raises(DomainError) as refused:
        facility_scope(SCOPED, ["fac-2", "fac-3"])
    (problem,) = refused.value.problems
    assert (problem.code, problem.field) == (ErrorCode.NOT_FOUND, "facilityRefs")
    assert "fac-3" in problem.message
    for bad in ([], [""], [" fac-1"], ["f"] * 101):
        with pytest.raises(DomainError):
            facility_scope(WIDE, bad)


def test_who_sees_a_subscription() -> None:
    assert sees_subscription(WIDE, None) and sees_subscription(WIDE, ["fac-7"])
    assert sees_subscription(SCOPED, ["fac-1"]) and sees_subscription(SCOPED, ["fac-1", "fac-2"])
    assert not sees_subscription(SCOPED, None)
    assert not sees_subscription(SCOPED, ["fac-1", "fac-3"])


def test_the_body_and_its_signature() -> None:
    body = delivery_body(
        event_id=42,
        event_type="SERVICE_JOB_CHANGED",
        entity_type="ServiceJob",
        entity_id="j-1",
        facility_ref="fac-1",
        version=3,
        occurred_at="2026-12-02T10:00:00+00:00",
        payload={"status": "OPEN"},
    )
    assert orjson.loads(body) == {
        "event": "SERVICE_JOB_CHANGED",
        "eventId": "42",
        "payload": {
            "entityType": "ServiceJob",
            "entityId": "j-1",
            "facilityRef": "fac-1",
            "version": 3,
            "occurredAt": "2026-12-02T10:00:00+00:00",
            "status": "OPEN",
        },
    }
    # base64(HMAC-SHA256(secret, body)), as any receiver computes it.
    expected = base64.b64encode(hmac.new(b"whsec_k", body, hashlib.sha256).digest()).decode()
    assert sign("whsec_k", body) == expected
    assert verify("whsec_k", body, expected)
    assert not verify("whsec_k", body + b" ", expected)
    assert not verify("whsec_other", body, expected)


@given(attempts=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_backoff_is_exponential_with_jitter_within_half_a_step(attempts: int, seed: int) -> None:
    policy = RetryPolicy(max_attempts=10, base_seconds=5, max_seconds=3600)
    step = min(3600, 5 * 2 ** (attempts - 1))
    delay = policy.delay(attempts, random.Random(seed))
    assert step / 2 <= delay <= step


def test_backoff_schedule_and_giving_up() -> None:
    policy = RetryPolicy(max_attempts=4, base_seconds=2, max_seconds=10)
    lows = [policy.delay(n, random.Random(0)) for n in range(1, 6)]
    assert [1 <= lows[0] <= 2, 2 <= lows[1] <= 4, 4 <= lows[2] <= 8] == [True] * 3
    assert all(5 <= d <= 10 for d in lows[3:])
    # Jitter: the same step gives different waits.
    assert len({policy.delay(3) for _ in range(20)}) > 1
    assert [policy.gives_up(n) for n in (1, 3, 4, 5)] == [False, False, True, True]


def test_errors_kept_on_a_delivery_are_one_bounded_line() -> None:
    assert failure_text("a\n  b\tc") == "a b c"
    long = failure_text("x" * 2000)
    assert len(long) == 500 and long.endswith("…")


def test_secrets_are_sealed_with_a_key_of_their_own() -> None:
    key = crypto.derive_key("jwt-secret", b"jobtree webhook secrets")
    assert key != crypto.derive_key("jwt-secret", b"another purpose")
    assert len(key) == 32
    sealed = crypto.seal(key, b"whsec_abc")
    assert b"whsec_abc" not in sealed and sealed != crypto.seal(key, b"whsec_abc")
    assert crypto.open_sealed(key, sealed) == b"whsec_abc"
    with pytest.raises(InvalidTag):
        crypto.open_sealed(crypto.derive_key("rotated", b"jobtree webhook secrets"), sealed)
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(InvalidTag):
        crypto.open_sealed(key, tampered)


def test_a_lease_shorter_than_the_timeout_is_refused_at_start_up() -> None:
    with pytest.raises(ValueError, match="WEBHOOK_LEASE_SECONDS must be longer"):
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            webhook_timeout_seconds=30,
            webhook_lease_seconds=30,
        )
    fine = Settings(_env_file=None, webhook_timeout_seconds=5, webhook_lease_seconds=6)  # type: ignore[call-arg]
    assert fine.webhook_sealing_key == Settings(_env_file=None).webhook_sealing_key  # type: ignore[call-arg]
