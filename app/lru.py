"""A small bounded cache for what is worked out once and reused across requests: per query
text (parsed documents, validation results, query costs, compiled walks, job columns) and per
statement shape (the read path's kept and compiled statements)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

#: Query text a cache keyed by query text keeps at most, in characters. Keys are client-chosen
#: texts of up to a request body each (MAX_REQUEST_BYTES): 256 entries alone would let a few
#: hundred requests pin hundreds of megabytes per cache.
MAX_CACHED_TEXT = 4_000_000


def text_of(key: Any) -> str:
    """The query text in a cache key: the key itself, or the first text found by following
    the first element of nested tuple keys."""
    while isinstance(key, tuple) and key:
        key = key[0]
    return key if isinstance(key, str) else ""


class Lru(Generic[K, V]):
    """A mapping of at most `maxsize` entries that forgets the least recently used one, and,
    when `max_text` is given, whose keys hold at most that many characters of query text in
    all (a text larger than that alone is not kept)."""

    def __init__(self, maxsize: int = 256, max_text: int | None = None) -> None:
        self.maxsize = maxsize
        self.max_text = max_text
        self.text = 0
        self._items: OrderedDict[K, V] = OrderedDict()

    def __contains__(self, key: K) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, key: K) -> V:
        """The entry (KeyError if absent), now the most recently used."""
        value = self._items[key]
        self._items.move_to_end(key)
        return value

    def get(self, key: K) -> V | None:
        """The entry or None; store None-able values with `in` and `[]` instead."""
        try:
            return self[key]
        except KeyError:
            return None

    def put(self, key: K, value: V) -> None:
        size = self._size(key)
        if self.max_text is not None and size > self.max_text:
            return
        if key in self._items:
            self.text -= size
        self._items[key] = value
        self._items.move_to_end(key)
        self.text += size
        while len(self._items) > self.maxsize or (
            self.max_text is not None and self.text > self.max_text
        ):
            oldest, _ = self._items.popitem(last=False)
            self.text -= self._size(oldest)

    def _size(self, key: K) -> int:
        return len(text_of(key)) if self.max_text is not None else 0
