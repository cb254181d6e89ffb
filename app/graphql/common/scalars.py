"""Custom scalars, declared as NewTypes (so type checkers see real types) and mapped to their
GraphQL definitions in `SCALARS`, which the schema's config carries."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.domain.errors import Problems
from app.domain.localized import SUPPORTED_LOCALES, check_localized

LocalizedText = NewType("LocalizedText", dict[str, str])
JSONObject = NewType("JSONObject", dict[str, Any])


def _parse_localized(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ValueError('LocalizedText must be an object of locale to text, e.g. {"en_US": "…"}.')
    problems = Problems()
    checked = check_localized(value, "", problems)
    if problems:
        raise ValueError(" ".join(p.message for p in problems))
    return checked


def _parse_object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("JSONObject must be a JSON object.")
    return value


SCALARS: dict[object, ScalarDefinition] = {
    LocalizedText: strawberry.scalar(
        name="LocalizedText",
        description=(
            "Text in several languages: a JSON object of locale to non-empty text, for example "
            '{"en_US": "Shirt embroidery", "de_DE": "Hemd Bestickung"}. Supported locales: '
            + ", ".join(SUPPORTED_LOCALES)
            + "."
        ),
        parse_value=_parse_localized,
    ),
    JSONObject: strawberry.scalar(
        name="JSONObject", description="A free-form JSON object.", parse_value=_parse_object
    ),
}
