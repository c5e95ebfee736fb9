"""The one way a listed party's key is built: by every importer, the entry form and the API.

The key is what lets a re-import recognise a record it has seen before. OFAC lists carry a
real, stable entity number, so their key is "SDN:12345"; the BIS lists do not (the CSL `_id` is
a generated hash, and the 2026 Entity List has none), so theirs is the source, the normalised
name and the country: "EL:huawei technologies co ltd:CN". An entry added by hand has no number
of the source's, so it always takes the name form; an import of its source that carries the same
party finds it by that name key and merges into it (see `entities.importers.service`).
"""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


def normalise_for_key(text: str) -> str:
    """Casefolded NFKC text with punctuation and whitespace runs collapsed to one space.

    Deliberately simple (no legal-form stripping, no transliteration): a key must stay the same
    across releases of this code, while the matcher's normalisation is free to improve.
    """
    return _PUNCTUATION.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def name_key(*, source: str, name: str, country: str = "") -> str:
    """The key of a party known by its name: "EL:huawei technologies co ltd:CN"."""
    return f"{source.strip().upper()}:{normalise_for_key(name)}:{country.strip().upper()}"


def entity_key(*, source: str, name: str, country: str = "", source_id: str = "") -> str:
    """The stable key of a listed party: "SDN:12345" when the source numbers it, else its name key."""
    if source_id:
        return f"{source.strip().upper()}:{source_id}"
    return name_key(source=source, name=name, country=country)
