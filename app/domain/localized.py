"""Localized text: a map of locale to non-empty text, and how a caller's locale is chosen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from app.domain.errors import Problems

SUPPORTED_LOCALES: tuple[str, ...] = (
    "de_DE", "en_US", "pl_PL", "ru_RU", "nl_NL", "fr_FR", "it_IT", "nb_NO", "es_ES",
    "cs_CZ", "sk_SK", "pt_PT", "sl_SI", "ro_RO", "bg_BG", "hr_HR", "hu_HU", "tr_TR",
)  # fmt: skip
_SUPPORTED = frozenset(SUPPORTED_LOCALES)
FALLBACK_LOCALE = "en_US"
MAX_TEXT_LENGTH = 4000


def check_localized(value: Mapping[str, object], field: str, problems: Problems) -> dict[str, str]:
    """Return the map as stored, adding a problem for each bad locale or text."""
    if not value:
        problems.invalid("Give the text in at least one locale.", field)
        return {}
    checked: dict[str, str] = {}
    for locale, text in value.items():
        where = f"{field}.{locale}"
        if locale not in _SUPPORTED:
            problems.invalid(
                f"Locale {locale!r} is not supported; use one of {', '.join(SUPPORTED_LOCALES)}.",
                where,
            )
        elif not isinstance(text, str) or not text.strip():
            problems.invalid("The text must be a non-empty string.", where)
        elif len(text) > MAX_TEXT_LENGTH:
            problems.invalid(f"The text is longer than {MAX_TEXT_LENGTH} characters.", where)
        else:
            checked[locale] = text
    return checked


def normalize_locale(tag: str) -> str | None:
    """Turn `de-DE`, `de_de` or `de` into a supported locale, or None."""
    cleaned = tag.strip().replace("-", "_")
    if not cleaned:
        return None
    lang, _, region = cleaned.partition("_")
    candidate = f"{lang.lower()}_{region.upper()}" if region else ""
    if candidate in _SUPPORTED:
        return candidate
    lang = lang.lower()
    return next((loc for loc in SUPPORTED_LOCALES if loc.startswith(lang + "_")), None)


def locales_from_accept_language(header: str | None) -> list[str]:
    """Supported locales named by an Accept-Language header, most preferred first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                continue
        locale = normalize_locale(tag)
        if locale and weight > 0:
            weighted.append((-weight, index, locale))
    return list(dict.fromkeys(locale for _, _, locale in sorted(weighted)))


def resolve_text(text: Mapping[str, str] | None, preferred: Iterable[str]) -> str | None:
    """The text in the first preferred locale present, else en_US, else the first entry."""
    if not text:
        return None
    for locale in preferred:
        if locale in text:
            return text[locale]
    if FALLBACK_LOCALE in text:
        return text[FALLBACK_LOCALE]
    return next(iter(text.values()))
