"""Every mutation answers through one helper: a refusal becomes `userErrors` with every entity
of the payload null, and the translation from `DomainError` is written once."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from strawberry.types.base import get_object_definition

from app.domain.errors import DomainError, ErrorCode, Problem
from app.graphql.common.errors import UserErrorCode
from app.graphql.common.payloads import MutationPayload, answer
from app.graphql.schema import Mutation
from app.graphql.service_jobs.payload import ServiceJobPayload

ROOT = Path(__file__).resolve().parents[2]


def _payload_types() -> list[type]:
    payloads = []
    for field in get_object_definition(Mutation, strict=True).fields:
        assert isinstance(field.type, type), field.name
        payloads.append(field.type)
    return payloads


def test_every_mutation_payload_shares_the_refusal() -> None:
    outliers = [p.__name__ for p in _payload_types() if not issubclass(p, MutationPayload)]
    assert outliers == []


@pytest.mark.parametrize("payload", _payload_types(), ids=lambda p: p.__name__)
def test_a_refused_payload_has_its_problems_and_nothing_else(
    payload: type,
) -> None:
    assert issubclass(payload, MutationPayload)
    error = DomainError([Problem(ErrorCode.VERSION_CONFLICT, "stale", "version", 7)])
    refused = payload.refused(error)
    values = vars(refused)
    assert [(e.code, e.message, e.field, e.current_version) for e in values["user_errors"]] == [
        (UserErrorCode.VERSION_CONFLICT, "stale", "version", 7)
    ]
    assert {name: value for name, value in values.items() if name != "user_errors"} == {
        name: None for name in values if name != "user_errors"
    }
    assert len(values) >= 2


def test_answer_turns_a_refusal_raised_while_converting_input_into_user_errors() -> None:
    async def change() -> object:
        raise DomainError([Problem(ErrorCode.VALIDATION_FAILED, "bad", "input.users", None)])

    def done(_: object) -> ServiceJobPayload:
        raise AssertionError("a refused change is never answered as done")

    payload = asyncio.run(answer(ServiceJobPayload, change, done))
    assert payload.service_job is None
    assert [e.field for e in payload.user_errors] == ["input.users"]


def test_answer_awaits_an_asynchronous_answer() -> None:
    async def change() -> int:
        return 1

    async def done(value: int) -> ServiceJobPayload:
        return ServiceJobPayload(service_job=None, user_errors=[])

    payload = asyncio.run(answer(ServiceJobPayload, change, done))
    assert payload.user_errors == []


def test_unexpected_errors_are_not_turned_into_user_errors() -> None:
    async def change() -> int:
        raise RuntimeError("boom")

    def done(_: int) -> ServiceJobPayload:
        raise AssertionError("a failed change is never answered as done")

    with pytest.raises(RuntimeError):
        asyncio.run(answer(ServiceJobPayload, change, done))


def test_domain_errors_are_translated_in_one_place_only() -> None:
    found = subprocess.run(
        ["git", "grep", "-n", "except DomainError", "--", "app"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.splitlines()
    assert [line.split(":")[0] for line in found] == ["app/graphql/common/payloads.py"]
