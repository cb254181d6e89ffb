"""`GET /trees/{id}`: one linked service jobs tree as a picture.

The page is built from the GraphQL API itself: the view runs one query in process with the
context the /graphql endpoint builds for the caller (same token check, same tenant and facility
scope, same limits), lays the jobs out server-side (app.http.tree_layout) and answers a
self-contained HTML page with inline SVG and CSS. No script, no external URL: the
Content-Security-Policy allows nothing but the page's own <style> element (by nonce) and data:
images. Everything that comes from data is HTML-escaped.

Authorisation is that of the API: `Authorization: Bearer <JWT>` is required (401 without it or
with a bad one); in development mode a loopback caller without the header is pre-authorised for
the sample tenant, exactly like GraphiQL's page. A tree that does not exist and one the caller
may not see get the same 404.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from app.http.graphql_view import GatewayGraphQL
from app.http.tree_layout import Layout, layout

TREE_QUERY = """\
query TreeView($id: ID!) {
  linkedServiceJobs(id: $id) {
    id status facilityRef processRef tenantOrderId targetTime version
    allServiceJobLinks {
      id previousServiceJobLinkRef
      serviceJob {
        id shortId name status customServiceRef
        lineItems { quantity article { tenantArticleId title } }
      }
    }
  }
}
"""

#: Ids are UUIDs or the tenant's own short keys; anything else cannot name a tree.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

#: Status -> (fill, stroke, label), in the order of the legend.
STATUS_COLOURS: dict[str, tuple[str, str, str]] = {
    "NOT_READY": ("#e5e7eb", "#6b7280", "not ready"),
    "OPEN": ("#dbeafe", "#2563eb", "open"),
    "IN_PROGRESS": ("#fef3c7", "#d97706", "in progress"),
    "WAITING_FOR_INPUT": ("#ede9fe", "#7c3aed", "waiting for input"),
    "FINISHED": ("#dcfce7", "#16a34a", "finished"),
    "CANCELLED": ("#fee2e2", "#dc2626", "cancelled"),
    "OBSOLETE": ("#f1f5f9", "#94a3b8", "obsolete"),
}
_UNKNOWN_STATUS = ("#ffffff", "#000000", "unknown")

NODE_W, NODE_H = 250, 66
GAP_X, GAP_Y = 24, 56
MARGIN = 20
NAME_CHARS = 30
ID_CHARS = 38


def content_security_policy(nonce: str) -> str:
    return (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; "
        "img-src data:; "
        "base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'none'"
    )


def tree_view_endpoint(graphql: GatewayGraphQL) -> Callable[[Request], Awaitable[Response]]:
    async def tree_view(request: Request) -> Response:
        authorization = request.headers.get("authorization")
        if authorization is None:
            authorization = graphql.development_authorization(request)
        context = graphql.context_for(request, None, authorization)
        if context.viewer_or_none is None:
            return JSONResponse(
                {
                    "errors": [
                        {
                            "message": context.auth_error or "Authentication required.",
                            "extensions": {"code": "UNAUTHENTICATED"},
                        }
                    ]
                },
                status_code=401,
                headers={"WWW-Authenticate": "Bearer", "Cache-Control": "no-store"},
            )
        ident = request.path_params["ident"]
        if not _ID.fullmatch(ident):
            return _page(404, "Tree not found", _not_found_body())
        result = await graphql.schema.execute(
            TREE_QUERY,
            variable_values={"id": ident},
            context_value=context,
            operation_name="TreeView",
        )
        if result.errors:
            first = result.errors[0]
            code = (first.extensions or {}).get("code")
            if code == "UNAUTHENTICATED":
                return _page(401, "Not authorised", f"<p>{escape(first.message)}</p>")
            request_id = escape(str(context.request_id))
            return _page(
                500,
                "The tree could not be read",
                f"<p>The tree could not be read (request id <code>{request_id}</code>).</p>",
            )
        tree = (result.data or {}).get("linkedServiceJobs")
        if tree is None:
            return _page(404, "Tree not found", _not_found_body())
        title = f"Tree {tree['id']} \u2013 {_jobs(len(tree['allServiceJobLinks']))}"
        return _page(200, title, render_tree(tree))

    return tree_view


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count:,} jobs"


def _not_found_body() -> str:
    return "<p>There is no tree with this id that you may see.</p>"


def _page(status: int, title: str, body: str) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    html = (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>{escape(title)}</title>"
        f'<style nonce="{nonce}">{_CSS}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": content_security_policy(nonce),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


def render_tree(tree: Mapping[str, Any]) -> str:
    """The page's body for one `linkedServiceJobs` result of TREE_QUERY."""
    links: list[Mapping[str, Any]] = tree["allServiceJobLinks"]
    placed = layout(
        (link["id"] for link in links),
        (
            (link["previousServiceJobLinkRef"], link["id"])
            for link in links
            if link["previousServiceJobLinkRef"] is not None
        ),
    )
    facts = [
        ("Status", tree["status"]),
        ("Facility", tree["facilityRef"]),
        ("Process", tree["processRef"]),
        ("Order", tree["tenantOrderId"]),
        ("Target time", tree["targetTime"]),
        ("Version", tree["version"]),
    ]
    dl = "".join(
        f"<div><dt>{escape(k)}</dt><dd>{escape(str(v))}</dd></div>"
        for k, v in facts
        if v is not None
    )
    return (
        f'<dl class="facts">{dl}</dl>'
        f"{_legend()}"
        '<p class="hint">Each box is a job; boxes beneath a job are its prerequisites and run '
        "first (the arrows point the way the work flows). Hover over a job for its line "
        "items.</p>"
        f'<div class="canvas">{_svg(links, placed)}</div>'
    )


def _legend() -> str:
    items = "".join(
        f'<li><svg class="swatch" width="14" height="14" aria-hidden="true">'
        f'<rect class="s-{status}" x="1" y="1" width="12" height="12" rx="3"/></svg>'
        f"{escape(label)}</li>"
        for status, (_, _, label) in STATUS_COLOURS.items()
    )
    return f'<ul class="legend" aria-label="Status colours">{items}</ul>'


def _svg(links: list[Mapping[str, Any]], placed: Layout) -> str:
    width = MARGIN * 2 + placed.width * NODE_W + max(placed.width - 1, 0) * GAP_X
    height = MARGIN * 2 + placed.depth * NODE_H + max(placed.depth - 1, 0) * GAP_Y
    width, height = round(max(width, 1)), round(max(height, 1))

    def origin(link_id: str) -> tuple[float, float]:
        p = placed.positions[link_id]
        return (
            MARGIN + p.slot * (NODE_W + GAP_X),
            MARGIN + p.level * (NODE_H + GAP_Y),
        )

    edges: list[str] = []
    nodes: list[str] = []
    for link in links:
        x, y = origin(link["id"])
        parent = link["previousServiceJobLinkRef"]
        if parent is not None and parent in placed.positions:
            px, py = origin(parent)
            # From the prerequisite's top edge up to the bottom edge of the job it comes before.
            x1, y1 = x + NODE_W / 2, y
            x2, y2 = px + NODE_W / 2, py + NODE_H + 4
            mid = (y1 + y2) / 2
            edges.append(
                f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} '
                f'{x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}" marker-end="url(#arrow)"/>'
            )
        nodes.append(_node(link, x, y))
    return (
        f'<svg class="tree" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(_jobs(len(links)))}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path class="arrowhead" '
        'd="M0,0 L10,5 L0,10 z"/></marker></defs>'
        f'<g class="edges">{"".join(edges)}</g>'
        f'<g class="nodes">{"".join(nodes)}</g>'
        "</svg>"
    )


def _node(link: Mapping[str, Any], x: float, y: float) -> str:
    job: Mapping[str, Any] = link["serviceJob"]
    status = str(job["status"])
    label = STATUS_COLOURS.get(status, _UNKNOWN_STATUS)[2]
    if job["shortId"]:
        label = f"{label} \u00b7 {job['shortId']}"
    css_status = status if status in STATUS_COLOURS else "UNKNOWN"
    name = str(job["name"] or "")
    short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "\u2026"
    ident = str(job["id"])
    caption = ident if len(ident) <= ID_CHARS else ident[: ID_CHARS - 1] + "\u2026"
    tooltip = [
        name,
        f"job {ident}",
        f"status {status}",
    ]
    if job["shortId"]:
        tooltip.append(f"short id {job['shortId']}")
    if job["customServiceRef"]:
        tooltip.append(f"custom service {job['customServiceRef']}")
    items: list[Mapping[str, Any]] = job["lineItems"]
    if items:
        tooltip.append("line items:")
        for item in items:
            article = item["article"]
            title = article["title"] or article["tenantArticleId"]
            tooltip.append(f"  {item['quantity']} \u00d7 {title} ({article['tenantArticleId']})")
    else:
        tooltip.append("no line items")
    count = f"{len(items)} item" if len(items) == 1 else f"{len(items)} items"
    return (
        f'<g class="job s-{css_status}" data-job-id="{escape(ident)}" '
        f'transform="translate({x:.1f},{y:.1f})">'
        f"<title>{escape(chr(10).join(tooltip))}</title>"
        f'<rect width="{NODE_W}" height="{NODE_H}" rx="8"/>'
        f'<text class="name" x="10" y="21">{escape(short)}</text>'
        f'<text class="status" x="10" y="39">{escape(label)}</text>'
        f'<text class="count" x="{NODE_W - 10}" y="39">{escape(count)}</text>'
        f'<text class="id" x="10" y="56">{escape(caption)}</text>'
        "</g>"
    )


def _status_css() -> str:
    rules = [
        f".s-{status} rect,rect.s-{status}{{fill:{fill};stroke:{stroke}}}"
        for status, (fill, stroke, _) in STATUS_COLOURS.items()
    ]
    fill, stroke, _ = _UNKNOWN_STATUS
    rules.append(f".s-UNKNOWN rect{{fill:{fill};stroke:{stroke}}}")
    rules.append(".s-OBSOLETE rect,rect.s-OBSOLETE{stroke-dasharray:4 3}")
    rules.append(".s-CANCELLED text.name{text-decoration:line-through}")
    return "".join(rules)


_CSS = (
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:16px;"
    "color:#111827;background:#f9fafb}"
    "h1{font-size:18px;margin:0 0 8px}"
    ".facts{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0 0 8px}"
    ".facts div{display:flex;gap:6px}.facts dt{color:#6b7280}.facts dd{margin:0}"
    ".legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:0 0 8px}"
    ".legend li{display:flex;align-items:center;gap:6px}"
    ".swatch rect{stroke-width:1.5}"
    ".hint{color:#6b7280;margin:0 0 8px}"
    ".canvas{overflow:auto;max-height:calc(100vh - 150px);background:#fff;"
    "border:1px solid #e5e7eb;border-radius:8px}"
    "svg.tree{display:block}"
    ".edge{fill:none;stroke:#9ca3af;stroke-width:1.5}"
    ".arrowhead{fill:#9ca3af}"
    ".job rect{stroke-width:2}"
    ".job:hover rect{stroke-width:3.5;filter:drop-shadow(0 2px 3px rgba(0,0,0,.25))}"
    ".job text{font-size:12px;fill:#374151}"
    ".job text.name{font-size:13px;font-weight:600;fill:#111827}"
    ".job text.id,.job text.count{font-family:ui-monospace,monospace;font-size:10px;"
    "fill:#6b7280}"
    ".job text.count{text-anchor:end}" + _status_css()
)
