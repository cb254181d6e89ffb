"""Rules on the fields of a custom service that need no database."""

from __future__ import annotations

from app.domain.attributes import MAX_SERIALIZED_LENGTH, check_custom_attributes
from app.domain.custom_services import (
    AdditionalInformationDraft,
    Article,
    ArticleItem,
    CustomServiceFields,
    CustomServiceStatus,
    ValueType,
    check_custom_service_fields,
    normalize_status,
)
from app.domain.errors import ErrorCode, Problems


def problems_of(fields: CustomServiceFields) -> list[tuple[ErrorCode, str | None]]:
    problems = Problems()
    check_custom_service_fields(fields, problems)
    return [(p.code, p.field) for p in problems]


def question(ref: str | None = None) -> AdditionalInformationDraft:
    return AdditionalInformationDraft({"en_US": "Color"}, ValueType.STRING, None, False, ref)


def test_enabled_and_disabled_are_stored_as_active_and_inactive() -> None:
    assert normalize_status("ENABLED") is CustomServiceStatus.ACTIVE
    assert normalize_status("DISABLED") is CustomServiceStatus.INACTIVE
    assert normalize_status("ACTIVE") is CustomServiceStatus.ACTIVE


def test_a_minimal_service_is_valid() -> None:
    assert problems_of(CustomServiceFields(name_localized={"en_US": "Embroidery"})) == []


def test_every_problem_is_reported_together() -> None:
    fields = CustomServiceFields(
        name_localized={},
        execution_time_in_min=-1,
        article_items=[ArticleItem(Article(" "), 0)],
        additional_information=[question("a"), question("a")],
        required_custom_service_ids=["x", "x"],
    )
    assert problems_of(fields) == [
        (ErrorCode.VALIDATION_FAILED, "nameLocalized"),
        (ErrorCode.VALIDATION_FAILED, "executionTimeInMin"),
        (ErrorCode.CONFLICT, "additionalInformation"),
        (ErrorCode.VALIDATION_FAILED, "articleItems.0.quantity"),
        (ErrorCode.VALIDATION_FAILED, "articleItems.0.tenantArticleId"),
        (ErrorCode.VALIDATION_FAILED, "requiredCustomServices"),
    ]


def test_at_most_15_additional_information() -> None:
    fields = CustomServiceFields(
        name_localized={"en_US": "x"}, additional_information=[question() for _ in range(16)]
    )
    assert problems_of(fields) == [(ErrorCode.LIMIT_EXCEEDED, "additionalInformation")]


def test_custom_attribute_keys_must_not_start_with_dollar_or_contain_dots() -> None:
    problems = Problems()
    check_custom_attributes(
        {"ok": 1, "$bad": 2, "nested": {"a.b": 3}}, "customAttributes", problems
    )
    messages = [p.message for p in problems]
    assert len(messages) == 2
    assert "'$bad'" in messages[0] and "'nested.a.b'" in messages[1]


def test_custom_attributes_are_limited_to_15360_serialized_characters() -> None:
    problems = Problems()
    check_custom_attributes({"k": "x" * MAX_SERIALIZED_LENGTH}, "customAttributes", problems)
    assert [p.code for p in problems] == [ErrorCode.LIMIT_EXCEEDED]
    fits = Problems()
    check_custom_attributes({"k": "x" * (MAX_SERIALIZED_LENGTH - 8)}, "customAttributes", fits)
    assert not fits


def test_custom_attributes_must_be_an_object() -> None:
    problems = Problems()
    check_custom_attributes(["a"], "customAttributes", problems)
    assert [p.code for p in problems] == [ErrorCode.VALIDATION_FAILED]


def test_an_article_item_has_an_id_and_at_most_twenty_attributes() -> None:
    attributes = tuple({"key": f"k{i}", "value": "v"} for i in range(21))
    items = (
        ArticleItem(Article("", attributes=attributes[:20]), 1),
        ArticleItem(Article("shirt", attributes=attributes), 1),
    )
    fields = CustomServiceFields(name_localized={"en_US": "Embroidery"}, article_items=items)
    assert problems_of(fields) == [
        (ErrorCode.VALIDATION_FAILED, "articleItems.0.tenantArticleId"),
        (ErrorCode.LIMIT_EXCEEDED, "articleItems.1.article.attributes"),
    ]
