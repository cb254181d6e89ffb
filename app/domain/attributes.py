"""Free-form custom attributes: a JSON object with safe keys and a bounded size."""

from __future__ import annotations

from collections.abc import Mapping

import orjson

from app.domain.errors import Problems

MAX_SERIALIZED_LENGTH = 15_360


def _bad_keys(value: object, path: str) -> list[str]:
    bad: list[str] = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            where = f"{path}.{key}" if path else str(key)
            if str(key).startswith("$") or "." in str(key):
                bad.append(where)
            bad.extend(_bad_keys(inner, where))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            bad.extend(_bad_keys(inner, f"{path}[{index}]"))
    return bad


def check_custom_attributes(
    value: object, field: str, problems: Problems
) -> dict[str, object] | None:
    """Return the attributes as stored (None for absent), adding problems for what is refused."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        problems.invalid("customAttributes must be a JSON object.", field)
        return None
    for key_path in _bad_keys(value, ""):
        problems.invalid(
            f"Attribute key {key_path!r} must not start with '$' or contain '.'.", field
        )
    size = len(orjson.dumps(value).decode())
    if size > MAX_SERIALIZED_LENGTH:
        problems.too_many(
            f"customAttributes serialize to {size} characters; at most "
            f"{MAX_SERIALIZED_LENGTH} are allowed.",
            field,
        )
    return dict(value)
