"""Localized text: supported locales only, non-empty text, and the caller's locale chosen."""

from __future__ import annotations

from app.domain.errors import Problems
from app.domain.localized import (
    check_localized,
    locales_from_accept_language,
    normalize_locale,
    resolve_text,
)


def test_valid_text_is_kept_as_given() -> None:
    problems = Problems()
    text = {"en_US": "Shirt", "de_DE": "Hemd"}
    assert check_localized(text, "nameLocalized", problems) == text
    assert not problems


def test_each_bad_entry_is_reported_with_its_path() -> None:
    problems = Problems()
    check_localized({"xx_XX": "?", "en_US": " ", "de_DE": "ok"}, "nameLocalized", problems)
    fields = [p.field for p in problems]
    assert fields == ["nameLocalized.xx_XX", "nameLocalized.en_US"]


def test_an_empty_map_is_refused() -> None:
    problems = Problems()
    check_localized({}, "nameLocalized", problems)
    assert [p.field for p in problems] == ["nameLocalized"]


def test_accept_language_orders_by_weight_and_maps_languages_to_locales() -> None:
    header = "fr-CH, fr;q=0.9, de-DE;q=0.95, en;q=0.8, *;q=0.5"
    assert locales_from_accept_language(header) == ["fr_FR", "de_DE", "en_US"]
    assert locales_from_accept_language("garbage;;q=x") == []
    assert locales_from_accept_language(None) == []


def test_normalize_locale() -> None:
    assert normalize_locale("de-de") == "de_DE"
    assert normalize_locale("pt") == "pt_PT"
    assert normalize_locale("zz") is None


def test_resolution_prefers_the_callers_locale_then_en_us_then_the_first_entry() -> None:
    text = {"de_DE": "Hemd", "fr_FR": "Chemise", "en_US": "Shirt"}
    assert resolve_text(text, ["fr_FR"]) == "Chemise"
    assert resolve_text(text, ["pl_PL"]) == "Shirt"
    assert resolve_text({"de_DE": "Hemd", "fr_FR": "Chemise"}, ["pl_PL"]) == "Hemd"
    assert resolve_text(None, ["en_US"]) is None
