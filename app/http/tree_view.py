"""`GET /trees/{id}`: one linked service jobs tree as a page a person can read.

The page is built from the GraphQL API itself: the view runs one query in process with the
context the /graphql endpoint builds for the caller (same token check, same tenant and facility
scope, same limits), lays the jobs out server-side (app.http.tree_layout) and answers a
self-contained HTML page: an outline of boxes joined by elbow lines, folded with <details>
beneath the first levels so that a big tree opens on its root. No script, no external URL: the
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
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from app.domain.job_status import JobStatus
from app.domain.readiness import waiting_for
from app.http.graphql_view import GatewayGraphQL
from app.http.tree_layout import Outline, levels_to_open, outline

TREE_QUERY = """\
query TreeView($id: ID!) {
  linkedServiceJobs(id: $id) {
    id status facilityRef processRef tenantOrderId targetTime version
    allServiceJobLinks {
      id previousServiceJobLinkRef
      serviceJob {
        id shortId name status subStatus customServiceRef
        lineItems { quantity article { tenantArticleId title } }
        requiredLineItems { quantity article { tenantArticleId title } }
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

NAME_CHARS = 40
#: `?levels=all`: more levels than any tree has.
ALL_LEVELS = 1_000_000


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
        return _page(200, title, render_tree(tree, _levels(request.query_params.get("levels"))))

    return tree_view


def _levels(value: str | None) -> int | None:
    """`?levels=n` unfolds the first n levels, `?levels=all` every level; anything else (or
    nothing) leaves the choice to the page."""
    if value == "all":
        return ALL_LEVELS
    if value is not None and value.isascii() and value.isdigit() and len(value) <= 3:
        return max(int(value), 0)
    return None


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


def render_tree(tree: Mapping[str, Any], levels: int | None = None) -> str:
    """The page's body for one `linkedServiceJobs` result of TREE_QUERY: jobs on the first
    `levels` levels unfolded (None: as many as keep the first view small)."""
    links: list[Mapping[str, Any]] = tree["allServiceJobLinks"]
    by_id = {link["id"]: link for link in links}
    shape = outline(
        by_id,
        (
            (link["previousServiceJobLinkRef"], link["id"])
            for link in links
            if link["previousServiceJobLinkRef"] is not None
        ),
    )
    depth = len(shape.per_level)
    unfolded = levels_to_open(shape.per_level) if levels is None else levels
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
    rows = _Rows(by_id, shape, unfolded)
    body = "".join(rows.item(root) for root in shape.roots)
    return (
        f'<dl class="facts">{dl}</dl>'
        f"{_summary(links, depth)}"
        f"{_legend()}"
        '<p class="hint">Each box is a job; the jobs indented beneath it are its prerequisites '
        "and run first. Click a job marked \u25b8 to unfold its prerequisites; hover over a "
        "job for its line items.</p>"
        f"{_level_links(depth, unfolded)}"
        f'<div class="canvas"><ul class="tree" aria-label="{escape(_jobs(len(links)))}">'
        f"{body}</ul></div>"
    )


def _summary(links: list[Mapping[str, Any]], depth: int) -> str:
    """How many jobs are in each status, in the legend's order."""
    counts = Counter(str(link["serviceJob"]["status"]) for link in links)
    parts = [
        f"{counts[status]:,} {label}"
        for status, (_, _, label) in STATUS_COLOURS.items()
        if counts[status]
    ]
    parts += [f"{n:,} {escape(s)}" for s, n in counts.items() if s not in STATUS_COLOURS]
    levels = "1 level" if depth == 1 else f"{depth} levels"
    return f'<p class="summary">{_jobs(len(links))} on {levels}: {", ".join(parts)}.</p>'


def _level_links(depth: int, unfolded: int) -> str:
    """Links that unfold the first n levels (the page has no script: each is a new page)."""
    if depth <= 1:
        return ""
    unfolded = min(unfolded, depth)
    choices = sorted({n for n in (1, 2, 3, 5, 10) if n < depth} | {unfolded, depth})
    links = []
    for n in choices:
        label = f"all {n}" if n >= depth else str(n)
        target = "all" if n >= depth else str(n)
        if n == unfolded:
            links.append(f'<strong aria-current="page">{label}</strong>')
        else:
            links.append(f'<a href="?levels={target}">{label}</a>')
    joined = " \u00b7 ".join(links)
    return f'<p class="levels">Levels unfolded: {joined}</p>'


class _Rows:
    """The outline's list items, each job once."""

    def __init__(
        self, links: Mapping[str, Mapping[str, Any]], shape: Outline, unfolded: int
    ) -> None:
        self.links = links
        self.shape = shape
        self.unfolded = unfolded

    def item(self, link_id: str) -> str:
        children = self.shape.children[link_id]
        link = self.links[link_id]
        prerequisites = [_status(self.links[c]["serviceJob"]["status"]) for c in children]
        box = _node(link, prerequisites, self.shape.beneath[link_id])
        if not children:
            return f'<li><div class="row"><span class="toggle"></span>{box}</div></li>'
        is_open = " open" if self.shape.level[link_id] < self.unfolded else ""
        inner = "".join(self.item(child) for child in children)
        return (
            f'<li><details{is_open}><summary class="row">'
            f'<span class="toggle" aria-hidden="true"></span>{box}</summary>'
            f"<ul>{inner}</ul></details></li>"
        )


def _status(value: Any) -> JobStatus | None:
    try:
        return JobStatus(str(value))
    except ValueError:
        return None


def _legend() -> str:
    items = "".join(
        f'<li><span class="swatch s-{status}"></span>{escape(label)}</li>'
        for status, (_, _, label) in STATUS_COLOURS.items()
    )
    return f'<ul class="legend" aria-label="Status colours">{items}</ul>'


def _node(link: Mapping[str, Any], prerequisites: list[JobStatus | None], beneath: int) -> str:
    job: Mapping[str, Any] = link["serviceJob"]
    status = str(job["status"])
    label = STATUS_COLOURS.get(status, _UNKNOWN_STATUS)[2]
    css_status = status if status in STATUS_COLOURS else "UNKNOWN"
    name = str(job["name"] or "")
    short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "\u2026"
    ident = str(job["id"])
    known = _status(status)
    waiting = (
        waiting_for(
            known,
            job["subStatus"],
            [s if s is not None else JobStatus.NOT_READY for s in prerequisites],
        )
        if known is not None
        else []
    )
    tooltip = [name, f"job {ident}", f"status {status}"]
    tooltip += [f"waiting: {w.text}" for w in waiting]
    if job["shortId"]:
        tooltip.append(f"short id {job['shortId']}")
    if job["customServiceRef"]:
        tooltip.append(f"custom service {job['customServiceRef']}")
    items: list[Mapping[str, Any]] = job["lineItems"]
    tooltip.append("line items:" if items else "no line items")
    tooltip += [_item_line(item) for item in items]
    required: list[Mapping[str, Any]] = job["requiredLineItems"] or []
    if required:
        tooltip.append("required line items:")
        tooltip += [_item_line(item) for item in required]
    count = f"{len(items)} item" if len(items) == 1 else f"{len(items)} items"
    reasons = "".join(
        f'<span class="why w-{w.reason.value}">{escape(w.text)}</span>' for w in waiting
    )
    # Always there, so that the columns of sibling boxes line up.
    extra = f'<span class="beneath">{f"{beneath:,} beneath" if beneath else ""}</span>'
    short_id = f'<span class="sid">{escape(str(job["shortId"]))}</span>' if job["shortId"] else ""
    return (
        f'<div class="job s-{css_status}" data-job-id="{escape(ident)}" '
        f'title="{escape(chr(10).join(tooltip))}">'
        f'<span class="name">{escape(short)}</span>{short_id}'
        f'<span class="state"><span class="label">{escape(label)}</span>{reasons}</span>'
        f'<span class="count">{escape(count)}</span>{extra}</div>'
    )


def _item_line(item: Mapping[str, Any]) -> str:
    article = item["article"]
    title = article["title"] or article["tenantArticleId"]
    return f"  {item['quantity']} \u00d7 {title} ({article['tenantArticleId']})"


def _status_css() -> str:
    rules = [
        f".s-{status}{{background:{fill};border-color:{stroke}}}"
        f".s-{status} .label{{color:{stroke}}}"
        for status, (fill, stroke, _) in STATUS_COLOURS.items()
    ]
    fill, stroke, _ = _UNKNOWN_STATUS
    rules.append(f".s-UNKNOWN{{background:{fill};border-color:{stroke}}}")
    rules.append(".job.s-OBSOLETE{border-style:dashed}")
    rules.append(".s-CANCELLED .name{text-decoration:line-through}")
    return "".join(rules)


#: Elbow lines: each item draws the corner into its own box (::before) and, unless it is
#: the last sibling, the line down to the next sibling (::after).
_LINE = "1.5px solid #cbd5e1"
_CSS = (
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:16px;"
    "color:#111827;background:#f9fafb}"
    "h1{font-size:18px;margin:0 0 8px;overflow-wrap:anywhere}"
    ".facts{display:flex;flex-wrap:wrap;gap:4px 20px;margin:0 0 6px}"
    ".facts div{display:flex;gap:6px}.facts dt{color:#6b7280}.facts dd{margin:0}"
    ".summary{margin:0 0 6px}"
    ".legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:0 0 6px}"
    ".legend li{display:flex;align-items:center;gap:6px}"
    ".swatch{display:inline-block;width:12px;height:12px;border:1.5px solid;border-radius:3px}"
    ".hint,.levels{color:#6b7280;margin:0 0 6px}.hint{font-size:13px}"
    ".levels a{color:#2563eb}.levels strong{color:#111827}"
    ".canvas{overflow:auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px;"
    "padding:8px 12px 12px}"
    ".tree,.tree ul{list-style:none;margin:0;padding:0}"
    ".tree ul{margin-left:9px}"
    ".tree ul>li{position:relative;padding-left:16px}"
    f".tree ul>li::before{{content:'';position:absolute;left:0;top:0;width:14px;height:17px;"
    f"border-left:{_LINE};border-bottom:{_LINE};border-bottom-left-radius:6px}}"
    f".tree ul>li::after{{content:'';position:absolute;left:0;top:17px;bottom:0;"
    f"border-left:{_LINE}}}"
    ".tree ul>li:last-child::after{display:none}"
    ".row{display:flex;align-items:center;padding-top:4px}"
    "summary.row{list-style:none;cursor:pointer}"
    "summary.row::-webkit-details-marker{display:none}"
    ".toggle{flex:none;width:18px;color:#6b7280;font-size:12px}"
    "details>summary .toggle::before{content:'\\25B8'}"
    "details[open]>summary .toggle::before{content:'\\25BE'}"
    ".job{display:flex;align-items:baseline;gap:10px;box-sizing:border-box;width:600px;"
    "padding:3px 10px;"
    "border:1.5px solid;border-left-width:5px;border-radius:6px;font-size:12px}"
    "summary:hover .job,.job:hover{box-shadow:0 1px 4px rgba(0,0,0,.25)}"
    ".job .name{flex:0 1 12em;min-width:6em;font-size:13px;font-weight:600;"
    "white-space:nowrap;overflow:hidden;text-overflow:ellipsis}"
    ".job .sid,.job .count,.job .beneath{flex:none;font-family:ui-monospace,monospace;"
    "font-size:11px;color:#6b7280;white-space:nowrap}"
    ".job .state{flex:1 1 auto;display:flex;flex-wrap:wrap;gap:0 8px}"
    ".job .label{font-weight:600}"
    ".job .why{color:#92400e}"
    ".job .why::before{content:'\\2013  '}"
    ".job .w-REQUIRED_LINE_ITEMS_UNFULFILLABLE{color:#b91c1c}"
    ".job .beneath{min-width:7em;text-align:right}" + _status_css()
)
