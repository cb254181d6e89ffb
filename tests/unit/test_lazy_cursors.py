"""A page's cursors are encoded when read, once each, and read like a list."""

from __future__ import annotations

from app.repositories.pagination import LazyCursors


def test_cursors_are_encoded_when_read_and_once() -> None:
    encoded: list[int] = []

    def encode(row: int) -> str:
        encoded.append(row)
        return f"c{row}"

    cursors = LazyCursors([10, 20, 30, 40], encode)
    assert len(cursors) == 4 and encoded == []
    assert cursors[0] == "c10" and cursors[-1] == "c40"
    assert cursors[0] == "c10"
    assert encoded == [10, 40]
    assert cursors[1:3] == ["c20", "c30"]
    assert list(cursors) == ["c10", "c20", "c30", "c40"]
    assert encoded == [10, 40, 20, 30]
    assert not LazyCursors([], encode)
