"""Answers to a job's additional information: matched to the job's questions, checked against
each question's value type, and the mandatory ones required before a job may finish."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.custom_services import ValueType
from app.domain.errors import ErrorCode, Problems
from app.domain.localized import resolve_text

MAX_VALUES = 15
MAX_VALUE_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class GivenValue:
    """A value as a client sends it: the question by our id or the tenant's id."""

    additional_information_ref: str | None
    tenant_additional_information_ref: str | None
    value: str | None


def _find(definitions: Sequence[Mapping[str, Any]], given: GivenValue) -> Mapping[str, Any] | None:
    if given.additional_information_ref is not None:
        return next((d for d in definitions if d["id"] == given.additional_information_ref), None)
    return next(
        (
            d
            for d in definitions
            if d.get("tenantAdditionalInformationId") == given.tenant_additional_information_ref
        ),
        None,
    )


def _coerce(value_type: ValueType, raw: str | None, where: str, problems: Problems) -> object:
    if value_type is ValueType.NOVALUE:
        if raw is not None:
            problems.invalid("This additional information takes no value.", where)
        return None
    if raw is None:
        problems.invalid(f"A {value_type.value} value is required.", where)
        return None
    if len(raw) > MAX_VALUE_LENGTH:
        problems.invalid(f"The value is longer than {MAX_VALUE_LENGTH} characters.", where)
        return None
    if value_type is ValueType.NUMBER:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            problems.invalid(f"{raw!r} is not a number.", where)
            return None
        return int(number) if number.is_integer() and "." not in raw else number
    if value_type is ValueType.BOOLEAN:
        if raw not in {"true", "false"}:
            problems.invalid(f"{raw!r} is not a boolean; send true or false.", where)
            return None
        return raw == "true"
    if value_type is ValueType.STRING and ("\n" in raw or "\r" in raw):
        problems.invalid("A STRING value is one line; use INPUT_MULTILINE_STRING questions.", where)
        return None
    return raw


def resolve_values(
    definitions: Sequence[Mapping[str, Any]],
    given: Sequence[GivenValue],
    field: str,
    problems: Problems,
) -> dict[str, object]:
    """Typed values keyed by additional information id; problems for anything unusable."""
    if len(given) > MAX_VALUES:
        problems.too_many(f"At most {MAX_VALUES} additional information values.", field)
        return {}
    values: dict[str, object] = {}
    for index, item in enumerate(given):
        where = f"{field}.{index}"
        if (item.additional_information_ref is None) == (
            item.tenant_additional_information_ref is None
        ):
            problems.invalid(
                "Name the additional information by exactly one of additionalInformationRef "
                "and tenantAdditionalInformationRef.",
                where,
            )
            continue
        definition = _find(definitions, item)
        if definition is None:
            ref = item.additional_information_ref or item.tenant_additional_information_ref
            problems.add(
                ErrorCode.NOT_FOUND,
                f"The service job has no additional information {ref!r}.",
                where,
            )
            continue
        if definition["id"] in values:
            problems.invalid("The same additional information is answered twice.", where)
            continue
        values[definition["id"]] = _coerce(
            ValueType(definition["valueType"]), item.value, f"{where}.value", problems
        )
    return values


def missing_mandatory(
    definitions: Sequence[Mapping[str, Any]], answered: Mapping[str, object]
) -> list[str]:
    """Names of mandatory questions without an answer (NOVALUE ones need only be present)."""
    return [
        resolve_text(d["nameLocalized"], ()) or d["id"]
        for d in definitions
        if d.get("isMandatory") and d["id"] not in answered
    ]
