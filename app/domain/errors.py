"""Domain refusals.

Every refusal carries one or more `Problem`s with a stable code, so every entry point (GraphQL,
CLI, seeding) reports the same reason in the same words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


class ErrorCode(enum.Enum):
    """Stable reasons a request is refused (DOMAIN §8)."""

    NOT_FOUND = "NOT_FOUND"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason for a refusal; `field` is the dotted path of the offending input."""

    code: ErrorCode
    message: str
    field: str | None = None
    current_version: int | None = None


class DomainError(Exception):
    """A refusal made of one or more problems; nothing was written."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("a DomainError needs at least one problem")
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def one(
        cls,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        current_version: int | None = None,
    ) -> DomainError:
        return cls([Problem(code, message, field, current_version)])


def not_found(what: str, ident: str, field: str | None = "id") -> DomainError:
    return DomainError.one(ErrorCode.NOT_FOUND, f"{what} {ident!r} was not found.", field)


def validation_failed(message: str, field: str | None = None) -> DomainError:
    return DomainError.one(ErrorCode.VALIDATION_FAILED, message, field)


def limit_exceeded(message: str, field: str | None = None) -> DomainError:
    return DomainError.one(ErrorCode.LIMIT_EXCEEDED, message, field)


def conflict(message: str, field: str | None = None) -> DomainError:
    return DomainError.one(ErrorCode.CONFLICT, message, field)


def version_conflict(what: str, given: int, current: int) -> DomainError:
    return DomainError.one(
        ErrorCode.VERSION_CONFLICT,
        f"{what} is at version {current}, not {given}: reload it and apply the change again.",
        "version",
        current,
    )


class AccessDenied(Exception):
    """The caller is authenticated but may not perform this kind of operation at all."""


class Problems:
    """Collects problems so that every one of them is reported together."""

    def __init__(self) -> None:
        self._items: list[Problem] = []

    def add(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        self._items.append(Problem(code, message, field))

    def invalid(self, message: str, field: str | None = None) -> None:
        self.add(ErrorCode.VALIDATION_FAILED, message, field)

    def too_many(self, message: str, field: str | None = None) -> None:
        self.add(ErrorCode.LIMIT_EXCEEDED, message, field)

    def add_conflict(self, message: str, field: str | None = None) -> None:
        self.add(ErrorCode.CONFLICT, message, field)

    def extend(self, error: DomainError) -> None:
        self._items.extend(error.problems)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self._items)

    def raise_if_any(self) -> None:
        if self._items:
            raise DomainError(self._items)


class BadRequest(Exception):
    """An argument the schema cannot express a rule for (a malformed cursor, a page too large)."""
