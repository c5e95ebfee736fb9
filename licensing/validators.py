"""Field formats and limits shared by the model, the forms and the API serializers.

Every amount, count and length a user types has a limit here, stated in the form, the API schema
and the error, and checked before anything is written: a request whose total no longer fits its
column would otherwise break every list that shows it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

import puremagic
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django_countries import countries

# Amounts. A line's total is quantity x unit price and a request's total the sum of its lines;
# both are checked against these before a row is written (the request total fits its column).
MAX_QUANTITY = Decimal("1000000000")  # 1 billion units
MAX_UNIT_PRICE = Decimal("1000000000")  # 1 billion per unit
MAX_LINE_TOTAL = Decimal("1000000000000")  # 1 trillion
MAX_REQUEST_TOTAL = Decimal("10000000000000")  # 10 trillion (the column holds 14 integer digits)
# Counts: BIS-748P has room for a handful of parties; a request with hundreds is a mistake.
MAX_PARTIES = 50
MAX_ITEMS = 200
# Lengths of free text.
MAX_END_USE = 5_000
MAX_ADDITIONAL_INFO = 10_000
MAX_ADDRESS = 1_000
MAX_DESCRIPTION = 2_000
MAX_RATIONALE = 10_000

max_quantity = MaxValueValidator(MAX_QUANTITY, message=f"At most {MAX_QUANTITY:,} units per line.")
max_unit_price = MaxValueValidator(MAX_UNIT_PRICE, message=f"At most {MAX_UNIT_PRICE:,} per unit.")

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


MAX_ID_NUMBERS = 1000
_BIRTH_DATE = re.compile(r"^\d{4}(-\d{2}-\d{2})?$")


def validate_birth_date(value: str) -> None:
    """A full date (YYYY-MM-DD) or a year (YYYY), as lists give them."""
    value = (value or "").strip()
    if not value:
        return
    if not _BIRTH_DATE.match(value):
        raise ValidationError("Give the date of birth as YYYY-MM-DD, or the year alone as YYYY.", code="birth_date")
    if len(value) == 10:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValidationError(f"{value} is not a date.", code="birth_date") from None
    if not 1850 <= int(value[:4]) <= date.today().year:
        raise ValidationError("The year of birth is out of range.", code="birth_date")


def country_codes(value: str) -> list[str]:
    return [code.upper() for code in re.split(r"[\s,;]+", value or "") if code]


def validate_nationalities(value: str) -> None:
    for code in country_codes(value):
        validate_country(code)


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


# What a document's first bytes must say it is, by its extension (puremagic's extensions). Office
# files are zip containers whose first bytes cannot always tell Word from Excel: either will do.
_OFFICE = {".docx", ".xlsx", ".pptx", ".xlsb", ".xlsm", ".docm"}
_CONTENT_OF: dict[str, set[str]] = {
    "pdf": {".pdf"},
    "png": {".png"},
    "jpg": {".jpg", ".jpeg", ".jfif", ".jpe"},
    "jpeg": {".jpg", ".jpeg", ".jfif", ".jpe"},
    "docx": _OFFICE,
    "xlsx": _OFFICE,
}
# Plain text (csv, txt) must be text: not markup a browser would run, not a binary file.
_TEXT_EXTENSIONS = {"csv", "txt"}
_HEAD_BYTES = 8192


def validate_document_content(file: Any) -> None:
    """A document's content must be what its name says (checked with puremagic, from its bytes).

    An HTML page named report.pdf, or an SVG (which can carry script) named img.png, is refused:
    reviewers open these files, and a record must be what it claims to be.
    """
    name = str(getattr(file, "name", "") or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    file.seek(0)
    head = file.read(_HEAD_BYTES)
    file.seek(0)
    if isinstance(head, str):
        head = head.encode()
    found = _identify(head)
    if extension in _TEXT_EXTENSIONS:
        if found or b"\x00" in head or _looks_like_markup(head):
            what = f" (it looks like {sorted(found)[0].lstrip('.').upper()})" if found else ""
            raise ValidationError(
                f"{name} is not plain text{what}; upload the file in its real format.", code="content"
            )
        return
    expected = _CONTENT_OF.get(extension)
    if expected is not None and not expected & found:
        looks = f"it looks like {sorted(found)[0].lstrip('.').upper()}" if found else "its content is not recognised"
        raise ValidationError(
            f"{name} does not contain a {extension.upper()} file ({looks}); upload the file in its real format.",
            code="content",
        )


def _identify(head: bytes) -> set[str]:
    if not head:
        return set()
    try:
        return {match.extension.lower() for match in puremagic.magic_string(head)}
    except puremagic.PureError:
        return set()


_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<svg|<\?xml|<script)", re.IGNORECASE)


def _looks_like_markup(head: bytes) -> bool:
    return bool(_MARKUP.match(head.lstrip(b"\xef\xbb\xbf")))
