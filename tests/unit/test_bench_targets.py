"""The benchmark judges its own figures against the issue's targets."""

from typing import Any

from bench.run import Figures, targets


def figures(
    database: str, nested_ms: float, big_req_s: float, statements: int, rss: float
) -> Figures:
    rows: dict[str, Any] = {
        "nested": {"median_ms": nested_ms, "statements": statements},
        "flat": {"median_ms": nested_ms, "statements": statements},
        "big_8_clients": {"req_per_s": big_req_s},
        "peak_rss_mb": rss,
    }
    return Figures(database, 1, rows)


def verdicts(text: str) -> dict[str, str]:
    rows = [
        line.split(" | ")
        for line in text.splitlines()
        if line.startswith("| ") and "---" not in line
    ]
    return {row[0].lstrip("| "): row[-1].rstrip(" |") for row in rows[1:]}


def test_every_target_met() -> None:
    judged = verdicts(
        targets(
            {
                "sqlite": figures("sqlite", 30.0, 20.0, 3, 210.0),
                "postgres": figures("postgres", 35.0, 42.0, 3, 180.0),
            }
        )
    )
    assert len(judged) == 7
    assert set(judged.values()) == {"met"}


def test_missed_targets_are_named() -> None:
    judged = verdicts(
        targets(
            {
                "sqlite": figures("sqlite", 90.0, 20.0, 4, 310.0),
                "postgres": figures("postgres", 41.0, 30.0, 3, 180.0),
            }
        )
    )
    missed = {name for name, verdict in judged.items() if verdict != "met"}
    assert missed == {
        "nested lsj-big median ≤ 40 ms (PostgreSQL)",
        "lsj-big under 8 clients ≥ 35 req/s (PostgreSQL)",
        "SQLite's nested median within 1.5× of PostgreSQL's",
        "≤ 3 SQL statements per tree request (sqlite)",
        "peak RSS < 300 MB (sqlite)",
    }


def test_a_run_on_one_database_judges_only_its_own_targets() -> None:
    judged = verdicts(targets({"sqlite": figures("sqlite", 30.0, 20.0, 3, 210.0)}))
    assert set(judged) == {
        "≤ 3 SQL statements per tree request (sqlite)",
        "peak RSS < 300 MB (sqlite)",
    }
