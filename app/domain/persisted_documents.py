"""Persisted documents: which GraphQL document a request means when it names one by hash.

Two ways to name a document: Apollo's automatic persisted queries
(`extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}`, with or without the
`query` itself) and GraphQL over HTTP's persisted documents (`documentId: "sha256:<hex>"`).
Both name a document by the SHA-256 of its text. The modes (`PERSISTED_QUERIES`):

- `off`: documents are sent as text; a request naming one by hash is refused
  (PERSISTED_QUERY_NOT_SUPPORTED, so Apollo clients stop trying).
- `apq` (default): texts are accepted, and so are hashes of registered documents and of the
  caller's tenant's automatic entries; a hash with its text registers an automatic entry once
  the operation has passed every check (bounded per tenant, see MAX_DOCUMENT_CHARS and the
  store).
- `only`: registered documents alone (`python -m app persist`): a text is accepted only when
  it is one of them, and nothing is registered automatically.

Everything here is pure: what the request carries, checked and read (`read_request`), then
what it resolves to once the store has been asked (`resolve`)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum


class Mode(StrEnum):
    OFF = "off"
    APQ = "apq"
    ONLY = "only"


#: Longest document text stored, by registration or automatically (a client's operation with
#: its fragments is a few kilobytes; the benchmark's 25-level tree query is 4 KB).
MAX_DOCUMENT_CHARS = 100_000
_HEX = re.compile(r"[0-9a-f]{64}")
_DOCUMENT_ID_PREFIX = "sha256:"

#: What Apollo clients match on (the message, in older versions) to resend with the text.
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
NOT_SUPPORTED_MESSAGE = "PersistedQueryNotSupported"


class PersistedQueryRefused(Exception):
    """A request-level refusal: HTTP `status`, `code` in `extensions.code`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def document_hash(text: str) -> str:
    """The SHA-256 of a document's UTF-8 text, in lower-case hex (what clients send)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def document_id(sha256: str) -> str:
    """The documentId of a document with this hash."""
    return f"{_DOCUMENT_ID_PREFIX}{sha256}"


@dataclass(frozen=True)
class PersistedRequest:
    """What a request says about its document: its text, the hash it names, or both."""

    query: str | None
    sha256: str | None = None
    #: "apq" (extensions.persistedQuery) or "document_id"; None when no hash was named.
    via: str | None = None


@dataclass(frozen=True)
class Resolution:
    """The text to run, and whether to store it as the tenant's automatic entry once the
    operation has passed every check before execution."""

    query: str | None
    sha256: str | None = None
    register: bool = False


def _bad(message: str) -> PersistedQueryRefused:
    return PersistedQueryRefused(400, "BAD_REQUEST", message)


def read_request(query: object, extensions: object, document_id_value: object) -> PersistedRequest:
    """Check the shapes of `query`, `extensions.persistedQuery` and `documentId`."""
    if query is not None and not isinstance(query, str):
        raise _bad("The GraphQL operation's `query` must be a string or null, if provided.")
    sha256, via = None, None
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if persisted is not None:
        if not isinstance(persisted, dict):
            raise _bad('extensions.persistedQuery must be {"version": 1, "sha256Hash": "<hex>"}.')
        if persisted.get("version") != 1:
            raise _bad("extensions.persistedQuery.version must be 1 (the only version there is).")
        sha256 = _hex(persisted.get("sha256Hash"), "extensions.persistedQuery.sha256Hash")
        via = "apq"
    if document_id_value is not None:
        named = _document_id(document_id_value)
        if sha256 is not None and named != sha256:
            raise _bad("documentId and extensions.persistedQuery name different documents.")
        if query is not None:
            raise _bad("Send either documentId or query, not both.")
        sha256, via = named, "document_id"
    return PersistedRequest(query=query, sha256=sha256, via=via)


def _hex(value: object, name: str) -> str:
    if not isinstance(value, str) or not _HEX.fullmatch(value.lower()):
        raise _bad(f"{name} must be a SHA-256 in hex (64 digits).")
    return value.lower()


def _document_id(value: object) -> str:
    if not isinstance(value, str) or not value.startswith(_DOCUMENT_ID_PREFIX):
        raise _bad("documentId must be 'sha256:' followed by the document's SHA-256 in hex.")
    return _hex(value[len(_DOCUMENT_ID_PREFIX) :], "documentId")


def lookup_hash(mode: Mode, request: PersistedRequest) -> str | None:
    """The hash whose stored text `resolve` needs, if any: the named one, or in `only` mode
    the text's own (a text must be a registered document)."""
    if mode is Mode.OFF:
        return None
    if request.sha256 is not None:
        return request.sha256
    if mode is Mode.ONLY and request.query is not None:
        return document_hash(request.query)
    return None


def resolve(mode: Mode, request: PersistedRequest, stored: str | None) -> Resolution:
    """The document a request runs. `stored` is what the store holds for `lookup_hash`:
    registered documents in every mode, the tenant's automatic entries in `apq` mode."""
    if request.sha256 is None:
        if mode is Mode.ONLY and request.query is not None and stored is None:
            raise PersistedQueryRefused(
                403,
                "PERSISTED_QUERY_REQUIRED",
                "Only registered documents are accepted (PERSISTED_QUERIES=only): register "
                "this one with `python -m app persist FILE.graphql` and send its documentId.",
            )
        return Resolution(query=request.query)
    if mode is Mode.OFF:
        raise PersistedQueryRefused(400, "PERSISTED_QUERY_NOT_SUPPORTED", NOT_SUPPORTED_MESSAGE)
    if request.query is None:
        if stored is None:
            message = NOT_FOUND_MESSAGE
            if request.via == "document_id":
                message = (
                    f"Unknown documentId {document_id(request.sha256)}: register the document "
                    "with `python -m app persist FILE.graphql`."
                )
            raise PersistedQueryRefused(404, "PERSISTED_QUERY_NOT_FOUND", message)
        return Resolution(query=stored, sha256=request.sha256)
    if document_hash(request.query) != request.sha256:
        raise PersistedQueryRefused(
            400,
            "PERSISTED_QUERY_HASH_MISMATCH",
            "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query's text.",
        )
    if stored is not None:
        return Resolution(query=request.query, sha256=request.sha256)
    if mode is Mode.ONLY:
        raise PersistedQueryRefused(
            403,
            "PERSISTED_QUERY_REQUIRED",
            "Only registered documents are accepted (PERSISTED_QUERIES=only): documents are "
            "not registered automatically; use `python -m app persist FILE.graphql`.",
        )
    if len(request.query) > MAX_DOCUMENT_CHARS:
        raise PersistedQueryRefused(
            413,
            "PERSISTED_QUERY_TOO_LARGE",
            f"Documents of more than {MAX_DOCUMENT_CHARS:,} characters are not persisted: "
            "send this one as a plain query, without extensions.persistedQuery.",
        )
    return Resolution(query=request.query, sha256=request.sha256, register=True)
