"""The room a compiled walk takes its lists' sizes from: least sizes before a list is built,
the exact size of a long list of flat objects once built, never more than the real size."""

from __future__ import annotations

import orjson
import pytest

from app.graphql.fast_path import MEASURED_FROM, _measured, _spent, _spent_texts, walk_room
from app.graphql.response_budget import ResponseTooLarge

IDS = [{"id": f"0b5d6f1e-0000-4000-a000-{n:012d}"} for n in range(MEASURED_FROM)]
#: The least size of one {"id": ...} in a list: braces, the key quoted, a colon, a byte, a comma.
WEIGHT = 2 + len("id") + 4 + 1


def test_a_long_list_of_flat_objects_takes_its_exact_size_less_its_holders_byte() -> None:
    real = len(orjson.dumps(IDS))
    with walk_room(10 * real, 0) as taken:
        _measured(_spent(IDS, WEIGHT), WEIGHT)
    assert taken.bytes == real - 1
    # The least sizes alone fit the budget; the exact size does not: the walk stops there.
    assert len(IDS) * WEIGHT < real - 1
    with pytest.raises(ResponseTooLarge), walk_room(real - 2, 0):
        _measured(_spent(IDS, WEIGHT), WEIGHT)


def test_a_short_list_keeps_its_least_size_and_texts_never_count_their_brackets_twice() -> None:
    short = IDS[: MEASURED_FROM - 1]
    with walk_room(10**6, 0) as taken:
        _measured(_spent(short, WEIGHT), WEIGHT)
    assert taken.bytes == len(short) * WEIGHT
    codes = ["a", "bc"]
    with walk_room(10**6, 0) as taken:
        _spent_texts(codes)
    assert taken.bytes == len(orjson.dumps(codes)) - 2
    with walk_room(10**6, 0) as taken:
        _spent_texts([])
    assert taken.bytes == 0
