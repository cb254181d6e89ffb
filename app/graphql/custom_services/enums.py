"""Enums of custom services as the schema shows them."""

from __future__ import annotations

import enum

import strawberry


@strawberry.enum(description="Whether a custom service can be used for new jobs.")
class CustomServiceStatus(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Usable for new service jobs.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="Not usable for new service jobs.")


@strawberry.enum(
    description="Status as a client may send it; ENABLED and DISABLED are older spellings."
)
class CustomServiceStatusInput(enum.Enum):
    ACTIVE = strawberry.enum_value("ACTIVE", description="Usable for new service jobs.")
    INACTIVE = strawberry.enum_value("INACTIVE", description="Not usable for new service jobs.")
    ENABLED = strawberry.enum_value(
        "ENABLED", description="Stored as ACTIVE.", deprecation_reason="Use ACTIVE."
    )
    DISABLED = strawberry.enum_value(
        "DISABLED", description="Stored as INACTIVE.", deprecation_reason="Use INACTIVE."
    )


@strawberry.enum(description="Whether the items of a service must be selected before it starts.")
class ItemsRequired(enum.Enum):
    MANDATORY = strawberry.enum_value("MANDATORY", description="Items must be selected first.")
    NONE = strawberry.enum_value("NONE", description="No items are needed.")


@strawberry.enum(description="What kind of answer an additional information expects.")
class AdditionalInformationValueType(enum.Enum):
    STRING = strawberry.enum_value("STRING", description="A line of text.")
    BOOLEAN = strawberry.enum_value("BOOLEAN", description="true or false.")
    NUMBER = strawberry.enum_value("NUMBER", description="A number.")
    NOVALUE = strawberry.enum_value("NOVALUE", description="No value; a confirmation only.")
    INPUT_MULTILINE_STRING = strawberry.enum_value(
        "INPUT_MULTILINE_STRING", description="Several lines of text."
    )


@strawberry.enum(description="A supported locale: language and region.")
class Locale(enum.Enum):
    de_DE = strawberry.enum_value("de_DE", description="German (Germany).")
    en_US = strawberry.enum_value("en_US", description="English (United States).")
    pl_PL = strawberry.enum_value("pl_PL", description="Polish (Poland).")
    ru_RU = strawberry.enum_value("ru_RU", description="Russian (Russia).")
    nl_NL = strawberry.enum_value("nl_NL", description="Dutch (Netherlands).")
    fr_FR = strawberry.enum_value("fr_FR", description="French (France).")
    it_IT = strawberry.enum_value("it_IT", description="Italian (Italy).")
    nb_NO = strawberry.enum_value("nb_NO", description="Norwegian Bokmål (Norway).")
    es_ES = strawberry.enum_value("es_ES", description="Spanish (Spain).")
    cs_CZ = strawberry.enum_value("cs_CZ", description="Czech (Czechia).")
    sk_SK = strawberry.enum_value("sk_SK", description="Slovak (Slovakia).")
    pt_PT = strawberry.enum_value("pt_PT", description="Portuguese (Portugal).")
    sl_SI = strawberry.enum_value("sl_SI", description="Slovenian (Slovenia).")
    ro_RO = strawberry.enum_value("ro_RO", description="Romanian (Romania).")
    bg_BG = strawberry.enum_value("bg_BG", description="Bulgarian (Bulgaria).")
    hr_HR = strawberry.enum_value("hr_HR", description="Croatian (Croatia).")
    hu_HU = strawberry.enum_value("hu_HU", description="Hungarian (Hungary).")
    tr_TR = strawberry.enum_value("tr_TR", description="Turkish (Turkey).")
