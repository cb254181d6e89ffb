"""Free-form custom attributes: a JSON object with safe keys and a bounded size, depth and
number range."""

from __future__ import annotations

import math
from collections.abc import Mapping

import orjson

from app.domain.errors import Problems

MAX_SERIALIZED_LENGTH = 15_360
#: Levels of nested objects and lists, the attributes object itself being the first; orjson
#: gives up past 254 and nothing a tenant keeps needs more than a few.
MAX_DEPTH = 10
#: Integers are stored and read back through orjson, which holds signed 64-bit integers only.
MIN_INTEGER = -(2**63)
MAX_INTEGER = 2**63 - 1
#: Values walked before giving up on a value as too large (far more than 15,360 characters
#: can serialize; it bounds the walk of a value nobody could store).
MAX_VALUES = MAX_SERIALIZED_LENGTH

BOUNDS = (
    f"at most {MAX_DEPTH} levels of nested objects and lists, integers between -2^63 and "
    "2^63-1, finite numbers"
)


def json_problem(value: object) -> str | None:
    """Why a JSON value cannot be stored (None when it can), to follow its name in a message:
    deeper than MAX_DEPTH, an integer outside 64 bits, a number that is not finite (1e400 reads
    as infinity), text that is not valid Unicode, or anything JSON does not have. Walked without
    recursion, and only as far as MAX_VALUES, so a hostile value costs little."""
    pending: list[tuple[object, int]] = [(value, 1)]
    seen = 1
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping | list):
            if depth > MAX_DEPTH:
                return f"is nested more than {MAX_DEPTH} levels deep (objects and lists)"
            seen += len(item)
            if seen > MAX_VALUES:
                return f"holds more than {MAX_VALUES} values"
            if isinstance(item, Mapping):
                for key in item:
                    if not isinstance(key, str) or not _is_unicode(key):
                        return "holds a key that is not valid Unicode text"
                pending.extend((inner, depth + 1) for inner in item.values())
            else:
                pending.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not MIN_INTEGER <= item <= MAX_INTEGER:
                return "holds an integer outside the 64-bit range (-2^63 to 2^63-1)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return "holds a number that is not finite"
        elif isinstance(item, str):
            if not _is_unicode(item):
                return "holds text that is not valid Unicode (a lone surrogate)"
        else:
            return f"holds a value JSON does not have ({type(item).__name__})"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    problem = json_problem(value)
    if problem is not None:
        problems.invalid(f"customAttributes {problem}; allowed: {BOUNDS}.", field)
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
