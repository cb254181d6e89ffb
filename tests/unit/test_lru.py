from app.lru import Lru, text_of


def test_forgets_the_least_recently_used_entry() -> None:
    cache: Lru[str, int] = Lru(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert "b" not in cache
    assert cache.get("a") == 1 and cache["c"] == 3
    assert len(cache) == 2


def test_none_values_are_told_apart_from_absent_keys() -> None:
    cache: Lru[str, int | None] = Lru(maxsize=4)
    cache.put("all columns", None)
    assert "all columns" in cache and cache["all columns"] is None
    assert "other" not in cache and cache.get("other") is None


def test_putting_a_key_again_refreshes_it() -> None:
    cache: Lru[str, int] = Lru(maxsize=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert "b" not in cache and cache["a"] == 10


def test_query_text_in_keys_is_bounded_in_all() -> None:
    cache: Lru[tuple[str, str | None], int] = Lru(maxsize=100, max_text=10)
    cache.put(("aaaa", "A"), 1)
    cache.put(("bbbb", None), 2)
    cache.put(("cccc", "C"), 3)  # 12 characters: the oldest text goes
    assert ("aaaa", "A") not in cache and len(cache) == 2 and cache.text == 8
    cache.put(("x" * 11, None), 4)  # larger than the bound alone: not kept
    assert len(cache) == 2 and cache.text == 8
    cache.put(("bbbb", None), 5)  # the same key again is counted once
    assert cache.text == 8 and cache[("bbbb", None)] == 5


def test_the_text_of_a_key_is_found_in_nested_tuples() -> None:
    assert text_of((("query", "Op", ("a",)), (("id", "1"),), ())) == "query"
    assert text_of("query") == "query"
    assert text_of((1, 2)) == ""
