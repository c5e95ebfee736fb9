"""Field formats shared by the model, the forms and the API serializers."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django_countries import countries

# Category digit, product group A-E, three digits, optional paragraph ("5A002.a.1"); or EAR99.
ECCN_RE = re.compile(r"^(EAR99|[0-9][A-E][0-9]{3}(\.[A-Za-z0-9]+)*)$")
REASON_CODE_RE = re.compile(r"^(AT|CB|CC|CW|EI|FC|MT|NP|NS|RS|SI|SL|UN)[1-3]?$")


def normalise_eccn(value: str) -> str:
    value = (value or "").strip()
    if value.upper() == "EAR99":
        return "EAR99"
    head, _, tail = value.partition(".")
    return head.upper() + (f".{tail.lower()}" if tail else "")


def validate_eccn(value: str) -> None:
    if not ECCN_RE.match(normalise_eccn(value)):
        raise ValidationError(
            "Enter an ECCN such as 5A002 or 3A991.a (digit, letter A-E, three digits), or EAR99.",
            code="eccn",
        )


def validate_country(value: str) -> None:
    if (value or "").upper() not in dict(countries):
        raise ValidationError(
            f"{value!r} is not an ISO 3166 two-letter country code (e.g. CA, CN, DE).", code="country"
        )


def validate_positive(value: Decimal) -> None:
    if value is None or value <= 0:
        raise ValidationError("Must be greater than zero.", code="positive")


def parse_reasons(value: str) -> list[str]:
    """`"NS1, AT1"` -> ["NS1", "AT1"]; raises ValidationError naming any unknown code."""
    codes = [part.upper() for part in re.split(r"[\s,;/]+", value or "") if part]
    bad = [code for code in codes if not REASON_CODE_RE.match(code)]
    if bad:
        raise ValidationError(
            f"Unknown reason for control: {', '.join(bad)}. Use codes such as NS1, NS2, MT1, NP1, RS2, AT1.",
            code="reasons",
        )
    return codes


def validate_reasons(value: str) -> None:
    parse_reasons(value)
