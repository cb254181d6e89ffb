"""`GET /trees/{id}`: one linked service jobs tree as a page a person can read.

The page is built from the GraphQL API itself: the view runs one query in process with the
context the /graphql endpoint builds for the caller (same token check, same tenant and facility
scope, same limits), lays the jobs out server-side (app.http.tree_layout) and answers a
self-contained HTML page: an outline of boxes joined by elbow lines, folded with <details>
beneath the first levels so that a big tree opens on its root. No script, no external URL: the
Content-Security-Policy allows nothing but the page's own <style> element (by nonce) and data:
images. The page is rendered by Jinja2 templates (app/http/templates) with autoescape on, so
everything that comes from data is HTML-escaped.

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
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
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
NOT_FOUND = "There is no tree with this id that you may see."
_TEMPLATES = Environment(
    loader=PackageLoader("app.http", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
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
            return _page(404, "Tree not found", message=NOT_FOUND)
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
                return _page(401, "Not authorised", message=first.message)
            return _page(
                500,
                "The tree could not be read",
                message="The tree could not be read",
                request_id=str(context.request_id),
            )
        tree = (result.data or {}).get("linkedServiceJobs")
        if tree is None:
            return _page(404, "Tree not found", message=NOT_FOUND)
        title = f"Tree {tree['id']} \u2013 {_jobs(len(tree['allServiceJobLinks']))}"
        return _page(200, title, tree=tree_page(tree, _levels(request.query_params.get("levels"))))

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


def _page(
    status: int,
    title: str,
    *,
    tree: TreePage | None = None,
    message: str | None = None,
    request_id: str | None = None,
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    html = _TEMPLATES.get_template("page.html").render(
        title=title,
        nonce=nonce,
        tree=tree,
        message=message,
        request_id=request_id,
        colours=STATUS_COLOURS,
        unknown=_UNKNOWN_STATUS,
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


@dataclass(slots=True)
class JobRow:
    """One job's box in the outline, with its prerequisites beneath it."""

    ident: str
    css_status: str
    label: str
    short_name: str
    short_id: str | None
    tooltip: str
    #: (reason code, text) of why it is not ready.
    reasons: list[tuple[str, str]]
    count: str
    beneath: str
    open: bool
    children: list[JobRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TreePage:
    """What tree.html shows of one tree."""

    facts: list[tuple[str, str]]
    summary: str
    #: (label, ?levels= value, whether it is the current choice); empty for one level.
    level_links: list[tuple[str, str, bool]]
    jobs: str
    roots: list[JobRow]


def tree_page(tree: Mapping[str, Any], levels: int | None = None) -> TreePage:
    """One `linkedServiceJobs` result of TREE_QUERY as a page: jobs on the first `levels`
    levels unfolded (None: as many as keep the first view small)."""
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
    return TreePage(
        facts=[(name, str(value)) for name, value in facts if value is not None],
        summary=_summary(links, depth),
        level_links=_level_links(depth, unfolded),
        jobs=_jobs(len(links)),
        roots=[_row(by_id, shape, unfolded, root) for root in shape.roots],
    )


def _summary(links: list[Mapping[str, Any]], depth: int) -> str:
    """How many jobs are in each status, in the legend's order."""
    counts = Counter(str(link["serviceJob"]["status"]) for link in links)
    parts = [
        f"{counts[status]:,} {label}"
        for status, (_, _, label) in STATUS_COLOURS.items()
        if counts[status]
    ]
    parts += [f"{n:,} {s}" for s, n in counts.items() if s not in STATUS_COLOURS]
    levels = "1 level" if depth == 1 else f"{depth} levels"
    return f"{_jobs(len(links))} on {levels}: {', '.join(parts)}."


def _level_links(depth: int, unfolded: int) -> list[tuple[str, str, bool]]:
    """Links that unfold the first n levels (the page has no script: each is a new page)."""
    if depth <= 1:
        return []
    unfolded = min(unfolded, depth)
    choices = sorted({n for n in (1, 2, 3, 5, 10) if n < depth} | {unfolded, depth})
    return [
        (f"all {n}" if n >= depth else str(n), "all" if n >= depth else str(n), n == unfolded)
        for n in choices
    ]


def _row(
    links: Mapping[str, Mapping[str, Any]], shape: Outline, unfolded: int, link_id: str
) -> JobRow:
    """A job's row and, beneath it, its prerequisites' rows: each job once."""
    children = shape.children[link_id]
    prerequisites = [_status(links[c]["serviceJob"]["status"]) for c in children]
    row = _job_row(links[link_id], prerequisites, shape.beneath[link_id])
    row.open = bool(children) and shape.level[link_id] < unfolded
    row.children = [_row(links, shape, unfolded, child) for child in children]
    return row


def _status(value: Any) -> JobStatus | None:
    try:
        return JobStatus(str(value))
    except ValueError:
        return None


def _job_row(
    link: Mapping[str, Any], prerequisites: list[JobStatus | None], beneath: int
) -> JobRow:
    job: Mapping[str, Any] = link["serviceJob"]
    status = str(job["status"])
    name = str(job["name"] or "")
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
    return JobRow(
        ident=ident,
        css_status=status if status in STATUS_COLOURS else "UNKNOWN",
        label=STATUS_COLOURS.get(status, _UNKNOWN_STATUS)[2],
        short_name=name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "\u2026",
        short_id=str(job["shortId"]) if job["shortId"] else None,
        tooltip="\n".join(tooltip),
        reasons=[(w.reason.value, w.text) for w in waiting],
        count=f"{len(items)} item" if len(items) == 1 else f"{len(items)} items",
        # Always there, so that the columns of sibling boxes line up.
        beneath=f"{beneath:,} beneath" if beneath else "",
        open=False,
    )


def _item_line(item: Mapping[str, Any]) -> str:
    article = item["article"]
    title = article["title"] or article["tenantArticleId"]
    return f"  {item['quantity']} \u00d7 {title} ({article['tenantArticleId']})"
