"""GraphiQL is served fully offline: no external URL, every asset vendored and identical to the
file Strawberry's page pins (its integrity hash)."""

from __future__ import annotations

import base64
import hashlib
import re

from app.http.graphiql import STATIC_DIR, STATIC_URL_PREFIX, external_urls, offline_graphiql_html


def test_the_page_references_no_external_url() -> None:
    assert external_urls(offline_graphiql_html()) == []


def test_every_asset_is_vendored_and_matches_its_integrity_hash() -> None:
    html = offline_graphiql_html()
    pairs = re.findall(
        rf'(?:src|href)="{STATIC_URL_PREFIX}/([^"]+)"\s+integrity="sha384-([^"]+)"', html
    )
    assert len(pairs) == 7
    for name, expected in pairs:
        digest = hashlib.sha384((STATIC_DIR / name).read_bytes()).digest()
        assert base64.b64encode(digest).decode() == expected, name


def test_default_headers_are_embedded_and_cannot_break_out_of_the_script() -> None:
    html = offline_graphiql_html(default_headers={"Authorization": "Bearer </script><b>x"})
    assert "</script><b>" not in html
    assert '"Authorization": "Bearer \\u003c/script\\u003e\\u003cb\\u003ex"' in html


def test_the_sample_query_and_landing_text_replace_strawberrys_example() -> None:
    html = offline_graphiql_html(default_query="{ a }", landing_text="Hello\nthere")
    assert "Welcome to GraphiQL" not in html
    assert '"# Hello\\n# there\\n\\n{ a }"' in html
