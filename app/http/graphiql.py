"""GraphiQL served fully offline: Strawberry's page with its unpkg assets replaced by the same
files vendored under app/static/graphiql (the integrity hashes still match them)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "graphiql"
STATIC_URL_PREFIX = "/static/graphiql"

#: The exact pins of strawberry-graphql 0.341.2's template -> our vendored file names.
VENDORED: dict[str, str] = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": (
        "react-dom.production.min.js"
    ),
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": (
        "plugin-explorer.umd.js"
    ),
}

_URL = re.compile(r"https?://[^\s\"'<>)]+")
_FAVICON = re.compile(r'<link\s+rel="icon".*?/>', re.DOTALL)


def _js_literal(value: object) -> str:
    """JSON that is safe inside a <script> element."""
    return (
        json.dumps(value)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def offline_graphiql_html(
    *,
    default_headers: dict[str, str] | None = None,
    default_query: str | None = None,
    landing_text: str | None = None,
) -> str:
    html = get_graphql_ide_html("graphiql")
    for url, name in VENDORED.items():
        if url not in html:
            raise RuntimeError(f"Strawberry's GraphiQL page no longer loads {url}; re-vendor")
        html = html.replace(url, f"{STATIC_URL_PREFIX}/{name}")
    html = _FAVICON.sub("", html, count=1)
    html = html.replace(
        "<title>Strawberry GraphiQL</title>", "<title>Service Job Gateway - GraphiQL</title>"
    )
    if default_headers:
        marker = "const defaultHeaders = {};"
        if marker not in html:
            raise RuntimeError("Strawberry's GraphiQL page changed: no defaultHeaders object")
        html = html.replace(marker, f"const defaultHeaders = {_js_literal(default_headers)};")
    if default_query is not None or landing_text is not None:
        query = default_query or ""
        if landing_text:
            comment = "".join(f"# {line}".rstrip() + "\n" for line in landing_text.splitlines())
            query = f"{comment}\n{query}"
        start = html.index("const EXAMPLE_QUERY = `")
        end = html.index("`;", start) + 2
        html = html[:start] + f"const EXAMPLE_QUERY = {_js_literal(query)};" + html[end:]
    return html


def external_urls(html: str) -> list[str]:
    """Every absolute http(s) URL in the page except XML namespace names."""
    return [url for url in _URL.findall(html) if not url.startswith("http://www.w3.org/")]
