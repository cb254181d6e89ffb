"""Makes responses comparable across runs and databases: generated ids become `<id:N>` in order
of first appearance, timestamps become `<timestamp>`, cursors `<cursor>`."""

from __future__ import annotations

import re
from typing import Any

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
VOLATILE_KEYS = {"cursor", "startCursor", "endCursor"}


def normalise(data: Any, keep: frozenset[str] = frozenset()) -> Any:
    """`keep` lists ids that are stable (fixture ids) and stay as they are."""
    ids: dict[str, str] = {}

    def walk(value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str):
            if key in VOLATILE_KEYS:
                return "<cursor>"
            if _UUID.match(value) and value not in keep:
                return ids.setdefault(value, f"<id:{len(ids) + 1}>")
            if _TIMESTAMP.match(value):
                return "<timestamp>"
        return value

    return walk(data)
