from app.graphql.common.lru import Lru


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
