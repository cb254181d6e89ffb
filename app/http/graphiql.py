"""GraphiQL served fully offline.

Strawberry's page loads its assets from unpkg. We serve the byte-identical files vendored under
app/static/graphiql instead, so the page needs no CDN at run time (air-gapped sites, strict CSP)
and the template's SRI integrity hashes still hold. The page's headers (in development the
sample tenant's token) go into GraphiQL's Headers tab, where they can be seen, copied and
changed; GraphiQL sends what the tab holds with every request and in a subscription's
connection_init. Every rewrite checks its anchor in the template
and raises RuntimeError if Strawberry changed it, so an upgrade fails loudly instead of silently
falling back to the CDN.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from strawberry.http.ides import get_graphql_ide_html

STATIC_DIR: Path = Path(__file__).resolve().parents[1] / "static" / "graphiql"
STATIC_URL_PREFIX = "/static/graphiql"
TITLE = "Service Job Gateway \u2013 GraphiQL"  # en dash

#: The exact pins of strawberry-graphql 0.341.2's template -> our vendored file names.
VENDORED: dict[str, str] = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": (
        "react-dom.production.min.js"
    ),
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": (
        "plugin-explorer.umd.js"
    ),
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
}

_TITLE = "<title>Strawberry GraphiQL</title>"
# Strawberry's favicon is an SVG data URI whose xmlns is an http:// URL; "data:," is an empty icon
# that also stops the browser from requesting /favicon.ico.
_FAVICON = re.compile(r'<link\s+rel="icon"\s+href="data:image/svg\+xml,.*?/>', re.DOTALL)
_EMPTY_FAVICON = '<link rel="icon" href="data:," />'
#: The Headers tab's initial text: the one from a shared link (?headers=) or ours.
_HEADERS_STATE = "const [headers, setHeaders] = React.useState(parameters.headers);"
_HEADERS_STATE_WITH_DEFAULT = (
    "const [headers, setHeaders] = React.useState(parameters.headers || INITIAL_HEADERS);"
)
_SCRIPT_START = "<script>\n      const EXAMPLE_QUERY"
#: GraphiQL's last argument: its children, where a <GraphiQL.Logo> replaces the logo.
_GRAPHIQL_PROPS_END = "shouldPersistHeaders: true,\n        });"
_EXAMPLE_QUERY = re.compile(r"const EXAMPLE_QUERY = `(?P<text>[^`\\$]*)`;")
_URL = re.compile(
    r"""(?P<xmlns>xmlns(?::[\w.-]+)?\s*=\s*(?:["']|%22)?)?(?P<url>https?://[^\s"'<>`)\\]+)""",
    re.IGNORECASE,
)


def _js_literal(value: object) -> str:
    """JSON that cannot end or confuse the <script> element it is embedded in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _replace_once(html: str, old: str, new: str, what: str) -> str:
    """Replace an anchor of Strawberry's template, failing loudly if the template changed."""
    if old not in html:
        raise RuntimeError(f"Strawberry's GraphiQL page changed: {what} not found ({old!r})")
    return html.replace(old, new)


def offline_graphiql_html(
    *,
    headers: dict[str, str] | None = None,
    default_query: str | None = None,
    landing_text: str | None = None,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """Strawberry's GraphiQL page, loading only same-origin assets.

    headers fill the Headers tab (sent with every request and a subscription's connection_init,
    as long as the tab holds them); default_query replaces Strawberry's example; landing_text is
    prepended to it as `# ` comment lines; links (label, same-origin path) go where GraphiQL's
    logo is, at the top right, each opening in a new tab.
    """
    html = get_graphql_ide_html("graphiql")
    for url, name in VENDORED.items():
        # The quoted form avoids matching a URL that is a prefix of another. `crossorigin` stays:
        # same-origin requests in CORS mode need no CORS headers and SRI is still enforced.
        html = _replace_once(html, f'"{url}"', f'"{STATIC_URL_PREFIX}/{name}"', f"asset URL {url}")
    html = _replace_once(html, _TITLE, f"<title>{TITLE}</title>", "title")
    html = _FAVICON.sub(_EMPTY_FAVICON, html, count=1)  # cosmetic: no need to fail if absent
    initial = json.dumps(headers, indent=2) if headers else ""
    html = _replace_once(
        html,
        _SCRIPT_START,
        f"<script>\n      const INITIAL_HEADERS = {_js_literal(initial)};\n"
        "      const EXAMPLE_QUERY",
        "script start",
    )
    html = _replace_once(html, _HEADERS_STATE, _HEADERS_STATE_WITH_DEFAULT, "headers state")
    if links:
        anchors = ", ".join(
            f'React.createElement("a", {{href: {_js_literal(href)}, target: "_blank", '
            f'rel: "noopener", style: {{marginLeft: "1em"}}}}, {_js_literal(label)})'
            for label, href in links
        )
        html = _replace_once(
            html,
            _GRAPHIQL_PROPS_END,
            "shouldPersistHeaders: true,\n        }, React.createElement(GraphiQL.Logo, null, "
            f'"GraphiQL", {anchors}));',
            "GraphiQL props",
        )
    if default_query is not None or landing_text:
        match = _EXAMPLE_QUERY.search(html)
        if match is None:
            raise RuntimeError("Strawberry's GraphiQL page changed: EXAMPLE_QUERY not found")
        # The pattern excludes backslashes and `${`, so the template literal's text is literal.
        query = match["text"] if default_query is None else default_query
        if landing_text:
            comment = "".join(f"# {line}".rstrip() + "\n" for line in landing_text.splitlines())
            query = f"{comment}\n{query}"
        html = (
            html[: match.start()]
            + f"const EXAMPLE_QUERY = {_js_literal(query)};"
            + html[match.end() :]
        )
    return html


def external_urls(html: str) -> list[str]:
    """Every absolute http(s) URL in the page except XML namespace names (xmlns="..."), which
    identify a vocabulary and are never fetched."""
    return [m["url"] for m in _URL.finditer(html) if m["xmlns"] is None]
