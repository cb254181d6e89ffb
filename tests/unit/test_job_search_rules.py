"""The pure rules of finding jobs and trees: LIKE patterns, the tree status as a rank, the
bounds of an and/or search, and users named by id or username."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.assigned_users import UserRef, check_user_refs
from app.domain.errors import BadRequest, ErrorCode, Problems
from app.domain.job_search import (
    LIKE_ESCAPE,
    MAX_CONDITION_DEPTH,
    MAX_CONDITIONS,
    TREE_STATUS_RANK,
    check_nesting,
    like_pattern,
    tree_status_ranks,
)
from app.domain.job_status import JobStatus, derive_tree_status


def like(pattern: str, text: str) -> bool:
    """LIKE with LIKE_ESCAPE, as both databases evaluate it (on lowered text)."""
    regex, index = "", 0
    while index < len(pattern):
        char = pattern[index]
        if char == LIKE_ESCAPE:
            index += 1
            regex += re.escape(pattern[index])
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
        index += 1
    return re.fullmatch(regex, text, re.DOTALL) is not None


def test_like_patterns_escape_wildcards_and_the_escape_character() -> None:
    assert like_pattern("50%_Off") == "%50\\%\\_off%"
    assert like_pattern("a\\b") == "%a\\\\b%"


@given(term=st.text(alphabet="ab%_\\xY", min_size=1, max_size=6), text=st.text("ab%_\\xy"))
def test_a_pattern_matches_exactly_the_texts_containing_the_term(term: str, text: str) -> None:
    assert like(like_pattern(term), text.lower()) == (term.lower() in text.lower())


@given(st.lists(st.sampled_from(list(JobStatus)), min_size=1, max_size=8))
def test_the_lowest_rank_of_a_trees_jobs_is_its_derived_status(statuses: list[JobStatus]) -> None:
    derived = derive_tree_status(statuses)
    lowest = min(TREE_STATUS_RANK[s] for s in statuses)
    assert tree_status_ranks([derived]) == [lowest]
    for status in JobStatus:
        assert (lowest in tree_status_ranks([status])) == (status is derived)


def test_waiting_for_input_is_never_a_trees_status() -> None:
    assert tree_status_ranks([JobStatus.WAITING_FOR_INPUT]) == []
    assert tree_status_ranks([JobStatus.IN_PROGRESS, JobStatus.WAITING_FOR_INPUT]) == [1]


def chain(depth: int) -> list[object]:
    node: list[object] = []
    for _ in range(depth - 1):
        node = [node]
    return node


def children(node: list[object]) -> list[list[object]]:
    return [child for child in node if isinstance(child, list)]


def test_a_search_may_nest_to_its_bounds_and_no_further() -> None:
    check_nesting(chain(MAX_CONDITION_DEPTH), children)
    with pytest.raises(BadRequest, match="levels deep"):
        check_nesting(chain(MAX_CONDITION_DEPTH + 1), children)
    wide: list[object] = [[] for _ in range(MAX_CONDITIONS - 1)]
    check_nesting(wide, children)
    with pytest.raises(BadRequest, match="conditions"):
        check_nesting([*wide, []], children)
    # Measured without recursion, however deep the input is.
    with pytest.raises(BadRequest):
        check_nesting(chain(100_000), children)


@pytest.mark.parametrize(
    ("users", "expected"),
    [
        ([UserRef("u"), UserRef(username="ann"), UserRef("v", "bob")], []),
        ([UserRef("u", "x"), UserRef("v", "x")], [(ErrorCode.VALIDATION_FAILED, "users")]),
        ([UserRef()], [(ErrorCode.VALIDATION_FAILED, "users.0")]),
        ([UserRef(username="")], [(ErrorCode.VALIDATION_FAILED, "users.0.username")]),
        ([UserRef(str(i)) for i in range(11)], [(ErrorCode.LIMIT_EXCEEDED, "users")]),
    ],
)
def test_each_user_is_named_once_by_id_or_username(
    users: list[UserRef], expected: list[tuple[ErrorCode, str]]
) -> None:
    problems = Problems()
    check_user_refs(users, "users", problems)
    assert [(p.code, p.field) for p in problems] == expected
    assert all(UserRef.from_json(user.to_json()) == user for user in users)
