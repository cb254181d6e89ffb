"""Live fuzzing of what schemathesis does not vary: request bodies, headers, methods, media
types and paths, sent over real sockets to a running server.

    python scripts/fuzz_http.py http://127.0.0.1:8000 TOKEN

Hypothesis generates requests (random bytes and JSON values, documents with NUL, surrogates and
deep nesting, oversized and malformed headers, forged tokens, odd methods and content types);
each answer must be below 500, and every refusal of the GraphQL endpoint JSON with
`errors[0].extensions.code` (never INTERNAL_SERVER_ERROR); the server must still answer
/healthz afterwards. FUZZ_HTTP_EXAMPLES (default 250) cases; a failing case is shrunk and
printed. Exits non-zero on any failure.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BASE, TOKEN = sys.argv[1], sys.argv[2]
EXAMPLES = int(os.environ.get("FUZZ_HTTP_EXAMPLES", "250"))

client = httpx.Client(base_url=BASE, timeout=30)
stats: dict[str, Any] = {"cases": 0, "by_status": {}}

texts = st.text(max_size=40) | st.sampled_from(["\x00", "a\x00b", "é" * 50, "x" * 5000])
json_leaves = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts
json_values = st.recursive(
    json_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)
documents = (
    st.sampled_from(
        [
            "{ __typename }",
            "{ customServices { totalCount } }",
            "query($id: ID!) { serviceJob(id: $id) { id name status } }",
            "query($n: Int) { serviceJobs(first: $n) { nodes { id } } }",
            'subscription { serviceJobChanged(id: "x") { id } }',
            "mutation { __typename }",
            "query A { __typename } query B { __typename }",
            "{ " * 40 + "}" * 40,
            "fragment F on Query { ...F } { ...F }",
            '{ serviceJob(id: "\\u0000") { id } }',
            '{ serviceJob(id: "\\ud800") { id } }',
        ]
    )
    | texts
)


def deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.builds(
        lambda q, v, op: json.dumps({"query": q, "variables": v, "operationName": op}).encode(),
        documents,
        json_values,
        st.none() | texts,
    ),
    st.builds(
        lambda q, d: f'{{"query": {json.dumps(q)}, "variables": {{"id": {deep(d)}}}}}'.encode(),
        documents,
        st.integers(1, 3000),
    ),
    st.sampled_from(
        [b'"x"', b"null", b"5", b"[]", b"[{}]", b"\xff\xfe\x00", b'{"query": "\\ud800"}', b""]
    ),
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=latin-1",
        "application/graphql-response+json",
        "application/graphql",
        "text/plain",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded",
        "",
        "\x7f",
    ]
)
authorizations = st.one_of(
    st.just(f"Bearer {TOKEN}"),
    st.just(f"Bearer {TOKEN}"),
    st.sampled_from(["", "Bearer", "Bearer ", "Basic abc", "bearer x.y.z", "Bearer " + "a" * 9000]),
    texts.map(lambda t: f"Bearer {t}"),
)
accepts = st.sampled_from(
    ["application/json", "application/graphql-response+json", "text/html", "*/*", "", "x/y;q=a"]
)
paths = st.sampled_from(
    [
        "/graphql",
        "/graphql",
        "/graphql",
        "/graphql?query=%7B__typename%7D",
        "/documents/x",
        "/uploads/not-a-token",
        "/trees/x",
        "/readyz",
        "/metrics",
        "/nope",
        "/graphql?variables=5",
    ]
)
methods = st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
extra_headers = st.dictionaries(
    st.from_regex(r"X-[A-Za-z]{1,10}", fullmatch=True),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=2000),
    max_size=5,
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    method=methods,
    path=paths,
    body=bodies,
    content_type=content_types,
    authorization=authorizations,
    accept=accepts,
    extra=extra_headers,
)
def test_every_answer_is_a_client_error_or_success(
    method: str,
    path: str,
    body: bytes,
    content_type: str,
    authorization: str,
    accept: str,
    extra: dict[str, str],
) -> None:
    headers = {**extra, "Authorization": authorization, "Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        request = client.build_request(
            method,
            path,
            content=body if method not in {"GET", "OPTIONS"} else None,
            headers=headers,
        )
    except (httpx.InvalidURL, UnicodeEncodeError, ValueError):
        return  # a header the client itself cannot send
    try:
        response = client.send(request)
    except httpx.LocalProtocolError:
        return  # the same, found while sending
    stats["cases"] += 1
    stats["by_status"][response.status_code] = stats["by_status"].get(response.status_code, 0) + 1
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if not path.startswith("/graphql") or "text/html" in response.headers.get("content-type", ""):
        return
    if response.status_code >= 400:
        assert response.headers.get("content-type", "").startswith("application/"), (
            response.status_code,
            response.headers,
            response.text[:300],
        )
        error = response.json()["errors"][0]
        assert error["message"] and error["extensions"]["code"], error
    if response.headers.get("content-type", "").startswith("application/"):
        for error in response.json().get("errors") or ():
            code = error.get("extensions", {}).get("code")
            assert code and code != "INTERNAL_SERVER_ERROR", error


def main() -> int:
    status = 0
    try:
        test_every_answer_is_a_client_error_or_success()
    except Exception as exc:  # Hypothesis has printed the shrunk case
        print(f"fuzz-http: FAILED: {exc!r}"[:2000])
        status = 1
    alive = client.get("/healthz").status_code == 200
    print(
        f"fuzz-http: {stats['cases']} requests, answers by status {stats['by_status']}, "
        f"/healthz {'up' if alive else 'DOWN'}"
    )
    return status or (0 if alive else 1)


if __name__ == "__main__":
    sys.exit(main())
