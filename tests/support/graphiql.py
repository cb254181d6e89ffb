"""Reading what GraphiQL's page puts in its Headers tab."""

from __future__ import annotations

import json
import re

_INITIAL_HEADERS = re.compile(r"const INITIAL_HEADERS = (\".*?\");\n")


def initial_headers(html: str) -> str:
    """The Headers tab's initial text (a JS string literal that must not contain `<`)."""
    literal = _INITIAL_HEADERS.search(html)
    assert literal is not None, "the page sets no INITIAL_HEADERS"
    assert "<" not in literal[1]
    text: str = json.loads(literal[1])  # \u003c etc. are valid JSON (and JS) escapes
    return text
