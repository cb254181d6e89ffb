"""A small bounded cache for what is worked out once per query text and reused across
requests (validation results, query costs, compiled walks, job columns)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A mapping of at most `maxsize` entries that forgets the least recently used one. The
    bound matters: keys are client-chosen texts, so an unbounded map would let a client grow
    the server's memory."""

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
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
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self.maxsize:
            self._items.popitem(last=False)
