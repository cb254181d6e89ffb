"""Optimistic locking: every change names the version the client last saw."""

from __future__ import annotations

from app.domain.errors import version_conflict


def check_version(what: str, given: int, current: int) -> None:
    """Refuse a change made against a version that is no longer current."""
    if given != current:
        raise version_conflict(what, given, current)
