"""GraphiQL is served fully offline: no external URL, every asset vendored and byte-identical to
the file Strawberry's page pins (its SRI integrity hash), and injected values cannot escape."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from strawberry.http.ides import get_graphql_ide_html

from app.http.graphiql import STATIC_DIR, STATIC_URL_PREFIX, external_urls, offline_graphiql_html
from tests.support.graphiql import initial_headers

_ASSET = re.compile(
    rf'(?:src|href)="{re.escape(STATIC_URL_PREFIX)}/([^"]+)"\s+integrity="(sha384-[^"]+)"'
)


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def test_the_page_references_no_external_url() -> None:
    html = offline_graphiql_html(
        headers={"a": "b"}, default_query="{ a }", landing_text="x", links=[("T", "/t")]
    )
    assert external_urls(html) == []
    assert "unpkg" not in html
    assert "<title>Service Job Gateway \u2013 GraphiQL</title>" in html


def test_every_referenced_asset_exists_and_matches_its_integrity_hash() -> None:
    html = offline_graphiql_html()
    referenced = re.findall(rf'(?:src|href)="{re.escape(STATIC_URL_PREFIX)}/([^"]+)"', html)
    pairs = _ASSET.findall(html)
    assert len(referenced) == len(pairs) == 7
    for name, integrity in pairs:
        path = STATIC_DIR / name
        assert path.is_file(), name
        assert _sri(path.read_bytes()) == integrity, name


def test_headers_fill_the_headers_tab_and_cannot_break_out_of_the_script() -> None:
    headers = {"Authorization": "Bearer </script><script>alert(1)</script>", "X-Q": "a&b"}
    html = offline_graphiql_html(headers=headers)
    assert "</script><script>alert" not in html
    text = initial_headers(html)
    assert json.loads(text) == headers
    assert text.startswith('{\n  "Authorization": "Bearer ')  # one header a line, copyable
    # The tab's initial text, unless a shared link brings its own; nothing is sent out of sight.
    assert "React.useState(parameters.headers || INITIAL_HEADERS)" in html
    assert "const defaultHeaders = {};" in html


def test_without_headers_the_tab_starts_empty() -> None:
    assert initial_headers(offline_graphiql_html()) == ""


def test_links_go_where_the_logo_is_and_are_escaped() -> None:
    html = offline_graphiql_html(links=[("Sample </script> tree", "/trees/x")])
    assert "</script> tree" not in html
    assert "React.createElement(GraphiQL.Logo, null, " in html
    assert 'React.createElement("a", {href: "/trees/x", target: "_blank"' in html


def test_the_query_and_landing_text_replace_strawberrys_example_safely() -> None:
    html = offline_graphiql_html(default_query="{ a } # </script>", landing_text="Hello\nthere")
    assert "Welcome to GraphiQL" not in html
    literal = re.search(r"const EXAMPLE_QUERY = (\".*?\");\n", html)
    assert literal is not None
    assert json.loads(literal[1]) == "# Hello\n# there\n\n{ a } # </script>"
    assert "# </script>" not in html


def test_landing_text_alone_is_prepended_to_strawberrys_example() -> None:
    html = offline_graphiql_html(landing_text="Hi")
    literal = re.search(r"const EXAMPLE_QUERY = (\".*?\");\n", html)
    assert literal is not None
    assert json.loads(literal[1]).startswith("# Hi\n\n# Welcome to GraphiQL")


def test_a_changed_pin_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    original = get_graphql_ide_html("graphiql")
    changed = original.replace("graphiql@3.8.3/graphiql.min.js", "graphiql@9.9.9/graphiql.min.js")
    monkeypatch.setattr("app.http.graphiql.get_graphql_ide_html", lambda _ide: changed)
    with pytest.raises(
        RuntimeError, match=r"https://unpkg\.com/graphiql@3\.8\.3/graphiql\.min\.js"
    ):
        offline_graphiql_html()


def test_external_urls_ignores_xml_namespaces_only() -> None:
    html = (
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>'
        '<link href="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22>"/>'
        '<script src="https://cdn.example/x.js"></script><img src=http://w3.example/a.png>'
    )
    assert external_urls(html) == ["https://cdn.example/x.js", "http://w3.example/a.png"]
