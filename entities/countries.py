"""The country codes a list entry may carry, and what to call them.

The lists write countries as ISO 3166-1 alpha-2 codes, with two exceptions that real entries
carry. Kosovo's XK is a user-assigned code that OFAC, BIS and the Consolidated Screening List all
use; it is a real destination too (the Commerce Country Chart has a row for it), so
settings.COUNTRIES_OVERRIDE adds it to django-countries for the whole project. The Netherlands
Antilles' AN left ISO 3166-1 when the country was dissolved in 2010, yet OFAC's address file
still names it: a listed party's address keeps the code its list gives it, while a licence
request (which validates against django-countries alone) cannot name a country that is gone.
"""

from __future__ import annotations

from django_countries import countries

# Codes no longer in ISO 3166-1 that the official lists still write.
FORMER_CODES: dict[str, str] = {"AN": "Netherlands Antilles (dissolved 2010)"}


def list_country_name(code: str) -> str:
    """The country's name for a code a list entry may carry, or "" for any other code."""
    code = code.strip().upper()
    if code in FORMER_CODES:
        return FORMER_CODES[code]
    return str(countries.countries.get(code, "")) if code else ""


def is_list_country(code: str) -> bool:
    return bool(list_country_name(code))


def list_country_codes() -> frozenset[str]:
    return frozenset(countries.countries) | frozenset(FORMER_CODES)


def unknown_code_message(value: str) -> str:
    return f"{value!r} is not a country code the lists use: an ISO 3166-1 two-letter code (e.g. CN, RU; XK for Kosovo)."
