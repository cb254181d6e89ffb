"""Custom scalars, declared as NewTypes (so type checkers see real types) and mapped to their
GraphQL definitions in `SCALARS`, which the schema's config carries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timezone
from operator import methodcaller
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from app.domain.attributes import BOUNDS, MAX_SERIALIZED_LENGTH, json_problem
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
    problem = json_problem(value)
    if problem is not None:
        raise ValueError(f"The JSONObject {problem}; allowed: {BOUNDS}.")
    return value


_DATETIME_FORMAT = "an ISO 8601 date and time with a UTC offset, e.g. 2026-12-01T10:00:00+01:00"
#: The characters of ISO 8601 dates and times (week dates included), and no more than 64 of them.
_ISO_8601 = re.compile(r"[0-9T:.,+\-ZW ]{1,64}")


def parse_datetime(value: Any) -> datetime:
    """An aware datetime from ISO 8601 text that names its offset (`Z` or ±hh:mm) and is a
    moment Python and the database can hold in UTC, where every time is stored and compared:
    `0001-01-01T00:00:00+14:00` is a year before 1 there. The offset is kept (a rule may
    insist on UTC); the value is the same moment either way."""
    if not isinstance(value, str):
        raise ValueError(f"DateTime must be a string: {_DATETIME_FORMAT}.")
    # fromisoformat alone takes any character between date and time, and skips a NUL.
    if not _ISO_8601.fullmatch(value):
        raise ValueError(f"DateTime must be {_DATETIME_FORMAT}.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"DateTime must be {_DATETIME_FORMAT}.") from None
    offset = parsed.utcoffset()
    if offset is None:
        raise ValueError(f"DateTime needs a time zone: give {_DATETIME_FORMAT} (or Z for UTC).")
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "DateTime is out of range once converted to UTC: give a moment from "
            "0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z."
        ) from None
    return parsed.replace(tzinfo=timezone(offset))


#: How a DateTime is written: its isoformat, the offset included (the compiled walk calls it
#: inline, app/graphql/fast_path.py).
SERIALIZE_DATETIME = methodcaller("isoformat")

SCALARS: dict[object, ScalarDefinition] = {
    datetime: strawberry.scalar(
        name="DateTime",
        description=(
            "A moment: an ISO 8601 date and time with a UTC offset (Z or ±hh:mm), e.g. "
            "2026-12-01T10:00:00+01:00, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z "
            "once converted to UTC. A time without an offset is refused."
        ),
        serialize=SERIALIZE_DATETIME,
        parse_value=parse_datetime,
    ),
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
        name="JSONObject",
        description=(
            f"A free-form JSON object: {BOUNDS}. As customAttributes it also serializes to at "
            f"most {MAX_SERIALIZED_LENGTH:,} characters, and no key starts with $ or contains "
            "a dot."
        ),
        parse_value=_parse_object,
    ),
}
