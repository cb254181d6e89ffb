"""Schemathesis fuzzes every query and mutation of the schema through the ASGI app: no
response may be a 5xx or carry a masked INTERNAL_SERVER_ERROR. Refusals of bad input (BAD_REQUEST,
userErrors) are the expected answers to most generated requests."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from graphql import (
    BooleanValueNode,
    IntValueNode,
    NameNode,
    ObjectFieldNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from app.auth import issue_token
from app.db.engine import create_engine
from app.db.migrate import upgrade
from app.domain.localized import SUPPORTED_LOCALES
from app.http.app import create_app
from app.settings import Settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))


def _object(pairs: Mapping[str, ValueNode]) -> ObjectValueNode:
    return ObjectValueNode(
        fields=tuple(
            ObjectFieldNode(name=NameNode(value=key), value=value) for key, value in pairs.items()
        )
    )


_names = st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,12}", fullmatch=True)
_leaves: st.SearchStrategy[ValueNode] = st.one_of(
    st.text(max_size=20).map(lambda s: StringValueNode(value=s)),
    st.integers(-(2**31), 2**31 - 1).map(lambda i: IntValueNode(value=str(i))),
    st.booleans().map(lambda b: BooleanValueNode(value=b)),
)
schemathesis.graphql.scalar(
    "LocalizedText",
    st.dictionaries(
        st.one_of(st.sampled_from(SUPPORTED_LOCALES), _names),
        st.text(max_size=30).map(lambda s: StringValueNode(value=s)),
        max_size=4,
    ).map(_object),
)
schemathesis.graphql.scalar("JSONObject", st.dictionaries(_names, _leaves, max_size=4).map(_object))


def _app_and_token(tmp: Path) -> tuple[Any, str]:
    url = f"sqlite+aiosqlite:///{tmp}/fuzz.db"

    async def migrate() -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    settings_ = Settings(
        _env_file=None,  # type: ignore[call-arg]
        app_env="production",
        database_url=url,
        jwt_secret="fuzzing-secret-that-is-long-enough-for-hs256",  # type: ignore[arg-type]
        introspection=True,
    )
    return create_app(settings_), issue_token(settings_, tenant="acme")


APP, TOKEN = _app_and_token(Path(__import__("tempfile").mkdtemp(prefix="fuzz-")))
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
schema = schemathesis.graphql.from_asgi("/graphql", APP, headers=HEADERS)


@pytest.fixture(autouse=True)
def _sqlite_pass_only(db_kind: str) -> None:
    if db_kind != "sqlite":
        pytest.skip("fuzzing runs once, in the SQLite pass, on its own database")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_breaks_the_server(case: Any) -> None:
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, response.text
    unexpected = [
        error
        for error in response.json().get("errors") or ()
        if error.get("extensions", {}).get("code") == "INTERNAL_SERVER_ERROR"
    ]
    assert not unexpected, (case.body, unexpected)
