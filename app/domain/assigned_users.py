"""Users assigned to a job, each named by its id, its username or both (fulfillmenttools'
`assignedUsers [{userId, username}]`). The gateway keeps no user directory: a user is what
the client names, and the `assignedUser` filter finds a job by either name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.domain.custom_services import check_ref
from app.domain.errors import Problems
from app.domain.service_jobs import MAX_ASSIGNED_USERS


@dataclass(frozen=True, slots=True)
class UserRef:
    user_id: str | None = None
    username: str | None = None

    def to_json(self) -> dict[str, Any]:
        """As stored on the job: only the names given."""
        stored: dict[str, Any] = {}
        if self.user_id is not None:
            stored["userId"] = self.user_id
        if self.username is not None:
            stored["username"] = self.username
        return stored

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> UserRef:
        return cls(stored.get("userId"), stored.get("username"))


def check_user_refs(users: Sequence[UserRef], where: str, problems: Problems) -> None:
    """At most MAX_ASSIGNED_USERS, each named by id or username, none named twice."""
    if len(users) > MAX_ASSIGNED_USERS:
        problems.too_many(f"At most {MAX_ASSIGNED_USERS} assigned users.", where)
    ids = [u.user_id for u in users if u.user_id is not None]
    names = [u.username for u in users if u.username is not None]
    if len(set(ids)) != len(ids) or len(set(names)) != len(names):
        problems.invalid("A user is assigned twice.", where)
    for index, user in enumerate(users):
        if user.user_id is None and user.username is None:
            problems.invalid("Name the user by userId or username.", f"{where}.{index}")
        check_ref(user.user_id, f"{where}.{index}.userId", problems)
        check_ref(user.username, f"{where}.{index}.username", problems)
