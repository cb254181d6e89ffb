""".env.example lists every setting of app/settings.py, and the values it shows are the
defaults (a copy of it as .env changes nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
#: `NAME=value`, or `# NAME=` for a setting whose default is "unset".
_LINE = re.compile(r"^(?P<off># )?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


def _lines() -> dict[str, tuple[bool, str]]:
    found: dict[str, tuple[bool, str]] = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = _LINE.match(line)
        if match:
            assert match["name"] not in found, f"{match['name']} is listed twice"
            found[match["name"]] = (match["off"] is None, match["value"])
    return found


def test_every_setting_is_listed_once_and_nothing_else() -> None:
    assert set(_lines()) == {name.upper() for name in Settings.model_fields}


def test_each_setting_has_a_comment_line_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if _LINE.match(line):
            above = lines[index - 1] if index else ""
            assert above.startswith("# ") and not _LINE.match(above), f"no comment: {line}"


def test_the_values_shown_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    example = Settings(_env_file=EXAMPLE)  # type: ignore[call-arg]
    assert example.model_dump() == defaults.model_dump()
    for name, (active, value) in _lines().items():
        if not active:
            assert value == "" and getattr(defaults, name.lower()) is None, name
