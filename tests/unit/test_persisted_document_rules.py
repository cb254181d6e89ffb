"""Which document a request names, in each mode (app/domain/persisted_documents.py)."""

from __future__ import annotations

import hashlib

import pytest

from app.domain.persisted_documents import (
    MAX_DOCUMENT_CHARS,
    Mode,
    PersistedQueryRefused,
    PersistedRequest,
    document_hash,
    document_id,
    lookup_hash,
    read_request,
    resolve,
)

QUERY = "{ customServices { totalCount } }"
HASH = document_hash(QUERY)
APQ = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


def refusal(mode: Mode, request: PersistedRequest, stored: str | None) -> tuple[int, str]:
    with pytest.raises(PersistedQueryRefused) as refused:
        resolve(mode, request, stored)
    return refused.value.status, refused.value.code


def test_the_hash_is_the_sha256_of_the_text_and_the_document_id_names_it() -> None:
    assert hashlib.sha256(QUERY.encode()).hexdigest() == HASH
    assert document_id(HASH) == f"sha256:{HASH}"
    assert read_request(None, None, f"sha256:{HASH.upper()}").sha256 == HASH


@pytest.mark.parametrize(
    ("query", "extensions", "document"),
    [
        (None, {"persistedQuery": "x"}, None),
        (None, {"persistedQuery": {"version": 2, "sha256Hash": HASH}}, None),
        (None, {"persistedQuery": {"version": 1}}, None),
        (None, {"persistedQuery": {"version": 1, "sha256Hash": "zz" * 32}}, None),
        (None, {"persistedQuery": {"version": 1, "sha256Hash": HASH + "0"}}, None),
        (None, {"persistedQuery": {"version": 1, "sha256Hash": 5}}, None),
        (None, None, HASH),
        (None, None, f"md5:{HASH}"),
        (None, None, ["sha256:" + HASH]),
        (QUERY, None, f"sha256:{HASH}"),
        (None, {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}, f"sha256:{HASH}"),
        (5, None, None),
    ],
)
def test_malformed_requests_are_bad_requests(
    query: object, extensions: object, document: object
) -> None:
    with pytest.raises(PersistedQueryRefused) as refused:
        read_request(query, extensions, document)
    assert (refused.value.status, refused.value.code) == (400, "BAD_REQUEST")


def test_plain_texts_run_in_every_mode_but_only() -> None:
    plain = read_request(QUERY, {"other": 1}, None)
    for mode in (Mode.OFF, Mode.APQ):
        assert lookup_hash(mode, plain) is None
        assert resolve(mode, plain, None).query == QUERY
    assert lookup_hash(Mode.ONLY, plain) == HASH
    assert resolve(Mode.ONLY, plain, QUERY).query == QUERY
    assert refusal(Mode.ONLY, plain, None) == (403, "PERSISTED_QUERY_REQUIRED")


def test_automatic_persisted_queries() -> None:
    hash_only = read_request(None, APQ, None)
    with_text = read_request(QUERY, APQ, None)
    assert refusal(Mode.APQ, hash_only, None) == (404, "PERSISTED_QUERY_NOT_FOUND")
    registered = resolve(Mode.APQ, with_text, None)
    assert registered.register and registered.query == QUERY and registered.sha256 == HASH
    assert not resolve(Mode.APQ, with_text, QUERY).register
    assert resolve(Mode.APQ, hash_only, QUERY).query == QUERY


def test_apollo_clients_recognise_not_found_and_not_supported_by_message() -> None:
    with pytest.raises(PersistedQueryRefused) as missing:
        resolve(Mode.APQ, read_request(None, APQ, None), None)
    assert missing.value.message == "PersistedQueryNotFound"
    with pytest.raises(PersistedQueryRefused) as off:
        resolve(Mode.OFF, read_request(None, APQ, None), None)
    assert (off.value.status, off.value.code, off.value.message) == (
        400,
        "PERSISTED_QUERY_NOT_SUPPORTED",
        "PersistedQueryNotSupported",
    )


def test_a_text_that_is_not_the_hashed_one_is_refused() -> None:
    other = read_request("{ serviceJobs { totalCount } }", APQ, None)
    assert refusal(Mode.APQ, other, None) == (400, "PERSISTED_QUERY_HASH_MISMATCH")
    assert refusal(Mode.ONLY, other, None) == (400, "PERSISTED_QUERY_HASH_MISMATCH")


def test_only_mode_registers_nothing_automatically() -> None:
    with_text = read_request(QUERY, APQ, None)
    assert refusal(Mode.ONLY, with_text, None) == (403, "PERSISTED_QUERY_REQUIRED")
    assert resolve(Mode.ONLY, with_text, QUERY).query == QUERY
    assert resolve(Mode.ONLY, read_request(None, None, document_id(HASH)), QUERY).query == QUERY


def test_unknown_document_ids_say_how_to_register() -> None:
    with pytest.raises(PersistedQueryRefused) as refused:
        resolve(Mode.ONLY, read_request(None, None, document_id(HASH)), None)
    assert refused.value.code == "PERSISTED_QUERY_NOT_FOUND"
    assert "python -m app persist" in refused.value.message


def test_huge_texts_are_not_stored() -> None:
    huge = "{ customServices { totalCount } }" + "#" * MAX_DOCUMENT_CHARS
    request = read_request(
        huge, {"persistedQuery": {"version": 1, "sha256Hash": document_hash(huge)}}, None
    )
    assert refusal(Mode.APQ, request, None) == (413, "PERSISTED_QUERY_TOO_LARGE")
