"""How long a piece of text a client may send, by what it is (pure rules, no I/O).

Every string a client sends (arguments, input fields, variables, the text inside localized and
JSON values) is bounded: by its kind, told apart by its field name, and never longer than
MAX_TEXT_LENGTH. The same bounds say how much a text field can weigh in a response, which the
query cost prices (app/graphql/cost.py). NUL characters are refused everywhere: PostgreSQL
cannot store them, and no field of this domain has a use for them; nor are lone surrogates
(they are not text, and no encoder can write them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Ids and references (`id`, `…Id`, `…Ref`, `…Ids`, `…Refs`): the columns that store them.
ID_LENGTH = 255
#: Codes and small enumerations sent as text (reason codes, locales, currencies, …).
CODE_LENGTH = 64
#: Titles and names (articles, users, services).
TITLE_LENGTH = 500
#: URLs (webhook callbacks, images).
URL_LENGTH = 2048
#: Free text: reasons, descriptions, answers to questions; also the bound of every string.
MAX_TEXT_LENGTH = 4000
#: Any other string.
DEFAULT_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class TextKind:
    """A kind of text and its bound, as documented in the README's Reliability section."""

    name: str
    max_length: int


ID = TextKind("id or reference", ID_LENGTH)
CODE = TextKind("code", CODE_LENGTH)
TITLE = TextKind("title or name", TITLE_LENGTH)
URL = TextKind("url", URL_LENGTH)
FREE_TEXT = TextKind("free text", MAX_TEXT_LENGTH)
OTHER = TextKind("text", DEFAULT_LENGTH)

_BY_NAME: dict[str, TextKind] = {
    "id": ID,
    "after": ID,
    "before": ID,
    "cursor": ID,
    "title": TITLE,
    "name": TITLE,
    "username": TITLE,
    "serviceName": TITLE,
    "articleTitle": TITLE,
    "searchTerm": TITLE,
    "assignedUser": TITLE,
    "reason": FREE_TEXT,
    "description": FREE_TEXT,
    "value": FREE_TEXT,
    "text": FREE_TEXT,
    "callbackUrl": URL,
    "url": URL,
    "imageUrl": URL,
    "locale": CODE,
    "reasonCode": CODE,
    "code": CODE,
    "marketplaceId": CODE,
    "serviceType": CODE,
    "contentType": CODE,
    "contentMD5": CODE,
    "contentSha256": CODE,
    "currency": CODE,
    "valueType": CODE,
    "key": CODE,
    "category": CODE,
}


def text_kind(field_name: str) -> TextKind:
    """The kind of text a field or argument of this name holds."""
    kind = _BY_NAME.get(field_name)
    if kind is not None:
        return kind
    if field_name.endswith(("Id", "Ids", "Ref", "Refs")):
        return ID
    if field_name.endswith(("Url", "Urls")):
        return URL
    if field_name.endswith(("Code", "Codes")):
        return CODE
    if field_name.endswith(("Name", "Title")):
        return TITLE
    if field_name.endswith(("Reason", "Description")):
        return FREE_TEXT
    return OTHER


def text_problem(value: str, field_name: str, kind: TextKind | None = None) -> str | None:
    """Why this text cannot be accepted as the value of that field (of the field's own kind
    unless one is given), or None."""
    kind = kind or text_kind(field_name)
    if len(value) > kind.max_length:
        return (
            f"'{field_name}' is {len(value):,} characters long; a {kind.name} may have at most "
            f"{kind.max_length:,}."
        )
    if _UNSTORABLE.search(value) is not None:
        return (
            f"'{field_name}' contains a NUL character or a lone surrogate, which no text may "
            "contain."
        )
    return None


#: NUL, and surrogates not part of a pair (a Python str holds them only unpaired).
_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")
